//! Changing Redmine issues: create, update, note, relation (`redmine:issues`, writes).

use std::fmt::Write as _;

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::client::{Named, Subject, TRACKER, str_of};
use super::endpoints as E;
use super::issue_fields::{IssueFields, issue_body, precheck, project_custom_fields, project_id};
use super::issues::fetch_issue;
use super::params::*;
use super::render::{self};
use crate::error::{Error, Result};
use crate::params::{self};
use crate::server::TrackerServer;

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

#[tool_router(router = redmine_issue_writes_tools, vis = "pub(crate)")]
impl TrackerServer {
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
        let api = self.redmine()?;
        let project = project_arg(&p.project)?;
        precheck(&p.fields)?;
        if p.fields.subject.is_none() {
            return Err(Error::invalid("subject", "is required to create an issue"));
        }
        let pid = project_id(api, &project).await?;
        let known = project_custom_fields(api, pid, &p.fields).await;
        let mut body = issue_body(api, &p.fields, Some(&project), &known).await?;
        body.insert("project_id".into(), json!(pid));
        let body = json!({ "issue": body });
        let request = E::CREATE_ISSUE.request(&[]).json(body.clone());
        if p.dry_run {
            return dry_run(api, &request, &body);
        }
        let created =
            api.send(request, Subject::write("add issues to", &format!("project `{project}`"))).await?;
        let created: Value = created.json(TRACKER)?;
        let i = &created["issue"];
        Ok(format!(
            "Created issue {}\n(redmine_get_issue id={} shows it in full)",
            render::issue_line(i),
            i["id"]
        ))
    }

    /// Change any fields of an issue (status, assignee, % done, custom fields, ...), optionally
    /// with a comment. Reports fields Redmine did not apply (e.g. a disallowed status change).
    #[tool(
        name = "redmine_update_issue",
        annotations(
            title = "Redmine: update issue",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn redmine_update_issue(&self, Parameters(p): Parameters<UpdateIssueParams>) -> Result<String> {
        let api = self.redmine()?;
        let id = id_str("id", p.id)?;
        precheck(&p.fields)?;
        let target_project = opt_project(p.project.as_ref())?;
        let notes = p.notes.as_deref().map(|n| params::text("notes", n, TEXT_MAX)).transpose()?;
        let before = fetch_issue(api, &id, "allowed_statuses").await?;
        let project_now = before["issue"]["project"]["id"].to_string();
        let known: Vec<Named> = before["issue"]["custom_fields"]
            .as_array()
            .map(|a| a.iter().filter_map(|c| serde_json::from_value(c.clone()).ok()).collect())
            .unwrap_or_default();
        let mut body =
            issue_body(api, &p.fields, Some(target_project.as_deref().unwrap_or(&project_now)), &known)
                .await?;
        if let Some(project) = &target_project {
            body.insert("project_id".into(), json!(project_id(api, project).await?));
        }
        if let Some(n) = notes {
            body.insert("notes".into(), json!(n));
            if p.private_notes {
                body.insert("private_notes".into(), json!(true));
            }
        }
        if body.is_empty() {
            return Err(Error::invalid("fields", "nothing to change: give at least one field or `notes`"));
        }
        check_transition(&before["issue"], body.get("status_id"))?;
        let requested = body.clone();
        let body = json!({ "issue": body });
        let request = E::UPDATE_ISSUE.request(&[&id]).json(body.clone());
        if p.dry_run {
            return dry_run(api, &request, &body);
        }
        api.send(request, Subject::write("change", &format!("issue {id}"))).await?;
        let after = fetch_issue(api, &id, "").await?;
        let i = &after["issue"];
        let mut out = format!("Updated issue {}", render::issue_line(i));
        let mut dropped = Vec::new();
        for (key, field, label) in CHECKED {
            if let Some(want) = requested.get(*key) {
                let have = i.get(*field).map(|v| v["id"].clone()).unwrap_or(Value::Null);
                let unchanged = match want {
                    Value::String(s) if s.is_empty() => !have.is_null(),
                    w => &have != w,
                };
                if unchanged {
                    dropped.push(*label);
                }
            }
        }
        if let Some(want) = requested.get("done_ratio")
            && i.get("done_ratio") != Some(want)
        {
            dropped.push("done_ratio (Redmine may compute % done from the status or subtasks)");
        }
        if !dropped.is_empty() {
            let _ = write!(
                out,
                "\nWarning: Redmine accepted the request but did not apply: {}.",
                dropped.join("; ")
            );
        }
        Ok(out)
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
        let api = self.redmine()?;
        let id = id_str("id", p.id)?;
        let notes = params::text("notes", &p.notes, TEXT_MAX)?;
        let mut issue = Map::new();
        issue.insert("notes".into(), json!(notes));
        if p.private {
            issue.insert("private_notes".into(), json!(true));
        }
        let body = json!({ "issue": issue });
        let request = E::UPDATE_ISSUE.request(&[&id]).json(body.clone());
        if p.dry_run {
            return dry_run(api, &request, &body);
        }
        api.send(request, Subject::write("comment on", &format!("issue {id}"))).await?;
        let after = fetch_issue(api, &id, "journals").await?;
        let want = crate::render::normalize_newlines(notes);
        let journal = after["issue"]["journals"]
            .as_array()
            .and_then(|js| {
                js.iter().rev().find(|j| crate::render::normalize_newlines(str_of(j, "notes")) == want)
            })
            .map(|j| j["id"].to_string());
        Ok(format!(
            "Added a {}note to issue #{id}{}.",
            if p.private { "private " } else { "" },
            journal.map(|j| format!(" as journal {j}")).unwrap_or_default()
        ))
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
        let api = self.redmine()?;
        let id = params::positive_id("id", p.id)?;
        let to = params::positive_id("to", p.to)?;
        if id == to {
            return Err(Error::invalid("to", "an issue cannot be related to itself"));
        }
        let kind = p.relation_type.trim();
        if !RELATION_TYPES.contains(&kind) {
            return Err(Error::invalid(
                "relation_type",
                format!("must be one of {}", RELATION_TYPES.join(", ")),
            ));
        }
        let mut relation = Map::new();
        relation.insert("issue_to_id".into(), json!(to));
        relation.insert("relation_type".into(), json!(kind));
        if let Some(delay) = p.delay {
            if !matches!(kind, "precedes" | "follows") {
                return Err(Error::invalid("delay", "applies only to precedes and follows"));
            }
            if !(-10_000..=10_000).contains(&delay) {
                return Err(Error::invalid("delay", "must be a number of days from -10000 to 10000"));
            }
            relation.insert("delay".into(), json!(delay));
        }
        let body = json!({ "relation": relation });
        let request = E::ADD_RELATION.request(&[&id.to_string()]).json(body.clone());
        if p.dry_run {
            return dry_run(api, &request, &body);
        }
        let created: Value = api
            .send(request, Subject::write("add relations to", &format!("issue {id}")))
            .await?
            .json(TRACKER)?;
        let r = &created["relation"];
        Ok(format!(
            "Added relation {}: #{} {} #{}{}",
            r["id"],
            r["issue_id"],
            str_of(r, "relation_type"),
            r["issue_to_id"],
            r["delay"].as_i64().map(|d| format!(" (delay {d} days)")).unwrap_or_default()
        ))
    }
}

