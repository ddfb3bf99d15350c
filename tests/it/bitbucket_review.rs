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

/// The commit a short hash or branch name stands for, in the Cloud create test.
const FULL_HASH: &str = "abc1234def0123456789abcdef0123456789abcd";

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
            json!({"name": "feature/y", "target": {"hash": FULL_HASH}}),
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
        if flavor == "cloud" {
            // Cloud's create takes a commit hash: the short one is resolved first.
            Mock::given(method("GET"))
                .and(path("/2.0/repositories/ws/repo/commit/abc1234"))
                .respond_with(ok(json!({"hash": FULL_HASH, "date": "2025-01-07T10:00:00Z"})))
                .expect(1)
                .mount(&upstream)
                .await;
        }
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

/// On Cloud a branch name is resolved to its head commit before the create (which takes a
/// hash); a ref that does not exist is refused before anything is written.
#[tokio::test]
async fn cloud_branches_start_at_the_commit_a_ref_names() {
    let upstream = upstream().await;
    Mock::given(method("GET"))
        .and(path("/2.0/repositories/ws/repo/commit/main"))
        .respond_with(ok(json!({"hash": FULL_HASH})))
        .mount(&upstream)
        .await;
    Mock::given(method("GET"))
        .and(path("/2.0/repositories/ws/repo/commit/nope"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(json!({"type": "error", "error": {"message": "Commit not found"}})),
        )
        .mount(&upstream)
        .await;
    Mock::given(method("POST"))
        .and(path("/2.0/repositories/ws/repo/refs/branches"))
        .and(body_json(json!({"name": "feature/z", "target": {"hash": FULL_HASH}})))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(json!({"type": "branch", "name": "feature/z", "target": {"hash": FULL_HASH}})),
        )
        .expect(1)
        .mount(&upstream)
        .await;
    let mut s = server(&upstream, "cloud").await;
    let args = |from: &str| json!({"workspace": "ws", "repo": "repo", "branch": "feature/z", "from": from});
    let out = s.ok("bitbucket_create_branch", args("main")).await;
    assert_eq!(out, format!("Created branch feature/z at {FULL_HASH}."));
    let err = s.err("bitbucket_create_branch", args("nope")).await;
    assert!(err.contains("nope"), "{err}");
    s.finish().await;
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

/// Compare asks for what `to` has that `from` lacks, each flavour in its own order: Cloud
/// `include=to&exclude=from` and `to..from`; Data Center `from=to&to=from` (its `from` is the
/// ref with the changes). Data Center's structured diff reads as a unified diff.
#[tokio::test]
async fn compare_sends_the_refs_the_right_way_round_on_both_flavours() {
    let upstream = upstream().await;
    let cloud = "/2.0/repositories/ws/repo";
    Mock::given(method("GET"))
        .and(path(format!("{cloud}/commits")))
        .and(query_param("include", "feature/x"))
        .and(query_param("exclude", "main"))
        .respond_with(ok(
            json!({"values": [{"hash": "abc1234def", "message": "Add x", "date": "2025-01-07T10:00:00Z"}]}),
        ))
        .expect(1)
        .mount(&upstream)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{cloud}/diffstat/feature%2Fx..main")))
        .respond_with(ok(json!({"values": [{"status": "modified", "lines_added": 1, "lines_removed": 0,
            "new": {"path": "a.txt"}}]})))
        .expect(1)
        .mount(&upstream)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{cloud}/diff/feature%2Fx..main")))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(
                "diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -1 +1,2 @@\n x\n+y\n",
            ),
        )
        .expect(1)
        .mount(&upstream)
        .await;
    let dc = "/rest/api/1.0/projects/ws/repos/repo/compare";
    for (at, answer) in [
        (
            "commits",
            json!({"values": [{"id": "abc1234def", "displayId": "abc1234", "message": "Add x"}], "isLastPage": true}),
        ),
        (
            "changes",
            json!({"values": [{"path": {"components": ["a.txt"], "toString": "a.txt"}, "type": "MODIFY"}], "isLastPage": true}),
        ),
        (
            "diff",
            json!({"diffs": [{"source": {"components": ["a.txt"], "toString": "a.txt"},
            "destination": {"components": ["a.txt"], "toString": "a.txt"},
            "hunks": [{"sourceLine": 1, "sourceSpan": 1, "destinationLine": 1, "destinationSpan": 2, "segments": [
                {"type": "CONTEXT", "lines": [{"line": "x"}]}, {"type": "ADDED", "lines": [{"line": "y"}]}]}]}]}),
        ),
    ] {
        Mock::given(method("GET"))
            .and(path(format!("{dc}/{at}")))
            .and(query_param("from", "feature/x"))
            .and(query_param("to", "main"))
            .respond_with(ok(answer))
            .expect(1)
            .mount(&upstream)
            .await;
    }
    for flavor in ["cloud", "datacenter"] {
        let mut s = server(&upstream, flavor).await;
        let out = s
            .ok(
                "bitbucket_compare",
                json!({"workspace": "ws", "repo": "repo", "from": "main", "to": "feature/x"}),
            )
            .await;
        assert!(
            out.starts_with("Compare main..feature/x: what feature/x has that main lacks."),
            "{flavor}: {out}"
        );
        assert!(out.contains("abc1234def") && out.contains("Add x"), "{flavor}: {out}");
        assert!(out.contains("1 file(s) changed:\na.txt "), "{flavor}: {out}");
        assert!(
            out.contains("main..feature/x: 1 file(s), +1 -0") && out.contains("\n+y\n"),
            "{flavor}: {out}"
        );
        s.finish().await;
    }
}

