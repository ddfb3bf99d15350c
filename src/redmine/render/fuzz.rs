//! Property tests of the Redmine renderers. Arbitrary JSON rarely decodes into a model, so the
//! strong property starts from real-shaped answers and makes every field hostile while keeping
//! its type: each must still decode (the models are no stricter than Redmine) and render
//! without panicking, whatever the text, the numbers and the offsets.

use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::*;
use crate::redmine::models::{
    AttachmentAnswer, IssueAnswer, IssueList, MembershipList, ProjectAnswer, ProjectList, SearchResults,
    TimeEntryList, VersionList, WikiIndex, WikiPageAnswer,
};

fn decoded<T: DeserializeOwned>(value: &Value) -> Option<T> {
    serde_json::from_value(value.clone()).ok()
}

/// Render `value` with every renderer whose model it decodes into (for the crate-wide
/// property over arbitrary JSON in `fuzz_tests`).
pub fn render_any(value: &Value, n: u32) {
    let names = DetailNames::new();
    let view = IssueView { text_offset: n as usize, journal_offset: n as usize % 30, journal_limit: 25 };
    if let Some(list) = decoded::<ProjectList>(value) {
        let _ = projects(&list, u64::from(n), 20);
    }
    if let Some(answer) = decoded::<ProjectAnswer>(value) {
        let _ = project(&answer.project, decoded::<MembershipList>(value).as_ref());
    }
    if let Some(list) = decoded::<IssueList>(value) {
        let _ = issue_list(&list, u64::from(n), 20, "all");
    }
    if let Some(answer) = decoded::<IssueAnswer>(value) {
        let _ = issue(&answer.issue, &names, &view);
        for id in answer.issue.journals.iter().flatten().map(|j| j.id) {
            let _ = one_journal(&answer.issue, id, n as usize, &names);
        }
    }
    if let Some(results) = decoded::<SearchResults>(value) {
        let _ = search(&results, u64::from(n), 20);
    }
    if let Some(list) = decoded::<VersionList>(value) {
        let _ = versions(&list, n as usize, 20);
    }
    if let Some(list) = decoded::<TimeEntryList>(value) {
        let _ = time_entries(&list, u64::from(n), 20);
    }
    if let Some(index) = decoded::<WikiIndex>(value) {
        let _ = wiki_index(&index, "alpha", n as usize, 20);
    }
    if let Some(answer) = decoded::<WikiPageAnswer>(value) {
        let _ = wiki_page(&answer.wiki_page, "alpha", n as usize);
    }
    if let Some(answer) = decoded::<AttachmentAnswer>(value) {
        let _ = attachment_meta(&answer.attachment);
    }
}

/// One answer of each kind, as Redmine 5.0 sends it.
fn real_answers() -> Vec<Value> {
    let r = |id: u64, name: &str| json!({"id": id, "name": name});
    let attachment = json!({"id": 5, "filename": "log.txt", "filesize": 10, "content_type": "text/plain",
        "description": "d", "content_url": "http://r.test/attachments/download/5/log.txt", "author": r(1, "Ann"),
        "created_on": "2025-01-08T11:30:00Z"});
    let issue = json!({
        "id": 1, "project": r(1, "Alpha"), "tracker": r(1, "Bug"), "status": {"id": 2, "name": "In Progress", "is_closed": false},
        "priority": r(3, "High"), "author": r(1, "Ann"), "assigned_to": r(5, "John"), "category": r(4, "Backend"),
        "fixed_version": r(1, "v1.0"), "parent": {"id": 9}, "subject": "Login fails", "description": "Steps",
        "start_date": "2025-01-06", "due_date": "2025-01-31", "done_ratio": 80, "is_private": true,
        "estimated_hours": 4.0, "total_estimated_hours": 4.0, "spent_hours": 1.5, "total_spent_hours": 1.5,
        "custom_fields": [{"id": 1, "name": "Severity", "value": "High"}, {"id": 2, "name": "Tags", "multiple": true, "value": ["a", "b"]}],
        "created_on": "2025-01-07T10:00:00Z", "updated_on": "2025-01-08T11:30:00Z", "closed_on": "2025-01-09T11:30:00Z"
    });
    let mut issue = issue;
    issue["children"] = json!([{"id": 6, "tracker": r(2, "Feature"), "subject": "Child"}]);
    issue["attachments"] = json!([attachment.clone()]);
    issue["relations"] = json!([{"id": 1, "issue_id": 1, "issue_to_id": 3, "relation_type": "precedes", "delay": 2},
        {"id": 2, "issue_id": 7, "issue_to_id": 1, "relation_type": "blocks", "delay": 1}]);
    issue["journals"] = json!([{"id": 2, "user": r(5, "John"), "notes": "Seen", "created_on": "2025-01-08T11:30:00Z",
        "private_notes": true, "details": [
            {"property": "attr", "name": "status_id", "old_value": "1", "new_value": "2"},
            {"property": "cf", "name": "1", "old_value": "Low", "new_value": "High"},
            {"property": "attachment", "name": "5", "old_value": "a", "new_value": "b"},
            {"property": "relation", "name": "blocks", "old_value": "c", "new_value": "d"}]}]);
    issue["watchers"] = json!([r(1, "Ann")]);
    issue["allowed_statuses"] = json!([{"id": 2, "name": "In Progress", "is_closed": false}]);
    let project = json!({"id": 1, "name": "Alpha", "identifier": "alpha", "description": "About", "homepage": "",
        "parent": r(7, "Root"), "status": 5, "is_public": false, "inherit_members": false,
        "trackers": [r(1, "Bug")], "issue_categories": [r(4, "Backend")], "time_entry_activities": [r(9, "Dev")],
        "enabled_modules": [r(1, "wiki")], "created_on": "2025-01-01T00:00:00Z", "updated_on": "2025-01-01T00:00:00Z"});
    vec![
        json!({"issue": issue.clone()}),
        json!({"issues": [issue], "total_count": 40, "offset": 0, "limit": 25}),
        json!({"project": project.clone(), "total_count": 3, "memberships": [
            {"id": 1, "project": r(1, "Alpha"), "user": r(5, "John"), "roles": [r(4, "Developer")]},
            {"id": 2, "project": r(1, "Alpha"), "group_non_member": r(3, "Non members"), "roles": [r(5, "Reporter")]}]}),
        json!({"projects": [project], "total_count": 2, "offset": 0, "limit": 25}),
        json!({"versions": [{"id": 1, "project": r(1, "Alpha"), "name": "v1.0", "description": "First", "status": "open",
            "due_date": "2030-06-30", "sharing": "none", "wiki_page_title": null}], "total_count": 1}),
        json!({"time_entries": [{"id": 1, "project": r(1, "Alpha"), "issue": {"id": 1}, "user": r(5, "John"),
            "activity": r(9, "Dev"), "hours": 1.5, "comments": "Work", "spent_on": "2025-01-07"}],
            "total_count": 1, "offset": 0, "limit": 25}),
        json!({"wiki_pages": [{"title": "Start", "parent": {"title": "Wiki"}, "version": 2, "updated_on": "2025-01-08T10:00:00Z"}]}),
        json!({"wiki_page": {"title": "Start", "parent": {"title": "Wiki"}, "text": "h1. Start", "version": 2,
            "author": r(1, "Ann"), "comments": "why", "updated_on": "2025-01-08T10:00:00Z", "attachments": [attachment.clone()]}}),
        json!({"results": [{"id": 1, "title": "Bug #1", "type": "issue", "url": "http://r.test/issues/1",
            "description": "Steps", "datetime": "2025-01-08T11:30:00Z"}], "total_count": 1, "offset": 0, "limit": 25}),
        json!({"attachment": attachment}),
    ]
}

