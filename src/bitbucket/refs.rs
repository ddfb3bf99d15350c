//! Branches and tags beyond the branch list (part of `bitbucket:repositories`): a
//! repository's tags.

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};

use super::params::{MAX_BRANCH, page_args};
use super::render;
use super::repositories::ListBranchesParams;
use crate::error::Result;
use crate::params;
use crate::server::TrackerServer;

#[tool_router(router = bitbucket_refs, vis = "pub(crate)")]
impl TrackerServer {
    /// A repository's tags, newest first, with their commits.
    #[tool(
        name = "bitbucket_list_tags",
        annotations(
            title = "Bitbucket: list tags",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bitbucket_list_tags(&self, Parameters(p): Parameters<ListBranchesParams>) -> Result<String> {
        let repo = p.at.checked()?;
        let filter = p.filter.as_deref().map(|f| params::text("filter", f, MAX_BRANCH)).transpose()?;
        let args = page_args(&p.page)?;
        let page = self.bitbucket()?.list_tags(repo, filter, &args).await?;
        Ok(render::branches(&page))
    }
}
