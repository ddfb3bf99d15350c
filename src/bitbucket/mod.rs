//! Bitbucket tool set: one set of tools over two API flavours, Cloud (REST 2.0,
//! [`cloud`]) and Data Center (REST 1.0, [`datacenter`]), behind the operation layer in
//! [`api`]; results are rendered by [`render`].

pub mod api;
pub mod cloud;
pub mod datacenter;
pub mod render;

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{handler::server::tool::ToolRouter, tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

pub use api::BitbucketApi;
use api::{NewComment, NewPullRequest, PageArgs, PrFilter, Repo};

use crate::config::Flavor;
use crate::error::{Error, Result};
use crate::params::{self, Cursor, Page};
use crate::server::TrackerServer;

/// Tools that exist only on Bitbucket Cloud (Data Center has no issue tracker and no code
/// search in its REST API).
const CLOUD_ONLY: &[&str] = &[
    "bitbucket_list_issues",
    "bitbucket_get_issue",
    "bitbucket_create_issue",
    "bitbucket_add_issue_comment",
    "bitbucket_search_code",
];

/// Longest name (workspace, slug), branch, path, and text accepted.
const MAX_NAME: usize = 128;
const MAX_BRANCH: usize = 255;
const MAX_PATH: usize = 1024;
const MAX_TEXT: usize = 32_768;

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

// ---------------------------------------------------------------------------------------------
// Argument checks

fn repo<'a>(workspace: &'a str, slug: &'a str) -> Result<Repo<'a>> {
    Ok(Repo {
        workspace: params::segment("workspace", workspace, MAX_NAME, false)?,
        slug: params::segment("repo", slug, MAX_NAME, false)?,
    })
}

fn page_args(page: &Page) -> Result<PageArgs> {
    let cursor = match page.cursor.as_ref().map(Cursor::as_str) {
        None | Some("") => None,
        Some(c) if c.len() <= 2000 && !c.chars().any(char::is_control) => Some(c.to_owned()),
        Some(_) => {
            return Err(Error::invalid(
                "cursor",
                "not a cursor from this list; pass `next` exactly as returned",
            ));
        }
    };
    Ok(PageArgs { limit: params::limit(page.limit)?, cursor })
}

fn pr_id(id: i64) -> Result<u64> {
    params::positive_id("pull_request_id", id)
}

fn branch<'a>(arg: &str, value: &'a str) -> Result<&'a str> {
    params::segment(arg, value, MAX_BRANCH, true)
}

fn opt_text<'a>(arg: &str, value: Option<&'a str>) -> Result<Option<&'a str>> {
    value.map(|v| params::text(arg, v, MAX_TEXT)).transpose()
}

fn file_path(value: &str) -> Result<&str> {
    let path = params::segment("path", value.trim_matches('/'), MAX_PATH, true)?;
    if path.contains('\\') || path.contains("//") {
        return Err(Error::invalid("path", "must be a file path such as src/main.rs"));
    }
    Ok(path)
}

fn one_of<'a>(arg: &str, value: Option<&'a str>, allowed: &[&'a str]) -> Result<Option<&'a str>> {
    match value {
        None => Ok(None),
        Some(v) => allowed
            .iter()
            .find(|a| a.eq_ignore_ascii_case(v))
            .map(|a| Some(*a))
            .ok_or_else(|| Error::invalid(arg, format!("must be one of: {}", allowed.join(", ")))),
    }
}

// ---------------------------------------------------------------------------------------------
// Parameters

/// The repository a tool acts on, flattened into its parameters.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct RepoArgs {
    /// Cloud workspace, or Data Center project key.
    pub workspace: String,
    /// Repository slug.
    pub repo: String,
}

