//! The `bugzilla:bugs` tool set: read, search, file and change bugs, and their comments and
//! history.

use std::fmt::Write as _;

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::client::{BugzillaApi, Write};
use super::params::{
    BugRef, MAX_TEXT, bug_ids, date, name, names, one_or_many, one_or_many_schema, opt_text, split_list,
};
use super::relations::{self, RequestedParams, TreeParams};
use super::update::{self, UpdateBugParams};
use super::{endpoints, render};
use crate::error::{Error, Result};
use crate::params::{self, Page};
use crate::render::{offset_footer, slice_footer};
use crate::server::TrackerServer;

/// Most bugs per `bugzilla_get_bug` call.
const MAX_IDS: usize = 20;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GetBugParams {
    /// 1-20 ids or aliases.
    #[serde(deserialize_with = "one_or_many")]
    #[schemars(schema_with = "one_or_many_schema")]
    pub ids: Vec<BugRef>,
    /// Also return comments (first 20).
    #[serde(default)]
    pub include_comments: bool,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct SearchParams {
    /// Product.
    pub product: Option<String>,
    /// Component.
    pub component: Option<String>,
    /// Statuses, comma-separated, or "open"/"closed".
    pub status: Option<String>,
    /// Resolutions, comma-separated.
    pub resolution: Option<String>,
    /// Assignee login.
    pub assignee: Option<String>,
    /// Reporter login.
    pub reporter: Option<String>,
    /// Text the summary contains.
    pub summary: Option<String>,
    /// Keywords, comma-separated (all must match).
    pub keywords: Option<String>,
    /// Priorities, comma-separated.
    pub priority: Option<String>,
    /// Severities, comma-separated.
    pub severity: Option<String>,
    /// Changed since, e.g. 2025-01-07.
    pub changed_since: Option<String>,
    /// Created since, e.g. 2025-01-07.
    pub created_since: Option<String>,
    /// Quicksearch query (open bugs unless it starts with ALL).
    pub quicksearch: Option<String>,
    /// id (default), newest, changed or priority.
    pub order: Option<String>,
    #[serde(flatten)]
    pub page: Page,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct BugListParams {
    /// Bug id or alias.
    pub bug: BugRef,
    /// Only newer than, e.g. 2025-01-07T10:00:00Z.
    pub new_since: Option<String>,
    #[serde(flatten)]
    pub page: Page,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CreateBugParams {
    /// Product.
    pub product: String,
    /// Component.
    pub component: String,
    /// Summary.
    pub summary: String,
    /// Version, e.g. "unspecified".
    pub version: Option<String>,
    /// First comment: steps, actual, expected.
    pub description: Option<String>,
    /// OS, e.g. "Linux".
    pub op_sys: Option<String>,
    /// Hardware, e.g. "PC".
    pub platform: Option<String>,
    /// Severity, e.g. "normal".
    pub severity: Option<String>,
    /// Priority, e.g. "High".
    pub priority: Option<String>,
    /// Assignee login (default: component's).
    pub assignee: Option<String>,
    /// Keywords.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Bug ids this bug depends on.
    #[serde(default)]
    pub depends_on: Vec<i64>,
    /// Bug ids this bug blocks.
    #[serde(default)]
    pub blocks: Vec<i64>,
    /// CC logins.
    #[serde(default)]
    pub cc: Vec<String>,
    /// Target milestone, e.g. "M1".
    pub target_milestone: Option<String>,
    /// Show the request without sending it.
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct AddCommentParams {
    /// Bug id or alias.
    pub bug: BugRef,
    /// Comment text.
    pub comment: String,
    /// Insiders only.
    #[serde(default)]
    pub is_private: bool,
    /// Show the request without sending it.
    #[serde(default)]
    pub dry_run: bool,
}

#[tool_router(router = bugzilla_bugs, vis = "pub(crate)")]
impl TrackerServer {
    /// Bugs by id or alias, every field and flag ids; optionally the comments.
    /// Text written by tracker users comes fenced as data.
    #[tool(
        name = "bugzilla_get_bug",
        annotations(
            title = "Bugzilla: get bugs",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bugzilla_get_bug(&self, Parameters(p): Parameters<GetBugParams>) -> Result<String> {
        if p.ids.is_empty() || p.ids.len() > MAX_IDS {
            return Err(Error::invalid("ids", format!("give 1 to {MAX_IDS} bug ids or aliases")));
        }
        let ids = p.ids.iter().map(|r| r.check("ids")).collect::<Result<Vec<_>>>()?;
        let api = self.bugzilla()?;
        let fetches = ids.iter().map(|id| async move {
            let bug = api.bug(id).await?;
            let mut text = render::bug(&bug);
            let _ = write!(text, "\nWeb: {}", api.bug_page(bug.id));
            if p.include_comments {
                let comments = api.comments(id, None).await?;
                text.push_str("\n\n");
                text.push_str(&render::comments_page(bug_page(api, id), id, &comments, 0, 20, true));
            }
            Ok::<_, Error>(text)
        });
        let results = futures::future::join_all(fetches).await;
        if results.len() == 1 {
            return results.into_iter().next().unwrap_or_else(|| Err(Error::Internal("no result".into())));
        }
        Ok(results
            .into_iter()
            .zip(&ids)
            .map(|(r, id)| {
                r.unwrap_or_else(|e| {
                    let message = e.client_message();
                    if message.starts_with("bug ") { message } else { format!("Bug {id}: {message}") }
                })
            })
            .collect::<Vec<_>>()
            .join("\n\n"))
    }

    /// Search bugs; one line each (id, status, product/component, priority, severity,
    /// assignee, summary). Filters combine with AND. Bugzilla reports no total count.
    #[tool(
        name = "bugzilla_search_bugs",
        annotations(
            title = "Bugzilla: search bugs",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bugzilla_search_bugs(&self, Parameters(p): Parameters<SearchParams>) -> Result<String> {
        let limit = params::limit(p.page.limit)?;
        let offset = params::cursor(p.page.cursor.as_ref())?;
        let api = self.bugzilla()?;
        let mut q: Vec<(&str, String)> = Vec::new();
        for (arg, key, value) in [
            ("product", "product", &p.product),
            ("component", "component", &p.component),
            ("assignee", "assigned_to", &p.assignee),
            ("reporter", "creator", &p.reporter),
            ("summary", "summary", &p.summary),
        ] {
            if let Some(v) = name(arg, value.as_deref())? {
                q.push((key, v.to_owned()));
            }
        }
        for (arg, key, value) in [
            ("resolution", "resolution", &p.resolution),
            ("priority", "priority", &p.priority),
            ("severity", "severity", &p.severity),
            ("keywords", "keywords", &p.keywords),
        ] {
            for v in split_list(name(arg, value.as_deref())?) {
                q.push((key, v));
            }
        }
        if p.keywords.is_some() {
            q.push(("keywords_type", "allwords".to_owned()));
        }
        if let Some(status) = name("status", p.status.as_deref())? {
            let statuses = match status.to_ascii_lowercase().as_str() {
                "open" => api.statuses_where_open(true).await?,
                "closed" => api.statuses_where_open(false).await?,
                _ => split_list(Some(status)),
            };
            for s in statuses {
                q.push(("status", s));
            }
        }
        if let Some(d) = date("changed_since", p.changed_since.as_deref())? {
            q.push(("last_change_time", d.to_owned()));
        }
        if let Some(d) = date("created_since", p.created_since.as_deref())? {
            q.push(("creation_time", d.to_owned()));
        }
        if let Some(text) = opt_text("quicksearch", p.quicksearch.as_deref(), 1000)? {
            q.push(("quicksearch", text.to_owned()));
        }
        if q.is_empty() {
            return Err(Error::invalid(
                "arguments",
                "give at least one filter, e.g. product, status=\"open\" or quicksearch",
            ));
        }
        let order = match p.order.as_deref().unwrap_or("id") {
            "id" => "bug_id",
            "newest" => "bug_id DESC",
            "changed" => "changeddate DESC,bug_id",
            "priority" => "priority,bug_severity,bug_id",
            _ => return Err(Error::invalid("order", "must be id, newest, changed or priority")),
        };
        q.push(("order", order.to_owned()));
        q.push(("limit", (limit + 1).to_string()));
        q.push(("offset", offset.to_string()));
        q.push((
            "include_fields",
            "id,summary,status,resolution,product,component,assigned_to,priority,severity,last_change_time"
                .to_owned(),
        ));
        let mut bugs = api.search(&q).await?;
        let has_more = bugs.len() > limit as usize;
        bugs.truncate(limit as usize);
        let mut out = render::bug_lines(&bugs);
        if !bugs.is_empty() {
            out.push(format!("Web: {}", api.bug_page_pattern()));
        }
        if bugs.is_empty() {
            out.push("No bug matches (or none is visible to this account).".to_owned());
        }
        out.push(offset_footer(offset, bugs.len(), None, has_more));
        Ok(out.join("\n"))
    }

    /// A bug's comments, oldest first (#0 is the description); `new_since` for newer only.
    /// Text written by tracker users comes fenced as data.
    #[tool(
        name = "bugzilla_get_comments",
        annotations(
            title = "Bugzilla: get comments",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bugzilla_get_comments(&self, Parameters(p): Parameters<BugListParams>) -> Result<String> {
        let id = p.bug.check("bug")?;
        let limit = params::limit(p.page.limit)?;
        let offset = params::cursor(p.page.cursor.as_ref())?;
        let since = date("new_since", p.new_since.as_deref())?;
        let api = self.bugzilla()?;
        let comments = api.comments(&id, since).await?;
        Ok(render::comments_page(bug_page(api, &id), &id, &comments, offset, limit, false))
    }

    /// A bug's change history, oldest first.
    #[tool(
        name = "bugzilla_get_history",
        annotations(
            title = "Bugzilla: get bug history",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bugzilla_get_history(&self, Parameters(p): Parameters<BugListParams>) -> Result<String> {
        let id = p.bug.check("bug")?;
        let limit = params::limit(p.page.limit)?;
        let offset = params::cursor(p.page.cursor.as_ref())?;
        let since = date("new_since", p.new_since.as_deref())?;
        let (bug_id, history) = self.bugzilla()?.history(&id, since).await?;
        let page: Vec<String> =
            history.iter().skip(offset as usize).take(limit as usize).map(render::history_entry).collect();
        let mut out = vec![format!("History of bug {bug_id}:")];
        if history.is_empty() {
            out.push("No changes since the bug was filed.".to_owned());
        }
        let shown = page.len();
        out.extend(page);
        out.push(slice_footer(offset, shown, history.len()));
        Ok(out.join("\n"))
    }

    /// File a new bug. Needs product, component, summary; many instances also need version,
    /// op_sys and platform (see bugzilla_get_product, bugzilla_get_field_values).
    #[tool(
        name = "bugzilla_create_bug",
        annotations(
            title = "Bugzilla: create bug",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn bugzilla_create_bug(&self, Parameters(p): Parameters<CreateBugParams>) -> Result<String> {
        let mut body = Map::new();
        for (arg, key, value) in [
            ("product", "product", Some(&p.product)),
            ("component", "component", Some(&p.component)),
            ("version", "version", p.version.as_ref()),
            ("op_sys", "op_sys", p.op_sys.as_ref()),
            ("platform", "platform", p.platform.as_ref()),
            ("severity", "severity", p.severity.as_ref()),
            ("priority", "priority", p.priority.as_ref()),
            ("assignee", "assigned_to", p.assignee.as_ref()),
            ("target_milestone", "target_milestone", p.target_milestone.as_ref()),
        ] {
            if let Some(v) = name(arg, value.map(String::as_str))? {
                body.insert(key.to_owned(), json!(v));
            }
        }
        body.insert("summary".into(), json!(params::text("summary", &p.summary, 255)?.trim()));
        if let Some(d) = opt_text("description", p.description.as_deref(), MAX_TEXT)? {
            body.insert("description".into(), json!(d));
        }
        if !p.keywords.is_empty() {
            body.insert("keywords".into(), json!(names("keywords", &p.keywords)?));
        }
        for (key, ids) in [("depends_on", &p.depends_on), ("blocks", &p.blocks)] {
            if !ids.is_empty() {
                body.insert(key.into(), json!(bug_ids(key, ids)?));
            }
        }
        if !p.cc.is_empty() {
            body.insert("cc".into(), json!(names("cc", &p.cc)?));
        }
        let api = self.bugzilla()?;
        let write = Write::new(endpoints::CREATE_BUG, &[], Value::Object(body));
        if p.dry_run {
            return api.describe(&write);
        }
        let id = api.create_bug(&write).await?;
        Ok(format!("Created bug {id}: {} ({})", crate::render::one_line(&p.summary), api.bug_page(id)))
    }

    /// Change a bug, or a list (`ids`) alike: any field; flags by `id`. Status, component,
    /// version, milestone and custom select values are checked first.
    #[tool(
        name = "bugzilla_update_bug",
        annotations(
            title = "Bugzilla: update bug",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn bugzilla_update_bug(&self, Parameters(p): Parameters<UpdateBugParams>) -> Result<String> {
        update::run(self.bugzilla()?, p).await
    }

    /// Open `?` flags asked of this account, by type: flag id, bug, setter.
    #[tool(
        name = "bugzilla_requested_flags",
        annotations(
            title = "Bugzilla: flags requested of me",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bugzilla_requested_flags(&self, Parameters(p): Parameters<RequestedParams>) -> Result<String> {
        relations::requested(self.bugzilla()?, p).await
    }

    /// A bug's dependency tree (depends on or blocks), each bug once.
    #[tool(
        name = "bugzilla_dependency_tree",
        annotations(
            title = "Bugzilla: dependency tree",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bugzilla_dependency_tree(&self, Parameters(p): Parameters<TreeParams>) -> Result<String> {
        relations::tree(self.bugzilla()?, p).await
    }

    /// Add a comment to a bug. `is_private` limits it to the insider group.
    #[tool(
        name = "bugzilla_add_comment",
        annotations(
            title = "Bugzilla: add comment",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn bugzilla_add_comment(&self, Parameters(p): Parameters<AddCommentParams>) -> Result<String> {
        let id = p.bug.check("bug")?;
        let text = params::text("comment", &p.comment, MAX_TEXT)?;
        let api = self.bugzilla()?;
        let write =
            Write::new(endpoints::ADD_COMMENT, &[&id], json!({"comment": text, "is_private": p.is_private}));
        if p.dry_run {
            return api.describe(&write);
        }
        let comment_id = api.add_comment(&write, &format!("bug {id}")).await?;
        Ok(format!("Added {}comment {comment_id} to bug {id}.", if p.is_private { "private " } else { "" }))
    }
}

/// The web page of a bug given by number (an alias has none this server can name).
fn bug_page(api: &BugzillaApi, id: &str) -> Option<String> {
    id.parse::<u64>().ok().map(|n| api.bug_page(n))
}
