//! Bitbucket Cloud (REST 2.0): each operation as requests to the endpoints of
//! [`super::endpoints::cloud`], and how their JSON maps to the neutral models of
//! [`super::models`].

use serde_json::{Value, json};

use super::client::{self, BitbucketApi, TRACKER};
use super::endpoints::Endpoint;
use super::endpoints::cloud::*;
use super::models::{
    Activity, Branch, Change, Comment, Commit, Comparison, FileContent, InboxItem, Issue, NewComment,
    NewPullRequest, Page, PageArgs, Person, PrFilter, PrUpdate, Project, PullRequest, Repo, Repository,
    Reviewer, SearchHit, Write,
};
use crate::error::{Error, Result};
use wire::{Links, Rendered, label};

mod pipelines;
pub use pipelines::*;
mod people;
mod refs;
mod tasks;
pub mod wire;
mod writes;
pub use people::*;
pub use refs::*;
pub use tasks::*;
pub use writes::*;

const MERGE_CONFLICT: &str = "Bitbucket Cloud could not merge it: it has conflicts, is already merged or \
     declined, or a merge check failed (approvals, builds). Check it with bitbucket_get_pull_request, \
     resolve, and retry";

/// A BBQL string literal.
fn quoted(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A BBQL condition on an account: by UUID (`{…}`) or nickname.
fn account_condition(field: &str, who: &str) -> String {
    if who.starts_with('{') {
        format!("{field}.uuid={}", quoted(who))
    } else {
        format!("{field}.nickname={}", quoted(who))
    }
}

pub async fn whoami(api: &BitbucketApi) -> Result<String> {
    let user: wire::CurrentUser = api.get(api.call(&USER, &[]), "the current user").await?;
    Ok(format!("Acting as {} ({}) on Bitbucket Cloud.", user.display_name, user.nickname.unwrap_or_default()))
}

pub async fn list_projects(
    api: &BitbucketApi,
    workspace: Option<&str>,
    args: &PageArgs,
) -> Result<Page<Project>> {
    let workspace = workspace.ok_or_else(|| {
        Error::invalid("workspace", "Bitbucket Cloud lists the projects of one workspace: name it")
    })?;
    let call = api.call(&PROJECTS, &[workspace]);
    let page = api.page::<wire::Project>(call, args, &format!("workspace {workspace}")).await?;
    Ok(page.map(|p| Project {
        key: p.key,
        name: p.name.unwrap_or_default(),
        description: p.description.unwrap_or_default(),
        private: p.is_private,
    }))
}

fn repository(r: wire::Repository) -> Repository {
    let project = r.project.and_then(|p| p.key).filter(|k| !k.is_empty());
    let workspace = r.workspace.and_then(|w| w.slug);
    Repository {
        slug: r.slug.filter(|s| !s.is_empty()).unwrap_or(r.full_name),
        name: r.name.unwrap_or_default(),
        project: project.or(workspace).unwrap_or_default(),
        description: r.description.unwrap_or_default(),
        private: r.is_private,
        default_branch: r.mainbranch.map(|b| b.name).unwrap_or_default(),
        language: r.language.unwrap_or_default(),
        updated: r.updated_on.unwrap_or_default(),
        web: Links::web(r.links.as_ref()),
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
    let call = api
        .call(&REPOS, &[workspace])
        .query_opt("q", name.map(|n| format!("name~{}", quoted(n))))
        .query("sort", "-updated_on");
    let page = api.page(call, args, &format!("workspace {workspace}")).await?;
    Ok(page.map(repository))
}

/// The repository's main branch (`HEAD` if it has none yet).
pub async fn main_branch(api: &BitbucketApi, repo: Repo<'_>) -> Result<String> {
    let name = get_repository(api, repo).await?.default_branch;
    Ok(if name.is_empty() { "HEAD".to_owned() } else { name })
}

pub async fn get_repository(api: &BitbucketApi, repo: Repo<'_>) -> Result<Repository> {
    Ok(repository(api.get(api.call(&REPO, &[repo.workspace, repo.slug]), &repo.subject()).await?))
}

pub fn pull_request(pr: wire::PullRequest) -> PullRequest {
    let reviewers = if pr.participants.is_empty() {
        pr.reviewers.iter().map(|r| Reviewer { name: r.label(), verdict: "no verdict".into() }).collect()
    } else {
        pr.participants
            .iter()
            .filter(|p| {
                p.role.as_deref() == Some("REVIEWER") || p.approved == Some(true) || p.state.is_some()
            })
            .map(|p| Reviewer {
                name: label(p.user.as_ref()),
                verdict: match (p.state.as_deref(), p.approved) {
                    (Some("changes_requested"), _) => "changes requested".into(),
                    (Some("approved"), _) | (_, Some(true)) => "approved".into(),
                    _ => "no verdict".into(),
                },
            })
            .collect()
    };
    let branch = |side: &Option<wire::Side>| {
        side.as_ref().and_then(|s| s.branch.as_ref()).map(|b| b.name.clone()).unwrap_or_default()
    };
    let description =
        pr.description.filter(|d| !d.is_empty()).unwrap_or_else(|| Rendered::raw(pr.summary.as_ref()));
    PullRequest {
        id: pr.id,
        title: pr.title,
        state: pr.state,
        draft: pr.draft.unwrap_or(false),
        author: label(pr.author.as_ref()),
        source: branch(&pr.source),
        target: branch(&pr.destination),
        created: pr.created_on.unwrap_or_default(),
        updated: pr.updated_on.unwrap_or_default(),
        description,
        reviewers,
        comment_count: pr.comment_count,
        version: None,
        source_commit: pr.source.and_then(|s| s.commit).map(|c| c.hash).unwrap_or_default(),
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
    let mut call = api.call(&PRS, &[repo.workspace, repo.slug]);
    let mut conditions = Vec::new();
    match filter.state.as_str() {
        // The spec types `state` as one string: all states go through the query instead.
        "ALL" => conditions.push(
            "(state=\"OPEN\" OR state=\"MERGED\" OR state=\"DECLINED\" OR state=\"SUPERSEDED\")".to_owned(),
        ),
        "MERGED" => call = call.query("state", "MERGED"),
        "DECLINED" => call = call.query("state", "DECLINED"),
        _ => call = call.query("state", "OPEN"),
    }
    if let Some(author) = &filter.author {
        conditions.push(account_condition("author", author));
    }
    if let Some(reviewer) = &filter.reviewer {
        conditions.push(account_condition("reviewers", reviewer));
    }
    if let Some(target) = &filter.target {
        conditions.push(format!("destination.branch.name={}", quoted(target)));
    }
    if !conditions.is_empty() {
        call = call.query("q", conditions.join(" AND "));
    }
    let args = PageArgs { limit: args.limit.min(50), cursor: args.cursor.clone() };
    let page = api.page(call, &args, &repo.subject()).await?;
    Ok(page.map(pull_request))
}

pub async fn get_pull_request(api: &BitbucketApi, repo: Repo<'_>, id: u64) -> Result<PullRequest> {
    let id_text = id.to_string();
    let args = [repo.workspace, repo.slug, id_text.as_str()];
    let subject = format!("pull request {id}");
    let (pr, statuses) = futures::join!(
        api.get(api.call(&PR, &args), &subject),
        api.get::<wire::Page<wire::Status>>(api.call(&PR_STATUSES, &args).query("pagelen", 50), &subject)
    );
    let mut pr = pull_request(pr?);
    pr.builds = Some(match statuses {
        Ok(body) => {
            if body.values.is_empty() {
                "none reported".to_owned()
            } else {
                let shown = body
                    .values
                    .iter()
                    .map(|b| {
                        let name = [&b.name, &b.key].into_iter().flatten().find(|n| !n.is_empty());
                        format!("{} {}", b.state.as_deref().unwrap_or_default(), name.map_or("", |n| n))
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                if body.next.is_some() {
                    format!("{shown} [… first {} shown; the rest are on the web page]", body.values.len())
                } else {
                    shown
                }
            }
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

pub fn comment(c: wire::Comment) -> Comment {
    Comment {
        id: c.id,
        parent: c.parent.map(|p| p.id),
        author: label(c.user.as_ref()),
        created: c.created_on.unwrap_or_default(),
        text: Rendered::raw(c.content.as_ref()),
        line: c.inline.as_ref().and_then(|i| i.to.or(i.from)),
        path: c.inline.map(|i| i.path),
        deleted: c.deleted.unwrap_or(false),
        state: match (c.pending, c.resolution) {
            (Some(true), _) => "pending".into(),
            (_, Some(_)) => "resolved".into(),
            _ => String::new(),
        },
    }
}

pub async fn list_pull_request_comments(
    api: &BitbucketApi,
    repo: Repo<'_>,
    id: u64,
    args: &PageArgs,
) -> Result<Page<Comment>> {
    let id_text = id.to_string();
    let call = api.call(&PR_COMMENTS, &[repo.workspace, repo.slug, &id_text]);
    let page = api.page(call, args, &format!("pull request {id}")).await?;
    Ok(page.map(comment))
}

pub(crate) fn commit(c: wire::Commit) -> Commit {
    let author = c.author.map(|a| {
        let user = a.user.and_then(|u| u.display_name).filter(|n| !n.is_empty());
        user.or(a.raw).unwrap_or_default()
    });
    Commit {
        hash: c.hash,
        author: author.unwrap_or_default(),
        date: c.date.unwrap_or_default(),
        message: c.message.unwrap_or_default(),
        parents: c.parents.into_iter().map(|p| p.hash).collect(),
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
    if let Some(u) = a.update {
        Activity {
            when: u.date.unwrap_or_default(),
            who: label(u.author.as_ref()),
            action: "updated".into(),
            detail: format!("state {}; title {}", u.state.unwrap_or_default(), u.title.unwrap_or_default()),
        }
    } else if let Some(v) = a.approval {
        Activity {
            when: v.date.unwrap_or_default(),
            who: label(v.user.as_ref()),
            action: "approved".into(),
            detail: String::new(),
        }
    } else if let Some(v) = a.changes_requested {
        Activity {
            when: v.date.unwrap_or_default(),
            who: label(v.user.as_ref()),
            action: "requested changes".into(),
            detail: String::new(),
        }
    } else if let Some(c) = a.comment {
        let c = comment(c);
        Activity { when: c.created, who: c.author, action: format!("commented (#{})", c.id), detail: c.text }
    } else {
        Activity { action: "other".into(), ..Activity::default() }
    }
}

pub async fn pull_request_activity(
    api: &BitbucketApi,
    repo: Repo<'_>,
    id: u64,
    args: &PageArgs,
) -> Result<Page<Activity>> {
    let id_text = id.to_string();
    let call = api.call(&PR_ACTIVITY, &[repo.workspace, repo.slug, &id_text]);
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

/// Branches or tags (`endpoint`), newest commit first, optionally by name.
async fn list_refs(
    api: &BitbucketApi,
    endpoint: &Endpoint,
    repo: Repo<'_>,
    filter: Option<&str>,
    args: &PageArgs,
) -> Result<Page<Branch>> {
    let call = api
        .call(endpoint, &[repo.workspace, repo.slug])
        .query_opt("q", filter.map(|f| format!("name~{}", quoted(f))))
        .query("sort", "-target.date");
    let page = api.page::<wire::Branch>(call, args, &repo.subject()).await?;
    Ok(page.map(|b| Branch {
        name: b.name,
        hash: b.target.as_ref().and_then(|t| t.hash.clone()).unwrap_or_default(),
        is_default: false,
        date: b.target.and_then(|t| t.date).unwrap_or_default(),
    }))
}

pub async fn list_commits(
    api: &BitbucketApi,
    repo: Repo<'_>,
    branch: Option<&str>,
    path: Option<&str>,
    args: &PageArgs,
) -> Result<Page<Commit>> {
    // `/commits` alone would list every branch (`git log --all`): start from the main branch.
    let main;
    let at = match branch {
        Some(b) => b,
        None => {
            main = main_branch(api, repo).await?;
            &main
        }
    };
    let call = api.call(&COMMITS_AT, &[repo.workspace, repo.slug, at]).query_opt("path", path);
    let page = api.page(call, args, &repo.subject()).await?;
    Ok(page.map(commit))
}

pub async fn get_commit(api: &BitbucketApi, repo: Repo<'_>, hash: &str) -> Result<(Commit, Page<Change>)> {
    let subject = format!("commit {hash}");
    let args = PageArgs { limit: 100, cursor: None };
    let (c, stat) = futures::join!(
        api.get(api.call(&COMMIT, &[repo.workspace, repo.slug, hash]), &subject),
        api.page::<wire::DiffStat>(api.call(&DIFFSTAT, &[repo.workspace, repo.slug, hash]), &args, &subject)
    );
    Ok((commit(c?), stat?.map(change)))
}

/// A diffstat entry: the path (new, else old) and `status +added -removed`.
fn change(d: wire::DiffStat) -> Change {
    let path = [d.new, d.old].into_iter().flatten().map(|f| f.path).find(|p| !p.is_empty());
    let added = d.lines_added.unwrap_or_default();
    let removed = d.lines_removed.unwrap_or_default();
    Change { path: path.unwrap_or_default(), status: format!("{} +{added} -{removed}", d.status) }
}

pub async fn get_file(
    api: &BitbucketApi,
    repo: Repo<'_>,
    path: &str,
    git_ref: Option<&str>,
) -> Result<FileContent> {
    let at = match git_ref {
        Some(r) => r.to_owned(),
        None => main_branch(api, repo).await?,
    };
    let call = api.call(&SRC, &[repo.workspace, repo.slug, &at, path]).accept("*/*");
    let response = api.send(call.request, &format!("file {path} at {at}")).await?;
    client::classify_file(&response)
}

pub async fn search_code(
    api: &BitbucketApi,
    workspace: &str,
    query: &str,
    repo: Option<&str>,
    args: &PageArgs,
) -> Result<Page<SearchHit>> {
    let search = match repo {
        Some(r) => format!("{query} repo:{r}"),
        None => query.to_owned(),
    };
    let call = api.call(&SEARCH, &[workspace]).query("search_query", search);
    let page = api.page::<wire::SearchHit>(call, args, &format!("workspace {workspace}")).await?;
    Ok(page.map(|hit| {
        let file = hit.file;
        let repo = file.commit.and_then(|c| c.repository).and_then(|r| r.full_name);
        SearchHit {
            repo: repo.unwrap_or_default(),
            path: file.path,
            lines: hit
                .content_matches
                .into_iter()
                .flat_map(|m| m.lines)
                .map(|l| (l.line, l.segments.into_iter().map(|seg| seg.text).collect()))
                .collect(),
        }
    }))
}

pub fn issue(i: wire::Issue) -> Issue {
    Issue {
        id: i.id,
        title: i.title,
        state: i.state.unwrap_or_default(),
        kind: i.kind.unwrap_or_default(),
        priority: i.priority.unwrap_or_default(),
        reporter: label(i.reporter.as_ref()),
        assignee: label(i.assignee.as_ref()),
        created: i.created_on.unwrap_or_default(),
        updated: i.updated_on.unwrap_or_default(),
        content: Rendered::raw(i.content.as_ref()),
        votes: i.votes,
    }
}

/// An issue from a write's answer.
pub fn issue_from(answer: Value) -> Result<Issue> {
    crate::http::decode(TRACKER, answer).map(issue)
}

pub async fn list_issues(
    api: &BitbucketApi,
    repo: Repo<'_>,
    state: Option<&str>,
    query: Option<&str>,
    args: &PageArgs,
) -> Result<Page<Issue>> {
    let mut conditions = Vec::new();
    if let Some(state) = state {
        conditions.push(format!("state={}", quoted(state)));
    }
    if let Some(text) = query {
        conditions.push(format!("title~{}", quoted(text)));
    }
    let call = api
        .call(&ISSUES, &[repo.workspace, repo.slug])
        .query_opt("q", (!conditions.is_empty()).then(|| conditions.join(" AND ")))
        .query("sort", "-updated_on");
    let page = api.page(call, args, &repo.subject()).await?;
    Ok(page.map(issue))
}

pub async fn get_issue(
    api: &BitbucketApi,
    repo: Repo<'_>,
    id: u64,
    comments: &PageArgs,
) -> Result<(Issue, Page<Comment>)> {
    let id_text = id.to_string();
    let subject = format!("issue {id}");
    let issue_call = api.call(&ISSUE, &[repo.workspace, repo.slug, &id_text]);
    if comments.limit == 0 {
        let i = api.get(issue_call, &subject).await?;
        let none = Page {
            items: Vec::new(),
            offset: 0,
            total: None,
            next: None,
            note: Some("comments not requested".into()),
        };
        return Ok((issue(i), none));
    }
    let (i, c) = futures::join!(
        api.get(issue_call, &subject),
        api.page(api.call(&ISSUE_COMMENTS, &[repo.workspace, repo.slug, &id_text]), comments, &subject)
    );
    Ok((issue(i?), c?.map(comment)))
}
