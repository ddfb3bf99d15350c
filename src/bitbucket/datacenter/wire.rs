//! Bitbucket Data Center's JSON (REST 1.0) as it sends it, typed: each struct holds what the
//! operations read. Identities (`id`, `key`, `slug`, the page's `values` and `isLastPage`)
//! are required; a field Data Center leaves out is an `Option`; a field of another type is an
//! error, never an empty or made-up result. Dates are epoch milliseconds.

use serde::Deserialize;
use serde::de::IgnoredAny;

/// A page of a list: `values`, `isLastPage` and, when there is more, `nextPageStart`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    pub values: Vec<T>,
    pub is_last_page: bool,
    pub next_page_start: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub display_name: Option<String>,
    pub email_address: Option<String>,
}

impl User {
    /// How results name it: display name, else user name, else slug.
    #[must_use]
    pub fn label(&self) -> String {
        [&self.display_name, &self.name, &self.slug]
            .into_iter()
            .flatten()
            .find(|s| !s.is_empty())
            .cloned()
            .unwrap_or_default()
    }

    /// Whether this is `who` (name, slug, display name or e-mail, in any letter case).
    #[must_use]
    pub fn is(&self, who: &str) -> bool {
        [&self.name, &self.slug, &self.display_name, &self.email_address]
            .into_iter()
            .flatten()
            .any(|s| s.eq_ignore_ascii_case(who))
    }
}

/// How results name an optional user ("" when nobody).
#[must_use]
pub fn label(user: Option<&User>) -> String {
    user.map(User::label).unwrap_or_default()
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
    #[serde(rename = "self", default)]
    pub own: Vec<Href>,
    #[serde(default)]
    pub clone: Vec<NamedHref>,
}

impl Links {
    /// The web page of the thing linked (its first `self` link).
    #[must_use]
    pub fn web(links: Option<&Self>) -> String {
        links.and_then(|l| l.own.first()).and_then(|h| h.href.clone()).unwrap_or_default()
    }
}

#[derive(Debug, Deserialize)]
pub struct Project {
    pub key: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub public: Option<bool>,
}

#[derive(Debug, Deserialize)]
pub struct ProjectKey {
    pub key: String,
}

#[derive(Debug, Deserialize)]
pub struct Repository {
    pub id: Option<i64>,
    pub slug: String,
    pub name: Option<String>,
    pub project: Option<ProjectKey>,
    pub description: Option<String>,
    pub public: Option<bool>,
    pub links: Option<Links>,
}

/// A branch or tag: `refs/heads/x` as `id`, `x` as `displayId`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ref {
    pub id: String,
    pub display_id: String,
    pub latest_commit: Option<String>,
    pub is_default: Option<bool>,
    /// The repository of a pull request's ref.
    pub repository: Option<Repository>,
}

impl Ref {
    /// The short name, else the full one.
    #[must_use]
    pub fn name(&self) -> String {
        if self.display_id.is_empty() { self.id.clone() } else { self.display_id.clone() }
    }
}

