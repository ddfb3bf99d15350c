//! The `bitbucket:issues` tool set: a Cloud repository's issue tracker (Data Center has none,
//! so the whole set is offered on Cloud only).

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::client;
use super::params::{MAX_TEXT, RepoArgs, one_of, opt_text, page_args};
use super::render;
use crate::error::{Error, Result};
use crate::params::{self, Cursor, Page};
use crate::server::TrackerServer;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListIssuesParams {
    #[serde(flatten)]
    pub at: RepoArgs,
    /// new, open, resolved, on hold, invalid, duplicate, wontfix or closed.
    pub state: Option<String>,
    /// Title contains this.
    pub query: Option<String>,
    #[serde(flatten)]
    pub page: Page,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GetIssueParams {
    #[serde(flatten)]
    pub at: RepoArgs,
    /// Issue id.
    pub issue_id: i64,
    /// Comments to show, 0-100, default 20.
    pub comments: Option<i64>,
    /// `next` of the prior comment page.
    pub cursor: Option<Cursor>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CreateIssueParams {
    #[serde(flatten)]
    pub at: RepoArgs,
    /// Title.
    pub title: String,
    /// Markdown.
    pub content: Option<String>,
    /// bug, enhancement, proposal or task.
    pub kind: Option<String>,
    /// trivial, minor, major, critical or blocker.
    pub priority: Option<String>,
    /// Only show what would be sent.
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct AddIssueCommentParams {
    #[serde(flatten)]
    pub at: RepoArgs,
    /// Issue id.
    pub issue_id: i64,
    /// Markdown.
    pub text: String,
    /// Only show what would be sent.
    #[serde(default)]
    pub dry_run: bool,
}

#[tool_router(router = bitbucket_issues, vis = "pub(crate)")]
impl TrackerServer {
    /// Issues, recently updated first.
    #[tool(
        name = "bitbucket_list_issues",
        annotations(
            title = "Bitbucket: list issues",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bitbucket_list_issues(&self, Parameters(p): Parameters<ListIssuesParams>) -> Result<String> {
        let repo = p.at.checked()?;
        let state = one_of(
            "state",
            p.state.as_deref(),
            &["new", "open", "resolved", "on hold", "invalid", "duplicate", "wontfix", "closed"],
        )?;
        let query = p.query.as_deref().map(|q| params::text("query", q, 200)).transpose()?;
        let args = page_args(&p.page)?;
        let page = self.bitbucket()?.list_issues(repo, state, query, &args).await?;
        Ok(render::issues(&page))
    }

    /// One issue with its comments (`cursor` pages them).
    /// Text written by tracker users comes fenced as data.
    #[tool(
        name = "bitbucket_get_issue",
        annotations(
            title = "Bitbucket: get issue",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bitbucket_get_issue(&self, Parameters(p): Parameters<GetIssueParams>) -> Result<String> {
        let repo = p.at.checked()?;
        let id = params::positive_id("issue_id", p.issue_id)?;
        let comments = match p.comments {
            None => 20,
            Some(0) => 0,
            Some(n) => {
                params::limit(Some(n)).map_err(|_| Error::invalid("comments", "must be from 0 to 100"))?
            }
        };
        let mut args = page_args(&Page { limit: None, cursor: p.cursor.clone() })?;
        args.limit = comments;
        let (issue, page) = self.bitbucket()?.get_issue(repo, id, &args).await?;
        Ok(render::issue(&issue, &page))
    }

    /// File an issue.
    #[tool(
        name = "bitbucket_create_issue",
        annotations(
            title = "Bitbucket: create issue",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn bitbucket_create_issue(&self, Parameters(p): Parameters<CreateIssueParams>) -> Result<String> {
        let repo = p.at.checked()?;
        let title = params::text("title", &p.title, 255)?;
        let content = opt_text("content", p.content.as_deref())?;
        let kind = one_of("kind", p.kind.as_deref(), &["bug", "enhancement", "proposal", "task"])?;
        let priority =
            one_of("priority", p.priority.as_deref(), &["trivial", "minor", "major", "critical", "blocker"])?;
        let api = self.bitbucket()?;
        let write = api.create_issue(repo, title, content, kind, priority)?;
        api.run(write, p.dry_run, |api, v| {
            let issue = api.issue_from(v)?;
            Ok(format!("Created issue #{} \"{}\".", issue.id, crate::render::one_line(&issue.title)))
        })
        .await
    }

    /// Comment on an issue.
    #[tool(
        name = "bitbucket_add_issue_comment",
        annotations(
            title = "Bitbucket: comment on issue",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn bitbucket_add_issue_comment(
        &self,
        Parameters(p): Parameters<AddIssueCommentParams>,
    ) -> Result<String> {
        let repo = p.at.checked()?;
        let id = params::positive_id("issue_id", p.issue_id)?;
        let text = params::text("text", &p.text, MAX_TEXT)?;
        let api = self.bitbucket()?;
        let write = api.add_issue_comment(repo, id, text)?;
        api.run(write, p.dry_run, |_, v| client::added("comment", &format!("issue #{id}"), v)).await
    }
}
