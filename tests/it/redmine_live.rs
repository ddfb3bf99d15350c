//! The Redmine tools against a real Redmine 5.0 (scripts/upstreams/redmine): every tool, with
//! the admin key, with the limited user jsmith's key, and with a bad key.
//!
//! Reads use the seeded data (README of the upstream); writes create their own issues and
//! pages, because other tests (and earlier runs) write to the same instance in parallel.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::common::{Server, dev_env, live};

const VARS: &[&str] = &["REDMINE_URL", "REDMINE_API_KEY", "REDMINE_USER_API_KEY"];

fn vars() -> Option<HashMap<String, String>> {
    live("redmine", VARS)
}

async fn server(v: &HashMap<String, String>, key: &str, writes: bool) -> Server {
    let env = dev_env(&[("REDMINE_URL", &v["REDMINE_URL"]), ("REDMINE_API_KEY", key)], writes);
    Server::start(&env).await.0
}

async fn admin(v: &HashMap<String, String>, writes: bool) -> Server {
    server(v, &v["REDMINE_API_KEY"], writes).await
}

async fn jsmith(v: &HashMap<String, String>, writes: bool) -> Server {
    server(v, &v["REDMINE_USER_API_KEY"], writes).await
}

/// A suffix no other test run uses.
fn unique() -> String {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{}{}", std::process::id(), nanos % 1_000_000_000)
}

/// The issue id in "Created issue #12 [...".
fn created_id(text: &str) -> u64 {
    text.strip_prefix("Created issue #")
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no issue id in {text}"))
}

/// Every page of alpha's wiki index (other runs add pages), following the footer.
async fn all_wiki_pages(s: &mut Server) -> String {
    let mut all = String::new();
    let mut cursor = String::new();
    loop {
        let page = s
            .ok("redmine_list_wiki_pages", json!({"project": "alpha", "limit": 100, "cursor": cursor}))
            .await;
        all.push_str(&page);
        match crate::paging::next_cursor(&page) {
            Some(next) => cursor = next,
            None => return all,
        }
    }
}

fn assert_not_visible(text: &str, what: &str) {
    assert!(text.contains(what) && text.contains("not visible to this API key"), "{text}");
}

#[tokio::test]
async fn projects_with_admin_and_limited_user() {
    let Some(v) = vars() else { return };
    let mut s = admin(&v, false).await;
    let list = s.ok("redmine_list_projects", json!({})).await;
    assert!(
        list.contains("1 `alpha` Alpha Project") && list.contains("2 `beta` Beta Project private"),
        "{list}"
    );
    assert!(list.contains("has_more: false"), "{list}");
    let page = s.ok("redmine_list_projects", json!({"limit": 1})).await;
    assert!(page.contains("Showing 1–1 of") && page.contains("next: cursor=1"), "{page}");
    let rest = s.ok("redmine_list_projects", json!({"limit": 1, "cursor": "1"})).await;
    assert!(rest.contains("Showing 2–2 of") && !rest.contains("`alpha`"), "{rest}");
    let p = s.ok("redmine_get_project", json!({"project": "alpha"})).await;
    for needle in [
        "Project 1 `alpha`: Alpha Project (public)",
        "Trackers: Bug (1), Feature (2), Support (3)",
        "Enabled modules: issue_tracking, time_tracking",
        "Redmine Admin (id 1): Manager",
        "John Smith (id 5): Developer",
    ] {
        assert!(p.contains(needle), "{needle} missing:\n{p}");
    }
    assert!(s.ok("redmine_get_project", json!({"project": 2})).await.contains("(private)"));
    let e = s.err("redmine_get_project", json!({"project": "no-such-project"})).await;
    assert!(e.contains("does not exist"), "{e}");
    let e = s.err("redmine_get_project", json!({"project": "../users"})).await;
    assert!(e.contains("invalid argument `project`"), "{e}");
    s.finish().await;

    let mut u = jsmith(&v, false).await;
    let me = u.ok("redmine_whoami", json!({})).await;
    assert!(me.contains("John Smith (login jsmith, id 5)") && !me.contains("administrator"), "{me}");
    let list = u.ok("redmine_list_projects", json!({})).await;
    assert!(list.contains("`alpha`") && !list.contains("`beta`"), "{list}");
    assert_not_visible(&u.err("redmine_get_project", json!({"project": "beta"})).await, "project `beta`");
    u.finish().await;
}

