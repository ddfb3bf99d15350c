//! Bitbucket Cloud's JSON (REST 2.0) as it sends it, typed: each struct holds what the
//! operations read. Identities (`id`, `hash`, `name`, the page's `values`) are required; a
//! field Cloud leaves out or sends as `null` is an `Option`; a field of another type is an
//! error, never an empty or made-up result.

use serde::Deserialize;

/// A page of a list: `values`, and `next` when there is more.
#[derive(Debug, Deserialize)]
pub struct Page<T> {
    pub values: Vec<T>,
    pub next: Option<String>,
    pub size: Option<u64>,
}

/// A user or team account (`null` where nobody is set: an unassigned issue).
#[derive(Debug, Default, Deserialize)]
pub struct Account {
    pub display_name: Option<String>,
    pub nickname: Option<String>,
    pub uuid: Option<String>,
}

impl Account {
    /// How results name it: display name, else nickname, else UUID.
    #[must_use]
    pub fn label(&self) -> String {
        [&self.display_name, &self.nickname, &self.uuid]
            .into_iter()
            .flatten()
            .find(|s| !s.is_empty())
            .cloned()
            .unwrap_or_default()
    }
}

/// How results name an optional account ("" when nobody).
#[must_use]
pub fn label(account: Option<&Account>) -> String {
    account.map(Account::label).unwrap_or_default()
}

