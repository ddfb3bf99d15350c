//! Bitbucket Cloud (REST 2.0): each operation as requests to the endpoints of
//! [`super::endpoints::cloud`], and how their JSON maps to the neutral models of
//! [`super::models`].

use serde_json::{Value, json};

use super::client::{self, BitbucketApi, TRACKER};
use super::endpoints::Endpoint;
use super::endpoints::cloud::*;
use super::models::{
    Activity, Branch, Change, CloudUser, Comment, Commit, FileContent, Issue, NewComment, NewPullRequest,
    Page, PageArgs, PrFilter, Project, PullRequest, Repo, Repository, Reviewer, SearchHit, Write, first, s,
};
use crate::error::{Error, Result};

mod writes;
pub use writes::*;

const MERGE_CONFLICT: &str = "Bitbucket Cloud could not merge it: it has conflicts, is already merged or \
     declined, or a merge check failed (approvals, builds). Check it with bitbucket_get_pull_request, \
     resolve, and retry";

fn user(v: &Value) -> String {
    first(v, &["/display_name", "/nickname", "/uuid"])
}

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
    let user: CloudUser = api.send(api.call(&USER, &[]).request, "the current user").await?.json(TRACKER)?;
    Ok(format!("Acting as {} ({}) on Bitbucket Cloud.", user.display_name, user.nickname))
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
    let page = api.page(call, args, &format!("workspace {workspace}")).await?;
    Ok(page.map(|v| Project {
        key: s(&v, "/key"),
        name: s(&v, "/name"),
        description: s(&v, "/description"),
        private: v["is_private"].as_bool(),
    }))
}

