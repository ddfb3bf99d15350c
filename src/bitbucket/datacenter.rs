//! Bitbucket Data Center (REST 1.0, `/rest/api/1.0/...`): each operation as requests to the
//! endpoints of [`super::endpoints::datacenter`], and how their JSON maps to the neutral
//! models of [`super::models`]. What Data Center lacks (issues) is refused here
//! with the error the tools give.

use serde_json::{Value, json};

use super::client::{self, BitbucketApi, TRACKER};
use super::endpoints::Endpoint;
use super::endpoints::datacenter::*;
use super::models::{
    Activity, Branch, Change, Comment, Commit, Comparison, FileContent, InboxItem, Issue, NewComment,
    NewPullRequest, Page, PageArgs, Person, PrFilter, PrUpdate, Project, PullRequest, Repo, Repository,
    Reviewer, SearchHit, Write,
};
use crate::error::{Error, Result};
use wire::{Links, label};

mod builds;
pub use builds::*;
mod people;
mod refs;
mod search;
mod tasks;
pub mod wire;
mod writes;
pub use people::*;
pub use refs::*;
pub use search::*;
pub use tasks::*;
pub use writes::*;

const MERGE_CONFLICT: &str = "Bitbucket Data Center refused the merge: the pull request has conflicts, \
     unmet merge checks (the vetoes above: approvals, builds, tasks), or changed since it was read. \
     Resolve them, check with bitbucket_get_pull_request, and retry";

/// Epoch milliseconds as an ISO-8601 UTC timestamp (seconds precision; out of range → empty).
#[must_use]
pub fn ms_to_iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

fn date(ms: Option<i64>) -> String {
    ms.map(ms_to_iso).unwrap_or_default()
}

fn branch_ref(name: &str) -> String {
    if name.starts_with("refs/") { name.to_owned() } else { format!("refs/heads/{name}") }
}

pub async fn whoami(api: &BitbucketApi) -> Result<String> {
    let response = api.send(api.call(&APPLICATION_PROPERTIES, &[]).request, "the server properties").await?;
    let user = response
        .headers
        .get("x-ausername")
        .and_then(|v| v.to_str().ok())
        .map_or_else(|| "an unnamed account".to_owned(), str::to_owned);
    let wire::Properties { version } = response.json(TRACKER)?;
    Ok(format!("Acting as {user} on Bitbucket Data Center {version}."))
}

/// All projects (Data Center has no workspaces: `workspace` is not used).
pub async fn list_projects(
    api: &BitbucketApi,
    _workspace: Option<&str>,
    args: &PageArgs,
) -> Result<Page<Project>> {
    let page = api.page::<wire::Project>(api.call(&PROJECTS, &[]), args, "the project list").await?;
    Ok(page.map(|p| Project {
        key: p.key,
        name: p.name.unwrap_or_default(),
        description: p.description.unwrap_or_default(),
        private: p.public.map(|p| !p),
    }))
}

fn repository(r: wire::Repository) -> Repository {
    Repository {
        web: Links::web(r.links.as_ref()),
        slug: r.slug,
        name: r.name.unwrap_or_default(),
        project: r.project.map(|p| p.key).unwrap_or_default(),
        description: r.description.unwrap_or_default(),
        private: r.public.map(|p| !p),
        default_branch: String::new(),
        language: String::new(),
        updated: String::new(),
        clone: r
            .links
            .map(|l| l.clone)
            .unwrap_or_default()
            .into_iter()
            .map(|c| format!("{} {}", c.name.unwrap_or_default(), c.href.unwrap_or_default()))
            .collect(),
    }
}

pub async fn list_repositories(
    api: &BitbucketApi,
    workspace: &str,
    name: Option<&str>,
    args: &PageArgs,
) -> Result<Page<Repository>> {
    let call = match name {
        Some(name) => api.call(&REPOS_SEARCH, &[]).query("projectkey", workspace).query("name", name),
        None => api.call(&REPOS, &[workspace]),
    };
    let page = api.page(call, args, &format!("project {workspace}")).await?;
    Ok(page.map(repository))
}

pub async fn get_repository(api: &BitbucketApi, repo: Repo<'_>) -> Result<Repository> {
    Ok(repository(api.get(api.call(&REPO, &[repo.workspace, repo.slug]), &repo.subject()).await?))
}

