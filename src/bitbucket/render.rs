//! Compact text for the Bitbucket tools: key fields first, one line per list item, user text
//! fenced with [`untrusted`], every list closed by [`page_footer`].

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use super::models::{
    Activity, Branch, Change, Comment, Commit, FileContent, Issue, Page, Project, PullRequest, Repository,
    SearchHit,
};
use crate::render::{cut, footer_with, one_line, page_footer, untrusted, when};

mod diff;
pub use diff::{compare, diff, parse_diff};

/// Longest description or comment shown in full.
const MAX_TEXT: usize = 4000;
/// Diff caps: per file and in total (characters).
pub const DIFF_PER_FILE: usize = 6000;
pub const DIFF_TOTAL: usize = 24_000;
/// Cap of one file's diff when a single file is asked for.
pub const DIFF_ONE_FILE: usize = 60_000;
/// Lines and characters of a file shown per call.
pub const FILE_LINES: usize = 400;
pub const FILE_CHARS: usize = 30_000;
/// Matching lines shown per file found by code search.
const SEARCH_LINES: usize = 5;

/// The footer of a list, with the cursor to pass for the next page; a note about the page
/// goes on the line before, so that the cursor ends the result.
pub fn footer<T>(page: &Page<T>, shown: usize) -> String {
    let footer = page_footer(page.offset, shown, page.total, page.next.as_deref());
    match &page.note {
        Some(note) => format!("Note: {note}.\n{footer}"),
        None => footer,
    }
}

fn or_dash(s: &str) -> &str {
    if s.is_empty() { "-" } else { s }
}

fn date(s: &str) -> String {
    if s.is_empty() { "-".to_owned() } else { when(s) }
}

pub fn projects(page: &Page<Project>) -> String {
    let mut out = String::new();
    for p in &page.items {
        let vis = match p.private {
            Some(true) => " (private)",
            Some(false) => " (public)",
            None => "",
        };
        let desc = if p.description.is_empty() {
            String::new()
        } else {
            format!(" — {}", one_line(&cut(&p.description, 120, "see the project")))
        };
        let _ = writeln!(out, "{} {}{vis}{desc}", p.key, one_line(&p.name));
    }
    // Descriptions are user text.
    untrusted_if_any(out, "projects: key name (visibility) — description") + &footer(page, page.items.len())
}

pub fn repositories(page: &Page<Repository>) -> String {
    let mut out = String::new();
    for r in &page.items {
        let vis = if r.private == Some(true) { " private" } else { "" };
        let mut extra = String::new();
        if !r.language.is_empty() {
            let _ = write!(extra, " {}", r.language);
        }
        if !r.updated.is_empty() {
            let _ = write!(extra, " updated {}", when(&r.updated));
        }
        let _ = writeln!(out, "{}/{} \"{}\"{vis}{extra}", or_dash(&r.project), r.slug, one_line(&r.name));
    }
    out + &footer(page, page.items.len())
}

pub fn repository(r: &Repository) -> String {
    let mut out = format!("{}/{} \"{}\"\n", or_dash(&r.project), r.slug, one_line(&r.name));
    if let Some(private) = r.private {
        let _ = writeln!(out, "visibility: {}", if private { "private" } else { "public" });
    }
    if !r.default_branch.is_empty() {
        let _ = writeln!(out, "default branch: {}", r.default_branch);
    }
    if !r.language.is_empty() {
        let _ = writeln!(out, "language: {}", r.language);
    }
    if !r.updated.is_empty() {
        let _ = writeln!(out, "updated: {}", when(&r.updated));
    }
    if !r.web.is_empty() {
        let _ = writeln!(out, "web: {}", r.web);
    }
    for c in &r.clone {
        let _ = writeln!(out, "clone: {c}");
    }
    if !r.description.trim().is_empty() {
        out.push_str(&untrusted(
            "repository description",
            &cut(&r.description, MAX_TEXT, "see the repository page"),
        ));
    }
    out.trim_end().to_owned()
}

