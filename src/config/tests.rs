use super::*;

fn load(pairs: &[(&str, &str)]) -> Result<Config> {
    Config::from_sources(&Sources::from_pairs(pairs.iter().copied()))
}

fn config_error(pairs: &[(&str, &str)]) -> String {
    match load(pairs) {
        Err(Error::Config(message)) => message,
        other => panic!("expected a config error, got {other:?}"),
    }
}

#[test]
fn production_refuses_http_and_names_the_fix() {
    let message = config_error(&[("REDMINE_URL", "http://r.test"), ("REDMINE_API_KEY", "k")]);
    assert!(message.contains("REDMINE_URL"), "{message}");
    assert!(message.contains("https://"), "{message}");
    assert!(message.contains("TRACKER_MCP_MODE=development"), "{message}");
}

#[test]
fn development_allows_http_with_a_warning() {
    let config = load(&[
        ("TRACKER_MCP_MODE", "development"),
        ("REDMINE_URL", "http://r.test/"),
        ("REDMINE_API_KEY", "k"),
    ])
    .expect("config");
    assert_eq!(config.redmine.expect("redmine").url.as_str(), "http://r.test/");
    assert!(config.warnings.iter().any(|w| w.contains("plain http")));
}

#[test]
fn url_with_credentials_query_or_fragment_is_refused_without_echo() {
    let message = config_error(&[("BUGZILLA_URL", "https://me:hunter22@b.test"), ("BUGZILLA_API_KEY", "k")]);
    assert!(message.contains("credentials") && !message.contains("hunter22"), "{message}");
    let message = config_error(&[("BUGZILLA_URL", "https://b.test/?api_key=zz"), ("BUGZILLA_API_KEY", "k")]);
    assert!(message.contains("query") && !message.contains("zz"), "{message}");
    let message = config_error(&[("BUGZILLA_URL", "https://b.test/#x"), ("BUGZILLA_API_KEY", "k")]);
    assert!(message.contains("fragment"), "{message}");
    let message = config_error(&[("BUGZILLA_URL", "ftp://b.test"), ("BUGZILLA_API_KEY", "k")]);
    assert!(message.contains("scheme"), "{message}");
}

#[test]
fn url_without_key_and_key_without_url_name_the_missing_variable() {
    let message = config_error(&[("REDMINE_URL", "https://r.test")]);
    assert!(message.contains("REDMINE_API_KEY is missing"), "{message}");
    let message = config_error(&[("BUGZILLA_API_KEY", "k")]);
    assert!(message.contains("BUGZILLA_URL is missing"), "{message}");
    let message = config_error(&[("BITBUCKET_URL", "https://bb.test")]);
    assert!(message.contains("BITBUCKET_TOKEN is missing"), "{message}");
}

#[test]
fn anonymous_access_must_be_explicit() {
    let config = load(&[("REDMINE_URL", "https://r.test"), ("REDMINE_ANONYMOUS", "true")]).expect("config");
    assert!(config.redmine.expect("redmine").api_key.is_none());
}

#[test]
fn bitbucket_flavor_follows_the_url() {
    let cloud = load(&[("BITBUCKET_TOKEN", "t")]).expect("config").bitbucket.expect("bb");
    assert_eq!(cloud.flavor, Flavor::Cloud);
    assert_eq!(cloud.url.as_str(), "https://api.bitbucket.org/");
    let cloud = load(&[("BITBUCKET_TOKEN", "t"), ("BITBUCKET_URL", "https://api.bitbucket.org/2.0")])
        .expect("config")
        .bitbucket
        .expect("bb");
    assert_eq!(cloud.flavor, Flavor::Cloud);
    assert_eq!(cloud.url.path(), "/");
    let dc = load(&[("BITBUCKET_TOKEN", "t"), ("BITBUCKET_URL", "https://git.example.com/bitbucket")])
        .expect("config")
        .bitbucket
        .expect("bb");
    assert_eq!(dc.flavor, Flavor::DataCenter);
    assert_eq!(dc.url.path(), "/bitbucket");
}

