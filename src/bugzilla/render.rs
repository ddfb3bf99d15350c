//! Compact text for the model: key fields first, one line per list item, user text fenced.

use std::fmt::Write as _;

use super::models::{Attachment, Bug, Comment, Field, Flag, HistoryEntry, Product, User, UserDetail};
use crate::render::{cut, footer_with, one_line, slice_footer, untrusted, when};

/// Longest comment shown in full.
pub const MAX_COMMENT_CHARS: usize = 6000;
/// Hidden comment numbers named one by one; more are counted.
const MAX_HIDDEN: usize = 20;

fn person(login: &str, detail: Option<&UserDetail>) -> String {
    match detail {
        Some(d) if !d.real_name.trim().is_empty() && d.real_name != login => {
            format!("{} ({login})", one_line(&d.real_name))
        }
        _ if login.is_empty() => "nobody".to_owned(),
        _ => login.to_owned(),
    }
}

fn ids(list: &[u64]) -> String {
    list.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
}

fn status(bug: &Bug) -> String {
    if bug.resolution.is_empty() { bug.status.clone() } else { format!("{} {}", bug.status, bug.resolution) }
}

/// One bug, key fields first; empty fields left out.
#[must_use]
pub fn bug(b: &Bug) -> String {
    let mut out = format!("Bug {}", b.id);
    if !b.alias.is_empty() {
        let _ = write!(out, " ({})", b.alias.join(", "));
    }
    let _ = writeln!(out, ": {}", one_line(&b.summary));
    let _ = write!(out, "Status: {} | {} / {}", status(b), b.product, b.component);
    if !b.version.is_empty() {
        let _ = write!(out, " | version {}", b.version);
    }
    if !b.target_milestone.is_empty() && b.target_milestone != "---" {
        let _ = write!(out, " | milestone {}", b.target_milestone);
    }
    let _ =
        writeln!(out, "\nSeverity {}, priority {} | {} / {}", b.severity, b.priority, b.platform, b.op_sys);
    let _ = write!(
        out,
        "Assignee: {} | Reporter: {}",
        person(&b.assigned_to, b.assigned_to_detail.as_ref()),
        person(&b.creator, b.creator_detail.as_ref())
    );
    if !b.qa_contact.is_empty() {
        let _ = write!(out, " | QA: {}", b.qa_contact);
    }
    let _ = write!(out, " | CC: {}", b.cc.len());
    let mut extra = Vec::new();
    if !b.keywords.is_empty() {
        extra.push(format!("Keywords: {}", b.keywords.join(", ")));
    }
    if !b.whiteboard.is_empty() {
        extra.push(format!("Whiteboard: {}", one_line(&b.whiteboard)));
    }
    if !b.blocks.is_empty() {
        extra.push(format!("Blocks: {}", ids(&b.blocks)));
    }
    if !b.depends_on.is_empty() {
        extra.push(format!("Depends on: {}", ids(&b.depends_on)));
    }
    if let Some(d) = b.dupe_of {
        extra.push(format!("Duplicate of: {d}"));
    }
    if let Some(flags) = flags(&b.flags) {
        extra.push(format!("Flags: {flags}"));
    }
    if !b.groups.is_empty() {
        extra.push(format!("Groups: {}", b.groups.join(", ")));
    }
    for line in extra {
        let _ = write!(out, "\n{line}");
    }
    let _ = write!(out, "\nCreated {}, changed {}", when(&b.creation_time), when(&b.last_change_time));
    if let Some(deadline) = b.deadline.as_deref().filter(|d| !d.is_empty()) {
        let _ = write!(out, ", deadline {deadline}");
    }
    if !b.url.is_empty() {
        let _ = write!(out, "\nURL: {}", one_line(&b.url));
    }
    if !b.see_also.is_empty() {
        let _ = write!(out, "\nSee also: {}", b.see_also.join(", "));
    }
    out
}

