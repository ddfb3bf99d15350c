//! Compact text for Redmine answers: key fields first, one line per list item, user-written
//! text fenced with `render::untrusted`, long text cut with a way to read the rest.

use std::fmt::Write as _;

use super::models::{
    Attachment, MembershipList, Project, ProjectList, QueryList, Ref, SearchResults, TimeEntryList,
    VersionList, WikiIndex, WikiPage,
};
use crate::error::truncate_chars;
pub use crate::render::slice_footer;
use crate::render::{cut, offset_footer, one_line, untrusted, when};

#[cfg(test)]
pub mod fuzz;
mod issue;
pub use issue::{DetailNames, IssueView, detail_line, issue, issue_line, issue_list, one_journal};

/// Longest description or wiki text shown at once, in characters.
pub const TEXT_CHUNK: usize = 6000;
/// Longest journal note shown inside an issue, in characters.
pub const NOTE_MAX: usize = 1500;

/// The name of a reference Redmine may leave out, or "".
fn name_of(reference: Option<&Ref>) -> &str {
    reference.map_or("", |r| r.name.as_str())
}

/// `Name (id), Name (id)`.
fn refs(list: &[Ref]) -> String {
    list.iter().map(|r| format!("{} ({})", r.name, r.id)).collect::<Vec<_>>().join(", ")
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

pub fn projects(list: &ProjectList, offset: u64, limit: u32) -> String {
    let mut out = String::new();
    for p in &list.projects {
        let parent = p.parent.as_ref().map(|x| format!(" parent: {}", x.name)).unwrap_or_default();
        let visibility = if p.is_public == Some(false) { " private" } else { "" };
        let closed = if p.status.is_some_and(|s| s != 1) { " (closed/archived)" } else { "" };
        let _ = writeln!(
            out,
            "{} `{}` {}{visibility}{closed}{parent}{}",
            p.id,
            p.identifier,
            one_line(&p.name),
            short_desc(&p.description)
        );
    }
    out.push_str(&footer(offset, list.projects.len(), Some(list.total_count), limit));
    out
}

fn short_desc(text: &str) -> String {
    let line = one_line(text);
    if line.is_empty() { String::new() } else { format!(" — {}", truncate_chars(&line, 100)) }
}

pub fn project(p: &Project, members: Option<&MembershipList>) -> String {
    let mut out = format!(
        "Project {} `{}`: {}{}\n",
        p.id,
        p.identifier,
        one_line(&p.name),
        if p.is_public == Some(false) { " (private)" } else { " (public)" }
    );
    if let Some(parent) = &p.parent {
        let _ = writeln!(out, "Parent: {} ({})", parent.name, parent.id);
    }
    let _ = writeln!(out, "Created {}, updated {}", when(&p.created_on), when(&p.updated_on));
    let _ = writeln!(out, "Trackers: {}", refs(&p.trackers));
    let categories = refs(&p.issue_categories);
    let _ =
        writeln!(out, "Issue categories: {}", if categories.is_empty() { "none".into() } else { categories });
    let modules: Vec<&str> = p.enabled_modules.iter().map(|m| m.name.as_str()).collect();
    let _ = writeln!(out, "Enabled modules: {}", modules.join(", "));
    if let Some(activities) = &p.time_entry_activities {
        let _ = writeln!(out, "Time-entry activities: {}", refs(activities));
    }
    match members {
        Some(m) => {
            let items = &m.memberships;
            let lines: Vec<String> = items
                .iter()
                .map(|ms| {
                    let (who, group) = ms.principal.who();
                    let kind = if group { " (group)" } else { "" };
                    let roles: Vec<&str> = ms.roles.iter().map(|r| r.name.as_str()).collect();
                    format!("{} (id {}){kind}: {}", who.name, who.id, roles.join(", "))
                })
                .collect();
            let more = (m.total_count > items.len() as u64)
                .then(|| format!(" (first {} of {})", items.len(), m.total_count));
            let _ = writeln!(out, "Members{}: {}", more.unwrap_or_default(), lines.join("; "));
        }
        None => out.push_str("Members: not visible to this API key\n"),
    }
    if !p.description.trim().is_empty() {
        out.push_str(&untrusted(
            "project description",
            &cut(&p.description, 2000, "see the project in Redmine"),
        ));
    }
    out.trim_end().to_owned()
}

// ---------------------------------------------------------------------------------------------
// Issues

pub fn search(results: &SearchResults, offset: u64, limit: u32) -> String {
    let list = &results.results;
    let mut lines = String::new();
    for r in list {
        let desc = one_line(&r.description);
        let _ = writeln!(
            lines,
            "{} {} | {} | {}{}",
            r.kind,
            r.id,
            one_line(&r.title),
            when(&r.datetime),
            if desc.is_empty() { String::new() } else { format!("\n  {}", truncate_chars(&desc, 160)) }
        );
    }
    let mut out = if list.is_empty() {
        String::from("No results.\n")
    } else {
        untrusted("search results", &lines) + "\n"
    };
    out.push_str(&footer(offset, list.len(), results.total_count, limit));
    out
}

pub fn versions(list: &VersionList, offset: usize, limit: usize) -> String {
    let shown: Vec<_> = list.versions.iter().skip(offset).take(limit).collect();
    let mut out = String::new();
    for v in &shown {
        let due = v.due_date.as_deref().unwrap_or("");
        let _ = writeln!(
            out,
            "{} {} [{}] project {}{}; sharing {}{}",
            v.id,
            one_line(&v.name),
            v.status,
            name_of(v.project.as_ref()),
            if due.is_empty() { String::new() } else { format!("; due {due}") },
            v.sharing,
            short_desc(&v.description)
        );
    }
    out.push_str(&slice_footer(offset as u64, shown.len(), list.versions.len()));
    out
}

/// Saved queries, one line each: `id name — public|private, project N|all projects`.
pub fn queries(list: &QueryList, offset: u64, limit: u32) -> String {
    let mut out = String::new();
    for q in &list.queries {
        let _ = writeln!(
            out,
            "{} {} — {}, {}",
            q.id,
            one_line(&q.name),
            if q.is_public { "public" } else { "private" },
            q.project_id.map_or_else(|| "all projects".to_owned(), |p| format!("project {p}"))
        );
    }
    out.push_str(&footer(offset, list.queries.len(), Some(list.total_count), limit));
    out
}

pub fn time_entries(list: &TimeEntryList, offset: u64, limit: u32) -> String {
    let entries = &list.time_entries;
    let mut out = String::new();
    let mut hours = 0.0;
    for t in entries {
        hours += t.hours;
        let issue = t.issue.as_ref().map(|i| format!(" #{}", i.id)).unwrap_or_default();
        let comment = one_line(&t.comments);
        let _ = writeln!(
            out,
            "{} {} {}h {} by {} — {}{issue}{}",
            t.id,
            t.spent_on,
            t.hours,
            t.activity.name,
            t.user.name,
            t.project.name,
            if comment.is_empty() { String::new() } else { format!(": {}", truncate_chars(&comment, 120)) }
        );
    }
    if !entries.is_empty() {
        let _ = writeln!(out, "Hours on this page: {hours}");
    }
    out.push_str(&footer(offset, entries.len(), Some(list.total_count), limit));
    out
}

pub fn wiki_index(index: &WikiIndex, project: &str, offset: usize, limit: usize) -> String {
    let list = &index.wiki_pages;
    let shown: Vec<_> = list.iter().skip(offset).take(limit).collect();
    let mut out = format!("Wiki pages of `{project}`:\n");
    for p in &shown {
        let parent = p.parent.as_ref().map(|x| format!(" (parent {})", x.title)).unwrap_or_default();
        let _ = writeln!(out, "{}{parent} v{} updated {}", p.title, p.version, when(&p.updated_on));
    }
    out.push_str(&slice_footer(offset as u64, shown.len(), list.len()));
    out
}

pub fn wiki_page(p: &WikiPage, project: &str, offset: usize) -> String {
    let title = &p.title;
    let mut out = format!(
        "Wiki page {title} of `{project}`, version {} by {}, updated {}",
        p.version,
        name_of(p.author.as_ref()),
        when(&p.updated_on)
    );
    if let Some(parent) = &p.parent {
        let _ = write!(out, "; parent {}", parent.title);
    }
    let comments = one_line(&p.comments);
    if !comments.is_empty() {
        let _ = write!(out, "; change comment: {}", truncate_chars(&comments, 200));
    }
    out.push('\n');
    if !p.attachments.is_empty() {
        let f: Vec<String> = p.attachments.iter().map(attachment_line).collect();
        let _ = writeln!(out, "Attachments: {}", f.join("; "));
    }
    let text = chunk(&p.text, offset, TEXT_CHUNK, |next| {
        format!("read on with redmine_get_wiki_page project={project} title={title} text_offset={next}")
    });
    out.push_str(&untrusted(&format!("wiki page {title}"), &text));
    out
}

pub fn attachment_line(a: &Attachment) -> String {
    format!("{} {} ({} bytes, {})", a.id, one_line(&a.filename), a.filesize, a.content_type)
}

pub fn attachment_meta(a: &Attachment) -> String {
    let desc = one_line(&a.description);
    format!(
        "Attachment {} {} — {} bytes, {}, by {} at {}{}",
        a.id,
        one_line(&a.filename),
        a.filesize,
        if a.content_type.is_empty() { "unknown type" } else { &a.content_type },
        name_of(a.author.as_ref()),
        when(&a.created_on),
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

    use serde_json::{Value, json};

    use super::*;
    use crate::redmine::models::Detail;

    #[test]
    fn journal_details_read_as_changes() {
        let mut names = DetailNames::new();
        names.insert("status_id:1".into(), "New".into());
        names.insert("status_id:2".into(), "In Progress".into());
        let custom: HashMap<String, String> = [("1".to_owned(), "Severity".to_owned())].into();
        let line = |d: Value| {
            let detail: Detail = serde_json::from_value(d).expect("a journal detail");
            detail_line(&detail, &names, &custom)
        };
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
