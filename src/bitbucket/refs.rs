//! Branches and tags beyond the branch list (part of `bitbucket:repositories`): a
//! repository's tags, two refs compared, a branch created.

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::params::{MAX_BRANCH, RepoArgs, branch, file_path, page_args};
use super::render;
use super::repositories::ListBranchesParams;
use crate::error::Result;
use crate::params;
use crate::server::TrackerServer;

/// Commits listed by a comparison.
const COMPARE_COMMITS: u32 = 30;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CompareParams {
    #[serde(flatten)]
    pub at: RepoArgs,
    /// Base ref.
    pub from: String,
    /// Ref with the changes.
    pub to: String,
    /// One file's whole diff (a path from the file list).
    pub path: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CreateBranchParams {
    #[serde(flatten)]
    pub at: RepoArgs,
    /// New branch name.
    pub branch: String,
    /// Ref to start at.
    pub from: String,
    /// Only show what would be sent.
    #[serde(default)]
    pub dry_run: bool,
}

#[tool_router(router = bitbucket_refs, vis = "pub(crate)")]
impl TrackerServer {
    /// Tags, newest first.
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

    /// What `to` has that `from` lacks: commits, files, capped diff.
    /// Text written by tracker users comes fenced as data.
    #[tool(
        name = "bitbucket_compare",
        annotations(
            title = "Bitbucket: compare refs",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bitbucket_compare(&self, Parameters(p): Parameters<CompareParams>) -> Result<String> {
        let repo = p.at.checked()?;
        let from = branch("from", &p.from)?;
        let to = branch("to", &p.to)?;
        let path = p.path.as_deref().map(file_path).transpose()?;
        let comparison = self.bitbucket()?.compare(repo, from, to, path, COMPARE_COMMITS).await?;
        Ok(render::compare(from, to, &comparison, path))
    }

    /// Create a branch at a ref.
    #[tool(
        name = "bitbucket_create_branch",
        annotations(
            title = "Bitbucket: create branch",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn bitbucket_create_branch(&self, Parameters(p): Parameters<CreateBranchParams>) -> Result<String> {
        let repo = p.at.checked()?;
        let name = branch("branch", &p.branch)?;
        let from = branch("from", &p.from)?;
        let api = self.bitbucket()?;
        let start = api.branch_start(repo, from).await?;
        let write = api.create_branch(repo, name, &start);
        api.run(write, p.dry_run, |api, v| {
            let b = api.created_branch(v)?;
            Ok(format!("Created branch {} at {}.", b.name, if b.hash.is_empty() { &start } else { &b.hash }))
        })
        .await
    }
}
