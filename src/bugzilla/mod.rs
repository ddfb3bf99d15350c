//! Bugzilla tool set, over Bugzilla's REST API (`/rest/...`), for 5.0, 5.2 and 5.3.3+.

pub mod api;
mod base64;
pub mod models;
pub mod render;

use std::borrow::Cow;
use std::fmt::Write as _;

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value, json};

pub use api::BugzillaApi;
use api::Write;

use crate::error::{Error, Result};
use crate::params::{self, Page};
use crate::render::{footer_with, offset_footer, slice_footer, untrusted};
use crate::server::TrackerServer;

/// Longest comment or description accepted, in bytes.
const MAX_TEXT: usize = 65_535;
/// Longest attachment text accepted, in bytes (before base64).
const MAX_ATTACHMENT: usize = 1_000_000;
/// Characters of attachment text shown per call.
const ATTACHMENT_PAGE: usize = 20_000;
/// Deepest cursor of `bugzilla_search_users` (Bugzilla's user match has no offset, so every
/// page asks for the pages before it too).
const USER_PAGES_MAX: u64 = 5_000;
/// Most bugs per `bugzilla_get_bug` call.
const MAX_IDS: usize = 20;

// -------------------------------------------------------------------------------------------------
// Argument types

/// A bug id (number) or alias (text); both JSON numbers and strings are accepted.
#[derive(Debug, Clone)]
pub struct BugRef(String);

impl<'de> Deserialize<'de> for BugRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::Number(n) => Ok(Self(n.to_string())),
            Value::String(s) => Ok(Self(s.trim().to_owned())),
            _ => Err(serde::de::Error::custom("a bug id (number) or alias (text)")),
        }
    }
}

impl JsonSchema for BugRef {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "BugRef".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": ["integer", "string"]})
    }
}

/// A list, or a single id/alias, or "1,5" (models send all three).
fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Vec<BugRef>, D::Error> {
    let items = match Value::deserialize(d)? {
        Value::Array(items) => items,
        Value::String(s) => s.split(',').map(|p| Value::String(p.trim().to_owned())).collect(),
        other => vec![other],
    };
    items.into_iter().map(|v| BugRef::deserialize(v).map_err(serde::de::Error::custom)).collect()
}

/// The schema says what [`one_or_many`] accepts, so the argument check lets all three through.
fn one_or_many_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({"type": ["array", "integer", "string"], "items": {"type": ["integer", "string"]}})
}

impl BugRef {
    /// The validated id or alias, ready to be one path segment.
    fn check(&self, arg: &str) -> Result<String> {
        let v = self.0.as_str();
        // Anything number-like is an id (Bugzilla refuses numeric aliases): "-1" and "+7" too.
        let digits = v.strip_prefix(['-', '+']).unwrap_or(v);
        if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
            let id = v.parse::<i64>().map_err(|_| Error::invalid(arg, "is not a valid bug id"))?;
            return Ok(params::positive_id(arg, id)?.to_string());
        }
        let alias = params::segment(arg, v, 40, false)?;
        if alias.contains([',', ' ']) {
            return Err(Error::invalid(arg, "a bug id is a number; an alias has no spaces or commas"));
        }
        Ok(alias.to_owned())
    }
}

fn opt_text<'a>(arg: &str, value: Option<&'a str>, max: usize) -> Result<Option<&'a str>> {
    value.map(|v| params::text(arg, v, max)).transpose()
}

/// A name (product, component, login, status...) sent as a value, not a path.
fn name<'a>(arg: &str, value: Option<&'a str>) -> Result<Option<&'a str>> {
    match value {
        None => Ok(None),
        Some(v) => {
            let v = params::text(arg, v, 255)?.trim();
            if v.chars().any(|c| c.is_control() || crate::error::is_invisible(c)) {
                return Err(Error::invalid(arg, "must not contain control characters"));
            }
            Ok(Some(v))
        }
    }
}

