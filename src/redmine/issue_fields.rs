//! The fields of an issue that create and update share: their checks and the request body
//! with names resolved to ids.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::client::{Enum, RedmineApi};
use super::endpoints as E;
use super::models::{IssueList, Named, ProjectAnswer, UserAnswer};
use super::params::*;
use crate::error::{Error, Result};
use crate::params::{self};

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

/// The checks that need no request, done before any (so a bad argument never costs a call).
pub(super) fn precheck(f: &IssueFields) -> Result<()> {
    if let Some(subject) = &f.subject {
        let s = params::text("subject", subject, 1000)?;
        if s.chars().count() > SUBJECT_MAX || s.contains(['\n', '\r']) {
            return Err(Error::invalid("subject", "must be one line of at most 255 characters"));
        }
    }
    if let Some(d) = &f.description
        && (d.len() > TEXT_MAX || d.contains('\0'))
    {
        return Err(Error::invalid("description", format!("must be at most {TEXT_MAX} bytes, without NUL")));
    }
    if let Some(parent) = f.parent
        && parent != 0
    {
        params::positive_id("parent", parent)?;
    }
    for (value, arg) in [(&f.start_date, "start_date"), (&f.due_date, "due_date")] {
        if let Some(v) = value
            && !v.trim().eq_ignore_ascii_case("none")
        {
            date_arg(arg, v)?;
        }
    }
    if f.estimated_hours.is_some_and(|h| !(0.0..=100_000.0).contains(&h)) {
        return Err(Error::invalid("estimated_hours", "must be from 0 to 100000"));
    }
    if f.done_ratio.is_some_and(|r| !(0..=100).contains(&r)) {
        return Err(Error::invalid("done_ratio", "must be from 0 to 100"));
    }
    Ok(())
}

/// The `issue` object of a create or update, names resolved to ids. The values were checked
/// by [`precheck`], which every caller runs first, before any request.
pub(super) async fn issue_body(
    api: &RedmineApi,
    f: &IssueFields,
    project: Option<&str>,
    known_fields: &[Named],
) -> Result<Map<String, Value>> {
    let mut body = Map::new();
    if let Some(subject) = &f.subject {
        body.insert("subject".into(), json!(subject.trim()));
    }
    if let Some(d) = &f.description {
        body.insert("description".into(), json!(d));
    }
    for (value, which, arg, key) in [
        (&f.tracker, Enum::Tracker, "tracker", "tracker_id"),
        (&f.status, Enum::Status, "status", "status_id"),
        (&f.priority, Enum::Priority, "priority", "priority_id"),
    ] {
        if let Some(v) = value {
            body.insert(key.into(), json!(api.resolve(which, arg, v.as_str()).await?));
        }
    }
    if let Some(a) = &f.assignee {
        let id = match a.as_str() {
            v if v.eq_ignore_ascii_case("none") => String::new(),
            v if v.eq_ignore_ascii_case("me") => me_id(api).await?,
            v => api.resolve_user("assignee", v, project).await?,
        };
        body.insert(
            "assigned_to_id".into(),
            if id.is_empty() { json!("") } else { json!(id.parse::<u64>().unwrap_or(0)) },
        );
    }
    if let Some(c) = &f.category {
        let id = if c.as_str().eq_ignore_ascii_case("none") {
            json!("")
        } else {
            let Some(project) = project else {
                return Err(Error::invalid("category", "give the category's numeric id"));
            };
            json!(api.resolve_category("category", c.as_str(), project).await?)
        };
        body.insert("category_id".into(), id);
    }
    if let Some(v) = &f.version {
        let id = if v.as_str().eq_ignore_ascii_case("none") {
            json!("")
        } else {
            json!(api.resolve_version("version", v.as_str(), project).await?)
        };
        body.insert("fixed_version_id".into(), id);
    }
    if let Some(parent) = f.parent {
        body.insert("parent_issue_id".into(), if parent == 0 { json!("") } else { json!(parent) });
    }
    for (value, arg) in [(&f.start_date, "start_date"), (&f.due_date, "due_date")] {
        if let Some(v) = value {
            let d = if v.trim().eq_ignore_ascii_case("none") { "" } else { date_arg(arg, v)? };
            body.insert(arg.into(), json!(d));
        }
    }
    if let Some(h) = f.estimated_hours {
        body.insert("estimated_hours".into(), json!(h));
    }
    if let Some(r) = f.done_ratio {
        body.insert("done_ratio".into(), json!(r));
    }
    if let Some(private) = f.is_private {
        body.insert("is_private".into(), json!(private));
    }
    if let Some(cfs) = &f.custom_fields {
        let mut list = Vec::new();
        for (name, value) in cfs {
            let value = match value {
                Value::String(_) | Value::Array(_) => value.clone(),
                Value::Number(n) => json!(n.to_string()),
                Value::Bool(b) => json!(if *b { "1" } else { "0" }),
                Value::Null => json!(""),
                Value::Object(_) => {
                    return Err(Error::invalid(
                        "custom_fields",
                        format!("value of {name:?} must be text or a list"),
                    ));
                }
            };
            let id = api.resolve_custom_field(name, known_fields).await?;
            list.push(json!({"id": id, "value": value}));
        }
        body.insert("custom_fields".into(), Value::Array(list));
    }
    Ok(body)
}

/// Resolve `me` to the key's own user id (writes need a number).
async fn me_id(api: &RedmineApi) -> Result<String> {
    let answer: UserAnswer = api.get(E::CURRENT_USER.request(&[]), "the current user").await?;
    Ok(answer.user.id.to_string())
}

/// A project's numeric id (and a clear error when it is not visible).
pub(super) async fn project_id(api: &RedmineApi, project: &str) -> Result<u64> {
    let answer: ProjectAnswer =
        api.get(E::PROJECT.request(&[project]), &format!("project `{project}`")).await?;
    Ok(answer.project.id)
}

/// Custom fields used by a project's issues (names and ids), for keys that cannot read the
/// definitions; fetched only when a custom field is given by name.
pub(super) async fn project_custom_fields(
    api: &RedmineApi,
    project: u64,
    fields: &IssueFields,
) -> Vec<Named> {
    match &fields.custom_fields {
        Some(c) if c.keys().any(|k| k.trim().parse::<u64>().is_err()) => {
            custom_fields_in_use(api, Some(&project.to_string())).await
        }
        _ => Vec::new(),
    }
}

/// The custom fields (names and ids) on recent issues of a project, or of any project: what a
/// key that cannot read the definitions (`/custom_fields.json` is for administrators) knows.
pub(super) async fn custom_fields_in_use(api: &RedmineApi, project: Option<&str>) -> Vec<Named> {
    let request =
        E::ISSUES.request(&[]).query_opt("project_id", project).query("status_id", "*").query("limit", 25);
    let mut known: Vec<Named> = Vec::new();
    if let Ok(list) = api.get::<IssueList>(request, "the project's issues").await {
        for c in list.issues.iter().flat_map(|i| &i.custom_fields) {
            if !known.iter().any(|k| k.id == c.id) {
                known.push(Named::new(c.id, &c.name));
            }
        }
    }
    known
}
