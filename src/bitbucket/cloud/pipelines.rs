//! Bitbucket Cloud Pipelines: the runs of a commit (a pull request's head, a branch's head),
//! one run with its steps, a step's log (plain text) with its test report, and running or
//! stopping a pipeline. Wire types are here: only these operations read them.

use serde::Deserialize;
use serde_json::json;

use super::super::ci::{self, Check, CiTarget, Detail, Overview};
use super::super::client::{BitbucketApi, TRACKER};
use super::super::endpoints::cloud::{
    BRANCHES, PIPELINE, PIPELINE_RUN, PIPELINE_STEPS, PIPELINE_STOP, PIPELINES, PR, STEP_LOG, TEST_CASES,
    TEST_REPORTS,
};
use super::super::models::{Repo, Write};
use super::wire;
use crate::error::{Error, Result};

#[derive(Debug, Deserialize)]
pub struct Named {
    pub name: String,
}

#[derive(Debug, Deserialize)]
pub struct State {
    /// PENDING, IN_PROGRESS, COMPLETED... (the spec's base `pipeline_state` has only `type`).
    pub name: Option<String>,
    pub result: Option<Named>,
    pub stage: Option<Named>,
}

impl State {
    /// FAILED, SUCCESSFUL, STOPPED... once done; IN_PROGRESS, PENDING, PAUSED before.
    fn label(&self) -> String {
        match (&self.result, &self.stage) {
            (Some(r), _) => r.name.clone(),
            (None, Some(s)) => s.name.clone(),
            (None, None) => self.name.clone().unwrap_or_default(),
        }
    }

    fn failed(&self) -> bool {
        self.result.as_ref().is_some_and(|r| matches!(r.name.as_str(), "FAILED" | "ERROR"))
    }
}

#[derive(Debug, Deserialize)]
pub struct Target {
    pub ref_name: Option<String>,
    pub commit: Option<wire::Hash>,
}

#[derive(Debug, Deserialize)]
pub struct Pipeline {
    pub uuid: String,
    pub build_number: Option<i64>,
    pub state: Option<State>,
    pub target: Option<Target>,
    pub created_on: Option<String>,
    pub duration_in_seconds: Option<i64>,
}

#[derive(Debug, Deserialize)]
pub struct Step {
    pub uuid: String,
    pub name: Option<String>,
    pub state: Option<State>,
    pub started_on: Option<String>,
    pub duration_in_seconds: Option<i64>,
}

#[derive(Debug, Deserialize)]
pub struct TestReport {
    pub number_of_test_cases: Option<u64>,
    pub number_of_successful_test_cases: Option<u64>,
    pub number_of_failed_test_cases: Option<u64>,
    pub number_of_error_test_cases: Option<u64>,
    pub number_of_skipped_test_cases: Option<u64>,
}

#[derive(Debug, Deserialize)]
pub struct TestCase {
    pub name: Option<String>,
    pub fully_qualified_name: Option<String>,
    pub status: Option<String>,
}

fn duration(seconds: Option<i64>) -> String {
    seconds.map(|s| format!("{}m{:02}s", s / 60, s % 60)).unwrap_or_default()
}

fn run_check(p: Pipeline) -> Check {
    let state = p.state.as_ref().map(State::label).unwrap_or_default();
    let failed = p.state.as_ref().is_some_and(State::failed);
    let target = p.target.and_then(|t| t.ref_name).map(|r| format!("on {r}")).unwrap_or_default();
    let detail = [target, duration(p.duration_in_seconds)].into_iter().filter(|s| !s.is_empty());
    Check {
        name: p.build_number.map_or_else(|| "pipeline".to_owned(), |n| format!("pipeline #{n}")),
        id: p.uuid,
        state,
        when: p.created_on.unwrap_or_default(),
        detail: detail.collect::<Vec<_>>().join(", "),
        failed,
    }
}

fn step_check(run: &str, s: Step) -> Check {
    Check {
        id: format!("{run}/{}", s.uuid),
        name: s.name.unwrap_or_else(|| "step".to_owned()),
        state: s.state.as_ref().map(State::label).unwrap_or_default(),
        when: s.started_on.unwrap_or_default(),
        detail: duration(s.duration_in_seconds),
        failed: s.state.as_ref().is_some_and(State::failed),
    }
}