fn pr_line(pr: &PullRequest) -> String {
    let draft = if pr.draft { " draft" } else { "" };
    let approvals = pr.reviewers.iter().filter(|r| r.verdict == "approved").count();
    let reviews = if pr.reviewers.is_empty() {
        String::new()
    } else {
        format!("; {approvals}/{} approved", pr.reviewers.len())
    };
    format!(
        "#{} [{}{draft}] {} — {}; {} → {}; updated {}{reviews}",
        pr.id,
        pr.state,
        one_line(&pr.title),
        or_dash(&pr.author),
        or_dash(&pr.source),
        or_dash(&pr.target),
        date(&pr.updated)
    )
}

pub fn pull_requests(page: &Page<PullRequest>) -> String {
    let mut out = String::new();
    for pr in &page.items {
        out.push_str(&pr_line(pr));
        out.push('\n');
    }
    out + &footer(page, page.items.len())
}

pub fn pull_request(pr: &PullRequest) -> String {
    let mut out = format!(
        "Pull request #{} [{}{}] {}\nauthor: {}\nbranches: {} → {}\ncreated: {}; updated: {}\n",
        pr.id,
        pr.state,
        if pr.draft { ", draft" } else { "" },
        one_line(&pr.title),
        or_dash(&pr.author),
        or_dash(&pr.source),
        or_dash(&pr.target),
        date(&pr.created),
        date(&pr.updated)
    );
    if !pr.source_commit.is_empty() {
        let _ = writeln!(out, "source commit: {}", pr.source_commit);
    }
    if pr.reviewers.is_empty() {
        out.push_str("reviewers: none\n");
    } else {
        let list: Vec<String> = pr.reviewers.iter().map(|r| format!("{} ({})", r.name, r.verdict)).collect();
        let _ = writeln!(out, "reviewers: {}", list.join(", "));
    }
    if let Some(m) = &pr.merge_status {
        let _ = writeln!(out, "merge status: {m}");
    }
    if let Some(b) = &pr.builds {
        let _ = writeln!(out, "builds: {b}");
    }
    if let Some(n) = pr.comment_count {
        let _ = writeln!(out, "comments: {n}");
    }
    if let Some(v) = pr.version {
        let _ = writeln!(out, "version: {v}");
    }
    if !pr.web.is_empty() {
        let _ = writeln!(out, "web: {}", pr.web);
    }
    if pr.description.trim().is_empty() {
        out.push_str("description: none");
    } else {
        out.push_str(&untrusted(
            &format!("description of pull request #{}", pr.id),
            &cut(&pr.description, MAX_TEXT, "the rest is on the pull request's web page"),
        ));
    }
    out
}

/// One file of a unified diff.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileDiff {
    pub path: String,
    pub added: u64,
    pub removed: u64,
    pub binary: bool,
    pub text: String,
}

/// Comments as threads: replies under their parent, indented.
pub fn comments(page: &Page<Comment>, subject: &str) -> String {
    let ids: HashSet<i64> = page.items.iter().map(|c| c.id).collect();
    let mut children: HashMap<i64, Vec<&Comment>> = HashMap::new();
    let mut roots = Vec::new();
    for c in &page.items {
        match c.parent {
            Some(p) if ids.contains(&p) && p != c.id => children.entry(p).or_default().push(c),
            _ => roots.push(c),
        }
    }
    let mut out = String::new();
    let mut seen = HashSet::new();
    let mut stack: Vec<(&Comment, usize)> = roots.iter().rev().map(|c| (*c, 0)).collect();
    while let Some((c, depth)) = stack.pop() {
        if !seen.insert(c.id) {
            continue;
        }
        out.push_str(&comment(c, depth));
        out.push('\n');
        if let Some(kids) = children.get(&c.id) {
            stack.extend(kids.iter().rev().map(|k| (*k, depth + 1)));
        }
    }
    if page.items.is_empty() {
        let _ = writeln!(out, "No comments on {subject} in this page.");
    }
    out + &footer(page, page.items.len())
}

/// A pull request's tasks, rendered like its comments.
pub fn tasks(page: &Page<Comment>, id: u64) -> String {
    if page.items.is_empty() {
        return format!("No tasks on pull request #{id} in this page.\n{}", footer(page, 0));
    }
    comments(page, &format!("pull request #{id}"))
}

