//! People and the account's inbox (part of `bitbucket:pull_requests`): a repository's default
//! reviewers, users by name, each with the value pull requests' `reviewers` take, and the
//! open pull requests waiting for the account's review.

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::params::{MAX_NAME, RepoArgs, branch, page_args};
use super::render;
use crate::error::Result;
use crate::params::{self, Page};
use crate::server::TrackerServer;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct DefaultReviewersParams {
    #[serde(flatten)]
    pub at: RepoArgs,
    /// Data Center: the base branch (pull request target).
    pub from: Option<String>,
    /// Data Center: the branch with the changes (pull request source).
    pub to: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct FindUsersParams {
    /// Cloud workspace, or Data Center project key.
    pub workspace: String,
    /// Name contains this.
    pub name: String,
    #[serde(flatten)]
    pub page: Page,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct InboxParams {
    /// Cloud workspace (Data Center: all projects).
    pub workspace: Option<String>,
    #[serde(flatten)]
    pub page: Page,
}

#[tool_router(router = bitbucket_people, vis = "pub(crate)")]
impl TrackerServer {
    /// Default reviewers (values for `reviewers`; Data Center: of merging `to` into `from`).
    #[tool(
        name = "bitbucket_get_default_reviewers",
        annotations(
            title = "Bitbucket: default reviewers",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bitbucket_get_default_reviewers(
        &self,
        Parameters(p): Parameters<DefaultReviewersParams>,
    ) -> Result<String> {
        let repo = p.at.checked()?;
        let source = p.to.as_deref().map(|b| branch("to", b)).transpose()?;
        let target = p.from.as_deref().map(|b| branch("from", b)).transpose()?;
        let page = self.bitbucket()?.default_reviewers(repo, source, target).await?;
        Ok(render::people(&page, "default reviewers"))
    }

    /// Users by name (values for `reviewers`).
    #[tool(
        name = "bitbucket_find_users",
        annotations(
            title = "Bitbucket: find users",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bitbucket_find_users(&self, Parameters(p): Parameters<FindUsersParams>) -> Result<String> {
        let workspace = params::segment("workspace", &p.workspace, MAX_NAME, false)?;
        let name = params::text("name", &p.name, MAX_NAME)?;
        let args = page_args(&p.page)?;
        let page = self.bitbucket()?.find_users(workspace, name, &args).await?;
        Ok(render::people(&page, "users"))
    }

    /// Open pull requests I review (Cloud: 10 repositories a page).
    #[tool(
        name = "bitbucket_inbox",
        annotations(
            title = "Bitbucket: my review inbox",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bitbucket_inbox(&self, Parameters(p): Parameters<InboxParams>) -> Result<String> {
        let workspace =
            p.workspace.as_deref().map(|w| params::segment("workspace", w, MAX_NAME, false)).transpose()?;
        let args = page_args(&p.page)?;
        let page = self.bitbucket()?.inbox(workspace, &args).await?;
        Ok(render::inbox(&page))
    }
}
