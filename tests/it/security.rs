//! The security promises, tried against local HTTP servers: no secret in any output, the
//! credential never sent to another origin, timeouts and HTML error pages explained.

use std::time::Duration;

use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::common::{Server, run};

const BZ_KEY: &str = "BZSECRET-8f1e2d3c4b5a69788796a5b4c3d2e1f0";
const RM_KEY: &str = "RMSECRET-0a1b2c3d4e5f60718293a4b5c6d7e8f9";
const BB_TOKEN: &str = "BBSECRET-ffeeddccbbaa99887766554433221100";
/// `base64("bob:" + BB_TOKEN)`: the Basic header's value.
const BASIC: &str = "Ym9iOkJCU0VDUkVULWZmZWVkZGNjYmJhYTk5ODg3NzY2NTU0NDMzMjIxMTAw";

/// Answers with every request header and the full URL in the body (a hostile or careless
/// upstream), in an HTML page.
struct EchoRequest(u16);

impl Respond for EchoRequest {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut page = format!("<html><body><h1>Error</h1><p>url: {}</p><pre>", request.url);
        for (name, value) in &request.headers {
            page.push_str(&format!("{name}: {}\n", value.to_str().unwrap_or_default()));
        }
        page.push_str("</pre></body></html>");
        ResponseTemplate::new(self.0).set_body_raw(page, "text/html")
    }
}

fn assert_clean(what: &str, text: &str) {
    for secret in [BZ_KEY, RM_KEY, BB_TOKEN] {
        assert!(!text.contains(secret), "{what} leaked a secret:\n{text}");
        // Not even a recognisable half of it.
        assert!(!text.contains(&secret[..20]), "{what} leaked part of a secret:\n{text}");
    }
}