#[derive(Debug, Deserialize)]
pub struct Participant {
    pub user: Option<User>,
    pub role: Option<String>,
    /// `APPROVED`, `NEEDS_WORK` or `UNAPPROVED`.
    pub status: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrProperties {
    pub comment_count: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PullRequest {
    pub id: i64,
    pub version: Option<i64>,
    pub title: String,
    pub state: String,
    pub draft: Option<bool>,
    pub description: Option<String>,
    pub author: Option<Participant>,
    #[serde(default)]
    pub participants: Vec<Participant>,
    #[serde(default)]
    pub reviewers: Vec<Participant>,
    pub from_ref: Option<Ref>,
    pub to_ref: Option<Ref>,
    pub created_date: Option<i64>,
    pub updated_date: Option<i64>,
    pub properties: Option<PrProperties>,
    pub links: Option<Links>,
}

impl PullRequest {
    /// The author: `author` as servers send it, else the participant whose role is AUTHOR
    /// (the 9.4 spec describes only the latter).
    #[must_use]
    pub fn author(&self) -> Option<&User> {
        let direct = self.author.as_ref().and_then(|a| a.user.as_ref()).filter(|u| !u.label().is_empty());
        direct.or_else(|| {
            self.participants
                .iter()
                .find(|p| p.role.as_deref() == Some("AUTHOR"))
                .and_then(|p| p.user.as_ref())
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Veto {
    pub summary_message: Option<String>,
    pub detailed_message: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MergeStatus {
    pub can_merge: Option<bool>,
    pub conflicted: Option<bool>,
    pub outcome: Option<String>,
    #[serde(default)]
    pub vetoes: Vec<Veto>,
}

/// Build counts of a commit (`build-status/1.0/commits/stats`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildStats {
    pub successful: Option<u64>,
    pub failed: Option<u64>,
    pub in_progress: Option<u64>,
    pub cancelled: Option<u64>,
    pub unknown: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Anchor {
    pub path: Option<AnchorPath>,
    pub line: Option<i64>,
}

/// An anchor's file: servers send the path as text; the 9.x spec describes a path object.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum AnchorPath {
    Text(String),
    Parts(Path),
}

impl AnchorPath {
    #[must_use]
    pub fn text(&self) -> String {
        match self {
            Self::Text(text) => text.clone(),
            Self::Parts(path) => path.text(),
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct Id {
    pub id: i64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Comment {
    pub id: i64,
    pub author: Option<User>,
    pub created_date: Option<i64>,
    pub text: Option<String>,
    /// `NORMAL` or `BLOCKER` (a task).
    pub severity: Option<String>,
    /// `OPEN`, `PENDING` or `RESOLVED`.
    pub state: Option<String>,
    /// Whether the thread this comment starts is resolved (8.9+).
    pub thread_resolved: Option<bool>,
    pub anchor: Option<Anchor>,
    pub parent: Option<Id>,
    /// Replies.
    #[serde(default)]
    pub comments: Vec<Comment>,
}

#[derive(Debug, Deserialize)]
pub struct Commits {
    #[serde(default)]
    pub commits: Vec<IgnoredAny>,
}

#[derive(Debug, Deserialize)]
pub struct ParticipantStatus {
    pub status: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct CommitId {
    pub id: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Activity {
    pub action: String,
    pub created_date: Option<i64>,
    pub user: Option<User>,
    pub comment_action: Option<String>,
    pub comment: Option<Comment>,
    pub comment_anchor: Option<Anchor>,
    pub added: Option<Commits>,
    pub removed: Option<Commits>,
    pub participant: Option<ParticipantStatus>,
    pub commit: Option<CommitId>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Commit {
    pub id: String,
    /// Always sent; required so that an entry without it is refused.
    pub display_id: String,
    pub author: Option<User>,
    pub author_timestamp: Option<i64>,
    pub message: Option<String>,
    #[serde(default)]
    pub parents: Vec<CommitId>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Path {
    pub to_string: Option<String>,
    pub components: Vec<String>,
}

impl Path {
    /// The path as `toString`, else its components joined.
    #[must_use]
    pub fn text(&self) -> String {
        match &self.to_string {
            Some(text) if !text.is_empty() => text.clone(),
            _ => self.components.join("/"),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    pub path: Path,
    pub src_path: Option<Path>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// `application-properties`, as `whoami` reads it.
#[derive(Debug, Deserialize)]
pub struct Properties {
    pub version: String,
}

/// What an update sends back as it was, read verbatim ([`super::BitbucketApi::get_verbatim`]):
/// `PUT .../pull-requests/{id}` replaces the whole pull request, so every field not named is
/// sent back, the reviewers above all.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrFields {
    pub version: i64,
    pub title: String,
    pub description: Option<String>,
    pub draft: Option<bool>,
    #[serde(default)]
    pub reviewers: Vec<ReviewerName>,
    pub to_ref: RefId,
}

#[derive(Debug, Deserialize)]
pub struct ReviewerName {
    pub user: UserName,
}

#[derive(Debug, Deserialize)]
pub struct UserName {
    pub name: String,
}

#[derive(Debug, Deserialize)]
pub struct RefId {
    pub id: String,
}

/// A comment as a write needs it: its `version` (every change sends it) and whether it is a
/// task (`severity` BLOCKER, resolved through `state`) or a thread (`threadResolved`).
#[derive(Debug, Deserialize)]
pub struct CommentVersion {
    pub version: i64,
    pub severity: Option<String>,
}

/// A pull request's participants, to find the current account's slug.
#[derive(Debug, Deserialize)]
pub struct Participants {
    #[serde(default)]
    pub participants: Vec<NamedParticipant>,
    #[serde(default)]
    pub reviewers: Vec<NamedParticipant>,
}

#[derive(Debug, Deserialize)]
pub struct NamedParticipant {
    pub user: UserSlug,
    pub status: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct UserSlug {
    pub name: String,
    pub slug: String,
}

/// A task (blocker comment) as the task list shows it: its replies are not read.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    pub id: i64,
    pub author: Option<User>,
    pub created_date: Option<i64>,
    pub text: Option<String>,
    /// `OPEN` or `RESOLVED`.
    pub state: Option<String>,
}

/// A structured diff (`compare/diff`): Data Center sends `diffs`; the spec describes one diff
/// at the top level, which is read as the only one.
#[derive(Debug, Deserialize)]
pub struct Diffs {
    #[serde(default)]
    pub diffs: Vec<Diff>,
    #[serde(flatten)]
    pub single: Diff,
}

#[derive(Debug, Default, Deserialize)]
pub struct Diff {
    pub source: Option<Path>,
    pub destination: Option<Path>,
    #[serde(default)]
    pub hunks: Vec<Hunk>,
    pub binary: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Hunk {
    pub source_line: Option<i64>,
    pub source_span: Option<i64>,
    pub destination_line: Option<i64>,
    pub destination_span: Option<i64>,
    #[serde(default)]
    pub segments: Vec<Segment>,
}

#[derive(Debug, Deserialize)]
pub struct Segment {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub lines: Vec<DiffLine>,
}

#[derive(Debug, Deserialize)]
pub struct DiffLine {
    #[serde(default)]
    pub line: String,
}

/// The search module's answer: its `code` category.
#[derive(Debug, Deserialize)]
pub struct SearchResults {
    pub code: Option<CodeHits>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeHits {
    #[serde(default)]
    pub values: Vec<CodeHit>,
    pub is_last_page: Option<bool>,
    pub next_start: Option<i64>,
    pub count: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeHit {
    pub repository: Option<Repository>,
    pub file: String,
    #[serde(default)]
    pub hit_contexts: Vec<Vec<HitLine>>,
}

#[derive(Debug, Deserialize)]
pub struct HitLine {
    pub line: i64,
    #[serde(default)]
    pub text: String,
}