#[tokio::test]
async fn search_issues_filters_by_names() {
    let Some(v) = vars() else { return };
    let mut s = admin(&v, false).await;
    // Open only by default: closed #3 is missing, and the header says so.
    let open =
        s.ok("redmine_search_issues", json!({"project": "alpha", "sort": "id:asc", "limit": 10})).await;
    assert!(open.contains("#1 [Bug · In Progress · High]") && !open.contains("#3 ["), "{open}");
    assert!(open.contains("open only by default"), "{open}");
    let all = s
        .ok("redmine_search_issues", json!({"project": "alpha", "status": "*", "sort": "id", "limit": 10}))
        .await;
    assert!(all.contains("#3 [Support · Closed · Low]"), "{all}");
    let closed = s.ok("redmine_search_issues", json!({"status": "Closed", "subject": "API key"})).await;
    assert!(closed.contains("#3 [") && closed.contains("Showing 1–1 of 1"), "{closed}");

    let cases: &[(Value, &[&str], &[&str])] = &[
        (json!({"tracker": "Bug", "status": "In Progress", "subject": "password"}), &["#1 ["], &[]),
        (json!({"tracker": "Feature", "subject": "CSV"}), &["#2 [", "#6 ["], &["#1 ["]),
        (json!({"assignee": "John Smith", "subject": "CSV"}), &["#6 ["], &["#2 ["]),
        (json!({"author": "jsmith", "subject": "API key", "status": "*"}), &["#3 ["], &[]),
        (json!({"author": "Redmine Admin", "subject": "API key", "status": "*"}), &[], &["#3 ["]),
        (json!({"priority": "High", "subject": "password"}), &["#1 ["], &[]),
        (json!({"project": "alpha", "version": "v1.0", "subject": "password"}), &["#1 ["], &[]),
        (json!({"project": "alpha", "version": "v1.0", "subject": "CSV"}), &["#2 ["], &["#6 ["]),
        (json!({"parent": 2}), &["#6 ["], &["#2 ["]),
        (json!({"subject": "CSV", "sort": "id:asc"}), &["#2 [", "#6 ["], &[]),
        (
            json!({"created": "2000-01-01..", "updated": "..2999-12-31", "subject": "Login page"}),
            &["#1 ["],
            &[],
        ),
        (json!({"created": "2000-01-01..2000-12-31"}), &[], &["#1 ["]),
    ];
    for (args, present, absent) in cases {
        let text = s.ok("redmine_search_issues", args.clone()).await;
        for p in *present {
            assert!(text.contains(p), "{args}: {p} missing:\n{text}");
        }
        for a in *absent {
            assert!(!text.contains(a), "{args}: {a} unexpected:\n{text}");
        }
    }
    let sorted = s.ok("redmine_search_issues", json!({"subject": "CSV", "sort": "id:asc"})).await;
    assert!(sorted.find("#2 [") < sorted.find("#6 ["), "{sorted}");
    let paged = s.ok("redmine_search_issues", json!({"subject": "CSV", "limit": 1, "cursor": "1"})).await;
    assert!(paged.contains("Showing 2–2 of 2; has_more: false"), "{paged}");
    let alias = s.ok("redmine_search_issues", json!({"subject": "CSV", "limit": 1, "offset": 1})).await;
    assert_eq!(alias, paged, "`offset` is an alias of `cursor`");
    let first = s.ok("redmine_search_issues", json!({"subject": "CSV", "limit": 1})).await;
    assert!(first.contains("has_more: true; next: cursor=1"), "{first}");

    for (args, needle) in [
        (json!({"status": "Bogus"}), "no status named \"Bogus\"; known: New (1)"),
        (json!({"tracker": "Epic"}), "no tracker named"),
        (json!({"assignee": "Nobody At All"}), "no visible user named"),
        (json!({"version": "v1.0"}), "also give `project`"),
        (json!({"project": "alpha", "version": "v9"}), "has no version named"),
        (json!({"created": "2025-13-01.."}), "invalid argument `created`"),
        (json!({"sort": "password"}), "invalid argument `sort`"),
        (json!({"limit": 0}), "invalid argument `limit`"),
        (json!({"parent": -1}), "invalid argument `parent`"),
    ] {
        let e = s.err("redmine_search_issues", args.clone()).await;
        assert!(e.contains(needle), "{args}: {e}");
    }
    s.finish().await;

    // jsmith: `me`, and the private issue and private project stay hidden.
    let mut u = jsmith(&v, false).await;
    let mine = u
        .ok("redmine_search_issues", json!({"assignee": "me", "status": "*", "sort": "id", "limit": 2}))
        .await;
    assert!(mine.contains("#1 [") && mine.contains("#6 [") && !mine.contains("#2 ["), "{mine}");
    // Not an administrator: names are found among project members.
    let theirs = u.ok("redmine_search_issues", json!({"assignee": "Redmine Admin", "subject": "CSV"})).await;
    assert!(theirs.contains("#2 [") && !theirs.contains("#6 ["), "{theirs}");
    let all = u.ok("redmine_search_issues", json!({"status": "*", "limit": 100})).await;
    assert!(!all.contains("#4 [") && !all.contains("#5 ["), "{all}");
    assert_not_visible(&u.err("redmine_search_issues", json!({"project": "beta"})).await, "project `beta`");
    u.finish().await;
}

#[tokio::test]
async fn get_issue_shows_history_in_readable_form() {
    let Some(v) = vars() else { return };
    let mut s = admin(&v, false).await;
    let one = s.ok("redmine_get_issue", json!({"id": 1})).await;
    // The web page, from the configured URL.
    let web = format!("\nWeb: {}/issues/1\n", v["REDMINE_URL"].trim_end_matches('/'));
    assert!(one.contains(&web), "{one}");
    for needle in [
        "Issue #1 [Bug · In Progress · High] Login page returns 500 when password is empty",
        "Assignee: John Smith",
        "Version: v1.0",
        "Severity (#1): High",
        "Watchers: Redmine Admin",
        "relates #3",
        "journal 2 by John Smith",
        "Status: New -> In Progress",
        "% Done: 0% -> 80%",
        "<<<tracker data: journal 2 by John Smith at ",
        ">>>\nI can reproduce this on staging",
        "<<<tracker data: description>>>\nSteps:\n1. Open /login",
        "History, oldest first:",
    ] {
        assert!(one.contains(needle), "{needle} missing:\n{one}");
    }
    assert!(!one.contains('\r'), "Redmine's \\r\\n must be normalised");
    let two = s.ok("redmine_get_issue", json!({"id": 2})).await;
    assert!(
        two.contains("Subtask #6 added") && two.contains("Subtasks: #6 [Feature] Design the CSV"),
        "{two}"
    );
    let closed = s.ok("redmine_get_issue", json!({"id": 3})).await;
    assert!(closed.contains("Status: ") && closed.contains("-> Closed"), "{closed}");
    assert!(closed.contains("relates #1"), "the reverse side of relation 1:\n{closed}");
    let journal = s.ok("redmine_get_issue", json!({"id": 1, "journal_id": 3})).await;
    assert!(
        journal.starts_with("Issue #1 journal 3 by Redmine Admin")
            && journal.contains("The fix is in review")
    );
    assert!(!journal.contains("journal 2"), "{journal}");
    let e = s.err("redmine_get_issue", json!({"id": 1, "journal_id": 4})).await;
    assert!(e.contains("has no journal 4"), "{e}");
    // The private issue is visible to the admin.
    assert!(s.ok("redmine_get_issue", json!({"id": 4})).await.contains("Private"));
    let e = s.err("redmine_get_issue", json!({"id": 987_654})).await;
    assert!(e.contains("issue 987654 does not exist"), "{e}");
    let e = s.err("redmine_get_issue", json!({"id": 0})).await;
    assert!(e.contains("invalid argument `id`"), "{e}");
    s.finish().await;

    let mut u = jsmith(&v, false).await;
    assert!(u.ok("redmine_get_issue", json!({"id": 1})).await.contains("Status: New -> In Progress"));
    assert_not_visible(&u.err("redmine_get_issue", json!({"id": 4})).await, "issue 4");
    assert_not_visible(&u.err("redmine_get_issue", json!({"id": 5})).await, "issue 5");
    u.finish().await;
}

