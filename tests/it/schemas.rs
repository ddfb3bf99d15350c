//! What the model sees of every tool: one reviewed snapshot per listed tool, and the metadata
//! rules every listed tool and every operation behind them must follow.

use serde_json::Value;
use tracker_mcp::config::{Config, Sources};
use tracker_mcp::server::TrackerServer;

use crate::common::Server;
use crate::protocol::ALL_TRACKERS;

/// Every listed tool of every tracker, writes included (Bitbucket as Cloud, which has the most).
pub async fn all_tools() -> Vec<Value> {
    let mut env = ALL_TRACKERS.to_vec();
    env.push(("TRACKER_MCP_ENABLE_WRITES", "true"));
    let (mut server, _) = Server::start(&env).await;
    let tools = server.tools().await;
    server.finish().await;
    tools
}

/// The operations a configuration serves (what the listed tools' methods run), each with its
/// own schema and annotations, read from the server built in-process.
pub fn operations(env: &[(&str, &str)]) -> Vec<Value> {
    let config = Config::from_sources(&Sources::from_pairs(env.iter().copied())).expect("config");
    let server = TrackerServer::new(&config).expect("server");
    server.operations().iter().map(|t| serde_json::to_value(t).expect("json")).collect()
}

/// Every operation of every tracker, writes included (Bitbucket as Cloud).
pub fn all_operations() -> Vec<Value> {
    let mut env = ALL_TRACKERS.to_vec();
    env.push(("TRACKER_MCP_ENABLE_WRITES", "true"));
    operations(&env)
}

/// Issue 15 item 2: one `type` per property, no type arrays, no combinators or references,
/// anywhere in a listed schema.
fn assert_portable(name: &str, path: &str, node: &Value) {
    if let Some(object) = node.as_object() {
        for key in ["anyOf", "oneOf", "allOf", "$ref", "$defs", "definitions"] {
            assert!(!object.contains_key(key), "{name}: `{key}` at {path}");
        }
        if let Some(t) = object.get("type") {
            assert!(t.is_string(), "{name}: type array at {path}: {t}");
        }
        for (key, child) in object {
            assert_portable(name, &format!("{path}/{key}"), child);
        }
    }
}

#[tokio::test]
async fn every_tool_schema_matches_its_snapshot() {
    for tool in all_tools().await {
        let name = tool["name"].as_str().expect("name").to_owned();
        insta::assert_json_snapshot!(name, tool);
    }
}

#[tokio::test]
async fn every_tool_follows_the_metadata_rules() {
    let tools = all_tools().await;
    assert!(!tools.is_empty());
    // A listed argument may go without a description only where its operations' said nothing
    // but its name ("Task id." of `task_id`): the list drops those.
    let restated = |arg: &str| {
        all_operations().iter().any(|op| {
            op["inputSchema"]["properties"][arg]["description"]
                .as_str()
                .is_some_and(|d| d.trim().trim_end_matches('.').to_lowercase() == arg.replace('_', " "))
        })
    };
    for tool in &tools {
        let name = tool["name"].as_str().expect("name");
        assert!(name.len() <= 48, "{name} is longer than 48 characters");
        let (tracker, rest) = name.split_once('_').expect("tracker prefix");
        assert!(crate::common::tracker_names().contains(&tracker), "{name}: unknown tracker prefix");
        assert!(rest.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{name}: not snake_case");
        let description = tool["description"].as_str().unwrap_or_default();
        assert!(description.len() >= 40, "{name}: description too short");
        let annotations = &tool["annotations"];
        assert!(annotations["title"].is_string(), "{name}: no title");
        assert!(annotations["readOnlyHint"].is_boolean(), "{name}: readOnlyHint not set explicitly");
        if annotations["readOnlyHint"] == true {
            // The other hints mean nothing for a read and are left out (bytes in every context).
            for hint in ["destructiveHint", "idempotentHint"] {
                assert!(annotations.get(hint).is_none(), "{name}: {hint} on a read");
            }
        }
        let schema = &tool["inputSchema"];
        assert_eq!(schema["type"], "object", "{name}: schema root must be an object");
        assert_portable(name, "", schema);
        if let Some(properties) = schema["properties"].as_object() {
            for (arg, spec) in properties {
                let described = spec.get("description").is_some()
                    || arg == "method" && spec["enum"].is_array()
                    || restated(arg);
                assert!(described, "{name}.{arg}: argument without a description");
            }
        }
        if schema["properties"].get("method").is_some() {
            for method in schema["properties"]["method"]["enum"].as_array().expect("methods") {
                let line = format!("\n- {}: ", method.as_str().expect("method"));
                assert!(description.contains(&line), "{name}: method {method} not described");
            }
        }
    }
    // The operations keep every hint explicit: their annotations are what the listed tools'
    // are derived from.
    for op in all_operations() {
        let name = op["name"].as_str().expect("name");
        let annotations = &op["annotations"];
        for hint in ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"] {
            assert!(annotations[hint].is_boolean(), "{name}: {hint} not set explicitly");
        }
        if annotations["readOnlyHint"] == true {
            assert_eq!(annotations["destructiveHint"], false, "{name}: a read cannot be destructive");
        }
        for (arg, spec) in op["inputSchema"]["properties"].as_object().into_iter().flatten() {
            assert!(spec.get("description").is_some(), "{name}.{arg}: argument without a description");
        }
    }
}
