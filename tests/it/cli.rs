//! The command line: refusals at start-up, `--help`, `--version`, `check`, `tools`.

use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::run;

#[tokio::test]
async fn no_tracker_exits_at_once_listing_the_variables() {
    let (code, stdout, stderr) = run(&[], &[]).await;
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    for name in ["BUGZILLA_URL", "REDMINE_API_KEY", "BITBUCKET_TOKEN", "--env-file"] {
        assert!(stderr.contains(name), "{name} missing: {stderr}");
    }
}

#[tokio::test]
async fn production_refuses_http_naming_variable_and_fix() {
    let (code, _, stderr) =
        run(&[], &[("REDMINE_URL", "http://r.test"), ("REDMINE_API_KEY", "k-1234")]).await;
    assert_eq!(code, 2);
    assert!(stderr.contains("REDMINE_URL") && stderr.contains("https://"), "{stderr}");
    assert!(stderr.contains("TRACKER_MCP_MODE=development"), "{stderr}");
}

#[tokio::test]
async fn half_configured_tracker_names_the_missing_variable() {
    let (code, _, stderr) = run(&[], &[("BUGZILLA_URL", "https://b.test")]).await;
    assert_eq!(code, 2);
    assert!(stderr.contains("BUGZILLA_API_KEY is missing"), "{stderr}");
}

#[tokio::test]
async fn env_file_is_read_and_the_environment_wins() {
    let dir = std::env::temp_dir().join(format!("tracker-mcp-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("tracker.env");
    std::fs::write(&file, "REDMINE_URL=http://from-file.test\nREDMINE_API_KEY=file-key-1234\n")
        .expect("write");
    let file = file.to_str().expect("utf-8 path");
    // From the file alone: production refuses its http URL, naming it.
    let (code, _, stderr) = run(&["--env-file", file, "tools"], &[]).await;
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("REDMINE_URL uses http://"), "{stderr}");
    // The environment overrides the file's URL.
    let (code, stdout, stderr) =
        run(&["--env-file", file, "tools"], &[("REDMINE_URL", "https://from-env.test")]).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("redmine_whoami"), "{stdout}");
    std::fs::remove_dir_all(&dir).ok();
}

/// Security review finding 1: the client starts the server inside a cloned repository whose
/// `.env` points the token at another host and switches writes on. It must change nothing;
/// the user's own file in the configuration directory is read instead.
#[tokio::test]
async fn the_working_directory_env_is_ignored_and_the_user_file_is_read() {
    let dir = std::env::temp_dir().join(format!("tracker-mcp-cwd-{}", std::process::id()));
    let repo = dir.join("repo");
    let config = dir.join("config");
    std::fs::create_dir_all(&repo).expect("dir");
    std::fs::create_dir_all(config.join("tracker-mcp")).expect("dir");
    std::fs::write(
        repo.join(".env"),
        "BITBUCKET_URL=http://127.0.0.1:9\nTRACKER_MCP_MODE=development\nTRACKER_MCP_ENABLE_WRITES=true\n",
    )
    .expect("write");
    let tools = |with_user_file: bool| {
        let mut command = crate::common::binary();
        command
            .current_dir(&repo)
            .arg("tools")
            .env("BITBUCKET_TOKEN", "tok-1234")
            .stdin(std::process::Stdio::null());
        if with_user_file {
            command.env("XDG_CONFIG_HOME", &config);
        }
        command.output()
    };
    let output = tools(false).await.expect("run");
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{stderr}");
    assert!(
        stdout.contains("bitbucket_whoami") && !stdout.contains("bitbucket_merge_pull_request"),
        "{stdout}"
    );
    assert!(stderr.contains(".env is ignored") && stderr.contains("--env-file"), "{stderr}");
    // The user's own file may enable writes.
    std::fs::write(config.join("tracker-mcp/.env"), "TRACKER_MCP_ENABLE_WRITES=true\n").expect("write");
    let output = tools(true).await.expect("run");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("bitbucket_merge_pull_request"), "{stdout}");
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn missing_env_file_is_an_error() {
    let (code, _, stderr) = run(&["--env-file", "/nonexistent/tracker.env"], &[]).await;
    assert_eq!(code, 2);
    assert!(stderr.contains("no such file"), "{stderr}");
}