/// A pipeline or step UUID as Cloud writes it (`{…}`, hex and dashes); the braces are added
/// when left out.
fn uuid(arg: &str, value: &str) -> Result<String> {
    let bare = value.trim().trim_start_matches('{').trim_end_matches('}');
    if bare.is_empty() || bare.len() > 36 || !bare.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        return Err(Error::invalid(arg, "must be a `ref=run:…` value as ci shows it: {…} or {…}/{…}"));
    }
    Ok(format!("{{{bare}}}"))
}

/// `run`: a pipeline, or a pipeline and one of its steps.
fn parse_run(run: &str) -> Result<(String, Option<String>)> {
    match run.split_once('/') {
        Some((pipeline, step)) => Ok((uuid("ref", pipeline)?, Some(uuid("ref", step)?))),
        None => Ok((uuid("ref", run)?, None)),
    }
}

/// The commit CI ran on, and how results name it.
async fn commit_of(api: &BitbucketApi, repo: Repo<'_>, target: CiTarget<'_>) -> Result<(String, String)> {
    match target {
        CiTarget::Commit(hash) | CiTarget::Run(hash) => Ok((hash.to_owned(), format!("commit {hash}"))),
        CiTarget::PullRequest(id) => {
            let id_text = id.to_string();
            let call = api.call(&PR, &[repo.workspace, repo.slug, &id_text]);
            let pr: wire::PullRequest = api.get(call, &format!("pull request {id}")).await?;
            let hash = pr.source.and_then(|s| s.commit).map(|c| c.hash).unwrap_or_default();
            if hash.is_empty() {
                return Err(Error::bad_response(TRACKER, "the pull request names no source commit"));
            }
            let subject = format!("pull request #{id} (head commit {})", short(&hash));
            Ok((hash, subject))
        }
        CiTarget::Branch(name) => {
            let quoted = format!("name=\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""));
            let call =
                api.call(&BRANCHES, &[repo.workspace, repo.slug]).query("q", quoted).query("pagelen", 1);
            let page: wire::Page<wire::Branch> = api.get(call, &repo.subject()).await?;
            let hash = page
                .values
                .into_iter()
                .find(|b| b.name == name)
                .and_then(|b| b.target)
                .and_then(|t| t.hash)
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

async fn steps(api: &BitbucketApi, repo: Repo<'_>, run: Check) -> Result<(Check, Vec<Check>)> {
    let call = api.call(&PIPELINE_STEPS, &[repo.workspace, repo.slug, &run.id]).query("pagelen", 100);
    let page: wire::Page<Step> = api.get(call, &format!("the steps of {}", run.name)).await?;
    let id = run.id.clone();
    Ok((run, page.values.into_iter().map(|s| step_check(&id, s)).collect()))
}

/// The runs of the commit a target names (newest first) and the newest one's steps; or, with
/// `run`, that run and its steps.
pub async fn ci_overview(
    api: &BitbucketApi,
    repo: Repo<'_>,
    target: CiTarget<'_>,
    limit: u32,
) -> Result<Overview> {
    if let CiTarget::Run(run) = target {
        let (pipeline, _) = parse_run(run)?;
        let call = api.call(&PIPELINE, &[repo.workspace, repo.slug, &pipeline]);
        let p: Pipeline = api.get(call, &format!("pipeline {pipeline}")).await?;
        let run = run_check(p);
        let subject = format!("{} of {}", run.name, repo.subject());
        return Ok(Overview { subject, steps_of: Some(steps(api, repo, run).await?), ..Overview::default() });
    }
    let (hash, subject) = commit_of(api, repo, target).await?;
    // Cloud lists runs oldest first and its spec allows no descending sort: the runs of one
    // commit are few, so they are read at once (up to 100) and ordered here.
    let call = api
        .call(&PIPELINES, &[repo.workspace, repo.slug])
        .query("target.commit.hash", &hash)
        .query("pagelen", 100);
    let page: wire::Page<Pipeline> = api.get(call, &format!("the pipelines of {subject}")).await?;
    let mut runs: Vec<Pipeline> = page.values;
    runs.sort_by(|a, b| b.created_on.cmp(&a.created_on));
    let more = runs.len() > limit as usize || page.next.is_some();
    let mut runs: Vec<Check> = runs.into_iter().take(limit as usize).map(run_check).collect();
    let note = more.then(|| format!("the newest {} runs of this commit are shown", runs.len()));
    let steps_of = if runs.is_empty() { None } else { Some(steps(api, repo, runs.remove(0)).await?) };
    Ok(Overview { subject, runs, steps_of, reports: Vec::new(), note })
}

/// A step's log (tail first) and test report, for `run` = `{pipeline}/{step}`.
pub async fn ci_detail(api: &BitbucketApi, repo: Repo<'_>, run: &str) -> Result<Detail> {
    let (pipeline, step) = parse_run(run)?;
    let Some(step) = step else {
        return Err(Error::invalid("ref", "name a step: `run:{pipeline}/{step}` as ci shows it"));
    };
    let args = [repo.workspace, repo.slug, pipeline.as_str(), step.as_str()];
    let subject = format!("step {step} of pipeline {pipeline}");
    // The log is plain text: an `Accept: application/json` gets 406.
    let log = api.call(&STEP_LOG, &args).accept("text/plain, application/octet-stream");
    let (log, tests) = futures::join!(api.send(log.request, &subject), test_report(api, &args));
    let text = ci::plain_log(&log?.text());
    Ok(Detail { title: format!("log of {subject}"), text, from_end: 0, tests })
}

/// The step's test report in one line, with the failed cases named; `None` when it has none.
async fn test_report(api: &BitbucketApi, args: &[&str; 4]) -> Option<String> {
    let response = match api.send(api.call(&TEST_REPORTS, args).request, "the test report").await {
        Ok(r) if !r.body.is_empty() => r,
        Ok(_) | Err(Error::NotFound(_)) => return None,
        Err(e) => return Some(format!("tests: report unavailable ({})", e.kind())),
    };
    let report: TestReport = match response.json(TRACKER) {
        Ok(r) => r,
        Err(e) => return Some(format!("tests: report unreadable ({})", e.kind())),
    };
    let n = |v: Option<u64>| v.unwrap_or_default();
    let failed = n(report.number_of_failed_test_cases) + n(report.number_of_error_test_cases);
    let mut line = format!(
        "tests: {} run, {} passed, {failed} failed, {} skipped",
        n(report.number_of_test_cases),
        n(report.number_of_successful_test_cases),
        n(report.number_of_skipped_test_cases)
    );
    if failed > 0 {
        let call = api.call(&TEST_CASES, args).query("pagelen", 100);
        match api.get::<wire::Page<TestCase>>(call, "the test cases").await {
            Ok(page) => {
                let names: Vec<String> = page
                    .values
                    .into_iter()
                    .filter(|c| matches!(c.status.as_deref(), Some("FAILED" | "ERROR")))
                    .filter_map(|c| c.fully_qualified_name.or(c.name))
                    .take(ci::FAILED_TESTS)
                    .map(|n| crate::render::label_line(&n))
                    .collect();
                if !names.is_empty() {
                    line.push_str(&format!("; failed: {}", names.join(", ")));
                }
            }
            Err(e) => line.push_str(&format!("; cases unavailable ({})", e.kind())),
        }
    }
    Some(line)
}

/// Run the branch's pipeline (as a push to it would).
pub fn run_pipeline(api: &BitbucketApi, repo: Repo<'_>, branch: &str) -> Result<Write> {
    let body = json!({
        "type": "pipeline",
        "target": {"type": "pipeline_ref_target", "ref_type": "branch", "ref_name": branch}
    });
    Ok(Write {
        call: api.call(&PIPELINE_RUN, &[repo.workspace, repo.slug]).json(body),
        subject: format!("a pipeline for branch {branch}"),
        conflict_hint: "",
    })
}

pub fn stop_pipeline(api: &BitbucketApi, repo: Repo<'_>, run: &str) -> Result<Write> {
    let (pipeline, _) = parse_run(run)?;
    Ok(Write {
        call: api.call(&PIPELINE_STOP, &[repo.workspace, repo.slug, &pipeline]),
        subject: format!("pipeline {pipeline}"),
        conflict_hint: "",
    })
}

/// What a run answer names: `pipeline #7 ({uuid})`.
pub fn started_pipeline(answer: serde_json::Value) -> Result<String> {
    let p: Pipeline = crate::http::decode(TRACKER, answer)?;
    let run = run_check(p);
    Ok(format!(
        "{} (ref=run:{}), {}",
        run.name,
        run.id,
        if run.state.is_empty() { "pending" } else { &run.state }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_pipeline_or_step_uuids() {
        assert_eq!(parse_run("{ab-12}").expect("run"), ("{ab-12}".to_owned(), None));
        assert_eq!(parse_run("ab/{cd}").expect("step"), ("{ab}".to_owned(), Some("{cd}".to_owned())));
        for bad in ["", "{}", "x", "{ab}/../c", "{ab}/{cd}/{ef}", "{ab?q}"] {
            assert!(parse_run(bad).is_err(), "{bad}");
        }
    }
}
