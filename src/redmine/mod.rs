//! Redmine tool set, over Redmine's REST API (`X-Redmine-API-Key`).

pub mod api;

use rmcp::{tool, tool_router};

pub use api::RedmineApi;

use crate::error::Result;
use crate::server::TrackerServer;

#[tool_router(router = redmine_router, vis = "pub(crate)")]
impl TrackerServer {
    /// Who this server acts as on Redmine: the user the API key belongs to (name, login, id,
    /// admin or not), or that access is anonymous. Use it when a result looks like missing
    /// permissions.
    #[tool(
        name = "redmine_whoami",
        annotations(
            title = "Redmine: who am I",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn redmine_whoami(&self) -> Result<String> {
        self.redmine()?.whoami().await
    }
}
