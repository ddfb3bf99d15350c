//! The one seam between the tools and the two flavours: every operation the tools call, sent
//! to [`super::cloud`] or [`super::datacenter`] by one [`dispatch!`] rule. Both flavour files
//! offer each operation with the same signature; what Data Center lacks (issues)
//! it answers there with the error the tools have always given.

use serde_json::Value;

use super::ci::{CiTarget, Detail, Overview};
use super::client::BitbucketApi;
use super::models::{
    Activity, Branch, Change, Comment, Commit, Comparison, FileContent, InboxItem, Issue, NewComment,
    NewPullRequest, Page, PageArgs, Person, PrFilter, PrUpdate, Project, PullRequest, Repo, Repository,
    SearchHit, Write,
};
use super::{cloud, datacenter};
use crate::config::Flavor;
use crate::error::Result;

/// One method of [`BitbucketApi`] per operation, each sent to the flavour's function of the
/// same name: `async fn` and `fn` pass the client first; `fn name(answer)` (no `&self`) reads a
/// write's JSON answer with the flavour's wire models.
macro_rules! dispatch {
    () => {};
    ($(#[$meta:meta])* async fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty; $($rest:tt)*) => {
        $(#[$meta])*
        pub async fn $name(&self $(, $arg: $ty)*) -> $ret {
            match self.flavor() {
                Flavor::Cloud => cloud::$name(self $(, $arg)*).await,
                Flavor::DataCenter => datacenter::$name(self $(, $arg)*).await,
            }
        }
        dispatch!($($rest)*);
    };
    ($(#[$meta:meta])* fn $name:ident($arg:ident: $ty:ty) -> $ret:ty; $($rest:tt)*) => {
        $(#[$meta])*
        pub fn $name(&self, $arg: $ty) -> $ret {
            match self.flavor() {
                Flavor::Cloud => cloud::$name($arg),
                Flavor::DataCenter => datacenter::$name($arg),
            }
        }
        dispatch!($($rest)*);
    };
    ($(#[$meta:meta])* fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty; $($rest:tt)*) => {
        $(#[$meta])*
        pub fn $name(&self $(, $arg: $ty)*) -> $ret {
            match self.flavor() {
                Flavor::Cloud => cloud::$name(self $(, $arg)*),
                Flavor::DataCenter => datacenter::$name(self $(, $arg)*),
            }
        }
        dispatch!($($rest)*);
    };
}

impl BitbucketApi {
    dispatch! {
        /// The account and flavour, in one line.
        async fn whoami(&self) -> Result<String>;

        async fn list_projects(&self, workspace: Option<&str>, args: &PageArgs) -> Result<Page<Project>>;
        async fn list_repositories(
            &self,
            workspace: &str,
            name: Option<&str>,
            args: &PageArgs
        ) -> Result<Page<Repository>>;
        async fn get_repository(&self, repo: Repo<'_>) -> Result<Repository>;
        async fn list_branches(&self, repo: Repo<'_>, filter: Option<&str>, args: &PageArgs) -> Result<Page<Branch>>;
        async fn list_tags(&self, repo: Repo<'_>, filter: Option<&str>, args: &PageArgs) -> Result<Page<Branch>>;
        async fn list_commits(
            &self,
            repo: Repo<'_>,
            branch: Option<&str>,
            path: Option<&str>,
            args: &PageArgs
        ) -> Result<Page<Commit>>;
        /// A commit and the files it changed.
        async fn get_commit(&self, repo: Repo<'_>, hash: &str) -> Result<(Commit, Page<Change>)>;
        /// What a path at a ref holds (text, binary, directory).
        async fn get_file(&self, repo: Repo<'_>, path: &str, git_ref: Option<&str>) -> Result<FileContent>;
        async fn search_code(
            &self,
            workspace: &str,
            query: &str,
            repo: Option<&str>,
            args: &PageArgs
        ) -> Result<Page<SearchHit>>;

        /// What `to` has that `from` lacks: commits (`limit`), files changed, the diff.
        async fn compare(
            &self,
            repo: Repo<'_>,
            from: &str,
            to: &str,
            path: Option<&str>,
            limit: u32
        ) -> Result<Comparison>;
        /// The commit or ref a new branch starts at, as the flavour's create takes it.
        async fn branch_start(&self, repo: Repo<'_>, from: &str) -> Result<String>;
        fn create_branch(&self, repo: Repo<'_>, name: &str, from: &str) -> Write;
        /// The branch a create answered with.
        fn created_branch(answer: Value) -> Result<Branch>;
        /// Default reviewers (Data Center: of a pull request from `source` to `target`).
        async fn default_reviewers(
            &self,
            repo: Repo<'_>,
            source: Option<&str>,
            target: Option<&str>
        ) -> Result<Page<Person>>;
        /// People whose name contains `query`.
        async fn find_users(&self, workspace: &str, query: &str, args: &PageArgs) -> Result<Page<Person>>;
        /// Open pull requests the account reviews.
        async fn inbox(&self, workspace: Option<&str>, args: &PageArgs) -> Result<Page<InboxItem>>;

        async fn list_pull_requests(
            &self,
            repo: Repo<'_>,
            filter: &PrFilter,
            args: &PageArgs
        ) -> Result<Page<PullRequest>>;
        async fn get_pull_request(&self, repo: Repo<'_>, id: u64) -> Result<PullRequest>;
        /// The pull request's unified diff (text).
        async fn pull_request_diff(&self, repo: Repo<'_>, id: u64) -> Result<String>;
        async fn list_pull_request_comments(&self, repo: Repo<'_>, id: u64, args: &PageArgs) -> Result<Page<Comment>>;
        async fn list_pull_request_commits(&self, repo: Repo<'_>, id: u64, args: &PageArgs) -> Result<Page<Commit>>;
        async fn pull_request_activity(&self, repo: Repo<'_>, id: u64, args: &PageArgs) -> Result<Page<Activity>>;

        async fn list_issues(
            &self,
            repo: Repo<'_>,
            state: Option<&str>,
            query: Option<&str>,
            args: &PageArgs
        ) -> Result<Page<Issue>>;
        /// An issue and a page of its comments (`comments.limit` 0: none).
        async fn get_issue(&self, repo: Repo<'_>, id: u64, comments: &PageArgs) -> Result<(Issue, Page<Comment>)>;

        /// A pull request from a write's answer.
        fn pull_request_from(answer: Value) -> Result<PullRequest>;

        // Writes: each returns the prepared request; `run` describes or sends it.

        fn create_pull_request(&self, repo: Repo<'_>, pr: &NewPullRequest) -> Write;
        fn add_pull_request_comment(&self, repo: Repo<'_>, id: u64, comment: &NewComment) -> Write;
        fn approve_pull_request(&self, repo: Repo<'_>, id: u64) -> Write;
        fn request_changes(&self, repo: Repo<'_>, id: u64) -> Write;
        /// Merge; Data Center needs the pull request's current version (read first).
        async fn merge_pull_request(
            &self,
            repo: Repo<'_>,
            id: u64,
            strategy: Option<&str>,
            message: Option<&str>,
            close_source_branch: Option<bool>
        ) -> Result<Write>;
        async fn decline_pull_request(&self, repo: Repo<'_>, id: u64) -> Result<Write>;
        /// Change what `update` names; read first for what the flavour needs sent back.
        async fn update_pull_request(&self, repo: Repo<'_>, id: u64, update: &PrUpdate) -> Result<Write>;
        async fn edit_pull_request_comment(&self, repo: Repo<'_>, id: u64, comment: u64, text: &str) -> Result<Write>;
        async fn delete_pull_request_comment(&self, repo: Repo<'_>, id: u64, comment: u64) -> Result<Write>;
        /// Resolve (`resolved`) or reopen a comment thread or task.
        async fn resolve_pull_request_comment(
            &self,
            repo: Repo<'_>,
            id: u64,
            comment: u64,
            resolved: bool
        ) -> Result<Write>;
        async fn unapprove_pull_request(&self, repo: Repo<'_>, id: u64) -> Result<Write>;
        async fn withdraw_change_request(&self, repo: Repo<'_>, id: u64) -> Result<Write>;
        /// A pull request's tasks, as comments whose state starts with "task".
        async fn list_pull_request_tasks(&self, repo: Repo<'_>, id: u64, args: &PageArgs) -> Result<Page<Comment>>;
        fn add_pull_request_task(&self, repo: Repo<'_>, id: u64, text: &str) -> Write;
        /// Resolve (`resolved`) or reopen a task.
        async fn resolve_pull_request_task(
            &self,
            repo: Repo<'_>,
            id: u64,
            task: u64,
            resolved: bool
        ) -> Result<Write>;
        async fn delete_pull_request_task(&self, repo: Repo<'_>, id: u64, task: u64) -> Result<Write>;
        fn create_issue(
            &self,
            repo: Repo<'_>,
            title: &str,
            content: Option<&str>,
            kind: Option<&str>,
            priority: Option<&str>
        ) -> Result<Write>;
        fn add_issue_comment(&self, repo: Repo<'_>, id: u64, text: &str) -> Result<Write>;

        /// CI of a target's commit (or of one Cloud run).
        async fn ci_overview(&self, repo: Repo<'_>, target: CiTarget<'_>, limit: u32) -> Result<Overview>;
        /// A Cloud step's log and tests (`{pipeline}/{step}`), or a Data Center report's
        /// annotations (`{key}@{commit}`).
        async fn ci_detail(&self, repo: Repo<'_>, run: &str) -> Result<Detail>;
        fn run_pipeline(&self, repo: Repo<'_>, branch: &str) -> Result<Write>;
        fn stop_pipeline(&self, repo: Repo<'_>, run: &str) -> Result<Write>;
        /// What a run-pipeline answer names.
        fn started_pipeline(answer: Value) -> Result<String>;
    }

    /// An issue from a write's answer (only Cloud has issues).
    pub fn issue_from(&self, answer: Value) -> Result<Issue> {
        cloud::issue_from(answer)
    }

    /// One line for `tracker-mcp check`.
    pub async fn check(&self) -> Result<String> {
        self.whoami().await
    }
}
