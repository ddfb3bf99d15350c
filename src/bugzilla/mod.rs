//! Bugzilla tool set, over Bugzilla's REST API (`/rest/...`), for 5.0, 5.2 and 5.3.3+.

pub mod api;

use rmcp::{tool, tool_router};

pub use api::BugzillaApi;

use crate::error::Result;
use crate::server::TrackerServer;

#[tool_router(router = bugzilla_router, vis = "pub(crate)")]
impl TrackerServer {
    /// Who this server acts as on Bugzilla: the account the API key belongs to where the
    /// instance can say so, and the Bugzilla version. Use it when a bug seems missing or a
    /// write is refused.
    #[tool(
        name = "bugzilla_whoami",
        annotations(
            title = "Bugzilla: who am I",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bugzilla_whoami(&self) -> Result<String> {
        self.bugzilla()?.whoami().await
    }
}