fn names<'a>(arg: &str, values: &'a [String]) -> Result<Vec<&'a str>> {
    if values.len() > 100 {
        return Err(Error::invalid(arg, "at most 100 values"));
    }
    values.iter().map(|v| name(arg, Some(v)).map(|n| n.unwrap_or_default())).collect()
}

fn bug_ids(arg: &str, values: &[i64]) -> Result<Vec<u64>> {
    if values.len() > 100 {
        return Err(Error::invalid(arg, "at most 100 bug ids"));
    }
    values.iter().map(|v| params::positive_id(arg, *v)).collect()
}

/// `2025-01-07` or `2025-01-07T10:00:00Z`.
fn date<'a>(arg: &str, value: Option<&'a str>) -> Result<Option<&'a str>> {
    let Some(v) = value.map(str::trim) else { return Ok(None) };
    let ok = v.len() >= 10
        && v.len() <= 25
        && v.as_bytes()[4] == b'-'
        && v.as_bytes()[7] == b'-'
        && v.chars().all(|c| c.is_ascii_digit() || matches!(c, '-' | ':' | 'T' | 'Z' | '+' | '.'));
    if ok {
        Ok(Some(v))
    } else {
        Err(Error::invalid(arg, "must be a date like 2025-01-07 or 2025-01-07T10:00:00Z"))
    }
}

/// Comma-separated values: "High,Highest".
fn split_list(value: Option<&str>) -> Vec<String> {
    value
        .map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default()
}

