//! Bitbucket Cloud (REST 2.0, `<url>/2.0/...`).

use super::{Endpoint, Method};

const PAGED: &[&str] = &["page", "pagelen"];
const FILTERED: &[&str] = &["q", "sort", "page", "pagelen"];

pub const USER: Endpoint = Endpoint::new(Method::GET, "/user", &[]);
pub const PROJECTS: Endpoint = Endpoint::new(Method::GET, "/workspaces/{workspace}/projects", PAGED);
pub const REPOS: Endpoint = Endpoint::new(Method::GET, "/repositories/{workspace}", FILTERED);
pub const REPO: Endpoint = Endpoint::new(Method::GET, "/repositories/{workspace}/{repo_slug}", &[]);
pub const PRS: Endpoint = Endpoint::new(
    Method::GET,
    "/repositories/{workspace}/{repo_slug}/pullrequests",
    &["state", "q", "page", "pagelen"],
);
pub const PR: Endpoint =
    Endpoint::new(Method::GET, "/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}", &[]);
pub const PR_STATUSES: Endpoint = Endpoint::new(
    Method::GET,
    "/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/statuses",
    &["pagelen"],
);
pub const PIPELINES: Endpoint = Endpoint::new(
    Method::GET,
    "/repositories/{workspace}/{repo_slug}/pipelines",
    &["target.commit.hash", "page", "pagelen"],
);
pub const PIPELINE: Endpoint =
    Endpoint::new(Method::GET, "/repositories/{workspace}/{repo_slug}/pipelines/{pipeline_uuid}", &[]);
pub const PIPELINE_STEPS: Endpoint = Endpoint::new(
    Method::GET,
    "/repositories/{workspace}/{repo_slug}/pipelines/{pipeline_uuid}/steps",
    PAGED,
);
/// `text/plain`: an `Accept: application/json` gets 406.
pub const STEP_LOG: Endpoint = Endpoint::new(
    Method::GET,
    "/repositories/{workspace}/{repo_slug}/pipelines/{pipeline_uuid}/steps/{step_uuid}/log",
    &[],
);
pub const TEST_REPORTS: Endpoint = Endpoint::new(
    Method::GET,
    "/repositories/{workspace}/{repo_slug}/pipelines/{pipeline_uuid}/steps/{step_uuid}/test_reports",
    &[],
);
pub const TEST_CASES: Endpoint = Endpoint::new(
    Method::GET,
    "/repositories/{workspace}/{repo_slug}/pipelines/{pipeline_uuid}/steps/{step_uuid}/test_reports/test_cases",
    PAGED,
);
pub const PIPELINE_RUN: Endpoint =
    Endpoint::new(Method::POST, "/repositories/{workspace}/{repo_slug}/pipelines", &[]);
pub const PIPELINE_STOP: Endpoint = Endpoint::new(
    Method::POST,
    "/repositories/{workspace}/{repo_slug}/pipelines/{pipeline_uuid}/stopPipeline",
    &[],
);
pub const PR_DIFF: Endpoint = Endpoint::new(
    Method::GET,
    "/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/diff",
    &[],
);
pub const PR_COMMENTS: Endpoint = Endpoint::new(
    Method::GET,
    "/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/comments",
    PAGED,
);
pub const PR_COMMITS: Endpoint = Endpoint::new(
    Method::GET,
    "/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/commits",
    PAGED,
);
pub const PR_ACTIVITY: Endpoint = Endpoint::new(
    Method::GET,
    "/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/activity",
    PAGED,
);
pub const BRANCHES: Endpoint =
    Endpoint::new(Method::GET, "/repositories/{workspace}/{repo_slug}/refs/branches", FILTERED);
pub const COMMITS_AT: Endpoint = Endpoint::new(
    Method::GET,
    "/repositories/{workspace}/{repo_slug}/commits/{revision}",
    &["path", "page", "pagelen"],
);
pub const COMMIT: Endpoint =
    Endpoint::new(Method::GET, "/repositories/{workspace}/{repo_slug}/commit/{commit}", &[]);
pub const DIFFSTAT: Endpoint =
    Endpoint::new(Method::GET, "/repositories/{workspace}/{repo_slug}/diffstat/{spec}", PAGED);
pub const SRC: Endpoint =
    Endpoint::new(Method::GET, "/repositories/{workspace}/{repo_slug}/src/{commit}/{path}", &[]);
pub const SEARCH: Endpoint =
    Endpoint::new(Method::GET, "/workspaces/{workspace}/search/code", &["search_query", "page", "pagelen"]);
pub const ISSUES: Endpoint =
    Endpoint::new(Method::GET, "/repositories/{workspace}/{repo_slug}/issues", FILTERED);
pub const ISSUE: Endpoint =
    Endpoint::new(Method::GET, "/repositories/{workspace}/{repo_slug}/issues/{issue_id}", &[]);
pub const ISSUE_COMMENTS: Endpoint =
    Endpoint::new(Method::GET, "/repositories/{workspace}/{repo_slug}/issues/{issue_id}/comments", FILTERED);
pub const PR_CREATE: Endpoint =
    Endpoint::new(Method::POST, "/repositories/{workspace}/{repo_slug}/pullrequests", &[]);
