//! Compact text for Redmine answers: key fields first, one line per list item, user-written
//! text fenced with `render::untrusted`, long text cut with a way to read the rest.

use std::fmt::Write as _;

use serde_json::Value;

use super::client::str_of;
use crate::error::truncate_chars;
pub use crate::render::slice_footer;
use crate::render::{cut, offset_footer, one_line, untrusted, when};

mod issue;
pub use issue::{DetailNames, IssueView, detail_line, issue, issue_line, issue_list, one_journal};

/// Longest description or wiki text shown at once, in characters.
pub const TEXT_CHUNK: usize = 6000;
/// Longest journal note shown inside an issue, in characters.
pub const NOTE_MAX: usize = 1500;

/// `obj[key].name`, or "".
pub fn name<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).map_or("", |v| str_of(v, "name"))
}

fn num(value: &Value, key: &str) -> String {
    match value.get(key) {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    }
}

/// The `total_count` of a list answer.
pub fn total(value: &Value) -> Option<u64> {
    value.get("total_count").and_then(Value::as_u64)
}

/// Footer of a list Redmine pages (`offset`/`limit`): the next cursor is the next offset.
pub fn footer(offset: u64, shown: usize, total: Option<u64>, limit: u32) -> String {
    let end = offset + shown as u64;
    let more = match total {
        Some(t) => end < t,
        None => shown as u64 >= u64::from(limit),
    };
    offset_footer(offset, shown, total, more)
}

/// Part of a long text from character `offset`, with a marker saying how to read on.
pub fn chunk(text: &str, offset: usize, max: usize, how: impl Fn(usize) -> String) -> String {
    let text = crate::render::normalize_newlines(text);
    let total = text.chars().count();
    if offset >= total && total > 0 {
        return format!("[offset {offset} is past the end: the text has {total} characters]");
    }
    let rest: String = text.chars().skip(offset).collect();
    let prefix = if offset > 0 { format!("[… {offset} characters before this]\n") } else { String::new() };
    format!("{prefix}{}", cut(&rest, max, &how(offset + max)))
}

// ---------------------------------------------------------------------------------------------
// Projects

pub fn projects(value: &Value, offset: u64, limit: u32) -> String {
    let list = value["projects"].as_array().cloned().unwrap_or_default();
    let mut out = String::new();
    for p in &list {
        let parent = p.get("parent").map(|x| format!(" parent: {}", str_of(x, "name"))).unwrap_or_default();
        let visibility = match p.get("is_public") {
            Some(Value::Bool(false)) => " private",
            _ => "",
        };
        let closed = if p["status"].as_u64().is_some_and(|s| s != 1) { " (closed/archived)" } else { "" };
        let _ = writeln!(
            out,
            "{} `{}` {}{visibility}{closed}{parent}{}",
            p["id"],
            str_of(p, "identifier"),
            one_line(str_of(p, "name")),
            short_desc(str_of(p, "description"))
        );
    }
    out.push_str(&footer(offset, list.len(), total(value), limit));
    out
}

fn short_desc(text: &str) -> String {
    let line = one_line(text);
    if line.is_empty() { String::new() } else { format!(" — {}", truncate_chars(&line, 100)) }
}

pub fn project(value: &Value, members: Option<&Value>) -> String {
    let p = &value["project"];
    let mut out = format!(
        "Project {} `{}`: {}{}\n",
        p["id"],
        str_of(p, "identifier"),
        one_line(str_of(p, "name")),
        if p["is_public"] == Value::Bool(false) { " (private)" } else { " (public)" }
    );
    if let Some(parent) = p.get("parent") {
        let _ = writeln!(out, "Parent: {} ({})", str_of(parent, "name"), parent["id"]);
    }
    let _ =
        writeln!(out, "Created {}, updated {}", when(str_of(p, "created_on")), when(str_of(p, "updated_on")));
    let list = |key: &str| -> String {
        p[key]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| format!("{} ({})", str_of(e, "name"), e["id"]))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    };
    let _ = writeln!(out, "Trackers: {}", list("trackers"));
    let categories = list("issue_categories");
    let _ =
        writeln!(out, "Issue categories: {}", if categories.is_empty() { "none".into() } else { categories });
    let modules: Vec<&str> = p["enabled_modules"]
        .as_array()
        .map(|a| a.iter().map(|m| str_of(m, "name")).collect())
        .unwrap_or_default();
    let _ = writeln!(out, "Enabled modules: {}", modules.join(", "));
    if p.get("time_entry_activities").is_some() {
        let _ = writeln!(out, "Time-entry activities: {}", list("time_entry_activities"));
    }
    match members {
        Some(m) => {
            let items = m["memberships"].as_array().cloned().unwrap_or_default();
            let lines: Vec<String> = items
                .iter()
                .map(|ms| {
                    let (who, kind) = match ms.get("user") {
                        Some(u) => (u, ""),
                        None => (&ms["group"], " (group)"),
                    };
                    let roles: Vec<&str> = ms["roles"]
                        .as_array()
                        .map(|r| r.iter().map(|x| str_of(x, "name")).collect())
                        .unwrap_or_default();
                    format!("{} (id {}){kind}: {}", str_of(who, "name"), who["id"], roles.join(", "))
                })
                .collect();
            let more = total(m)
                .filter(|t| *t > items.len() as u64)
                .map(|t| format!(" (first {} of {t})", items.len()));
            let _ = writeln!(out, "Members{}: {}", more.unwrap_or_default(), lines.join("; "));
        }
        None => out.push_str("Members: not visible to this API key\n"),
    }
    let desc = str_of(p, "description");
    if !desc.trim().is_empty() {
        out.push_str(&untrusted("project description", &cut(desc, 2000, "see the project in Redmine")));
    }
    out.trim_end().to_owned()
}

