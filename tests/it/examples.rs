//! The client configuration snippets in `examples/` are ready to paste: each is in its
//! client's real format, launches `tracker-mcp` (directly, or through uvx, npx or docker with
//! the names the packages are published under), and sets only variables the binary reads.

use std::path::Path;

use serde_json::Value;
use tracker_mcp::config::VARIABLES;

const SECRETS: &[&str] = &["BUGZILLA_API_KEY", "REDMINE_API_KEY", "BITBUCKET_TOKEN"];

fn load(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name} is not valid JSON: {e}"))
}

/// The binary itself, which serves with no arguments.
const DIRECT: &[&str] = &["tracker-mcp"];

fn check_server(file: &str, server: &Value, launch: &[&str]) {
    let command: Vec<&str> = std::iter::once(&server["command"])
        .chain(server["args"].as_array().unwrap_or_else(|| panic!("{file}: args array")))
        .map(|v| v.as_str().unwrap_or_else(|| panic!("{file}: command and args are strings")))
        .collect();
    assert_eq!(command, launch, "{file}: must launch tracker-mcp as {launch:?}");
    let env = server["env"].as_object().unwrap_or_else(|| panic!("{file}: env object"));
    assert!(!env.is_empty());
    for (name, value) in env {
        assert!(VARIABLES.iter().any(|(v, _)| v == name), "{file}: {name} is not read by tracker-mcp");
        let value = value.as_str().unwrap_or_else(|| panic!("{file}: {name} must be a string"));
        if name.ends_with("_URL") {
            assert!(value.starts_with("https://"), "{file}: {name} must be https");
        }
    }
}

#[test]
fn claude_desktop_and_cursor_use_mcp_servers() {
    for file in ["claude_desktop_config.json", "cursor-mcp.json"] {
        let config = load(file);
        let servers = config["mcpServers"].as_object().unwrap_or_else(|| panic!("{file}: mcpServers"));
        assert_eq!(servers.len(), 1);
        for server in servers.values() {
            check_server(file, server, DIRECT);
        }
    }
}

#[test]
fn uvx_and_npx_examples_run_the_published_packages() {
    // PyPI's `tracker-mcp` is another project: the wheel is `tracker-mcp-server`.
    for (file, launch) in [
        ("uvx-mcp.json", &["uvx", "--from", "tracker-mcp-server", "tracker-mcp"][..]),
        ("npx-mcp.json", &["npx", "-y", "tracker-mcp"][..]),
    ] {
        let config = load(file);
        let servers = config["mcpServers"].as_object().unwrap_or_else(|| panic!("{file}: mcpServers"));
        assert_eq!(servers.len(), 1);
        for server in servers.values() {
            check_server(file, server, launch);
        }
    }
}

#[test]
fn docker_example_passes_every_variable_into_a_read_only_container() {
    let file = "docker-mcp.json";
    let config = load(file);
    let server = &config["mcpServers"]["trackers"];
    let args: Vec<&str> = server["args"].as_array().expect("args").iter().filter_map(Value::as_str).collect();
    let (passed, image) = args
        .strip_prefix(&["run", "-i", "--rm", "--read-only"][..])
        .and_then(|rest| rest.split_last().map(|(image, passed)| (passed, *image)))
        .expect("docker run -i --rm --read-only ... IMAGE");
    assert_eq!(image, "ghcr.io/tracker-mcp/tracker-mcp");
    let mut names: Vec<&str> = passed
        .chunks(2)
        .map(|pair| match pair {
            ["-e", name] => *name,
            other => panic!("{file}: only -e NAME between the flags and the image, not {other:?}"),
        })
        .collect();
    names.sort_unstable();
    let mut env: Vec<&str> = server["env"].as_object().expect("env").keys().map(String::as_str).collect();
    env.sort_unstable();
    assert_eq!(names, env, "{file}: each variable in env is passed with -e, and only those");
    let mut launch = vec!["docker"];
    launch.extend(&args);
    check_server(file, server, &launch);
}

#[test]
fn vscode_uses_servers_and_password_inputs_for_secrets() {
    let config = load("vscode-mcp.json");
    let servers = config["servers"].as_object().expect("servers");
    let inputs = config["inputs"].as_array().expect("inputs");
    for server in servers.values() {
        assert_eq!(server["type"], "stdio");
        check_server("vscode-mcp.json", server, DIRECT);
        for secret in SECRETS {
            let Some(value) = server["env"][secret].as_str() else { continue };
            let id = value.strip_prefix("${input:").and_then(|v| v.strip_suffix('}')).unwrap_or_else(|| {
                panic!("{secret} must come from an input prompt, not be written in the file")
            });
            let input = inputs.iter().find(|i| i["id"] == id).unwrap_or_else(|| panic!("input {id} missing"));
            assert_eq!(input["type"], "promptString");
            assert_eq!(input["password"], true, "input {id} must be a password prompt");
        }
    }
}

/// The container and Kubernetes examples set only variables the binary reads, and keep the
/// secrets out of the manifest.
#[test]
fn container_and_kubernetes_examples_name_real_variables() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    for file in ["container/Dockerfile", "kubernetes/tracker-mcp.yaml"] {
        let text = std::fs::read_to_string(root.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let names: Vec<&str> = text
            .split(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
            .filter(|w| {
                ["TRACKER_MCP_", "REDMINE_", "BUGZILLA_", "BITBUCKET_"].iter().any(|p| w.starts_with(p))
            })
            .collect();
        assert!(!names.is_empty(), "{file}");
        for name in names {
            assert!(VARIABLES.iter().any(|(v, _)| *v == name), "{file}: {name} is not read by tracker-mcp");
        }
    }
    let manifest = std::fs::read_to_string(root.join("kubernetes/tracker-mcp.yaml")).expect("manifest");
    for secret in ["REDMINE_API_KEY", "TRACKER_MCP_HTTP_TOKEN"] {
        let at = manifest.find(&format!("name: {secret}\n")).unwrap_or_else(|| panic!("{secret}"));
        assert!(
            manifest[at..].lines().nth(1).is_some_and(|l| l.contains("secretKeyRef")),
            "{secret} must come from a Secret"
        );
    }
}
