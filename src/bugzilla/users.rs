//! The `bugzilla:users` tool set: find users by login or name.

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::params::name;
use super::render;
use crate::error::{Error, Result};
use crate::params::{self, Page};
use crate::render::offset_footer;
use crate::server::TrackerServer;

/// Deepest cursor of `bugzilla_search_users` (Bugzilla's user match has no offset, so every
/// page asks for the pages before it too).
const USER_PAGES_MAX: u64 = 5_000;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SearchUsersParams {
    /// Part of a login or real name.
    pub query: String,
    #[serde(flatten)]
    pub page: Page,
}

#[tool_router(router = bugzilla_users, vis = "pub(crate)")]
impl TrackerServer {
    /// Find users by part of their login or real name (needs a logged-in account).
    #[tool(
        name = "bugzilla_search_users",
        annotations(
            title = "Bugzilla: search users",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bugzilla_search_users(&self, Parameters(p): Parameters<SearchUsersParams>) -> Result<String> {
        let query = name("query", Some(&p.query))?.unwrap_or_default();
        let limit = params::limit(p.page.limit)?;
        let offset = params::cursor(p.page.cursor.as_ref())?;
        if offset > USER_PAGES_MAX {
            return Err(Error::invalid(
                "cursor",
                format!(
                    "user search pages through the first {USER_PAGES_MAX} matches; give a narrower query"
                ),
            ));
        }
        // Bugzilla's user match has a limit but no offset: ask for the pages before this one too.
        let wanted = u32::try_from(offset + u64::from(limit) + 1).unwrap_or(u32::MAX);
        let users = self.bugzilla()?.users(query, wanted).await?;
        let has_more = users.len() as u64 > offset + u64::from(limit);
        let mut out: Vec<String> =
            users.iter().skip(offset as usize).take(limit as usize).map(render::user_line).collect();
        let shown = out.len();
        if users.is_empty() {
            out.push(format!("No user matches '{}'.", crate::render::one_line(query)));
        }
        out.push(offset_footer(offset, shown, None, has_more));
        Ok(out.join("\n"))
    }
}