pub const PR_COMMENT: Endpoint = Endpoint::new(
    Method::POST,
    "/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/comments",
    &[],
);
pub const PR_APPROVE: Endpoint = Endpoint::new(
    Method::POST,
    "/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/approve",
    &[],
);
pub const PR_REQUEST_CHANGES: Endpoint = Endpoint::new(
    Method::POST,
    "/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/request-changes",
    &[],
);
pub const PR_MERGE: Endpoint = Endpoint::new(
    Method::POST,
    "/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/merge",
    &[],
);
pub const PR_DECLINE: Endpoint = Endpoint::new(
    Method::POST,
    "/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/decline",
    &[],
);
pub const ISSUE_CREATE: Endpoint =
    Endpoint::new(Method::POST, "/repositories/{workspace}/{repo_slug}/issues", &[]);
pub const ISSUE_COMMENT: Endpoint =
    Endpoint::new(Method::POST, "/repositories/{workspace}/{repo_slug}/issues/{issue_id}/comments", &[]);
pub const PR_UPDATE: Endpoint =
    Endpoint::new(Method::PUT, "/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}", &[]);
pub const PR_COMMENT_EDIT: Endpoint = Endpoint::new(
    Method::PUT,
    "/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/comments/{comment_id}",
    &[],
);
pub const PR_COMMENT_DELETE: Endpoint = Endpoint::new(
    Method::DELETE,
    "/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/comments/{comment_id}",
    &[],
);
pub const PR_COMMENT_RESOLVE: Endpoint = Endpoint::new(
    Method::POST,
    "/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/comments/{comment_id}/resolve",
    &[],
);
pub const PR_COMMENT_REOPEN: Endpoint = Endpoint::new(
    Method::DELETE,
    "/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/comments/{comment_id}/resolve",
    &[],
);
pub const PR_UNAPPROVE: Endpoint = Endpoint::new(
    Method::DELETE,
    "/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/approve",
    &[],
);
pub const PR_WITHDRAW_CHANGES: Endpoint = Endpoint::new(
    Method::DELETE,
    "/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/request-changes",
    &[],
);

pub const TAGS: Endpoint =
    Endpoint::new(Method::GET, "/repositories/{workspace}/{repo_slug}/refs/tags", FILTERED);
pub const PR_TASKS: Endpoint = Endpoint::new(
    Method::GET,
    "/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/tasks",
    PAGED,
);
pub const PR_TASK_CREATE: Endpoint = Endpoint::new(
    Method::POST,
    "/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/tasks",
    &[],
);
pub const PR_TASK_UPDATE: Endpoint = Endpoint::new(
    Method::PUT,
    "/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/tasks/{task_id}",
    &[],
);
pub const PR_TASK_DELETE: Endpoint = Endpoint::new(
    Method::DELETE,
    "/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/tasks/{task_id}",
    &[],
);

/// `{spec}` is `new..old`: what `new` changed since it left `old`.
pub const DIFF: Endpoint =
    Endpoint::new(Method::GET, "/repositories/{workspace}/{repo_slug}/diff/{spec}", &["path"]);
/// `include` / `exclude` are documented in the operation's description.
pub const COMMITS_RANGE: Endpoint = Endpoint::new(
    Method::GET,
    "/repositories/{workspace}/{repo_slug}/commits",
    &["include", "exclude", "page", "pagelen"],
);
pub const BRANCH_CREATE: Endpoint =
    Endpoint::new(Method::POST, "/repositories/{workspace}/{repo_slug}/refs/branches", &[]);
pub const DEFAULT_REVIEWERS: Endpoint =
    Endpoint::new(Method::GET, "/repositories/{workspace}/{repo_slug}/effective-default-reviewers", PAGED);
pub const MEMBERS: Endpoint = Endpoint::new(Method::GET, "/workspaces/{workspace}/members", PAGED);

/// Every endpoint above (checked against the spec by `api::tests`).
pub const ENDPOINTS: &[Endpoint] = &[
    USER,
    PROJECTS,
    REPOS,
    REPO,
    PRS,
    PR,
    PR_STATUSES,
    PIPELINES,
    PIPELINE,
    PIPELINE_STEPS,
    STEP_LOG,
    TEST_REPORTS,
    TEST_CASES,
    PIPELINE_RUN,
    PIPELINE_STOP,
    PR_DIFF,
    PR_COMMENTS,
    PR_COMMITS,
    PR_ACTIVITY,
    BRANCHES,
    COMMITS_AT,
    COMMIT,
    DIFFSTAT,
    SRC,
    SEARCH,
    ISSUES,
    ISSUE,
    ISSUE_COMMENTS,
    PR_CREATE,
    PR_COMMENT,
    PR_APPROVE,
    PR_REQUEST_CHANGES,
    PR_MERGE,
    PR_DECLINE,
    ISSUE_CREATE,
    ISSUE_COMMENT,
    PR_UPDATE,
    PR_COMMENT_EDIT,
    PR_COMMENT_DELETE,
    PR_COMMENT_RESOLVE,
    PR_COMMENT_REOPEN,
    PR_UNAPPROVE,
    PR_WITHDRAW_CHANGES,
    PR_TASKS,
    PR_TASK_CREATE,
    PR_TASK_UPDATE,
    PR_TASK_DELETE,
    TAGS,
    DIFF,
    COMMITS_RANGE,
    BRANCH_CREATE,
    DEFAULT_REVIEWERS,
    MEMBERS,
];
