//! Redmine edge cases against a local fake that answers as Redmine 5.0 does (empty 401/403/404
//! bodies, 422 `{"errors": [...]}`, 204 on PUT, silently ignored status changes), and checks
//! the exact requests the tools send.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

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

/// A read-only server without the request pacing, for sweeps of hundreds of calls.
async fn start_unpaced(upstream: &MockServer) -> Server {
    let uri = upstream.uri();
    let env = dev_env(
        &[("REDMINE_URL", &uri[..]), ("REDMINE_API_KEY", KEY), ("TRACKER_MCP_RATE_LIMIT", "100000")],
        false,
    );
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
    mount_get(
        &upstream,
        "/projects/alpha.json",
        json!({"project": {"id": 1, "name": "Alpha", "identifier": "alpha"}}),
    )
    .await;
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
    // The activity is looked up among the issue's project's own (issue 42 is in project 1).
    mount_get(
        &upstream,
        "/projects/1.json",
        json!({"project": {"id": 1, "name": "Alpha", "identifier": "alpha",
                           "time_entry_activities": [{"id": 9, "name": "Development"}]}}),
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
        json!({"wiki_page": {"title": "Release_Notes", "text": "h1. Notes", "version": 4}}),
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
    mount_get(
        &upstream,
        "/projects/alpha.json",
        json!({"project": {"id": 1, "name": "Alpha", "identifier": "alpha"}}),
    )
    .await;
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
    mount_get(&upstream, "/attachments/4.json", meta(4, "big.png", "image/png", 6_000_000)).await;
    mount_get(&upstream, "/attachments/5.json", meta(5, "fake.png", "image/png", 4)).await;
    for (id, body) in [(1, crate::images::PNG), (5, b"nope".as_slice())] {
        Mock::given(method("GET"))
            .and(path(format!("/attachments/download/{id}")))
            .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/octet-stream"))
            .expect(1)
            .mount(&upstream)
            .await;
    }
    let mut s = start(&upstream, false).await;
    let png = s.call_raw("redmine_get_attachment", json!({"id": 1})).await;
    let text = crate::common::tool_text(&png["result"]);
    assert!(
        text.contains("photo.png — 2048 bytes, image/png")
            && text.contains("Image (image/png, 67 bytes) follows."),
        "{text}"
    );
    assert_eq!(crate::images::image_of(&png), Some(("image/png".to_owned(), crate::images::PNG.to_vec())));
    // Over the image cap: not downloaded (no mock); declared a PNG but is not one: described.
    let big = s.ok("redmine_get_attachment", json!({"id": 4})).await;
    assert!(big.contains("Binary content: not shown: larger than 5242880 bytes."), "{big}");
    let fake = s.call_raw("redmine_get_attachment", json!({"id": 5})).await;
    assert!(crate::images::image_of(&fake).is_none(), "{fake}");
    assert!(
        crate::common::tool_text(&fake["result"]).contains("Binary content (image/png, 4 bytes): not shown."),
        "{fake}"
    );
    let huge = s.ok("redmine_get_attachment", json!({"id": 2})).await;
    assert!(huge.contains("not fetched: larger than"), "{huge}");
    let text = s.ok("redmine_get_attachment", json!({"id": 3})).await;
    assert!(text.contains("<<<tracker data: attachment 3 trace.txt>>>\nat main.rs:12\npanic\n>>>"), "{text}");
    s.finish().await;
}

/// One answer a read tool decodes: where it comes from, a real-shaped example (Redmine 5.0's
/// own API templates, app/views/*/*.api.rsb) and what Redmine always sends in it.
struct Feed {
    path: &'static str,
    /// The envelope key: `issue`, `issues`, ...
    key: &'static str,
    /// The resource, or the one entry of the list.
    good: Value,
    /// Top-level keys of a list answer beside the list; `None` for a single resource.
    meta: Option<Value>,
    /// Fields Redmine always sends (`/`-separated paths into the resource or entry) and, for
    /// lists, the top-level keys.
    required: &'static [&'static str],
    /// Cached for the process once read (enumerations): its cases get a server of their own.
    cached: bool,
}