#[tokio::test]
async fn full_text_search_enumerations_versions_time_and_wiki() {
    let Some(v) = vars() else { return };
    let mut s = admin(&v, false).await;
    let hits = s.ok("redmine_search", json!({"query": "CSV", "types": "issues"})).await;
    assert!(
        hits.contains("issue 2 | Feature #2 (New): Add CSV export") && hits.contains("issue 6 |"),
        "{hits}"
    );
    assert!(hits.contains("<<<tracker data: search results>>>"), "{hits}");
    let wiki =
        s.ok("redmine_search", json!({"query": "Alpha", "project": "alpha", "types": "wiki_pages"})).await;
    assert!(wiki.contains("wiki-page"), "{wiki}");
    let e = s.err("redmine_search", json!({"query": "x", "types": "bugs"})).await;
    assert!(e.contains("invalid argument `types`"), "{e}");
    assert!(s.err("redmine_search", json!({"query": "  "})).await.contains("invalid argument `query`"));

    let en = s.ok("redmine_list_enumerations", json!({})).await;
    for needle in [
        "Statuses: 1 New, 2 In Progress, 3 Resolved, 4 Feedback, 5 Closed (closed), 6 Rejected (closed)",
        "Trackers: 1 Bug, 2 Feature, 3 Support",
        "2 Normal (default)",
        "Time-entry activities: 8 Design, 9 Development",
        "1 Severity (issue list: Low/Medium/High/Critical)",
        "\nCustom fields: Showing 1–",
    ] {
        assert!(en.contains(needle), "{needle} missing:\n{en}");
    }
    let none = s.ok("redmine_list_enumerations", json!({"limit": 1, "cursor": 1000})).await;
    assert!(none.contains("Statuses: 1 New") && none.contains("Custom fields: none"), "{none}");
    assert!(none.contains("has_more: false") && !none.contains("Severity"), "{none}");
    let versions = s.ok("redmine_list_versions", json!({"project": "alpha"})).await;
    assert!(versions.contains("1 v1.0 [open] project Alpha Project; due 2030-06-30"), "{versions}");
    let time = s.ok("redmine_list_time_entries", json!({"issue": 1})).await;
    assert!(time.contains("1 2025-01-07 1.5h Development by John Smith — Alpha Project #1"), "{time}");
    let time = s
        .ok(
            "redmine_list_time_entries",
            json!({"project": "alpha", "from": "2025-01-08", "to": "2025-01-08"}),
        )
        .await;
    assert!(time.contains("0.5h Design by Redmine Admin") && !time.contains("1.5h"), "{time}");
    assert!(s.err("redmine_list_time_entries", json!({"from": "yesterday"})).await.contains("YYYY-MM-DD"));
    let pages = all_wiki_pages(&mut s).await;
    assert!(pages.contains("\nWiki v"), "{pages}");
    let page =
        s.ok("redmine_get_wiki_page", json!({"project": "alpha", "title": "Wiki", "version": 1})).await;
    assert!(page.contains("<<<tracker data: wiki page Wiki>>>\nh1. Alpha Wiki"), "{page}");
    let e = s.err("redmine_get_wiki_page", json!({"project": "alpha", "title": "No_Such_Page"})).await;
    assert!(e.contains("wiki page No_Such_Page of project `alpha` does not exist"), "{e}");
    s.finish().await;

    let mut u = jsmith(&v, false).await;
    let hits = u.ok("redmine_search", json!({"query": "session fixation"})).await;
    assert!(!hits.contains("issue 4"), "private issue leaked to jsmith: {hits}");
    let en = u.ok("redmine_list_enumerations", json!({})).await;
    assert!(en.contains("administrators only") && en.contains("Statuses: 1 New"), "{en}");
    let mine = u.ok("redmine_list_time_entries", json!({"user": "me", "issue": 1})).await;
    assert!(mine.contains("by John Smith") && !mine.contains("by Redmine Admin"), "{mine}");
    assert_not_visible(&u.err("redmine_list_versions", json!({"project": "beta"})).await, "project `beta`");
    assert_not_visible(&u.err("redmine_list_wiki_pages", json!({"project": "beta"})).await, "project `beta`");
    assert_not_visible(
        &u.err("redmine_get_wiki_page", json!({"project": "beta", "title": "Wiki"})).await,
        "project `beta`",
    );
    u.finish().await;
}

