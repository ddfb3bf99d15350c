//! Redmine saved queries: where teams keep their boards and "my work" views (`redmine:issues`).
//! Listed here; `redmine_search_issues` runs one by `query`.

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};

use super::client::{RedmineApi, find_named};
use super::endpoints as E;
use super::models::{Query, QueryList};
use super::params::*;
use super::render::{self};
use crate::error::{Error, Result};
use crate::params::{self};
use crate::server::TrackerServer;

/// Queries looked through when one is given by name (Redmine pages at most 100).
const BY_NAME_MAX: u32 = 100;

#[tool_router(router = redmine_queries_tools, vis = "pub(crate)")]
impl TrackerServer {
    /// Saved issue queries (public and own); search's `query` runs one.
    #[tool(
        name = "redmine_list_queries",
        annotations(
            title = "Redmine: list saved queries",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn redmine_list_queries(&self, Parameters(p): Parameters<PageParams>) -> Result<String> {
        let api = self.redmine()?;
        let limit = params::limit(p.page.limit)?;
        let offset = params::cursor(p.page.cursor.as_ref())?;
        let request = E::QUERIES.request(&[]).query("limit", limit).query("offset", offset);
        let list: QueryList = api.get(request, "the saved queries").await?;
        Ok(render::queries(&list, offset, limit))
    }
}

/// A saved query given by id or name. By name it must be among the first 100 visible ones;
/// an id Redmine does not list here is passed on as it is (Redmine then says whether it exists).
/// The id, and the query as listed when it is.
pub(super) async fn resolve_query(api: &RedmineApi, value: &NameOrId) -> Result<(u64, Option<Query>)> {
    let v = value.as_str();
    let id = v.parse::<u64>().ok().filter(|id| *id > 0);
    let request = E::QUERIES.request(&[]).query("limit", BY_NAME_MAX);
    let list: QueryList = api.get(request, "the saved queries").await?;
    let found = match id {
        Some(id) => list.queries.iter().find(|q| q.id == id),
        None => find_named(list.queries.iter().map(|q| (q.id, q.name.as_str())), v)
            .and_then(|id| list.queries.iter().find(|q| q.id == id)),
    };
    match (found, id) {
        (Some(q), _) => Ok((q.id, Some(q.clone()))),
        (None, Some(id)) => Ok((id, None)),
        (None, None) => Err(Error::invalid(
            "query",
            format!(
                "no saved query named {:?} visible to this key; known: {}",
                crate::render::one_line(v),
                list.queries.iter().map(|q| format!("{} ({})", q.name, q.id)).collect::<Vec<_>>().join(", ")
            ),
        )),
    }
}
