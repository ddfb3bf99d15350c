//! The MCP surface over stdio: identity, instructions, tool listing, unknown tools, garbage
//! input, EOF.

use serde_json::json;

use crate::common::Server;

/// All three trackers configured against a closed local port (nothing is called).
pub const ALL_TRACKERS: &[(&str, &str)] = &[
    ("TRACKER_MCP_MODE", "development"),
    ("BUGZILLA_URL", "http://127.0.0.1:9"),
    ("BUGZILLA_API_KEY", "bz-test-key-0000"),
    ("REDMINE_URL", "http://127.0.0.1:9"),
    ("REDMINE_API_KEY", "rm-test-key-0000"),
    ("BITBUCKET_URL", "http://127.0.0.1:9"),
    ("BITBUCKET_TOKEN", "bb-test-token-0000"),
    ("BITBUCKET_FLAVOR", "cloud"),
];

#[tokio::test]
async fn initialize_names_this_server_and_its_trackers() {
    let (server, init) = Server::start(ALL_TRACKERS).await;
    // rmcp's default would report {"name":"rmcp"}.
    assert_eq!(init["serverInfo"]["name"], "tracker-mcp");
    assert_eq!(init["serverInfo"]["version"], env!("CARGO_PKG_VERSION"));
    assert!(init["capabilities"]["tools"].is_object());
    let instructions = init["instructions"].as_str().expect("instructions");
    for needle in ["Bugzilla at http://127.0.0.1:9", "Redmine at", "Bitbucket Cloud at", "Read-only"] {
        assert!(instructions.contains(needle), "{needle} missing from {instructions}");
    }
    let (ok, _, _) = server.finish().await;
    assert!(ok);
}

#[tokio::test]
async fn instructions_say_when_writes_are_on() {
    let mut env = ALL_TRACKERS.to_vec();
    env.push(("TRACKER_MCP_ENABLE_WRITES", "true"));
    let (server, init) = Server::start(&env).await;
    assert!(init["instructions"].as_str().expect("instructions").contains("Writes are enabled"));
    server.finish().await;
}

#[tokio::test]
async fn tools_list_only_configured_trackers() {
    let (mut server, _) = Server::start(&[
        ("TRACKER_MCP_MODE", "development"),
        ("REDMINE_URL", "http://127.0.0.1:9"),
        ("REDMINE_API_KEY", "k-0000"),
    ])
    .await;
    let names = server.tool_names().await;
    assert!(!names.is_empty());
    assert!(names.iter().all(|n| n.starts_with("redmine_")), "{names:?}");
    server.finish().await;
}

#[tokio::test]
async fn unknown_tool_is_a_protocol_error_and_the_server_keeps_serving() {
    let (mut server, _) = Server::start(ALL_TRACKERS).await;
    let answer = server.call_raw("no_such_tool", json!({})).await;
    assert_eq!(answer["error"]["code"], -32602, "{answer}");
    assert!(!server.tool_names().await.is_empty());
    server.finish().await;
}

#[tokio::test]
async fn malformed_lines_do_not_stop_the_server() {
    let (mut server, _) = Server::start(ALL_TRACKERS).await;
    server.send_raw("this is not json").await;
    server.send_raw("{\"jsonrpc\":\"2.0\",\"id\":").await;
    server.send_raw("[]").await;
    server.send_raw("{\"jsonrpc\":\"2.0\",\"id\":77,\"method\":\"no/such/method\"}").await;
    let answer = server.wait_for(&json!(77)).await;
    assert!(answer["error"]["code"].is_i64(), "{answer}");
    assert!(!server.tool_names().await.is_empty(), "still serving after garbage");
    let (_, stdout, _) = server.finish().await;
    for line in stdout.lines() {
        let value: serde_json::Value = serde_json::from_str(line).expect("stdout is JSON only");
        assert_eq!(value["jsonrpc"], "2.0");
    }
}

#[tokio::test]
async fn eof_shuts_down_cleanly() {
    let (server, _) = Server::start(ALL_TRACKERS).await;
    let started = std::time::Instant::now();
    let (ok, _, stderr) = server.finish().await;
    assert!(ok, "exit status after EOF; stderr: {stderr}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}

#[tokio::test]
async fn eof_before_initialize_exits() {
    let server = Server::spawn(ALL_TRACKERS);
    let (_, stdout, _) = server.finish().await;
    assert!(stdout.is_empty(), "nothing on stdout without a request: {stdout}");
}

#[tokio::test]
async fn writes_are_neither_listed_nor_callable_when_disabled() {
    let (mut read_only, _) = Server::start(ALL_TRACKERS).await;
    let tools = read_only.tools().await;
    for tool in &tools {
        assert_eq!(tool["annotations"]["readOnlyHint"], true, "write tool listed in read-only mode: {tool}");
    }
    read_only.finish().await;

    let mut env = ALL_TRACKERS.to_vec();
    env.push(("TRACKER_MCP_ENABLE_WRITES", "true"));
    let (mut writable, _) = Server::start(&env).await;
    let all = writable.tools().await;
    let writes: Vec<String> = all
        .iter()
        .filter(|t| t["annotations"]["readOnlyHint"] != true)
        .map(|t| t["name"].as_str().expect("name").to_owned())
        .collect();
    writable.finish().await;

    let (mut read_only, _) = Server::start(ALL_TRACKERS).await;
    for name in writes {
        let answer = read_only.call_raw(&name, json!({})).await;
        assert_eq!(answer["error"]["code"], -32602, "{name} callable in read-only mode: {answer}");
    }
    read_only.finish().await;
}

#[tokio::test]
async fn allow_and_deny_globs_filter_tools() {
    let mut env = ALL_TRACKERS.to_vec();
    env.push(("TRACKER_MCP_TOOLS", "redmine_*,bugzilla_*"));
    env.push(("TRACKER_MCP_DENY_TOOLS", "bugzilla_*"));
    let (mut server, _) = Server::start(&env).await;
    let names = server.tool_names().await;
    assert!(!names.is_empty());
    assert!(names.iter().all(|n| n.starts_with("redmine_")), "{names:?}");
    server.finish().await;
}
