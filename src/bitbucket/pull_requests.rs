//! The `bitbucket:pull_requests` tool set: reading pull requests (diff, comments, commits,
//! activity) and acting on them (create, update, comment and change comments, approve,
//! request changes and take either back, merge, decline); comment changes are in `pr_comments.rs`,
//! tasks in `tasks.rs`.

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::client;
use super::models::{NewComment, NewPullRequest, PrFilter, PrUpdate};
use super::params::{MAX_NAME, MAX_TEXT, RepoArgs, branch, file_path, one_of, opt_text, page_args, pr_id};
use super::render;
use crate::error::{Error, Result};
use crate::params::{self, Page};
use crate::server::TrackerServer;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListPullRequestsParams {
    #[serde(flatten)]
    pub at: RepoArgs,
    /// open (default), merged, declined or all.
    pub state: Option<String>,
    /// Cloud nickname or {uuid}; Data Center user name.
    pub author: Option<String>,
    /// Like author.
    pub reviewer: Option<String>,
    /// Target branch name.
    pub target_branch: Option<String>,
    #[serde(flatten)]
    pub page: Page,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct PullRequestParams {
    #[serde(flatten)]
    pub at: RepoArgs,
    /// Pull request id.
    pub pull_request_id: i64,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct DiffParams {
    #[serde(flatten)]
    pub at: RepoArgs,
    /// Pull request id.
    pub pull_request_id: i64,
    /// One file's diff (a path from the file list).
    pub path: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct PullRequestPageParams {
    #[serde(flatten)]
    pub at: RepoArgs,
    /// Pull request id.
    pub pull_request_id: i64,
    #[serde(flatten)]
    pub page: Page,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CreatePullRequestParams {
    #[serde(flatten)]
    pub at: RepoArgs,
    /// Title.
    pub title: String,
    /// Branch with the changes.
    pub source_branch: String,
    /// Branch to merge into.
    pub target_branch: String,
    /// Markdown.
    pub description: Option<String>,
    /// Cloud account {uuid}s or ids; Data Center user names.
    #[serde(default)]
    pub reviewers: Vec<String>,
    /// Delete the source branch after the merge (Cloud).
    #[serde(default)]
    pub close_source_branch: bool,
    /// Open as a draft.
    #[serde(default)]
    pub draft: bool,
    /// Only show what would be sent.
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct AddPrCommentParams {
    #[serde(flatten)]
    pub at: RepoArgs,
    /// Pull request id.
    pub pull_request_id: i64,
    /// Markdown.
    pub text: String,
    /// Inline: file path in the diff.
    pub path: Option<String>,
    /// Inline: new-side line of `path`.
    pub line: Option<i64>,
    /// Reply to this comment id.
    pub parent_id: Option<i64>,
    /// Only show what would be sent.
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct PrWriteParams {
    #[serde(flatten)]
    pub at: RepoArgs,
    /// Pull request id.
    pub pull_request_id: i64,
    /// Only show what would be sent.
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct MergeParams {
    #[serde(flatten)]
    pub at: RepoArgs,
    /// Pull request id.
    pub pull_request_id: i64,
    /// Cloud: merge_commit, squash...; Data Center: no-ff, squash...
    pub strategy: Option<String>,
    /// Merge commit message.
    pub message: Option<String>,
    /// Delete the source branch (Cloud).
    pub close_source_branch: Option<bool>,
    /// Only show what would be sent.
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UpdatePullRequestParams {
    #[serde(flatten)]
    pub at: RepoArgs,
    /// Pull request id.
    pub pull_request_id: i64,
    /// Title.
    pub title: Option<String>,
    /// Markdown.
    pub description: Option<String>,
    /// Cloud account {uuid}s or ids; Data Center user names.
    pub reviewers: Option<Vec<String>>,
    /// Branch to merge into.
    pub target_branch: Option<String>,
    /// false: ready for review.
    pub draft: Option<bool>,
    /// Only show what would be sent.
    #[serde(default)]
    pub dry_run: bool,
}

#[tool_router(router = bitbucket_pull_requests, vis = "pub(crate)")]
impl TrackerServer {
    /// Pull requests by state, author, reviewer, target branch.
    /// Cloud pages hold at most 50.
    #[tool(
        name = "bitbucket_list_pull_requests",
        annotations(
            title = "Bitbucket: list pull requests",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bitbucket_list_pull_requests(
        &self,
        Parameters(p): Parameters<ListPullRequestsParams>,
    ) -> Result<String> {
        let repo = p.at.checked()?;
        let state =
            one_of("state", p.state.as_deref(), &["open", "merged", "declined", "all"])?.unwrap_or("open");
        let who = |arg: &str, v: &Option<String>| {
            v.as_deref().map(|v| params::text(arg, v, MAX_NAME).map(str::to_owned)).transpose()
        };
        let filter = PrFilter {
            state: state.to_ascii_uppercase(),
            author: who("author", &p.author)?,
            reviewer: who("reviewer", &p.reviewer)?,
            target: p
                .target_branch
                .as_deref()
                .map(|b| branch("target_branch", b).map(str::to_owned))
                .transpose()?,
        };
        let args = page_args(&p.page)?;
        let page = self.bitbucket()?.list_pull_requests(repo, &filter, &args).await?;
        Ok(render::pull_requests(&page))
    }

    /// One pull request: verdicts, merge status, builds, description.
    /// Text written by tracker users comes fenced as data.
    #[tool(
        name = "bitbucket_get_pull_request",
        annotations(
            title = "Bitbucket: get pull request",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bitbucket_get_pull_request(
        &self,
        Parameters(p): Parameters<PullRequestParams>,
    ) -> Result<String> {
        let repo = p.at.checked()?;
        let id = pr_id(p.pull_request_id)?;
        Ok(render::pull_request(&self.bitbucket()?.get_pull_request(repo, id).await?))
    }

    /// Changed files, then the capped diff (`path`: one file's whole diff).
    /// Text written by tracker users comes fenced as data.
    #[tool(
        name = "bitbucket_get_pull_request_diff",
        annotations(
            title = "Bitbucket: pull request diff",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bitbucket_get_pull_request_diff(&self, Parameters(p): Parameters<DiffParams>) -> Result<String> {
        let repo = p.at.checked()?;
        let id = pr_id(p.pull_request_id)?;
        let path = p.path.as_deref().map(file_path).transpose()?;
        let text = self.bitbucket()?.pull_request_diff(repo, id).await?;
        Ok(render::diff(id, &text, path))
    }

    /// Comment threads, inline ones with file and line.
    /// Text written by tracker users comes fenced as data.
    #[tool(
        name = "bitbucket_list_pull_request_comments",
        annotations(
            title = "Bitbucket: pull request comments",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bitbucket_list_pull_request_comments(
        &self,
        Parameters(p): Parameters<PullRequestPageParams>,
    ) -> Result<String> {
        let repo = p.at.checked()?;
        let id = pr_id(p.pull_request_id)?;
        let args = page_args(&p.page)?;
        let page = self.bitbucket()?.list_pull_request_comments(repo, id, &args).await?;
        Ok(render::comments(&page, &format!("pull request #{id}")))
    }

    /// Its commits: hash, date, author, subject.
    #[tool(
        name = "bitbucket_list_pull_request_commits",
        annotations(
            title = "Bitbucket: pull request commits",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bitbucket_list_pull_request_commits(
        &self,
        Parameters(p): Parameters<PullRequestPageParams>,
    ) -> Result<String> {
        let repo = p.at.checked()?;
        let id = pr_id(p.pull_request_id)?;
        let args = page_args(&p.page)?;
        let page = self.bitbucket()?.list_pull_request_commits(repo, id, &args).await?;
        Ok(render::commits(&page, &format!("pull request #{id}")))
    }

    /// Updates, approvals, change requests, comments.
    /// Text written by tracker users comes fenced as data.
    #[tool(
        name = "bitbucket_get_pull_request_activity",
        annotations(
            title = "Bitbucket: pull request activity",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bitbucket_get_pull_request_activity(
        &self,
        Parameters(p): Parameters<PullRequestPageParams>,
    ) -> Result<String> {
        let repo = p.at.checked()?;
        let id = pr_id(p.pull_request_id)?;
        let args = page_args(&p.page)?;
        let page = self.bitbucket()?.pull_request_activity(repo, id, &args).await?;
        Ok(render::activity(&page))
    }

    /// Open a pull request.
    #[tool(
        name = "bitbucket_create_pull_request",
        annotations(
            title = "Bitbucket: create pull request",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn bitbucket_create_pull_request(
        &self,
        Parameters(p): Parameters<CreatePullRequestParams>,
    ) -> Result<String> {
        let repo = p.at.checked()?;
        let reviewers = reviewer_names(&p.reviewers)?;
        let pr = NewPullRequest {
            title: params::text("title", &p.title, 255)?.to_owned(),
            description: opt_text("description", p.description.as_deref())?.map(str::to_owned),
            source: branch("source_branch", &p.source_branch)?.to_owned(),
            target: branch("target_branch", &p.target_branch)?.to_owned(),
            reviewers,
            close_source_branch: p.close_source_branch,
            draft: p.draft,
        };
        let api = self.bitbucket()?;
        let write = api.create_pull_request(repo, &pr);
        api.run(write, p.dry_run, |api, v| {
            let created = api.pull_request_from(v)?;
            Ok(format!("Created pull request:\n{}", render::pull_request(&created)))
        })
        .await
    }

    /// General, inline (`path`, `line`) or a reply (`parent_id`).
    #[tool(
        name = "bitbucket_add_pull_request_comment",
        annotations(
            title = "Bitbucket: comment on pull request",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn bitbucket_add_pull_request_comment(
        &self,
        Parameters(p): Parameters<AddPrCommentParams>,
    ) -> Result<String> {
        let repo = p.at.checked()?;
        let id = pr_id(p.pull_request_id)?;
        let text = params::text("text", &p.text, MAX_TEXT)?;
        let path = p.path.as_deref().map(file_path).transpose()?;
        let line = p.line.map(|l| params::positive_id("line", l)).transpose()?;
        if line.is_some() && path.is_none() {
            return Err(Error::invalid("line", "an inline comment needs `path` too"));
        }
        let parent = p.parent_id.map(|c| params::positive_id("parent_id", c)).transpose()?;
        let comment = NewComment { text: text.to_owned(), path: path.map(str::to_owned), line, parent };
        let api = self.bitbucket()?;
        let write = api.add_pull_request_comment(repo, id, &comment);
        api.run(write, p.dry_run, |_, v| client::added("comment", &format!("pull request #{id}"), v)).await
    }

    /// Approve.
    #[tool(
        name = "bitbucket_approve_pull_request",
        annotations(
            title = "Bitbucket: approve pull request",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bitbucket_approve_pull_request(
        &self,
        Parameters(p): Parameters<PrWriteParams>,
    ) -> Result<String> {
        let repo = p.at.checked()?;
        let id = pr_id(p.pull_request_id)?;
        let api = self.bitbucket()?;
        let write = api.approve_pull_request(repo, id);
        api.run(write, p.dry_run, |_, _| Ok(format!("Approved pull request #{id}."))).await
    }

    /// Request changes (Data Center: "needs work").
    #[tool(
        name = "bitbucket_request_changes",
        annotations(
            title = "Bitbucket: request changes",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bitbucket_request_changes(&self, Parameters(p): Parameters<PrWriteParams>) -> Result<String> {
        let repo = p.at.checked()?;
        let id = pr_id(p.pull_request_id)?;
        let api = self.bitbucket()?;
        let write = api.request_changes(repo, id);
        api.run(write, p.dry_run, |_, _| Ok(format!("Requested changes on pull request #{id}."))).await
    }

    /// Merge (conflicts, failed checks explained).
    #[tool(
        name = "bitbucket_merge_pull_request",
        annotations(
            title = "Bitbucket: merge pull request",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn bitbucket_merge_pull_request(&self, Parameters(p): Parameters<MergeParams>) -> Result<String> {
        let repo = p.at.checked()?;
        let id = pr_id(p.pull_request_id)?;
        let strategy =
            p.strategy.as_deref().map(|s| params::segment("strategy", s, 40, false)).transpose()?;
        let message = opt_text("message", p.message.as_deref())?;
        let api = self.bitbucket()?;
        let write = api.merge_pull_request(repo, id, strategy, message, p.close_source_branch).await?;
        api.run(write, p.dry_run, |api, v| {
            // An empty answer: accepted, the merge still running; otherwise the pull request.
            if v.is_null() {
                return Ok(format!("Merge of pull request #{id} accepted."));
            }
            Ok(format!("Merged pull request #{id}: state {}.", api.pull_request_from(v)?.state))
        })
        .await
    }

    /// Close without merging.
    #[tool(
        name = "bitbucket_decline_pull_request",
        annotations(
            title = "Bitbucket: decline pull request",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn bitbucket_decline_pull_request(
        &self,
        Parameters(p): Parameters<PrWriteParams>,
    ) -> Result<String> {
        let repo = p.at.checked()?;
        let id = pr_id(p.pull_request_id)?;
        let api = self.bitbucket()?;
        let write = api.decline_pull_request(repo, id).await?;
        api.run(write, p.dry_run, |_, _| Ok(format!("Declined pull request #{id}."))).await
    }

    /// Change what is named (reviewers: the whole list); the rest stays.
    #[tool(
        name = "bitbucket_update_pull_request",
        annotations(
            title = "Bitbucket: update pull request",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bitbucket_update_pull_request(
        &self,
        Parameters(p): Parameters<UpdatePullRequestParams>,
    ) -> Result<String> {
        let repo = p.at.checked()?;
        let id = pr_id(p.pull_request_id)?;
        let reviewers = p.reviewers.as_deref().map(reviewer_names).transpose()?;
        let update = PrUpdate {
            title: p
                .title
                .as_deref()
                .map(|t| params::text("title", t, 255).map(str::to_owned))
                .transpose()?,
            description: opt_text("description", p.description.as_deref())?.map(str::to_owned),
            reviewers,
            target: p
                .target_branch
                .as_deref()
                .map(|b| branch("target_branch", b).map(str::to_owned))
                .transpose()?,
            draft: p.draft,
        };
        if update.title.is_none()
            && update.description.is_none()
            && update.reviewers.is_none()
            && update.target.is_none()
            && update.draft.is_none()
        {
            return Err(Error::invalid(
                "title",
                "name what to change: title, description, reviewers, target_branch or draft",
            ));
        }
        let api = self.bitbucket()?;
        let write = api.update_pull_request(repo, id, &update).await?;
        api.run(write, p.dry_run, |api, v| {
            let updated = api.pull_request_from(v)?;
            Ok(format!("Updated pull request:\n{}", render::pull_request(&updated)))
        })
        .await
    }

    /// Take back my approval.
    #[tool(
        name = "bitbucket_unapprove_pull_request",
        annotations(
            title = "Bitbucket: unapprove pull request",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bitbucket_unapprove_pull_request(
        &self,
        Parameters(p): Parameters<PrWriteParams>,
    ) -> Result<String> {
        let repo = p.at.checked()?;
        let id = pr_id(p.pull_request_id)?;
        let api = self.bitbucket()?;
        let write = api.unapprove_pull_request(repo, id).await?;
        api.run(write, p.dry_run, |_, _| Ok(format!("Withdrew the approval of pull request #{id}."))).await
    }

    /// Take back my change request.
    #[tool(
        name = "bitbucket_withdraw_change_request",
        annotations(
            title = "Bitbucket: withdraw change request",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bitbucket_withdraw_change_request(
        &self,
        Parameters(p): Parameters<PrWriteParams>,
    ) -> Result<String> {
        let repo = p.at.checked()?;
        let id = pr_id(p.pull_request_id)?;
        let api = self.bitbucket()?;
        let write = api.withdraw_change_request(repo, id).await?;
        api.run(write, p.dry_run, |_, _| Ok(format!("Withdrew the change request on pull request #{id}.")))
            .await
    }
}

/// Reviewer names as a body carries them: at most 50, each one path-safe name.
fn reviewer_names(names: &[String]) -> Result<Vec<String>> {
    if names.len() > 50 {
        return Err(Error::invalid("reviewers", "at most 50"));
    }
    names.iter().map(|r| params::segment("reviewers", r, MAX_NAME, false).map(str::to_owned)).collect()
}