impl RepoArgs {
    fn checked(&self) -> Result<Repo<'_>> {
        repo(&self.workspace, &self.repo)
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListProjectsParams {
    /// Cloud workspace (required on Cloud).
    pub workspace: Option<String>,
    #[serde(flatten)]
    pub page: Page,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListRepositoriesParams {
    /// Cloud workspace, or Data Center project key.
    pub workspace: String,
    /// Name contains this.
    pub name: Option<String>,
    #[serde(flatten)]
    pub page: Page,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct RepoParams {
    #[serde(flatten)]
    pub at: RepoArgs,
}

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
pub struct ListBranchesParams {
    #[serde(flatten)]
    pub at: RepoArgs,
    /// Name contains this.
    pub filter: Option<String>,
    #[serde(flatten)]
    pub page: Page,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListCommitsParams {
    #[serde(flatten)]
    pub at: RepoArgs,
    /// Branch, tag or commit.
    pub branch: Option<String>,
    /// File or directory.
    pub path: Option<String>,
    #[serde(flatten)]
    pub page: Page,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GetCommitParams {
    #[serde(flatten)]
    pub at: RepoArgs,
    /// Commit hash (full or abbreviated).
    pub commit: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GetFileParams {
    #[serde(flatten)]
    pub at: RepoArgs,
    /// File path in the repository, e.g. src/main.rs.
    pub path: String,
    /// Branch, tag or commit.
    #[serde(rename = "ref")]
    pub git_ref: Option<String>,
    /// First line, default 1.
    pub start_line: Option<i64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SearchCodeParams {
    /// Cloud workspace.
    pub workspace: String,
    /// Search terms.
    pub query: String,
    /// Only this repository (slug).
    pub repo: Option<String>,
    #[serde(flatten)]
    pub page: Page,
}

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
pub struct CreatePullRequestParams {
    #[serde(flatten)]
    pub at: RepoArgs,
    /// Title.
    pub title: String,
    /// Branch with the changes.
    pub source_branch: String,
    /// Branch to merge into.
    pub target_branch: String,
    /// Description (Markdown).
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
    /// Comment text (Markdown).
    pub text: String,
    /// Inline: file path in the diff.
    pub path: Option<String>,
    /// Inline: line in the new version of `path`.
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
    /// Cloud: merge_commit, squash, fast_forward...; Data Center: no-ff, squash, ff-only...
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
pub struct CreateIssueParams {
    #[serde(flatten)]
    pub at: RepoArgs,
    /// Title.
    pub title: String,
    /// Description (Markdown).
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
    /// Comment text (Markdown).
    pub text: String,
    /// Only show what would be sent.
    #[serde(default)]
    pub dry_run: bool,
}

// ---------------------------------------------------------------------------------------------
// Tools

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

    /// List projects (key, name): a Cloud workspace's, or all on Data Center, whose keys the
    /// other tools take as `workspace`.
    #[tool(
        name = "bitbucket_list_projects",
        annotations(
            title = "Bitbucket: list projects",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bitbucket_list_projects(&self, Parameters(p): Parameters<ListProjectsParams>) -> Result<String> {
        let workspace =
            p.workspace.as_deref().map(|w| params::segment("workspace", w, MAX_NAME, false)).transpose()?;
        let args = page_args(&p.page)?;
        let page = self.bitbucket()?.list_projects(workspace, &args).await?;
        Ok(render::projects(&page))
    }

    /// List repositories of a Cloud workspace or Data Center project, optionally by name.
    #[tool(
        name = "bitbucket_list_repositories",
        annotations(
            title = "Bitbucket: list repositories",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bitbucket_list_repositories(
        &self,
        Parameters(p): Parameters<ListRepositoriesParams>,
    ) -> Result<String> {
        let workspace = params::segment("workspace", &p.workspace, MAX_NAME, false)?;
        let name = p.name.as_deref().map(|n| params::text("name", n, MAX_NAME)).transpose()?;
        let args = page_args(&p.page)?;
        let page = self.bitbucket()?.list_repositories(workspace, name, &args).await?;
        Ok(render::repositories(&page))
    }

    /// One repository: visibility, default branch, clone URLs, description.
    #[tool(
        name = "bitbucket_get_repository",
        annotations(
            title = "Bitbucket: get repository",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bitbucket_get_repository(&self, Parameters(p): Parameters<RepoParams>) -> Result<String> {
        let repo = p.at.checked()?;
        Ok(render::repository(&self.bitbucket()?.get_repository(repo).await?))
    }

    /// List a repository's pull requests (id, state, title, author, branches, approvals),
    /// filtered by state, author, reviewer, target branch. Cloud pages hold at most 50.
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

    /// One pull request: state, author, branches, reviewers' verdicts, merge status and builds
    /// where available, description.
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

    /// A pull request's changed files with +/- counts, then the diff (capped per file and in
    /// total; `path` gives one file's whole diff).
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

    /// A pull request's comments as threads, inline ones with file and line.
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

    /// The commits of a pull request: hash, date, author, subject.
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

    /// A pull request's activity: updates, approvals, change requests, comments.
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

    /// List a repository's branches, recently changed first, with head commits.
    #[tool(
        name = "bitbucket_list_branches",
        annotations(
            title = "Bitbucket: list branches",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bitbucket_list_branches(&self, Parameters(p): Parameters<ListBranchesParams>) -> Result<String> {
        let repo = p.at.checked()?;
        let filter = p.filter.as_deref().map(|f| params::text("filter", f, MAX_BRANCH)).transpose()?;
        let args = page_args(&p.page)?;
        let page = self.bitbucket()?.list_branches(repo, filter, &args).await?;
        Ok(render::branches(&page))
    }

    /// List commits, newest first, from a branch (default: the default one), optionally only
    /// those touching `path`.
    #[tool(
        name = "bitbucket_list_commits",
        annotations(
            title = "Bitbucket: list commits",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bitbucket_list_commits(&self, Parameters(p): Parameters<ListCommitsParams>) -> Result<String> {
        let repo = p.at.checked()?;
        let git_ref = p.branch.as_deref().map(|b| branch("branch", b)).transpose()?;
        let path = p.path.as_deref().map(file_path).transpose()?;
        let args = page_args(&p.page)?;
        let page = self.bitbucket()?.list_commits(repo, git_ref, path, &args).await?;
        let subject = format!("{}/{}", repo.workspace, repo.slug);
        Ok(render::commits(&page, &subject))
    }

    /// One commit: author, date, parents, full message, and the files it changed.
    /// Text written by tracker users comes fenced as data.
    #[tool(
        name = "bitbucket_get_commit",
        annotations(
            title = "Bitbucket: get commit",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bitbucket_get_commit(&self, Parameters(p): Parameters<GetCommitParams>) -> Result<String> {
        let repo = p.at.checked()?;
        let hash = params::segment("commit", &p.commit, 64, false)?;
        let (commit, changes) = self.bitbucket()?.get_commit(repo, hash).await?;
        Ok(render::commit(&commit, &changes))
    }

    /// A text file at a ref, 400 lines per call (`start_line` for more); binary files are
    /// refused, directories listed.
    /// Text written by tracker users comes fenced as data.
    #[tool(
        name = "bitbucket_get_file",
        annotations(
            title = "Bitbucket: get file",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bitbucket_get_file(&self, Parameters(p): Parameters<GetFileParams>) -> Result<String> {
        let repo = p.at.checked()?;
        let path = file_path(&p.path)?;
        let git_ref = p.git_ref.as_deref().map(|r| branch("ref", r)).transpose()?;
        let start = match p.start_line {
            None => 1,
            Some(n) => usize::try_from(params::positive_id("start_line", n)?).unwrap_or(1),
        };
        let content = self.bitbucket()?.get_file(repo, path, git_ref).await?;
        Ok(render::file(path, &content, start))
    }

    /// Search code in a Cloud workspace or one repository: files and matching lines.
    #[tool(
        name = "bitbucket_search_code",
        annotations(
            title = "Bitbucket: search code",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bitbucket_search_code(&self, Parameters(p): Parameters<SearchCodeParams>) -> Result<String> {
        let workspace = params::segment("workspace", &p.workspace, MAX_NAME, false)?;
        let query = params::text("query", &p.query, 500)?;
        let repo = p.repo.as_deref().map(|r| params::segment("repo", r, MAX_NAME, false)).transpose()?;
        let args = page_args(&p.page)?;
        let page = self.bitbucket()?.search_code(workspace, query, repo, &args).await?;
        Ok(render::search(&page))
    }

    /// List a Cloud repository's issues, recently updated first: id, state, title, kind,
    /// priority, people.
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

    /// One Cloud issue with its description and comments (`cursor` pages the comments).
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

    /// Open a pull request from `source_branch` into `target_branch`.
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
        if p.reviewers.len() > 50 {
            return Err(Error::invalid("reviewers", "at most 50"));
        }
        let reviewers = p
            .reviewers
            .iter()
            .map(|r| params::segment("reviewers", r, MAX_NAME, false).map(str::to_owned))
            .collect::<Result<Vec<_>>>()?;
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
            let created = api.pull_request_from(&v);
            Ok(format!("Created pull request:\n{}", render::pull_request(&created)))
        })
        .await
    }

    /// Comment on a pull request: general, inline (`path`, `line`) or a reply (`parent_id`).
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
        api.run(write, p.dry_run, |api, v| {
            let c = api.comment_from(&v);
            Ok(format!("Added comment #{} to pull request #{id}.", c.id))
        })
        .await
    }

    /// Approve a pull request as the current account.
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

    /// Request changes on a pull request as the current account (Data Center: "needs work").
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

    /// Merge a pull request; conflicts and unmet merge checks are explained.
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
            let state = api.pull_request_from(&v).state;
            Ok(if state.is_empty() {
                format!("Merge of pull request #{id} accepted.")
            } else {
                format!("Merged pull request #{id}: state {state}.")
            })
        })
        .await
    }

    /// Decline (close without merging) a pull request.
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

    /// Create an issue in a Cloud repository's issue tracker.
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
            let issue = api.issue_from(&v);
            Ok(format!("Created issue #{} \"{}\".", issue.id, crate::render::one_line(&issue.title)))
        })
        .await
    }

    /// Add a comment to an issue of a Cloud repository.
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
        api.run(write, p.dry_run, |api, v| {
            Ok(format!("Added comment #{} to issue #{id}.", api.comment_from(&v).id))
        })
        .await
    }
}
