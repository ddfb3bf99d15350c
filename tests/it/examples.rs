//! The client configuration snippets in `examples/` are ready to paste: each is in its
//! client's real format, launches `tracker-mcp`, and sets only variables the binary reads.

use std::path::Path;

use serde_json::Value;
use tracker_mcp::config::VARIABLES;

const SECRETS: &[&str] = &["BUGZILLA_API_KEY", "REDMINE_API_KEY", "BITBUCKET_TOKEN"];

fn load(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name} is not valid JSON: {e}"))
}

fn check_server(file: &str, server: &Value) {
    assert_eq!(server["command"], "tracker-mcp", "{file}: must launch tracker-mcp");
    assert!(server["args"].as_array().is_some_and(Vec::is_empty), "{file}: serve takes no arguments");
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
            check_server(file, server);
        }
    }
}

#[test]
fn vscode_uses_servers_and_password_inputs_for_secrets() {
    let config = load("vscode-mcp.json");
    let servers = config["servers"].as_object().expect("servers");
    let inputs = config["inputs"].as_array().expect("inputs");
    for server in servers.values() {
        assert_eq!(server["type"], "stdio");
        check_server("vscode-mcp.json", server);
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
