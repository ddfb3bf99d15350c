//! The `bitbucket:ci` tool set: what CI says about a pull request, branch or commit (Cloud
//! Pipelines runs, steps, a step's log and tests; Data Center build statuses and Code Insights
//! reports with their annotations), and running or stopping a Cloud pipeline. "Why did CI
//! fail?" takes two calls: `ci` names the failing step or report and the `run` that shows why.

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::ci::{self, CiTarget};
use super::params::{RepoArgs, branch, page_args, pr_id};
use crate::error::{Error, Result};
use crate::params::{self, Page};
use crate::server::TrackerServer;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CiParams {
    #[serde(flatten)]
    pub at: RepoArgs,
    /// Pull request id.
    pub pull_request_id: Option<i64>,
    /// Branch, commit, or run: ref from ci.
    #[serde(rename = "ref")]
    pub git_ref: Option<String>,
    #[serde(flatten)]
    pub page: Page,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct RunPipelineParams {
    #[serde(flatten)]
    pub at: RepoArgs,
    /// Branch, or run: ref from ci.
    #[serde(rename = "ref")]
    pub git_ref: String,
    /// Only show what would be sent.
    #[serde(default)]
    pub dry_run: bool,
}

/// What `ref` names: a run ci showed (`run:<id>`; git refs cannot hold `:`), else a commit
/// (7-40 hex digits) or a branch.
enum Named<'a> {
    Run(&'a str),
    Target(CiTarget<'a>),
}

fn named(value: &str) -> Result<Named<'_>> {
    let value = branch("ref", value.trim())?;
    if let Some(run) = value.strip_prefix("run:") {
        return Ok(Named::Run(params::segment("ref", run, 200, true)?));
    }
    let commit = (7..=40).contains(&value.len()) && value.chars().all(|c| c.is_ascii_hexdigit());
    Ok(Named::Target(if commit { CiTarget::Commit(value) } else { CiTarget::Branch(value) }))
}

#[tool_router(router = bitbucket_ci, vis = "pub(crate)")]
impl TrackerServer {
    /// Why CI failed: runs of a pull request or `ref`; a failing step's log by its ref.
    /// Cloud: the runs of the commit, newest first, and the newest run's steps; `run` of a
    /// pipeline shows it with its steps, `run` of a step shows its log (tail first, terminal
    /// escapes stripped, `cursor` reads earlier) and its test report. Data Center: the commit's
    /// build statuses and Code Insights reports; `run` of a report shows its annotations.
    /// Log text comes fenced as data.
    #[tool(
        name = "bitbucket_get_ci",
        annotations(
            title = "Bitbucket: CI status and logs",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bitbucket_get_ci(&self, Parameters(p): Parameters<CiParams>) -> Result<String> {
        let repo = p.at.checked()?;
        let args = page_args(&p.page)?;
        let api = self.bitbucket()?;
        let named = match (p.pull_request_id, p.git_ref.as_deref()) {
            (Some(id), None) => Named::Target(CiTarget::PullRequest(pr_id(id)?)),
            (None, Some(r)) => named(r)?,
            (Some(_), Some(_)) => return Err(Error::invalid("ref", "give pull_request_id or ref, not both")),
            (None, None) => {
                return Err(Error::invalid(
                    "pull_request_id",
                    "name a pull request, or a branch or commit as `ref`",
                ));
            }
        };
        match named {
            // A Cloud pipeline (no `/`) is shown with its steps; a step or report, in detail.
            Named::Run(run) if run.contains('/') || api.flavor() == crate::config::Flavor::DataCenter => {
                let from_end = match args.cursor.as_deref() {
                    None => 0,
                    Some(c) => params::offset_cursor(c).ok_or_else(|| {
                        Error::invalid("cursor", "pass the `next: cursor=` value of the log exactly")
                    })? as usize,
                };
                let mut detail = api.ci_detail(repo, run).await?;
                detail.from_end = from_end;
                Ok(ci::detail(&detail))
            }
            Named::Run(run) => {
                Ok(ci::overview(&api.ci_overview(repo, CiTarget::Run(run), args.limit).await?))
            }
            Named::Target(target) => Ok(ci::overview(&api.ci_overview(repo, target, args.limit).await?)),
        }
    }
}

/// Data Center has no Pipelines: these are served on Cloud only.
#[tool_router(router = bitbucket_ci_cloud, vis = "pub(crate)")]
impl TrackerServer {
    /// Run a branch's Cloud pipeline.
    #[tool(
        name = "bitbucket_run_pipeline",
        annotations(
            title = "Bitbucket: run pipeline",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn bitbucket_run_pipeline(&self, Parameters(p): Parameters<RunPipelineParams>) -> Result<String> {
        let repo = p.at.checked()?;
        let Named::Target(CiTarget::Branch(name)) = named(&p.git_ref)? else {
            return Err(Error::invalid("ref", "name the branch to run the pipeline on"));
        };
        let api = self.bitbucket()?;
        let write = api.run_pipeline(repo, name)?;
        api.run(write, p.dry_run, |api, v| Ok(format!("Started {}.", api.started_pipeline(v)?))).await
    }

    /// Stop a Cloud pipeline.
    #[tool(
        name = "bitbucket_stop_pipeline",
        annotations(
            title = "Bitbucket: stop pipeline",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bitbucket_stop_pipeline(&self, Parameters(p): Parameters<RunPipelineParams>) -> Result<String> {
        let repo = p.at.checked()?;
        let Named::Run(run) = named(&p.git_ref)? else {
            return Err(Error::invalid("ref", "name the run to stop: its run: ref as ci shows it"));
        };
        let api = self.bitbucket()?;
        let write = api.stop_pipeline(repo, run)?;
        api.run(write, p.dry_run, |_, _| Ok(format!("Stopped pipeline run:{run}."))).await
    }
}
