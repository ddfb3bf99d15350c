//! Per-user credentials (`TRACKER_MCP_HTTP_CREDENTIALS=per-user`): each request's own
//! `X-Redmine-API-Key` reaches Redmine, two callers of one server (even of one session) see
//! what their own keys allow, a request without the header is refused naming it with nothing
//! sent upstream (never the server's key as a fallback), and no caller key reaches the log,
//! the audit trail or a result.

use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer};

use super::{Remote, TOKEN, initialize, message, request};
use crate::common::fake::{ok, upstream};
use crate::common::{live, tool_text};

const VARS: &[&str] = &["REDMINE_URL", "REDMINE_API_KEY", "REDMINE_USER_API_KEY"];
/// The server's own key in the fake tests: configured, and never to be sent in per-user mode.
const SERVER_KEY: &str = "rm-server-key-never-sent-7e6d5c";
const CALLER_KEY: &str = "rm-caller-key-3c2b1a0f9e8d";

fn call(id: u64, tool: &str, arguments: Value) -> String {
    request(id, "tools/call", json!({"name": tool, "arguments": arguments}))
}

/// A stateless call with `key` (if any) in `X-Redmine-API-Key`; the tool's text.
async fn stateless_call(server: &Remote, key: Option<&str>, body: String) -> (Value, String) {
    let mut post = server.post(Some(TOKEN), body).header("mcp-protocol-version", "2025-06-18");
    if let Some(key) = key {
        post = post.header("X-Redmine-API-Key", key);
    }
    let answer = message(post.send().await.expect("send")).await;
    let text = tool_text(&answer["result"]);
    (answer, text)
}