/// One comment: its facts are the label of its fenced text (replies say whose reply they are
/// and follow their parent; deleted comments are one plain line).
fn comment(c: &Comment, depth: usize) -> String {
    let mut head = format!("#{} by {} {}", c.id, or_dash(&c.author), date(&c.created));
    if let Some(path) = &c.path {
        let _ = write!(head, " on {path}");
        if let Some(line) = c.line {
            let _ = write!(head, ":{line}");
        }
    }
    if let Some(p) = c.parent {
        let _ = write!(head, " (reply to #{p})");
    }
    if !c.state.is_empty() {
        let _ = write!(head, " [{}]", c.state);
    }
    if c.deleted {
        return format!("{}{head} [deleted]", "  ".repeat(depth));
    }
    untrusted(&format!("comment {head}"), &cut(&c.text, MAX_TEXT, "the rest is on the web page"))
}

fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

fn first_line(message: &str) -> String {
    one_line(message.lines().next().unwrap_or_default())
}

pub fn commits(page: &Page<Commit>, subject: &str) -> String {
    if page.items.is_empty() {
        return format!("No commits in {subject}.\n{}", footer(page, 0));
    }
    let lines: Vec<String> = page
        .items
        .iter()
        .map(|c| {
            format!("{} {} {}: {}", short(&c.hash), date(&c.date), or_dash(&c.author), first_line(&c.message))
        })
        .collect();
    format!(
        "{}\n{}",
        untrusted(&format!("commits of {subject} (hash date author: subject)"), &lines.join("\n")),
        footer(page, page.items.len())
    )
}

pub fn commit(c: &Commit, changes: &Page<Change>) -> String {
    let mut out = format!(
        "Commit {}\nauthor: {}\ndate: {}\nparents: {}\n",
        c.hash,
        or_dash(&c.author),
        date(&c.date),
        if c.parents.is_empty() {
            "-".to_owned()
        } else {
            c.parents.iter().map(|p| short(p)).collect::<Vec<_>>().join(", ")
        }
    );
    out.push_str(&untrusted(
        "commit message",
        &cut(&c.message, MAX_TEXT, "the rest is on the commit's web page"),
    ));
    let _ = writeln!(out, "\nfiles changed:");
    for ch in &changes.items {
        let _ = writeln!(out, "{} {}", ch.status, ch.path);
    }
    // The file list is not paged by any tool: say where the rest is.
    let more = changes.next.as_ref().map(|_| "the rest of the file list is on the commit's web page");
    out + &footer_with(0, changes.items.len(), changes.total, more)
}

pub fn activity(page: &Page<Activity>) -> String {
    let mut out = String::new();
    for a in &page.items {
        let _ = write!(out, "{} {} {}", date(&a.when), or_dash(&a.who), a.action);
        if !a.detail.is_empty() {
            let _ = write!(
                out,
                " {}",
                one_line(&cut(&a.detail, 200, "see bitbucket_list_pull_request_comments"))
            );
        }
        out.push('\n');
    }
    if page.items.is_empty() {
        out.push_str("No activity in this page.\n");
    }
    untrusted_if_any(out, "pull request activity (details are user text)") + &footer(page, page.items.len())
}

fn untrusted_if_any(text: String, label: &str) -> String {
    if text.trim().is_empty() { text } else { untrusted(label, &text) + "\n" }
}

pub fn branches(page: &Page<Branch>) -> String {
    let mut out = String::new();
    for b in &page.items {
        let default = if b.is_default { " (default)" } else { "" };
        let when = if b.date.is_empty() { String::new() } else { format!(" {}", when(&b.date)) };
        let _ = writeln!(out, "{}{default} {}{when}", b.name, short(&b.hash));
    }
    out + &footer(page, page.items.len())
}

