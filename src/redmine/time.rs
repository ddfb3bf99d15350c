//! Redmine time entries: list and log (`redmine:time`).

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::client::{Enum, Subject, TRACKER, str_of};
use super::endpoints as E;
use super::issue_fields::project_id;
use super::params::*;
use super::render::{self};
use crate::error::{Error, Result};
use crate::params::{self, Page};
use crate::server::TrackerServer;

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

#[tool_router(router = redmine_time_tools, vis = "pub(crate)")]
impl TrackerServer {
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
        let api = self.redmine()?;
        let limit = params::limit(p.page.limit)?;
        let offset = params::cursor(p.page.cursor.as_ref())?;
        let project = opt_project(p.project.as_ref())?;
        let mut request = E::TIME_ENTRIES.request(&[]).query("limit", limit).query("offset", offset);
        if let Some(project) = &project {
            request = request.query("project_id", project);
        }
        if let Some(issue) = p.issue {
            request = request.query("issue_id", id_str("issue", issue)?);
        }
        if let Some(user) = &p.user {
            request =
                request.query("user_id", api.resolve_user("user", user.as_str(), project.as_deref()).await?);
        }
        let from = p.from.as_deref().map(|d| date_arg("from", d)).transpose()?;
        let to = p.to.as_deref().map(|d| date_arg("to", d)).transpose()?;
        request = request.query_opt("from", from).query_opt("to", to);
        let subject = match (&project, p.issue) {
            (_, Some(i)) => format!("issue {i}"),
            (Some(project), None) => format!("project `{project}`"),
            (None, None) => "the time entries".to_owned(),
        };
        let value = api.get(request, &subject).await?;
        api.remember_users(&value);
        Ok(render::time_entries(&value, offset, limit))
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
        let api = self.redmine()?;
        if !(p.hours > 0.0 && p.hours <= 1000.0) {
            return Err(Error::invalid("hours", "must be more than 0 and at most 1000, e.g. 1.5"));
        }
        let mut entry = Map::new();
        let target = match (p.issue, p.project.as_ref()) {
            (Some(issue), _) => {
                let id = params::positive_id("issue", issue)?;
                entry.insert("issue_id".into(), json!(id));
                format!("issue {id}")
            }
            (None, Some(project)) => {
                let project = project_arg(project)?;
                entry.insert("project_id".into(), json!(project_id(api, &project).await?));
                format!("project `{project}`")
            }
            (None, None) => return Err(Error::invalid("issue", "give `issue` or `project`")),
        };
        entry.insert("hours".into(), json!(p.hours));
        if let Some(a) = &p.activity {
            entry.insert(
                "activity_id".into(),
                json!(api.resolve(Enum::Activity, "activity", a.as_str()).await?),
            );
        }
        if let Some(d) = &p.spent_on {
            entry.insert("spent_on".into(), json!(date_arg("spent_on", d)?));
        }
        if let Some(c) = &p.comments {
            entry.insert("comments".into(), json!(short_comment(c)?));
        }
        let body = json!({ "time_entry": entry });
        let request = E::LOG_TIME.request(&[]).json(body.clone());
        if p.dry_run {
            return dry_run(api, &request, &body);
        }
        let created: Value =
            api.send(request, Subject::write("log time on", &target)).await?.json(TRACKER)?;
        let t = &created["time_entry"];
        Ok(format!(
            "Logged time entry {}: {}h {} on {} by {} — {}{}",
            t["id"],
            t["hours"],
            render::name(t, "activity"),
            str_of(t, "spent_on"),
            render::name(t, "user"),
            render::name(t, "project"),
            t.get("issue").map(|i| format!(" #{}", i["id"])).unwrap_or_default()
        ))
    }
}
