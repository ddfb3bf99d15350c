//! An issue for the model: one line in lists; in full with its fields, history (field changes
//! named, not numbered), relations and attachments.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde_json::Value;

use super::*;
use crate::error::truncate_chars;
use crate::redmine::client::str_of;
use crate::render::{cut, footer_with, one_line, untrusted, when};

/// One line per issue.
pub fn issue_line(i: &Value) -> String {
    let assignee = name(i, "assigned_to");
    let version = name(i, "fixed_version");
    let mut line = format!(
        "#{} [{} · {} · {}] {}",
        i["id"],
        name(i, "tracker"),
        name(i, "status"),
        name(i, "priority"),
        one_line(str_of(i, "subject"))
    );
    let _ = write!(line, " — {}", name(i, "project"));
    if !assignee.is_empty() {
        let _ = write!(line, "; assignee {assignee}");
    }
    if !version.is_empty() {
        let _ = write!(line, "; version {version}");
    }
    if let Some(parent) = i.get("parent") {
        let _ = write!(line, "; parent #{}", parent["id"]);
    }
    if i["is_private"] == Value::Bool(true) {
        line.push_str("; private");
    }
    let _ = write!(line, "; updated {}", when(str_of(i, "updated_on")));
    line
}

pub fn issue_list(value: &Value, offset: u64, limit: u32, scope: &str) -> String {
    let list = value["issues"].as_array().cloned().unwrap_or_default();
    let mut out = format!("{scope}\n");
    for i in &list {
        out.push_str(&issue_line(i));
        out.push('\n');
    }
    out.push_str(&footer(offset, list.len(), total(value), limit));
    out
}

/// Names for journal details: `"status_id:2"` → `"In Progress"`.
pub type DetailNames = HashMap<String, String>;

/// Human label of a journal detail attribute.
pub fn attr_label(name: &str) -> String {
    match name {
        "status_id" => "Status".into(),
        "tracker_id" => "Tracker".into(),
        "priority_id" => "Priority".into(),
        "assigned_to_id" => "Assignee".into(),
        "fixed_version_id" => "Target version".into(),
        "category_id" => "Category".into(),
        "project_id" => "Project".into(),
        "parent_id" => "Parent task".into(),
        "child_id" => "Subtask".into(),
        "done_ratio" => "% Done".into(),
        "subject" => "Subject".into(),
        "description" => "Description".into(),
        "start_date" => "Start date".into(),
        "due_date" => "Due date".into(),
        "estimated_hours" => "Estimated time".into(),
        "is_private" => "Private".into(),
        "author_id" => "Author".into(),
        other => other.replace('_', " "),
    }
}

/// One field change in readable form: `Status: New -> In Progress`.
pub fn detail_line(d: &Value, names: &DetailNames, custom: &HashMap<String, String>) -> String {
    let property = str_of(d, "property");
    let field = str_of(d, "name");
    let value_of = |key: &str| -> Option<String> {
        let raw = match d.get(key) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::Bool(b)) => b.to_string(),
            _ => return None,
        };
        Some(raw)
    };
    let (old, new) = (value_of("old_value"), value_of("new_value"));
    match property {
        "attr" => {
            let label = attr_label(field);
            let show = |v: &Option<String>| -> String {
                match v {
                    None => "(none)".into(),
                    Some(v) if field == "description" || field == "subject" => {
                        format!("\"{}\"", truncate_chars(&one_line(v), 80))
                    }
                    Some(v) if matches!(field, "parent_id" | "child_id") => format!("#{v}"),
                    Some(v) if field == "done_ratio" => format!("{v}%"),
                    Some(v) => names.get(&format!("{field}:{v}")).cloned().unwrap_or_else(|| v.clone()),
                }
            };
            match field {
                "child_id" => match (&old, &new) {
                    (None, Some(_)) => format!("Subtask {} added", show(&new)),
                    (Some(_), None) => format!("Subtask {} removed", show(&old)),
                    _ => format!("Subtask: {} -> {}", show(&old), show(&new)),
                },
                "description" => "Description changed".into(),
                _ => format!("{label}: {} -> {}", show(&old), show(&new)),
            }
        }
        "cf" => {
            let label = custom.get(field).cloned().unwrap_or_else(|| format!("custom field #{field}"));
            format!(
                "{label}: {} -> {}",
                old.unwrap_or_else(|| "(none)".into()),
                new.unwrap_or_else(|| "(none)".into())
            )
        }
        "attachment" => match (&old, &new) {
            (None, Some(f)) => format!("File {} added (attachment {field})", one_line(f)),
            (Some(f), None) => format!("File {} deleted", one_line(f)),
            _ => format!("Attachment {field} changed"),
        },
        "relation" => match (&old, &new) {
            (None, Some(n)) => format!("Relation added: {} #{n}", field.replace('_', " ")),
            (Some(o), None) => format!("Relation removed: {} #{o}", field.replace('_', " ")),
            _ => format!("Relation {field} changed"),
        },
        other => format!("{other} {field}: {} -> {}", old.unwrap_or_default(), new.unwrap_or_default()),
    }
}