/// A file's text from `start_line` (1-based), at most [`FILE_LINES`] lines.
pub fn file(path: &str, content: &FileContent, start_line: usize) -> String {
    match content {
        FileContent::Binary { bytes } => format!(
            "{path} is a binary file ({bytes} bytes); its content is not shown. Open it in the web UI or clone the repository."
        ),
        FileContent::Directory(page) => {
            let mut out = format!("{path} is a directory:\n");
            for entry in &page.items {
                let _ = writeln!(out, "{entry}");
            }
            out + &footer(page, page.items.len())
        }
        FileContent::Text(text) => {
            let lines: Vec<&str> = text.lines().collect();
            let total = lines.len();
            if total == 0 {
                return format!("{path} is empty.");
            }
            let start = start_line.clamp(1, total);
            let mut shown = String::new();
            let mut end = start - 1;
            for line in &lines[start - 1..] {
                if end - (start - 1) >= FILE_LINES || shown.len() + line.len() > FILE_CHARS {
                    break;
                }
                shown.push_str(line);
                shown.push('\n');
                end += 1;
            }
            if end == start - 1 {
                // One very long line: show its beginning.
                shown = cut(lines[start - 1], FILE_CHARS, "the line is too long to show in full");
                end = start;
            }
            let mut out = format!("{path}: lines {start}–{end} of {total}\n");
            out.push_str(&untrusted(&format!("content of {path}"), &shown));
            if end < total {
                let _ = write!(out, "\n[… more: call bitbucket_get_file again with start_line={}]", end + 1);
            }
            out
        }
    }
}

pub fn search(page: &Page<SearchHit>) -> String {
    let mut body = String::new();
    for hit in &page.items {
        let _ = writeln!(body, "{} {}", or_dash(&hit.repo), hit.path);
        for (line, text) in hit.lines.iter().take(SEARCH_LINES) {
            let _ = writeln!(body, "  {line}: {}", cut(text.trim_end(), 200, "open the file"));
        }
        if hit.lines.len() > SEARCH_LINES {
            let _ =
                writeln!(body, "  [… {} more matching lines in this file]", hit.lines.len() - SEARCH_LINES);
        }
    }
    if page.items.is_empty() {
        return format!("No matches.\n{}", footer(page, 0));
    }
    format!("{}\n{}", untrusted("code search results", &body), footer(page, page.items.len()))
}

fn issue_line(i: &Issue) -> String {
    format!(
        "#{} [{}] {} — {} {}; reporter {}; assignee {}; updated {}",
        i.id,
        or_dash(&i.state),
        one_line(&i.title),
        or_dash(&i.kind),
        or_dash(&i.priority),
        or_dash(&i.reporter),
        or_dash(&i.assignee),
        date(&i.updated)
    )
}

pub fn issues(page: &Page<Issue>) -> String {
    let mut out = String::new();
    for i in &page.items {
        out.push_str(&issue_line(i));
        out.push('\n');
    }
    out + &footer(page, page.items.len())
}

pub fn issue(i: &Issue, comments_page: &Page<Comment>) -> String {
    let mut out = format!("Issue {}\ncreated: {}", issue_line(i), date(&i.created));
    if let Some(v) = i.votes {
        let _ = write!(out, "; votes: {v}");
    }
    out.push('\n');
    if i.content.trim().is_empty() {
        out.push_str("description: none\n");
    } else {
        out.push_str(&untrusted(
            &format!("description of issue #{}", i.id),
            &cut(&i.content, MAX_TEXT, "the rest is on the issue's web page"),
        ));
        out.push('\n');
    }
    out.push_str("comments:\n");
    out + &comments(comments_page, &format!("issue #{}", i.id))
}

/// People, each with the exact value pull requests' `reviewers` take.
pub fn people(page: &Page<super::models::Person>, subject: &str) -> String {
    let mut out = String::new();
    for p in &page.items {
        let detail = if p.detail.is_empty() { String::new() } else { format!(" ({})", one_line(&p.detail)) };
        let _ = writeln!(out, "{} — reviewers: \"{}\"{detail}", one_line(&p.name), p.reviewer);
    }
    if page.items.is_empty() {
        let _ = writeln!(out, "No {subject} found.");
    }
    out + &footer(page, page.items.len())
}