/// A bug's flags, each with its id (to change one of two alike) and, for a request, who
/// asked: "needinfo?(jdoe@x) #3 from admin@x, review+ #4"; `None` when there are none.
#[must_use]
pub fn flags(flags: &[Flag]) -> Option<String> {
    if flags.is_empty() {
        return None;
    }
    let shown: Vec<String> = flags
        .iter()
        .map(|f| {
            let mut s = format!("{}{}", f.name, f.status);
            if !f.requestee.is_empty() {
                let _ = write!(s, "({})", f.requestee);
            }
            let _ = write!(s, " #{}", f.id);
            if f.status == "?" && !f.setter.is_empty() {
                let _ = write!(s, " from {}", f.setter);
            }
            s
        })
        .collect();
    Some(shown.join(", "))
}

/// One line of a search result: `id [status] product/component priority severity → assignee
/// last-changed-date: summary`; the product is left out when the caller names it once for all.
#[must_use]
pub fn bug_line(b: &Bug, with_product: bool) -> String {
    let product = if with_product { format!("{}/", b.product) } else { String::new() };
    format!(
        "{} [{}] {product}{} {} {} → {} {}: {}",
        b.id,
        status(b),
        b.component,
        b.priority,
        b.severity,
        if b.assigned_to.is_empty() { "nobody" } else { &b.assigned_to },
        when(&b.last_change_time).get(..10).unwrap_or_default(),
        one_line(&b.summary)
    )
}

/// Search results: a legend, one line per bug, the product said once when all share it.
#[must_use]
pub fn bug_lines(bugs: &[Bug]) -> Vec<String> {
    let Some(first) = bugs.first() else { return Vec::new() };
    let one_product = bugs.iter().all(|b| b.product == first.product);
    let legend = if one_product {
        format!(
            "Product {}; id [status] component priority severity → assignee changed: summary",
            first.product
        )
    } else {
        "id [status] product/component priority severity → assignee changed: summary".to_owned()
    };
    std::iter::once(legend).chain(bugs.iter().map(|b| bug_line(b, !one_product))).collect()
}

/// One comment, its text fenced as tracker data.
#[must_use]
pub fn comment(c: &Comment, read_more: &str) -> String {
    let mut label =
        format!("comment #{} (id {}) by {}, {}", c.count, c.id, c.creator, when(&c.creation_time));
    if c.is_private {
        label.push_str(", private");
    }
    if let Some(a) = c.attachment_id {
        let _ = write!(label, ", attachment {a}");
    }
    untrusted(&label, &cut(&c.text, MAX_COMMENT_CHARS, read_more))
}

/// One history entry: "2025-01-08 16:00Z admin@example.test: status: CONFIRMED -> RESOLVED; resolution: +FIXED".
#[must_use]
pub fn history_entry(e: &HistoryEntry) -> String {
    let changes: Vec<String> = e
        .changes
        .iter()
        .map(|c| {
            let field = match c.attachment_id {
                Some(a) => format!("attachment {a} {}", c.field_name),
                None => c.field_name.clone(),
            };
            change(&field, &c.removed, &c.added)
        })
        .collect();
    format!("{} {}: {}", when(&e.when), e.who, changes.join("; "))
}

/// One field change: "status: CONFIRMED -> RESOLVED", "cc: +a@x -b@x", "resolution: +FIXED".
#[must_use]
pub fn change(field: &str, removed: &str, added: &str) -> String {
    let field = if field == "flagtypes.name" { "flags" } else { field };
    let (removed, added) = (one_line(removed), one_line(added));
    let multi = [
        "cc",
        "keywords",
        "blocks",
        "depends_on",
        "dependson",
        "blocked",
        "see_also",
        "groups",
        "bug_group",
        "flagtypes.name",
        "flags",
        "alias",
    ]
    .contains(&field);
    match (removed.is_empty(), added.is_empty()) {
        (false, false) if multi => format!("{field}: +{added} -{removed}"),
        (false, false) => format!("{field}: {removed} -> {added}"),
        (true, false) => format!("{field}: +{added}"),
        (false, true) => format!("{field}: -{removed}"),
        (true, true) => format!("{field}: (cleared)"),
    }
}