/// Options of the issue view.
pub struct IssueView {
    pub text_offset: usize,
    pub journal_offset: usize,
    pub journal_limit: usize,
}

pub fn issue(value: &Value, names: &DetailNames, view: &IssueView) -> String {
    let i = &value["issue"];
    let id = &i["id"];
    let mut out = format!(
        "Issue #{id} [{} · {} · {}] {}\n",
        name(i, "tracker"),
        name(i, "status"),
        name(i, "priority"),
        one_line(str_of(i, "subject"))
    );
    let mut facts = vec![format!("Project: {} ({})", name(i, "project"), i["project"]["id"])];
    facts.push(format!("Author: {}", name(i, "author")));
    let assignee = name(i, "assigned_to");
    facts.push(format!("Assignee: {}", if assignee.is_empty() { "nobody" } else { assignee }));
    for (key, label) in [("fixed_version", "Version"), ("category", "Category")] {
        let n = name(i, key);
        if !n.is_empty() {
            facts.push(format!("{label}: {n}"));
        }
    }
    if let Some(parent) = i.get("parent") {
        facts.push(format!("Parent: #{}", parent["id"]));
    }
    let _ = writeln!(out, "{}", facts.join("; "));
    let mut facts = vec![format!("Done: {}%", num(i, "done_ratio"))];
    for (key, label) in [("start_date", "Start"), ("due_date", "Due")] {
        let v = str_of(i, key);
        if !v.is_empty() {
            facts.push(format!("{label}: {v}"));
        }
    }
    for (key, label) in [("estimated_hours", "Estimated"), ("spent_hours", "Spent")] {
        if let Some(h) = i.get(key).and_then(Value::as_f64).filter(|h| *h > 0.0) {
            facts.push(format!("{label}: {h}h"));
        }
    }
    if i["is_private"] == Value::Bool(true) {
        facts.push("Private".into());
    }
    facts.push(format!("Created {}", when(str_of(i, "created_on"))));
    facts.push(format!("updated {}", when(str_of(i, "updated_on"))));
    let closed = str_of(i, "closed_on");
    if !closed.is_empty() {
        facts.push(format!("closed {}", when(closed)));
    }
    let _ = writeln!(out, "{}", facts.join("; "));
    if let Some(cfs) = i["custom_fields"].as_array().filter(|a| !a.is_empty()) {
        let shown: Vec<String> = cfs
            .iter()
            .map(|c| {
                let v = match &c["value"] {
                    Value::Array(a) => a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", "),
                    Value::String(s) => one_line(s),
                    Value::Null => "(none)".into(),
                    other => other.to_string(),
                };
                format!(
                    "{} (#{}): {}",
                    str_of(c, "name"),
                    c["id"],
                    if v.is_empty() { "(none)".into() } else { v }
                )
            })
            .collect();
        let _ = writeln!(out, "Custom fields: {}", shown.join("; "));
    }
    if let Some(watchers) = i["watchers"].as_array().filter(|a| !a.is_empty()) {
        let w: Vec<&str> = watchers.iter().map(|u| str_of(u, "name")).collect();
        let _ = writeln!(out, "Watchers: {}", w.join(", "));
    }
    if let Some(rel) = i["relations"].as_array().filter(|a| !a.is_empty()) {
        let r: Vec<String> = rel
            .iter()
            .map(|r| {
                let this = &i["id"];
                let (kind, other) = if &r["issue_id"] == this {
                    (str_of(r, "relation_type").to_owned(), &r["issue_to_id"])
                } else {
                    (reverse_relation(str_of(r, "relation_type")).to_owned(), &r["issue_id"])
                };
                let delay = r["delay"].as_i64().map(|d| format!(" (delay {d}d)")).unwrap_or_default();
                format!("{} #{other}{delay}", kind.replace('_', " "))
            })
            .collect();
        let _ = writeln!(out, "Relations: {}", r.join("; "));
    }
    if let Some(children) = i["children"].as_array().filter(|a| !a.is_empty()) {
        let c: Vec<String> = children
            .iter()
            .map(|c| format!("#{} [{}] {}", c["id"], name(c, "tracker"), one_line(str_of(c, "subject"))))
            .collect();
        let _ = writeln!(out, "Subtasks: {}", c.join("; "));
    }
    if let Some(files) = i["attachments"].as_array().filter(|a| !a.is_empty()) {
        let f: Vec<String> = files.iter().map(attachment_line).collect();
        let _ = writeln!(out, "Attachments (read with redmine_get_attachment): {}", f.join("; "));
    }
    if let Some(allowed) = i["allowed_statuses"].as_array().filter(|a| !a.is_empty()) {
        let a: Vec<&str> = allowed.iter().map(|s| str_of(s, "name")).collect();
        let _ = writeln!(out, "Statuses this user may set: {}", a.join(", "));
    }
    let description = str_of(i, "description");
    if description.trim().is_empty() {
        out.push_str("Description: (empty)\n");
    } else {
        let text = chunk(description, view.text_offset, TEXT_CHUNK, |next| {
            format!("read on with redmine_get_issue id={id} text_offset={next}")
        });
        out.push_str(&untrusted("description", &text));
        out.push('\n');
    }
    let custom = custom_field_names(i);
    if let Some(journals) = i["journals"].as_array().filter(|a| !a.is_empty()) {
        let shown: Vec<&Value> = journals.iter().skip(view.journal_offset).take(view.journal_limit).collect();
        out.push_str("History, oldest first:\n");
        for j in &shown {
            out.push_str(&journal(j, id, names, &custom));
        }
        let end = view.journal_offset + shown.len();
        let next = format!("redmine_get_issue id={id} journal_offset={end}");
        let _ = write!(
            out,
            "History: {}",
            footer_with(
                view.journal_offset as u64,
                shown.len(),
                Some(journals.len() as u64),
                (end < journals.len()).then_some(next.as_str())
            )
        );
    } else if i.get("journals").is_some() {
        out.push_str("History: none");
    }
    out.trim_end().to_owned()
}