#[tokio::test]
async fn help_lists_every_variable_and_version_is_ours() {
    let (code, stdout, _) = run(&["--help"], &[]).await;
    assert_eq!(code, 0);
    for (name, _) in tracker_mcp::config::VARIABLES {
        assert!(stdout.contains(name), "--help lacks {name}");
    }
    for command in ["check", "tools", "serve", "--env-file", "--enable-writes"] {
        assert!(stdout.contains(command), "--help lacks {command}");
    }
    let (code, stdout, _) = run(&["--version"], &[]).await;
    assert_eq!(code, 0);
    assert_eq!(stdout.trim(), format!("tracker-mcp {}", env!("CARGO_PKG_VERSION")));
}

#[tokio::test]
async fn check_reports_each_tracker_and_fails_on_a_bad_credential() {
    let good = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/users/current.json"))
        .and(header("x-redmine-api-key", "good-key-1234"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"user": {
            "id": 5, "login": "jsmith", "firstname": "John", "lastname": "Smith", "admin": false
        }})))
        .mount(&good)
        .await;
    let env = [
        ("TRACKER_MCP_MODE", "development"),
        ("REDMINE_URL", &good.uri()[..]),
        ("REDMINE_API_KEY", "good-key-1234"),
    ];
    let (code, stdout, stderr) = run(&["check"], &env).await;
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("ok") && stdout.contains("John Smith"), "{stdout}");

    let bad = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(401)).mount(&bad).await;
    let env = [
        ("TRACKER_MCP_MODE", "development"),
        ("REDMINE_URL", &bad.uri()[..]),
        ("REDMINE_API_KEY", "bad-key-5678"),
    ];
    let (code, stdout, stderr) = run(&["check"], &env).await;
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stdout.contains("FAIL") && stdout.contains("401"), "{stdout}");
    assert!(!stdout.contains("bad-key-5678") && !stderr.contains("bad-key-5678"));
}

#[tokio::test]
async fn an_allow_list_that_matches_nothing_is_an_error() {
    let env =
        [("REDMINE_URL", "https://r.test"), ("REDMINE_API_KEY", "k-1234"), ("TRACKER_MCP_TOOLS", "jira_*")];
    let (code, _, stderr) = run(&["tools"], &env).await;
    assert_eq!(code, 2);
    assert!(stderr.contains("jira_*") && stderr.contains("matches no tool"), "{stderr}");
}

#[cfg(unix)]
#[tokio::test]
async fn a_dotenv_readable_by_others_is_warned_about() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("tracker-mcp-perm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("loose.env");
    std::fs::write(&file, "REDMINE_URL=https://r.test\nREDMINE_API_KEY=perm-key-1234\n").expect("write");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let (code, _, stderr) = run(&["--env-file", file.to_str().expect("utf-8"), "tools"], &[]).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("readable by other users") && stderr.contains("chmod 600"), "{stderr}");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let (_, _, stderr) = run(&["--env-file", file.to_str().expect("utf-8"), "tools"], &[]).await;
    assert!(!stderr.contains("readable by other users"), "{stderr}");
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn every_variable_but_the_secrets_has_a_flag() {
    let (_, help, _) = run(&["--help"], &[]).await;
    const SECRETS: &[&str] =
        &["BUGZILLA_API_KEY", "REDMINE_API_KEY", "BITBUCKET_TOKEN", "TRACKER_MCP_HTTP_TOKEN", "RUST_LOG"];
    for (name, _) in tracker_mcp::config::VARIABLES {
        if SECRETS.contains(name) {
            continue;
        }
        let flag =
            format!("--{}", name.trim_start_matches("TRACKER_MCP_").to_ascii_lowercase().replace('_', "-"));
        let negated = flag.replace("--", "--no-");
        assert!(help.contains(&flag) || help.contains(&negated), "{name} has no flag ({flag})");
    }
}
