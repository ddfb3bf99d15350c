//! An issue for the model: one line in lists; in full with its fields, history (field changes
//! named, not numbered), relations and attachments.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::*;
use crate::error::truncate_chars;
use crate::redmine::models::{Detail, FieldValue, Issue, IssueList, Journal};
use crate::render::{cut, footer_with, one_line, untrusted, when};

/// One line per issue.
pub fn issue_line(i: &Issue) -> String {
    let assignee = name_of(i.assigned_to.as_ref());
    let version = name_of(i.fixed_version.as_ref());
    let mut line = format!(
        "#{} [{} · {} · {}] {}",
        i.id,
        i.tracker.name,
        i.status.name,
        i.priority.name,
        one_line(&i.subject)
    );
    let _ = write!(line, " — {}", i.project.name);
    if !assignee.is_empty() {
        let _ = write!(line, "; assignee {assignee}");
    }
    if !version.is_empty() {
        let _ = write!(line, "; version {version}");
    }
    if let Some(parent) = &i.parent {
        let _ = write!(line, "; parent #{}", parent.id);
    }
    if i.is_private {
        line.push_str("; private");
    }
    let _ = write!(line, "; updated {}", when(&i.updated_on));
    line
}

pub fn issue_list(list: &IssueList, offset: u64, limit: u32, scope: &str) -> String {
    let mut out = format!("{scope}\n");
    for i in &list.issues {
        out.push_str(&issue_line(i));
        out.push('\n');
    }
    out.push_str(&footer(offset, list.issues.len(), Some(list.total_count), limit));
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
pub fn detail_line(d: &Detail, names: &DetailNames, custom: &HashMap<String, String>) -> String {
    let field = d.name.as_str();
    let (old, new) = (d.old_value.clone(), d.new_value.clone());
    match d.property.as_str() {
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

pub fn issue(i: &Issue, names: &DetailNames, view: &IssueView) -> String {
    let id = i.id;
    let mut out = format!(
        "Issue #{id} [{} · {} · {}] {}\n",
        i.tracker.name,
        i.status.name,
        i.priority.name,
        one_line(&i.subject)
    );
    let mut facts = vec![format!("Project: {} ({})", i.project.name, i.project.id)];
    facts.push(format!("Author: {}", i.author.name));
    let assignee = name_of(i.assigned_to.as_ref());
    facts.push(format!("Assignee: {}", if assignee.is_empty() { "nobody" } else { assignee }));
    for (reference, label) in [(&i.fixed_version, "Version"), (&i.category, "Category")] {
        let n = name_of(reference.as_ref());
        if !n.is_empty() {
            facts.push(format!("{label}: {n}"));
        }
    }
    if let Some(parent) = &i.parent {
        facts.push(format!("Parent: #{}", parent.id));
    }
    let _ = writeln!(out, "{}", facts.join("; "));
    let done = i.done_ratio.map(|d| d.to_string()).unwrap_or_default();
    let mut facts = vec![format!("Done: {done}%")];
    for (date, label) in [(&i.start_date, "Start"), (&i.due_date, "Due")] {
        if let Some(v) = date.as_deref().filter(|v| !v.is_empty()) {
            facts.push(format!("{label}: {v}"));
        }
    }
    for (hours, label) in [(i.estimated_hours, "Estimated"), (i.spent_hours, "Spent")] {
        if let Some(h) = hours.filter(|h| *h > 0.0) {
            facts.push(format!("{label}: {h}h"));
        }
    }
    if i.is_private {
        facts.push("Private".into());
    }
    facts.push(format!("Created {}", when(&i.created_on)));
    facts.push(format!("updated {}", when(&i.updated_on)));
    if let Some(closed) = i.closed_on.as_deref().filter(|c| !c.is_empty()) {
        facts.push(format!("closed {}", when(closed)));
    }
    let _ = writeln!(out, "{}", facts.join("; "));
    if !i.custom_fields.is_empty() {
        let shown: Vec<String> = i
            .custom_fields
            .iter()
            .map(|c| {
                let v = match &c.value {
                    Some(FieldValue::Many(values)) => values.join(", "),
                    Some(FieldValue::One(s)) => one_line(s),
                    None => "(none)".into(),
                };
                format!("{} (#{}): {}", c.name, c.id, if v.is_empty() { "(none)".into() } else { v })
            })
            .collect();
        let _ = writeln!(out, "Custom fields: {}", shown.join("; "));
    }
    if !i.watchers.is_empty() {
        let w: Vec<&str> = i.watchers.iter().map(|u| u.name.as_str()).collect();
        let _ = writeln!(out, "Watchers: {}", w.join(", "));
    }
    if !i.relations.is_empty() {
        let r: Vec<String> = i
            .relations
            .iter()
            .map(|r| {
                let (kind, other) = if r.issue_id == id {
                    (r.relation_type.as_str(), r.issue_to_id)
                } else {
                    (reverse_relation(&r.relation_type), r.issue_id)
                };
                let delay = r.delay.map(|d| format!(" (delay {d}d)")).unwrap_or_default();
                format!("{} #{other}{delay}", kind.replace('_', " "))
            })
            .collect();
        let _ = writeln!(out, "Relations: {}", r.join("; "));
    }
    if !i.children.is_empty() {
        let c: Vec<String> = i
            .children
            .iter()
            .map(|c| format!("#{} [{}] {}", c.id, c.tracker.name, one_line(&c.subject)))
            .collect();
        let _ = writeln!(out, "Subtasks: {}", c.join("; "));
    }
    if !i.attachments.is_empty() {
        let f: Vec<String> = i.attachments.iter().map(attachment_line).collect();
        let _ = writeln!(out, "Attachments (read with redmine_get_attachment): {}", f.join("; "));
    }
    if !i.allowed_statuses.is_empty() {
        let a: Vec<&str> = i.allowed_statuses.iter().map(|s| s.name.as_str()).collect();
        let _ = writeln!(out, "Statuses this user may set: {}", a.join(", "));
    }
    if i.description.trim().is_empty() {
        out.push_str("Description: (empty)\n");
    } else {
        let text = chunk(&i.description, view.text_offset, TEXT_CHUNK, |next| {
            format!("read on with redmine_get_issue id={id} text_offset={next}")
        });
        out.push_str(&untrusted("description", &text));
        out.push('\n');
    }
    let custom = custom_field_names(i);
    match &i.journals {
        Some(journals) if !journals.is_empty() => {
            let shown: Vec<&Journal> =
                journals.iter().skip(view.journal_offset).take(view.journal_limit).collect();
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
        }
        Some(_) => out.push_str("History: none"),
        None => {}
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
fn journal(j: &Journal, issue_id: u64, names: &DetailNames, custom: &HashMap<String, String>) -> String {
    let private = if j.private_notes { " (private note)" } else { "" };
    let mut head =
        format!("journal {} by {} at {}{private}", j.id, name_of(j.user.as_ref()), when(&j.created_on));
    let changes: Vec<String> = j.details.iter().map(|d| detail_line(d, names, custom)).collect();
    if !changes.is_empty() {
        let _ = write!(head, ": {}", changes.join("; "));
    }
    // Names and changed values are tracker data too: one line, no fence delimiters.
    let head = crate::render::label_line(&head);
    if j.notes.trim().is_empty() {
        return format!("- {head}\n");
    }
    let text = cut(
        &crate::render::normalize_newlines(&j.notes),
        NOTE_MAX,
        &format!("read it whole with redmine_get_issue id={issue_id} journal_id={}", j.id),
    );
    format!("{}\n", untrusted(&head, &text))
}

/// Custom-field names by id, for the readable history lines.
fn custom_field_names(issue: &Issue) -> HashMap<String, String> {
    issue.custom_fields.iter().map(|c| (c.id.to_string(), c.name.clone())).collect()
}

/// One journal in full (`journal_id`), from `offset`.
pub fn one_journal(i: &Issue, journal_id: u64, offset: usize, names: &DetailNames) -> Option<String> {
    let j = i.journals.as_ref()?.iter().find(|j| j.id == journal_id)?;
    let custom = custom_field_names(i);
    let private = if j.private_notes { " (private note)" } else { "" };
    let user = name_of(j.user.as_ref());
    let mut out =
        format!("Issue #{} journal {journal_id} by {user} at {}{private}\n", i.id, when(&j.created_on));
    for d in &j.details {
        let _ = writeln!(out, "  {}", detail_line(d, names, &custom));
    }
    if j.notes.trim().is_empty() {
        out.push_str("(no note text)");
    } else {
        let text = chunk(&j.notes, offset, TEXT_CHUNK * 2, |next| {
            format!("read on with redmine_get_issue id={} journal_id={journal_id} text_offset={next}", i.id)
        });
        out.push_str(&untrusted(&format!("note {journal_id} by {user}"), &text));
    }
    Some(out)
}
