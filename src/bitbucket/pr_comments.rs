//! Comment changes on pull requests (part of `bitbucket:pull_requests`): edit, delete, and
//! resolve or reopen a thread, on both flavours.

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::models::Repo;
use super::params::{MAX_TEXT, RepoArgs, pr_id};
use crate::error::Result;
use crate::params;
use crate::server::TrackerServer;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CommentWriteParams {
    #[serde(flatten)]
    pub at: RepoArgs,
    /// Pull request id.
    pub pull_request_id: i64,
    /// Comment id.
    pub comment_id: i64,
    /// Only show what would be sent.
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct EditCommentParams {
    #[serde(flatten)]
    pub at: RepoArgs,
    /// Pull request id.
    pub pull_request_id: i64,
    /// Comment id.
    pub comment_id: i64,
    /// Markdown.
    pub text: String,
    /// Only show what would be sent.
    #[serde(default)]
    pub dry_run: bool,
}

#[tool_router(router = bitbucket_pr_comments, vis = "pub(crate)")]
impl TrackerServer {
    /// Replace its text.
    #[tool(
        name = "bitbucket_edit_pull_request_comment",
        annotations(
            title = "Bitbucket: edit pull request comment",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bitbucket_edit_pull_request_comment(
        &self,
        Parameters(p): Parameters<EditCommentParams>,
    ) -> Result<String> {
        let repo = p.at.checked()?;
        let id = pr_id(p.pull_request_id)?;
        let comment = params::positive_id("comment_id", p.comment_id)?;
        let text = params::text("text", &p.text, MAX_TEXT)?;
        let api = self.bitbucket()?;
        let write = api.edit_pull_request_comment(repo, id, comment, text).await?;
        api.run(write, p.dry_run, |_, _| Ok(format!("Edited comment #{comment} of pull request #{id}.")))
            .await
    }

    /// Delete a comment.
    #[tool(
        name = "bitbucket_delete_pull_request_comment",
        annotations(
            title = "Bitbucket: delete pull request comment",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bitbucket_delete_pull_request_comment(
        &self,
        Parameters(p): Parameters<CommentWriteParams>,
    ) -> Result<String> {
        let (repo, id, comment) = comment_target(&p)?;
        let api = self.bitbucket()?;
        let write = api.delete_pull_request_comment(repo, id, comment).await?;
        api.run(write, p.dry_run, |_, _| Ok(format!("Deleted comment #{comment} of pull request #{id}.")))
            .await
    }

    /// Resolve a thread or task.
    #[tool(
        name = "bitbucket_resolve_pull_request_comment",
        annotations(
            title = "Bitbucket: resolve pull request comment",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bitbucket_resolve_pull_request_comment(
        &self,
        Parameters(p): Parameters<CommentWriteParams>,
    ) -> Result<String> {
        self.resolve_comment(&p, true).await
    }

    /// Reopen a thread or task.
    #[tool(
        name = "bitbucket_reopen_pull_request_comment",
        annotations(
            title = "Bitbucket: reopen pull request comment",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bitbucket_reopen_pull_request_comment(
        &self,
        Parameters(p): Parameters<CommentWriteParams>,
    ) -> Result<String> {
        self.resolve_comment(&p, false).await
    }
}

impl TrackerServer {
    async fn resolve_comment(&self, p: &CommentWriteParams, resolved: bool) -> Result<String> {
        let (repo, id, comment) = comment_target(p)?;
        let api = self.bitbucket()?;
        let write = api.resolve_pull_request_comment(repo, id, comment, resolved).await?;
        let done = if resolved { "Resolved" } else { "Reopened" };
        api.run(write, p.dry_run, |_, _| Ok(format!("{done} comment #{comment} of pull request #{id}.")))
            .await
    }
}

fn comment_target(p: &CommentWriteParams) -> Result<(Repo<'_>, u64, u64)> {
    Ok((p.at.checked()?, pr_id(p.pull_request_id)?, params::positive_id("comment_id", p.comment_id)?))
}