impl Feed {
    fn resource(
        path: &'static str,
        key: &'static str,
        good: Value,
        required: &'static [&'static str],
    ) -> Self {
        Self { path, key, good, meta: None, required, cached: false }
    }

    fn list(
        path: &'static str,
        key: &'static str,
        good: Value,
        meta: Value,
        required: &'static [&'static str],
    ) -> Self {
        Self { path, key, good, meta: Some(meta), required, cached: false }
    }

    fn cached(mut self) -> Self {
        self.cached = true;
        self
    }

    /// The whole answer with `item` as the resource (or the list's only entry).
    fn envelope(&self, item: Value) -> Value {
        match &self.meta {
            None => json!({ self.key: item }),
            Some(meta) => {
                let mut answer = meta.clone();
                answer[self.key] = json!([item]);
                answer
            }
        }
    }

    /// Answers Redmine never sends for this call, each with a label.
    fn wrong_shapes(&self) -> Vec<(String, Value)> {
        let mut cases: Vec<(String, Value)> = [json!([]), json!(null), json!("x"), json!(7), json!({})]
            .into_iter()
            .map(|body| (format!("body {body}"), body))
            .collect();
        let mut resources = vec![json!(null), json!("x"), json!(7), json!(true)];
        resources.push(if self.meta.is_some() { json!({}) } else { json!([]) });
        if self.meta.is_some() {
            resources.push(json!([1, 2]));
        }
        for resource in resources {
            let mut body = self.envelope(json!(null));
            body[self.key] = resource.clone();
            cases.push((format!("`{}` is {resource}", self.key), body));
        }
        for field in self.required {
            if let Some(meta) = &self.meta
                && meta.get(*field).is_some()
            {
                let mut body = self.envelope(self.good.clone());
                body[*field] = json!("x");
                cases.push((format!("`{field}` is \"x\""), body.clone()));
                if let Some(answer) = body.as_object_mut() {
                    answer.remove(*field);
                }
                cases.push((format!("`{field}` left out"), body));
                continue;
            }
            let (parent, last) = field.rsplit_once('/').map_or(("", *field), |(p, l)| (p, l));
            let pointer = if parent.is_empty() { String::new() } else { format!("/{parent}") };
            let mut wrong = self.good.clone();
            let target = wrong.pointer_mut(&pointer).and_then(|p| p.get_mut(last));
            let Some(target) = target else { panic!("{}: the good answer has no {field}", self.path) };
            *target = if target.is_string() { json!([1]) } else { json!("x") };
            cases.push((format!("`{field}` of the wrong type"), self.envelope(wrong)));
            let mut missing = self.good.clone();
            if let Some(holder) = missing.pointer_mut(&pointer).and_then(Value::as_object_mut) {
                holder.remove(last);
            }
            cases.push((format!("`{field}` left out"), self.envelope(missing)));
        }
        cases
    }
}

struct ReadTool {
    name: &'static str,
    args: Value,
    feeds: Vec<Feed>,
}

fn named(id: u64, name: &str) -> Value {
    json!({"id": id, "name": name})
}

fn paged(total: u64) -> Value {
    json!({"total_count": total, "offset": 0, "limit": 25})
}