#[tokio::test]
async fn secrets_never_appear_in_results_stdout_or_stderr() {
    let upstream = MockServer::start().await;
    // Redmine: a 401 whose body echoes the request, headers included.
    Mock::given(path("/users/current.json")).respond_with(EchoRequest(401)).mount(&upstream).await;
    // Bugzilla: an HTML 500 page that echoes the URL (which carries the key in param mode).
    Mock::given(path("/rest/version")).respond_with(EchoRequest(500)).mount(&upstream).await;
    // Bitbucket: slower than the timeout.
    Mock::given(path("/2.0/user"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .mount(&upstream)
        .await;
    let uri = upstream.uri();
    let env = [
        ("TRACKER_MCP_MODE", "development"),
        ("RUST_LOG", "trace"),
        ("TRACKER_MCP_TIMEOUT_SECS", "1"),
        ("BUGZILLA_URL", &uri[..]),
        ("BUGZILLA_API_KEY", BZ_KEY),
        ("BUGZILLA_API_KEY_MODE", "param"),
        ("REDMINE_URL", &uri[..]),
        ("REDMINE_API_KEY", RM_KEY),
        ("BITBUCKET_URL", &uri[..]),
        ("BITBUCKET_TOKEN", BB_TOKEN),
        ("BITBUCKET_FLAVOR", "cloud"),
    ];
    let (mut server, _) = Server::start(&env).await;
    let redmine = server.err("redmine_whoami", json!({})).await;
    assert!(redmine.contains("401"), "{redmine}");
    let bugzilla = server.err("bugzilla_whoami", json!({})).await;
    assert!(bugzilla.contains("500") && !bugzilla.contains('<'), "{bugzilla}");
    let bitbucket = server.err("bitbucket_whoami", json!({})).await;
    assert!(bitbucket.contains("did not answer within 1s"), "{bitbucket}");
    // Bad arguments and unknown tools go through the error paths too.
    server.call_raw("redmine_whoami", json!({"id": BZ_KEY})).await;
    server.call_raw("no_such_tool", json!({"key": RM_KEY})).await;
    let (_, stdout, stderr) = server.finish().await;
    assert_clean("stdout", &stdout);
    assert_clean("stderr", &stderr);

    // The same through `check`.
    let (code, stdout, stderr) = run(&["check"], &env).await;
    assert_eq!(code, 1);
    assert_clean("check stdout", &stdout);
    assert_clean("check stderr", &stderr);
}

/// Answers 200 with the credential it received echoed in every field a renderer shows: as
/// sent, upper-cased, lower-cased (a URL parser lowercases hosts) and, for Basic, the header.
struct EchoCredential;

impl Respond for EchoCredential {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let header = |name: &str| {
            request.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
        };
        let key = format!("{}{}", header("x-redmine-api-key"), header("authorization"));
        let echo = format!("{key} {} {}", key.to_uppercase(), key.to_lowercase());
        let body = match request.url.path() {
            "/users/current.json" => {
                json!({"user": {"id": 1, "login": echo, "firstname": echo, "lastname": "x"}})
            }
            "/2.0/user" => json!({"display_name": echo, "nickname": echo, "account_id": "1"}),
            _ => {
                json!({"issue": {"id": 1, "subject": echo, "description": echo, "author": {"id": 1, "name": echo},
                "project": {"id": 1, "name": "p"}, "tracker": {"id": 1, "name": "Bug"}, "status": {"id": 1, "name": "New"},
                "priority": {"id": 1, "name": "Normal"}, "created_on": "2025-01-07T10:00:00Z", "updated_on": "2025-01-07T10:00:00Z",
                "journals": [{"id": 2, "user": {"id": 1, "name": "u"}, "notes": echo, "created_on": "2025-01-07T10:00:00Z", "details": []}]}})
            }
        };
        ResponseTemplate::new(200).set_body_json(body)
    }
}

/// Security review findings 4 and 6: secrets were masked in errors only, never in a
/// successful result, `check` or whoami, and not at all in case-changed or base64 copies.
#[tokio::test]
async fn secrets_echoed_in_successful_answers_are_masked_in_every_form() {
    let upstream = MockServer::start().await;
    Mock::given(method("GET")).respond_with(EchoCredential).mount(&upstream).await;
    let uri = upstream.uri();
    let env = [
        ("TRACKER_MCP_MODE", "development"),
        ("REDMINE_URL", &uri[..]),
        ("REDMINE_API_KEY", RM_KEY),
        ("BITBUCKET_URL", &uri[..]),
        ("BITBUCKET_TOKEN", BB_TOKEN),
        ("BITBUCKET_USERNAME", "bob"),
        ("BITBUCKET_FLAVOR", "cloud"),
    ];
    let lower = |s: &str| s.to_lowercase();
    let assert_masked = |what: &str, text: &str| {
        assert_clean(what, text);
        for secret in [RM_KEY, BB_TOKEN] {
            assert!(
                !lower(text).contains(&lower(&secret[..20])),
                "{what} leaked a case-changed secret:\n{text}"
            );
        }
        // base64("bob:" + BB_TOKEN), as the Basic header carries it.
        assert!(!text.contains(BASIC), "{what} leaked the Basic header:\n{text}");
    };
    let (mut server, _) = Server::start(&env).await;
    for (tool, args) in [
        ("redmine_whoami", json!({})),
        ("redmine_get_issue", json!({"id": 1})),
        ("bitbucket_whoami", json!({})),
    ] {
        let text = server.ok(tool, args).await;
        assert!(text.contains("[REDACTED]"), "{tool}: the echo was not shown at all:\n{text}");
        assert_masked(tool, &text);
    }
    let (_, stdout, stderr) = server.finish().await;
    assert_masked("stdout", &stdout);
    assert_masked("stderr", &stderr);
    let (code, stdout, stderr) = run(&["check"], &env).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("[REDACTED]"), "{stdout}");
    assert_masked("check stdout", &stdout);
}

