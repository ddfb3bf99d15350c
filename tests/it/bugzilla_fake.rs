//! Bugzilla edge cases against wiremock fakes that record every request: where the key goes in
//! each mode, that detection runs once per process, and errors the real servers only give in
//! races.

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::common::Server;

const KEY: &str = "FAKEBZKEY-0123456789abcdef0123456789abcd";

fn bug_json(id: u64, status: &str) -> Value {
    json!({"bugs": [{
        "id": id, "summary": "Fake bug", "status": status, "resolution": "", "alias": [],
        "product": "Alpha", "component": "Backend", "version": "1.0", "priority": "High",
        "severity": "major", "assigned_to": "a@x.test", "creator": "a@x.test", "cc": [],
        "keywords": [], "blocks": [], "depends_on": [], "dupe_of": null, "flags": [],
        "creation_time": "2025-01-06T09:00:00Z", "last_change_time": "2025-01-07T10:00:00Z"
    }], "faults": []})
}

/// `/rest/user` as stock 5.2 answers it: logged out (505) unless `api_key` is in the query.
struct UserMatch {
    honours_header: bool,
}

impl Respond for UserMatch {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let key_in_query = request.url.query_pairs().any(|(k, v)| k == "api_key" && v == KEY);
        if self.honours_header || key_in_query {
            ResponseTemplate::new(200).set_body_json(json!({"users": []}))
        } else {
            ResponseTemplate::new(401).set_body_json(json!({"error": true, "code": 505, "message": "Logged-out users cannot use the \"match\" argument"}))
        }
    }
}

async fn fake(honours_header: bool) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(path("/rest/user")).respond_with(UserMatch { honours_header }).mount(&server).await;
    Mock::given(method("GET"))
        .and(path("/rest/bug/1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(bug_json(1, "CONFIRMED")))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/rest/bug/1/comment"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 77})))
        .mount(&server)
        .await;
    Mock::given(path("/rest/version"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"version": if honours_header { "5.3.3" } else { "5.2" }})),
        )
        .mount(&server)
        .await;
    server
}

async fn session(upstream: &MockServer, mode: Option<&str>) -> String {
    let uri = upstream.uri();
    let mut env = vec![
        ("TRACKER_MCP_MODE", "development"),
        ("TRACKER_MCP_ENABLE_WRITES", "true"),
        ("RUST_LOG", "trace"),
        ("BUGZILLA_URL", uri.as_str()),
        ("BUGZILLA_API_KEY", KEY),
    ];
    if let Some(mode) = mode {
        env.push(("BUGZILLA_API_KEY_MODE", mode));
    }
    let (mut s, _) = Server::start(&env).await;
    s.ok("bugzilla_get_bug", json!({"ids": [1]})).await;
    s.ok("bugzilla_get_bug", json!({"ids": [1]})).await;
    let added = s.ok("bugzilla_add_comment", json!({"bug": 1, "comment": "hello"})).await;
    assert!(added.contains("Added comment 77 to bug 1"), "{added}");
    let (_, stdout, stderr) = s.finish().await;
    assert!(!stdout.contains(KEY) && !stderr.contains(KEY), "the key leaked into the output");
    stderr
}

struct Seen {
    url: String,
    header: bool,
    body_key: bool,
    method: String,
}

async fn seen(upstream: &MockServer) -> Vec<Seen> {
    upstream
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| Seen {
            url: r.url.to_string(),
            header: r.headers.get("x-bugzilla-api-key").and_then(|v| v.to_str().ok()) == Some(KEY),
            body_key: serde_json::from_slice::<Value>(&r.body).ok().and_then(|b| b.get("api_key").cloned())
                == Some(json!(KEY)),
            method: r.method.to_string(),
        })
        .collect()
}

#[tokio::test]
async fn bugzilla_auto_mode_adds_the_query_key_only_where_the_header_is_ignored() {
    // 5.2-like: the probe fails logged out, so reads carry api_key; detection runs once.
    let old = fake(false).await;
    session(&old, None).await;
    let requests = seen(&old).await;
    assert!(requests.iter().all(|r| r.header), "the header is always sent");
    let probes: Vec<_> = requests.iter().filter(|r| r.url.contains("tracker-mcp-key-probe")).collect();
    assert_eq!(probes.len(), 1, "detection runs once per process");
    assert!(!probes[0].url.contains("api_key"), "the probe is header-only");
    let reads: Vec<_> =
        requests.iter().filter(|r| r.url.contains("/rest/bug/1") && r.method == "GET").collect();
    assert_eq!(reads.len(), 2);
    assert!(reads.iter().all(|r| r.url.contains(&format!("api_key={KEY}"))), "5.2 reads need api_key");
    let write = requests.iter().find(|r| r.method == "POST").expect("the comment");
    assert!(write.body_key && !write.url.contains("api_key"), "writes carry the key in the body only");

    // 5.3.3-like: the header is honoured, so no URL ever carries the key.
    let new = fake(true).await;
    session(&new, None).await;
    let requests = seen(&new).await;
    assert!(requests.iter().all(|r| r.header && !r.url.contains("api_key")), "no key in any URL");
    assert!(requests.iter().any(|r| r.method == "POST" && r.body_key));
}