/// Every Redmine read tool and every answer it decodes, in the shape Redmine 5.0 sends.
fn read_tools() -> Vec<ReadTool> {
    let issue = json!({
        "id": 1, "project": named(1, "Alpha"), "tracker": named(1, "Bug"),
        "status": {"id": 2, "name": "In Progress", "is_closed": false}, "priority": named(3, "High"),
        "author": named(1, "Ann Admin"), "assigned_to": named(5, "John Smith"), "subject": "Login fails",
        "description": "Steps", "start_date": null, "due_date": null, "done_ratio": 0, "is_private": false,
        "estimated_hours": null, "total_estimated_hours": null, "spent_hours": 0.0, "total_spent_hours": 0.0,
        "custom_fields": [{"id": 1, "name": "Severity", "value": "High"}],
        "created_on": "2025-01-07T10:00:00Z", "updated_on": "2025-01-08T11:30:00Z", "closed_on": null
    });
    let mut full = issue.clone();
    full["journals"] = json!([{"id": 2, "user": named(5, "John Smith"), "notes": "Seen", "created_on": "2025-01-08T11:30:00Z",
        "private_notes": false, "details": [{"property": "attr", "name": "done_ratio", "old_value": "0", "new_value": "80"}]}]);
    full["attachments"] = json!([]);
    full["relations"] =
        json!([{"id": 1, "issue_id": 1, "issue_to_id": 3, "relation_type": "relates", "delay": null}]);
    full["watchers"] = json!([named(1, "Ann Admin")]);
    full["allowed_statuses"] = json!([{"id": 2, "name": "In Progress", "is_closed": false}]);
    let project = json!({"id": 1, "name": "Alpha", "identifier": "alpha", "description": "About", "status": 1,
        "is_public": true, "inherit_members": false, "created_on": "2025-01-01T00:00:00Z", "updated_on": "2025-01-01T00:00:00Z"});
    let mut project_full = project.clone();
    project_full["homepage"] = json!("");
    project_full["trackers"] = json!([named(1, "Bug")]);
    project_full["issue_categories"] = json!([]);
    project_full["time_entry_activities"] = json!([named(9, "Development")]);
    project_full["enabled_modules"] = json!([named(1, "issue_tracking")]);
    let enumeration =
        |path, key, entry: Value| Feed::list(path, key, entry, json!({}), &["id", "name"]).cached();
    vec![
        ReadTool {
            name: "redmine_whoami",
            args: json!({}),
            feeds: vec![Feed::resource(
                "/users/current.json",
                "user",
                json!({"id": 1, "login": "admin", "admin": true, "firstname": "Ann", "lastname": "Admin",
                       "mail": "a@x.test", "created_on": "2025-01-01T00:00:00Z", "last_login_on": null, "api_key": "k", "status": 1}),
                &["id", "login", "firstname", "lastname"],
            )],
        },
        ReadTool {
            name: "redmine_list_projects",
            args: json!({}),
            feeds: vec![Feed::list(
                "/projects.json",
                "projects",
                project,
                paged(1),
                &["id", "name", "identifier", "total_count"],
            )],
        },
        ReadTool {
            name: "redmine_get_project",
            args: json!({"project": "alpha"}),
            feeds: vec![
                Feed::resource(
                    "/projects/alpha.json",
                    "project",
                    project_full,
                    &["id", "name", "identifier", "trackers/0/name", "enabled_modules/0/name"],
                ),
                Feed::list(
                    "/projects/alpha/memberships.json",
                    "memberships",
                    json!({"id": 1, "project": named(1, "Alpha"), "user": named(5, "John Smith"), "roles": [named(4, "Developer")]}),
                    paged(1),
                    &["id", "user/id", "user/name", "roles", "roles/0/name", "total_count"],
                ),
            ],
        },
        ReadTool {
            name: "redmine_list_versions",
            args: json!({"project": "alpha"}),
            feeds: vec![Feed::list(
                "/projects/alpha/versions.json",
                "versions",
                json!({"id": 1, "project": named(1, "Alpha"), "name": "v1.0", "description": "First", "status": "open",
                       "due_date": "2030-06-30", "sharing": "none", "wiki_page_title": null,
                       "created_on": "2025-01-01T00:00:00Z", "updated_on": "2025-01-01T00:00:00Z"}),
                json!({"total_count": 1}),
                &["id", "name", "total_count"],
            )],
        },
        ReadTool {
            name: "redmine_search_issues",
            args: json!({}),
            feeds: vec![Feed::list(
                "/issues.json",
                "issues",
                issue,
                paged(1),
                &[
                    "id",
                    "subject",
                    "project",
                    "project/id",
                    "project/name",
                    "tracker",
                    "tracker/name",
                    "status",
                    "status/id",
                    "status/name",
                    "priority",
                    "priority/name",
                    "author",
                    "author/name",
                    "total_count",
                ],
            )],
        },
        ReadTool {
            name: "redmine_get_issue",
            args: json!({"id": 1}),
            feeds: vec![Feed::resource(
                "/issues/1.json",
                "issue",
                full,
                &[
                    "id",
                    "subject",
                    "project/id",
                    "status/name",
                    "custom_fields/0/id",
                    "custom_fields/0/name",
                    "journals/0/id",
                    "journals/0/details/0/property",
                    "journals/0/details/0/name",
                    "relations/0/issue_id",
                    "relations/0/issue_to_id",
                    "relations/0/relation_type",
                    "watchers/0/name",
                    "allowed_statuses/0/id",
                    "allowed_statuses/0/name",
                ],
            )],
        },
        ReadTool {
            name: "redmine_list_enumerations",
            args: json!({}),
            feeds: vec![
                enumeration(
                    "/issue_statuses.json",
                    "issue_statuses",
                    json!({"id": 1, "name": "New", "is_closed": false}),
                ),
                enumeration(
                    "/trackers.json",
                    "trackers",
                    json!({"id": 1, "name": "Bug", "default_status": named(1, "New"), "description": null,
                           "enabled_standard_fields": ["assigned_to_id"]}),
                ),
                enumeration(
                    "/enumerations/issue_priorities.json",
                    "issue_priorities",
                    json!({"id": 2, "name": "Normal", "is_default": true, "active": true}),
                ),
                enumeration(
                    "/enumerations/time_entry_activities.json",
                    "time_entry_activities",
                    json!({"id": 9, "name": "Development", "is_default": false, "active": true}),
                ),
                enumeration(
                    "/custom_fields.json",
                    "custom_fields",
                    json!({"id": 1, "name": "Severity", "customized_type": "issue", "field_format": "list",
                           "regexp": "", "is_required": false, "multiple": false, "default_value": null, "visible": true,
                           "possible_values": [{"value": "Low", "label": "Low"}], "trackers": [named(1, "Bug")], "roles": []}),
                ),
            ],
        },
        ReadTool {
            name: "redmine_get_attachment",
            args: json!({"id": 1}),
            // Over the image cap, so only the metadata is read.
            feeds: vec![Feed::resource(
                "/attachments/1.json",
                "attachment",
                json!({"id": 1, "filename": "shot.png", "filesize": 6_000_000, "content_type": "image/png", "description": "",
                       "content_url": "http://r.test/attachments/download/1/shot.png", "author": named(1, "Ann Admin"),
                       "created_on": "2025-01-07T10:00:00Z"}),
                &["id", "filename", "filesize"],
            )],
        },
        ReadTool {
            name: "redmine_list_time_entries",
            args: json!({}),
            feeds: vec![Feed::list(
                "/time_entries.json",
                "time_entries",
                json!({"id": 1, "project": named(1, "Alpha"), "issue": {"id": 1}, "user": named(5, "John Smith"),
                       "activity": named(9, "Development"), "hours": 1.5, "comments": "Work", "spent_on": "2025-01-07",
                       "created_on": "2025-01-07T10:00:00Z", "updated_on": "2025-01-07T10:00:00Z"}),
                paged(1),
                &[
                    "id",
                    "hours",
                    "spent_on",
                    "project/name",
                    "user/id",
                    "user/name",
                    "activity/name",
                    "issue/id",
                    "total_count",
                ],
            )],
        },
        ReadTool {
            name: "redmine_list_wiki_pages",
            args: json!({"project": "alpha"}),
            feeds: vec![Feed::list(
                "/projects/alpha/wiki/index.json",
                "wiki_pages",
                json!({"title": "Start", "parent": {"title": "Wiki"}, "version": 2,
                       "created_on": "2025-01-07T10:00:00Z", "updated_on": "2025-01-08T10:00:00Z"}),
                json!({}),
                &["title", "version", "parent/title"],
            )],
        },
        ReadTool {
            name: "redmine_get_wiki_page",
            args: json!({"project": "alpha", "title": "Start"}),
            feeds: vec![Feed::resource(
                "/projects/alpha/wiki/Start.json",
                "wiki_page",
                json!({"title": "Start", "parent": {"title": "Wiki"}, "text": "h1. Start", "version": 2,
                       "author": named(1, "Ann Admin"), "comments": "", "created_on": "2025-01-07T10:00:00Z",
                       "updated_on": "2025-01-08T10:00:00Z", "attachments": []}),
                &["title", "text", "version", "author/name"],
            )],
        },
        ReadTool {
            name: "redmine_list_queries",
            args: json!({}),
            feeds: vec![Feed::list(
                "/queries.json",
                "queries",
                json!({"id": 1, "name": "Issues assigned to me", "is_public": true, "project_id": null}),
                paged(1),
                &["id", "name", "is_public", "total_count"],
            )],
        },
        ReadTool {
            name: "redmine_search",
            args: json!({"query": "login"}),
            feeds: vec![Feed::list(
                "/search.json",
                "results",
                json!({"id": 1, "title": "Bug #1 (New): Login fails", "type": "issue", "url": "http://r.test/issues/1",
                       "description": "Steps", "datetime": "2025-01-08T11:30:00Z"}),
                paged(1),
                &["id", "title", "type", "total_count"],
            )],
        },
    ]
}