/// Pull requests waiting for the account, each with its repository.
pub fn inbox(page: &Page<super::models::InboxItem>) -> String {
    let mut out = String::new();
    for item in &page.items {
        let _ = writeln!(out, "{} {}", or_dash(&item.repo), pr_line(&item.pr));
    }
    if page.items.is_empty() {
        out.push_str("No pull requests waiting for you here.\n");
    }
    out + &footer(page, page.items.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIFF: &str = "diff --git a/src/a.rs b/src/a.rs\nindex 1..2 100644\n--- a/src/a.rs\n+++ b/src/a.rs\n@@ -1,2 +1,3 @@\n fn a() {}\n-old\n+new\n+more\ndiff --git a/img.png b/img.png\nBinary files a/img.png and b/img.png differ\ndiff --git a/gone.txt b/gone.txt\ndeleted file mode 100644\n--- a/gone.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n--- not a header\n";

    #[test]
    fn diffs_are_split_and_counted() {
        let files = parse_diff(DIFF);
        let summary: Vec<_> = files.iter().map(|f| (f.path.as_str(), f.added, f.removed, f.binary)).collect();
        assert_eq!(summary, [("src/a.rs", 2, 1, false), ("img.png", 0, 0, true), ("gone.txt", 0, 1, false)]);
    }

    #[test]
    fn diff_caps_say_how_to_read_one_file() {
        let mut big = String::from(
            "diff --git a/big.txt b/big.txt\n--- a/big.txt\n+++ b/big.txt\n@@ -0,0 +1,5000 @@\n",
        );
        for i in 0..5000 {
            big.push_str(&format!("+line {i}\n"));
        }
        let out = diff(3, &big, None);
        assert!(out.starts_with("Pull request #3: 1 file(s), +5000 -0\nbig.txt +5000 -0\n"), "{out}");
        assert!(out.contains("path=\"big.txt\""), "{out}");
        assert!(out.len() < DIFF_PER_FILE + 1000);
        let one = diff(3, &big, Some("big.txt"));
        assert!(one.contains("+line 4999"));
        assert!(diff(3, &big, Some("nope")).contains("No file \"nope\""));
    }

    #[test]
    fn files_page_by_lines_and_refuse_binaries() {
        let text: String = (1..=1000).map(|i| format!("l{i}\n")).collect();
        let out = file("a.txt", &FileContent::Text(text), 1);
        assert!(out.starts_with("a.txt: lines 1–400 of 1000"), "{out}");
        assert!(out.contains("start_line=401"));
        let bin = file("x.png", &FileContent::Binary { bytes: 10 }, 1);
        assert!(bin.contains("binary file (10 bytes)"));
    }

    #[test]
    fn comments_are_threaded() {
        let c = |id, parent| Comment {
            id,
            parent,
            author: "a".into(),
            text: format!("t{id}"),
            ..Comment::default()
        };
        let page = Page {
            items: vec![c(1, None), c(2, None), c(3, Some(1))],
            offset: 0,
            total: None,
            next: None,
            note: None,
        };
        let out = comments(&page, "pr");
        let order: Vec<_> = out.lines().filter(|l| l.starts_with("<<<")).collect();
        assert_eq!(order[0], "<<<tracker data: comment #1 by a ->>>");
        assert_eq!(order[1], "<<<tracker data: comment #3 by a - (reply to #1)>>>");
        assert_eq!(order[2], "<<<tracker data: comment #2 by a ->>>");
    }

    #[test]
    fn search_hits_say_when_lines_are_left_out() {
        let hit = SearchHit {
            repo: "r".into(),
            path: "a.rs".into(),
            lines: (1..=7).map(|n| (n, format!("match {n}"))).collect(),
        };
        let page = Page { items: vec![hit], offset: 0, total: Some(1), next: None, note: None };
        let out = search(&page);
        assert!(out.contains("  5: match 5\n  [… 2 more matching lines in this file]"), "{out}");
        assert!(!out.contains("match 6") && out.ends_with("Showing 1–1 of 1; has_more: false"), "{out}");
    }
}
