//! The `bitbucket:repositories` tool set: projects, repositories, branches, commits, files and
//! code search.

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::params::{MAX_BRANCH, MAX_NAME, RepoArgs, branch, file_path, page_args};
use super::render;
use crate::error::Result;
use crate::params::{self, Page};
use crate::server::TrackerServer;

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
    /// Hash, full or short.
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
    /// Cloud workspace, or Data Center project key.
    pub workspace: String,
    /// Search terms.
    pub query: String,
    /// Only this repository (slug).
    pub repo: Option<String>,
    #[serde(flatten)]
    pub page: Page,
}

#[tool_router(router = bitbucket_repositories, vis = "pub(crate)")]
impl TrackerServer {
    /// Projects: a Cloud workspace's, or all on Data Center.
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

    /// Repositories, optionally by name.
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

    /// One repository: default branch, clone URLs.
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

    /// Branches, recently changed first.
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

    /// Commits of `branch` (default: main), newest first, touching `path` if given.
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

    /// One commit and the files it changed.
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

    /// A text file at `ref`, 400 lines a call (`start_line`: more); a directory is listed.
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

    /// Code search: files and matching lines.
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
}
