//! Changing Redmine issues: create, update, note, relation (`redmine:issues`, writes).

use std::fmt::Write as _;

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::attachments::{attached_line, upload_entry};
use super::client::{Subject, decode};
use super::endpoints as E;
use super::issue_fields::{IssueFields, issue_body, precheck, project_custom_fields, project_id};
use super::issues::fetch_issue;
use super::models::{Issue, IssueAnswer, Named, RelationAnswer};
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
    /// Local file to attach (under TRACKER_MCP_UPLOAD_DIRS).
    pub path: Option<String>,
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
    /// Local file to attach (under TRACKER_MCP_UPLOAD_DIRS).
    pub path: Option<String>,
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
    /// Local file to attach (under TRACKER_MCP_UPLOAD_DIRS).
    pub path: Option<String>,
    /// Only show the request.
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct EditNoteParams {
    /// Issue id.
    pub id: i64,
    /// The note's journal id (get shows it).
    pub journal_id: i64,
    /// Comment (Redmine markup).
    pub notes: String,
    /// Private note.
    pub private: Option<bool>,
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

#[derive(Debug, Deserialize, JsonSchema)]
pub struct DeleteRelationParams {
    /// Relation id (redmine_get_issue lists them).
    pub id: i64,
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
        let file = p.path.as_deref().map(|path| self.local_file(path)).transpose()?;
        let pid = project_id(api, &project).await?;
        let known = project_custom_fields(api, pid, &p.fields).await;
        let mut body = issue_body(api, &p.fields, Some(&project), &known).await?;
        body.insert("project_id".into(), json!(pid));
        if let Some(file) = file {
            body.insert("uploads".into(), json!([upload_entry(api, file, p.dry_run).await?]));
        }
        let attached = attached_line(body.get("uploads").and_then(|u| u.get(0)));
        let body = json!({ "issue": body });
        let request = E::CREATE_ISSUE.request(&[]).json(body.clone());
        if p.dry_run {
            return dry_run(api, &request, &body);
        }
        let created =
            api.send(request, Subject::write("add issues to", &format!("project `{project}`"))).await?;
        let i = decode::<IssueAnswer>(&created, "the created issue")?.issue;
        Ok(format!(
            "Created issue {}{attached}\n(redmine_get_issue id={} shows it in full)\nWeb: {}",
            render::issue_line(&i),
            i.id,
            api.issue_page(&i.id.to_string())
        ))
    }

    /// Change an issue's fields, optionally with a comment. Reports fields Redmine did not apply (e.g. a disallowed status change).
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
        let file = p.path.as_deref().map(|path| self.local_file(path)).transpose()?;
        let before = fetch_issue(api, &id, "allowed_statuses").await?;
        let project_now = before.project.id.to_string();
        let known: Vec<Named> = before.custom_fields.iter().map(|c| Named::new(c.id, &c.name)).collect();
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
        if body.is_empty() && file.is_none() {
            return Err(Error::invalid(
                "fields",
                "nothing to change: give at least one field, `notes` or `path`",
            ));
        }
        check_transition(&before, body.get("status_id"))?;
        if let Some(file) = file {
            body.insert("uploads".into(), json!([upload_entry(api, file, p.dry_run).await?]));
        }
        let attached = attached_line(body.get("uploads").and_then(|u| u.get(0)));
        let requested = body.clone();
        let body = json!({ "issue": body });
        let request = E::UPDATE_ISSUE.request(&[&id]).json(body.clone());
        if p.dry_run {
            return dry_run(api, &request, &body);
        }
        api.send(request, Subject::write("change", &format!("issue {id}"))).await?;
        let i = fetch_issue(api, &id, "").await?;
        let mut out = format!("Updated issue {}{attached}", render::issue_line(&i));
        let mut dropped = Vec::new();
        for (key, field, label) in CHECKED {
            if let Some(want) = requested.get(*key) {
                let have = field(&i);
                let unchanged = match want {
                    Value::String(s) if s.is_empty() => have.is_some(),
                    w => w.as_u64() != have,
                };
                if unchanged {
                    dropped.push(*label);
                }
            }
        }
        if let Some(want) = requested.get("done_ratio")
            && want.as_u64() != i.done_ratio
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
        let _ = write!(out, "\nWeb: {}", api.issue_page(&i.id.to_string()));
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
        let file = p.path.as_deref().map(|path| self.local_file(path)).transpose()?;
        let mut issue = Map::new();
        issue.insert("notes".into(), json!(notes));
        if p.private {
            issue.insert("private_notes".into(), json!(true));
        }
        if let Some(file) = file {
            issue.insert("uploads".into(), json!([upload_entry(api, file, p.dry_run).await?]));
        }
        let attached = attached_line(issue.get("uploads").and_then(|u| u.get(0)));
        let body = json!({ "issue": issue });
        let request = E::UPDATE_ISSUE.request(&[&id]).json(body.clone());
        if p.dry_run {
            return dry_run(api, &request, &body);
        }
        api.send(request, Subject::write("comment on", &format!("issue {id}"))).await?;
        let after = fetch_issue(api, &id, "journals").await?;
        let want = crate::render::normalize_newlines(notes);
        let journal = after
            .journals
            .iter()
            .flatten()
            .rev()
            .find(|j| crate::render::normalize_newlines(&j.notes) == want)
            .map(|j| j.id.to_string());
        Ok(format!(
            "Added a {}note to issue #{id}{}.{attached}",
            if p.private { "private " } else { "" },
            journal.map(|j| format!(" as journal {j}")).unwrap_or_default()
        ))
    }

    /// Relate two issues.
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
        let response = api.send(request, Subject::write("add relations to", &format!("issue {id}"))).await?;
        let r = decode::<RelationAnswer>(&response, "the added relation")?.relation;
        Ok(format!(
            "Added relation {}: #{} {} #{}{}",
            r.id,
            r.issue_id,
            r.relation_type,
            r.issue_to_id,
            r.delay.map(|d| format!(" (delay {d} days)")).unwrap_or_default()
        ))
    }

    /// Replace a note's text (its field changes stay). Redmine 5.0 takes
    /// it from the note's author (with "Edit own notes") or with "Edit notes".
    #[tool(
        name = "redmine_edit_note",
        annotations(
            title = "Redmine: edit note",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn redmine_edit_note(&self, Parameters(p): Parameters<EditNoteParams>) -> Result<String> {
        let api = self.redmine()?;
        let id = id_str("id", p.id)?;
        let journal = id_str("journal_id", p.journal_id)?;
        // Never empty (`params::text`): Redmine deletes an entry left with no text and no change.
        let notes = params::text("notes", &p.notes, TEXT_MAX)?;
        let before = fetch_issue(api, &id, "journals").await?;
        if !before.journals.iter().flatten().any(|j| j.id.to_string() == journal) {
            return Err(Error::NotFound(format!(
                "issue {id} has no history entry {journal} visible with this key (redmine_get_issue lists them)"
            )));
        }
        let mut entry = Map::new();
        entry.insert("notes".into(), json!(notes));
        if let Some(private) = p.private {
            entry.insert("private_notes".into(), json!(private));
        }
        let body = json!({ "journal": entry });
        let request = E::UPDATE_JOURNAL.request(&[&journal]).json(body.clone());
        if p.dry_run {
            return dry_run(api, &request, &body);
        }
        api.send(request, Subject::write("edit", &format!("note {journal} of issue {id}"))).await?;
        // Redmine answers 204 even when it ignored the text (no right to edit that note).
        let after = fetch_issue(api, &id, "journals").await?;
        let now = after.journals.iter().flatten().find(|j| j.id.to_string() == journal);
        match now {
            Some(j)
                if crate::render::normalize_newlines(&j.notes)
                    == crate::render::normalize_newlines(notes) =>
            {
                Ok(format!(
                    "Edited note {journal} of issue #{id}{}.",
                    if j.private_notes { " (private)" } else { "" }
                ))
            }
            _ => Err(Error::Forbidden(format!(
                "Redmine accepted the edit of note {journal} on issue {id} but did not apply it: this key may \
                 not edit that note (it needs \"Edit notes\", or \"Edit own notes\" on its own)"
            ))),
        }
    }

    /// Remove a relation, by its id.
    #[tool(
        name = "redmine_delete_relation",
        annotations(
            title = "Redmine: delete relation",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn redmine_delete_relation(
        &self,
        Parameters(p): Parameters<DeleteRelationParams>,
    ) -> Result<String> {
        let api = self.redmine()?;
        let id = id_str("id", p.id)?;
        let subject = format!("relation {id}");
        // Read first: a clear "does not exist", and the result says what was removed.
        let r = api.get::<RelationAnswer>(E::RELATION.request(&[&id]), &subject).await?.relation;
        let what = format!("#{} {} #{}", r.issue_id, r.relation_type, r.issue_to_id);
        let request = E::DELETE_RELATION.request(&[&id]);
        if p.dry_run {
            return Ok(format!("{}\nRelation {id}: {what}", dry_run_bare(api, &request)?));
        }
        api.send(request, Subject::write("delete", &subject)).await?;
        Ok(format!("Deleted relation {id}: {what}."))
    }
}

/// The id an issue now has in one of the [`CHECKED`] fields.
type Field = fn(&Issue) -> Option<u64>;

/// Fields whose value Redmine may silently drop; checked after an update: the request key,
/// the issue's value, the label of the warning.
const CHECKED: &[(&str, Field, &str)] = &[
    (
        "status_id",
        |i| Some(i.status.id),
        "status (this user's role may not make that transition; see \"Statuses this user may set\" in redmine_get_issue)",
    ),
    ("tracker_id", |i| Some(i.tracker.id), "tracker"),
    ("priority_id", |i| Some(i.priority.id), "priority"),
    ("assigned_to_id", |i| i.assigned_to.as_ref().map(|r| r.id), "assignee"),
    ("fixed_version_id", |i| i.fixed_version.as_ref().map(|r| r.id), "version"),
    ("category_id", |i| i.category.as_ref().map(|r| r.id), "category"),
];

/// Redmine silently ignores a status its workflow does not allow this user (204, nothing
/// changed), so the transition is checked first against the issue's `allowed_statuses`.
fn check_transition(issue: &Issue, status_id: Option<&Value>) -> Result<()> {
    let allowed = &issue.allowed_statuses;
    let Some(wanted) = status_id.and_then(Value::as_u64) else {
        return Ok(());
    };
    if allowed.is_empty() || wanted == issue.status.id || allowed.iter().any(|s| s.id == wanted) {
        return Ok(());
    }
    let names: Vec<&str> = allowed.iter().map(|s| s.name.as_str()).collect();
    Err(Error::invalid(
        "status",
        format!(
            "{} -> status {wanted} is not allowed for this user by the workflow; allowed: {}",
            issue.status.name,
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
