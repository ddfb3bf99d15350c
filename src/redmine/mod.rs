//! Redmine tool set, over Redmine's REST API (`X-Redmine-API-Key`).

pub mod api;
mod ops;
pub mod render;

use std::borrow::Cow;
use std::collections::BTreeMap;

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

pub use api::RedmineApi;

use crate::error::Result;
use crate::params::Page;
use crate::server::TrackerServer;

/// A name or a numeric id, as the model gives it: `"Bug"`, `"2"` or `2`.
#[derive(Debug, Clone)]
pub struct NameOrId(pub String);

impl<'de> Deserialize<'de> for NameOrId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) => Ok(Self(s)),
            Value::Number(n) => Ok(Self(n.to_string())),
            _ => Err(serde::de::Error::custom("expected a name or a numeric id")),
        }
    }
}

impl JsonSchema for NameOrId {
    fn schema_name() -> Cow<'static, str> {
        "NameOrId".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": ["string", "integer"]})
    }
}

impl NameOrId {
    #[must_use]
    pub fn as_str(&self) -> &str {
        self.0.trim()
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct PageParams {
    #[serde(flatten)]
    pub page: Page,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ProjectParams {
    /// Project identifier or id.
    pub project: NameOrId,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ProjectPageParams {
    /// Project identifier or id.
    pub project: NameOrId,
    #[serde(flatten)]
    pub page: Page,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SearchIssuesParams {
    /// Project identifier or id.
    pub project: Option<NameOrId>,
    /// `open` (default), `closed`, `*`, or a status.
    pub status: Option<NameOrId>,
    /// Tracker name or id.
    pub tracker: Option<NameOrId>,
    /// `me`, `none`, user id, login or name.
    pub assignee: Option<NameOrId>,
    /// `me`, user id, login or name.
    pub author: Option<NameOrId>,
    /// Priority name or id.
    pub priority: Option<NameOrId>,
    /// Version name (with `project`) or id.
    pub version: Option<NameOrId>,
    /// Parent issue id.
    pub parent: Option<i64>,
    /// Text in the subject.
    pub subject: Option<String>,
    /// Created in `FROM..TO` (YYYY-MM-DD; one side may be empty).
    pub created: Option<String>,
    /// Updated in `FROM..TO`.
    pub updated: Option<String>,
    /// e.g. `updated_on:desc,id` (default `id:desc`).
    pub sort: Option<String>,
    #[serde(flatten)]
    pub page: Page,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GetIssueParams {
    /// Issue id.
    pub id: i64,
    /// Where to resume a cut description or note.
    pub text_offset: Option<i64>,
    /// History entries to skip (25 per call).
    pub journal_offset: Option<i64>,
    /// Show only this history entry, in full.
    pub journal_id: Option<i64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SearchParams {
    /// Words to search for.
    pub query: String,
    /// Project identifier or id.
    pub project: Option<NameOrId>,
    /// Comma-separated: issues, wiki_pages, news, documents, changesets, messages, projects.
    pub types: Option<String>,
    /// Match titles only.
    #[serde(default)]
    pub titles_only: bool,
    /// Open issues only.
    #[serde(default)]
    pub open_issues: bool,
    #[serde(flatten)]
    pub page: Page,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct TimeEntriesParams {
    /// Project identifier or id.
    pub project: Option<NameOrId>,
    /// Issue id.
    pub issue: Option<i64>,
    /// `me`, user id, login or name.
    pub user: Option<NameOrId>,
    /// From YYYY-MM-DD.
    pub from: Option<String>,
    /// To YYYY-MM-DD.
    pub to: Option<String>,
    #[serde(flatten)]
    pub page: Page,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct WikiPageParams {
    /// Project identifier or id.
    pub project: NameOrId,
    /// Page title.
    pub title: String,
    /// Older version number.
    pub version: Option<i64>,
    /// Where to resume a cut text.
    pub text_offset: Option<i64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct AttachmentParams {
    /// Attachment id.
    pub id: i64,
    /// Where to resume a cut text.
    pub text_offset: Option<i64>,
}

/// Issue fields shared by create and update.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct IssueFields {
    /// Tracker name or id.
    pub tracker: Option<NameOrId>,
    /// One line.
    pub subject: Option<String>,
    /// Redmine markup.
    pub description: Option<String>,
    /// Status name or id.
    pub status: Option<NameOrId>,
    /// Priority name or id.
    pub priority: Option<NameOrId>,
    /// `me`, `none`, user id, login or name.
    pub assignee: Option<NameOrId>,
    /// Issue category name or id.
    pub category: Option<NameOrId>,
    /// Version name or id, or `none`.
    pub version: Option<NameOrId>,
    /// Parent issue id, 0 for none.
    pub parent: Option<i64>,
    /// YYYY-MM-DD or `none`.
    pub start_date: Option<String>,
    /// YYYY-MM-DD or `none`.
    pub due_date: Option<String>,
    /// Hours.
    pub estimated_hours: Option<f64>,
    /// 0-100.
    pub done_ratio: Option<i64>,
    /// Private issue.
    pub is_private: Option<bool>,
    /// By field name or id: {"Severity": "High"}.
    pub custom_fields: Option<BTreeMap<String, Value>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CreateIssueParams {
    /// Project identifier or id.
    pub project: NameOrId,
    #[serde(flatten)]
    pub fields: IssueFields,
    /// Only show the request.
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UpdateIssueParams {
    /// Issue id.
    pub id: i64,
    /// Move to this project.
    pub project: Option<NameOrId>,
    #[serde(flatten)]
    pub fields: IssueFields,
    /// Comment to add.
    pub notes: Option<String>,
    /// Make `notes` private.
    #[serde(default)]
    pub private_notes: bool,
    /// Only show the request.
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct AddNoteParams {
    /// Issue id.
    pub id: i64,
    /// Comment (Redmine markup).
    pub notes: String,
    /// Private note.
    #[serde(default)]
    pub private: bool,
    /// Only show the request.
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct LogTimeParams {
    /// Issue id (or `project`).
    pub issue: Option<i64>,
    /// Project identifier or id.
    pub project: Option<NameOrId>,
    /// e.g. 1.5.
    pub hours: f64,
    /// Activity name or id.
    pub activity: Option<NameOrId>,
    /// YYYY-MM-DD (default today).
    pub spent_on: Option<String>,
    /// Short comment.
    pub comments: Option<String>,
    /// Only show the request.
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UpdateWikiParams {
    /// Project identifier or id.
    pub project: NameOrId,
    /// Page title (new: created).
    pub title: String,
    /// Whole new text (Redmine markup).
    pub text: String,
    /// Change comment.
    pub comments: Option<String>,
    /// Version you read (conflict check).
    pub version: Option<i64>,
    /// Parent page title.
    pub parent_title: Option<String>,
    /// Only show the request.
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct AddRelationParams {
    /// Issue id.
    pub id: i64,
    /// Other issue id.
    pub to: i64,
    /// relates, duplicates, duplicated, blocks, blocked, precedes, follows, copied_to, copied_from.
    pub relation_type: String,
    /// Days (precedes/follows).
    pub delay: Option<i64>,
    /// Only show the request.
    #[serde(default)]
    pub dry_run: bool,
}

#[tool_router(router = redmine_router, vis = "pub(crate)")]
impl TrackerServer {
    /// Who this server acts as on Redmine: the user the API key belongs to (name, login, id,
    /// admin or not), or that access is anonymous. Use it when a result looks like missing
    /// permissions.
    #[tool(
        name = "redmine_whoami",
        annotations(
            title = "Redmine: who am I",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn redmine_whoami(&self) -> Result<String> {
        self.redmine()?.whoami().await
    }

    /// Projects visible to this API key: id, identifier, name, parent, public or private.
    #[tool(
        name = "redmine_list_projects",
        annotations(
            title = "Redmine: list projects",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn redmine_list_projects(&self, Parameters(p): Parameters<PageParams>) -> Result<String> {
        ops::list_projects(self.redmine()?, p).await
    }

    /// One project: trackers, issue categories, enabled modules, members with their roles.
    #[tool(
        name = "redmine_get_project",
        annotations(
            title = "Redmine: get project",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn redmine_get_project(&self, Parameters(p): Parameters<ProjectParams>) -> Result<String> {
        ops::get_project(self.redmine()?, p).await
    }

    /// Find issues by filters, one line each, with the total and next cursor. Names are
    /// accepted for status, tracker, priority, users and versions. Only open issues unless
    /// `status` says otherwise.
    #[tool(
        name = "redmine_search_issues",
        annotations(
            title = "Redmine: search issues",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn redmine_search_issues(&self, Parameters(p): Parameters<SearchIssuesParams>) -> Result<String> {
        ops::search_issues(self.redmine()?, p).await
    }

    /// One issue in full: fields, custom fields, description, history (comments and field
    /// changes such as "Status: New -> In Progress"), relations, subtasks, watchers, attachments.
    /// Text written by tracker users comes fenced as data.
    #[tool(
        name = "redmine_get_issue",
        annotations(
            title = "Redmine: get issue",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn redmine_get_issue(&self, Parameters(p): Parameters<GetIssueParams>) -> Result<String> {
        ops::get_issue(self.redmine()?, p).await
    }

    /// Redmine's full-text search across issues, wiki pages, news, documents, changesets and
    /// forum messages; one line per hit with its type and id.
    #[tool(
        name = "redmine_search",
        annotations(
            title = "Redmine: full-text search",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn redmine_search(&self, Parameters(p): Parameters<SearchParams>) -> Result<String> {
        ops::search(self.redmine()?, p).await
    }

    /// Ids and names of issue statuses (open/closed), trackers, priorities, time-entry
    /// activities, and issue custom fields (administrators only; paged).
    #[tool(
        name = "redmine_list_enumerations",
        annotations(
            title = "Redmine: list enumerations",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn redmine_list_enumerations(&self, Parameters(p): Parameters<PageParams>) -> Result<String> {
        ops::list_enumerations(self.redmine()?, p).await
    }

    /// Versions (milestones) of a project, including shared ones: status, due date.
    #[tool(
        name = "redmine_list_versions",
        annotations(
            title = "Redmine: list versions",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn redmine_list_versions(&self, Parameters(p): Parameters<ProjectPageParams>) -> Result<String> {
        ops::list_versions(self.redmine()?, p).await
    }

    /// Time entries, newest first, filtered by project, issue, user and date range.
    #[tool(
        name = "redmine_list_time_entries",
        annotations(
            title = "Redmine: list time entries",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn redmine_list_time_entries(
        &self,
        Parameters(p): Parameters<TimeEntriesParams>,
    ) -> Result<String> {
        ops::list_time_entries(self.redmine()?, p).await
    }

    /// A wiki page's text (latest or an older version), author and attachments.
    /// Text written by tracker users comes fenced as data.
    #[tool(
        name = "redmine_get_wiki_page",
        annotations(
            title = "Redmine: get wiki page",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn redmine_get_wiki_page(&self, Parameters(p): Parameters<WikiPageParams>) -> Result<String> {
        ops::get_wiki_page(self.redmine()?, p).await
    }

    /// Titles of a project's wiki pages with parent, version and update time.
    #[tool(
        name = "redmine_list_wiki_pages",
        annotations(
            title = "Redmine: list wiki pages",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn redmine_list_wiki_pages(&self, Parameters(p): Parameters<ProjectPageParams>) -> Result<String> {
        ops::list_wiki_pages(self.redmine()?, p).await
    }

    /// An attachment's metadata, and its content when it is text (up to 200 KB).
    /// Text written by tracker users comes fenced as data.
    #[tool(
        name = "redmine_get_attachment",
        annotations(
            title = "Redmine: get attachment",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn redmine_get_attachment(&self, Parameters(p): Parameters<AttachmentParams>) -> Result<String> {
        ops::get_attachment(self.redmine()?, p).await
    }

    /// Create an issue. Names are accepted for tracker, status, priority, assignee, category,
    /// version and custom fields.
    #[tool(
        name = "redmine_create_issue",
        annotations(
            title = "Redmine: create issue",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn redmine_create_issue(&self, Parameters(p): Parameters<CreateIssueParams>) -> Result<String> {
        ops::create_issue(self.redmine()?, p).await
    }

    /// Change any fields of an issue (status, assignee, % done, custom fields, ...), optionally
    /// with a comment. Reports fields Redmine did not apply (e.g. a disallowed status change).
    #[tool(
        name = "redmine_update_issue",
        annotations(
            title = "Redmine: update issue",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn redmine_update_issue(&self, Parameters(p): Parameters<UpdateIssueParams>) -> Result<String> {
        ops::update_issue(self.redmine()?, p).await
    }

    /// Add a comment to an issue, optionally a private note.
    #[tool(
        name = "redmine_add_note",
        annotations(
            title = "Redmine: add note",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn redmine_add_note(&self, Parameters(p): Parameters<AddNoteParams>) -> Result<String> {
        ops::add_note(self.redmine()?, p).await
    }

    /// Log time spent on an issue or a project.
    #[tool(
        name = "redmine_log_time",
        annotations(
            title = "Redmine: log time",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn redmine_log_time(&self, Parameters(p): Parameters<LogTimeParams>) -> Result<String> {
        ops::log_time(self.redmine()?, p).await
    }

    /// Create a wiki page or replace its text (a new version; older versions are kept).
    #[tool(
        name = "redmine_update_wiki_page",
        annotations(
            title = "Redmine: update wiki page",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn redmine_update_wiki_page(&self, Parameters(p): Parameters<UpdateWikiParams>) -> Result<String> {
        ops::update_wiki_page(self.redmine()?, p).await
    }

    /// Relate two issues (relates, duplicates, blocks, precedes, copied_to and their reverses).
    #[tool(
        name = "redmine_add_relation",
        annotations(
            title = "Redmine: add relation",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn redmine_add_relation(&self, Parameters(p): Parameters<AddRelationParams>) -> Result<String> {
        ops::add_relation(self.redmine()?, p).await
    }
}