// -------------------------------------------------------------------------------------------------
// Parameters

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GetBugParams {
    /// 1-20 bug ids or aliases, e.g. [1, "release-1.0"].
    #[serde(deserialize_with = "one_or_many")]
    #[schemars(schema_with = "one_or_many_schema")]
    pub ids: Vec<BugRef>,
    /// Also return comments (first 20).
    #[serde(default)]
    pub include_comments: bool,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct SearchParams {
    /// Product name.
    pub product: Option<String>,
    /// Component name.
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
    /// Bugzilla quicksearch query (open bugs only unless it starts with ALL).
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
pub struct BugPageParams {
    /// Bug id or alias.
    pub bug: BugRef,
    #[serde(flatten)]
    pub page: Page,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GetAttachmentParams {
    /// Attachment id.
    pub id: i64,
    /// Character offset, to read past a cut.
    pub offset: Option<i64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct PageParams {
    #[serde(flatten)]
    pub page: Page,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GetProductParams {
    /// Product name or id.
    pub product: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct FieldValuesParams {
    /// One field only, e.g. "op_sys" or "cf_branch".
    pub field: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SearchUsersParams {
    /// Part of a login or real name.
    pub query: String,
    #[serde(flatten)]
    pub page: Page,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CreateBugParams {
    /// Product name.
    pub product: String,
    /// Component name.
    pub component: String,
    /// One-line summary.
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
    /// Show the request without sending it.
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct FlagParam {
    /// Flag type name, e.g. "review".
    pub name: String,
    /// "+", "-", "?" (request) or "X" (clear).
    pub status: String,
    /// Login asked, with "?".
    pub requestee: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UpdateBugParams {
    /// Bug id or alias.
    pub bug: BugRef,
    /// New status, e.g. "RESOLVED".
    pub status: Option<String>,
    /// Resolution when closing, e.g. "FIXED".
    pub resolution: Option<String>,
    /// Comment added with the change.
    pub comment: Option<String>,
    /// Make that comment private.
    #[serde(default)]
    pub comment_private: bool,
    /// New assignee login.
    pub assignee: Option<String>,
    /// New priority.
    pub priority: Option<String>,
    /// New severity.
    pub severity: Option<String>,
    /// CC logins to add; prefix "-" to remove.
    #[serde(default)]
    pub cc: Vec<String>,
    /// Keywords to add; prefix "-" to remove.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// New whiteboard ("" clears).
    pub whiteboard: Option<String>,
    /// Bug ids to add to blocks; negative to remove.
    #[serde(default)]
    pub blocks: Vec<i64>,
    /// Bug ids to add to depends on; negative to remove.
    #[serde(default)]
    pub depends_on: Vec<i64>,
    /// Duplicate of this bug id (resolves it).
    pub dupe_of: Option<i64>,
    /// Flags to set.
    #[serde(default)]
    pub flags: Vec<FlagParam>,
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

#[derive(Debug, Deserialize, JsonSchema)]
pub struct AddAttachmentParams {
    /// Bug id or alias.
    pub bug: BugRef,
    /// File name, e.g. "fix.patch".
    pub file_name: String,
    /// One-line description.
    pub summary: String,
    /// Text content (patch, log).
    pub content: String,
    /// MIME type, default text/plain.
    pub content_type: Option<String>,
    /// It is a patch.
    #[serde(default)]
    pub is_patch: bool,
    /// Comment added with it.
    pub comment: Option<String>,
    /// Insiders only.
    #[serde(default)]
    pub is_private: bool,
    /// Show the request without sending it.
    #[serde(default)]
    pub dry_run: bool,
}

// -------------------------------------------------------------------------------------------------
// Tools

#[tool_router(router = bugzilla_router, vis = "pub(crate)")]
impl TrackerServer {
    /// Who this server acts as on Bugzilla, the version, and how the API key is sent. Use it
    /// when a bug seems missing or a write is refused.
    #[tool(
        name = "bugzilla_whoami",
        annotations(
            title = "Bugzilla: who am I",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bugzilla_whoami(&self) -> Result<String> {
        self.bugzilla()?.whoami().await
    }

    /// One or more bugs by id or alias: summary, status, product/component, people, keywords,
    /// dependencies, flags, dates; optionally the comments.
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
            if p.include_comments {
                let comments = api.comments(id, None).await?;
                text.push_str("\n\n");
                text.push_str(&comments_page(api, id, &comments, 0, 20, true));
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
        if bugs.is_empty() {
            out.push("No bug matches (or none is visible to this account).".to_owned());
        }
        out.push(offset_footer(offset, bugs.len(), None, has_more));
        Ok(out.join("\n"))
    }

    /// A bug's comments, oldest first (#0 is the description), with author, time, privacy.
    /// `new_since` returns only newer ones.
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
        Ok(comments_page(api, &id, &comments, offset, limit, false))
    }

    /// A bug's change history, oldest first: who changed what, e.g.
    /// "status: CONFIRMED -> RESOLVED; cc: +jdoe@example.com".
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

    /// Attachments of a bug, metadata only (id, file name, summary, type, size, patch,
    /// obsolete, private, creator). Read one with bugzilla_get_attachment.
    #[tool(
        name = "bugzilla_list_attachments",
        annotations(
            title = "Bugzilla: list attachments",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bugzilla_list_attachments(&self, Parameters(p): Parameters<BugPageParams>) -> Result<String> {
        let id = p.bug.check("bug")?;
        let limit = params::limit(p.page.limit)?;
        let offset = params::cursor(p.page.cursor.as_ref())?;
        let attachments = self.bugzilla()?.attachments(&id).await?;
        let mut out: Vec<String> = attachments
            .iter()
            .skip(offset as usize)
            .take(limit as usize)
            .map(render::attachment_line)
            .collect();
        let shown = out.len();
        if attachments.is_empty() {
            out.push(format!("Bug {id} has no attachments visible to this account."));
        }
        out.push(slice_footer(offset, shown, attachments.len()));
        Ok(out.join("\n"))
    }

    /// One attachment: text (patches, logs) as text, 20,000 characters per call (`offset` reads
    /// on); binary files as metadata only.
    /// Text written by tracker users comes fenced as data.
    #[tool(
        name = "bugzilla_get_attachment",
        annotations(
            title = "Bugzilla: get attachment",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bugzilla_get_attachment(
        &self,
        Parameters(p): Parameters<GetAttachmentParams>,
    ) -> Result<String> {
        let id = params::positive_id("id", p.id)?;
        let offset = params::offset("offset", p.offset)? as usize;
        let attachment = self.bugzilla()?.attachment(id).await?;
        let mut out =
            format!("Attachment on bug {}: {}", attachment.bug_id, render::attachment_line(&attachment));
        let bytes = attachment.data.as_deref().map(base64::decode).transpose()?.unwrap_or_default();
        let ct = attachment.content_type.to_ascii_lowercase();
        let texty = attachment.is_patch
            || ct.starts_with("text/")
            || ["json", "xml", "javascript", "x-patch", "x-diff", "x-sh", "yaml", "x-log"]
                .iter()
                .any(|t| ct.contains(t));
        match (texty, String::from_utf8(bytes)) {
            (true, Ok(text)) => {
                let total = text.chars().count();
                if offset > total {
                    return Err(Error::invalid("offset", format!("the text has only {total} characters")));
                }
                let part: String = text.chars().skip(offset).take(ATTACHMENT_PAGE).collect();
                let end = offset + part.chars().count();
                let label = format!("attachment {id} characters {}-{end} of {total}", offset + 1);
                let _ = write!(out, "\n{}", untrusted(&label, &part));
                if end < total {
                    let _ = write!(
                        out,
                        "\n[… cut: {} more characters; call again with offset={end}]",
                        total - end
                    );
                }
            }
            _ => {
                let _ = write!(out, "\nBinary content ({}), not shown.", attachment.content_type);
            }
        }
        Ok(out)
    }

    /// Products this account can see, with descriptions. Use the name with bugzilla_get_product
    /// or as a search filter.
    #[tool(
        name = "bugzilla_list_products",
        annotations(
            title = "Bugzilla: list products",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bugzilla_list_products(&self, Parameters(p): Parameters<PageParams>) -> Result<String> {
        let limit = params::limit(p.page.limit)?;
        let offset = params::cursor(p.page.cursor.as_ref())?;
        let products = self.bugzilla()?.products().await?;
        let mut out: Vec<String> =
            products.iter().skip(offset as usize).take(limit as usize).map(render::product_line).collect();
        let shown = out.len();
        if products.is_empty() {
            out.push("No product is visible to this account.".to_owned());
        }
        out.push(slice_footer(offset, shown, products.len()));
        Ok(out.join("\n"))
    }

    /// One product: components with default assignees, versions and milestones (what
    /// bugzilla_create_bug needs).
    #[tool(
        name = "bugzilla_get_product",
        annotations(
            title = "Bugzilla: get product",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bugzilla_get_product(&self, Parameters(p): Parameters<GetProductParams>) -> Result<String> {
        let product = name("product", Some(&p.product))?.unwrap_or_default();
        Ok(render::product(&self.bugzilla()?.product(product).await?))
    }

    /// Legal field values: statuses with allowed transitions, resolutions, priorities,
    /// severities, platforms, OS, keywords, custom fields; or one field's values.
    #[tool(
        name = "bugzilla_get_field_values",
        annotations(
            title = "Bugzilla: field values",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bugzilla_get_field_values(
        &self,
        Parameters(p): Parameters<FieldValuesParams>,
    ) -> Result<String> {
        let field = match p.field.as_deref() {
            None => None,
            Some(f) => Some(internal_field(params::segment("field", f.trim(), 64, false)?)),
        };
        let fields = self.bugzilla()?.fields(field).await?;
        if fields.is_empty() {
            return Err(Error::NotFound("no such field, or it is not visible to this account".into()));
        }
        Ok(render::fields(&fields, field))
    }

    /// Find users by part of their login or real name (needs a logged-in account).
    #[tool(
        name = "bugzilla_search_users",
        annotations(
            title = "Bugzilla: search users",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bugzilla_search_users(&self, Parameters(p): Parameters<SearchUsersParams>) -> Result<String> {
        let query = name("query", Some(&p.query))?.unwrap_or_default();
        let limit = params::limit(p.page.limit)?;
        let offset = params::cursor(p.page.cursor.as_ref())?;
        if offset > USER_PAGES_MAX {
            return Err(Error::invalid(
                "cursor",
                format!(
                    "user search pages through the first {USER_PAGES_MAX} matches; give a narrower query"
                ),
            ));
        }
        // Bugzilla's user match has a limit but no offset: ask for the pages before this one too.
        let wanted = u32::try_from(offset + u64::from(limit) + 1).unwrap_or(u32::MAX);
        let users = self.bugzilla()?.users(query, wanted).await?;
        let has_more = users.len() as u64 > offset + u64::from(limit);
        let mut out: Vec<String> =
            users.iter().skip(offset as usize).take(limit as usize).map(render::user_line).collect();
        let shown = out.len();
        if users.is_empty() {
            out.push(format!("No user matches '{}'.", crate::render::one_line(query)));
        }
        out.push(offset_footer(offset, shown, None, has_more));
        Ok(out.join("\n"))
    }

    /// File a new bug. Needs product, component, summary; many instances also need version,
    /// op_sys and platform (see bugzilla_get_product, bugzilla_get_field_values). Set CC,
    /// blocks, milestone, whiteboard with bugzilla_update_bug.
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
        if !p.depends_on.is_empty() {
            body.insert("depends_on".into(), json!(bug_ids("depends_on", &p.depends_on)?));
        }
        let api = self.bugzilla()?;
        let write = Write::post(&["bug"], Value::Object(body));
        if p.dry_run {
            return api.describe(&write);
        }
        let id = api.create_bug(&write).await?;
        Ok(format!("Created bug {id}: {} ({})", crate::render::one_line(&p.summary), api.bug_page(id)))
    }

    /// Change a bug: status/resolution (checked against the workflow), comment, assignee,
    /// priority, severity, CC, keywords, whiteboard, blocks/depends on, duplicate, flags.
    #[tool(
        name = "bugzilla_update_bug",
        annotations(
            title = "Bugzilla: update bug",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn bugzilla_update_bug(&self, Parameters(p): Parameters<UpdateBugParams>) -> Result<String> {
        let id = p.bug.check("bug")?;
        let api = self.bugzilla()?;
        let mut body = Map::new();
        for (arg, key, value) in [
            ("status", "status", &p.status),
            ("resolution", "resolution", &p.resolution),
            ("assignee", "assigned_to", &p.assignee),
            ("priority", "priority", &p.priority),
            ("severity", "severity", &p.severity),
        ] {
            if let Some(v) = name(arg, value.as_deref())? {
                body.insert(key.to_owned(), json!(v));
            }
        }
        let comment = opt_text("comment", p.comment.as_deref(), MAX_TEXT)?;
        if let Some(text) = comment {
            body.insert("comment".into(), json!({"body": text, "is_private": p.comment_private}));
        }
        if let Some(w) = &p.whiteboard {
            if w.len() > 255 || w.contains('\0') {
                return Err(Error::invalid("whiteboard", "at most 255 bytes, no NUL"));
            }
            body.insert("whiteboard".into(), json!(w));
        }
        for (key, values) in [("cc", &p.cc), ("keywords", &p.keywords)] {
            if !values.is_empty() {
                let (remove, add): (Vec<&String>, Vec<&String>) =
                    values.iter().partition(|v| v.starts_with('-'));
                let add: Vec<String> = add.into_iter().cloned().collect();
                let remove: Vec<String> = remove.iter().map(|v| v[1..].to_owned()).collect();
                body.insert(
                    key.to_owned(),
                    json!({"add": names(key, &add)?, "remove": names(key, &remove)?}),
                );
            }
        }
        for (key, values) in [("blocks", &p.blocks), ("depends_on", &p.depends_on)] {
            if !values.is_empty() {
                let (remove, add): (Vec<i64>, Vec<i64>) = values.iter().partition(|v| **v < 0);
                let remove: Vec<i64> = remove.iter().map(|v| v.saturating_neg()).collect();
                body.insert(
                    key.to_owned(),
                    json!({"add": bug_ids(key, &add)?, "remove": bug_ids(key, &remove)?}),
                );
            }
        }
        if let Some(d) = p.dupe_of {
            body.insert("dupe_of".into(), json!(params::positive_id("dupe_of", d)?));
        }
        if !p.flags.is_empty() {
            let mut flags = Vec::new();
            for f in &p.flags {
                let flag_name = name("flags", Some(&f.name))?.unwrap_or_default();
                if !["+", "-", "?", "X"].contains(&f.status.as_str()) {
                    return Err(Error::invalid("flags", "status must be \"+\", \"-\", \"?\" or \"X\""));
                }
                let mut flag = json!({"name": flag_name, "status": f.status});
                if let Some(r) = name("flags", f.requestee.as_deref())? {
                    flag["requestee"] = json!(r);
                }
                flags.push(flag);
            }
            body.insert("flags".into(), json!(flags));
        }
        if body.is_empty() {
            return Err(Error::invalid("arguments", "nothing to change: give at least one field"));
        }
        if let Some(to) = p.status.as_deref().map(str::trim) {
            check_transition(api, &id, to, comment.is_some(), p.resolution.is_some() || p.dupe_of.is_some())
                .await?;
        }
        let write = Write::put(&["bug", &id], Value::Object(body));
        if p.dry_run {
            return api.describe(&write);
        }
        let answer = api.update_bug(&write, &format!("bug {id}")).await?;
        let Some(updated) = answer.bugs.into_iter().next() else {
            return Err(Error::NotFound(format!("bug {id} was not found or is not visible to this account")));
        };
        let changes: Vec<String> =
            updated.changes.iter().map(|(field, c)| render::change(field, &c.removed, &c.added)).collect();
        let mut out = format!("Updated bug {}", updated.id);
        if changes.is_empty() {
            out.push_str(": no field changed");
        } else {
            let _ = write!(out, ": {}", crate::render::one_line(&changes.join("; ")));
        }
        if comment.is_some() {
            out.push_str(if p.comment_private { " (private comment added)" } else { " (comment added)" });
        }
        Ok(out)
    }

    /// Add a comment to a bug; `is_private` limits it to the insider group.
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
            Write::post(&["bug", &id, "comment"], json!({"comment": text, "is_private": p.is_private}));
        if p.dry_run {
            return api.describe(&write);
        }
        let comment_id = api.add_comment(&write, &format!("bug {id}")).await?;
        Ok(format!("Added {}comment {comment_id} to bug {id}.", if p.is_private { "private " } else { "" }))
    }

    /// Attach text (a patch, a log) to a bug, optionally with a comment.
    #[tool(
        name = "bugzilla_add_attachment",
        annotations(
            title = "Bugzilla: add attachment",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn bugzilla_add_attachment(
        &self,
        Parameters(p): Parameters<AddAttachmentParams>,
    ) -> Result<String> {
        let id = p.bug.check("bug")?;
        let file_name = params::text("file_name", &p.file_name, 255)?.trim();
        if file_name.contains(['/', '\\']) || file_name.chars().any(char::is_control) {
            return Err(Error::invalid("file_name", "a plain file name, without / or \\"));
        }
        let summary = params::text("summary", &p.summary, 255)?.trim();
        let content = params::text("content", &p.content, MAX_ATTACHMENT)?;
        let content_type = name("content_type", p.content_type.as_deref())?.unwrap_or("text/plain");
        if !content_type.contains('/') || content_type.contains(char::is_whitespace) {
            return Err(Error::invalid("content_type", "a MIME type such as text/plain"));
        }
        let mut body = json!({
            "ids": [id],
            "file_name": file_name,
            "summary": summary,
            "content_type": if p.is_patch { "text/plain" } else { content_type },
            "is_patch": p.is_patch,
            "is_private": p.is_private,
        });
        if let Some(c) = opt_text("comment", p.comment.as_deref(), MAX_TEXT)? {
            body["comment"] = json!(c);
        }
        let api = self.bugzilla()?;
        if p.dry_run {
            let mut shown = Write::post(&["bug", &id, "attachment"], body.clone());
            shown.body["data"] = json!(format!("<base64 of the {} bytes of content>", content.len()));
            return api.describe(&shown);
        }
        body["data"] = json!(base64::encode(content.as_bytes()));
        let write = Write::post(&["bug", &id, "attachment"], body);
        let ids = api.add_attachment(&write, &format!("bug {id}")).await?;
        let ids: Vec<String> = ids.iter().map(u64::to_string).collect();
        Ok(format!("Added attachment {} ({file_name}) to bug {id}.", ids.join(", ")))
    }
}

// -------------------------------------------------------------------------------------------------
// Helpers

/// Footer of a list Bugzilla returns whole and this server pages.
fn comments_page(
    api: &BugzillaApi,
    id: &str,
    comments: &[models::Comment],
    offset: u64,
    limit: u32,
    in_bug: bool,
) -> String {
    let numeric = id.parse::<u64>().ok();
    let read_more = numeric
        .map_or_else(|| "see the bug's web page".to_owned(), |n| format!("full text at {}", api.bug_page(n)));
    let mut out: Vec<String> = comments
        .iter()
        .skip(offset as usize)
        .take(limit as usize)
        .map(|c| render::comment(c, &read_more))
        .collect();
    let shown = out.len();
    if comments.is_empty() {
        out.push(format!(
            "No comments on bug {id} visible to this account (private ones are left out for non-insiders)."
        ));
    }
    // Comment numbers are consecutive, so a gap is a comment this account cannot see.
    let hidden: Vec<String> =
        comments.windows(2).flat_map(|w| (w[0].count + 1..w[1].count).map(|n| format!("#{n}"))).collect();
    if !hidden.is_empty() && since_start(comments) {
        out.push(format!(
            "Comments {} are not visible to this account (private: insiders only).",
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

fn since_start(comments: &[models::Comment]) -> bool {
    comments.first().is_some_and(|c| c.count == 0)
}

/// Check a status change against the workflow before sending it.
async fn check_transition(
    api: &BugzillaApi,
    id: &str,
    to: &str,
    has_comment: bool,
    has_resolution: bool,
) -> Result<()> {
    let current = api.bug(id).await?;
    if current.status == to {
        return Ok(());
    }
    let statuses = api.statuses().await?;
    let Some(target) = statuses.values.iter().find(|v| v.name.as_deref() == Some(to)) else {
        let known: Vec<String> = statuses.values.iter().filter_map(|v| v.name.clone()).collect();
        return Err(Error::invalid("status", format!("no status '{to}'; statuses: {}", known.join(", "))));
    };
    let allowed = api.allowed_from(&current.status).await?;
    let Some((_, comment_required)) = allowed.iter().find(|(name, _)| name == to) else {
        return Err(api::transition_error(&current.status, to, &allowed));
    };
    if *comment_required && !has_comment {
        return Err(Error::invalid(
            "comment",
            format!("{} -> {to} requires a comment on this instance", current.status),
        ));
    }
    if target.is_open == Some(false) && !has_resolution && current.is_open_status(statuses) {
        let resolutions = api.fields(Some("resolution")).await.unwrap_or_default();
        let names: Vec<String> = resolutions
            .iter()
            .flat_map(|f| f.values.iter().filter_map(|v| v.name.clone()))
            .filter(|n| !n.is_empty())
            .collect();
        return Err(Error::invalid(
            "resolution",
            format!("closing a bug ({to}) needs a resolution: {}", names.join(", ")),
        ));
    }
    Ok(())
}

impl models::Bug {
    fn is_open_status(&self, statuses: &models::Field) -> bool {
        statuses
            .values
            .iter()
            .find(|v| v.name.as_deref() == Some(&self.status))
            .and_then(|v| v.is_open)
            .unwrap_or(true)
    }
}

/// The internal name `/rest/field/bug/<name>` wants.
fn internal_field(field: &str) -> &str {
    match field {
        "status" => "bug_status",
        "severity" => "bug_severity",
        "platform" | "hardware" => "rep_platform",
        "os" => "op_sys",
        "summary" => "short_desc",
        "whiteboard" => "status_whiteboard",
        "url" => "bug_file_loc",
        other => other,
    }
}
