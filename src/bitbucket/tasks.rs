//! Pull request tasks (part of `bitbucket:pull_requests`): list, add, resolve or reopen, and
//! delete them. Open tasks veto a merge. Cloud has its own task resource; Data Center's tasks
//! are blocker comments (7.2+), so there a task id is a comment id.

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::params::{MAX_TEXT, RepoArgs, page_args, pr_id};
use super::render;
use crate::error::Result;
use crate::params::{self, Page};
use crate::server::TrackerServer;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct TasksParams {
    #[serde(flatten)]
    pub at: RepoArgs,
    /// Pull request id.
    pub pull_request_id: i64,
    #[serde(flatten)]
    pub page: Page,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct AddTaskParams {
    #[serde(flatten)]
    pub at: RepoArgs,
    /// Pull request id.
    pub pull_request_id: i64,
    /// Markdown.
    pub text: String,
    /// Only show what would be sent.
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct TaskParams {
    #[serde(flatten)]
    pub at: RepoArgs,
    /// Pull request id.
    pub pull_request_id: i64,
    /// Task id.
    pub task_id: i64,
    /// Only show what would be sent.
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ResolveTaskParams {
    #[serde(flatten)]
    pub task: TaskParams,
    /// true: open it again.
    #[serde(default)]
    pub reopen: bool,
}

#[tool_router(router = bitbucket_tasks, vis = "pub(crate)")]
impl TrackerServer {
    /// Tasks (open ones block a merge).
    /// Text written by tracker users comes fenced as data.
    #[tool(
        name = "bitbucket_list_pull_request_tasks",
        annotations(
            title = "Bitbucket: pull request tasks",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bitbucket_list_pull_request_tasks(
        &self,
        Parameters(p): Parameters<TasksParams>,
    ) -> Result<String> {
        let repo = p.at.checked()?;
        let id = pr_id(p.pull_request_id)?;
        let args = page_args(&p.page)?;
        let page = self.bitbucket()?.list_pull_request_tasks(repo, id, &args).await?;
        Ok(render::tasks(&page, id))
    }

    /// Add a task.
    #[tool(
        name = "bitbucket_add_pull_request_task",
        annotations(
            title = "Bitbucket: add pull request task",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn bitbucket_add_pull_request_task(
        &self,
        Parameters(p): Parameters<AddTaskParams>,
    ) -> Result<String> {
        let repo = p.at.checked()?;
        let id = pr_id(p.pull_request_id)?;
        let text = params::text("text", &p.text, MAX_TEXT)?;
        let api = self.bitbucket()?;
        let write = api.add_pull_request_task(repo, id, text);
        api.run(write, p.dry_run, |_, v| super::client::added("task", &format!("pull request #{id}"), v))
            .await
    }

    /// Resolve a task (`reopen`: open it again).
    #[tool(
        name = "bitbucket_resolve_pull_request_task",
        annotations(
            title = "Bitbucket: resolve pull request task",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bitbucket_resolve_pull_request_task(
        &self,
        Parameters(p): Parameters<ResolveTaskParams>,
    ) -> Result<String> {
        let (repo, id, task) = task_target(&p.task)?;
        let api = self.bitbucket()?;
        let write = api.resolve_pull_request_task(repo, id, task, !p.reopen).await?;
        let done = if p.reopen { "Reopened" } else { "Resolved" };
        api.run(write, p.task.dry_run, |_, _| Ok(format!("{done} task #{task} of pull request #{id}."))).await
    }

    /// Delete a task.
    #[tool(
        name = "bitbucket_delete_pull_request_task",
        annotations(
            title = "Bitbucket: delete pull request task",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bitbucket_delete_pull_request_task(
        &self,
        Parameters(p): Parameters<TaskParams>,
    ) -> Result<String> {
        let (repo, id, task) = task_target(&p)?;
        let api = self.bitbucket()?;
        let write = api.delete_pull_request_task(repo, id, task).await?;
        api.run(write, p.dry_run, |_, _| Ok(format!("Deleted task #{task} of pull request #{id}."))).await
    }
}

fn task_target(p: &TaskParams) -> Result<(super::models::Repo<'_>, u64, u64)> {
    Ok((p.at.checked()?, pr_id(p.pull_request_id)?, params::positive_id("task_id", p.task_id)?))
}