fn reverse_relation(kind: &str) -> &str {
    match kind {
        "blocks" => "blocked_by",
        "precedes" => "follows",
        "duplicates" => "duplicated_by",
        "copied_to" => "copied_from",
        other => other,
    }
}

/// One journal: `journal ID by NAME at TIME: changes; ...`, a plain line when it has no note;
/// with a note, that line is the label of the fenced note.
fn journal(j: &Value, issue_id: &Value, names: &DetailNames, custom: &HashMap<String, String>) -> String {
    let private = if j["private_notes"] == Value::Bool(true) { " (private note)" } else { "" };
    let mut head =
        format!("journal {} by {} at {}{private}", j["id"], name(j, "user"), when(str_of(j, "created_on")));
    let changes: Vec<String> =
        j["details"].as_array().into_iter().flatten().map(|d| detail_line(d, names, custom)).collect();
    if !changes.is_empty() {
        let _ = write!(head, ": {}", changes.join("; "));
    }
    // Names and changed values are tracker data too: one line, no fence delimiters.
    let head = crate::render::label_line(&head);
    let notes = str_of(j, "notes");
    if notes.trim().is_empty() {
        return format!("- {head}\n");
    }
    let text = cut(
        &crate::render::normalize_newlines(notes),
        NOTE_MAX,
        &format!("read it whole with redmine_get_issue id={issue_id} journal_id={}", j["id"]),
    );
    format!("{}\n", untrusted(&head, &text))
}

/// Custom-field names by id, for the readable history lines.
fn custom_field_names(issue: &Value) -> HashMap<String, String> {
    issue["custom_fields"]
        .as_array()
        .map(|a| a.iter().map(|c| (c["id"].to_string(), str_of(c, "name").to_owned())).collect())
        .unwrap_or_default()
}

/// One journal in full (`journal_id`), from `offset`.
pub fn one_journal(value: &Value, journal_id: u64, offset: usize, names: &DetailNames) -> Option<String> {
    let i = &value["issue"];
    let j = i["journals"].as_array()?.iter().find(|j| j["id"].as_u64() == Some(journal_id))?;
    let custom = custom_field_names(i);
    let private = if j["private_notes"] == Value::Bool(true) { " (private note)" } else { "" };
    let mut out = format!(
        "Issue #{} journal {journal_id} by {} at {}{private}\n",
        i["id"],
        name(j, "user"),
        when(str_of(j, "created_on"))
    );
    for d in j["details"].as_array().into_iter().flatten() {
        let _ = writeln!(out, "  {}", detail_line(d, names, &custom));
    }
    let notes = str_of(j, "notes");
    if notes.trim().is_empty() {
        out.push_str("(no note text)");
    } else {
        let text = chunk(notes, offset, TEXT_CHUNK * 2, |next| {
            format!(
                "read on with redmine_get_issue id={} journal_id={journal_id} text_offset={next}",
                i["id"]
            )
        });
        out.push_str(&untrusted(&format!("note {journal_id} by {}", name(j, "user")), &text));
    }
    Some(out)
}

// ---------------------------------------------------------------------------------------------
// Other lists