fn repository(v: &Value) -> Repository {
    Repository {
        slug: first(v, &["/slug", "/full_name"]),
        name: s(v, "/name"),
        project: first(v, &["/project/key", "/workspace/slug"]),
        description: s(v, "/description"),
        private: v["is_private"].as_bool(),
        default_branch: s(v, "/mainbranch/name"),
        language: s(v, "/language"),
        updated: s(v, "/updated_on"),
        web: s(v, "/links/html/href"),
        clone: v["links"]["clone"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| format!("{} {}", s(c, "/name"), s(c, "/href")))
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
    Ok(page.map(|v| repository(&v)))
}

/// The repository's main branch (`HEAD` if it has none yet).
pub async fn main_branch(api: &BitbucketApi, repo: Repo<'_>) -> Result<String> {
    let name = get_repository(api, repo).await?.default_branch;
    Ok(if name.is_empty() { "HEAD".to_owned() } else { name })
}

pub async fn get_repository(api: &BitbucketApi, repo: Repo<'_>) -> Result<Repository> {
    let v = api.get_json(api.call(&REPO, &[repo.workspace, repo.slug]), &repo.subject()).await?;
    Ok(repository(&v))
}

pub fn pull_request(v: &Value) -> PullRequest {
    let reviewers = v["participants"]
        .as_array()
        .filter(|p| !p.is_empty())
        .map(|participants| {
            participants
                .iter()
                .filter(|p| p["role"] == "REVIEWER" || p["approved"] == true || !p["state"].is_null())
                .map(|p| Reviewer {
                    name: user(&p["user"]),
                    verdict: match (p["state"].as_str(), p["approved"].as_bool()) {
                        (Some("changes_requested"), _) => "changes requested".into(),
                        (Some("approved"), _) | (_, Some(true)) => "approved".into(),
                        _ => "no verdict".into(),
                    },
                })
                .collect()
        })
        .unwrap_or_else(|| {
            v["reviewers"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|r| Reviewer { name: user(r), verdict: "no verdict".into() })
                .collect()
        });
    PullRequest {
        id: v["id"].as_u64().unwrap_or_default(),
        title: s(v, "/title"),
        state: s(v, "/state"),
        draft: v["draft"].as_bool().unwrap_or(false),
        author: user(&v["author"]),
        source: s(v, "/source/branch/name"),
        target: s(v, "/destination/branch/name"),
        created: s(v, "/created_on"),
        updated: s(v, "/updated_on"),
        description: first(v, &["/description", "/summary/raw"]),
        reviewers,
        comment_count: v["comment_count"].as_u64(),
        version: None,
        source_commit: s(v, "/source/commit/hash"),
        web: s(v, "/links/html/href"),
        merge_status: None,
        builds: None,
    }
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
    Ok(page.map(|v| pull_request(&v)))
}

pub async fn get_pull_request(api: &BitbucketApi, repo: Repo<'_>, id: u64) -> Result<PullRequest> {
    let id_text = id.to_string();
    let args = [repo.workspace, repo.slug, id_text.as_str()];
    let subject = format!("pull request {id}");
    let (pr, statuses) = futures::join!(
        api.get_json(api.call(&PR, &args), &subject),
        api.get_json(api.call(&PR_STATUSES, &args).query("pagelen", 50), &subject)
    );
    let mut pr = pull_request(&pr?);
    pr.builds = Some(match statuses {
        Ok(body) => {
            let values = body["values"].as_array().cloned().unwrap_or_default();
            if values.is_empty() {
                "none reported".to_owned()
            } else {
                let shown = values
                    .iter()
                    .map(|b| format!("{} {}", s(b, "/state"), first(b, &["/name", "/key"])))
                    .collect::<Vec<_>>()
                    .join("; ");
                if body.get("next").is_some_and(|n| !n.is_null()) {
                    format!("{shown} [… first {} shown; the rest are on the web page]", values.len())
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

pub fn comment(v: &Value) -> Comment {
    Comment {
        id: v["id"].as_u64().unwrap_or_default(),
        parent: v["parent"]["id"].as_u64(),
        author: user(&v["user"]),
        created: s(v, "/created_on"),
        text: s(v, "/content/raw"),
        path: v["inline"]["path"].as_str().map(str::to_owned),
        line: v["inline"]["to"].as_u64().or_else(|| v["inline"]["from"].as_u64()),
        deleted: v["deleted"].as_bool().unwrap_or(false),
        state: if v["pending"] == true { "pending".into() } else { String::new() },
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
    Ok(page.map(|v| comment(&v)))
}

fn commit(v: &Value) -> Commit {
    Commit {
        hash: s(v, "/hash"),
        author: first(v, &["/author/user/display_name", "/author/raw"]),
        date: s(v, "/date"),
        message: s(v, "/message"),
        parents: v["parents"].as_array().into_iter().flatten().map(|p| s(p, "/hash")).collect(),
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
    Ok(page.map(|v| commit(&v)))
}

fn activity(v: &Value) -> Activity {
    if v["update"].is_object() {
        let u = &v["update"];
        Activity {
            when: s(u, "/date"),
            who: user(&u["author"]),
            action: "updated".into(),
            detail: format!("state {}; title {}", s(u, "/state"), s(u, "/title")),
        }
    } else if v["approval"].is_object() {
        Activity {
            when: s(&v["approval"], "/date"),
            who: user(&v["approval"]["user"]),
            action: "approved".into(),
            detail: String::new(),
        }
    } else if v["changes_requested"].is_object() {
        Activity {
            when: s(&v["changes_requested"], "/date"),
            who: user(&v["changes_requested"]["user"]),
            action: "requested changes".into(),
            detail: String::new(),
        }
    } else if v["comment"].is_object() {
        let c = comment(&v["comment"]);
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
    Ok(page.map(|v| activity(&v)))
}

pub async fn list_branches(
    api: &BitbucketApi,
    repo: Repo<'_>,
    filter: Option<&str>,
    args: &PageArgs,
) -> Result<Page<Branch>> {
    let call = api
        .call(&BRANCHES, &[repo.workspace, repo.slug])
        .query_opt("q", filter.map(|f| format!("name~{}", quoted(f))))
        .query("sort", "-target.date");
    let page = api.page(call, args, &repo.subject()).await?;
    Ok(page.map(|v| Branch {
        name: s(&v, "/name"),
        hash: s(&v, "/target/hash"),
        is_default: false,
        date: s(&v, "/target/date"),
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
    Ok(page.map(|v| commit(&v)))
}

pub async fn get_commit(api: &BitbucketApi, repo: Repo<'_>, hash: &str) -> Result<(Commit, Page<Change>)> {
    let subject = format!("commit {hash}");
    let args = PageArgs { limit: 100, cursor: None };
    let (c, stat) = futures::join!(
        api.get_json(api.call(&COMMIT, &[repo.workspace, repo.slug, hash]), &subject),
        api.page(api.call(&DIFFSTAT, &[repo.workspace, repo.slug, hash]), &args, &subject)
    );
    let changes = stat?.map(|d| {
        let path = first(&d, &["/new/path", "/old/path"]);
        let added = d["lines_added"].as_u64().unwrap_or_default();
        let removed = d["lines_removed"].as_u64().unwrap_or_default();
        Change { path, status: format!("{} +{added} -{removed}", s(&d, "/status")) }
    });
    Ok((commit(&c?), changes))
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
    let page = api.page(call, args, &format!("workspace {workspace}")).await?;
    Ok(page.map(|v| SearchHit {
        repo: s(&v, "/file/commit/repository/full_name"),
        path: s(&v, "/file/path"),
        lines: v["content_matches"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|m| m["lines"].as_array().cloned().unwrap_or_default())
            .map(|l| {
                let text: String = l["segments"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|seg| seg["text"].as_str())
                    .collect();
                (l["line"].as_u64().unwrap_or_default(), text)
            })
            .collect(),
    }))
}

pub fn issue(v: &Value) -> Issue {
    Issue {
        id: v["id"].as_u64().unwrap_or_default(),
        title: s(v, "/title"),
        state: s(v, "/state"),
        kind: s(v, "/kind"),
        priority: s(v, "/priority"),
        reporter: user(&v["reporter"]),
        assignee: user(&v["assignee"]),
        created: s(v, "/created_on"),
        updated: s(v, "/updated_on"),
        content: s(v, "/content/raw"),
        votes: v["votes"].as_u64(),
    }
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
    Ok(page.map(|v| issue(&v)))
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
        let i = api.get_json(issue_call, &subject).await?;
        let none = Page {
            items: Vec::new(),
            offset: 0,
            total: None,
            next: None,
            note: Some("comments not requested".into()),
        };
        return Ok((issue(&i), none));
    }
    let (i, c) = futures::join!(
        api.get_json(issue_call, &subject),
        api.page(api.call(&ISSUE_COMMENTS, &[repo.workspace, repo.slug, &id_text]), comments, &subject)
    );
    Ok((issue(&i?), c?.map(|v| comment(&v))))
}