pub fn pull_request(pr: wire::PullRequest) -> PullRequest {
    let reviewers = pr
        .reviewers
        .iter()
        .map(|r| Reviewer {
            name: label(r.user.as_ref()),
            verdict: match r.status.as_deref() {
                Some("APPROVED") => "approved".into(),
                Some("NEEDS_WORK") => "needs work (changes requested)".into(),
                _ => "no verdict".into(),
            },
        })
        .collect();
    PullRequest {
        author: label(pr.author()),
        reviewers,
        id: pr.id,
        title: pr.title,
        state: pr.state,
        draft: pr.draft.unwrap_or(false),
        source: pr.from_ref.as_ref().map(wire::Ref::name).unwrap_or_default(),
        target: pr.to_ref.as_ref().map(wire::Ref::name).unwrap_or_default(),
        created: date(pr.created_date),
        updated: date(pr.updated_date),
        description: pr.description.unwrap_or_default(),
        comment_count: pr.properties.and_then(|p| p.comment_count),
        version: pr.version,
        source_commit: pr.from_ref.and_then(|r| r.latest_commit).unwrap_or_default(),
        web: Links::web(pr.links.as_ref()),
        merge_status: None,
        builds: None,
    }
}

/// A pull request from a write's answer.
pub fn pull_request_from(answer: Value) -> Result<PullRequest> {
    crate::http::decode(TRACKER, answer).map(pull_request)
}

pub async fn list_pull_requests(
    api: &BitbucketApi,
    repo: Repo<'_>,
    filter: &PrFilter,
    args: &PageArgs,
) -> Result<Page<PullRequest>> {
    let state = match filter.state.as_str() {
        "ALL" => "ALL",
        "MERGED" => "MERGED",
        "DECLINED" => "DECLINED",
        _ => "OPEN",
    };
    let call = api
        .call(&PRS, &[repo.workspace, repo.slug])
        .query("state", state)
        .query_opt("at", filter.target.as_deref().map(branch_ref))
        .query_opt("direction", filter.target.as_ref().map(|_| "INCOMING"))
        .query("order", "NEWEST");
    let mut page = api.page::<wire::PullRequest>(call, args, &repo.subject()).await?;
    let fetched = page.items.len();
    if filter.author.is_some() || filter.reviewer.is_some() {
        let is = |user: Option<&wire::User>, who: &str| user.is_some_and(|u| u.is(who));
        page.items.retain(|pr| {
            filter.author.as_deref().is_none_or(|a| {
                is(pr.author.as_ref().and_then(|p| p.user.as_ref()), a)
                    || pr
                        .participants
                        .iter()
                        .any(|p| p.role.as_deref() == Some("AUTHOR") && is(p.user.as_ref(), a))
            }) && filter
                .reviewer
                .as_deref()
                .is_none_or(|r| pr.reviewers.iter().any(|x| is(x.user.as_ref(), r)))
        });
        page.note = Some(format!(
            "author/reviewer filtered here: {} of the {fetched} pull requests of this page match; later pages may hold more",
            page.items.len()
        ));
    }
    Ok(page.map(pull_request))
}

pub async fn get_pull_request(api: &BitbucketApi, repo: Repo<'_>, id: u64) -> Result<PullRequest> {
    read_pull_request(api, repo, id, true).await
}

/// The pull request; with `details` also its merge status and builds.
async fn read_pull_request(
    api: &BitbucketApi,
    repo: Repo<'_>,
    id: u64,
    details: bool,
) -> Result<PullRequest> {
    let id_text = id.to_string();
    let args = [repo.workspace, repo.slug, id_text.as_str()];
    let subject = format!("pull request {id}");
    let mut pr = pull_request(api.get(api.call(&PR, &args), &subject).await?);
    if !details {
        return Ok(pr);
    }
    let commit = pr.source_commit.clone();
    let build_subject = format!("build status of {commit}");
    let builds = async {
        if commit.is_empty() {
            Err(crate::error::Error::bad_response(TRACKER, "no source commit"))
        } else {
            api.get::<wire::BuildStats>(api.call(&BUILD_STATS, &[&commit]), &build_subject).await
        }
    };
    let (merge, builds) =
        futures::join!(api.get::<wire::MergeStatus>(api.call(&PR_MERGE_STATUS, &args), &subject), builds);
    pr.merge_status = Some(match merge {
        Ok(m) => {
            let vetoes: Vec<String> = m
                .vetoes
                .into_iter()
                .map(|v| {
                    [v.summary_message, v.detailed_message]
                        .into_iter()
                        .flatten()
                        .find(|t| !t.is_empty())
                        .unwrap_or_default()
                })
                .collect();
            let can = match m.can_merge {
                Some(true) => "can merge",
                Some(false) => "cannot merge",
                None => "mergeability not stated",
            };
            let mut text = format!("{can}; outcome {}", m.outcome.unwrap_or_default());
            if m.conflicted == Some(true) {
                text.push_str("; has conflicts");
            }
            if !vetoes.is_empty() {
                text.push_str(&format!("; unmet checks: {}", vetoes.join("; ")));
            }
            text
        }
        Err(e) => format!("unavailable ({})", e.kind()),
    });
    pr.builds = Some(match builds {
        Ok(b) => {
            let counts = [
                (b.successful, "successful"),
                (b.failed, "failed"),
                (b.in_progress, "inProgress"),
                (b.cancelled, "cancelled"),
                (b.unknown, "unknown"),
            ];
            let parts: Vec<String> =
                counts.iter().filter_map(|(n, k)| n.filter(|n| *n > 0).map(|n| format!("{n} {k}"))).collect();
            if parts.is_empty() { "none reported".into() } else { parts.join(", ") }
        }
        Err(e) => format!("unavailable ({})", e.kind()),
    });
    Ok(pr)
}

