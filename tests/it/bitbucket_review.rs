//! Bitbucket review tools beyond comments (issue 16), against stateful local fakes: a task
//! resolved through the tool shows as resolved in the next list, on both flavours, and every
//! write sends the documented body (Data Center: the version read first).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Value, json};
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::fake::{ok, upstream};
use crate::common::{Server, dev_env};

async fn server(upstream: &MockServer, flavor: &str) -> Server {
    let uri = upstream.uri();
    let env = dev_env(
        &[
            ("BITBUCKET_URL", uri.as_str()),
            ("BITBUCKET_TOKEN", "bb-fake-token-1234"),
            ("BITBUCKET_FLAVOR", flavor),
        ],
        true,
    );
    Server::start(&env).await.0
}

/// A mock that answers with `open` or `resolved` as `flag` says, and one that sets `flag` to
/// `to` when the request with `body` arrives.
async fn flip(upstream: &MockServer, verb: &str, at: &str, body: Value, flag: &Arc<AtomicBool>, to: bool) {
    let flag = flag.clone();
    Mock::given(method(verb))
        .and(path(at))
        .and(body_json(body))
        .respond_with(move |_: &wiremock::Request| {
            flag.store(to, Ordering::SeqCst);
            ok(json!({"id": 3, "version": 2}))
        })
        .expect(1)
        .mount(upstream)
        .await;
}

#[tokio::test]
async fn cloud_tasks_are_listed_added_resolved_reopened_and_deleted() {
    let upstream = upstream().await;
    let base = "/2.0/repositories/ws/repo/pullrequests/2/tasks";
    let resolved = Arc::new(AtomicBool::new(false));
    let flag = resolved.clone();
    Mock::given(method("GET"))
        .and(path(base))
        .respond_with(move |_: &wiremock::Request| {
            let state = if flag.load(Ordering::SeqCst) { "RESOLVED" } else { "UNRESOLVED" };
            ok(json!({"values": [{"id": 3, "state": state, "content": {"raw": "Add tests"},
                "creator": {"display_name": "Bob"}, "created_on": "2025-01-07T10:00:00Z",
                "updated_on": "2025-01-07T10:00:00Z", "comment": {"id": 11}}]}))
        })
        .mount(&upstream)
        .await;
    Mock::given(method("POST"))
        .and(path(base))
        .and(body_json(json!({"content": {"raw": "Update the docs"}})))
        .respond_with(ok(json!({"id": 4, "state": "UNRESOLVED", "content": {"raw": "Update the docs"}})))
        .expect(1)
        .mount(&upstream)
        .await;
    flip(&upstream, "PUT", &format!("{base}/3"), json!({"state": "RESOLVED"}), &resolved, true).await;
    flip(&upstream, "PUT", &format!("{base}/3"), json!({"state": "UNRESOLVED"}), &resolved, false).await;
    Mock::given(method("DELETE"))
        .and(path(format!("{base}/3")))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&upstream)
        .await;
    let mut s = server(&upstream, "cloud").await;
    let pr = json!({"workspace": "ws", "repo": "repo", "pull_request_id": 2});
    let t = json!({"workspace": "ws", "repo": "repo", "pull_request_id": 2, "task_id": 3});
    let out = s.ok("bitbucket_list_pull_request_tasks", pr.clone()).await;
    assert!(out.contains("#3 by Bob") && out.contains("[task, open]") && out.contains("Add tests"), "{out}");
    let mut add = pr.clone();
    add["text"] = json!("Update the docs");
    assert_eq!(s.ok("bitbucket_add_pull_request_task", add).await, "Added task #4 to pull request #2.");
    assert_eq!(
        s.ok("bitbucket_resolve_pull_request_task", t.clone()).await,
        "Resolved task #3 of pull request #2."
    );
    let out = s.ok("bitbucket_list_pull_request_tasks", pr.clone()).await;
    assert!(out.contains("[task, resolved]"), "{out}");
    let mut reopen = t.clone();
    reopen["reopen"] = json!(true);
    assert!(s.ok("bitbucket_resolve_pull_request_task", reopen).await.starts_with("Reopened task #3"));
    assert!(s.ok("bitbucket_list_pull_request_tasks", pr.clone()).await.contains("[task, open]"));
    // Through the listed write tool, as a model calls it.
    let mut delete = t.clone();
    delete["method"] = json!("delete_task");
    assert_eq!(s.ok("bitbucket_pull_request_write", delete).await, "Deleted task #3 of pull request #2.");
    let mut bad = t.clone();
    bad["task_id"] = json!(0);
    assert!(s.err("bitbucket_delete_pull_request_task", bad).await.contains("`task_id`"));
    s.finish().await;
}

