//! Redmine edge cases against a local fake that answers as Redmine 5.0 does (empty 401/403/404
//! bodies, 422 `{"errors": [...]}`, 204 on PUT, silently ignored status changes), and checks
//! the exact requests the tools send.

use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::fake::{ok, upstream};
use crate::common::{Server, dev_env};

const KEY: &str = "rm-fake-key-5f4e3d2c1b0a";

async fn start(upstream: &MockServer, writes: bool) -> Server {
    let uri = upstream.uri();
    let env = dev_env(&[("REDMINE_URL", &uri[..]), ("REDMINE_API_KEY", KEY)], writes);
    Server::start(&env).await.0
}

async fn mount_get(upstream: &MockServer, at: &str, body: Value) {
    Mock::given(method("GET")).and(path(at)).respond_with(ok(body)).mount(upstream).await;
}

async fn mount_enumerations(upstream: &MockServer) {
    mount_get(
        upstream,
        "/issue_statuses.json",
        json!({"issue_statuses": [
            {"id": 1, "name": "New", "is_closed": false},
            {"id": 2, "name": "In Progress", "is_closed": false},
            {"id": 5, "name": "Closed", "is_closed": true}]}),
    )
    .await;
    mount_get(
        upstream,
        "/trackers.json",
        json!({"trackers": [{"id": 1, "name": "Bug"}, {"id": 2, "name": "Feature"}]}),
    )
    .await;
}

fn issue(id: u64, status: (u64, &str), extra: Value) -> Value {
    let mut issue = json!({
        "id": id, "project": {"id": 1, "name": "Alpha"}, "tracker": {"id": 1, "name": "Bug"},
        "status": {"id": status.0, "name": status.1}, "priority": {"id": 2, "name": "Normal"},
        "author": {"id": 1, "name": "Ann Admin"}, "subject": "Fake issue", "description": "",
        "done_ratio": 0, "created_on": "2025-01-07T10:00:00Z", "updated_on": "2025-01-08T11:30:00Z"
    });
    if let (Value::Object(map), Value::Object(more)) = (&mut issue, extra) {
        map.extend(more);
    }
    json!({ "issue": issue })
}

#[tokio::test]
async fn writes_send_the_json_shapes_redmine_expects() {
    let upstream = upstream().await;
    mount_enumerations(&upstream).await;
    mount_get(&upstream, "/projects/alpha.json", json!({"project": {"id": 1, "identifier": "alpha"}})).await;
    Mock::given(method("POST"))
        .and(path("/issues.json"))
        .and(header("content-type", "application/json"))
        .and(header("x-redmine-api-key", KEY))
        .and(body_json(json!({"issue": {"project_id": 1, "subject": "New bug", "tracker_id": 1,
                                         "description": "a\nb", "start_date": "2025-02-01"}})))
        .respond_with(ResponseTemplate::new(201).set_body_json(issue(
            42,
            (1, "New"),
            json!({"subject": "New bug"}),
        )))
        .expect(1)
        .mount(&upstream)
        .await;
    mount_get(
        &upstream,
        "/enumerations/time_entry_activities.json",
        json!({"time_entry_activities": [{"id": 9, "name": "Development", "is_default": true}]}),
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/time_entries.json"))
        .and(body_json(json!({"time_entry": {"issue_id": 42, "hours": 1.5, "activity_id": 9,
                                              "spent_on": "2025-02-02", "comments": "work"}})))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"time_entry": {
            "id": 77, "project": {"id": 1, "name": "Alpha"}, "issue": {"id": 42}, "user": {"id": 1, "name": "Ann Admin"},
            "activity": {"id": 9, "name": "Development"}, "hours": 1.5, "spent_on": "2025-02-02"}})))
        .expect(1)
        .mount(&upstream)
        .await;
    Mock::given(method("PUT"))
        .and(path("/projects/alpha/wiki/Release_Notes.json"))
        .and(body_json(json!({"wiki_page": {"text": "h1. Notes", "comments": "why", "version": 3}})))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&upstream)
        .await;
    mount_get(
        &upstream,
        "/projects/alpha/wiki/Release_Notes.json",
        json!({"wiki_page": {"title": "Release_Notes", "version": 4}}),
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/issues/42/relations.json"))
        .and(body_json(json!({"relation": {"issue_to_id": 43, "relation_type": "precedes", "delay": 2}})))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"relation": {
            "id": 5, "issue_id": 42, "issue_to_id": 43, "relation_type": "precedes", "delay": 2}})))
        .expect(1)
        .mount(&upstream)
        .await;
    Mock::given(method("PUT"))
        .and(path("/issues/42.json"))
        .and(body_json(json!({"issue": {"notes": "private remark", "private_notes": true}})))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&upstream)
        .await;
    mount_get(
        &upstream,
        "/issues/42.json",
        issue(42, (1, "New"), json!({"journals": [{"id": 900, "user": {"id": 1, "name": "Ann Admin"},
            "notes": "private remark", "private_notes": true, "created_on": "2025-01-09T00:00:00Z", "details": []}]})),
    )
    .await;

    let mut s = start(&upstream, true).await;
    let created = s
        .ok(
            "redmine_create_issue",
            json!({"project": "alpha", "subject": "New bug", "tracker": "bug",
                                           "description": "a\nb", "start_date": "2025-02-01"}),
        )
        .await;
    assert!(created.starts_with("Created issue #42 [Bug · New · Normal] New bug"), "{created}");
    let logged = s
        .ok(
            "redmine_log_time",
            json!({"issue": 42, "hours": 1.5, "activity": "Development",
                                       "spent_on": "2025-02-02", "comments": "work"}),
        )
        .await;
    assert!(logged.starts_with("Logged time entry 77: 1.5h Development"), "{logged}");
    let wiki = s
        .ok(
            "redmine_update_wiki_page",
            json!({"project": "alpha", "title": "Release_Notes", "text": "h1. Notes",
                                               "comments": "why", "version": 3}),
        )
        .await;
    assert_eq!(wiki, "Updated wiki page Release_Notes of `alpha`, now version 4.");
    let rel = s
        .ok("redmine_add_relation", json!({"id": 42, "to": 43, "relation_type": "precedes", "delay": 2}))
        .await;
    assert_eq!(rel, "Added relation 5: #42 precedes #43 (delay 2 days)");
    let note = s.ok("redmine_add_note", json!({"id": 42, "notes": "private remark", "private": true})).await;
    assert_eq!(note, "Added a private note to issue #42 as journal 900.");
    s.finish().await;
    // `.expect(1)` on each write mock is verified when the fake is dropped.
}

