//! Bitbucket Data Center (REST 1.0, `/rest/api/1.0/...`): each operation as requests to the
//! endpoints of [`super::endpoints::datacenter`], and how their JSON maps to the neutral
//! models of [`super::models`]. What Data Center lacks (issues, code search) is refused here
//! with the error the tools give.

use serde_json::{Value, json};

use super::client::{self, BitbucketApi, TRACKER};
use super::endpoints::datacenter::*;
use super::models::{
    Activity, Branch, Change, Comment, Commit, DcProperties, FileContent, Issue, NewComment, NewPullRequest,
    Page, PageArgs, PrFilter, Project, PullRequest, Repo, Repository, Reviewer, SearchHit, Write, first, s,
};
use crate::error::{Error, Result};

mod writes;
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

fn date(v: &Value, key: &str) -> String {
    v[key].as_i64().map(ms_to_iso).unwrap_or_default()
}

fn user(v: &Value) -> String {
    first(v, &["/displayName", "/name", "/slug"])
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
    let DcProperties { version } = response.json(TRACKER)?;
    Ok(format!("Acting as {user} on Bitbucket Data Center {version}."))
}

/// All projects (Data Center has no workspaces: `workspace` is not used).
pub async fn list_projects(
    api: &BitbucketApi,
    _workspace: Option<&str>,
    args: &PageArgs,
) -> Result<Page<Project>> {
    let page = api.page(api.call(&PROJECTS, &[]), args, "the project list").await?;
    Ok(page.map(|v| Project {
        key: s(&v, "/key"),
        name: s(&v, "/name"),
        description: s(&v, "/description"),
        private: v["public"].as_bool().map(|p| !p),
    }))
}