/// Security review finding 5: two comments numbered 0 and 10,000,000 made a 99 MB result.
#[tokio::test]
async fn a_comment_gap_from_the_upstream_stays_one_short_line() {
    let upstream = MockServer::start().await;
    let comment = |id: u64, count: u64| {
        json!({"id": id, "bug_id": 1, "count": count, "text": "t", "creator": "a@x.test",
               "creation_time": "2025-01-06T09:00:00Z", "is_private": false})
    };
    Mock::given(path("/rest/bug/1/comment"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"bugs": {"1": {"comments": [
            comment(1, 0), comment(2, 10_000_000), comment(3, u64::MAX)
        ]}}, "comments": {}})))
        .mount(&upstream)
        .await;
    let uri = upstream.uri();
    let env = [
        ("TRACKER_MCP_MODE", "development"),
        ("BUGZILLA_URL", &uri[..]),
        ("BUGZILLA_API_KEY", BZ_KEY),
        ("BUGZILLA_API_KEY_MODE", "header"),
    ];
    let (mut server, _) = Server::start(&env).await;
    let text = server.ok("bugzilla_get_comments", json!({"bug": 1})).await;
    server.finish().await;
    assert!(text.len() < 5_000, "{} bytes", text.len());
    assert!(text.contains("#1, #2") && text.contains("more are not visible"), "{text}");
}

#[tokio::test]
async fn refused_urls_are_not_echoed() {
    let (code, stdout, stderr) =
        run(&[], &[("REDMINE_URL", &format!("https://admin:{RM_KEY}@r.test")), ("REDMINE_API_KEY", RM_KEY)])
            .await;
    assert_eq!(code, 2);
    assert_clean("stdout", &stdout);
    assert_clean("stderr", &stderr);
}

#[tokio::test]
async fn the_credential_is_not_sent_to_another_origin() {
    let elsewhere = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"user": {"id": 1}})))
        .mount(&elsewhere)
        .await;
    let tracker = MockServer::start().await;
    Mock::given(path("/users/current.json"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("Location", format!("{}/users/current.json", elsewhere.uri())),
        )
        .mount(&tracker)
        .await;
    let uri = tracker.uri();
    let env = [("TRACKER_MCP_MODE", "development"), ("REDMINE_URL", &uri[..]), ("REDMINE_API_KEY", RM_KEY)];
    let (mut server, _) = Server::start(&env).await;
    let text = server.err("redmine_whoami", json!({})).await;
    assert!(text.contains("redirected to") && text.contains("not followed"), "{text}");
    server.finish().await;
    let received = elsewhere.received_requests().await.unwrap_or_default();
    assert!(received.is_empty(), "the other origin got {} request(s)", received.len());
}

#[tokio::test]
async fn same_origin_redirects_are_followed() {
    let tracker = MockServer::start().await;
    Mock::given(path("/users/current.json"))
        .respond_with(ResponseTemplate::new(301).insert_header("Location", "/redmine/users/current.json"))
        .mount(&tracker)
        .await;
    Mock::given(path("/redmine/users/current.json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"user": {
            "id": 1, "login": "admin", "firstname": "Redmine", "lastname": "Admin", "admin": true
        }})))
        .mount(&tracker)
        .await;
    let uri = tracker.uri();
    let env = [("TRACKER_MCP_MODE", "development"), ("REDMINE_URL", &uri[..]), ("REDMINE_API_KEY", RM_KEY)];
    let (mut server, _) = Server::start(&env).await;
    let text = server.ok("redmine_whoami", json!({})).await;
    assert!(text.contains("Redmine Admin"), "{text}");
    server.finish().await;
}

