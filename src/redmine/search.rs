//! Redmine's full-text search (`redmine:search`).

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::endpoints as E;
use super::models::SearchResults;
use super::params::*;
use super::render::{self};
use crate::error::{Error, Result};
use crate::params::{self, Page};
use crate::server::TrackerServer;

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

const SEARCH_TYPES: &[&str] =
    &["issues", "wiki_pages", "news", "documents", "changesets", "messages", "projects"];

#[tool_router(router = redmine_search_tools, vis = "pub(crate)")]
impl TrackerServer {
    /// Redmine's full-text search (issues, wiki, news, documents, changesets, forums).
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
        let api = self.redmine()?;
        let query = params::text("query", &p.query, 255)?;
        let limit = params::limit(p.page.limit)?;
        let offset = params::cursor(p.page.cursor.as_ref())?;
        let project = opt_project(p.project.as_ref())?;
        let mut request = match &project {
            Some(project) => E::PROJECT_SEARCH.request(&[project]),
            None => E::SEARCH.request(&[]),
        }
        .query("q", query.trim())
        .query("limit", limit)
        .query("offset", offset);
        if let Some(types) = &p.types {
            for t in types.split(',').map(str::trim).filter(|t| !t.is_empty()) {
                if !SEARCH_TYPES.contains(&t) {
                    return Err(Error::invalid(
                        "types",
                        format!("unknown kind {t:?}; use {}", SEARCH_TYPES.join(", ")),
                    ));
                }
                request = request.query(t, 1);
            }
        }
        if p.titles_only {
            request = request.query("titles_only", 1);
        }
        if p.open_issues {
            request = request.query("open_issues", 1);
        }
        let subject = project.as_ref().map_or_else(|| "search".to_owned(), |p| format!("project `{p}`"));
        let results: SearchResults = api.get(request, &subject).await?;
        Ok(render::search(&results, offset, limit))
    }
}
