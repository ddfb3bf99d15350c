//! A pull request's unified diff for the model: a stat line per file, each file capped, the
//! whole capped, one file in full on request.

use super::*;

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
    let files = parse_diff(text);
    if files.is_empty() {
        return format!("Pull request #{id}: the diff is empty.");
    }
    let (added, removed) = files.iter().fold((0, 0), |(a, r), f| (a + f.added, r + f.removed));
    let mut out = format!("Pull request #{id}: {} file(s), +{added} -{removed}\n", files.len());
    for f in &files {
        let bin = if f.binary { " (binary)" } else { "" };
        let _ = writeln!(out, "{} +{} -{}{bin}", f.path, f.added, f.removed);
    }
    let how = |path: &str| {
        format!("call bitbucket_get_pull_request_diff with path=\"{path}\" for this file's whole diff")
    };
    if let Some(only) = only {
        let Some(f) = files.iter().find(|f| f.path == only) else {
            out.push_str(&format!("\nNo file {only:?} in this diff; use a path from the list above."));
            return out;
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
        return out;
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
    out.push_str(&untrusted(&format!("diff of pull request #{id}"), &body));
    if !omitted.is_empty() {
        let _ = write!(
            out,
            "\n[… total cap reached: {} more file(s) not shown ({}); call bitbucket_get_pull_request_diff with path=\"<file>\" for one file]",
            omitted.len(),
            omitted.join(", ")
        );
    }
    out
}