fn repository(v: &Value) -> Repository {
    Repository {
        slug: s(v, "/slug"),
        name: s(v, "/name"),
        project: s(v, "/project/key"),
        description: s(v, "/description"),
        private: v["public"].as_bool().map(|p| !p),
        default_branch: String::new(),
        language: String::new(),
        updated: String::new(),
        web: s(v, "/links/self/0/href"),
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
    let call = match name {
        Some(name) => api.call(&REPOS_SEARCH, &[]).query("projectkey", workspace).query("name", name),
        None => api.call(&REPOS, &[workspace]),
    };
    let page = api.page(call, args, &format!("project {workspace}")).await?;
    Ok(page.map(|v| repository(&v)))
}

pub async fn get_repository(api: &BitbucketApi, repo: Repo<'_>) -> Result<Repository> {
    let v = api.get_json(api.call(&REPO, &[repo.workspace, repo.slug]), &repo.subject()).await?;
    Ok(repository(&v))
}

pub fn pull_request(v: &Value) -> PullRequest {
    PullRequest {
        id: v["id"].as_u64().unwrap_or_default(),
        title: s(v, "/title"),
        state: s(v, "/state"),
        draft: v["draft"].as_bool().unwrap_or(false),
        author: author(v),
        source: first(v, &["/fromRef/displayId", "/fromRef/id"]),
        target: first(v, &["/toRef/displayId", "/toRef/id"]),
        created: date(v, "createdDate"),
        updated: date(v, "updatedDate"),
        description: s(v, "/description"),
        reviewers: v["reviewers"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| Reviewer {
                name: user(&r["user"]),
                verdict: match r["status"].as_str() {
                    Some("APPROVED") => "approved".into(),
                    Some("NEEDS_WORK") => "needs work (changes requested)".into(),
                    _ => "no verdict".into(),
                },
            })
            .collect(),
        comment_count: v["properties"]["commentCount"].as_u64(),
        version: v["version"].as_i64(),
        source_commit: s(v, "/fromRef/latestCommit"),
        web: s(v, "/links/self/0/href"),
        merge_status: None,
        builds: None,
    }
}

/// The author: `author` as servers send it, else the participant whose role is AUTHOR (the
/// 9.4 spec describes only the latter).
fn author(v: &Value) -> String {
    let direct = user(&v["author"]["user"]);
    if !direct.is_empty() {
        return direct;
    }
    v["participants"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["role"] == "AUTHOR")
        .map(|p| user(&p["user"]))
        .unwrap_or_default()
}

/// A path as `toString`, else its components joined.
fn path_text(v: &Value) -> String {
    let text = s(v, "/toString");
    if !text.is_empty() {
        return text;
    }
    v["components"].as_array().into_iter().flatten().filter_map(Value::as_str).collect::<Vec<_>>().join("/")
}

/// Whether `v` (a user JSON) is `who` (name, slug or display name, case-insensitive).
fn is_user(v: &Value, who: &str) -> bool {
    ["/name", "/slug", "/displayName", "/emailAddress"].iter().any(|p| s(v, p).eq_ignore_ascii_case(who))
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
    let page = api.page(call, args, &repo.subject()).await?;
    let fetched = page.items.len();
    let mut page = page;
    if filter.author.is_some() || filter.reviewer.is_some() {
        page.items.retain(|pr| {
            filter.author.as_deref().is_none_or(|a| {
                is_user(&pr["author"]["user"], a)
                    || pr["participants"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|p| p["role"] == "AUTHOR" && is_user(&p["user"], a))
            }) && filter.reviewer.as_deref().is_none_or(|r| {
                pr["reviewers"].as_array().into_iter().flatten().any(|x| is_user(&x["user"], r))
            })
        });
        page.note = Some(format!(
            "author/reviewer filtered here: {} of the {fetched} pull requests of this page match; later pages may hold more",
            page.items.len()
        ));
    }
    Ok(page.map(|v| pull_request(&v)))
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
    let v = api.get_json(api.call(&PR, &args), &subject).await?;
    let mut pr = pull_request(&v);
    if !details {
        return Ok(pr);
    }
    let commit = pr.source_commit.clone();
    let build_subject = format!("build status of {commit}");
    let builds = async {
        if commit.is_empty() {
            Err(crate::error::Error::bad_response(TRACKER, "no source commit"))
        } else {
            api.get_json(api.call(&BUILD_STATS, &[&commit]), &build_subject).await
        }
    };
    let (merge, builds) = futures::join!(api.get_json(api.call(&PR_MERGE_STATUS, &args), &subject), builds);
    pr.merge_status = Some(match merge {
        Ok(m) => {
            let vetoes: Vec<String> = m["vetoes"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|v| first(v, &["/summaryMessage", "/detailedMessage"]))
                .collect();
            let can = match m["canMerge"].as_bool() {
                Some(true) => "can merge",
                Some(false) => "cannot merge",
                None => "mergeability not stated",
            };
            let mut text = format!("{can}; outcome {}", first(&m, &["/outcome"]));
            if m["conflicted"] == true {
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
            let parts: Vec<String> = ["successful", "failed", "inProgress", "cancelled", "unknown"]
                .iter()
                .filter_map(|k| b[*k].as_u64().filter(|n| *n > 0).map(|n| format!("{n} {k}")))
                .collect();
            if parts.is_empty() { "none reported".into() } else { parts.join(", ") }
        }
        Err(e) => format!("unavailable ({})", e.kind()),
    });
    Ok(pr)
}

/// A comment as created (no replies yet).
/// The pull request's unified diff (text).
pub async fn pull_request_diff(api: &BitbucketApi, repo: Repo<'_>, id: u64) -> Result<String> {
    let id = id.to_string();
    let call = api.call(&PR_DIFF, &[repo.workspace, repo.slug, &id]);
    let response = api.send(call.accept("text/plain").request, &format!("pull request {id}")).await?;
    Ok(response.text())
}

pub fn comment(v: &Value) -> Comment {
    let mut out = Vec::new();
    flatten_comment(v, v["parent"]["id"].as_u64(), &v["anchor"], &mut out);
    out.into_iter().next().unwrap_or_default()
}

/// A comment and its replies, flattened with parent ids; the anchor is inherited.
fn flatten_comment(v: &Value, parent: Option<u64>, anchor: &Value, out: &mut Vec<Comment>) {
    let id = v["id"].as_u64().unwrap_or_default();
    out.push(Comment {
        id,
        parent,
        author: user(&v["author"]),
        created: date(v, "createdDate"),
        text: s(v, "/text"),
        path: anchor["path"].as_str().map(str::to_owned),
        line: anchor["line"].as_u64(),
        deleted: false,
        state: match (s(v, "/severity").as_str(), s(v, "/state").as_str()) {
            ("BLOCKER", "RESOLVED") => "task, resolved".into(),
            ("BLOCKER", _) => "task, open".into(),
            (_, "RESOLVED") => "resolved".into(),
            _ => String::new(),
        },
    });
    for reply in v["comments"].as_array().into_iter().flatten() {
        flatten_comment(reply, Some(id), anchor, out);
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
    let page = api.page(call, args, &format!("pull request {id}")).await?;
    let mut comments = Vec::new();
    for a in &page.items {
        if a["action"] == "COMMENTED" && a["commentAction"].as_str().is_none_or(|c| c == "ADDED") {
            let anchor =
                if a["commentAnchor"].is_object() { &a["commentAnchor"] } else { &a["comment"]["anchor"] };
            flatten_comment(&a["comment"], None, anchor, &mut comments);
        }
    }
    Ok(Page {
        note: Some(format!("read from {} activity entries", page.items.len())),
        items: comments,
        offset: page.offset,
        total: None,
        next: page.next,
    })
}

fn commit(v: &Value) -> Commit {
    Commit {
        hash: s(v, "/id"),
        author: user(&v["author"]),
        date: date(v, "authorTimestamp"),
        message: s(v, "/message"),
        parents: v["parents"].as_array().into_iter().flatten().map(|p| s(p, "/id")).collect(),
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
    let action = s(v, "/action");
    let detail = match action.as_str() {
        "COMMENTED" => {
            let anchor = &v["commentAnchor"];
            let at = anchor["path"]
                .as_str()
                .map_or_else(String::new, |p| format!(" on {p}:{}", s(anchor, "/line")));
            format!("{} #{}{at}: {}", s(v, "/commentAction"), s(v, "/comment/id"), s(v, "/comment/text"))
        }
        "RESCOPED" => format!(
            "{} commit(s) added, {} removed",
            v["added"]["commits"].as_array().map_or(0, Vec::len),
            v["removed"]["commits"].as_array().map_or(0, Vec::len)
        ),
        "REVIEWED" | "APPROVED" | "UNAPPROVED" => s(v, "/participant/status"),
        "MERGED" => s(v, "/commit/id"),
        _ => String::new(),
    };
    Activity { when: date(v, "createdDate"), who: user(&v["user"]), action: action.to_lowercase(), detail }
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
        .query_opt("filterText", filter)
        .query("orderBy", "MODIFICATION");
    let page = api.page(call, args, &repo.subject()).await?;
    Ok(page.map(|v| Branch {
        name: first(&v, &["/displayId", "/id"]),
        hash: s(&v, "/latestCommit"),
        is_default: v["isDefault"].as_bool().unwrap_or(false),
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
    Ok(page.map(|v| commit(&v)))
}

pub async fn get_commit(api: &BitbucketApi, repo: Repo<'_>, hash: &str) -> Result<(Commit, Page<Change>)> {
    let subject = format!("commit {hash}");
    let args = PageArgs { limit: 100, cursor: None };
    let (c, changes) = futures::join!(
        api.get_json(api.call(&COMMIT, &[repo.workspace, repo.slug, hash]), &subject),
        api.page(api.call(&COMMIT_CHANGES, &[repo.workspace, repo.slug, hash]), &args, &subject)
    );
    let changes = changes?.map(|v| Change {
        path: [path_text(&v["path"]), path_text(&v["srcPath"])]
            .into_iter()
            .find(|p| !p.is_empty())
            .unwrap_or_default(),
        status: s(&v, "/type").to_lowercase(),
    });
    Ok((commit(&c?), changes))
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

pub async fn search_code(
    _api: &BitbucketApi,
    _workspace: &str,
    _query: &str,
    _repo: Option<&str>,
    _args: &PageArgs,
) -> Result<Page<SearchHit>> {
    Err(Error::invalid(
        "workspace",
        "code search is not part of the Bitbucket Data Center REST API; use the web UI",
    ))
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