/// Upload a file and attach it to a new issue (setup only, outside the binary).
async fn attach(
    v: &HashMap<String, String>,
    project: u64,
    filename: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> u64 {
    let client = reqwest::Client::new();
    let key = &v["REDMINE_API_KEY"];
    let url = &v["REDMINE_URL"];
    let upload: Value = client
        .post(format!("{url}/uploads.json?filename={filename}"))
        .header("X-Redmine-API-Key", key)
        .header("Content-Type", "application/octet-stream")
        .body(bytes)
        .send()
        .await
        .expect("upload")
        .json()
        .await
        .expect("upload json");
    let token = upload["upload"]["token"].as_str().expect("token").to_owned();
    let issue: Value = client
        .post(format!("{url}/issues.json"))
        .header("X-Redmine-API-Key", key)
        .json(&json!({"issue": {"project_id": project, "subject": format!("attachment test {}", unique()),
            "uploads": [{"token": token, "filename": filename, "content_type": content_type}]}}))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("issue json");
    let id = issue["issue"]["id"].as_u64().expect("issue id");
    let issue: Value = client
        .get(format!("{url}/issues/{id}.json?include=attachments"))
        .header("X-Redmine-API-Key", key)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    issue["issue"]["attachments"][0]["id"].as_u64().expect("attachment id")
}

#[tokio::test]
async fn attachments_text_and_binary() {
    let Some(v) = vars() else { return };
    let text_id = attach(&v, 1, "server.log", "text/plain", b"line one\r\nERROR boom\n".to_vec()).await;
    let bin_id = attach(&v, 1, "shot.png", "image/png", vec![0x89, b'P', b'N', b'G', 0, 1, 2, 3]).await;
    let mut s = admin(&v, false).await;
    let text = s.ok("redmine_get_attachment", json!({"id": text_id})).await;
    assert!(text.contains(&format!("Attachment {text_id} server.log")), "{text}");
    assert!(text.contains("ERROR boom") && text.contains("<<<tracker data: attachment"), "{text}");
    // Declared a PNG, but its bytes are not one: described, not sent as an image.
    let bin = s.ok("redmine_get_attachment", json!({"id": bin_id})).await;
    assert!(
        bin.contains("shot.png") && bin.contains("Binary content (image/png, 8 bytes): not shown"),
        "{bin}"
    );
    // A real PNG declared as octet-stream comes back as image content, byte for byte.
    let png_id = attach(&v, 1, "shot.bin", "application/octet-stream", crate::images::PNG.to_vec()).await;
    let answer = s.call_raw("redmine_get_attachment", json!({"id": png_id})).await;
    assert_eq!(crate::images::image_of(&answer), Some(("image/png".to_owned(), crate::images::PNG.to_vec())));
    assert!(
        crate::common::tool_text(&answer["result"]).contains("Image (image/png, 67 bytes) follows."),
        "{answer}"
    );
    let issue = s.ok("redmine_search_issues", json!({"subject": "attachment test", "limit": 1})).await;
    assert!(issue.contains("attachment test"), "{issue}");
    let e = s.err("redmine_get_attachment", json!({"id": 99_999_999})).await;
    assert!(e.contains("attachment 99999999 does not exist"), "{e}");
    s.finish().await;

    // An attachment in the private project is hidden from jsmith; alpha's is not.
    let private_id = attach(&v, 2, "secret.txt", "text/plain", b"beta only".to_vec()).await;
    let mut u = jsmith(&v, false).await;
    assert!(u.ok("redmine_get_attachment", json!({"id": text_id})).await.contains("ERROR boom"));
    assert_not_visible(
        &u.err("redmine_get_attachment", json!({"id": private_id})).await,
        &format!("attachment {private_id}"),
    );
    u.finish().await;
}

#[tokio::test]
async fn issue_writes_round_trip() {
    let Some(v) = vars() else { return };
    let tag = unique();
    let mut s = admin(&v, true).await;
    let subject = format!("Live write test {tag}");
    let created = s
        .ok(
            "redmine_create_issue",
            json!({"project": "alpha", "subject": subject, "tracker": "Bug", "priority": "High",
                   "description": "first line\nsecond line", "assignee": "Redmine Admin",
                   "version": "v1.0", "custom_fields": {"Severity": "Low"}, "done_ratio": 10,
                   "start_date": "2025-02-01"}),
        )
        .await;
    let id = created_id(&created);
    assert!(
        created.ends_with(&format!("Web: {}/issues/{id}", v["REDMINE_URL"].trim_end_matches('/'))),
        "{created}"
    );
    let other = created_id(
        &s.ok(
            "redmine_create_issue",
            json!({"project": "alpha", "subject": format!("Live relation target {tag}")}),
        )
        .await,
    );
    assert!(
        created.contains("[Bug · New · High]") && created.contains("assignee Redmine Admin"),
        "{created}"
    );
    let issue = s.ok("redmine_get_issue", json!({"id": id})).await;
    assert!(issue.contains("first line\nsecond line") && issue.contains("Severity (#1): Low"), "{issue}");

    // Dry runs validate and show the request, and change nothing.
    let dry = s
        .ok(
            "redmine_update_issue",
            json!({"id": id, "status": "In Progress", "notes": "dry", "dry_run": true}),
        )
        .await;
    assert!(dry.contains(&format!("PUT /issues/{id}.json")), "{dry}");
    assert!(dry.contains(r#"{"issue":{"notes":"dry","status_id":2}}"#), "{dry}");
    let dry = s.ok("redmine_add_note", json!({"id": id, "notes": "dry note", "dry_run": true})).await;
    assert!(dry.contains(r#"{"issue":{"notes":"dry note"}}"#), "{dry}");
    let dry = s
        .ok("redmine_log_time", json!({"issue": id, "hours": 2, "activity": "Design", "dry_run": true}))
        .await;
    assert!(dry.contains("POST /time_entries.json") && dry.contains(r#""activity_id":8"#), "{dry}");
    let dry = s
        .ok(
            "redmine_add_relation",
            json!({"id": id, "to": other, "relation_type": "relates", "dry_run": true}),
        )
        .await;
    assert!(dry.contains(&format!("POST /issues/{id}/relations.json")), "{dry}");
    let dry =
        s.ok("redmine_create_issue", json!({"project": "alpha", "subject": "never", "dry_run": true})).await;
    assert!(dry.contains(r#"{"issue":{"project_id":1,"subject":"never"}}"#), "{dry}");
    let unchanged = s.ok("redmine_get_issue", json!({"id": id})).await;
    assert!(unchanged.contains("[Bug · New · High]") && !unchanged.contains("dry"), "{unchanged}");

    let updated = s
        .ok(
            "redmine_update_issue",
            json!({"id": id, "status": "In Progress", "assignee": "John Smith", "done_ratio": 50,
                   "custom_fields": {"Severity": "High"}, "due_date": "2025-03-01", "version": "none",
                   "notes": "Moving on.\nSecond line."}),
        )
        .await;
    assert!(updated.contains("[Bug · In Progress · High]") && !updated.contains("Warning"), "{updated}");
    let note = s.ok("redmine_add_note", json!({"id": id, "notes": "Only for staff", "private": true})).await;
    assert!(note.starts_with(&format!("Added a private note to issue #{id} as journal ")), "{note}");
    let rel = s.ok("redmine_add_relation", json!({"id": id, "to": other, "relation_type": "blocks"})).await;
    assert!(rel.contains(&format!("#{id} blocks #{other}")), "{rel}");
    let again =
        s.err("redmine_add_relation", json!({"id": id, "to": other, "relation_type": "blocks"})).await;
    assert!(again.contains("HTTP 422") && again.contains("already related"), "{again}");
    let logged = s
        .ok(
            "redmine_log_time",
            json!({"issue": id, "hours": 0.75, "activity": "Development",
                                       "spent_on": "2025-02-03", "comments": "live test"}),
        )
        .await;
    assert!(
        logged.contains("0.75h Development on 2025-02-03 by Redmine Admin")
            && logged.contains(&format!("#{id}"))
    );

    let history = s.ok("redmine_get_issue", json!({"id": id})).await;
    for needle in [
        "Status: New -> In Progress",
        &format!("Relations: blocks #{other}"),
        "Assignee: Redmine Admin -> John Smith",
        "% Done: 10% -> 50%",
        "Severity: Low -> High",
        "Due date: (none) -> 2025-03-01",
        "Target version: v1.0 -> (none)",
        "Moving on.\nSecond line.",
        "(private note)",
        &format!("Relation added: blocks #{other}"),
        "Spent: 0.75h",
    ] {
        assert!(history.contains(needle), "{needle} missing:\n{history}");
    }
    let time = s.ok("redmine_list_time_entries", json!({"issue": id})).await;
    assert!(time.contains("0.75h Development") && time.contains("live test"), "{time}");

    // Refusals with their reason.
    let e = s.err("redmine_update_issue", json!({"id": id, "parent": 99_999_999})).await;
    assert!(e.contains("HTTP 422") && e.contains("Parent task is invalid"), "{e}");
    let e = s.err("redmine_update_issue", json!({"id": id})).await;
    assert!(e.contains("nothing to change"), "{e}");
    let e = s.err("redmine_create_issue", json!({"project": "alpha"})).await;
    assert!(e.contains("invalid argument `subject`"), "{e}");
    let e = s.err("redmine_log_time", json!({"issue": id, "hours": 0})).await;
    assert!(e.contains("invalid argument `hours`"), "{e}");
    let e = s.err("redmine_add_relation", json!({"id": id, "to": id, "relation_type": "relates"})).await;
    assert!(e.contains("invalid argument `to`"), "{e}");
    let e = s.err("redmine_add_relation", json!({"id": id, "to": other, "relation_type": "fixes"})).await;
    assert!(e.contains("invalid argument `relation_type`"), "{e}");
    s.finish().await;
}

#[tokio::test]
async fn limited_user_writes_are_refused_clearly() {
    let Some(v) = vars() else { return };
    let mut u = jsmith(&v, true).await;
    assert_not_visible(
        &u.err("redmine_create_issue", json!({"project": "beta", "subject": "not allowed"})).await,
        "project `beta`",
    );
    assert_not_visible(&u.err("redmine_update_issue", json!({"id": 4, "notes": "x"})).await, "issue 4");
    let e = u.err("redmine_add_note", json!({"id": 5, "notes": "x"})).await;
    assert!(e.contains("issue 5") && e.contains("HTTP 403"), "{e}");
    let e = u.err("redmine_log_time", json!({"project": "beta", "hours": 1})).await;
    assert_not_visible(&e, "project `beta`");
    let e = u.err("redmine_add_relation", json!({"id": 1, "to": 4, "relation_type": "relates"})).await;
    assert!(e.contains("HTTP 422") || e.contains("HTTP 403") || e.contains("HTTP 404"), "{e}");
    let e = u.err("redmine_update_wiki_page", json!({"project": "beta", "title": "Wiki", "text": "x"})).await;
    assert!(e.contains("project `beta`"), "{e}");

    // jsmith may create in alpha, but not make every status transition: Redmine would ignore a
    // disallowed status silently (204), so the tool checks the workflow first and refuses.
    let created = u
        .ok(
            "redmine_create_issue",
            json!({"project": "alpha", "subject": format!("jsmith write {}", unique())}),
        )
        .await;
    let id = created_id(&created);
    let refused = u.err("redmine_update_issue", json!({"id": id, "status": "Rejected"})).await;
    assert!(refused.contains("`status`") && refused.contains("not allowed"), "{refused}");
    assert!(refused.contains("allowed: New, In Progress"), "{refused}");
    let dry = u.err("redmine_update_issue", json!({"id": id, "status": "Rejected", "dry_run": true})).await;
    assert!(dry.contains("not allowed"), "a dry run validates the transition too: {dry}");
    let issue = u.ok("redmine_get_issue", json!({"id": id})).await;
    assert!(issue.contains("Statuses this user may set: New, In Progress"), "{issue}");
    let ok = u.ok("redmine_update_issue", json!({"id": id, "status": "In Progress", "assignee": "me"})).await;
    assert!(
        ok.contains("In Progress") && ok.contains("assignee John Smith") && !ok.contains("Warning"),
        "{ok}"
    );
    u.finish().await;
}

#[tokio::test]
async fn saved_queries_list_and_run() {
    let Some(v) = vars() else { return };
    let mut s = admin(&v, false).await;
    // Redmine's default data brings four public queries for all projects.
    let list = s.ok("redmine_list_queries", json!({})).await;
    assert!(list.contains("1 Issues assigned to me — public, all projects"), "{list}");
    assert!(list.contains("Watched issues — public") && list.contains("has_more: false"), "{list}");
    let page = s.ok("redmine_list_queries", json!({"limit": 1, "cursor": "1"})).await;
    assert!(page.contains("Showing 2–2 of") && !page.contains("assigned to me"), "{page}");
    // The query's own filter applies: the admin's assigned issues (#2), not jsmith's (#1).
    let mine = s.ok("redmine_search_issues", json!({"query": 1, "project": "alpha", "limit": 100})).await;
    assert!(mine.contains(r#"saved query 1 "Issues assigned to me", project alpha"#), "{mine}");
    assert!(mine.contains("#2 [") && !mine.contains("#1 ["), "{mine}");
    let e = s.err("redmine_search_issues", json!({"query": 1, "status": "*"})).await;
    assert!(e.contains("invalid argument `status`") && e.contains("saved query's filters"), "{e}");
    let e = s.err("redmine_search_issues", json!({"query": "No such query"})).await;
    assert!(e.contains("invalid argument `query`") && e.contains("Issues assigned to me (1)"), "{e}");
    let e = s.err("redmine_search_issues", json!({"query": 999_999})).await;
    assert!(e.contains("saved query 999999") && e.contains("does not exist"), "{e}");
    s.finish().await;

    let mut u = jsmith(&v, false).await;
    let mine = u
        .ok(
            "redmine_search_issues",
            json!({"query": "issues ASSIGNED to me", "sort": "id:asc", "limit": 100}),
        )
        .await;
    assert!(mine.contains("#1 [") && mine.contains("#6 [") && !mine.contains("#2 ["), "{mine}");
    assert!(mine.contains("sorted by id:asc") && !mine.contains("open only by default"), "{mine}");
    u.finish().await;
}

/// The "Added relation 12: ..." / "Logged time entry 12: ..." id.
fn id_after(text: &str, prefix: &str) -> u64 {
    text.strip_prefix(prefix)
        .and_then(|rest| rest.split(':').next())
        .and_then(|id| id.trim().parse().ok())
        .unwrap_or_else(|| panic!("no id after {prefix:?} in {text}"))
}

#[tokio::test]
async fn watchers_relation_delete_and_time_entry_fixes() {
    let Some(v) = vars() else { return };
    let tag = unique();
    let mut s = admin(&v, true).await;
    let id = created_id(
        &s.ok("redmine_create_issue", json!({"project": "alpha", "subject": format!("Watch {tag}")})).await,
    );
    let other = created_id(
        &s.ok("redmine_create_issue", json!({"project": "alpha", "subject": format!("Other {tag}")})).await,
    );

    let dry = s.ok("redmine_add_watcher", json!({"id": id, "user": "jsmith", "dry_run": true})).await;
    assert!(dry.contains(&format!("POST /issues/{id}/watchers.json")) && dry.contains(r#"{"user_id":5}"#));
    let watch = s.ok("redmine_add_watcher", json!({"id": id, "user": "John Smith"})).await;
    assert_eq!(watch, format!("Watching issue #{id}: John Smith (5)."));
    let me = s.ok("redmine_add_watcher", json!({"id": id, "user": "me"})).await;
    assert!(me.contains("John Smith (5)") && me.contains("Redmine Admin (1)"), "{me}");
    // Redmine answers 204 for a user it skips; the tool says so.
    let skipped = s.ok("redmine_add_watcher", json!({"id": id, "user": 99_999_999})).await;
    assert!(skipped.contains("accepted the request, but user 99999999 is not among"), "{skipped}");
    let dry = s.ok("redmine_remove_watcher", json!({"id": id, "user": 5, "dry_run": true})).await;
    assert!(dry.ends_with(&format!("DELETE /issues/{id}/watchers/5.json")), "{dry}");
    let gone = s.ok("redmine_remove_watcher", json!({"id": id, "user": "jsmith"})).await;
    assert_eq!(gone, format!("User 5 no longer watches issue #{id}. Watchers: Redmine Admin (1)."));
    let again = s.ok("redmine_remove_watcher", json!({"id": id, "user": "jsmith"})).await;
    assert!(again.contains("(was not watching)"), "{again}");
    let e = s.err("redmine_add_watcher", json!({"id": id, "user": "nobody-here"})).await;
    assert!(e.contains("invalid argument `user`"), "{e}");

    let rel = s.ok("redmine_add_relation", json!({"id": id, "to": other, "relation_type": "relates"})).await;
    let relation = id_after(&rel, "Added relation ");
    let dry = s.ok("redmine_delete_relation", json!({"id": relation, "dry_run": true})).await;
    assert!(dry.contains(&format!("DELETE /relations/{relation}.json")), "{dry}");
    assert!(dry.ends_with(&format!("Relation {relation}: #{id} relates #{other}")), "{dry}");
    let deleted = s.ok("redmine_delete_relation", json!({"id": relation})).await;
    assert_eq!(deleted, format!("Deleted relation {relation}: #{id} relates #{other}."));
    let e = s.err("redmine_delete_relation", json!({"id": relation})).await;
    assert!(e.contains(&format!("relation {relation} does not exist")), "{e}");
    let issue = s.ok("redmine_get_issue", json!({"id": id})).await;
    assert!(!issue.contains(&format!("Relations: relates #{other}")), "{issue}");

    let logged = s.ok("redmine_log_time", json!({"issue": id, "hours": 0.5, "activity": "Design"})).await;
    let entry = id_after(&logged, "Logged time entry ");
    let dry = s.ok("redmine_update_time_entry", json!({"id": entry, "hours": 2.5, "dry_run": true})).await;
    assert!(dry.contains(&format!("PUT /time_entries/{entry}.json")), "{dry}");
    assert!(dry.contains(r#"{"time_entry":{"hours":2.5}}"#), "{dry}");
    let fixed = s
        .ok(
            "redmine_update_time_entry",
            json!({"id": entry, "hours": 2.5, "activity": "Development", "spent_on": "2025-02-04",
                   "comments": "fixed", "issue": other}),
        )
        .await;
    assert!(
        fixed.starts_with(&format!(
            "Updated time entry {entry}: 2.5h Development on 2025-02-04 by Redmine Admin — Alpha Project #{other} (was 0.5h Design"
        )),
        "{fixed}"
    );
    let e = s.err("redmine_update_time_entry", json!({"id": entry})).await;
    assert!(e.contains("invalid argument `hours`") && e.contains("nothing to change"), "{e}");
    let e = s.err("redmine_update_time_entry", json!({"id": entry, "activity": "Sleeping"})).await;
    assert!(e.contains("invalid argument `activity`") && e.contains("Design (8)"), "{e}");
    let dry = s.ok("redmine_delete_time_entry", json!({"id": entry, "dry_run": true})).await;
    assert!(dry.contains(&format!("DELETE /time_entries/{entry}.json")) && dry.contains("2.5h Development"));
    let deleted = s.ok("redmine_delete_time_entry", json!({"id": entry})).await;
    assert!(deleted.starts_with(&format!("Deleted time entry {entry}: 2.5h Development")), "{deleted}");
    let e = s.err("redmine_delete_time_entry", json!({"id": entry})).await;
    assert!(e.contains(&format!("time entry {entry} does not exist")), "{e}");
    s.finish().await;

    // jsmith (Developer) may neither add watchers nor touch the admin's time.
    let entry = id_after(&admin_logs_time(&v, id).await, "Logged time entry ");
    let mut u = jsmith(&v, true).await;
    let e = u.err("redmine_add_watcher", json!({"id": id, "user": "me"})).await;
    assert!(e.contains("HTTP 403") && e.contains(&format!("issue {id}")), "{e}");
    let e = u.err("redmine_update_time_entry", json!({"id": entry, "hours": 1})).await;
    assert!(e.contains("HTTP 403") && e.contains(&format!("time entry {entry}")), "{e}");
    let e = u.err("redmine_delete_time_entry", json!({"id": entry})).await;
    assert!(e.contains("HTTP 403") && e.contains(&format!("time entry {entry}")), "{e}");
    u.finish().await;
}

/// Log half an hour on an issue as the admin, in a server of its own.
async fn admin_logs_time(v: &HashMap<String, String>, issue: u64) -> String {
    let mut s = admin(v, true).await;
    let logged = s.ok("redmine_log_time", json!({"issue": issue, "hours": 0.5, "activity": "Design"})).await;
    s.finish().await;
    logged
}

/// Redmine's web session for the admin (the project activity settings have no API): the
/// session cookie and the page's form token.
struct WebSession {
    client: reqwest::Client,
    url: String,
    cookie: String,
}

impl WebSession {
    async fn login(v: &HashMap<String, String>) -> Self {
        let client =
            reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        let mut web = Self { client, url: v["REDMINE_URL"].clone(), cookie: String::new() };
        let token = web.token("/login").await;
        let password = std::env::var("REDMINE_ADMIN_PASSWORD").unwrap_or_else(|_| "admin-password".into());
        let form = [("authenticity_token", token.as_str()), ("username", "admin"), ("password", &password)];
        let status = web.post("/login", &form).await;
        assert_eq!(status, 302, "web login");
        web
    }

    /// Redmine renews its one session cookie on login: keep the newest.
    fn keep_cookie(&mut self, response: &reqwest::Response) {
        let session = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|h| h.to_str().ok()?.split(';').next())
            .next_back();
        if let Some(c) = session {
            self.cookie = c.to_owned();
        }
    }

    /// A page's text, and its `authenticity_token`.
    async fn page(&mut self, path: &str) -> (String, String) {
        let response = self
            .client
            .get(format!("{}{path}", self.url))
            .header("Cookie", &self.cookie)
            .send()
            .await
            .expect("page");
        self.keep_cookie(&response);
        let html = response.text().await.expect("html");
        let token = html
            .split("name=\"authenticity_token\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("no form token on {path}"))
            .to_owned();
        (html, token)
    }

    async fn token(&mut self, path: &str) -> String {
        self.page(path).await.1
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> u16 {
        let response = self
            .client
            .post(format!("{}{path}", self.url))
            .header("Cookie", &self.cookie)
            .form(form)
            .send()
            .await
            .expect("post");
        self.keep_cookie(&response);
        response.status().as_u16()
    }
}

/// A new project whose "Development" activity is its own (a new id overriding the global 9),
/// as an administrator sets it in the project's settings.
async fn project_with_own_activity(v: &HashMap<String, String>) -> (String, u64) {
    // Logged in first: a project is created only when its settings can be changed.
    let mut web = WebSession::login(v).await;
    let identifier = format!("zz-activity-{}", unique());
    // Named to sort after the seeded projects, which other tests page through.
    let created = reqwest::Client::new()
        .post(format!("{}/projects.json", v["REDMINE_URL"]))
        .header("X-Redmine-API-Key", &v["REDMINE_API_KEY"])
        .json(&json!({"project": {"name": format!("Zz {identifier}"), "identifier": identifier}}))
        .send()
        .await
        .expect("create project");
    assert_eq!(created.status().as_u16(), 201, "create project");
    let settings = format!("/projects/{identifier}/settings/activities");
    let enumerations = format!("/projects/{identifier}/enumerations");
    // Deactivating creates the project's own copy (a new id); activating it again keeps the id.
    let token = web.token(&settings).await;
    let form = [
        ("authenticity_token", token.as_str()),
        ("_method", "put"),
        ("enumerations[9][parent_id]", "9"),
        ("enumerations[9][active]", "0"),
    ];
    assert_eq!(web.post(&enumerations, &form).await, 302);
    let (html, token) = web.page(&settings).await;
    let own = html
        .split("enumerations[")
        .filter_map(|rest| rest.split(']').next()?.parse::<u64>().ok())
        .find(|id| *id > 9)
        .expect("the project's own activity");
    let key = format!("enumerations[{own}][active]");
    let form = [("authenticity_token", token.as_str()), ("_method", "put"), (key.as_str(), "1")];
    assert_eq!(web.post(&enumerations, &form).await, 302);
    (identifier, own)
}

#[tokio::test]
async fn log_time_uses_the_project_s_own_activities() {
    let Some(v) = vars() else { return };
    let (project, own) = project_with_own_activity(&v).await;
    let mut s = admin(&v, true).await;
    let dry = s
        .ok(
            "redmine_log_time",
            json!({"project": project, "hours": 1, "activity": "development", "dry_run": true}),
        )
        .await;
    assert!(dry.contains(&format!(r#""activity_id":{own}"#)), "{dry}");
    let logged =
        s.ok("redmine_log_time", json!({"project": project, "hours": 1, "activity": "Development"})).await;
    assert!(logged.contains("1.0h Development on"), "{logged}");
    let entry = id_after(&logged, "Logged time entry ");
    // The global id is refused before Redmine would ("Activity is not included in the list").
    let e = s.err("redmine_log_time", json!({"project": project, "hours": 1, "activity": 9})).await;
    assert!(e.contains("invalid argument `activity`") && e.contains("id 9 is not an activity"), "{e}");
    assert!(e.contains(&format!("Development ({own})")), "{e}");
    // An issue's time resolves against its project's list too.
    let issue = created_id(
        &s.ok("redmine_create_issue", json!({"project": project, "subject": "activity test"})).await,
    );
    let dry = s
        .ok(
            "redmine_log_time",
            json!({"issue": issue, "hours": 1, "activity": "Development", "dry_run": true}),
        )
        .await;
    assert!(dry.contains(&format!(r#""activity_id":{own}"#)), "{dry}");
    // Redmine keeps a project whose activity is in use: the entry goes first, then the project.
    s.ok("redmine_delete_time_entry", json!({"id": entry})).await;
    s.finish().await;
    let deleted = reqwest::Client::new()
        .delete(format!("{}/projects/{project}.json", v["REDMINE_URL"]))
        .header("X-Redmine-API-Key", &v["REDMINE_API_KEY"])
        .send()
        .await
        .expect("delete project");
    assert_eq!(deleted.status().as_u16(), 204, "delete project {project}");
}

#[tokio::test]
async fn wiki_write_with_conflict_check() {
    let Some(v) = vars() else { return };
    let title = format!("LiveTest_{}", unique());
    let mut s = admin(&v, true).await;
    let dry = s
        .ok(
            "redmine_update_wiki_page",
            json!({"project": "alpha", "title": title, "text": "x", "dry_run": true}),
        )
        .await;
    assert!(
        dry.contains(&format!("PUT /projects/alpha/wiki/{title}.json"))
            && dry.contains(r#"{"wiki_page":{"text":"x"}}"#)
    );
    let e = s.err("redmine_get_wiki_page", json!({"project": "alpha", "title": title})).await;
    assert!(e.contains("does not exist"), "dry run created the page: {e}");
    let created = s
        .ok(
            "redmine_update_wiki_page",
            json!({"project": "alpha", "title": title, "text": "h1. One\n\nfirst",
                                               "comments": "created by test", "parent_title": "Wiki"}),
        )
        .await;
    assert!(
        created.starts_with(&format!("Created wiki page {title}")) && created.contains("version 1"),
        "{created}"
    );
    let updated = s
        .ok(
            "redmine_update_wiki_page",
            json!({"project": "alpha", "title": title, "text": "h1. One\n\nsecond", "version": 1}),
        )
        .await;
    assert!(updated.starts_with("Updated") && updated.contains("version 2"), "{updated}");
    let stale = s
        .err(
            "redmine_update_wiki_page",
            json!({"project": "alpha", "title": title, "text": "stale", "version": 1}),
        )
        .await;
    assert!(stale.contains("HTTP 409") && stale.contains("read it again"), "{stale}");
    let page = s.ok("redmine_get_wiki_page", json!({"project": "alpha", "title": title})).await;
    assert!(
        page.contains("version 2") && page.contains("h1. One\n\nsecond") && page.contains("parent Wiki"),
        "{page}"
    );
    let old = s.ok("redmine_get_wiki_page", json!({"project": "alpha", "title": title, "version": 1})).await;
    assert!(old.contains("first"), "{old}");
    let pages = all_wiki_pages(&mut s).await;
    assert!(pages.contains(&format!("{title} (parent Wiki) v2")), "{pages}");
    s.finish().await;
}

#[tokio::test]
async fn bad_key_is_explained_and_writes_are_hidden_when_read_only() {
    let Some(v) = vars() else { return };
    let mut s = server(&v, "0123456789abcdef0123456789abcdef01234567", false).await;
    let names = s.operation_names().await;
    assert!(
        names.contains(&"redmine_get_issue".to_owned()) && !names.iter().any(|n| n == "redmine_create_issue")
    );
    for (tool, args) in [
        ("redmine_whoami", json!({})),
        ("redmine_list_projects", json!({})),
        ("redmine_get_issue", json!({"id": 1})),
        ("redmine_list_enumerations", json!({})),
    ] {
        let e = s.err(tool, args).await;
        assert!(e.contains("refused the API key (HTTP 401)") && e.contains("REDMINE_API_KEY"), "{tool}: {e}");
    }
    let (_, stdout, stderr) = s.finish().await;
    assert!(!stdout.contains("0123456789abcdef0123") && !stderr.contains("0123456789abcdef0123"));
}