#[tokio::test]
async fn bugzilla_forced_modes_skip_detection() {
    let upstream = fake(false).await;
    session(&upstream, Some("param")).await;
    let requests = seen(&upstream).await;
    assert!(!requests.iter().any(|r| r.url.contains("tracker-mcp-key-probe")), "no probe in param mode");
    assert!(requests.iter().filter(|r| r.method == "GET").all(|r| r.url.contains("api_key=")));

    // header: the key only ever travels in the header, writes included.
    let upstream = fake(true).await;
    session(&upstream, Some("header")).await;
    let requests = seen(&upstream).await;
    assert!(requests.iter().all(|r| r.header && !r.body_key && !r.url.contains("api_key")));
    assert!(!requests.iter().any(|r| r.url.contains("tracker-mcp-key-probe")));
}

/// Someone resolved the bug between our workflow check and the PUT: Bugzilla answers 123
/// (5.3.3 style: the code as a string) and the message names what is allowed.
#[tokio::test]
async fn bugzilla_a_refused_transition_names_the_allowed_statuses() {
    let upstream = fake(true).await;
    Mock::given(method("GET"))
        .and(path("/rest/bug/9"))
        .respond_with(ResponseTemplate::new(200).set_body_json(bug_json(9, "IN_PROGRESS")))
        .mount(&upstream)
        .await;
    Mock::given(path("/rest/field/bug/bug_status"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"fields": [{"name": "bug_status", "values": [
            {"name": null, "can_change_to": [{"name": "CONFIRMED", "comment_required": false}]},
            {"name": "CONFIRMED", "is_open": true, "can_change_to": [{"name": "IN_PROGRESS", "comment_required": false}]},
            {"name": "IN_PROGRESS", "is_open": true, "can_change_to": [{"name": "CONFIRMED", "comment_required": false}]},
            {"name": "RESOLVED", "is_open": false, "can_change_to": [
                {"name": "CONFIRMED", "comment_required": false}, {"name": "VERIFIED", "comment_required": true}]},
            {"name": "VERIFIED", "is_open": false, "can_change_to": [{"name": "CONFIRMED", "comment_required": false}]}
        ]}]})))
        .mount(&upstream)
        .await;
    Mock::given(method("PUT"))
        .and(path("/rest/bug/9"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": true, "code": "123",
            "message": "You are not allowed to change the bug status from RESOLVED to IN_PROGRESS."})))
        .mount(&upstream)
        .await;
    let uri = upstream.uri();
    let env = [
        ("TRACKER_MCP_MODE", "development"),
        ("TRACKER_MCP_ENABLE_WRITES", "true"),
        ("BUGZILLA_URL", uri.as_str()),
        ("BUGZILLA_API_KEY", KEY),
    ];
    let (mut s, _) = Server::start(&env).await;
    let text =
        s.err("bugzilla_update_bug", json!({"bug": 9, "status": "IN_PROGRESS", "priority": "Low"})).await;
    assert!(
        text.contains("RESOLVED -> IN_PROGRESS is not allowed; allowed from RESOLVED: CONFIRMED, VERIFIED (needs a comment)"),
        "{text}"
    );
    // A transition whose comment is required is refused before anything is sent.
    Mock::given(method("GET"))
        .and(path("/rest/bug/10"))
        .respond_with(ResponseTemplate::new(200).set_body_json(bug_json(10, "RESOLVED")))
        .mount(&upstream)
        .await;
    let text = s.err("bugzilla_update_bug", json!({"bug": 10, "status": "VERIFIED"})).await;
    assert!(text.contains("`comment`") && text.contains("RESOLVED -> VERIFIED requires a comment"), "{text}");
    s.finish().await;
    let puts = seen(&upstream).await.into_iter().filter(|r| r.method == "PUT").count();
    assert_eq!(puts, 1, "the refused-before-sending update sent nothing");
}

/// An empty success is "not found or not visible", never an empty result.
#[tokio::test]
async fn bugzilla_empty_answers_are_not_found() {
    let upstream = fake(true).await;
    Mock::given(path("/rest/bug/3"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"bugs": [], "faults": []})))
        .mount(&upstream)
        .await;
    Mock::given(path("/rest/bug/3/comment"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"bugs": {}, "comments": {}})))
        .mount(&upstream)
        .await;
    Mock::given(path("/rest/product"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"products": []})))
        .mount(&upstream)
        .await;
    let uri = upstream.uri();
    let env =
        [("TRACKER_MCP_MODE", "development"), ("BUGZILLA_URL", uri.as_str()), ("BUGZILLA_API_KEY", KEY)];
    let (mut s, _) = Server::start(&env).await;
    for (tool, args) in [
        ("bugzilla_get_bug", json!({"ids": [3]})),
        ("bugzilla_get_comments", json!({"bug": 3})),
        ("bugzilla_get_product", json!({"product": "Secret"})),
    ] {
        let text = s.err(tool, args).await;
        assert!(text.contains("not found or is not visible"), "{tool}: {text}");
    }
    s.finish().await;
}