/// One attachment's metadata.
#[must_use]
pub fn attachment_line(a: &Attachment) -> String {
    let mut out = format!(
        "{} {} — {} ({}, {} bytes",
        a.id,
        one_line(&a.file_name),
        one_line(&a.summary),
        a.content_type,
        a.size
    );
    if a.is_patch {
        out.push_str(", patch");
    }
    if a.is_obsolete {
        out.push_str(", obsolete");
    }
    if a.is_private {
        out.push_str(", private");
    }
    let _ = write!(out, ") by {}, {}", a.creator, when(&a.creation_time));
    if !a.flags.is_empty() {
        let flags: Vec<String> = a.flags.iter().map(|f| format!("{}{}", f.name, f.status)).collect();
        let _ = write!(out, " flags {}", flags.join(","));
    }
    out
}

#[must_use]
pub fn product_line(p: &Product) -> String {
    let mut out = format!("{} {}", p.id, one_line(&p.name));
    if !p.is_active {
        out.push_str(" (closed for new bugs)");
    }
    if !p.description.is_empty() {
        let _ = write!(out, " — {}", crate::error::truncate_chars(&one_line(&p.description), 160));
    }
    out
}

#[must_use]
pub fn product(p: &Product) -> String {
    let mut out = format!("Product {} (id {})", one_line(&p.name), p.id);
    if !p.is_active {
        out.push_str(", closed for new bugs");
    }
    if !p.classification.is_empty() && p.classification != "Unclassified" {
        let _ = write!(out, ", classification {}", p.classification);
    }
    if !p.description.is_empty() {
        let _ = write!(out, "\n{}", one_line(&p.description));
    }
    out.push_str("\nComponents (default assignee):");
    for c in &p.components {
        let _ = write!(
            out,
            "\n- {} ({}",
            one_line(&c.name),
            if c.default_assigned_to.is_empty() { "nobody" } else { &c.default_assigned_to }
        );
        if !c.default_qa_contact.is_empty() {
            let _ = write!(out, ", QA {}", c.default_qa_contact);
        }
        out.push(')');
        if !c.is_active {
            out.push_str(" inactive");
        }
        if !c.description.is_empty() {
            let _ = write!(out, ": {}", crate::error::truncate_chars(&one_line(&c.description), 120));
        }
    }
    let names = |items: &[super::models::NamedItem]| {
        items
            .iter()
            .map(|v| if v.is_active { v.name.clone() } else { format!("{} (inactive)", v.name) })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = write!(out, "\nVersions: {}", names(&p.versions));
    if !p.milestones.is_empty() {
        let _ = write!(out, "\nMilestones: {} (default {})", names(&p.milestones), p.default_milestone);
    }
    out
}

fn value_names(f: &Field) -> String {
    f.values
        .iter()
        .filter(|v| v.is_active != Some(false))
        .filter_map(|v| v.name.clone())
        .filter(|n| !n.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The workflow: statuses, where a new bug may start, and the allowed transitions.
#[must_use]
pub fn statuses(f: &Field) -> String {
    let named = || f.values.iter().filter(|v| v.name.is_some());
    let open: Vec<String> =
        named().filter(|v| v.is_open == Some(true)).filter_map(|v| v.name.clone()).collect();
    let closed: Vec<String> =
        named().filter(|v| v.is_open == Some(false)).filter_map(|v| v.name.clone()).collect();
    let mut out = format!(
        "Statuses: open {}; closed {} (closed needs a resolution)",
        open.join(", "),
        closed.join(", ")
    );
    let arrow = |list: &Option<Vec<super::models::Transition>>| {
        list.as_deref()
            .unwrap_or_default()
            .iter()
            .map(|t| if t.comment_required { format!("{}*", t.name) } else { t.name.clone() })
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(initial) = f.values.iter().find(|v| v.name.is_none()) {
        let _ = write!(out, "\nNew bugs start in: {}", arrow(&initial.can_change_to));
    }
    out.push_str("\nTransitions (* = comment required):");
    for v in named() {
        let _ = write!(out, "\n  {} -> {}", v.name.as_deref().unwrap_or_default(), arrow(&v.can_change_to));
    }
    out
}

/// Fields with values: the workflow first, then one line per field.
#[must_use]
pub fn fields(fields: &[Field], only: Option<&str>) -> String {
    let mut out = Vec::new();
    let mut fields: Vec<&Field> = fields.iter().collect();
    fields.sort_by_key(|f| f.name != "bug_status");
    let wanted =
        ["bug_status", "resolution", "priority", "bug_severity", "rep_platform", "op_sys", "keywords"];
    for f in fields.iter().copied() {
        if f.name == "bug_status" {
            out.push(statuses(f));
            continue;
        }
        let listed = only.is_some() || wanted.contains(&f.name.as_str()) || f.is_custom;
        if !listed {
            continue;
        }
        let mut line = format!("{} ({})", f.display_name, api_name(&f.name));
        if f.is_custom {
            let _ = write!(line, " [custom{}]", if f.is_mandatory { ", required" } else { "" });
        }
        let values = value_names(f);
        if values.is_empty() {
            line.push_str(": free text or per-product values");
        } else {
            let _ = write!(line, ": {values}");
        }
        out.push(line);
    }
    if only.is_none() && !fields.iter().any(|f| f.is_custom) {
        out.push("Custom fields: none".to_owned());
    }
    out.join("\n")
}

/// The REST argument name for an internal field name.
#[must_use]
pub fn api_name(field: &str) -> &str {
    match field {
        "bug_status" => "status",
        "bug_severity" => "severity",
        "rep_platform" => "platform",
        "short_desc" => "summary",
        "status_whiteboard" => "whiteboard",
        "bug_file_loc" => "url",
        other => other,
    }
}

#[must_use]
pub fn user_line(u: &User) -> String {
    let mut out = format!("{} {}", u.id, u.name);
    if !u.real_name.trim().is_empty() {
        let _ = write!(out, " \"{}\"", one_line(&u.real_name));
    }
    if let Some(email) = u.email.as_deref().filter(|e| *e != u.name && !e.is_empty()) {
        let _ = write!(out, " <{email}>");
    }
    if !u.can_login {
        out.push_str(" (disabled)");
    }
    out
}

/// Footer of a list Bugzilla returns whole and this server pages.
///
/// `bug_page` is the bug's web page (numeric ids only), where cut comments can be read in full.
pub fn comments_page(
    bug_page: Option<String>,
    id: &str,
    comments: &[Comment],
    offset: u64,
    limit: u32,
    in_bug: bool,
) -> String {
    let read_more =
        bug_page.map_or_else(|| "see the bug's web page".to_owned(), |page| format!("full text at {page}"));
    let mut out: Vec<String> =
        comments.iter().skip(offset as usize).take(limit as usize).map(|c| comment(c, &read_more)).collect();
    let shown = out.len();
    if comments.is_empty() {
        out.push(format!(
            "No comments on bug {id} visible to this account (private ones are left out for non-insiders)."
        ));
    }
    // Comment numbers are consecutive, so a gap is a comment this account cannot see.
    // The numbers come from the upstream: name at most MAX_HIDDEN of them and count the rest,
    // so that a gap of millions stays one short line.
    let gaps = comments.windows(2).map(|w| (w[0].count.saturating_add(1), w[1].count)).filter(|(a, b)| a < b);
    let total = gaps.clone().fold(0u64, |sum, (a, b)| sum.saturating_add(b - a));
    let hidden: Vec<String> =
        gaps.flat_map(|(a, b)| a..b).take(MAX_HIDDEN).map(|n| format!("#{n}")).collect();
    if !hidden.is_empty() && since_start(comments) {
        let more = total - hidden.len() as u64;
        let more = if more > 0 { format!(" and {more} more") } else { String::new() };
        out.push(format!(
            "Comments {}{more} are not visible to this account (private: insiders only).",
            hidden.join(", ")
        ));
    }
    if in_bug {
        // Read on with bugzilla_get_comments, which takes the cursor.
        let end = offset + shown as u64;
        let next = format!("bugzilla_get_comments bug={id} cursor={end}");
        let more = end < comments.len() as u64;
        out.push(footer_with(offset, shown, Some(comments.len() as u64), more.then_some(next.as_str())));
    } else {
        out.push(slice_footer(offset, shown, comments.len()));
    }
    out.join("\n")
}

fn since_start(comments: &[Comment]) -> bool {
    comments.first().is_some_and(|c| c.count == 0)
}