#[derive(Debug, Deserialize)]
pub struct Href {
    pub href: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct NamedHref {
    pub name: Option<String>,
    pub href: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Links {
    pub html: Option<Href>,
    #[serde(default)]
    pub clone: Vec<NamedHref>,
}

impl Links {
    /// The web page of the thing linked.
    #[must_use]
    pub fn web(links: Option<&Self>) -> String {
        links.and_then(|l| l.html.as_ref()).and_then(|h| h.href.clone()).unwrap_or_default()
    }
}

/// Text with its markup: Cloud's `{raw, markup, html}`.
#[derive(Debug, Deserialize)]
pub struct Rendered {
    pub raw: Option<String>,
}

impl Rendered {
    #[must_use]
    pub fn raw(text: Option<&Self>) -> String {
        text.and_then(|t| t.raw.clone()).unwrap_or_default()
    }
}

#[derive(Debug, Deserialize)]
pub struct Key {
    pub key: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Slug {
    pub slug: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Named {
    pub name: String,
}

#[derive(Debug, Deserialize)]
pub struct Hash {
    pub hash: String,
}

#[derive(Debug, Deserialize)]
pub struct Id {
    pub id: i64,
}

#[derive(Debug, Deserialize)]
pub struct Project {
    pub key: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub is_private: Option<bool>,
}

#[derive(Debug, Deserialize)]
pub struct Repository {
    pub slug: Option<String>,
    pub full_name: String,
    pub name: Option<String>,
    pub project: Option<Key>,
    pub workspace: Option<Slug>,
    pub description: Option<String>,
    pub is_private: Option<bool>,
    pub mainbranch: Option<Named>,
    pub language: Option<String>,
    pub updated_on: Option<String>,
    pub links: Option<Links>,
}

/// One side of a pull request: branch and head commit.
#[derive(Debug, Deserialize)]
pub struct Side {
    pub branch: Option<Named>,
    pub commit: Option<Hash>,
}

#[derive(Debug, Deserialize)]
pub struct Participant {
    pub user: Option<Account>,
    pub role: Option<String>,
    pub approved: Option<bool>,
    /// `approved`, `changes_requested` or `null`.
    pub state: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct PullRequest {
    pub id: i64,
    pub title: String,
    pub state: String,
    pub draft: Option<bool>,
    pub author: Option<Account>,
    pub source: Option<Side>,
    pub destination: Option<Side>,
    pub created_on: Option<String>,
    pub updated_on: Option<String>,
    pub description: Option<String>,
    pub summary: Option<Rendered>,
    #[serde(default)]
    pub participants: Vec<Participant>,
    #[serde(default)]
    pub reviewers: Vec<Account>,
    pub comment_count: Option<u64>,
    pub links: Option<Links>,
}

/// A commit status (a build) of a pull request.
#[derive(Debug, Deserialize)]
pub struct Status {
    pub state: Option<String>,
    pub name: Option<String>,
    pub key: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Inline {
    pub path: String,
    pub to: Option<i64>,
    pub from: Option<i64>,
}

#[derive(Debug, Deserialize)]
pub struct Comment {
    pub id: i64,
    pub parent: Option<Id>,
    pub user: Option<Account>,
    pub created_on: Option<String>,
    pub content: Option<Rendered>,
    pub inline: Option<Inline>,
    pub deleted: Option<bool>,
    pub pending: Option<bool>,
    /// Set while the comment's thread is resolved.
    pub resolution: Option<Resolution>,
}

#[derive(Debug, Deserialize)]
pub struct Resolution {
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Deserialize)]
pub struct CommitAuthor {
    pub user: Option<Account>,
    pub raw: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Commit {
    pub hash: String,
    pub author: Option<CommitAuthor>,
    pub date: Option<String>,
    pub message: Option<String>,
    #[serde(default)]
    pub parents: Vec<Hash>,
}

#[derive(Debug, Deserialize)]
pub struct Update {
    pub date: Option<String>,
    pub author: Option<Account>,
    pub state: Option<String>,
    pub title: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Verdict {
    pub date: Option<String>,
    pub user: Option<Account>,
}

/// One entry of a pull request's activity: exactly one of these is set.
#[derive(Debug, Deserialize)]
pub struct Activity {
    pub update: Option<Update>,
    pub approval: Option<Verdict>,
    pub changes_requested: Option<Verdict>,
    pub comment: Option<Comment>,
}

#[derive(Debug, Deserialize)]
pub struct Target {
    pub hash: Option<String>,
    pub date: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Branch {
    pub name: String,
    pub target: Option<Target>,
}

#[derive(Debug, Deserialize)]
pub struct FilePath {
    pub path: String,
}

#[derive(Debug, Deserialize)]
pub struct DiffStat {
    pub status: String,
    pub lines_added: Option<u64>,
    pub lines_removed: Option<u64>,
    pub new: Option<FilePath>,
    pub old: Option<FilePath>,
}

#[derive(Debug, Deserialize)]
pub struct SearchRepository {
    pub full_name: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct SearchCommit {
    pub repository: Option<SearchRepository>,
}

#[derive(Debug, Deserialize)]
pub struct SearchFile {
    pub path: String,
    pub commit: Option<SearchCommit>,
}

#[derive(Debug, Deserialize)]
pub struct Segment {
    pub text: String,
}

#[derive(Debug, Deserialize)]
pub struct Line {
    pub line: i64,
    #[serde(default)]
    pub segments: Vec<Segment>,
}

#[derive(Debug, Deserialize)]
pub struct ContentMatch {
    #[serde(default)]
    pub lines: Vec<Line>,
}

#[derive(Debug, Deserialize)]
pub struct SearchHit {
    pub file: SearchFile,
    #[serde(default)]
    pub content_matches: Vec<ContentMatch>,
}

#[derive(Debug, Deserialize)]
pub struct Issue {
    pub id: i64,
    pub title: String,
    pub state: Option<String>,
    pub kind: Option<String>,
    pub priority: Option<String>,
    pub reporter: Option<Account>,
    pub assignee: Option<Account>,
    pub created_on: Option<String>,
    pub updated_on: Option<String>,
    pub content: Option<Rendered>,
    pub votes: Option<u64>,
}

/// One entry of a `/src` directory listing.
#[derive(Debug, Deserialize)]
pub struct TreeEntry {
    #[serde(rename = "type")]
    pub kind: String,
    pub path: String,
}

/// `/user`: the account the token acts as.
#[derive(Debug, Deserialize)]
pub struct CurrentUser {
    pub display_name: String,
    pub nickname: Option<String>,
    pub uuid: Option<String>,
}

/// A workspace membership or an effective default reviewer: an account, and (a reviewer)
/// whether the repository or its project names it.
#[derive(Debug, Deserialize)]
pub struct Member {
    pub user: Option<Account>,
    pub reviewer_type: Option<String>,
}

/// What an update sends back as it was, read verbatim ([`super::BitbucketApi::get_verbatim`]):
/// the title the body must carry, and the fields a `PUT` without them would lose.
#[derive(Debug, Deserialize)]
pub struct PrFields {
    pub title: String,
    pub description: Option<String>,
    pub draft: Option<bool>,
    /// `None` when the answer has no list (then none is sent back).
    pub reviewers: Option<Vec<AccountId>>,
}

/// An account as a body names it.
#[derive(Debug, Deserialize)]
pub struct AccountId {
    pub uuid: String,
}

/// A pull request task (`id`, `state` and `content` are what it is).
#[derive(Debug, Deserialize)]
pub struct Task {
    pub id: i64,
    /// `RESOLVED` or `UNRESOLVED`.
    pub state: String,
    pub content: Rendered,
    pub creator: Option<Account>,
    pub created_on: Option<String>,
    /// The comment the task hangs on, when it has one.
    pub comment: Option<Id>,
}