/// What the fake answers, by path: the sweep swaps bodies between calls.
type Answers = Arc<Mutex<HashMap<&'static str, Value>>>;

/// Serve every feed of `tool` with its good answer, except `bad`: (feed index, body).
fn serve(answers: &Answers, tool: &ReadTool, bad: Option<(usize, &Value)>) {
    let mut answers = answers.lock().expect("answers");
    for (n, feed) in tool.feeds.iter().enumerate() {
        let body = match bad {
            Some((b, body)) if b == n => body.clone(),
            _ => feed.envelope(feed.good.clone()),
        };
        answers.insert(feed.path, body);
    }
}

/// Issue 14 item 10: every read tool, every answer it decodes, every shape Redmine never sends
/// (not an object, the resource or list of the wrong type, a field Redmine always sends left
/// out or of the wrong type) is an "unexpected response" error, never a made-up result; and
/// the server keeps serving: the same call with the real shape then succeeds.
#[tokio::test]
async fn answers_of_the_wrong_shape_are_errors_not_empty_results() {
    let tools = read_tools();
    let upstream = upstream().await;
    let answers = Answers::default();
    for feed in tools.iter().flat_map(|t| &t.feeds) {
        let (answers, at) = (Arc::clone(&answers), feed.path);
        let respond = move |_: &wiremock::Request| {
            let body = answers.lock().ok().and_then(|a| a.get(at).cloned());
            body.map_or_else(|| ResponseTemplate::new(598), ok)
        };
        Mock::given(method("GET")).and(path(at)).respond_with(respond).mount(&upstream).await;
    }
    let mut s = start_unpaced(&upstream).await;
    // The server is read-only: every operation it serves is a read.
    let listed: Vec<String> =
        s.operation_names().await.into_iter().filter(|n| n.starts_with("redmine_")).collect();
    let swept: Vec<&str> = tools.iter().map(|t| t.name).collect();
    assert_eq!(listed.len(), swept.len(), "every Redmine read tool is swept: {listed:?} vs {swept:?}");
    assert!(listed.iter().all(|n| swept.contains(&n.as_str())), "{listed:?} vs {swept:?}");

    let (mut cases, mut rendered) = (0, Vec::new());
    for tool in &tools {
        for (n, feed) in tool.feeds.iter().enumerate() {
            // A cached answer is fetched once per process: its cases share a fresh server, and
            // the real shape is served only after the last of them.
            let mut own = if feed.cached { Some(start_unpaced(&upstream).await) } else { None };
            let server = own.as_mut().unwrap_or(&mut s);
            for (label, body) in feed.wrong_shapes() {
                serve(&answers, tool, Some((n, &body)));
                let (is_error, text) = server.call(tool.name, tool.args.clone()).await;
                cases += 1;
                if !(is_error && text.contains("Redmine returned an unexpected response")) {
                    rendered.push(format!("{} ({} {label}): {text}", tool.name, feed.path));
                }
                if !feed.cached {
                    serve(&answers, tool, None);
                    let (is_error, text) = server.call(tool.name, tool.args.clone()).await;
                    assert!(!is_error, "{} after {label}: the real shape failed: {text}", tool.name);
                }
            }
            serve(&answers, tool, None);
            let (is_error, text) = server.call(tool.name, tool.args.clone()).await;
            assert!(!is_error, "{} ({}): the real shape failed: {text}", tool.name, feed.path);
            if let Some(own) = own {
                own.finish().await;
            }
        }
    }
    eprintln!("wrong-shape sweep: {} of {cases} cases refused", cases - rendered.len());
    assert!(
        rendered.is_empty(),
        "{} of {cases} wrong shapes were rendered:\n{}",
        rendered.len(),
        rendered.join("\n")
    );
    s.finish().await;
}

