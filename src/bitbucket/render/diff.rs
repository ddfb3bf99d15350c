//! A pull request's unified diff for the model: a stat line per file, each file capped, the
//! whole capped, one file in full on request.

use super::*;
use crate::bitbucket::models::Comparison;

/// Split a unified (git) diff into files with +/- counts.
#[must_use]
pub fn parse_diff(diff: &str) -> Vec<FileDiff> {
    let mut files: Vec<FileDiff> = Vec::new();
    let mut in_hunk = false;
    for line in diff.lines() {
        if line.starts_with("diff --git ") || files.is_empty() && line.starts_with("--- ") {
            in_hunk = false;
            let path = line
                .strip_prefix("diff --git ")
                .and_then(|rest| rest.rsplit_once(" b/").map(|(_, b)| b.to_owned()))
                .unwrap_or_default();
            files.push(FileDiff { path, ..FileDiff::default() });
        }
        let Some(file) = files.last_mut() else { continue };
        // Before the first hunk of a `diff --git` section, the `index` line (blob hashes) and
        // the `---`/`+++` lines repeat what the `diff --git` header and the mode lines say:
        // they are parsed but not shown.
        let redundant = !in_hunk
            && file.text.starts_with("diff --git ")
            && (line.starts_with("index ") || line.starts_with("--- ") || line.starts_with("+++ "));
        if !redundant {
            file.text.push_str(line);
            file.text.push('\n');
        }
        if line.starts_with("@@") {
            in_hunk = true;
        } else if !in_hunk {
            if let Some(p) = line.strip_prefix("+++ ") {
                if p != "/dev/null" {
                    file.path = p.strip_prefix("b/").unwrap_or(p).trim_end().to_owned();
                }
            } else if let Some(p) = line.strip_prefix("--- ") {
                if file.path.is_empty() && p != "/dev/null" {
                    file.path = p.strip_prefix("a/").unwrap_or(p).trim_end().to_owned();
                }
            } else if line.starts_with("Binary files") || line.starts_with("GIT binary patch") {
                file.binary = true;
            }
        } else if line.starts_with('+') {
            file.added += 1;
        } else if line.starts_with('-') {
            file.removed += 1;
        }
    }
    files
}

/// The file list with counts, then each file's diff, capped per file and in total.
pub fn diff(id: u64, text: &str, only: Option<&str>) -> String {
    let Some(out) = diff_of(
        &format!("Pull request #{id}"),
        &format!("pull request #{id}"),
        "bitbucket_get_pull_request_diff",
        text,
        only,
        true,
    ) else {
        return format!("Pull request #{id}: the diff is empty.");
    };
    out
}

/// Two refs compared: the commits, the files changed, then the diff capped like a pull
/// request's (`only`: one file's whole diff).
pub fn compare(from: &str, to: &str, c: &Comparison, only: Option<&str>) -> String {
    let subject = format!("{from}..{to}");
    let mut out = format!("Compare {subject}: what {to} has that {from} lacks.\n");
    let mut commits_page = c.commits.clone();
    if commits_page.next.take().is_some() {
        commits_page.note = Some(format!(
            "first {} commits shown; bitbucket_list_commits with branch={to} lists them all",
            commits_page.items.len()
        ));
    }
    out.push_str(&super::commits(&commits_page, &subject));
    out.push('\n');
    let more = if c.changes.next.is_some() { "+" } else { "" };
    let _ = writeln!(out, "{}{more} file(s) changed:", c.changes.items.len());
    for ch in &c.changes.items {
        let _ = writeln!(out, "{} {}", ch.path, ch.status);
    }
    match diff_of(&subject, &format!("{from}..{to}"), "bitbucket_compare", &c.diff, only, only.is_some()) {
        Some(d) => out.push_str(&d),
        None => out.push_str("The diff is empty."),
    }
    out
}

/// `title: N file(s), +a -r`, the file list when `list`, then the capped diff; `None` when
/// the diff is empty.
fn diff_of(
    title: &str,
    label: &str,
    tool: &str,
    text: &str,
    only: Option<&str>,
    list: bool,
) -> Option<String> {
    let files = parse_diff(text);
    if files.is_empty() {
        return None;
    }
    let (added, removed) = files.iter().fold((0, 0), |(a, r), f| (a + f.added, r + f.removed));
    let mut out = format!("{title}: {} file(s), +{added} -{removed}\n", files.len());
    if list {
        for f in &files {
            let bin = if f.binary { " (binary)" } else { "" };
            let _ = writeln!(out, "{} +{} -{}{bin}", f.path, f.added, f.removed);
        }
    }
    let how = |path: &str| format!("call {tool} with path=\"{path}\" for this file's whole diff");
    if let Some(only) = only {
        let Some(f) = files.iter().find(|f| f.path == only) else {
            out.push_str(&format!("\nNo file {only:?} in this diff; use a path from the list above."));
            return Some(out);
        };
        out.push('\n');
        out.push_str(&untrusted(
            &format!("diff of {}", f.path),
            &cut(
                &f.text,
                DIFF_ONE_FILE,
                "the rest is too long to show; read the file with bitbucket_get_file",
            ),
        ));
        return Some(out);
    }
    let mut budget = DIFF_TOTAL;
    let mut omitted = Vec::new();
    let mut body = String::new();
    for f in &files {
        if budget < 200 {
            omitted.push(f.path.as_str());
            continue;
        }
        let cap = DIFF_PER_FILE.min(budget);
        let shown = cut(&f.text, cap, &how(&f.path));
        budget = budget.saturating_sub(shown.chars().count());
        body.push_str(&shown);
    }
    out.push('\n');
    out.push_str(&untrusted(&format!("diff of {label}"), &body));
    if !omitted.is_empty() {
        let _ = write!(
            out,
            "\n[… total cap reached: {} more file(s) not shown ({}); call {tool} with path=\"<file>\" for one file]",
            omitted.len(),
            omitted.join(", ")
        );
    }
    Some(out)
}
