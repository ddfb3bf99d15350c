//! `TRACKER_MCP_WRITE_SCOPE` limits every write tool of Bitbucket to the named repositories;
//! reads are unaffected, nothing is sent outside the scope, and an entry that cannot apply
//! (Redmine, Bugzilla) is refused at start.

use serde_json::json;
use wiremock::MockServer;

use crate::common::fake::upstream;
use crate::common::{Server, dev_env};

async fn server(upstream: &MockServer, scope: Option<&str>) -> Server {
    let uri = upstream.uri();
    let mut env = dev_env(
        &[
            ("BITBUCKET_URL", &uri[..]),
            ("BITBUCKET_FLAVOR", "cloud"),
            ("BITBUCKET_TOKEN", "scope-token-1234"),
        ],
        true,
    );
    if let Some(scope) = scope {
        env.push(("TRACKER_MCP_WRITE_SCOPE", scope));
    }
    Server::start(&env).await.0
}

#[tokio::test]
async fn write_tools_stay_within_the_write_scope() {
    let upstream = upstream().await;
    let mut server = server(&upstream, Some("bitbucket:acme/web-*,bitbucket:tools/cli")).await;
    let inside = json!({"workspace": "acme", "repo": "web-app", "pull_request_id": 7, "dry_run": true});
    let text = server.ok("bitbucket_merge_pull_request", inside).await;
    assert!(text.contains("POST"), "a dry run inside the scope shows the request: {text}");
    let outside = json!({"workspace": "acme", "repo": "payments", "pull_request_id": 7, "text": "LGTM"});
    for tool in [
        "bitbucket_merge_pull_request",
        "bitbucket_decline_pull_request",
        "bitbucket_add_pull_request_comment",
    ] {
        let text = server.err(tool, outside.clone()).await;
        assert!(
            text.contains("TRACKER_MCP_WRITE_SCOPE") && text.contains("bitbucket:acme/payments is outside"),
            "{text}"
        );
    }
    // Security review finding 10: the check trimmed " acme", the request did not.
    let padded = json!({"workspace": " acme", "repo": "web-app", "pull_request_id": 7, "dry_run": true});
    let text = server.err("bitbucket_merge_pull_request", padded).await;
    assert!(text.contains("bitbucket: acme/web-app is outside"), "{text}");
    server.finish().await;
    assert!(upstream.received_requests().await.unwrap_or_default().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn without_a_scope_destructive_tools_act_anywhere() {
    let upstream = upstream().await;
    let mut server = server(&upstream, None).await;
    let args = json!({"workspace": "acme", "repo": "payments", "pull_request_id": 7, "dry_run": true});
    server.ok("bitbucket_merge_pull_request", args).await;
    server.finish().await;
}

#[tokio::test]
async fn scope_entries_for_trackers_that_update_by_id_are_refused_at_start() {
    let (code, _, stderr) = crate::common::run(
        &["tools"],
        &[
            ("REDMINE_URL", "https://r.test"),
            ("REDMINE_API_KEY", "scope-key-1234"),
            ("TRACKER_MCP_WRITE_SCOPE", "redmine:alpha"),
        ],
    )
    .await;
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("`redmine:alpha` cannot be applied"), "{stderr}");
}
