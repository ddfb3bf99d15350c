//! Bitbucket Data Center CI: the build statuses of a commit (a pull request's head, a branch's
//! head) and its Code Insights reports, and a report's annotations. Data Center has no
//! Pipelines: running or stopping one is refused. Wire types are here: only these read them.

use serde::Deserialize;

use super::super::ci::{self, Check, CiTarget, Detail, Overview};
use super::super::client::{BitbucketApi, TRACKER};
use super::super::endpoints::datacenter::{
    BRANCHES, BUILD_STATUSES, INSIGHT_ANNOTATIONS, INSIGHT_REPORTS, PR,
};
use super::super::models::{Repo, Write};
use super::{date, wire};
use crate::error::{Error, Result};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildStatus {
    /// CANCELLED, FAILED, INPROGRESS, SUCCESSFUL or UNKNOWN.
    pub state: String,
    pub key: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub url: Option<String>,
    /// `dateAdded` on the build-status REST module's answers; the 9.4 spec's schema names
    /// `createdDate` and `updatedDate`.
    pub date_added: Option<i64>,
    pub created_date: Option<i64>,
    pub updated_date: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub key: String,
    pub title: Option<String>,
    /// FAIL or PASS (absent while running).
    pub result: Option<String>,
    pub reporter: Option<String>,
    pub details: Option<String>,
    pub created_date: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Annotations {
    pub annotations: Vec<Annotation>,
    pub total_count: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Annotation {
    pub message: String,
    pub path: Option<String>,
    pub line: Option<i64>,
    pub severity: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// A report key as `ci` shows it (letters, digits, `.`, `-`, `_`, `:`).
fn report_key(value: &str) -> Result<&str> {
    let ok = !value.is_empty()
        && value.len() <= 200
        && value.chars().all(|c| c.is_ascii_alphanumeric() || ".-_:".contains(c));
    if ok { Ok(value) } else { Err(Error::invalid("ref", "must be a report key as ci shows it")) }
}

async fn commit_of(api: &BitbucketApi, repo: Repo<'_>, target: CiTarget<'_>) -> Result<(String, String)> {
    match target {
        CiTarget::Commit(hash) => Ok((hash.to_owned(), format!("commit {hash}"))),
        CiTarget::Run(_) => {
            Err(Error::invalid("ref", "Data Center runs are reports: pass `run:…` as ci shows it"))
        }
        CiTarget::PullRequest(id) => {
            let id_text = id.to_string();
            let call = api.call(&PR, &[repo.workspace, repo.slug, &id_text]);
            let pr: wire::PullRequest = api.get(call, &format!("pull request {id}")).await?;
            let hash = pr.from_ref.and_then(|r| r.latest_commit).unwrap_or_default();
            if hash.is_empty() {
                return Err(Error::bad_response(TRACKER, "the pull request names no source commit"));
            }
            let subject = format!("pull request #{id} (head commit {})", short(&hash));
            Ok((hash, subject))
        }
        CiTarget::Branch(name) => {
            let call = api
                .call(&BRANCHES, &[repo.workspace, repo.slug])
                .query("filterText", name)
                .query("start", 0)
                .query("limit", 100);
            let page: wire::Page<wire::Ref> = api.get(call, &repo.subject()).await?;
            let full = format!("refs/heads/{name}");
            let hash = page
                .values
                .into_iter()
                .find(|b| b.display_id == name || b.id == full)
                .and_then(|b| b.latest_commit)
                .ok_or_else(|| {
                    Error::NotFound(format!("branch {name} was not found in {}", repo.subject()))
                })?;
            let subject = format!("branch {name} (head commit {})", short(&hash));
            Ok((hash, subject))
        }
    }
}

fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

/// The build statuses and Code Insights reports of the commit a target names.
pub async fn ci_overview(
    api: &BitbucketApi,
    repo: Repo<'_>,
    target: CiTarget<'_>,
    limit: u32,
) -> Result<Overview> {
    let (hash, subject) = commit_of(api, repo, target).await?;
    let builds = api.call(&BUILD_STATUSES, &[&hash]).query("start", 0).query("limit", limit);
    let reports =
        api.call(&INSIGHT_REPORTS, &[repo.workspace, repo.slug, &hash]).query("start", 0).query("limit", 100);
    let (builds_of, reports_of) =
        (format!("the builds of {subject}"), format!("the Code Insights reports of {subject}"));
    let (builds, reports) = futures::join!(
        api.get::<wire::Page<BuildStatus>>(builds, &builds_of),
        api.get::<wire::Page<Report>>(reports, &reports_of)
    );
    let builds = builds?;
    let more = !builds.is_last_page;
    let runs = builds
        .values
        .into_iter()
        .map(|b| Check {
            id: String::new(),
            name: b.name.or(b.key).unwrap_or_else(|| "build".to_owned()),
            failed: b.state == "FAILED",
            state: b.state,
            when: date(b.updated_date.or(b.created_date).or(b.date_added)),
            detail: [b.description, b.url]
                .into_iter()
                .flatten()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("; "),
        })
        .collect();
    let (reports, note) = match reports {
        Ok(page) => (
            page.values
                .into_iter()
                .map(|r| Check {
                    failed: r.result.as_deref() == Some("FAIL"),
                    state: r.result.unwrap_or_else(|| "PENDING".to_owned()),
                    name: r.title.unwrap_or_else(|| r.key.clone()),
                    when: date(r.created_date),
                    detail: [r.reporter, r.details]
                        .into_iter()
                        .flatten()
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>()
                        .join(": "),
                    id: format!("{}@{hash}", r.key),
                })
                .collect(),
            None,
        ),
        // Servers without Code Insights (or without access to it) still show their builds.
        Err(e) => (Vec::new(), Some(format!("Code Insights unavailable ({})", e.kind()))),
    };
    let note = match (more, note) {
        (true, n) => Some(
            [Some("more builds exist than shown".to_owned()), n]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("; "),
        ),
        (false, n) => n,
    };
    Ok(Overview { subject, runs, steps_of: None, reports, note })
}

/// The annotations of a report: `run` is `{key}@{commit}` as the overview shows it.
pub async fn ci_detail(api: &BitbucketApi, repo: Repo<'_>, run: &str) -> Result<Detail> {
    let bad = || Error::invalid("ref", "must be a `ref=run:{key}@{commit}` value as ci shows it");
    let (key, hash) = run.rsplit_once('@').ok_or_else(bad)?;
    let key = report_key(key).map_err(|_| bad())?;
    if !(7..=64).contains(&hash.len()) || !hash.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let subject = format!("commit {}", short(hash));
    let call = api.call(&INSIGHT_ANNOTATIONS, &[repo.workspace, repo.slug, hash, key]);
    let body: Annotations = api.get(call, &format!("report {key} of {subject}")).await?;
    let total = body.total_count.unwrap_or(body.annotations.len() as u64);
    let mut lines: Vec<String> = body
        .annotations
        .into_iter()
        .take(ci::ANNOTATIONS)
        .map(|a| {
            let at = match (a.path, a.line) {
                (Some(p), Some(l)) if !p.is_empty() => format!("{p}:{l} "),
                (Some(p), _) if !p.is_empty() => format!("{p} "),
                _ => String::new(),
            };
            let kind = [a.severity, a.kind].into_iter().flatten().collect::<Vec<_>>().join(" ");
            format!("{at}[{kind}] {}", a.message.split_whitespace().collect::<Vec<_>>().join(" "))
        })
        .collect();
    if lines.is_empty() {
        lines.push("(no annotations)".to_owned());
    }
    let shown = lines.len() as u64;
    let tests = Some(format!("{shown} of {total} annotations of report {key} on {subject}"));
    Ok(Detail { title: format!("annotations of report {key}"), text: lines.join("\n"), from_end: 0, tests })
}

fn no_pipelines() -> Error {
    Error::invalid(
        "workspace",
        "Bitbucket Data Center has no Pipelines; builds are run by the CI server that reports them",
    )
}

pub fn run_pipeline(_api: &BitbucketApi, _repo: Repo<'_>, _branch: &str) -> Result<Write> {
    Err(no_pipelines())
}

pub fn stop_pipeline(_api: &BitbucketApi, _repo: Repo<'_>, _run: &str) -> Result<Write> {
    Err(no_pipelines())
}

pub fn started_pipeline(_answer: serde_json::Value) -> Result<String> {
    Err(no_pipelines())
}
