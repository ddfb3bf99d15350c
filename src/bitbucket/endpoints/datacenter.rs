//! Bitbucket Data Center (REST 1.0, `/rest/api/1.0/...`). Paths are written as the spec has
//! them (`/api/latest/...`); the client sends `/rest/api/1.0/...`.

use super::{Endpoint, Method};

const PAGED: &[&str] = &["start", "limit"];

pub const APPLICATION_PROPERTIES: Endpoint =
    Endpoint::new(Method::GET, "/api/latest/application-properties", &[]);
pub const PROJECTS: Endpoint = Endpoint::new(Method::GET, "/api/latest/projects", PAGED);
pub const REPOS: Endpoint = Endpoint::new(Method::GET, "/api/latest/projects/{projectKey}/repos", PAGED);
pub const REPOS_SEARCH: Endpoint =
    Endpoint::new(Method::GET, "/api/latest/repos", &["projectkey", "name", "start", "limit"]);
pub const REPO: Endpoint =
    Endpoint::new(Method::GET, "/api/latest/projects/{projectKey}/repos/{repositorySlug}", &[]);
pub const PRS: Endpoint = Endpoint::new(
    Method::GET,
    "/api/latest/projects/{projectKey}/repos/{repositorySlug}/pull-requests",
    &["state", "at", "direction", "order", "start", "limit"],
);
pub const PR: Endpoint = Endpoint::new(
    Method::GET,
    "/api/latest/projects/{projectKey}/repos/{repositorySlug}/pull-requests/{pullRequestId}",
    &[],
);
pub const PR_MERGE_STATUS: Endpoint = Endpoint::new(
    Method::GET,
    "/api/latest/projects/{projectKey}/repos/{repositorySlug}/pull-requests/{pullRequestId}/merge",
    &[],
);
pub const BUILD_STATS: Endpoint =
    Endpoint::new(Method::GET, "/build-status/latest/commits/stats/{commitId}", &[]);
pub const BUILD_STATUSES: Endpoint =
    Endpoint::new(Method::GET, "/build-status/latest/commits/{commitId}", &["start", "limit"]);