/// The pull request's unified diff (text).
pub async fn pull_request_diff(api: &BitbucketApi, repo: Repo<'_>, id: u64) -> Result<String> {
    let id = id.to_string();
    let call = api.call(&PR_DIFF, &[repo.workspace, repo.slug, &id]);
    let response = api.send(call.accept("text/plain").request, &format!("pull request {id}")).await?;
    Ok(response.text())
}

/// A comment and its replies, flattened with parent ids; the anchor is inherited.
fn flatten_comment(
    c: wire::Comment,
    parent: Option<i64>,
    anchor: Option<&wire::Anchor>,
    out: &mut Vec<Comment>,
) {
    let state = match (c.severity.as_deref(), c.state.as_deref()) {
        (Some("BLOCKER"), Some("RESOLVED")) => "task, resolved".into(),
        (Some("BLOCKER"), _) => "task, open".into(),
        (_, Some("RESOLVED")) => "resolved".into(),
        _ if c.thread_resolved == Some(true) => "resolved".into(),
        _ => String::new(),
    };
    out.push(Comment {
        id: c.id,
        parent,
        author: label(c.author.as_ref()),
        created: date(c.created_date),
        text: c.text.unwrap_or_default(),
        path: anchor.and_then(|a| a.path.as_ref()).map(wire::AnchorPath::text),
        line: anchor.and_then(|a| a.line),
        deleted: false,
        state,
    });
    for reply in c.comments {
        flatten_comment(reply, Some(c.id), anchor, out);
    }
}

/// General and inline comments come through the activity stream (`COMMENTED` / `ADDED`).
pub async fn list_pull_request_comments(
    api: &BitbucketApi,
    repo: Repo<'_>,
    id: u64,
    args: &PageArgs,
) -> Result<Page<Comment>> {
    let id_text = id.to_string();
    let call = api.call(&PR_ACTIVITIES, &[repo.workspace, repo.slug, &id_text]);
    let page = api.page::<wire::Activity>(call, args, &format!("pull request {id}")).await?;
    let entries = page.items.len();
    let mut comments = Vec::new();
    for a in page.items {
        if a.action == "COMMENTED"
            && a.comment_action.as_deref().is_none_or(|c| c == "ADDED")
            && let Some(comment) = a.comment
        {
            let anchor = a.comment_anchor.or_else(|| comment.anchor.clone());
            flatten_comment(comment, None, anchor.as_ref(), &mut comments);
        }
    }
    Ok(Page {
        note: Some(format!("read from {entries} activity entries")),
        items: comments,
        offset: page.offset,
        total: None,
        next: page.next,
    })
}

pub(crate) fn commit(c: wire::Commit) -> Commit {
    Commit {
        hash: c.id,
        author: label(c.author.as_ref()),
        date: date(c.author_timestamp),
        message: c.message.unwrap_or_default(),
        parents: c.parents.into_iter().map(|p| p.id).collect(),
    }
}

pub async fn list_pull_request_commits(
    api: &BitbucketApi,
    repo: Repo<'_>,
    id: u64,
    args: &PageArgs,
) -> Result<Page<Commit>> {
    let id_text = id.to_string();
    let call = api.call(&PR_COMMITS, &[repo.workspace, repo.slug, &id_text]);
    let page = api.page(call, args, &format!("pull request {id}")).await?;
    Ok(page.map(commit))
}

fn activity(a: wire::Activity) -> Activity {
    let detail = match a.action.as_str() {
        "COMMENTED" => {
            let at = a.comment_anchor.as_ref().and_then(|anchor| {
                let line = anchor.line.map(|l| l.to_string()).unwrap_or_default();
                anchor.path.as_ref().map(|p| format!(" on {}:{line}", p.text()))
            });
            let (id, text) =
                a.comment.map(|c| (c.id.to_string(), c.text.unwrap_or_default())).unwrap_or_default();
            format!("{} #{id}{}: {text}", a.comment_action.unwrap_or_default(), at.unwrap_or_default())
        }
        "RESCOPED" => format!(
            "{} commit(s) added, {} removed",
            a.added.map_or(0, |c| c.commits.len()),
            a.removed.map_or(0, |c| c.commits.len())
        ),
        "REVIEWED" | "APPROVED" | "UNAPPROVED" => a.participant.and_then(|p| p.status).unwrap_or_default(),
        "MERGED" => a.commit.map(|c| c.id).unwrap_or_default(),
        _ => String::new(),
    };
    Activity {
        when: date(a.created_date),
        who: label(a.user.as_ref()),
        action: a.action.to_lowercase(),
        detail,
    }
}

