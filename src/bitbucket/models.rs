//! The flavour-neutral models the operations return and the tools render, and the arguments
//! of lists and writes. What each flavour sends is typed in `cloud::wire` and
//! `datacenter::wire`.

use super::endpoints::Call;

/// A repository: workspace (Cloud) or project key (Data Center), and slug.
#[derive(Debug, Clone, Copy)]
pub struct Repo<'a> {
    pub workspace: &'a str,
    pub slug: &'a str,
}

impl Repo<'_> {
    /// How errors name it: "repository acme/web".
    #[must_use]
    pub fn subject(self) -> String {
        format!("repository {}/{}", self.workspace, self.slug)
    }
}

/// `limit` and the opaque `cursor` of a list.
#[derive(Debug, Clone)]
pub struct PageArgs {
    pub limit: u32,
    pub cursor: Option<String>,
}

/// One page of a list, flavour-neutral.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub offset: u64,
    pub total: Option<u64>,
    /// The cursor of the next page.
    pub next: Option<String>,
    /// A note about the page (e.g. filtering done here rather than upstream).
    pub note: Option<String>,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            offset: self.offset,
            total: self.total,
            next: self.next,
            note: self.note,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Project {
    pub key: String,
    pub name: String,
    pub description: String,
    pub private: Option<bool>,
}

#[derive(Debug, Clone, Default)]
pub struct Repository {
    pub slug: String,
    pub name: String,
    pub project: String,
    pub description: String,
    pub private: Option<bool>,
    pub default_branch: String,
    pub language: String,
    pub updated: String,
    pub web: String,
    pub clone: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Reviewer {
    pub name: String,
    /// approved, changes requested (needs work), or not yet.
    pub verdict: String,
}

#[derive(Debug, Clone, Default)]
pub struct PullRequest {
    pub id: i64,
    pub title: String,
    pub state: String,
    pub draft: bool,
    pub author: String,
    pub source: String,
    pub target: String,
    pub created: String,
    pub updated: String,
    pub description: String,
    pub reviewers: Vec<Reviewer>,
    pub comment_count: Option<u64>,
    pub version: Option<i64>,
    /// Head commit of the source branch.
    pub source_commit: String,
    pub web: String,
    /// Mergeability (Data Center) when known.
    pub merge_status: Option<String>,
    /// Build summary when known.
    pub builds: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Comment {
    pub id: i64,
    pub parent: Option<i64>,
    pub author: String,
    pub created: String,
    pub text: String,
    pub path: Option<String>,
    pub line: Option<i64>,
    pub deleted: bool,
    pub state: String,
}

#[derive(Debug, Clone, Default)]
pub struct Commit {
    pub hash: String,
    pub author: String,
    pub date: String,
    pub message: String,
    pub parents: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Branch {
    pub name: String,
    pub hash: String,
    pub is_default: bool,
    pub date: String,
}

#[derive(Debug, Clone, Default)]
pub struct Activity {
    pub when: String,
    pub who: String,
    pub action: String,
    pub detail: String,
}

#[derive(Debug, Clone, Default)]
pub struct Change {
    pub path: String,
    pub status: String,
}

#[derive(Debug, Clone, Default)]
pub struct Issue {
    pub id: i64,
    pub title: String,
    pub state: String,
    pub kind: String,
    pub priority: String,
    pub reporter: String,
    pub assignee: String,
    pub created: String,
    pub updated: String,
    pub content: String,
    pub votes: Option<u64>,
}

#[derive(Debug, Clone, Default)]
pub struct SearchHit {
    pub repo: String,
    pub path: String,
    pub lines: Vec<(i64, String)>,
}

/// What a path at a ref holds.
#[derive(Debug, Clone)]
pub enum FileContent {
    Text(String),
    Binary { bytes: usize },
    Directory(Page<String>),
}

/// Filters of `list_pull_requests`.
#[derive(Debug, Clone, Default)]
pub struct PrFilter {
    /// OPEN, MERGED, DECLINED or ALL.
    pub state: String,
    pub author: Option<String>,
    pub reviewer: Option<String>,
    pub target: Option<String>,
}

/// A new pull request.
#[derive(Debug, Clone, Default)]
pub struct NewPullRequest {
    pub title: String,
    pub description: Option<String>,
    pub source: String,
    pub target: String,
    pub reviewers: Vec<String>,
    pub close_source_branch: bool,
    pub draft: bool,
}

/// A pull request update: only the fields named change; the others are sent back as read.
#[derive(Debug, Clone, Default)]
pub struct PrUpdate {
    pub title: Option<String>,
    pub description: Option<String>,
    /// The whole new reviewer list.
    pub reviewers: Option<Vec<String>>,
    pub target: Option<String>,
    pub draft: Option<bool>,
}

/// A new pull-request comment: general, inline (path + line), or a reply (parent).
#[derive(Debug, Clone, Default)]
pub struct NewComment {
    pub text: String,
    pub path: Option<String>,
    pub line: Option<u64>,
    pub parent: Option<u64>,
}

/// A prepared write: the call and what it concerns, sent or shown (dry run).
#[derive(Debug, Clone)]
pub struct Write {
    pub call: Call,
    pub subject: String,
    /// What a 409 means for this operation.
    pub conflict_hint: &'static str,
}

/// Two refs compared: the commits `to` has that `from` lacks, the files changed, the diff.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub commits: Page<Commit>,
    pub changes: Page<Change>,
    /// Unified diff text (of one file when a path was named).
    pub diff: String,
}

/// A person as pull requests name them: `reviewer` is the exact value `reviewers` takes.
#[derive(Debug, Clone, Default)]
pub struct Person {
    pub name: String,
    pub reviewer: String,
    /// Where a default reviewer comes from, or the account's nickname / e-mail.
    pub detail: String,
}

/// A pull request waiting for the account, with its repository (`workspace/slug`).
#[derive(Debug, Clone)]
pub struct InboxItem {
    pub repo: String,
    pub pr: PullRequest,
}