/// What Redmine 5.0 really leaves out or writes as `null` (no assignee, version, category or
/// parent; no custom fields; `null` dates, hours, description and notes; a journal of a deleted
/// user; an attachment without type; a page without author) still renders, line for line as
/// before the answers were typed.
#[tokio::test]
async fn fields_redmine_leaves_out_still_render() {
    let upstream = upstream().await;
    let bare_issue = json!({
        "id": 8, "project": named(1, "Alpha"), "tracker": named(3, "Support"),
        "status": {"id": 1, "name": "New", "is_closed": false}, "priority": named(2, "Normal"),
        "author": named(1, "Ann Admin"), "subject": "Bare", "description": null, "start_date": null,
        "due_date": null, "done_ratio": 0, "is_private": false, "estimated_hours": null,
        "total_estimated_hours": null, "created_on": "2025-01-07T10:00:00Z",
        "updated_on": "2025-01-07T10:00:00Z", "closed_on": null
    });
    let mut shown = bare_issue.clone();
    shown["attachments"] = json!([{"id": 3, "filename": "dump", "filesize": 0, "content_type": null,
        "description": null, "content_url": "http://r.test/attachments/download/3/dump", "created_on": "2025-01-07T10:00:00Z"}]);
    shown["journals"] = json!([{"id": 4, "notes": null, "created_on": "2025-01-07T11:00:00Z", "private_notes": false,
        "details": [{"property": "attr", "name": "due_date", "old_value": null, "new_value": "2025-02-01"}]}]);
    shown["allowed_statuses"] = json!([]);
    mount_get(&upstream, "/issues/8.json", json!({"issue": shown})).await;
    mount_get(
        &upstream,
        "/issues.json",
        json!({"issues": [bare_issue], "total_count": 1, "offset": 0, "limit": 25}),
    )
    .await;
    mount_get(
        &upstream,
        "/projects/alpha.json",
        json!({"project": {"id": 1, "name": "Alpha", "identifier": "alpha", "description": null, "homepage": "",
            "status": 1, "is_public": true, "inherit_members": false, "trackers": [], "issue_categories": [],
            "enabled_modules": [], "created_on": "2025-01-01T00:00:00Z", "updated_on": "2025-01-01T00:00:00Z"}}),
    )
    .await;
    mount_get(
        &upstream,
        "/projects/alpha/memberships.json",
        json!({"memberships": [
            {"id": 3, "project": named(1, "Alpha"), "group": named(7, "Testers"), "roles": [named(5, "Reporter")]},
            // Redmine names the key after the principal's class: the built-in groups too.
            {"id": 4, "project": named(1, "Alpha"), "group_non_member": named(3, "Non member users"), "roles": [named(5, "Reporter")]}],
            "total_count": 2, "offset": 0, "limit": 100}),
    )
    .await;
    mount_get(
        &upstream,
        "/projects/alpha/versions.json",
        json!({"versions": [{"id": 2, "project": named(1, "Alpha"), "name": "Later", "description": null, "status": "open",
            "due_date": null, "sharing": "none", "wiki_page_title": null}], "total_count": 1}),
    )
    .await;
    mount_get(
        &upstream,
        "/time_entries.json",
        json!({"time_entries": [{"id": 3, "project": named(1, "Alpha"), "user": named(1, "Ann Admin"),
            "activity": named(8, "Design"), "hours": 0.25, "comments": null, "spent_on": "2025-01-07"}],
            "total_count": 1, "offset": 0, "limit": 25}),
    )
    .await;
    mount_get(
        &upstream,
        "/projects/alpha/wiki/Start.json",
        json!({"wiki_page": {"title": "Start", "text": "", "version": 1, "comments": null,
            "created_on": "2025-01-07T10:00:00Z", "updated_on": "2025-01-07T10:00:00Z", "attachments": []}}),
    )
    .await;
    mount_get(
        &upstream,
        "/search.json",
        json!({"results": [{"id": 1, "title": "Wiki: Start", "type": "wiki-page", "url": "http://r.test/projects/alpha/wiki/Start",
            "description": null, "datetime": "2025-01-07T10:00:00Z"}], "total_count": 1, "offset": 0, "limit": 25}),
    )
    .await;
    mount_get(
        &upstream,
        "/attachments/3.json",
        json!({"attachment": {"id": 3, "filename": "dump", "filesize": 0,
        "content_type": null, "description": null, "content_url": "http://r.test/attachments/download/3/dump",
        "created_on": "2025-01-07T10:00:00Z"}}),
    )
    .await;
    // Every word too short to search for: Redmine counts nothing and says `null`.
    Mock::given(method("GET"))
        .and(path("/search.json"))
        .and(query_param("q", "a"))
        .respond_with(ok(json!({"results": [], "total_count": null, "offset": 0, "limit": 25})))
        .with_priority(1)
        .mount(&upstream)
        .await;
    let mut s = start(&upstream, false).await;
    for (tool, args, expected) in [
        (
            "redmine_get_issue",
            json!({"id": 8}),
            "Issue #8 [Support · New · Normal] Bare\n\
             Web: WEB/issues/8\n\
             Project: Alpha (1); Author: Ann Admin; Assignee: nobody\n\
             Done: 0%; Created 2025-01-07 10:00Z; updated 2025-01-07 10:00Z\n\
             Attachments (read with redmine_get_attachment): 3 dump (0 bytes, )\n\
             Description: (empty)\n\
             History, oldest first:\n\
             - journal 4 by at 2025-01-07 11:00Z: Due date: (none) -> 2025-02-01\n\
             History: Showing 1–1 of 1; has_more: false",
        ),
        (
            "redmine_search_issues",
            json!({}),
            "Issues (status open) — open only by default; status=\"*\" includes closed\n\
             #8 [Support · New · Normal] Bare — Alpha; updated 2025-01-07 10:00Z\n\
             Web: WEB/issues/<id>\n\
             Showing 1–1 of 1; has_more: false",
        ),
        (
            "redmine_get_project",
            json!({"project": "alpha"}),
            "Project 1 `alpha`: Alpha (public)\n\
             Created 2025-01-01 00:00Z, updated 2025-01-01 00:00Z\n\
             Trackers: \n\
             Issue categories: none\n\
             Enabled modules: \n\
             Members: Testers (id 7) (group): Reporter; Non member users (id 3) (group): Reporter",
        ),
        (
            "redmine_list_versions",
            json!({"project": "alpha"}),
            "2 Later [open] project Alpha; sharing none\nShowing 1–1 of 1; has_more: false",
        ),
        (
            "redmine_list_time_entries",
            json!({}),
            "3 2025-01-07 0.25h Design by Ann Admin — Alpha\nHours on this page: 0.25\n\
             Showing 1–1 of 1; has_more: false",
        ),
        (
            "redmine_get_wiki_page",
            json!({"project": "alpha", "title": "Start"}),
            "Wiki page Start of `alpha`, version 1 by , updated 2025-01-07 10:00Z\n\
             <<<tracker data: wiki page Start>>>\n\n>>>",
        ),
        (
            "redmine_search",
            json!({"query": "start"}),
            "<<<tracker data: search results>>>\n\
             wiki-page 1 | Wiki: Start | 2025-01-07 10:00Z\n\
             >>>\n\
             Showing 1–1 of 1; has_more: false",
        ),
        (
            "redmine_search",
            json!({"query": "a"}),
            "No results.\nShowing nothing (total unknown); has_more: false",
        ),
        (
            "redmine_get_attachment",
            json!({"id": 3}),
            "Attachment 3 dump — 0 bytes, unknown type, by  at 2025-01-07 10:00Z\n\
             Binary content (unknown type, 0 bytes): not shown.",
        ),
    ] {
        // The web page is derived from the configured URL (the fake's).
        assert_eq!(s.ok(tool, args).await, expected.replace("WEB", &upstream.uri()), "{tool}");
    }
    s.finish().await;
}
