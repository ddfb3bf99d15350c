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
/// `unreached` are endpoints the stateless mock cannot lead to (each says why where it is
/// passed); the fakes of `bitbucket_fake.rs` send them.
fn check_log(
    log: &str,
    since: usize,
    api: &str,
    marker: &str,
    inventory: &[Endpoint],
    unreached: &[Endpoint],
    spec_prefix: &str,
) {
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
    for ep in inventory.iter().filter(|ep| !unreached.contains(ep)) {
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
    s.ok("bitbucket_list_tags", with(&r, json!({"filter": "v1"}))).await;
    s.ok("bitbucket_list_commits", r.clone()).await;
    s.ok("bitbucket_list_commits", with(&r, json!({"branch": "main", "path": "README.md"}))).await;
    let out = s.ok("bitbucket_get_commit", with(&r, json!({"commit": "abc1234"}))).await;
    assert!(out.contains("files changed"), "{out}");
    // The Cloud mock answers every `src` path with a directory listing.
    s.ok("bitbucket_get_file", with(&r, json!({"path": "README.md", "ref": "main"}))).await;
    s.ok("bitbucket_get_file", with(&r, json!({"path": "README.md"}))).await;
    s.ok("bitbucket_search_code", json!({"workspace": ws, "query": "fn main", "repo": "demo"})).await;
    // Compare, people, inbox (issue 16).
    let out = s.ok("bitbucket_compare", with(&r, json!({"from": "main", "to": "feature/x"}))).await;
    assert!(out.starts_with("Compare main..feature/x") && out.contains("file(s) changed"), "{out}");
    s.ok("bitbucket_compare", with(&r, json!({"from": "main", "to": "dev", "path": "README.md"}))).await;
    let out = s.ok("bitbucket_get_default_reviewers", r.clone()).await;
    assert!(out.contains("reviewers: \"{"), "{out}");
    s.ok("bitbucket_find_users", json!({"workspace": ws, "name": "a"})).await;
    let out = s.ok("bitbucket_inbox", json!({"workspace": ws})).await;
    assert!(out.contains("most recently updated repositories"), "{out}");
    assert!(s.err("bitbucket_inbox", json!({})).await.contains("workspace"));
    let out = s
        .ok(
            "bitbucket_create_branch",
            with(&r, json!({"branch": "feature/y", "from": "abc1234", "dry_run": true})),
        )
        .await;
    assert!(out.contains("Dry run") && out.contains("refs/branches"), "{out}");
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
    let out = s.ok("bitbucket_update_pull_request", with(&pr, json!({"description": "Why, again"}))).await;
    assert!(out.starts_with("Updated pull request"), "{out}");
    s.ok(
        "bitbucket_update_pull_request",
        with(&pr, json!({"title": "T", "reviewers": ["{abcd}", "557058:x"], "target_branch": "dev", "draft": false})),
    )
    .await;
    let c = with(&pr, json!({"comment_id": 5}));
    assert!(
        s.ok("bitbucket_edit_pull_request_comment", with(&c, json!({"text": "nit, fixed"})))
            .await
            .contains("Edited")
    );
    assert!(s.ok("bitbucket_resolve_pull_request_comment", c.clone()).await.contains("Resolved"));
    assert!(s.ok("bitbucket_reopen_pull_request_comment", c.clone()).await.contains("Reopened"));
    assert!(s.ok("bitbucket_delete_pull_request_comment", c.clone()).await.contains("Deleted"));
    assert!(s.ok("bitbucket_unapprove_pull_request", pr.clone()).await.contains("approval"));
    assert!(s.ok("bitbucket_withdraw_change_request", pr.clone()).await.contains("change request"));
    s.ok("bitbucket_list_pull_request_tasks", pr.clone()).await;
    assert!(
        s.ok("bitbucket_add_pull_request_task", with(&pr, json!({"text": "Add tests"})))
            .await
            .contains("task")
    );
    let t = with(&pr, json!({"task_id": 3}));
    assert!(s.ok("bitbucket_resolve_pull_request_task", t.clone()).await.contains("Resolved task #3"));
    assert!(
        s.ok("bitbucket_resolve_pull_request_task", with(&t, json!({"reopen": true})))
            .await
            .contains("Reopened")
    );
    assert!(s.ok("bitbucket_delete_pull_request_task", t.clone()).await.contains("Deleted task #3"));
    s.ok("bitbucket_create_issue", with(&r, json!({"title": "Crash", "content": "Steps", "kind": "bug"})))
        .await;
    s.ok("bitbucket_add_issue_comment", with(&r, json!({"issue_id": 1, "text": "Seen too"}))).await;
    // CI: a pull request's runs and steps, a commit's, one run, a step's log and tests, writes.
    let out = s.ok("bitbucket_get_ci", pr.clone()).await;
    assert!(out.starts_with("CI of pull request #1"), "{out}");
    let out = s.ok("bitbucket_get_ci", with(&r, json!({"ref": "abc1234def"}))).await;
    assert!(out.starts_with("CI of commit abc1234def"), "{out}");
    let out = s.ok("bitbucket_get_ci", with(&r, json!({"ref": "run:{0a1b}"}))).await;
    assert!(out.contains("; steps:"), "{out}");
    let out = s.ok("bitbucket_get_ci", with(&r, json!({"ref": "run:{0a1b}/{2c3d}"}))).await;
    assert!(out.contains("<<<tracker data: log of step {2c3d}"), "{out}");
    let e = s.err("bitbucket_get_ci", with(&r, json!({"ref": "feature/x"}))).await;
    assert!(e.contains("branch feature/x was not found"), "{e}");
    assert!(
        s.ok("bitbucket_run_pipeline", with(&r, json!({"ref": "main"})))
            .await
            .starts_with("Started pipeline")
    );
    assert!(
        s.ok("bitbucket_stop_pipeline", with(&r, json!({"ref": "run:{0a1b}"}))).await.starts_with("Stopped")
    );
    s.finish().await;

    // The mock answers a step's test report with an empty body (the spec declares none), so the
    // failed test cases are never asked for here; the fake of bitbucket_fake.rs reads them.
    // Nor does it declare a body for creating a branch (its description shows one): Prism
    // answers any body with 415, so the create is sent to the fake of bitbucket_review.rs.
    check_log(
        log,
        since,
        "cloud",
        &format!("/{ws}"),
        cloud::ENDPOINTS,
        &[cloud::TEST_CASES, cloud::BRANCH_CREATE],
        "",
    );
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

    // Data Center has no issue tracker and no Pipelines: those tools are not listed.
    let names = s.operation_names().await;
    let cloud_only = crate::common::variant_only_tools("cloud");
    assert_eq!(cloud_only.len(), 6, "{cloud_only:?}");
    for absent in &cloud_only {
        assert!(!names.iter().any(|n| n == absent), "{absent} listed on Data Center");
    }
    assert_eq!(names.len(), 39, "{names:?}");

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
    s.ok("bitbucket_list_tags", with(&r, json!({"filter": "v1"}))).await;
    s.ok("bitbucket_list_commits", with(&r, json!({"branch": "main", "path": "README.md"}))).await;
    s.ok("bitbucket_get_commit", with(&r, json!({"commit": "abc1234"}))).await;
    s.ok("bitbucket_get_file", with(&r, json!({"path": "README.md", "ref": "main"}))).await;
    // Compare, code search, people, inbox (issue 16).
    let out = s.ok("bitbucket_compare", with(&r, json!({"from": "main", "to": "feature/x"}))).await;
    assert!(out.starts_with("Compare main..feature/x") && out.contains("+new line"), "{out}");
    let out =
        s.ok("bitbucket_compare", with(&r, json!({"from": "main", "to": "dev", "path": "README.md"}))).await;
    assert!(out.contains("diff of README.md"), "{out}");
    let out =
        s.ok("bitbucket_search_code", json!({"workspace": key, "query": "fn main", "repo": "demo"})).await;
    assert!(out.contains("PRJ/demo src/main.rs") && out.contains("1: fn main() {"), "{out}");
    let e = s.err("bitbucket_get_default_reviewers", r.clone()).await;
    assert!(e.contains("`from`"), "{e}");
    s.ok("bitbucket_get_default_reviewers", with(&r, json!({"from": "main", "to": "feature/x"}))).await;
    let out = s.ok("bitbucket_find_users", json!({"workspace": key, "name": "jo"})).await;
    assert!(out.contains("reviewers: \""), "{out}");
    s.ok("bitbucket_inbox", json!({})).await;
    assert!(
        s.ok("bitbucket_create_branch", with(&r, json!({"branch": "feature/y", "from": "main"})))
            .await
            .starts_with("Created branch")
    );
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
    let out = s.ok("bitbucket_update_pull_request", with(&pr, json!({"title": "Renamed"}))).await;
    assert!(out.starts_with("Updated pull request"), "{out}");
    s.ok(
        "bitbucket_update_pull_request",
        with(&pr, json!({"reviewers": ["bob"], "target_branch": "dev", "draft": false, "description": "d"})),
    )
    .await;
    let c = with(&pr, json!({"comment_id": 5}));
    s.ok("bitbucket_edit_pull_request_comment", with(&c, json!({"text": "nit, fixed"}))).await;
    s.ok("bitbucket_resolve_pull_request_comment", c.clone()).await;
    s.ok("bitbucket_reopen_pull_request_comment", c.clone()).await;
    s.ok("bitbucket_delete_pull_request_comment", c.clone()).await;
    s.ok("bitbucket_unapprove_pull_request", pr.clone()).await;
    let e = s.err("bitbucket_withdraw_change_request", pr.clone()).await;
    assert!(e.contains("X-AUSERNAME"), "{e}");
    // CI: a pull request's build statuses and Code Insights reports, a report's annotations.
    let out = s.ok("bitbucket_get_ci", pr.clone()).await;
    assert!(out.starts_with("CI of pull request #1") && out.contains("Code Insights reports"), "{out}");
    let out = s.ok("bitbucket_get_ci", with(&r, json!({"ref": "run:com.example.lint@abc1234def"}))).await;
    assert!(out.contains("annotations of report com.example.lint"), "{out}");
    s.ok("bitbucket_list_pull_request_tasks", pr.clone()).await;
    s.ok("bitbucket_add_pull_request_task", with(&pr, json!({"text": "Add tests"}))).await;
    let t = with(&pr, json!({"task_id": 3}));
    assert!(s.ok("bitbucket_resolve_pull_request_task", t.clone()).await.contains("Resolved task #3"));
    assert!(
        s.ok("bitbucket_resolve_pull_request_task", with(&t, json!({"reopen": true})))
            .await
            .contains("Reopened")
    );
    assert!(s.ok("bitbucket_delete_pull_request_task", t.clone()).await.contains("Deleted task #3"));
    s.finish().await;

    // Withdrawing a change request needs the account's slug, found through the X-AUSERNAME
    // header, which the mock does not send (the fake does).
    check_log(
        log,
        since,
        "dc",
        &format!("/{key}/"),
        datacenter::ENDPOINTS,
        &[datacenter::PR_PARTICIPANT_STATUS],
        "",
    );
}