// ---------------------------------------------------------------------------------------------
// Issues

pub fn search(value: &Value, offset: u64, limit: u32) -> String {
    let list = value["results"].as_array().cloned().unwrap_or_default();
    let mut lines = String::new();
    for r in &list {
        let desc = one_line(str_of(r, "description"));
        let _ = writeln!(
            lines,
            "{} {} | {} | {}{}",
            str_of(r, "type"),
            r["id"],
            one_line(str_of(r, "title")),
            when(str_of(r, "datetime")),
            if desc.is_empty() { String::new() } else { format!("\n  {}", truncate_chars(&desc, 160)) }
        );
    }
    let mut out = if list.is_empty() {
        String::from("No results.\n")
    } else {
        untrusted("search results", &lines) + "\n"
    };
    out.push_str(&footer(offset, list.len(), total(value), limit));
    out
}

pub fn versions(value: &Value, offset: usize, limit: usize) -> String {
    let list = value["versions"].as_array().cloned().unwrap_or_default();
    let shown: Vec<&Value> = list.iter().skip(offset).take(limit).collect();
    let mut out = String::new();
    for v in &shown {
        let due = str_of(v, "due_date");
        let _ = writeln!(
            out,
            "{} {} [{}] project {}{}; sharing {}{}",
            v["id"],
            one_line(str_of(v, "name")),
            str_of(v, "status"),
            name(v, "project"),
            if due.is_empty() { String::new() } else { format!("; due {due}") },
            str_of(v, "sharing"),
            short_desc(str_of(v, "description"))
        );
    }
    out.push_str(&slice_footer(offset as u64, shown.len(), list.len()));
    out
}

pub fn time_entries(value: &Value, offset: u64, limit: u32) -> String {
    let list = value["time_entries"].as_array().cloned().unwrap_or_default();
    let mut out = String::new();
    let mut hours = 0.0;
    for t in &list {
        let h = t["hours"].as_f64().unwrap_or(0.0);
        hours += h;
        let issue = t.get("issue").map(|i| format!(" #{}", i["id"])).unwrap_or_default();
        let comment = one_line(str_of(t, "comments"));
        let _ = writeln!(
            out,
            "{} {} {}h {} by {} — {}{issue}{}",
            t["id"],
            str_of(t, "spent_on"),
            h,
            name(t, "activity"),
            name(t, "user"),
            name(t, "project"),
            if comment.is_empty() { String::new() } else { format!(": {}", truncate_chars(&comment, 120)) }
        );
    }
    if !list.is_empty() {
        let _ = writeln!(out, "Hours on this page: {hours}");
    }
    out.push_str(&footer(offset, list.len(), total(value), limit));
    out
}

pub fn wiki_index(value: &Value, project: &str, offset: usize, limit: usize) -> String {
    let list = value["wiki_pages"].as_array().cloned().unwrap_or_default();
    let shown: Vec<&Value> = list.iter().skip(offset).take(limit).collect();
    let mut out = format!("Wiki pages of `{project}`:\n");
    for p in &shown {
        let parent = p.get("parent").map(|x| format!(" (parent {})", str_of(x, "title"))).unwrap_or_default();
        let _ = writeln!(
            out,
            "{}{parent} v{} updated {}",
            str_of(p, "title"),
            num(p, "version"),
            when(str_of(p, "updated_on"))
        );
    }
    out.push_str(&slice_footer(offset as u64, shown.len(), list.len()));
    out
}

