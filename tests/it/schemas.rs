//! What the model sees of every tool: one reviewed snapshot per tool, and the metadata rules
//! every tool must follow.

use serde_json::Value;

use crate::common::Server;
use crate::protocol::ALL_TRACKERS;

/// Every tool of every tracker, writes included (Bitbucket as Cloud, which has the most).
pub async fn all_tools() -> Vec<Value> {
    let mut env = ALL_TRACKERS.to_vec();
    env.push(("TRACKER_MCP_ENABLE_WRITES", "true"));
    let (mut server, _) = Server::start(&env).await;
    let tools = server.tools().await;
    server.finish().await;
    tools
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
    for tool in &tools {
        let name = tool["name"].as_str().expect("name");
        assert!(name.len() <= 48, "{name} is longer than 48 characters");
        let (tracker, rest) = name.split_once('_').expect("tracker prefix");
        assert!(crate::common::tracker_names().contains(&tracker), "{name}: unknown tracker prefix");
        assert!(rest.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{name}: not snake_case");
        let description = tool["description"].as_str().unwrap_or_default();
        assert!(description.len() >= 40, "{name}: description too short");
        let annotations = &tool["annotations"];
        for hint in ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"] {
            assert!(annotations[hint].is_boolean(), "{name}: {hint} not set explicitly");
        }
        assert!(annotations["title"].is_string(), "{name}: no title");
        if annotations["readOnlyHint"] == true {
            assert_eq!(annotations["destructiveHint"], false, "{name}: a read cannot be destructive");
        }
        let schema = &tool["inputSchema"];
        assert_eq!(schema["type"], "object", "{name}: schema root must be an object");
        for combinator in ["anyOf", "oneOf", "allOf"] {
            assert!(schema.get(combinator).is_none(), "{name}: top-level {combinator}");
        }
        if let Some(properties) = schema["properties"].as_object() {
            for (arg, spec) in properties {
                assert!(
                    spec.get("description").is_some() || spec.get("$ref").is_some(),
                    "{name}.{arg}: argument without a description"
                );
            }
        }
    }
}