#[tokio::test]
async fn update_says_which_fields_redmine_silently_ignored() {
    let upstream = upstream().await;
    mount_enumerations(&upstream).await;
    mount_get(&upstream, "/issues/7.json", issue(7, (1, "New"), json!({"done_ratio": 0}))).await;
    Mock::given(method("PUT"))
        .and(path("/issues/7.json"))
        .and(body_json(json!({"issue": {"status_id": 5, "done_ratio": 100}})))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&upstream)
        .await;
    let mut s = start(&upstream, true).await;
    let text = s.ok("redmine_update_issue", json!({"id": 7, "status": "Closed", "done_ratio": 100})).await;
    assert!(text.starts_with("Updated issue #7 [Bug · New · Normal]"), "{text}");
    assert!(text.contains("did not apply: status (this user's role may not make that transition"), "{text}");
    assert!(text.contains("done_ratio"), "{text}");
    s.finish().await;
}

#[tokio::test]
async fn redmine_statuses_become_actionable_messages() {
    let upstream = upstream().await;
    // 401, 403 and 404 come with empty bodies, as from Redmine.
    Mock::given(path("/issues/4.json")).respond_with(ResponseTemplate::new(403)).mount(&upstream).await;
    Mock::given(path("/issues/5.json")).respond_with(ResponseTemplate::new(404)).mount(&upstream).await;
    Mock::given(path("/projects.json"))
        .respond_with(
            ResponseTemplate::new(401).insert_header("WWW-Authenticate", "Basic realm=\"Redmine API\""),
        )
        .mount(&upstream)
        .await;
    Mock::given(path("/search.json"))
        .respond_with(
            ResponseTemplate::new(500).set_body_raw("<html><h1>We're sorry</h1></html>", "text/html"),
        )
        .mount(&upstream)
        .await;
    mount_get(&upstream, "/projects/alpha.json", json!({"project": {"id": 1}})).await;
    Mock::given(method("POST"))
        .and(path("/issues.json"))
        .respond_with(
            ResponseTemplate::new(422)
                .set_body_json(json!({"errors": ["Project cannot be blank", "Tracker cannot be blank"]})),
        )
        .mount(&upstream)
        .await;
    Mock::given(method("PUT"))
        .and(path("/issues/4.json"))
        .respond_with(ResponseTemplate::new(403))
        .mount(&upstream)
        .await;

    let mut s = start(&upstream, true).await;
    let e = s.err("redmine_get_issue", json!({"id": 4})).await;
    assert!(e.starts_with("issue 4 is not visible to this API key (HTTP 403)"), "{e}");
    let e = s.err("redmine_get_issue", json!({"id": 5})).await;
    assert!(e.starts_with("issue 5 does not exist, or is not visible to this API key (HTTP 404)"), "{e}");
    let e = s.err("redmine_list_projects", json!({})).await;
    assert!(e.contains("refused the API key (HTTP 401)") && e.contains("tracker-mcp check"), "{e}");
    let e = s.err("redmine_search", json!({"query": "x"})).await;
    assert!(e.contains("unavailable") && e.contains("500") && !e.contains('<'), "{e}");
    let e = s.err("redmine_create_issue", json!({"project": "alpha", "subject": "x"})).await;
    assert!(e.contains("HTTP 422): Project cannot be blank; Tracker cannot be blank"), "{e}");
    assert!(e.contains("not visible to this API key, or the user may not add issues"), "{e}");
    assert!(e.contains("tracker is not enabled in this project"), "{e}");
    let e = s.err("redmine_add_note", json!({"id": 4, "notes": "x"})).await;
    assert!(e.starts_with("this API key may not comment on issue 4 (HTTP 403)"), "{e}");
    // Invalid arguments never reach Redmine.
    for (tool, args, arg) in [
        ("redmine_get_issue", json!({"id": -1}), "id"),
        ("redmine_get_wiki_page", json!({"project": "alpha", "title": "a/b"}), "title"),
        ("redmine_get_wiki_page", json!({"project": "alpha?x=1", "title": "Wiki"}), "project"),
        ("redmine_list_projects", json!({"limit": 101}), "limit"),
        ("redmine_create_issue", json!({"project": "alpha", "subject": "a\nb"}), "subject"),
        ("redmine_update_issue", json!({"id": 1, "done_ratio": 150}), "done_ratio"),
        ("redmine_add_relation", json!({"id": 1, "to": 2, "relation_type": "relates", "delay": 3}), "delay"),
        ("redmine_log_time", json!({"hours": 1}), "issue"),
    ] {
        let e = s.err(tool, args.clone()).await;
        assert!(e.contains(&format!("invalid argument `{arg}`")), "{tool} {args}: {e}");
    }
    let (_, stdout, stderr) = s.finish().await;
    assert!(!stdout.contains(KEY) && !stderr.contains(KEY));
}