pub fn wiki_page(value: &Value, project: &str, offset: usize) -> String {
    let p = &value["wiki_page"];
    let title = str_of(p, "title");
    let mut out = format!(
        "Wiki page {title} of `{project}`, version {} by {}, updated {}",
        num(p, "version"),
        name(p, "author"),
        when(str_of(p, "updated_on"))
    );
    if let Some(parent) = p.get("parent") {
        let _ = write!(out, "; parent {}", str_of(parent, "title"));
    }
    let comments = one_line(str_of(p, "comments"));
    if !comments.is_empty() {
        let _ = write!(out, "; change comment: {}", truncate_chars(&comments, 200));
    }
    out.push('\n');
    if let Some(files) = p["attachments"].as_array().filter(|a| !a.is_empty()) {
        let f: Vec<String> = files.iter().map(attachment_line).collect();
        let _ = writeln!(out, "Attachments: {}", f.join("; "));
    }
    let text = chunk(str_of(p, "text"), offset, TEXT_CHUNK, |next| {
        format!("read on with redmine_get_wiki_page project={project} title={title} text_offset={next}")
    });
    out.push_str(&untrusted(&format!("wiki page {title}"), &text));
    out
}

pub fn attachment_line(a: &Value) -> String {
    format!(
        "{} {} ({} bytes, {})",
        a["id"],
        one_line(str_of(a, "filename")),
        num(a, "filesize"),
        str_of(a, "content_type")
    )
}

pub fn attachment_meta(a: &Value) -> String {
    let desc = one_line(str_of(a, "description"));
    format!(
        "Attachment {} {} — {} bytes, {}, by {} at {}{}",
        a["id"],
        one_line(str_of(a, "filename")),
        num(a, "filesize"),
        if str_of(a, "content_type").is_empty() { "unknown type" } else { str_of(a, "content_type") },
        name(a, "author"),
        when(str_of(a, "created_on")),
        if desc.is_empty() {
            String::new()
        } else {
            format!("; description: {}", truncate_chars(&desc, 200))
        }
    )
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde_json::json;

    use super::*;

    #[test]
    fn journal_details_read_as_changes() {
        let mut names = DetailNames::new();
        names.insert("status_id:1".into(), "New".into());
        names.insert("status_id:2".into(), "In Progress".into());
        let custom: HashMap<String, String> = [("1".to_owned(), "Severity".to_owned())].into();
        let line = |d: Value| detail_line(&d, &names, &custom);
        assert_eq!(
            line(json!({"property": "attr", "name": "status_id", "old_value": "1", "new_value": "2"})),
            "Status: New -> In Progress"
        );
        assert_eq!(
            line(json!({"property": "attr", "name": "assigned_to_id", "old_value": null, "new_value": "9"})),
            "Assignee: (none) -> 9"
        );
        assert_eq!(
            line(json!({"property": "attr", "name": "child_id", "old_value": null, "new_value": "6"})),
            "Subtask #6 added"
        );
        assert_eq!(
            line(json!({"property": "cf", "name": "1", "old_value": "Low", "new_value": "High"})),
            "Severity: Low -> High"
        );
        assert_eq!(
            line(json!({"property": "attachment", "name": "3", "old_value": null, "new_value": "a.log"})),
            "File a.log added (attachment 3)"
        );
        assert_eq!(
            line(json!({"property": "relation", "name": "blocked", "old_value": null, "new_value": "7"})),
            "Relation added: blocked #7"
        );
        assert_eq!(
            line(json!({"property": "attr", "name": "description", "old_value": "a", "new_value": "b"})),
            "Description changed"
        );
    }

    #[test]
    fn chunks_say_where_to_resume() {
        let how = |n: usize| format!("text_offset={n}");
        assert_eq!(chunk("a\r\nb", 0, 10, how), "a\nb");
        let first = chunk("abcdefgh", 0, 3, how);
        assert!(first.starts_with("abc\n") && first.contains("5 more characters; text_offset=3"), "{first}");
        let next = chunk("abcdefgh", 3, 3, how);
        assert!(next.starts_with("[… 3 characters before this]\ndef\n"), "{next}");
        assert!(chunk("abc", 9, 3, how).contains("past the end"));
    }

    #[test]
    fn footers_know_when_there_is_more() {
        assert_eq!(footer(0, 20, Some(45), 20), "Showing 1–20 of 45; has_more: true; next: cursor=20");
        assert_eq!(
            footer(20, 20, None, 20),
            "Showing 21–40 (total unknown); has_more: true; next: cursor=40"
        );
        assert_eq!(slice_footer(2, 3, 9), "Showing 3–5 of 9; has_more: true; next: cursor=5");
        assert_eq!(footer(40, 5, Some(45), 20), "Showing 41–45 of 45; has_more: false");
        assert_eq!(footer(0, 0, Some(0), 20), "Showing nothing of 0; has_more: false");
    }
}