#[tokio::test]
async fn gets_are_retried_on_503_and_writes_are_not() {
    let tracker = MockServer::start().await;
    Mock::given(path("/users/current.json"))
        .respond_with(ResponseTemplate::new(503).insert_header("Retry-After", "0"))
        .up_to_n_times(1)
        .mount(&tracker)
        .await;
    Mock::given(path("/users/current.json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"user": {"id": 1, "login": "admin", "firstname": "Ann", "lastname": "Admin"}}),
        ))
        .mount(&tracker)
        .await;
    let uri = tracker.uri();
    let env = [("TRACKER_MCP_MODE", "development"), ("REDMINE_URL", &uri[..]), ("REDMINE_API_KEY", RM_KEY)];
    let (mut server, _) = Server::start(&env).await;
    server.ok("redmine_whoami", json!({})).await;
    server.finish().await;
    assert_eq!(tracker.received_requests().await.unwrap_or_default().len(), 2);

    // A write that meets the same 503 is sent once and reported, never repeated blindly.
    let upstream = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2.0/repositories/acme/web/pullrequests/7/approve"))
        .respond_with(ResponseTemplate::new(503).insert_header("Retry-After", "0"))
        .mount(&upstream)
        .await;
    let uri = upstream.uri();
    let env = [
        ("TRACKER_MCP_MODE", "development"),
        ("TRACKER_MCP_ENABLE_WRITES", "true"),
        ("BITBUCKET_URL", &uri[..]),
        ("BITBUCKET_FLAVOR", "cloud"),
        ("BITBUCKET_TOKEN", BB_TOKEN),
    ];
    let (mut server, _) = Server::start(&env).await;
    let text = server
        .err(
            "bitbucket_approve_pull_request",
            json!({"workspace": "acme", "repo": "web", "pull_request_id": 7}),
        )
        .await;
    assert!(text.contains("503"), "{text}");
    server.finish().await;
    assert_eq!(upstream.received_requests().await.unwrap_or_default().len(), 1, "a write was retried");
}

#[tokio::test]
async fn a_429_beyond_the_budget_is_reported_not_retried() {
    let tracker = MockServer::start().await;
    Mock::given(path("/users/current.json"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "120"))
        .mount(&tracker)
        .await;
    let uri = tracker.uri();
    let env = [("TRACKER_MCP_MODE", "development"), ("REDMINE_URL", &uri[..]), ("REDMINE_API_KEY", RM_KEY)];
    let (mut server, _) = Server::start(&env).await;
    let text = server.err("redmine_whoami", json!({})).await;
    assert!(text.contains("rate limiting") && text.contains("120s"), "{text}");
    server.finish().await;
    assert_eq!(tracker.received_requests().await.unwrap_or_default().len(), 1);
}

#[tokio::test]
async fn oversized_responses_are_refused() {
    let tracker = MockServer::start().await;
    Mock::given(path("/users/current.json"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(vec![b'x'; 64 * 1024], "application/json"))
        .mount(&tracker)
        .await;
    let uri = tracker.uri();
    let env = [
        ("TRACKER_MCP_MODE", "development"),
        ("TRACKER_MCP_MAX_RESPONSE_BYTES", "4096"),
        ("REDMINE_URL", &uri[..]),
        ("REDMINE_API_KEY", RM_KEY),
    ];
    let (mut server, _) = Server::start(&env).await;
    let text = server.err("redmine_whoami", json!({})).await;
    assert!(text.contains("larger than 4096 bytes"), "{text}");
    server.finish().await;
}

#[tokio::test]
async fn requests_carry_the_user_agent_and_the_credential_header() {
    let tracker = MockServer::start().await;
    Mock::given(path("/users/current.json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"user": {"id": 1, "login": "admin", "firstname": "Ann", "lastname": "Admin"}}),
        ))
        .mount(&tracker)
        .await;
    let uri = tracker.uri();
    let env = [("TRACKER_MCP_MODE", "development"), ("REDMINE_URL", &uri[..]), ("REDMINE_API_KEY", RM_KEY)];
    let (mut server, _) = Server::start(&env).await;
    server.ok("redmine_whoami", json!({})).await;
    server.finish().await;
    let requests = tracker.received_requests().await.unwrap_or_default();
    let request = requests.first().expect("one request");
    assert_eq!(request.headers["user-agent"], format!("tracker-mcp/{}", env!("CARGO_PKG_VERSION")));
    assert_eq!(request.headers["x-redmine-api-key"], RM_KEY);
    assert!(request.url.query().is_none(), "no key in the URL");
}
