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
    // Security review, info: none of these got an answer, so a client waited forever.
    let unreadable = [
        ("this is not json", -32700),
        ("{\"jsonrpc\":\"2.0\",\"id\":", -32700),
        (
            r#"{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"x","arguments":{"a":"\ud800"}}}"#,
            -32700,
        ),
        (r#"{"jsonrpc":"2.0","id":1e400,"method":"tools/list"}"#, -32700),
        ("[]", -32600),
        (r#"{"jsonrpc":"2.0","id":{"no":"object ids"},"method":"tools/list"}"#, -32600),
    ];
    for (line, code) in unreadable {
        server.send_raw(line).await;
        let answer = server.read_message().await.expect("an answer");
        assert_eq!(answer["error"]["code"], code, "{line} -> {answer}");
        assert!(answer["id"].is_null(), "{answer}");
    }
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    server.send_raw(&deep).await;
    assert_eq!(server.read_message().await.expect("an answer")["error"]["code"], -32700);
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
    let mut writes: Vec<String> = all
        .iter()
        .filter(|t| t["annotations"]["readOnlyHint"] != true)
        .map(|t| t["name"].as_str().expect("name").to_owned())
        .collect();
    writable.finish().await;
    // ... and the write operations by their own names.
    let read_ops = crate::schemas::operations(ALL_TRACKERS);
    writes.extend(
        crate::schemas::operations(&env)
            .iter()
            .map(|t| t["name"].as_str().expect("name").to_owned())
            .filter(|name| !read_ops.iter().any(|r| r["name"] == name.as_str())),
    );
    assert!(writes.len() > 20, "{writes:?}");

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

/// A Redmine fake whose whoami answers after `delay`.
async fn slow_redmine(delay: std::time::Duration) -> wiremock::MockServer {
    use wiremock::matchers::path;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    Mock::given(path("/users/current.json"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(
                    json!({"user": {"id": 1, "login": "admin", "firstname": "A", "lastname": "B"}}),
                )
                .set_delay(delay),
        )
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_request_before_initialize_gets_an_error_and_initialize_still_works() {
    let mut server = Server::spawn(ALL_TRACKERS);
    server.send_raw(r#"{"jsonrpc":"2.0","id":"early","method":"tools/list","params":{}}"#).await;
    let answer = server.wait_for(&json!("early")).await;
    assert!(answer["error"]["code"].is_i64(), "{answer}");
    server.initialize().await;
    assert!(!server.tool_names().await.is_empty());
    server.finish().await;
}

#[tokio::test]
async fn a_multi_megabyte_line_is_answered_and_the_server_keeps_serving() {
    let (mut server, _) = Server::start(ALL_TRACKERS).await;
    let huge = "x".repeat(6 * 1024 * 1024);
    let answer = server.call_raw("redmine_whoami", json!({"note": huge})).await;
    assert!(answer.get("result").is_some() || answer.get("error").is_some(), "answered");
    assert!(!server.tool_names().await.is_empty());
    let (_, stdout, _) = server.finish().await;
    assert!(stdout.len() < 64 * 1024, "the huge argument was not echoed back");
}

#[tokio::test]
async fn duplicate_ids_and_a_flood_of_concurrent_calls_are_all_answered() {
    let upstream = slow_redmine(std::time::Duration::from_millis(20)).await;
    let uri = upstream.uri();
    let env = [
        ("TRACKER_MCP_MODE", "development"),
        ("TRACKER_MCP_RATE_LIMIT", "100000"),
        ("REDMINE_URL", &uri[..]),
        ("REDMINE_API_KEY", "flood-key-1234"),
    ];
    let (mut server, _) = Server::start(&env).await;
    for _ in 0..2 {
        server
            .send_raw(r#"{"jsonrpc":"2.0","id":"dup","method":"tools/call","params":{"name":"redmine_whoami","arguments":{}}}"#)
            .await;
    }
    for id in 0..200 {
        let line = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                          "params": {"name": "redmine_whoami", "arguments": {}}});
        server.send_raw(&line.to_string()).await;
    }
    let mut pending: std::collections::HashSet<i64> = (0..200).collect();
    let mut duplicates = 0;
    while !pending.is_empty() {
        let message = server.read_message().await.expect("answers");
        match message["id"].as_i64() {
            Some(id) => {
                assert_eq!(message["result"]["isError"], false, "{message}");
                pending.remove(&id);
            }
            None if message["id"] == "dup" => duplicates += 1,
            None => {}
        }
    }
    assert!(!server.tool_names().await.is_empty());
    let (ok, _, stderr) = server.finish().await;
    assert!(ok, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(duplicates <= 2);
}

#[tokio::test]
async fn a_cancelled_call_is_not_answered_and_the_next_one_is() {
    let upstream = slow_redmine(std::time::Duration::from_secs(2)).await;
    let uri = upstream.uri();
    let env = [
        ("TRACKER_MCP_MODE", "development"),
        ("REDMINE_URL", &uri[..]),
        ("REDMINE_API_KEY", "cancel-key-1234"),
    ];
    let (mut server, _) = Server::start(&env).await;
    server
        .send_raw(r#"{"jsonrpc":"2.0","id":"slow","method":"tools/call","params":{"name":"redmine_whoami","arguments":{}}}"#)
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    server.notify("notifications/cancelled", json!({"requestId": "slow", "reason": "user cancelled"})).await;
    assert!(!server.tool_names().await.is_empty());
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let (_, stdout, _) = server.finish().await;
    assert!(!stdout.contains(r#""id":"slow""#), "a cancelled call was answered: {stdout}");
}

#[tokio::test]
async fn eof_in_the_middle_of_a_request_exits_cleanly() {
    let (mut server, _) = Server::start(ALL_TRACKERS).await;
    server.send_raw(r#"{"jsonrpc":"2.0","id":9,"method":"tools/li"#).await;
    let (ok, stdout, stderr) = server.finish().await;
    assert!(ok, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for line in stdout.lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("stdout is JSON only");
    }
}

/// A Redmine fake whose key belongs to John Smith.
async fn jsmith_redmine() -> wiremock::MockServer {
    let upstream = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::path("/users/current.json"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(json!({"user": {
            "id": 5, "login": "jsmith", "firstname": "John", "lastname": "Smith"}})))
        .mount(&upstream)
        .await;
    upstream
}

/// Wait until the background credential check has sent its `requests` and had time to log.
async fn background_check_done(upstream: &wiremock::MockServer, requests: usize) {
    for _ in 0..100 {
        if upstream.received_requests().await.unwrap_or_default().len() >= requests {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
}

#[tokio::test]
async fn credentials_are_verified_in_the_background_at_start() {
    let upstream = jsmith_redmine().await;
    wiremock::Mock::given(wiremock::matchers::path("/2.0/user"))
        .respond_with(wiremock::ResponseTemplate::new(401))
        .mount(&upstream)
        .await;
    let uri = upstream.uri();
    let env = [
        ("TRACKER_MCP_MODE", "development"),
        ("TRACKER_MCP_VERIFY_ON_START", "true"),
        ("REDMINE_URL", &uri[..]),
        ("REDMINE_API_KEY", "verify-key-1234"),
        ("BITBUCKET_URL", &uri[..]),
        ("BITBUCKET_FLAVOR", "cloud"),
        ("BITBUCKET_TOKEN", "bad-token-1234"),
    ];
    let (server, _) = Server::start(&env).await;
    // Let the background check finish, then stop.
    background_check_done(&upstream, 2).await;
    let (_, _, stderr) = server.finish().await;
    assert!(stderr.contains("credential verified: Acting as John Smith"), "{stderr}");
    assert!(stderr.contains("CREDENTIAL CHECK FAILED") && stderr.contains("bitbucket"), "{stderr}");
    assert!(!stderr.contains("bad-token-1234"));
}

#[tokio::test]
async fn the_credential_check_waits_until_the_client_is_initialized() {
    let upstream = jsmith_redmine().await;
    let uri = upstream.uri();
    let env = [
        ("TRACKER_MCP_MODE", "development"),
        ("TRACKER_MCP_VERIFY_ON_START", "true"),
        ("REDMINE_URL", &uri[..]),
        ("REDMINE_API_KEY", "identity-key-1234"),
    ];
    // Issue 15 item 4: nothing competes with the `initialize` answer. The check (its TLS
    // set-up and requests) starts on `notifications/initialized`; the instructions say where
    // to ask who the server acts as.
    let mut server = Server::spawn(&env);
    let answer = server
        .request(
            "initialize",
            json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}),
        )
        .await;
    let instructions = answer["result"]["instructions"].as_str().expect("instructions");
    assert!(instructions.contains("*_whoami"), "{instructions}");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(upstream.received_requests().await.unwrap_or_default().is_empty(), "checked before initialized");
    server.notify("notifications/initialized", json!({})).await;
    background_check_done(&upstream, 1).await;
    let (_, _, stderr) = server.finish().await;
    assert!(stderr.contains("credential verified: Acting as John Smith"), "{stderr}");
}

#[tokio::test]
async fn the_2026_lifecycle_without_initialize_is_served() {
    let mut server = Server::spawn(ALL_TRACKERS);
    let meta = json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                      "io.modelcontextprotocol/clientCapabilities": {}});
    let discover = server.request("server/discover", json!({"_meta": meta})).await;
    let result = &discover["result"];
    assert!(
        result["supportedVersions"].as_array().is_some_and(|v| v.contains(&json!("2026-07-28"))),
        "{discover}"
    );
    assert!(result["instructions"].as_str().is_some_and(|i| i.contains("Redmine at")), "{discover}");
    if let Some(info) = result.get("serverInfo") {
        assert_eq!(info["name"], "tracker-mcp");
    }
    let list = server.request("tools/list", json!({"_meta": meta})).await;
    assert!(list["result"]["tools"].as_array().is_some_and(|t| !t.is_empty()), "{list}");
    let call = server
        .request("tools/call", json!({"_meta": meta, "name": "redmine_get_issue", "arguments": {"id": -3}}))
        .await;
    assert_eq!(call["result"]["isError"], true, "{call}");
    server.finish().await;
}

#[tokio::test]
async fn initialize_at_2025_11_25_is_answered_in_kind() {
    let mut server = Server::spawn(ALL_TRACKERS);
    let answer = server
        .request(
            "initialize",
            json!({"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}),
        )
        .await;
    assert_eq!(answer["result"]["protocolVersion"], "2025-11-25", "{answer}");
    assert_eq!(answer["result"]["serverInfo"]["name"], "tracker-mcp");
    server.finish().await;
}

/// Issue 15 item 3: prompts for the daily work, only for the trackers configured, naming the
/// listed tools; a missing argument is an error naming it.
#[tokio::test]
async fn prompts_are_listed_per_tracker_and_filled_in() {
    let (mut server, init) = Server::start(ALL_TRACKERS).await;
    assert!(init["capabilities"]["prompts"].is_object(), "{init}");
    let list = server.request("prompts/list", json!({})).await;
    let names: Vec<&str> = list["result"]["prompts"]
        .as_array()
        .expect("prompts")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(names, ["review_pull_request", "triage_bug", "triage_issue", "waiting_for_me", "my_week"]);
    let review = server
        .request(
            "prompts/get",
            json!({"name": "review_pull_request", "arguments": {"workspace": "acme", "repo": "web", "pull_request_id": "7"}}),
        )
        .await;
    let text = review["result"]["messages"][0]["content"]["text"].as_str().expect("text");
    assert!(text.contains("#7 of acme/web") && text.contains("bitbucket_pull_request_read"), "{review}");
    let missing = server.request("prompts/get", json!({"name": "triage_bug", "arguments": {}})).await;
    assert_eq!(missing["error"]["code"], -32602, "{missing}");
    assert!(missing["error"]["message"].as_str().expect("message").contains("`bug`"), "{missing}");
    server.finish().await;

    let (mut redmine, _) = Server::start(&[
        ("TRACKER_MCP_MODE", "development"),
        ("REDMINE_URL", "http://127.0.0.1:9"),
        ("REDMINE_API_KEY", "k-0000"),
    ])
    .await;
    let list = redmine.request("prompts/list", json!({})).await;
    let names: Vec<&str> = list["result"]["prompts"]
        .as_array()
        .expect("prompts")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(names, ["triage_issue", "waiting_for_me", "my_week"]);
    let week = redmine.request("prompts/get", json!({"name": "my_week"})).await;
    let text = week["result"]["messages"][0]["content"]["text"].as_str().expect("text");
    assert!(text.contains("redmine_time_read") && !text.contains("bitbucket"), "{week}");
    redmine.finish().await;
}