pub async fn pull_request_activity(
    api: &BitbucketApi,
    repo: Repo<'_>,
    id: u64,
    args: &PageArgs,
) -> Result<Page<Activity>> {
    let id_text = id.to_string();
    let call = api.call(&PR_ACTIVITIES, &[repo.workspace, repo.slug, &id_text]);
    let page = api.page(call, args, &format!("pull request {id}")).await?;
    Ok(page.map(activity))
}

pub async fn list_branches(
    api: &BitbucketApi,
    repo: Repo<'_>,
    filter: Option<&str>,
    args: &PageArgs,
) -> Result<Page<Branch>> {
    list_refs(api, &BRANCHES, repo, filter, args).await
}

/// Branches or tags (`endpoint`), most recently changed first, optionally by name.
async fn list_refs(
    api: &BitbucketApi,
    endpoint: &Endpoint,
    repo: Repo<'_>,
    filter: Option<&str>,
    args: &PageArgs,
) -> Result<Page<Branch>> {
    let call = api
        .call(endpoint, &[repo.workspace, repo.slug])
        .query_opt("filterText", filter)
        .query("orderBy", "MODIFICATION");
    let page = api.page::<wire::Ref>(call, args, &repo.subject()).await?;
    Ok(page.map(|b| Branch {
        name: b.name(),
        hash: b.latest_commit.unwrap_or_default(),
        is_default: b.is_default.unwrap_or(false),
        date: String::new(),
    }))
}

pub async fn list_commits(
    api: &BitbucketApi,
    repo: Repo<'_>,
    branch: Option<&str>,
    path: Option<&str>,
    args: &PageArgs,
) -> Result<Page<Commit>> {
    let call =
        api.call(&COMMITS, &[repo.workspace, repo.slug]).query_opt("until", branch).query_opt("path", path);
    let page = api.page(call, args, &repo.subject()).await?;
    Ok(page.map(commit))
}

pub async fn get_commit(api: &BitbucketApi, repo: Repo<'_>, hash: &str) -> Result<(Commit, Page<Change>)> {
    let subject = format!("commit {hash}");
    let args = PageArgs { limit: 100, cursor: None };
    let (c, changes) = futures::join!(
        api.get(api.call(&COMMIT, &[repo.workspace, repo.slug, hash]), &subject),
        api.page::<wire::Change>(
            api.call(&COMMIT_CHANGES, &[repo.workspace, repo.slug, hash]),
            &args,
            &subject
        )
    );
    Ok((commit(c?), changes?.map(change)))
}

fn change(c: wire::Change) -> Change {
    Change {
        path: [Some(c.path), c.src_path]
            .iter()
            .flatten()
            .map(wire::Path::text)
            .find(|p| !p.is_empty())
            .unwrap_or_default(),
        status: c.kind.unwrap_or_default().to_lowercase(),
    }
}

pub async fn get_file(
    api: &BitbucketApi,
    repo: Repo<'_>,
    path: &str,
    git_ref: Option<&str>,
) -> Result<FileContent> {
    let call = api.call(&RAW, &[repo.workspace, repo.slug, path]).query_opt("at", git_ref).accept("*/*");
    let response = api.send(call.request, &format!("file {path}")).await?;
    client::classify_file(&response)
}

// What Data Center does not have.

fn no_issues() -> Error {
    Error::invalid("workspace", "Bitbucket Data Center has no issues")
}

pub async fn list_issues(
    _api: &BitbucketApi,
    _repo: Repo<'_>,
    _state: Option<&str>,
    _query: Option<&str>,
    _args: &PageArgs,
) -> Result<Page<Issue>> {
    Err(no_issues())
}

pub async fn get_issue(
    _api: &BitbucketApi,
    _repo: Repo<'_>,
    _id: u64,
    _comments: &PageArgs,
) -> Result<(Issue, Page<Comment>)> {
    Err(no_issues())
}

pub fn create_issue(
    _api: &BitbucketApi,
    _repo: Repo<'_>,
    _title: &str,
    _content: Option<&str>,
    _kind: Option<&str>,
    _priority: Option<&str>,
) -> Result<Write> {
    Err(no_issues())
}

pub fn add_issue_comment(_api: &BitbucketApi, _repo: Repo<'_>, _id: u64, _text: &str) -> Result<Write> {
    Err(no_issues())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_millis_become_utc_timestamps() {
        assert_eq!(ms_to_iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(ms_to_iso(1_359_075_920_000), "2013-01-25T01:05:20Z");
        assert_eq!(ms_to_iso(951_782_400_000), "2000-02-29T00:00:00Z");
    }
}