#[tokio::test]
async fn datacenter_tasks_are_blocker_comments_changed_at_their_version() {
    let upstream = upstream().await;
    let base = "/rest/api/1.0/projects/PRJ/repos/repo/pull-requests/5/blocker-comments";
    let resolved = Arc::new(AtomicBool::new(false));
    let flag = resolved.clone();
    Mock::given(method("GET"))
        .and(path(base))
        .respond_with(move |_: &wiremock::Request| {
            let state = if flag.load(Ordering::SeqCst) { "RESOLVED" } else { "OPEN" };
            ok(json!({"isLastPage": true, "values": [{"id": 8, "version": 1, "severity": "BLOCKER",
                "state": state, "text": "Add tests", "author": {"name": "bob", "displayName": "Bob"},
                "createdDate": 1736244000000_i64}]}))
        })
        .mount(&upstream)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{base}/8")))
        .respond_with(ok(json!({"id": 8, "version": 1, "severity": "BLOCKER", "state": "OPEN"})))
        .mount(&upstream)
        .await;
    Mock::given(method("POST"))
        .and(path(base))
        .and(body_json(json!({"text": "Update the docs", "severity": "BLOCKER"})))
        .respond_with(ok(json!({"id": 9, "version": 0, "severity": "BLOCKER"})))
        .expect(1)
        .mount(&upstream)
        .await;
    flip(&upstream, "PUT", &format!("{base}/8"), json!({"version": 1, "state": "RESOLVED"}), &resolved, true)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("{base}/8")))
        .and(query_param("version", "1"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&upstream)
        .await;
    for verb in ["POST", "PUT", "DELETE"] {
        // Anything else that changes data is a mistake (the dry run below sends nothing).
        Mock::given(method(verb)).respond_with(ResponseTemplate::new(500)).expect(0).mount(&upstream).await;
    }
    let mut s = server(&upstream, "datacenter").await;
    let pr = json!({"workspace": "PRJ", "repo": "repo", "pull_request_id": 5});
    let t = json!({"workspace": "PRJ", "repo": "repo", "pull_request_id": 5, "task_id": 8});
    let out = s.ok("bitbucket_list_pull_request_tasks", pr.clone()).await;
    assert!(out.contains("#8 by Bob") && out.contains("[task, open]"), "{out}");
    let mut add = pr.clone();
    add["text"] = json!("Update the docs");
    assert_eq!(s.ok("bitbucket_add_pull_request_task", add).await, "Added task #9 to pull request #5.");
    let mut dry = t.clone();
    dry["dry_run"] = json!(true);
    let out = s.ok("bitbucket_resolve_pull_request_task", dry).await;
    assert!(
        out.contains("would PUT /rest/api/1.0/projects/PRJ/repos/repo/pull-requests/5/blocker-comments/8")
            && out.contains(r#"{"state":"RESOLVED","version":1}"#),
        "{out}"
    );
    assert_eq!(
        s.ok("bitbucket_resolve_pull_request_task", t.clone()).await,
        "Resolved task #8 of pull request #5."
    );
    let out = s.ok("bitbucket_list_pull_request_tasks", pr.clone()).await;
    assert!(out.contains("[task, resolved]"), "{out}");
    assert!(s.ok("bitbucket_delete_pull_request_task", t.clone()).await.starts_with("Deleted task #8"));
    s.finish().await;
}

#[tokio::test]
async fn tags_are_listed_newest_first_and_filtered_by_name() {
    let upstream = upstream().await;
    Mock::given(method("GET"))
        .and(path("/2.0/repositories/ws/repo/refs/tags"))
        .and(query_param("q", r#"name~"v1""#))
        .and(query_param("sort", "-target.date"))
        .respond_with(ok(json!({"values": [{"name": "v1.2.0",
            "target": {"hash": "0123456789abcdef", "date": "2025-01-07T10:00:00Z"}}]})))
        .expect(1)
        .mount(&upstream)
        .await;
    Mock::given(method("GET"))
        .and(path("/rest/api/1.0/projects/PRJ/repos/repo/tags"))
        .and(query_param("filterText", "v1"))
        .and(query_param("orderBy", "MODIFICATION"))
        .respond_with(ok(json!({"isLastPage": true, "values": [{"id": "refs/tags/v1.2.0",
            "displayId": "v1.2.0", "latestCommit": "fedcba9876543210"}]})))
        .expect(1)
        .mount(&upstream)
        .await;
    let mut cloud = server(&upstream, "cloud").await;
    let out =
        cloud.ok("bitbucket_list_tags", json!({"workspace": "ws", "repo": "repo", "filter": "v1"})).await;
    assert!(out.starts_with("v1.2.0 0123456") && out.contains("2025-01-07"), "{out}");
    cloud.finish().await;
    let mut dc = server(&upstream, "datacenter").await;
    let out = dc.ok("bitbucket_list_tags", json!({"workspace": "PRJ", "repo": "repo", "filter": "v1"})).await;
    assert!(out.starts_with("v1.2.0 fedcba9"), "{out}");
    dc.finish().await;
}

/// A fake whose branch list holds what the create sent: the created branch shows in the next
/// list, on both flavours, and each create sends the documented body.
async fn branch_fake(upstream: &MockServer, create_at: &str, list_at: &str, body: Value, cloud: bool) {
    let created = Arc::new(AtomicBool::new(false));
    let flag = created.clone();
    Mock::given(method("POST"))
        .and(path(create_at))
        .and(body_json(body))
        .respond_with(move |_: &wiremock::Request| {
            flag.store(true, Ordering::SeqCst);
            if cloud {
                ResponseTemplate::new(201).set_body_json(
                    json!({"type": "branch", "name": "feature/y", "target": {"hash": "abc1234def"}}),
                )
            } else {
                ResponseTemplate::new(200).set_body_json(json!({"id": "refs/heads/feature/y",
                    "displayId": "feature/y", "latestCommit": "abc1234def", "isDefault": false}))
            }
        })
        .expect(1)
        .mount(upstream)
        .await;
    Mock::given(method("GET"))
        .and(path(list_at))
        .respond_with(move |_: &wiremock::Request| {
            let there = created.load(Ordering::SeqCst);
            if cloud {
                let values: Vec<Value> = if there {
                    vec![json!({"name": "feature/y", "target": {"hash": "abc1234def", "date": "2025-01-07T10:00:00Z"}})]
                } else {
                    vec![]
                };
                ok(json!({"values": values}))
            } else {
                let values: Vec<Value> = if there {
                    vec![json!({"id": "refs/heads/feature/y", "displayId": "feature/y", "latestCommit": "abc1234def"})]
                } else {
                    vec![]
                };
                ok(json!({"values": values, "isLastPage": true}))
            }
        })
        .mount(upstream)
        .await;
}

#[tokio::test]
async fn a_created_branch_shows_in_the_branch_list_on_both_flavours() {
    for (flavor, create_at, list_at, body) in [
        (
            "cloud",
            "/2.0/repositories/ws/repo/refs/branches",
            "/2.0/repositories/ws/repo/refs/branches",
            json!({"name": "feature/y", "target": {"hash": "abc1234"}}),
        ),
        (
            "datacenter",
            "/rest/api/1.0/projects/ws/repos/repo/branches",
            "/rest/api/1.0/projects/ws/repos/repo/branches",
            json!({"name": "feature/y", "startPoint": "abc1234"}),
        ),
    ] {
        let upstream = upstream().await;
        branch_fake(&upstream, create_at, list_at, body, flavor == "cloud").await;
        let mut s = server(&upstream, flavor).await;
        let r = json!({"workspace": "ws", "repo": "repo"});
        let out = s.ok("bitbucket_list_branches", r.clone()).await;
        assert!(!out.contains("feature/y"), "{flavor}: {out}");
        let mut create = r.clone();
        create["branch"] = json!("feature/y");
        create["from"] = json!("abc1234");
        let out = s.ok("bitbucket_create_branch", create).await;
        assert_eq!(out, "Created branch feature/y at abc1234def.", "{flavor}");
        let out = s.ok("bitbucket_list_branches", r).await;
        assert!(out.contains("feature/y") && out.contains("abc1234def"), "{flavor}: {out}");
        s.finish().await;
    }
}

/// Cloud's inbox: the account's uuid, the workspace's most recently updated repositories, and
/// in each the open pull requests it reviews; the result says the bound.
#[tokio::test]
async fn the_cloud_inbox_reads_the_recent_repositories_for_my_reviews() {
    let upstream = upstream().await;
    Mock::given(method("GET"))
        .and(path("/2.0/user"))
        .respond_with(ok(json!({"display_name": "Me", "uuid": "{me-1}"})))
        .mount(&upstream)
        .await;
    Mock::given(method("GET"))
        .and(path("/2.0/repositories/ws"))
        .and(query_param("sort", "-updated_on"))
        .and(query_param("pagelen", "10"))
        .respond_with(ok(
            json!({"values": [{"slug": "web", "full_name": "ws/web"}, {"slug": "api", "full_name": "ws/api"}],
            "next": format!("{}/2.0/repositories/ws?page=2", upstream.uri())}),
        ))
        .mount(&upstream)
        .await;
    for (slug, prs) in
        [("web", json!([{"id": 4, "title": "Fix login", "state": "OPEN"}])), ("api", json!([]))]
    {
        Mock::given(method("GET"))
            .and(path(format!("/2.0/repositories/ws/{slug}/pullrequests")))
            .and(query_param("q", "reviewers.uuid=\"{me-1}\" AND state=\"OPEN\""))
            .respond_with(ok(json!({"values": prs})))
            .expect(1)
            .mount(&upstream)
            .await;
    }
    let mut s = server(&upstream, "cloud").await;
    let out = s.ok("bitbucket_inbox", json!({"workspace": "ws"})).await;
    assert!(out.contains("ws/web #4 [OPEN] Fix login"), "{out}");
    assert!(out.contains("2 most recently updated repositories of ws"), "{out}");
    assert!(out.contains("page=2"), "the cursor pages on through the repositories: {out}");
    s.finish().await;
}
