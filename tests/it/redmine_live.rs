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
    let bin = s.ok("redmine_get_attachment", json!({"id": bin_id})).await;
    assert!(bin.contains("shot.png") && bin.contains("Binary content: not shown"), "{bin}");
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
    let names = s.tool_names().await;
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
