//! Argument checks the Bitbucket tools share: lengths, path segments, pull-request ids,
//! paging arguments, and the repository every tool names.

use schemars::JsonSchema;
use serde::Deserialize;

use super::models::{PageArgs, Repo};
use crate::error::{Error, Result};
use crate::params::{self, Cursor, Page};

/// Longest name (workspace, slug), branch, path, and text accepted.
pub const MAX_NAME: usize = 128;
pub const MAX_BRANCH: usize = 255;
pub const MAX_PATH: usize = 1024;
pub const MAX_TEXT: usize = 32_768;

pub fn repo<'a>(workspace: &'a str, slug: &'a str) -> Result<Repo<'a>> {
    Ok(Repo {
        workspace: params::segment("workspace", workspace, MAX_NAME, false)?,
        slug: params::segment("repo", slug, MAX_NAME, false)?,
    })
}

pub fn page_args(page: &Page) -> Result<PageArgs> {
    let cursor = match page.cursor.as_ref().map(Cursor::as_str) {
        None | Some("") => None,
        Some(c) if c.len() <= 2000 && !c.chars().any(char::is_control) => Some(c.to_owned()),
        Some(_) => {
            return Err(Error::invalid(
                "cursor",
                "not a cursor from this list; pass `next` exactly as returned",
            ));
        }
    };
    Ok(PageArgs { limit: params::limit(page.limit)?, cursor })
}

pub fn pr_id(id: i64) -> Result<u64> {
    params::positive_id("pull_request_id", id)
}

pub fn branch<'a>(arg: &str, value: &'a str) -> Result<&'a str> {
    params::segment(arg, value, MAX_BRANCH, true)
}

pub fn opt_text<'a>(arg: &str, value: Option<&'a str>) -> Result<Option<&'a str>> {
    value.map(|v| params::text(arg, v, MAX_TEXT)).transpose()
}

pub fn file_path(value: &str) -> Result<&str> {
    let path = params::segment("path", value.trim_matches('/'), MAX_PATH, true)?;
    if path.contains('\\') || path.contains("//") {
        return Err(Error::invalid("path", "must be a file path such as src/main.rs"));
    }
    Ok(path)
}

pub fn one_of<'a>(arg: &str, value: Option<&'a str>, allowed: &[&'a str]) -> Result<Option<&'a str>> {
    match value {
        None => Ok(None),
        Some(v) => allowed
            .iter()
            .find(|a| a.eq_ignore_ascii_case(v))
            .map(|a| Some(*a))
            .ok_or_else(|| Error::invalid(arg, format!("must be one of: {}", allowed.join(", ")))),
    }
}

/// The repository a tool acts on, flattened into its parameters.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct RepoArgs {
    /// Cloud workspace, or Data Center project key.
    pub workspace: String,
    /// Repository slug.
    pub repo: String,
}

impl RepoArgs {
    pub fn checked(&self) -> Result<Repo<'_>> {
        repo(&self.workspace, &self.repo)
    }
}
