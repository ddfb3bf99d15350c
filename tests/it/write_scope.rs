//! `TRACKER_MCP_WRITE_SCOPE` limits destructive tools (merge, decline) to the named
//! repositories; other tools are unaffected, and nothing is sent outside the scope.

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
async fn destructive_tools_stay_within_the_write_scope() {
    let upstream = upstream().await;
    let mut server = server(&upstream, Some("bitbucket:acme/web-*,bitbucket:tools/cli")).await;
    let inside = json!({"workspace": "acme", "repo": "web-app", "pull_request_id": 7, "dry_run": true});
    let text = server.ok("bitbucket_merge_pull_request", inside).await;
    assert!(text.contains("POST"), "a dry run inside the scope shows the request: {text}");
    for tool in ["bitbucket_merge_pull_request", "bitbucket_decline_pull_request"] {
        let outside = json!({"workspace": "acme", "repo": "payments", "pull_request_id": 7});
        let text = server.err(tool, outside).await;
        assert!(
            text.contains("TRACKER_MCP_WRITE_SCOPE") && text.contains("bitbucket:acme/payments is outside"),
            "{text}"
        );
    }
    // Not destructive: not limited by the scope.
    let comment = json!({"workspace": "acme", "repo": "payments", "pull_request_id": 7, "text": "LGTM", "dry_run": true});
    server.ok("bitbucket_add_pull_request_comment", comment).await;
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
