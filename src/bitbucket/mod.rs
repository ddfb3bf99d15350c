//! Bitbucket tool set: one set of tools over two API flavours, Cloud (REST 2.0) and
//! Data Center (REST 1.0).

pub mod api;

use rmcp::{handler::server::tool::ToolRouter, tool, tool_router};

pub use api::BitbucketApi;

use crate::config::Flavor;
use crate::error::Result;
use crate::server::TrackerServer;

/// Tools that exist only on Bitbucket Cloud.
const CLOUD_ONLY: &[&str] = &[];

impl TrackerServer {
    /// The Bitbucket tools for `flavor` (Data Center has no issue tracker).
    pub(crate) fn bitbucket_router(flavor: Flavor) -> ToolRouter<Self> {
        let mut router = Self::bitbucket_tools();
        if flavor == Flavor::DataCenter {
            for name in CLOUD_ONLY {
                router.remove_route(name);
            }
        }
        router
    }
}

#[tool_router(router = bitbucket_tools, vis = "pub(crate)")]
impl TrackerServer {
    /// Who this server acts as on Bitbucket (Cloud or Data Center): the account the token
    /// belongs to, and the flavour in use.
    #[tool(
        name = "bitbucket_whoami",
        annotations(
            title = "Bitbucket: who am I",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bitbucket_whoami(&self) -> Result<String> {
        self.bitbucket()?.whoami().await
    }
}