#[tokio::test]
async fn two_callers_of_one_session_see_what_their_own_keys_allow() {
    let Some(v) = live("redmine", VARS) else { return };
    let (admin_key, user_key) = (v["REDMINE_API_KEY"].as_str(), v["REDMINE_USER_API_KEY"].as_str());
    let dir = std::env::temp_dir().join(format!("tracker-mcp-per-user-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let audit = dir.join("audit.jsonl");
    let audit_path = audit.display().to_string();
    // No REDMINE_API_KEY: in per-user mode the URL alone serves Redmine.
    let env = [
        ("TRACKER_MCP_MODE", "development"),
        ("REDMINE_URL", v["REDMINE_URL"].as_str()),
        ("TRACKER_MCP_HTTP_CREDENTIALS", "per-user"),
        ("TRACKER_MCP_AUDIT_LOG", audit_path.as_str()),
    ];
    let server = Remote::start(&env, &[]).await;
    // The session is opened with the admin's key...
    let answer = server
        .post(Some(TOKEN), initialize(1))
        .header("X-Redmine-API-Key", admin_key)
        .send()
        .await
        .expect("send");
    let session = answer.headers()["mcp-session-id"].to_str().expect("ascii").to_owned();
    assert!(message(answer).await["result"]["serverInfo"].is_object());
    let post = |body: String, key: Option<&str>| {
        let mut post = server
            .post(Some(TOKEN), body)
            .header("mcp-session-id", &session)
            .header("mcp-protocol-version", "2025-06-18");
        if let Some(key) = key {
            post = post.header("X-Redmine-API-Key", key);
        }
        post
    };
    let note = json!({"jsonrpc": "2.0", "method": "notifications/initialized"}).to_string();
    assert_eq!(post(note, Some(admin_key)).send().await.expect("send").status(), 202);
    let projects = json!({"method": "list"});
    let text = |answer: Value| tool_text(&answer["result"]);
    let admin_me = text(
        message(post(call(2, "redmine_whoami", json!({})), Some(admin_key)).send().await.expect("send"))
            .await,
    );
    assert!(admin_me.contains("login admin") && admin_me.contains("administrator"), "{admin_me}");
    let admin_projects = text(
        message(
            post(call(3, "redmine_project_read", projects.clone()), Some(admin_key))
                .send()
                .await
                .expect("send"),
        )
        .await,
    );
    assert!(admin_projects.contains("`beta`"), "the admin sees the private project: {admin_projects}");
    // ...and a later request of the same session with jsmith's key acts as jsmith.
    let user_me = text(
        message(post(call(4, "redmine_whoami", json!({})), Some(user_key)).send().await.expect("send")).await,
    );
    assert!(user_me.contains("login jsmith") && !user_me.contains("administrator"), "{user_me}");
    let user_projects = text(
        message(post(call(5, "redmine_project_read", projects), Some(user_key)).send().await.expect("send"))
            .await,
    );
    assert!(user_projects.contains("`alpha`") && !user_projects.contains("`beta`"), "{user_projects}");
    // Without the header the session's earlier keys are not reused: refused, naming it.
    let bare = message(post(call(6, "redmine_whoami", json!({})), None).send().await.expect("send")).await;
    assert_eq!(bare["result"]["isError"], true, "{bare}");
    let refusal = text(bare);
    assert!(refusal.contains("X-Redmine-API-Key") && refusal.contains("nothing was sent"), "{refusal}");
    let (clean, stderr) = server.terminate().await;
    assert!(clean, "{stderr}");
    assert!(stderr.contains("per-user credentials"), "the mode is announced: {stderr}");
    assert!(!stderr.contains("credential verified"), "no start-up check without a caller: {stderr}");
    let log = std::fs::read_to_string(&audit).expect("audit log");
    for secret in [admin_key, user_key, TOKEN] {
        for (what, text) in
            [("stderr", &stderr), ("audit log", &log), ("answer", &admin_me), ("answer", &user_me)]
        {
            assert!(!text.contains(secret), "a secret reached the {what}: {text}");
        }
    }
    let lines: Vec<Value> = log.lines().map(|l| serde_json::from_str(l).expect("json")).collect();
    assert_eq!(lines.len(), 5, "{log}");
    assert!(lines.iter().all(|l| l["caller"] == "static token"), "{log}");
    assert_eq!(lines[4]["outcome"], "error", "{log}");
    std::fs::remove_dir_all(&dir).ok();
}

/// A stateless per-user server for the live Redmine at `url`, without a key of its own.
async fn stateless_server(url: &str) -> Remote {
    let env = [
        ("TRACKER_MCP_MODE", "development"),
        ("REDMINE_URL", url),
        ("TRACKER_MCP_HTTP_CREDENTIALS", "per-user"),
    ];
    Remote::start(&env, &["--http-stateless"]).await
}

#[tokio::test]
async fn stateless_per_user_calls_use_each_requests_key() {
    let Some(v) = live("redmine", VARS) else { return };
    let server = stateless_server(&v["REDMINE_URL"]).await;
    let whoami = || call(1, "redmine_whoami", json!({}));
    let (_, admin) = stateless_call(&server, Some(&v["REDMINE_API_KEY"]), whoami()).await;
    assert!(admin.contains("login admin"), "{admin}");
    let (_, user) = stateless_call(&server, Some(&v["REDMINE_USER_API_KEY"]), whoami()).await;
    assert!(user.contains("login jsmith"), "{user}");
    let (answer, refusal) = stateless_call(&server, None, whoami()).await;
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    assert!(refusal.contains("X-Redmine-API-Key"), "{refusal}");
    let (_, bad) = stateless_call(&server, Some("0000000000000000000000000000000000000bad"), whoami()).await;
    assert!(!bad.contains("login admin") && !bad.contains("login jsmith"), "a bad key is no one: {bad}");
    let (clean, stderr) = server.terminate().await;
    assert!(clean && !stderr.contains(&v["REDMINE_API_KEY"]) && !stderr.contains(&v["REDMINE_USER_API_KEY"]));
}

/// What one caller's key could read is cached for that caller only: the admin's custom field
/// definitions (administrators only) are not served to jsmith from the cache, and the admin
/// still gets them after jsmith's refusal.
#[tokio::test]
async fn one_callers_cached_definitions_are_not_served_to_another() {
    let Some(v) = live("redmine", VARS) else { return };
    let server = stateless_server(&v["REDMINE_URL"]).await;
    let enumerations = || call(1, "redmine_project_read", json!({"method": "enumerations"}));
    let (_, admin) = stateless_call(&server, Some(&v["REDMINE_API_KEY"]), enumerations()).await;
    assert!(admin.contains("Custom fields: 1 "), "the admin reads the definitions: {admin}");
    let (_, user) = stateless_call(&server, Some(&v["REDMINE_USER_API_KEY"]), enumerations()).await;
    assert!(
        user.contains("visible to administrators only") && !user.contains("Custom fields: 1 "),
        "jsmith must not get the admin's cached definitions: {user}"
    );
    let (_, again) = stateless_call(&server, Some(&v["REDMINE_API_KEY"]), enumerations()).await;
    assert!(again.contains("Custom fields: 1 "), "{again}");
    let (clean, stderr) = server.terminate().await;
    assert!(clean, "{stderr}");
}

/// A fake that answers `whoami` for the caller's key only.
async fn fake() -> MockServer {
    let fake = upstream().await;
    Mock::given(method("GET"))
        .and(path("/users/current.json"))
        .and(header("x-redmine-api-key", CALLER_KEY))
        .respond_with(ok(json!({"user": {"id": 7, "login": "ann", "firstname": "Ann", "lastname": "Caller", "admin": false}})))
        .mount(&fake)
        .await;
    fake
}

#[tokio::test]
async fn without_the_header_nothing_reaches_the_tracker_and_the_servers_key_is_never_sent() {
    let fake = fake().await;
    let uri = fake.uri();
    let env = [
        ("TRACKER_MCP_MODE", "development"),
        ("REDMINE_URL", uri.as_str()),
        // Configured, yet never sent: per-user mode has no fallback.
        ("REDMINE_API_KEY", SERVER_KEY),
        ("TRACKER_MCP_HTTP_CREDENTIALS", "per-user"),
    ];
    let server = Remote::start(&env, &["--http-stateless"]).await;
    let (answer, refusal) = stateless_call(&server, None, call(1, "redmine_whoami", json!({}))).await;
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    assert!(refusal.contains("X-Redmine-API-Key") && refusal.contains("never used"), "{refusal}");
    let received = fake.received_requests().await.expect("recorded");
    assert!(received.is_empty(), "a refused call reached the tracker: {received:?}");
    // The MCP bearer token is not a tracker credential either.
    let (_, text) = stateless_call(&server, None, call(2, "redmine_whoami", json!({}))).await;
    assert!(text.contains("X-Redmine-API-Key"), "{text}");
    let (_, me) = stateless_call(&server, Some(CALLER_KEY), call(3, "redmine_whoami", json!({}))).await;
    assert!(me.contains("login ann"), "{me}");
    for request in fake.received_requests().await.expect("recorded") {
        let sent: Vec<_> = request.headers.get_all("x-redmine-api-key").iter().collect();
        assert_eq!(sent.len(), 1, "{request:?}");
        assert_eq!(sent[0], CALLER_KEY, "only the caller's key reaches the tracker");
        assert!(!request.headers.contains_key("authorization"), "the MCP token never goes upstream");
    }
    let (clean, stderr) = server.terminate().await;
    assert!(clean);
    for secret in [CALLER_KEY, SERVER_KEY, TOKEN] {
        assert!(!stderr.contains(secret) && !me.contains(secret), "a secret leaked: {stderr}");
    }
}

#[tokio::test]
async fn per_user_mode_is_checked_and_documented() {
    let (code, _, stderr) = crate::common::run(
        &["serve", "--http", "127.0.0.1:0"],
        &[
            ("REDMINE_URL", "https://r.test"),
            ("TRACKER_MCP_HTTP_TOKEN", TOKEN),
            ("TRACKER_MCP_HTTP_CREDENTIALS", "callers"),
        ],
    )
    .await;
    assert_ne!(code, 0);
    assert!(stderr.contains("TRACKER_MCP_HTTP_CREDENTIALS"), "{stderr}");
    let (_, help, _) = crate::common::run(&["--help"], &[]).await;
    assert!(help.contains("TRACKER_MCP_HTTP_CREDENTIALS"), "{help}");
}

/// Bug 7 is in the `secret-access` group: the admin sees it, jsmith does not. On 5.2 the
/// caller's key also travels as `api_key` (the instance ignores the header), on 5.3.3 in the
/// header only.
#[tokio::test]
async fn bugzilla_callers_see_what_their_own_keys_allow_on_both_versions() {
    for bz in crate::bugzilla::instances() {
        let env = [
            ("TRACKER_MCP_MODE", "development"),
            ("BUGZILLA_URL", bz.url.as_str()),
            ("TRACKER_MCP_HTTP_CREDENTIALS", "per-user"),
        ];
        let server = Remote::start(&env, &["--http-stateless"]).await;
        let get_bug = |key: Option<&str>| {
            let mut post = server
                .post(Some(TOKEN), call(1, "bugzilla_bug_read", json!({"method": "get", "ids": [7]})))
                .header("mcp-protocol-version", "2025-06-18");
            if let Some(key) = key {
                post = post.header("X-Bugzilla-API-Key", key);
            }
            post
        };
        let text = |answer: Value| tool_text(&answer["result"]);
        let admin = text(message(get_bug(Some(&bz.admin_key)).send().await.expect("send")).await);
        assert!(admin.contains("Bug 7: Embargoed"), "{}: {admin}", bz.version);
        let user = text(message(get_bug(Some(&bz.user_key)).send().await.expect("send")).await);
        assert!(user.contains("bug 7 is not visible to this account"), "{}: {user}", bz.version);
        let refusal = text(message(get_bug(None).send().await.expect("send")).await);
        assert!(
            refusal.contains("X-Bugzilla-API-Key") && refusal.contains("nothing was sent"),
            "{}: {refusal}",
            bz.version
        );
        let (clean, stderr) = server.terminate().await;
        assert!(clean, "{stderr}");
        for secret in [&bz.admin_key, &bz.user_key] {
            for text in [&stderr, &admin, &user] {
                assert!(!text.contains(secret.as_str()), "{}: a key leaked: {text}", bz.version);
            }
        }
    }
}

/// Bitbucket (a fake that answers anything): the caller's token travels as a Bearer token,
/// with `X-Bitbucket-Username` as Basic auth; without the header nothing is sent.
#[tokio::test]
async fn bitbucket_callers_send_their_own_token_as_bearer_or_basic() {
    use base64::Engine as _;
    let fake = upstream().await;
    Mock::given(method("GET"))
        .respond_with(ok(
            json!({"display_name": "Ann", "uuid": "{ann}", "account_id": "1", "nickname": "ann"}),
        ))
        .mount(&fake)
        .await;
    let uri = fake.uri();
    let env = [
        ("TRACKER_MCP_MODE", "development"),
        ("BITBUCKET_URL", uri.as_str()),
        ("BITBUCKET_FLAVOR", "cloud"),
        ("TRACKER_MCP_HTTP_CREDENTIALS", "per-user"),
    ];
    let server = Remote::start(&env, &["--http-stateless"]).await;
    let whoami = |headers: &[(&str, &str)]| {
        let mut post = server
            .post(Some(TOKEN), call(1, "bitbucket_whoami", json!({})))
            .header("mcp-protocol-version", "2025-06-18");
        for (name, value) in headers {
            post = post.header(*name, *value);
        }
        post
    };
    let refusal = tool_text(&message(whoami(&[]).send().await.expect("send")).await["result"]);
    assert!(refusal.contains("X-Bitbucket-Token"), "{refusal}");
    assert!(fake.received_requests().await.expect("recorded").is_empty(), "a refused call went upstream");
    message(whoami(&[("X-Bitbucket-Token", "bb-caller-token-1")]).send().await.expect("send")).await;
    let sent = fake.received_requests().await.expect("recorded");
    assert!(!sent.is_empty());
    assert!(sent.iter().all(|r| r.headers["authorization"] == "Bearer bb-caller-token-1"), "{sent:?}");
    let before = sent.len();
    let headers = [("X-Bitbucket-Token", "bb-caller-token-2"), ("X-Bitbucket-Username", "ann@example.test")];
    message(whoami(&headers).send().await.expect("send")).await;
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("ann@example.test:bb-caller-token-2")
    );
    let sent = fake.received_requests().await.expect("recorded");
    assert!(sent[before..].iter().all(|r| r.headers["authorization"] == basic.as_str()), "{sent:?}");
    let (clean, stderr) = server.terminate().await;
    assert!(clean && !stderr.contains("bb-caller-token") && !stderr.contains(&basic[6..]), "{stderr}");
}
