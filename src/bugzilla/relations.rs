//! Reads across bugs: the flags requested of the current user, and the dependency tree.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use schemars::JsonSchema;
use serde::Deserialize;

use super::client::BugzillaApi;
use super::models::{Bug, Flag};
use super::params::{BugRef, name};
use crate::error::{Error, Result};
use crate::params::{self, Page};
use crate::render::{one_line, slice_footer};

/// Most bugs a "requested of me" search reads (Bugzilla pages bugs, the list pages flags).
const MAX_REQUEST_BUGS: u32 = 500;
/// Deepest tree walked, and the default.
const MAX_DEPTH: u32 = 6;
const DEFAULT_DEPTH: u32 = 3;
/// Most bugs a tree reads, and most lines it shows.
const MAX_NODES: usize = 100;
const MAX_LINES: usize = 200;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct RequestedParams {
    /// Only this flag type, e.g. "needinfo".
    pub flag: Option<String>,
    #[serde(flatten)]
    pub page: Page,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct TreeParams {
    /// Bug id or alias.
    pub bug: BugRef,
    /// "depends_on" (default) or "blocks".
    pub direction: Option<String>,
    /// Levels, 1-6 (default 3).
    pub depth: Option<u32>,
}

/// Open requests (`?` flags) whose requestee is the account this server acts as.
pub(super) async fn requested(api: &BugzillaApi, p: RequestedParams) -> Result<String> {
    let limit = params::limit(p.page.limit)?;
    let offset = params::cursor(p.page.cursor.as_ref())?;
    let only = name("flag", p.flag.as_deref())?.filter(|f| !f.is_empty());
    let me = api.current_login().await?;
    let query = [
        ("f1", "requestees.login_name".to_owned()),
        ("o1", "equals".to_owned()),
        ("v1", me.clone()),
        ("include_fields", "id,summary,status,resolution,flags".to_owned()),
        ("order", "bug_id".to_owned()),
        ("limit", MAX_REQUEST_BUGS.to_string()),
    ];
    let bugs = api.search(&query).await?;
    let mut found: Vec<(&Flag, &Bug)> = bugs
        .iter()
        .flat_map(|b| b.flags.iter().map(move |f| (f, b)))
        .filter(|(f, _)| f.status == "?" && f.requestee.eq_ignore_ascii_case(&me))
        .filter(|(f, _)| only.is_none_or(|o| f.name == o))
        .collect();
    found.sort_by(|a, b| (&a.0.name, a.1.id, a.0.id).cmp(&(&b.0.name, b.1.id, b.0.id)));
    let mut out = vec![format!("Flags requested of {me}; type #flag bug [status] from setter: summary")];
    if found.is_empty() {
        out.push("None open.".to_owned());
    }
    let page: Vec<String> = found
        .iter()
        .skip(offset as usize)
        .take(limit as usize)
        .map(|(f, b)| {
            format!(
                "{} #{} bug {} [{}] from {}: {}",
                f.name,
                f.id,
                b.id,
                b.status,
                f.setter,
                one_line(&b.summary)
            )
        })
        .collect();
    let shown = page.len();
    out.extend(page);
    if !found.is_empty() {
        out.push(format!("Web: {}", api.bug_page_pattern()));
    }
    if bugs.len() >= MAX_REQUEST_BUGS as usize {
        out.push(format!("(read the first {MAX_REQUEST_BUGS} bugs only)"));
    }
    out.push(slice_footer(offset, shown, found.len()));
    Ok(out.join("\n"))
}

/// The bugs a bug depends on (or blocks), level by level, as an indented tree.
pub(super) async fn tree(api: &BugzillaApi, p: TreeParams) -> Result<String> {
    let id = p.bug.check("bug")?;
    let blocks = match p.direction.as_deref().map(str::trim) {
        None | Some("depends_on") => false,
        Some("blocks") => true,
        Some(_) => return Err(Error::invalid("direction", "must be \"depends_on\" or \"blocks\"")),
    };
    let depth = p.depth.unwrap_or(DEFAULT_DEPTH);
    if !(1..=MAX_DEPTH).contains(&depth) {
        return Err(Error::invalid("depth", format!("must be 1 to {MAX_DEPTH}")));
    }
    let root = api.bug(&id).await?;
    let next = move |b: &Bug| if blocks { b.blocks.clone() } else { b.depends_on.clone() };
    let mut nodes: HashMap<u64, Bug> = HashMap::new();
    let mut frontier = next(&root);
    let root_id = root.id;
    nodes.insert(root_id, root);
    for _ in 0..depth {
        frontier.retain(|i| !nodes.contains_key(i));
        frontier.sort_unstable();
        frontier.dedup();
        frontier.truncate(MAX_NODES.saturating_sub(nodes.len()));
        if frontier.is_empty() {
            break;
        }
        let list = frontier.iter().map(u64::to_string).collect::<Vec<_>>().join(",");
        let query =
            [("id", list), ("include_fields", "id,summary,status,resolution,depends_on,blocks".to_owned())];
        let level = api.search(&query).await?;
        frontier = level.iter().flat_map(&next).collect();
        nodes.extend(level.into_iter().map(|b| (b.id, b)));
    }
    let word = if blocks { "blocks" } else { "depends on" };
    let mut out = vec![format!("Bug {root_id} {word} (depth {depth}); id [status]: summary")];
    let mut shown = HashSet::new();
    walk(root_id, 0, depth, &nodes, &next, &mut shown, &mut out);
    if out.len() > MAX_LINES {
        out.truncate(MAX_LINES);
        out.push(format!("(cut at {MAX_LINES} lines)"));
    }
    out.push(format!("Web: {}", api.bug_page_pattern()));
    Ok(out.join("\n"))
}

/// One node and, unless it was shown already (a cycle or a shared dependency), its children.
fn walk(
    id: u64,
    level: u32,
    depth: u32,
    nodes: &HashMap<u64, Bug>,
    next: &impl Fn(&Bug) -> Vec<u64>,
    shown: &mut HashSet<u64>,
    out: &mut Vec<String>,
) {
    if out.len() > MAX_LINES {
        return;
    }
    let indent = "  ".repeat(level as usize);
    let Some(bug) = nodes.get(&id) else {
        let why = if nodes.len() >= MAX_NODES { "not read: node limit" } else { "not visible" };
        out.push(format!("{indent}{id} ({why})"));
        return;
    };
    let status = if bug.resolution.is_empty() {
        bug.status.clone()
    } else {
        format!("{} {}", bug.status, bug.resolution)
    };
    let mut line = format!("{indent}{id} [{status}]: {}", one_line(&bug.summary));
    let children = next(bug);
    if !shown.insert(id) {
        line.push_str(" (shown above)");
        out.push(line);
        return;
    }
    if level == depth && !children.is_empty() {
        let _ = write!(line, " (+{} deeper)", children.len());
        out.push(line);
        return;
    }
    out.push(line);
    for child in children {
        walk(child, level + 1, depth, nodes, next, shown, out);
    }
}