pub const INSIGHT_REPORTS: Endpoint = Endpoint::new(
    Method::GET,
    "/insights/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/reports",
    PAGED,
);
pub const INSIGHT_ANNOTATIONS: Endpoint = Endpoint::new(
    Method::GET,
    "/insights/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/reports/{key}/annotations",
    &[],
);
pub const PR_DIFF: Endpoint = Endpoint::new(
    Method::GET,
    "/api/latest/projects/{projectKey}/repos/{repositorySlug}/pull-requests/{pullRequestId}.diff",
    &[],
);
pub const PR_ACTIVITIES: Endpoint = Endpoint::new(
    Method::GET,
    "/api/latest/projects/{projectKey}/repos/{repositorySlug}/pull-requests/{pullRequestId}/activities",
    PAGED,
);
pub const PR_COMMITS: Endpoint = Endpoint::new(
    Method::GET,
    "/api/latest/projects/{projectKey}/repos/{repositorySlug}/pull-requests/{pullRequestId}/commits",
    PAGED,
);
pub const BRANCHES: Endpoint = Endpoint::new(
    Method::GET,
    "/api/latest/projects/{projectKey}/repos/{repositorySlug}/branches",
    &["filterText", "orderBy", "details", "start", "limit"],
);
pub const COMMITS: Endpoint = Endpoint::new(
    Method::GET,
    "/api/latest/projects/{projectKey}/repos/{repositorySlug}/commits",
    &["until", "path", "start", "limit"],
);
pub const COMMIT: Endpoint = Endpoint::new(
    Method::GET,
    "/api/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}",
    &[],
);
pub const COMMIT_CHANGES: Endpoint = Endpoint::new(
    Method::GET,
    "/api/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/changes",
    PAGED,
);
pub const RAW: Endpoint = Endpoint::new(
    Method::GET,
    "/api/latest/projects/{projectKey}/repos/{repositorySlug}/raw/{path}",
    &["at"],
);
pub const PR_CREATE: Endpoint = Endpoint::new(
    Method::POST,
    "/api/latest/projects/{projectKey}/repos/{repositorySlug}/pull-requests",
    &[],
);
pub const PR_COMMENT: Endpoint = Endpoint::new(
    Method::POST,
    "/api/latest/projects/{projectKey}/repos/{repositorySlug}/pull-requests/{pullRequestId}/comments",
    &[],
);
pub const PR_APPROVE: Endpoint = Endpoint::new(
    Method::POST,
    "/api/latest/projects/{projectKey}/repos/{repositorySlug}/pull-requests/{pullRequestId}/approve",
    &[],
);
pub const PR_REVIEW: Endpoint = Endpoint::new(
    Method::PUT,
    "/api/latest/projects/{projectKey}/repos/{repositorySlug}/pull-requests/{pullRequestId}/review",
    &[],
);
pub const PR_MERGE: Endpoint = Endpoint::new(
    Method::POST,
    "/api/latest/projects/{projectKey}/repos/{repositorySlug}/pull-requests/{pullRequestId}/merge",
    &["version"],
);
pub const PR_DECLINE: Endpoint = Endpoint::new(
    Method::POST,
    "/api/latest/projects/{projectKey}/repos/{repositorySlug}/pull-requests/{pullRequestId}/decline",
    &["version"],
);
/// A full replace: every field left out is cleared (reviewers above all).
pub const PR_UPDATE: Endpoint = Endpoint::new(
    Method::PUT,
    "/api/latest/projects/{projectKey}/repos/{repositorySlug}/pull-requests/{pullRequestId}",
    &[],
);
pub const PR_COMMENT_GET: Endpoint = Endpoint::new(
    Method::GET,
    "/api/latest/projects/{projectKey}/repos/{repositorySlug}/pull-requests/{pullRequestId}/comments/{commentId}",
    &[],
);
pub const PR_COMMENT_EDIT: Endpoint = Endpoint::new(
    Method::PUT,
    "/api/latest/projects/{projectKey}/repos/{repositorySlug}/pull-requests/{pullRequestId}/comments/{commentId}",
    &[],
);
pub const PR_COMMENT_DELETE: Endpoint = Endpoint::new(
    Method::DELETE,
    "/api/latest/projects/{projectKey}/repos/{repositorySlug}/pull-requests/{pullRequestId}/comments/{commentId}",
    &["version"],
);
pub const PR_UNAPPROVE: Endpoint = Endpoint::new(
    Method::DELETE,
    "/api/latest/projects/{projectKey}/repos/{repositorySlug}/pull-requests/{pullRequestId}/approve",
    &[],
);
pub const PR_PARTICIPANT_STATUS: Endpoint = Endpoint::new(
    Method::PUT,
    "/api/latest/projects/{projectKey}/repos/{repositorySlug}/pull-requests/{pullRequestId}/participants/{userSlug}",
    &[],
);

pub const TAGS: Endpoint = Endpoint::new(
    Method::GET,
    "/api/latest/projects/{projectKey}/repos/{repositorySlug}/tags",
    &["filterText", "orderBy", "start", "limit"],
);
/// Tasks (7.2+): comments of severity BLOCKER.
pub const PR_TASKS: Endpoint = Endpoint::new(
    Method::GET,
    "/api/latest/projects/{projectKey}/repos/{repositorySlug}/pull-requests/{pullRequestId}/blocker-comments",
    PAGED,
);
pub const PR_TASK_CREATE: Endpoint = Endpoint::new(
    Method::POST,
    "/api/latest/projects/{projectKey}/repos/{repositorySlug}/pull-requests/{pullRequestId}/blocker-comments",
    &[],
);
pub const PR_TASK_GET: Endpoint = Endpoint::new(
    Method::GET,
    "/api/latest/projects/{projectKey}/repos/{repositorySlug}/pull-requests/{pullRequestId}/blocker-comments/{commentId}",
    &[],
);
pub const PR_TASK_UPDATE: Endpoint = Endpoint::new(
    Method::PUT,
    "/api/latest/projects/{projectKey}/repos/{repositorySlug}/pull-requests/{pullRequestId}/blocker-comments/{commentId}",
    &[],
);
pub const PR_TASK_DELETE: Endpoint = Endpoint::new(
    Method::DELETE,
    "/api/latest/projects/{projectKey}/repos/{repositorySlug}/pull-requests/{pullRequestId}/blocker-comments/{commentId}",
    &["version"],
);