/// Every string of `value` replaced by the next of `texts`, every number by one of the same
/// kind built from `numbers` (so the answer keeps its shape).
fn make_hostile(
    value: &mut Value,
    texts: &mut impl Iterator<Item = String>,
    numbers: &mut impl Iterator<Item = u32>,
) {
    match value {
        Value::String(s) => *s = texts.next().unwrap_or_default(),
        Value::Number(n) => {
            let x = numbers.next().unwrap_or(0);
            *n = if n.is_f64() {
                serde_json::Number::from_f64(f64::from(x) / 7.0).unwrap_or_else(|| 0.into())
            } else {
                x.into()
            };
        }
        Value::Array(items) => items.iter_mut().for_each(|v| make_hostile(v, texts, numbers)),
        Value::Object(map) => map.values_mut().for_each(|v| make_hostile(v, texts, numbers)),
        Value::Null | Value::Bool(_) => {}
    }
}

fn hostile_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("\r\n".to_owned()),
        Just("\n>>>\n".to_owned()),
        Just("<<<tracker data: x>>>".to_owned()),
        Just("\u{202E}".to_owned()),
        Just("\u{200B}".to_owned()),
        Just("\u{1b}[31m".to_owned()),
        Just("é".to_owned()),
        "[a-z ]{0,12}".prop_map(|s| s),
        any::<char>().prop_map(|c| c.to_string()),
    ];
    prop::collection::vec(piece, 0..8).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64)
    ))]

    #[test]
    fn hostile_fields_of_real_answers_decode_and_render(
        texts in prop::collection::vec(hostile_text(), 64),
        numbers in prop::collection::vec(any::<u32>(), 64),
        n in 0u32..10_000,
    ) {
        for real in real_answers() {
            let mut value = real;
            make_hostile(&mut value, &mut texts.iter().cloned().cycle(), &mut numbers.iter().copied().cycle());
            crate::render::clean_tree(&mut value);
            let keys: Vec<&String> = value.as_object().map(|m| m.keys().collect()).unwrap_or_default();
            let decodes = decoded::<IssueAnswer>(&value).is_some()
                || decoded::<IssueList>(&value).is_some()
                || decoded::<ProjectAnswer>(&value).is_some()
                || decoded::<ProjectList>(&value).is_some()
                || decoded::<VersionList>(&value).is_some()
                || decoded::<TimeEntryList>(&value).is_some()
                || decoded::<WikiIndex>(&value).is_some()
                || decoded::<WikiPageAnswer>(&value).is_some()
                || decoded::<SearchResults>(&value).is_some()
                || decoded::<AttachmentAnswer>(&value).is_some();
            prop_assert!(decodes, "a real-shaped answer with hostile values no longer decodes: {keys:?}");
            render_any(&value, n);
        }
    }
}