/// Custom fields and comment-required transitions, which the seeded instances do not have.
#[tokio::test]
async fn bugzilla_field_values_show_custom_fields_and_required_comments() {
    let upstream = fake(true).await;
    Mock::given(path("/rest/field/bug"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"fields": [
            {"name": "bug_status", "display_name": "Status", "values": [
                {"name": null, "can_change_to": [{"name": "NEW", "comment_required": false}]},
                {"name": "NEW", "is_open": true, "can_change_to": [{"name": "CLOSED", "comment_required": true}]},
                {"name": "CLOSED", "is_open": false, "can_change_to": []}]},
            {"name": "priority", "display_name": "Priority", "values": [{"name": "P1"}, {"name": "P2"}]},
            {"name": "cf_branch", "display_name": "Branch", "is_custom": true, "is_mandatory": true, "type": 2,
             "values": [{"name": "main"}, {"name": "stable", "is_active": true}, {"name": "old", "is_active": false}]},
            {"name": "cf_notes", "display_name": "Notes", "is_custom": true, "type": 4, "values": []},
            {"name": "days_elapsed", "display_name": "Days since bug changed", "values": []}
        ]})))
        .mount(&upstream)
        .await;
    let uri = upstream.uri();
    let env =
        [("TRACKER_MCP_MODE", "development"), ("BUGZILLA_URL", uri.as_str()), ("BUGZILLA_API_KEY", KEY)];
    let (mut s, _) = Server::start(&env).await;
    let text = s.ok("bugzilla_get_field_values", json!({})).await;
    for needle in [
        "Statuses: open NEW; closed CLOSED",
        "NEW -> CLOSED*",
        "Priority (priority): P1, P2",
        "Branch (cf_branch) [custom, required]: main, stable",
        "Notes (cf_notes) [custom]: free text",
    ] {
        assert!(text.contains(needle), "{needle:?} missing in:\n{text}");
    }
    assert!(!text.contains("old") && !text.contains("days_elapsed"), "{text}");
    assert!(text.starts_with("Statuses:"), "the workflow comes first:\n{text}");
    s.finish().await;
}

#[tokio::test]
async fn bugzilla_custom_select_fields_take_only_their_legal_values() {
    let upstream = fake(true).await;
    let branch = json!({"fields": [{"name": "cf_branch", "display_name": "Branch", "is_custom": true, "type": 2,
        "values": [{"name": "main"}, {"name": "stable", "is_active": true}, {"name": "old", "is_active": false}]}]});
    Mock::given(path("/rest/field/bug/cf_branch"))
        .respond_with(ResponseTemplate::new(200).set_body_json(branch))
        .mount(&upstream)
        .await;
    Mock::given(path("/rest/field/bug/cf_notes"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"fields": [
            {"name": "cf_notes", "display_name": "Notes", "is_custom": true, "type": 4, "values": []}]})))
        .mount(&upstream)
        .await;
    Mock::given(method("PUT"))
        .and(path("/rest/bug/1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"bugs": [{"id": 1, "alias": [],
            "changes": {"cf_branch": {"removed": "main", "added": "stable"}, "cf_notes": {"removed": "", "added": "hello"}}}]})))
        .mount(&upstream)
        .await;
    let uri = upstream.uri();
    let env = [
        ("TRACKER_MCP_MODE", "development"),
        ("TRACKER_MCP_ENABLE_WRITES", "true"),
        ("BUGZILLA_URL", uri.as_str()),
        ("BUGZILLA_API_KEY", KEY),
    ];
    let (mut s, _) = Server::start(&env).await;
    // An inactive value is refused before anything is sent, naming the legal ones.
    let err = s.err("bugzilla_update_bug", json!({"bug": 1, "fields": {"cf_branch": "old"}})).await;
    assert!(
        err.contains("`fields`")
            && err.contains("cf_branch: 'old' is not a legal value; legal values: main, stable"),
        "{err}"
    );
    let text = s
        .ok("bugzilla_update_bug", json!({"bug": 1, "fields": {"cf_branch": "stable", "cf_notes": "hello"}}))
        .await;
    assert!(text.contains("Updated bug 1: cf_branch: main -> stable; cf_notes: +hello"), "{text}");
    let puts: Vec<Value> = upstream
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.method.as_str() == "PUT")
        .filter_map(|r| serde_json::from_slice(&r.body).ok())
        .collect();
    assert_eq!(puts.len(), 1, "only the legal update is sent: {puts:?}");
    assert_eq!(puts[0]["cf_branch"], "stable");
    assert_eq!(puts[0]["cf_notes"], "hello");
    s.finish().await;
}
