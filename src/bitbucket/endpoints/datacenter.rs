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
];