/// Fields whose value Redmine may silently drop; checked after an update.
const CHECKED: &[(&str, &str, &str)] = &[
    (
        "status_id",
        "status",
        "status (this user's role may not make that transition; see \"Statuses this user may set\" in redmine_get_issue)",
    ),
    ("tracker_id", "tracker", "tracker"),
    ("priority_id", "priority", "priority"),
    ("assigned_to_id", "assigned_to", "assignee"),
    ("fixed_version_id", "fixed_version", "version"),
    ("category_id", "category", "category"),
];

/// Redmine silently ignores a status its workflow does not allow this user (204, nothing
/// changed), so the transition is checked first against the issue's `allowed_statuses`.
fn check_transition(issue: &Value, status_id: Option<&Value>) -> Result<()> {
    let (Some(wanted), Some(allowed)) = (status_id, issue["allowed_statuses"].as_array()) else {
        return Ok(());
    };
    if allowed.is_empty() || *wanted == issue["status"]["id"] || allowed.iter().any(|s| s["id"] == *wanted) {
        return Ok(());
    }
    let name_of = |id: &Value| {
        allowed
            .iter()
            .find(|s| s["id"] == *id)
            .and_then(|s| s["name"].as_str())
            .map_or_else(|| id.to_string(), str::to_owned)
    };
    let names: Vec<&str> = allowed.iter().filter_map(|s| s["name"].as_str()).collect();
    Err(Error::invalid(
        "status",
        format!(
            "{} -> status {} is not allowed for this user by the workflow; allowed: {}",
            issue["status"]["name"].as_str().unwrap_or("current status"),
            name_of(wanted),
            names.join(", ")
        ),
    ))
}

const RELATION_TYPES: &[&str] = &[
    "relates",
    "duplicates",
    "duplicated",
    "blocks",
    "blocked",
    "precedes",
    "follows",
    "copied_to",
    "copied_from",
];