pub const COMPARE_CHANGES: Endpoint = Endpoint::new(
    Method::GET,
    "/api/latest/projects/{projectKey}/repos/{repositorySlug}/compare/changes",
    &["from", "to", "start", "limit"],
);
pub const COMPARE_COMMITS: Endpoint = Endpoint::new(
    Method::GET,
    "/api/latest/projects/{projectKey}/repos/{repositorySlug}/compare/commits",
    &["from", "to", "start", "limit"],
);
/// The spec writes this `compare/diff{path}` with a required `path`; Data Center serves
/// `compare/diff` (whole) and `compare/diff/<path>` (one file): both are in the fragment
/// `tests/specs/bitbucket-datacenter-extra.openapi.json`.
pub const COMPARE_DIFF: Endpoint = Endpoint::new(
    Method::GET,
    "/api/latest/projects/{projectKey}/repos/{repositorySlug}/compare/diff",
    &["from", "to"],
);
pub const COMPARE_DIFF_FILE: Endpoint = Endpoint::new(
    Method::GET,
    "/api/latest/projects/{projectKey}/repos/{repositorySlug}/compare/diff/{path}",
    &["from", "to"],
);
pub const BRANCH_CREATE: Endpoint =
    Endpoint::new(Method::POST, "/api/latest/projects/{projectKey}/repos/{repositorySlug}/branches", &[]);
pub const DEFAULT_REVIEWERS: Endpoint = Endpoint::new(
    Method::GET,
    "/default-reviewers/latest/projects/{projectKey}/repos/{repositorySlug}/reviewers",
    &["sourceRepoId", "targetRepoId", "sourceRefId", "targetRefId"],
);
/// Not paged by the spec: the first page (the server's default size) only.
pub const USERS: Endpoint = Endpoint::new(Method::GET, "/api/latest/users", &["filter"]);
pub const INBOX: Endpoint =
    Endpoint::new(Method::GET, "/api/latest/inbox/pull-requests", &["role", "start", "limit"]);
/// Code search: a REST module of its own, left out of the published spec (see the fragment).
pub const SEARCH: Endpoint = Endpoint::new(Method::POST, "/search/latest/search", &[]);

/// Every endpoint above (checked against the spec by `api::tests`).
pub const ENDPOINTS: &[Endpoint] = &[
    APPLICATION_PROPERTIES,
    PROJECTS,
    REPOS,
    REPOS_SEARCH,
    REPO,
    PRS,
    PR,
    PR_MERGE_STATUS,
    BUILD_STATS,
    BUILD_STATUSES,
    INSIGHT_REPORTS,
    INSIGHT_ANNOTATIONS,
    PR_DIFF,
    PR_ACTIVITIES,
    PR_COMMITS,
    BRANCHES,
    COMMITS,
    COMMIT,
    COMMIT_CHANGES,
    RAW,
    PR_CREATE,
    PR_COMMENT,
    PR_APPROVE,
    PR_REVIEW,
    PR_MERGE,
    PR_DECLINE,
    PR_UPDATE,
    PR_COMMENT_GET,
    PR_COMMENT_EDIT,
    PR_COMMENT_DELETE,
    PR_UNAPPROVE,
    PR_PARTICIPANT_STATUS,
    PR_TASKS,
    PR_TASK_CREATE,
    PR_TASK_GET,
    PR_TASK_UPDATE,
    PR_TASK_DELETE,
    TAGS,
    COMPARE_CHANGES,
    COMPARE_COMMITS,
    COMPARE_DIFF,
    COMPARE_DIFF_FILE,
    BRANCH_CREATE,
    DEFAULT_REVIEWERS,
    USERS,
    INBOX,
    SEARCH,
];
