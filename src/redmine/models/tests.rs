use serde_json::json;

use super::*;

#[test]
fn a_membership_names_its_principal_by_class() {
    for (key, group) in
        [("user", false), ("group", true), ("group_anonymous", true), ("group_non_member", true)]
    {
        let m: Membership = serde_json::from_value(json!({
            "id": 1, "project": {"id": 1, "name": "Alpha"}, key: {"id": 4, "name": "Who"},
            "roles": [{"id": 3, "name": "Manager"}]
        }))
        .expect(key);
        let (who, is_group) = m.principal.who();
        assert_eq!((who.id, who.name.as_str(), is_group), (4, "Who", group), "{key}");
    }
    let none = json!({"id": 1, "project": {"id": 1, "name": "Alpha"}, "roles": []});
    assert!(serde_json::from_value::<Membership>(none).is_err(), "a membership of nobody");
}

#[test]
fn journal_detail_values_are_text_numbers_booleans_or_none() {
    let detail = |old: Value, new: Value| {
        serde_json::from_value::<Detail>(
            json!({"property": "attr", "name": "x", "old_value": old, "new_value": new}),
        )
    };
    let d = detail(json!(null), json!("2")).expect("text");
    assert_eq!((d.old_value, d.new_value.as_deref()), (None, Some("2")));
    let d = detail(json!(3), json!(true)).expect("number and boolean");
    assert_eq!((d.old_value.as_deref(), d.new_value.as_deref()), (Some("3"), Some("true")));
    assert!(detail(json!([1]), json!(null)).is_err());
    assert!(detail(json!(null), json!({"a": 1})).is_err());
}

#[test]
fn null_attributes_are_empty_and_unset_references_absent() {
    let issue: Issue = serde_json::from_value(json!({
        "id": 6, "project": {"id": 1, "name": "Alpha"}, "tracker": {"id": 2, "name": "Feature"},
        "status": {"id": 1, "name": "New", "is_closed": false}, "priority": {"id": 2, "name": "Normal"},
        "author": {"id": 5, "name": "John Smith"}, "subject": "Child", "description": null,
        "start_date": null, "due_date": null, "done_ratio": 0, "is_private": false, "estimated_hours": null,
        "custom_fields": [{"id": 1, "name": "Severity", "value": null}, {"id": 2, "name": "Tags", "multiple": true, "value": ["a"]}],
        "created_on": "2025-01-07T10:00:00Z", "updated_on": "2025-01-07T10:00:00Z", "closed_on": null
    }))
    .expect("issue");
    assert!(issue.description.is_empty() && issue.assigned_to.is_none() && issue.journals.is_none());
    assert!(matches!(issue.custom_fields[1].value, Some(FieldValue::Many(_))));
    assert!(issue.custom_fields[0].value.is_none());
}
