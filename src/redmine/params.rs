//! Redmine argument types and checks shared by its areas.

use std::borrow::Cow;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use super::client::RedmineApi;
use crate::error::{Error, Result};
use crate::http::Request;
use crate::params::{self, Page};

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

/// Longest subject, wiki title and comment Redmine stores.
pub(super) const SUBJECT_MAX: usize = 255;

pub(super) const TEXT_MAX: usize = 500_000;

/// A project identifier or numeric id, usable as a path segment.
pub(super) fn project_arg(value: &NameOrId) -> Result<String> {
    let v = value.as_str();
    params::segment("project", v, 100, false)?;
    if !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(Error::invalid(
            "project",
            "must be a project identifier (letters, digits, `-`, `_`, e.g. `alpha`) or a numeric id; \
             redmine_list_projects shows both",
        ));
    }
    Ok(v.to_owned())
}

pub(super) fn opt_project(value: Option<&NameOrId>) -> Result<Option<String>> {
    value.map(project_arg).transpose()
}

/// A `YYYY-MM-DD` date.
pub(super) fn date_arg<'a>(arg: &str, value: &'a str) -> Result<&'a str> {
    let v = value.trim();
    let b = v.as_bytes();
    let ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && (1..=12).contains(&v[5..7].parse::<u32>().unwrap_or(0))
        && (1..=31).contains(&v[8..10].parse::<u32>().unwrap_or(0));
    if ok {
        Ok(v)
    } else {
        Err(Error::invalid(arg, "must be a date in the form YYYY-MM-DD, e.g. 2025-01-31"))
    }
}

pub(super) fn opt_offset(arg: &str, value: Option<i64>) -> Result<usize> {
    params::offset(arg, value).map(|v| usize::try_from(v).unwrap_or(usize::MAX))
}

/// The offset a list cursor stands for, as an index.
pub(super) fn page_start(cursor: Option<&params::Cursor>) -> Result<usize> {
    params::cursor(cursor).map(|v| usize::try_from(v).unwrap_or(usize::MAX))
}

pub(super) fn id_str(arg: &str, value: i64) -> Result<String> {
    params::positive_id(arg, value).map(|v| v.to_string())
}

/// What a dry run shows: the request exactly as it would be sent.
pub(super) fn dry_run(api: &RedmineApi, request: &Request, body: &Value) -> Result<String> {
    Ok(format!(
        "Dry run: nothing was sent. The request would be:\n{} {}\nContent-Type: application/json\n{}",
        request.method(),
        api.path_of(request)?,
        body
    ))
}

/// What a dry run of a request without a body (a `DELETE`) shows.
pub(super) fn dry_run_bare(api: &RedmineApi, request: &Request) -> Result<String> {
    Ok(format!(
        "Dry run: nothing was sent. The request would be:\n{} {}",
        request.method(),
        api.path_of(request)?
    ))
}

/// The `comments` of a time entry or a wiki edit: Redmine keeps at most 1024 characters.
pub(super) fn short_comment(c: &str) -> Result<&str> {
    if c.chars().count() > 1024 || c.contains('\0') {
        return Err(Error::invalid("comments", "must be at most 1024 characters, without NUL"));
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_identifiers_are_checked() {
        assert_eq!(project_arg(&NameOrId("alpha-2_x".into())).expect("ok"), "alpha-2_x");
        assert_eq!(project_arg(&NameOrId("7".into())).expect("ok"), "7");
        for bad in ["", "a/b", "../x", "a b", "a?b", "ü"] {
            assert!(project_arg(&NameOrId(bad.into())).is_err(), "{bad}");
        }
    }
}