#[test]
fn bad_values_name_their_variable() {
    assert!(config_error(&[("TRACKER_MCP_MODE", "prod")]).contains("TRACKER_MCP_MODE"));
    assert!(config_error(&[("TRACKER_MCP_ENABLE_WRITES", "maybe")]).contains("TRACKER_MCP_ENABLE_WRITES"));
    assert!(config_error(&[("TRACKER_MCP_TIMEOUT_SECS", "0")]).contains("TRACKER_MCP_TIMEOUT_SECS"));
    assert!(config_error(&[("BUGZILLA_API_KEY_MODE", "x")]).contains("BUGZILLA_API_KEY_MODE"));
}

#[test]
fn environment_wins_over_env_file_which_wins_over_the_user_file() {
    let dir = std::env::temp_dir().join(format!("tracker-mcp-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let user = dir.join("user.env");
    std::fs::write(
        &user,
        "REDMINE_URL=https://user.test\nREDMINE_API_KEY=a\nBUGZILLA_URL=https://user.test\n",
    )
    .expect("write");
    std::fs::write(
        dir.join("explicit.env"),
        "REDMINE_URL=https://explicit.test\nBUGZILLA_URL=https://explicit.test\n",
    )
    .expect("write");
    let sources = Sources::gather(
        &dir,
        Some(&user),
        Some(&dir.join("explicit.env")),
        [("BUGZILLA_URL".to_owned(), "https://env.test".to_owned())],
        [],
    )
    .expect("sources");
    assert_eq!(sources.get("REDMINE_URL").as_deref(), Some("https://explicit.test"));
    assert_eq!(sources.get("BUGZILLA_URL").as_deref(), Some("https://env.test"));
    assert_eq!(sources.get("REDMINE_API_KEY").as_deref(), Some("a"));
    std::fs::remove_dir_all(&dir).ok();
}

/// Security review finding 1: a cloned repository's `.env` chose the token's destination
/// and switched writes on.
#[test]
fn the_working_directory_env_is_ignored_with_a_warning() {
    let dir = std::env::temp_dir().join(format!("tracker-mcp-cwd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(
        dir.join(".env"),
        "BITBUCKET_URL=http://127.0.0.1:9\nTRACKER_MCP_ENABLE_WRITES=true\nTRACKER_MCP_MODE=development\n",
    )
    .expect("write");
    let env = [("BITBUCKET_TOKEN".to_owned(), "t".to_owned())];
    let sources = Sources::gather(&dir, None, None, env, []).expect("sources");
    assert_eq!(sources.get("BITBUCKET_URL"), None);
    assert_eq!(sources.get("TRACKER_MCP_ENABLE_WRITES"), None);
    assert!(sources.warnings.iter().any(|w| w.contains("is ignored") && w.contains("--env-file")));
    // Named explicitly, it is the user's choice and is read without a warning.
    let sources = Sources::gather(&dir, None, Some(&dir.join(".env")), [], []).expect("sources");
    assert_eq!(sources.get("TRACKER_MCP_ENABLE_WRITES").as_deref(), Some("true"));
    assert!(sources.warnings.iter().all(|w| !w.contains("is ignored")));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_user_file_lives_in_the_configuration_directory() {
    let vars = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
    };
    assert_eq!(
        user_config_file(vars(&[("XDG_CONFIG_HOME", "/x"), ("HOME", "/h")])),
        Some(PathBuf::from("/x/tracker-mcp/.env"))
    );
    assert_eq!(
        user_config_file(vars(&[("XDG_CONFIG_HOME", "relative"), ("HOME", "/h")])),
        Some(PathBuf::from("/h/.config/tracker-mcp/.env"))
    );
    assert_eq!(user_config_file(vars(&[])), None);
}

#[test]
fn debug_output_never_shows_secrets() {
    let config =
        load(&[("REDMINE_URL", "https://r.test"), ("REDMINE_API_KEY", "debug-secret-1234")]).expect("config");
    let sources = Sources::from_pairs([("REDMINE_API_KEY", "debug-secret-1234")]);
    assert!(!format!("{config:?} {sources:?}").contains("debug-secret-1234"));
}
