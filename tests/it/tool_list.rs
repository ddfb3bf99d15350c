//! A small tool list: tool sets narrow it per tracker and area, every tool belongs to one
//! set, and the whole list stays within a byte budget.

use std::collections::BTreeSet;

use serde_json::json;
use tracker_mcp::tracker::TRACKERS;

use crate::common::{Server, run};
use crate::protocol::ALL_TRACKERS;
use crate::schemas::all_operations;

/// Bytes of the `tools/list` result with all three trackers (Bitbucket Cloud) and writes on,
/// and of the default read-only list: issue 15's budget, for every capability of this and the
/// coming issues. Operations are listed as methods of a few tools per resource
/// (`src/catalog.rs`), so a new operation costs a description line, not a whole tool.
const TOOLS_LIST_BUDGET: usize = 30_000;
const READ_ONLY_BUDGET: usize = 20_000;

/// True by construction (a tool set is a router), kept as a guard: no tool is in two sets, a
/// set is named after its tracker, and the sets of all trackers (Bitbucket Cloud, writes on)
/// are exactly what is served.
#[tokio::test]
async fn every_tool_belongs_to_exactly_one_tool_set() {
    let served: BTreeSet<String> =
        all_operations().iter().map(|t| t["name"].as_str().expect("name").to_owned()).collect();
    let mut listed = BTreeSet::new();
    for spec in TRACKERS {
        for set in spec.toolsets {
            assert!(set.name.starts_with(&format!("{}:", spec.name)), "{}", set.name);
            for tool in (set.router)().list_all() {
                assert!(tool.name.starts_with(&format!("{}_", spec.name)), "{} in {}", tool.name, set.name);
                assert!(listed.insert(tool.name.to_string()), "{} is in two tool sets", tool.name);
            }
        }
    }
    assert_eq!(served, listed, "the trackers' tool sets must hold exactly the served tools");
}

#[tokio::test]
async fn tool_sets_narrow_the_list() {
    let mut env = ALL_TRACKERS.to_vec();
    env.push(("TRACKER_MCP_ENABLE_WRITES", "true"));
    env.push(("TRACKER_MCP_TOOLSETS", "redmine:wiki,bitbucket:pull_requests"));
    let (mut server, _) = Server::start(&env).await;
    let names = server.operation_names().await;
    server.finish().await;
    assert!(names.contains(&"redmine_update_wiki_page".to_owned()));
    assert!(names.contains(&"redmine_whoami".to_owned()), "core comes with any area");
    assert!(names.contains(&"bitbucket_merge_pull_request".to_owned()));
    assert!(!names.iter().any(|n| n.starts_with("bugzilla_")), "{names:?}");
    assert!(!names.contains(&"redmine_get_issue".to_owned()));
    assert!(!names.contains(&"bitbucket_list_issues".to_owned()));
}

#[tokio::test]
async fn an_unknown_tool_set_is_a_startup_error() {
    let mut env = ALL_TRACKERS.to_vec();
    env.push(("TRACKER_MCP_TOOLSETS", "redmine:tickets"));
    let (code, _, stderr) = run(&["tools"], &env).await;
    assert_eq!(code, 2);
    assert!(stderr.contains("redmine:tickets") && stderr.contains("redmine:issues"), "{stderr}");
}

#[tokio::test]
async fn the_full_tool_list_stays_within_its_budget() {
    let mut env = ALL_TRACKERS.to_vec();
    env.push(("TRACKER_MCP_ENABLE_WRITES", "true"));
    for (env, budget) in [(env, TOOLS_LIST_BUDGET), (ALL_TRACKERS.to_vec(), READ_ONLY_BUDGET)] {
        let (mut server, _) = Server::start(&env).await;
        let answer = server.request("tools/list", json!({})).await;
        server.finish().await;
        let bytes = answer["result"].to_string().len();
        let tools = answer["result"]["tools"].as_array().map_or(0, Vec::len);
        eprintln!("tools/list: {tools} tools, {bytes} bytes (budget {budget})");
        assert!(bytes <= budget, "tools/list is {bytes} bytes, over the {budget}-byte budget");
    }
}

#[tokio::test]
async fn every_write_tool_offers_a_dry_run() {
    for tool in all_operations() {
        if tool["annotations"]["readOnlyHint"] == true {
            continue;
        }
        let name = tool["name"].as_str().expect("name");
        let dry_run = &tool["inputSchema"]["properties"]["dry_run"];
        assert_eq!(dry_run["type"], "boolean", "{name} has no boolean `dry_run`");
    }
}