#[tokio::test]
async fn long_texts_and_histories_are_cut_with_a_way_on() {
    let upstream = upstream().await;
    mount_enumerations(&upstream).await;
    let description = format!("{}TAIL-OF-DESCRIPTION", "d".repeat(7000));
    let journals: Vec<Value> = (1..=30)
        .map(|n| {
            json!({"id": 100 + n, "user": {"id": 1, "name": "Ann Admin"}, "created_on": "2025-01-09T00:00:00Z",
                   "notes": if n == 2 { format!("{}END-OF-NOTE", "n".repeat(2000)) } else { format!("note {n}\r\nline") },
                   "private_notes": false,
                   "details": if n == 1 { json!([{"property": "attr", "name": "status_id", "old_value": "1", "new_value": "2"}]) } else { json!([]) }})
        })
        .collect();
    mount_get(
        &upstream,
        "/issues/9.json",
        issue(9, (2, "In Progress"), json!({"description": description, "journals": journals})),
    )
    .await;
    let mut s = start(&upstream, false).await;
    let first = s.ok("redmine_get_issue", json!({"id": 9})).await;
    assert!(
        first.contains("cut: 1019 more characters; read on with redmine_get_issue id=9 text_offset=6000"),
        "{first}"
    );
    assert!(!first.contains("TAIL-OF-DESCRIPTION"));
    assert!(first.contains("Status: New -> In Progress"), "{first}");
    assert!(
        first.contains("read it whole with redmine_get_issue id=9 journal_id=102")
            && !first.contains("END-OF-NOTE")
    );
    assert!(first.contains("note 1\nline") && !first.contains('\r'), "{first}");
    assert!(first.contains(
        "History: Showing 1–25 of 30; has_more: true; next: redmine_get_issue id=9 journal_offset=25"
    ));
    let rest = s.ok("redmine_get_issue", json!({"id": 9, "text_offset": 6000, "journal_offset": 25})).await;
    assert!(
        rest.contains("[… 6000 characters before this]") && rest.contains("TAIL-OF-DESCRIPTION"),
        "{rest}"
    );
    assert!(
        rest.contains("journal 126") && !rest.contains("journal 125 ") && rest.contains("has_more: false"),
        "{rest}"
    );
    let note = s.ok("redmine_get_issue", json!({"id": 9, "journal_id": 102})).await;
    assert!(note.contains("END-OF-NOTE") && note.starts_with("Issue #9 journal 102"), "{note}");
    s.finish().await;
}

