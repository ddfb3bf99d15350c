//! Redmine (real 5.0): custom-field filters in issue search, by name and by id, with an
//! administrator's key and the limited user's (who cannot read the field definitions); and
//! editing a note, by its author and refused for someone else.

use std::collections::HashMap;

use serde_json::json;

use crate::common::{Server, dev_env, live};

fn vars() -> Option<HashMap<String, String>> {
    live("redmine", &["REDMINE_URL", "REDMINE_API_KEY", "REDMINE_USER_API_KEY"])
}

async fn server(v: &HashMap<String, String>, key: &str) -> Server {
    let env = dev_env(&[("REDMINE_URL", &v["REDMINE_URL"]), ("REDMINE_API_KEY", key)], true);
    Server::start(&env).await.0
}

/// The issue ids of a search result's lines ("#12 [...").
fn ids(text: &str) -> Vec<u64> {
    text.lines()
        .filter_map(|l| l.strip_prefix('#'))
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect()
}

#[tokio::test]
async fn custom_field_filters_by_name_or_id() {
    let Some(v) = vars() else { return };
    for key in ["REDMINE_API_KEY", "REDMINE_USER_API_KEY"] {
        let mut s = server(&v, &v[key]).await;
        // Seeded: #1 Severity=High, #2 Medium, #4 Critical (private: admin only).
        let high = s
            .ok(
                "redmine_search_issues",
                json!({"project": "alpha", "status": "*", "custom_fields": {"Severity": "High"}}),
            )
            .await;
        let found = ids(&high);
        assert!(found.contains(&1) && !found.contains(&2), "{key}: {high}");
        assert!(high.contains("Severity High"), "{key}: the scope says the filter: {high}");
        let any = s
            .ok(
                "redmine_search_issues",
                json!({"project": "alpha", "status": "*", "custom_fields": {"1": ["Medium", "Critical"]}}),
            )
            .await;
        let found = ids(&any);
        assert!(found.contains(&2) && !found.contains(&1), "{key}: {any}");
        assert_eq!(found.contains(&4), key == "REDMINE_API_KEY", "{key}: the private issue: {any}");
        let unknown = s
            .err("redmine_search_issues", json!({"project": "alpha", "custom_fields": {"Flavour": "x"}}))
            .await;
        assert!(unknown.contains("`custom_fields`") && unknown.contains("Flavour"), "{key}: {unknown}");
        let bad = s.err("redmine_search_issues", json!({"custom_fields": {"1": {"a": 1}}})).await;
        assert!(bad.contains("must be text"), "{bad}");
        s.finish().await;
    }
}

#[tokio::test]
async fn a_note_is_edited_by_its_author_and_not_by_others() {
    let Some(v) = vars() else { return };
    let mut admin = server(&v, &v["REDMINE_API_KEY"]).await;
    let created = admin
        .ok(
            "redmine_create_issue",
            json!({"project": "alpha", "subject": format!("note edit {}", std::process::id())}),
        )
        .await;
    let id: u64 = created
        .strip_prefix("Created issue #")
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{created}"));
    let noted = admin.ok("redmine_add_note", json!({"id": id, "notes": "frist draft"})).await;
    let journal: u64 = noted
        .split(" as journal ")
        .nth(1)
        .and_then(|r| r.trim_end_matches('.').parse().ok())
        .unwrap_or_else(|| panic!("{noted}"));
    let dry = admin
        .ok(
            "redmine_edit_note",
            json!({"id": id, "journal_id": journal, "notes": "first draft", "dry_run": true}),
        )
        .await;
    assert!(dry.contains(&format!("PUT /journals/{journal}.json")), "{dry}");
    let edited =
        admin.ok("redmine_edit_note", json!({"id": id, "journal_id": journal, "notes": "first draft"})).await;
    assert_eq!(edited, format!("Edited note {journal} of issue #{id}."));
    let shown = admin.ok("redmine_get_issue", json!({"id": id})).await;
    assert!(shown.contains("first draft") && !shown.contains("frist"), "{shown}");
    let empty = admin.err("redmine_edit_note", json!({"id": id, "journal_id": journal, "notes": " "})).await;
    assert!(empty.contains("must not be empty"), "{empty}");
    let wrong =
        admin.err("redmine_edit_note", json!({"id": id, "journal_id": 99_999_999, "notes": "x"})).await;
    assert!(wrong.contains("no history entry 99999999"), "{wrong}");
    admin.finish().await;

    // jsmith may not edit the administrator's note: said plainly, and the text stays.
    let mut jsmith = server(&v, &v["REDMINE_USER_API_KEY"]).await;
    let refused =
        jsmith.err("redmine_edit_note", json!({"id": id, "journal_id": journal, "notes": "hijacked"})).await;
    assert!(refused.contains(&format!("may not edit note {journal} of issue {id} (HTTP 403)")), "{refused}");
    jsmith.finish().await;
    let mut admin = server(&v, &v["REDMINE_API_KEY"]).await;
    let shown = admin.ok("redmine_get_issue", json!({"id": id})).await;
    assert!(shown.contains("first draft") && !shown.contains("hijacked"), "{shown}");
    admin.finish().await;
}
