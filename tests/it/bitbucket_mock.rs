//! Every Bitbucket tool, on both flavours, driven through the real binary against the
//! spec-validating Prism mock (`scripts/upstreams/bitbucket`). Afterwards the mock's request
//! log must show every request valid per the vendor's OpenAPI description, and every endpoint
//! of the client's inventory exercised.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::common::{Server, live};
use tracker_mcp::bitbucket::endpoints::Endpoint;
use tracker_mcp::bitbucket::endpoints::{cloud, datacenter};

fn log_lines(path: &str) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("log line is JSON"))
        .collect()
}

async fn start(url: &str, flavor: &str) -> Server {
    let env = [
        ("TRACKER_MCP_MODE", "development"),
        ("TRACKER_MCP_ENABLE_WRITES", "true"),
        ("BITBUCKET_URL", url),
        ("BITBUCKET_TOKEN", "mock-token-0000"),
        ("BITBUCKET_FLAVOR", flavor),
    ];
    Server::start(&env).await.0
}

/// Every request this test sent (recognised by its workspace / project key or, for the few
/// paths without one, by flavour and time) is valid, and the inventory is covered.
fn check_log(log: &str, since: usize, api: &str, marker: &str, inventory: &[Endpoint], spec_prefix: &str) {
    let lines: Vec<Value> = log_lines(log).into_iter().skip(since).filter(|l| l["api"] == api).collect();
    let mine: Vec<&Value> = lines
        .iter()
        .filter(|l| {
            let path = l["path"].as_str().unwrap_or_default();
            path.contains(marker)
                || !path.contains("/repositories/")
                    && !path.contains("/projects/")
                    && !path.contains("/workspaces/")
        })
        .collect();
    assert!(!mine.is_empty(), "no request of this test in the mock log");
    let invalid: Vec<&&Value> = mine.iter().filter(|l| l["valid"] != true || l["verdict"] != "ok").collect();
    assert!(invalid.is_empty(), "requests not valid per the {api} spec: {invalid:#?}");
    let seen: BTreeSet<(String, String)> = mine
        .iter()
        .map(|l| {
            (
                l["method"].as_str().unwrap_or_default().to_owned(),
                l["spec_path"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    for ep in inventory {
        let key = (ep.method.to_string(), format!("{spec_prefix}{}", ep.path));
        assert!(
            seen.contains(&key),
            "{} {} was never exercised through the mock; seen {seen:#?}",
            ep.method,
            ep.path
        );
    }
}

/// `base` with the fields of `extra` added.
fn with(base: &Value, extra: Value) -> Value {
    let mut v = base.clone();
    v.as_object_mut().expect("object").extend(extra.as_object().expect("object").clone());
    v
}

#[tokio::test]
async fn every_tool_works_against_the_cloud_mock() {
    let Some(vars) = live("bitbucket mock", &["BITBUCKET_MOCK_URL", "BITBUCKET_MOCK_LOG"]) else { return };
    let log = &vars["BITBUCKET_MOCK_LOG"];
    let since = log_lines(log).len();
    let mut s = start(&vars["BITBUCKET_MOCK_URL"], "cloud").await;
    let ws = "itcloudws";
    let r = json!({"workspace": ws, "repo": "demo"});
    let pr = json!({"workspace": ws, "repo": "demo", "pull_request_id": 1});

    assert!(s.ok("bitbucket_whoami", json!({})).await.contains("Bitbucket Cloud"));
    let out = s.ok("bitbucket_list_projects", json!({"workspace": ws})).await;
    assert!(out.contains("has_more"), "{out}");
    assert!(s.err("bitbucket_list_projects", json!({})).await.contains("workspace"));
    let out = s.ok("bitbucket_list_repositories", json!({"workspace": ws, "name": "de", "limit": 5})).await;
    assert!(out.contains("has_more"), "{out}");
    assert!(s.ok("bitbucket_get_repository", r.clone()).await.contains("/"));
    let out = s
        .ok(
            "bitbucket_list_pull_requests",
            with(
                &r,
                json!({"state": "all", "author": "alice", "reviewer": "{1234}", "target_branch": "main"}),
            ),
        )
        .await;
    assert!(out.contains('#') && out.contains("has_more"), "{out}");
    let out = s.ok("bitbucket_get_pull_request", pr.clone()).await;
    assert!(out.contains("Pull request #") && out.contains("builds:"), "{out}");
    let out = s.ok("bitbucket_get_pull_request_diff", pr.clone()).await;
    assert!(out.contains("file(s)"), "{out}");
    s.ok("bitbucket_list_pull_request_comments", pr.clone()).await;
    s.ok("bitbucket_list_pull_request_commits", pr.clone()).await;
    s.ok("bitbucket_get_pull_request_activity", pr.clone()).await;
    assert!(s.ok("bitbucket_list_branches", with(&r, json!({"filter": "feat"}))).await.contains("has_more"));
    s.ok("bitbucket_list_commits", r.clone()).await;
    s.ok("bitbucket_list_commits", with(&r, json!({"branch": "main", "path": "README.md"}))).await;
    let out = s.ok("bitbucket_get_commit", with(&r, json!({"commit": "abc1234"}))).await;
    assert!(out.contains("files changed"), "{out}");
    // The Cloud mock answers every `src` path with a directory listing.
    s.ok("bitbucket_get_file", with(&r, json!({"path": "README.md", "ref": "main"}))).await;
    s.ok("bitbucket_get_file", with(&r, json!({"path": "README.md"}))).await;
    s.ok("bitbucket_search_code", json!({"workspace": ws, "query": "fn main", "repo": "demo"})).await;
    s.ok("bitbucket_list_issues", with(&r, json!({"state": "open", "query": "crash"}))).await;
    let out = s.ok("bitbucket_get_issue", with(&r, json!({"issue_id": 1}))).await;
    assert!(out.contains("comments:"), "{out}");

    let out = s
        .ok(
            "bitbucket_create_pull_request",
            with(
                &r,
                json!({"title": "Add x", "source_branch": "feature/x", "target_branch": "main",
                       "description": "Why", "reviewers": ["{abcd}"], "draft": true}),
            ),
        )
        .await;
    assert!(out.starts_with("Created pull request"), "{out}");
    s.ok("bitbucket_add_pull_request_comment", with(&pr, json!({"text": "LGTM"}))).await;
    s.ok(
        "bitbucket_add_pull_request_comment",
        with(&pr, json!({"text": "nit", "path": "src/a.rs", "line": 3, "parent_id": 5})),
    )
    .await;
    assert!(s.ok("bitbucket_approve_pull_request", pr.clone()).await.contains("Approved"));
    assert!(s.ok("bitbucket_request_changes", pr.clone()).await.contains("Requested changes"));
    s.ok("bitbucket_merge_pull_request", with(&pr, json!({"strategy": "squash", "message": "m"}))).await;
    assert!(s.ok("bitbucket_decline_pull_request", pr.clone()).await.contains("Declined"));
    s.ok("bitbucket_create_issue", with(&r, json!({"title": "Crash", "content": "Steps", "kind": "bug"})))
        .await;
    s.ok("bitbucket_add_issue_comment", with(&r, json!({"issue_id": 1, "text": "Seen too"}))).await;
    s.finish().await;

    check_log(log, since, "cloud", &format!("/{ws}"), cloud::ENDPOINTS, "");
}

#[tokio::test]
async fn every_tool_works_against_the_datacenter_mock() {
    let Some(vars) = live("bitbucket mock", &["BITBUCKET_MOCK_URL", "BITBUCKET_MOCK_LOG"]) else { return };
    let log = &vars["BITBUCKET_MOCK_LOG"];
    let since = log_lines(log).len();
    let mut s = start(&vars["BITBUCKET_MOCK_URL"], "datacenter").await;
    let key = "ITDCPRJ";
    let r = json!({"workspace": key, "repo": "demo"});
    let pr = json!({"workspace": key, "repo": "demo", "pull_request_id": 1});

    // Data Center has no issue tracker and no code search: those tools are not listed.
    let names = s.tool_names().await;
    let cloud_only = crate::common::variant_only_tools("cloud");
    assert_eq!(cloud_only.len(), 5, "{cloud_only:?}");
    for absent in &cloud_only {
        assert!(!names.iter().any(|n| n == absent), "{absent} listed on Data Center");
    }
    assert_eq!(names.len(), 20, "{names:?}");

    assert!(s.ok("bitbucket_whoami", json!({})).await.contains("Data Center"));
    let out = s.ok("bitbucket_list_projects", json!({"limit": 5})).await;
    assert!(out.contains("has_more"), "{out}");
    s.ok("bitbucket_list_repositories", json!({"workspace": key})).await;
    s.ok("bitbucket_list_repositories", json!({"workspace": key, "name": "dem"})).await;
    s.ok("bitbucket_get_repository", r.clone()).await;
    s.ok("bitbucket_list_pull_requests", with(&r, json!({"state": "merged", "target_branch": "main"}))).await;
    let out = s.ok("bitbucket_list_pull_requests", with(&r, json!({"author": "nobody-here"}))).await;
    assert!(out.contains("filtered here"), "{out}");
    let out = s.ok("bitbucket_get_pull_request", pr.clone()).await;
    assert!(out.contains("merge status:") && out.contains("builds:") && out.contains("version:"), "{out}");
    let out = s.ok("bitbucket_get_pull_request_diff", pr.clone()).await;
    assert!(out.contains("file(s)"), "{out}");
    s.ok("bitbucket_list_pull_request_comments", pr.clone()).await;
    s.ok("bitbucket_list_pull_request_commits", pr.clone()).await;
    s.ok("bitbucket_get_pull_request_activity", pr.clone()).await;
    s.ok("bitbucket_list_branches", with(&r, json!({"filter": "feat"}))).await;
    s.ok("bitbucket_list_commits", with(&r, json!({"branch": "main", "path": "README.md"}))).await;
    s.ok("bitbucket_get_commit", with(&r, json!({"commit": "abc1234"}))).await;
    s.ok("bitbucket_get_file", with(&r, json!({"path": "README.md", "ref": "main"}))).await;
    let out = s
        .ok(
            "bitbucket_create_pull_request",
            with(&r, json!({"title": "Add x", "source_branch": "feature/x", "target_branch": "main", "reviewers": ["bob"]})),
        )
        .await;
    assert!(out.starts_with("Created pull request"), "{out}");
    s.ok("bitbucket_add_pull_request_comment", with(&pr, json!({"text": "LGTM"}))).await;
    s.ok(
        "bitbucket_add_pull_request_comment",
        with(&pr, json!({"text": "nit", "path": "src/a.rs", "line": 3, "parent_id": 5})),
    )
    .await;
    s.ok("bitbucket_approve_pull_request", pr.clone()).await;
    s.ok("bitbucket_request_changes", pr.clone()).await;
    s.ok("bitbucket_merge_pull_request", with(&pr, json!({"message": "m"}))).await;
    s.ok("bitbucket_decline_pull_request", pr.clone()).await;
    s.finish().await;

    check_log(log, since, "dc", &format!("/{key}/"), datacenter::ENDPOINTS, "");
}