/// Data Center's default reviewers depend on the pair of branches: the repository's id is read
/// first and both refs are sent; the answer's users come with the name `reviewers` takes.
#[tokio::test]
async fn datacenter_default_reviewers_name_the_repository_and_both_branches() {
    let upstream = upstream().await;
    Mock::given(method("GET"))
        .and(path("/rest/api/1.0/projects/ws/repos/repo"))
        .respond_with(ok(json!({"id": 42, "slug": "repo", "project": {"key": "ws"}})))
        .expect(1)
        .mount(&upstream)
        .await;
    Mock::given(method("GET"))
        .and(path("/rest/default-reviewers/1.0/projects/ws/repos/repo/reviewers"))
        .and(query_param("sourceRepoId", "42"))
        .and(query_param("targetRepoId", "42"))
        .and(query_param("sourceRefId", "refs/heads/feature/x"))
        .and(query_param("targetRefId", "refs/heads/main"))
        .respond_with(ok(json!([{"name": "jdoe", "slug": "jdoe", "displayName": "Jane Doe", "emailAddress": "jane@example.com"}])))
        .expect(1)
        .mount(&upstream)
        .await;
    let mut s = server(&upstream, "datacenter").await;
    let out = s
        .ok(
            "bitbucket_get_default_reviewers",
            json!({"workspace": "ws", "repo": "repo", "from": "main", "to": "feature/x"}),
        )
        .await;
    assert!(out.starts_with("Jane Doe — reviewers: \"jdoe\" (jane@example.com)"), "{out}");
    s.finish().await;
}

/// Data Center's code search: the search module, the project and repository as modifiers, the
/// cursor as the next `start`; hit lines lose the search module's markup.
#[tokio::test]
async fn datacenter_code_search_scopes_by_modifiers_and_pages_by_start() {
    let upstream = upstream().await;
    for (start, next) in [(0, json!({"isLastPage": false, "nextStart": 1})), (1, json!({"isLastPage": true}))]
    {
        let mut code = json!({"count": 2, "start": start, "values": [{"repository": {"slug": "repo", "project": {"key": "WS"}},
            "file": format!("src/f{start}.rs"), "hitContexts": [[{"line": 3, "text": "let <em>x</em> = a &amp;&amp; b;"}]]}]});
        code.as_object_mut().expect("object").extend(next.as_object().expect("object").clone());
        Mock::given(method("POST"))
            .and(path("/rest/search/1.0/search"))
            .and(body_json(json!({"query": "parse project:WS repo:repo",
                "entities": {"code": {"start": start, "limit": 1}}, "limits": {"primary": 1, "secondary": 1}})))
            .respond_with(ok(json!({"code": code})))
            .expect(1)
            .mount(&upstream)
            .await;
    }
    let mut s = server(&upstream, "datacenter").await;
    let args = json!({"workspace": "WS", "query": "parse", "repo": "repo", "limit": 1});
    let out = s.ok("bitbucket_search_code", args.clone()).await;
    assert!(out.contains("WS/repo src/f0.rs") && out.contains("3: let x = a && b;"), "{out}");
    let cursor = crate::paging::next_cursor(&out).expect("a next cursor");
    let mut next = args;
    next["cursor"] = json!(cursor);
    let out = s.ok("bitbucket_search_code", next).await;
    assert!(out.contains("WS/repo src/f1.rs"), "{out}");
    s.finish().await;
}