#[tokio::test]
async fn lists_ask_for_open_or_all_and_report_the_next_cursor() {
    let upstream = upstream().await;
    mount_enumerations(&upstream).await;
    let page: Vec<Value> = (1..=3).map(|n| issue(n, (1, "New"), json!({}))["issue"].clone()).collect();
    Mock::given(method("GET"))
        .and(path("/issues.json"))
        .and(query_param("status_id", "o"))
        .and(query_param("limit", "100"))
        .and(query_param("offset", "200"))
        .respond_with(ok(json!({"issues": page, "total_count": 450, "offset": 200, "limit": 100})))
        .expect(2)
        .mount(&upstream)
        .await;
    Mock::given(method("GET"))
        .and(path("/issues.json"))
        .and(query_param("status_id", "*"))
        .and(query_param("assigned_to_id", "!*"))
        .and(query_param("tracker_id", "2"))
        .and(query_param("sort", "updated_on:desc,id"))
        .respond_with(ok(json!({"issues": [], "total_count": 0, "offset": 0, "limit": 20})))
        .expect(1)
        .mount(&upstream)
        .await;
    let mut s = start(&upstream, false).await;
    let text = s.ok("redmine_search_issues", json!({"limit": 100, "cursor": "200"})).await;
    assert!(text.contains("#1 [Bug · New · Normal] Fake issue — Alpha; updated 2025-01-08 11:30Z"), "{text}");
    assert!(text.ends_with("Showing 201–203 of 450; has_more: true; next: cursor=203"), "{text}");
    let alias = s.ok("redmine_search_issues", json!({"limit": 100, "offset": 200})).await;
    assert_eq!(alias, text, "`offset` is an alias of `cursor`");
    for bad in [json!(-1), json!("abc"), json!(1.5), json!("2000000000")] {
        let e = s.err("redmine_search_issues", json!({"cursor": bad})).await;
        assert!(e.contains("`cursor`"), "{bad}: {e}");
    }
    let none = s
        .ok(
            "redmine_search_issues",
            json!({"status": "*", "assignee": "none", "tracker": "Feature", "sort": "updated_on:desc,id"}),
        )
        .await;
    assert!(none.ends_with("Showing nothing of 0; has_more: false"), "{none}");
    s.finish().await;
}

#[tokio::test]
async fn attachments_only_fetch_small_text() {
    let upstream = upstream().await;
    let meta = |id: u64, name: &str, ct: &str, size: u64| {
        json!({"attachment": {"id": id, "filename": name, "filesize": size, "content_type": ct,
               "author": {"id": 1, "name": "Ann Admin"}, "created_on": "2025-01-07T10:00:00Z"}})
    };
    mount_get(&upstream, "/attachments/1.json", meta(1, "photo.png", "image/png", 2048)).await;
    mount_get(&upstream, "/attachments/2.json", meta(2, "huge.log", "text/plain", 50_000_000)).await;
    mount_get(&upstream, "/attachments/3.json", meta(3, "trace.txt", "", 20)).await;
    Mock::given(method("GET"))
        .and(path("/attachments/download/3"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw("at main.rs:12\r\npanic", "application/octet-stream"),
        )
        .expect(1)
        .mount(&upstream)
        .await;
    let mut s = start(&upstream, false).await;
    let png = s.ok("redmine_get_attachment", json!({"id": 1})).await;
    assert!(
        png.contains("photo.png — 2048 bytes, image/png") && png.contains("Binary content: not shown"),
        "{png}"
    );
    let huge = s.ok("redmine_get_attachment", json!({"id": 2})).await;
    assert!(huge.contains("not fetched: larger than"), "{huge}");
    let text = s.ok("redmine_get_attachment", json!({"id": 3})).await;
    assert!(text.contains("<<<tracker data: attachment 3 trace.txt>>>\nat main.rs:12\npanic\n>>>"), "{text}");
    s.finish().await;
}

/// Issue 14 item 10: answers Redmine never sends were rendered as "Issue #null" or
/// "Showing nothing". Each one is now an error naming the call, and the server keeps serving.
#[tokio::test]
async fn answers_of_the_wrong_shape_are_errors_not_empty_results() {
    for body in [
        json!([]),
        json!(null),
        json!("x"),
        json!(7),
        json!({"issue": null}),
        json!({"issues": [1, 2]}),
        json!({}),
    ] {
        let upstream = crate::common::fake::upstream().await;
        mount_get(&upstream, "/issues/1.json", body.clone()).await;
        mount_get(&upstream, "/issues.json", body.clone()).await;
        mount_get(&upstream, "/projects.json", body.clone()).await;
        let mut s = start(&upstream, false).await;
        for (tool, args) in [
            ("redmine_get_issue", json!({"id": 1})),
            ("redmine_search_issues", json!({})),
            ("redmine_list_projects", json!({})),
        ] {
            let text = s.err(tool, args).await;
            assert!(
                text.contains("unexpected")
                    || text.contains("expected shape")
                    || text.contains("the answer for"),
                "{tool} {body}: {text}"
            );
        }
        s.finish().await;
    }
}
