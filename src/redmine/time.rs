//! Redmine time entries: list and log (`redmine:time`).

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, json};

use super::client::{Enum, RedmineApi, Subject, decode, find_named};
use super::endpoints as E;
use super::issue_fields::project_id;
use super::issues::fetch_issue;
use super::models::{ProjectAnswer, TimeEntry, TimeEntryAnswer, TimeEntryList};
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

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UpdateTimeEntryParams {
    /// Time entry id.
    pub id: i64,
    /// Move to this issue.
    pub issue: Option<i64>,
    /// e.g. 1.5.
    pub hours: Option<f64>,
    /// Activity name or id.
    pub activity: Option<NameOrId>,
    /// YYYY-MM-DD.
    pub spent_on: Option<String>,
    /// Short comment.
    pub comments: Option<String>,
    /// Only show the request.
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct DeleteTimeEntryParams {
    /// Time entry id.
    pub id: i64,
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
        let list: TimeEntryList = api.get(request, &subject).await?;
        api.remember_users(list.time_entries.iter().map(|t| &t.user));
        Ok(render::time_entries(&list, offset, limit))
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
        hours_arg(p.hours)?;
        let mut entry = Map::new();
        let (target, on) = match (p.issue, p.project.as_ref()) {
            (Some(issue), _) => {
                let id = params::positive_id("issue", issue)?;
                entry.insert("issue_id".into(), json!(id));
                (format!("issue {id}"), On::Issue(id))
            }
            (None, Some(project)) => {
                let project = project_arg(project)?;
                let pid = project_id(api, &project).await?;
                entry.insert("project_id".into(), json!(pid));
                (format!("project `{project}`"), On::Project(pid))
            }
            (None, None) => return Err(Error::invalid("issue", "give `issue` or `project`")),
        };
        entry.insert("hours".into(), json!(p.hours));
        if let Some(a) = &p.activity {
            let project = match on {
                On::Project(pid) => pid,
                On::Issue(issue) => fetch_issue(api, &issue.to_string(), "").await?.project.id,
            };
            entry.insert("activity_id".into(), json!(resolve_activity(api, project, a).await?));
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
        let response = api.send(request, Subject::write("log time on", &target)).await?;
        let t = decode::<TimeEntryAnswer>(&response, "the logged time entry")?.time_entry;
        Ok(format!("Logged time entry {}: {}", t.id, entry_line(&t)))
    }

    /// Fix a time entry: hours, activity, date, comment or issue.
    #[tool(
        name = "redmine_update_time_entry",
        annotations(
            title = "Redmine: update time entry",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn redmine_update_time_entry(
        &self,
        Parameters(p): Parameters<UpdateTimeEntryParams>,
    ) -> Result<String> {
        let api = self.redmine()?;
        let id = id_str("id", p.id)?;
        if let Some(h) = p.hours {
            hours_arg(h)?;
        }
        let issue = p.issue.map(|i| params::positive_id("issue", i)).transpose()?;
        let spent_on = p.spent_on.as_deref().map(|d| date_arg("spent_on", d)).transpose()?;
        let comments = p.comments.as_deref().map(short_comment).transpose()?;
        let subject = format!("time entry {id}");
        let before = fetch_entry(api, &id).await?;
        let mut entry = Map::new();
        if let Some(issue) = issue {
            entry.insert("issue_id".into(), json!(issue));
        }
        if let Some(h) = p.hours {
            entry.insert("hours".into(), json!(h));
        }
        if let Some(a) = &p.activity {
            // The activities of the project the entry will be in.
            let project = match issue {
                Some(i) => fetch_issue(api, &i.to_string(), "").await?.project.id,
                None => before.project.id,
            };
            entry.insert("activity_id".into(), json!(resolve_activity(api, project, a).await?));
        }
        if let Some(d) = spent_on {
            entry.insert("spent_on".into(), json!(d));
        }
        if let Some(c) = comments {
            entry.insert("comments".into(), json!(c));
        }
        if entry.is_empty() {
            return Err(Error::invalid(
                "hours",
                "nothing to change: give hours, activity, spent_on, comments or issue",
            ));
        }
        let body = json!({ "time_entry": entry });
        let request = E::UPDATE_TIME_ENTRY.request(&[&id]).json(body.clone());
        if p.dry_run {
            return dry_run(api, &request, &body);
        }
        api.send(request, Subject::write("change", &subject)).await?;
        let after = fetch_entry(api, &id).await?;
        Ok(format!("Updated time entry {id}: {} (was {})", entry_line(&after), entry_line(&before)))
    }

    /// Delete a time entry.
    #[tool(
        name = "redmine_delete_time_entry",
        annotations(
            title = "Redmine: delete time entry",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn redmine_delete_time_entry(
        &self,
        Parameters(p): Parameters<DeleteTimeEntryParams>,
    ) -> Result<String> {
        let api = self.redmine()?;
        let id = id_str("id", p.id)?;
        // Read first: a clear "does not exist", and the result says what was removed.
        let before = fetch_entry(api, &id).await?;
        let request = E::DELETE_TIME_ENTRY.request(&[&id]);
        if p.dry_run {
            return Ok(format!("{}\nTime entry {id}: {}", dry_run_bare(api, &request)?, entry_line(&before)));
        }
        api.send(request, Subject::write("delete", &format!("time entry {id}"))).await?;
        Ok(format!("Deleted time entry {id}: {}", entry_line(&before)))
    }
}

fn hours_arg(hours: f64) -> Result<()> {
    if hours > 0.0 && hours <= 1000.0 {
        Ok(())
    } else {
        Err(Error::invalid("hours", "must be more than 0 and at most 1000, e.g. 1.5"))
    }
}

/// What time is logged on (by id).
enum On {
    Issue(u64),
    Project(u64),
}

async fn fetch_entry(api: &RedmineApi, id: &str) -> Result<TimeEntry> {
    let subject = format!("time entry {id}");
    Ok(api.get::<TimeEntryAnswer>(E::TIME_ENTRY.request(&[id]), &subject).await?.time_entry)
}

/// `2.0h Design on 2025-01-31 by John Smith — Alpha Project #1`.
fn entry_line(t: &TimeEntry) -> String {
    // Hours as JSON writes them (`2.0`, not `2`): this line has always echoed Redmine's value.
    let hours = serde_json::Number::from_f64(t.hours).map_or_else(|| t.hours.to_string(), |n| n.to_string());
    format!(
        "{hours}h {} on {} by {} — {}{}",
        t.activity.name,
        t.spent_on,
        t.user.name,
        t.project.name,
        t.issue.as_ref().map(|i| format!(" #{}", i.id)).unwrap_or_default()
    )
}

/// A time-entry activity by id or name among the project's own: a project may override the
/// global activities with its own ids, and Redmine refuses any other ("Activity is not
/// included in the list").
async fn resolve_activity(api: &RedmineApi, project: u64, value: &NameOrId) -> Result<u64> {
    let v = value.as_str();
    let pid = project.to_string();
    let request = E::PROJECT.request(&[&pid]).query("include", "time_entry_activities");
    let answer: ProjectAnswer = api.get(request, &format!("project {pid}")).await?;
    let Some(list) = answer.project.time_entry_activities else {
        // A Redmine before 3.4 does not list them: its activities are the global ones.
        return api.resolve(Enum::Activity, "activity", v).await;
    };
    let id = v.parse::<u64>().ok().filter(|id| *id > 0);
    let found = match id {
        Some(id) => list.iter().find(|a| a.id == id).map(|a| a.id),
        None => find_named(list.iter().map(|a| (a.id, a.name.as_str())), v),
    };
    found.ok_or_else(|| {
        Error::invalid(
            "activity",
            format!(
                "{} is not an activity of project `{}`; its activities: {}",
                if id.is_some() { format!("id {v}") } else { format!("{:?}", crate::render::one_line(v)) },
                answer.project.identifier,
                list.iter().map(|a| format!("{} ({})", a.name, a.id)).collect::<Vec<_>>().join(", ")
            ),
        )
    })
}
