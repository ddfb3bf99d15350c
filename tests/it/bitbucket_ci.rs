//! Bitbucket CI against local fakes that answer as the vendors document: a failing Cloud
//! pipeline leads to its step's log (tail first, capped, escapes stripped, the cap stated) and
//! test report in two calls; a failing Data Center build and Code Insights report lead to the
//! report's annotations; wrong-shaped answers are errors; the writes dry-run and are annotated
//! truthfully.

use serde_json::{Value, json};
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::fake::{ok, upstream};
use crate::common::{Server, dev_env};

const TOKEN: &str = "bb-ci-fake-token-1234";

async fn server(upstream: &MockServer, flavor: &str, writes: bool) -> Server {
    let uri = upstream.uri();
    let env = dev_env(
        &[("BITBUCKET_URL", uri.as_str()), ("BITBUCKET_TOKEN", TOKEN), ("BITBUCKET_FLAVOR", flavor)],
        writes,
    );
    Server::start(&env).await.0
}

const HEAD: &str = "0123456789abcdef0123456789abcdef01234567";
const OLD_RUN: &str = "{11111111-1111-1111-1111-111111111111}";
const NEW_RUN: &str = "{22222222-2222-2222-2222-222222222222}";
const BUILD: &str = "{33333333-3333-3333-3333-333333333333}";
const TEST: &str = "{44444444-4444-4444-4444-444444444444}";

/// A UUID as it appears in a request path.
fn enc(uuid: &str) -> String {
    uuid.replace('{', "%7B").replace('}', "%7D")
}

fn run(uuid: &str, number: i64, result: &str, created: &str) -> Value {
    json!({"type": "pipeline", "uuid": uuid, "build_number": number, "created_on": created,
           "state": {"type": "pipeline_state_completed", "name": "COMPLETED", "result": {"name": result}},
           "target": {"type": "pipeline_pullrequest_target", "ref_name": "fix/parser", "commit": {"hash": HEAD}},
           "duration_in_seconds": 125})
}

#[tokio::test]
async fn a_failing_cloud_pipeline_leads_to_its_step_log_and_tests_in_two_calls() {
    let upstream = upstream().await;
    let repo = "/2.0/repositories/ws/repo";
    Mock::given(method("GET"))
        .and(path(format!("{repo}/pullrequests/5")))
        .respond_with(ok(json!({"id": 5, "title": "Fix", "state": "OPEN",
                                "source": {"branch": {"name": "fix/parser"}, "commit": {"hash": HEAD}}})))
        .mount(&upstream)
        .await;
    // Cloud lists oldest first: the newest run is last here and must be shown first.
    Mock::given(method("GET"))
        .and(path(format!("{repo}/pipelines")))
        .and(query_param("target.commit.hash", HEAD))
        .respond_with(ok(json!({"page": 1, "size": 2, "values": [
            run(OLD_RUN, 6, "SUCCESSFUL", "2025-01-07T10:00:00Z"),
            run(NEW_RUN, 7, "FAILED", "2025-01-08T11:30:00Z")]})))
        .expect(1)
        .mount(&upstream)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{repo}/pipelines/{}/steps", enc(NEW_RUN))))
        .respond_with(ok(json!({"values": [
            {"uuid": BUILD, "name": "Build", "state": {"name": "COMPLETED", "result": {"name": "SUCCESSFUL"}}},
            {"uuid": TEST, "name": "Unit tests", "duration_in_seconds": 61,
             "state": {"name": "COMPLETED", "result": {"name": "FAILED"}}}]})))
        .mount(&upstream)
        .await;
    // A long log with colours, a hyperlink (OSC 8), a progress line and a NUL.
    let mut log = String::from("\u{1b}]0;title\u{7}START OF LOG\n");
    for n in 0..1500 {
        log.push_str(&format!("\u{1b}[32mline {n:04}\u{1b}[0m ok\n"));
    }
    log.push_str("10%\r100%\n\u{1b}]8;;https://x.example\u{1b}\\link\u{1b}]8;;\u{1b}\\\u{0}\n");
    log.push_str("\u{1b}[31mFAILED\u{1b}[0m test_parser::handles_empty_input\n");
    Mock::given(method("GET"))
        .and(path(format!("{repo}/pipelines/{}/steps/{}/log", enc(NEW_RUN), enc(TEST))))
        // Plain text: an `Accept: application/json` would get 406.
        .and(|r: &wiremock::Request| {
            r.headers
                .get("accept")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|a| a.starts_with("text/plain") && !a.contains("json"))
        })
        .respond_with(ResponseTemplate::new(200).set_body_raw(log.into_bytes(), "text/plain"))
        .mount(&upstream)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{repo}/pipelines/{}/steps/{}/test_reports", enc(NEW_RUN), enc(TEST))))
        .respond_with(ok(json!({"number_of_test_cases": 40, "number_of_successful_test_cases": 38,
                                "number_of_failed_test_cases": 1, "number_of_error_test_cases": 1,
                                "number_of_skipped_test_cases": 0})))
        .mount(&upstream)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{repo}/pipelines/{}/steps/{}/test_reports/test_cases", enc(NEW_RUN), enc(TEST))))
        .respond_with(ok(json!({"values": [
            {"fully_qualified_name": "test_parser::handles_empty_input", "status": "FAILED"},
            {"fully_qualified_name": "test_parser::ok", "status": "SUCCESSFUL"},
            {"name": "setup", "status": "ERROR"}]})))
        .mount(&upstream)
        .await;
    let mut s = server(&upstream, "cloud", false).await;
    let pr = json!({"method": "ci", "workspace": "ws", "repo": "repo", "pull_request_id": 5});
    let out = s.ok("bitbucket_pull_request_read", pr).await;
    assert!(out.starts_with("CI of pull request #5 (head commit 0123456789ab):"), "{out}");
    let newest = out.find("newest run: FAILED pipeline #7").expect("newest run");
    assert!(out.find("older runs:\n- SUCCESSFUL pipeline #6").is_some_and(|older| older > newest), "{out}");
    let step_ref = format!("run:{NEW_RUN}/{TEST}");
    assert!(out.contains(&format!("FAILED Unit tests; 1m01s (ref={step_ref})")), "{out}");
    assert!(out.ends_with(&format!("Failing: Unit tests. Why: call ci again with ref={step_ref}")), "{out}");

    // The second call: the log, tail first.
    let args = json!({"method": "ci", "workspace": "ws", "repo": "repo", "ref": step_ref});
    let out = s.ok("bitbucket_pull_request_read", args.clone()).await;
    assert!(
        out.starts_with(
            "tests: 40 run, 38 passed, 2 failed, 0 skipped; failed: test_parser::handles_empty_input, setup\n"
        ),
        "{out}"
    );
    assert!(out.contains("FAILED test_parser::handles_empty_input\n>>>"), "{out}");
    assert!(out.contains("\n100%\nlink\n"), "{out}");
    assert!(!out.contains('\u{1b}') && !out.contains('\u{0}') && !out.contains("START OF LOG"), "{out:?}");
    assert!(out.contains("(12000 per call, tail first); earlier part: next: cursor=12000]"), "{out}");
    let mut earlier = args.clone();
    earlier["cursor"] = json!("12000");
    let out = s.ok("bitbucket_pull_request_read", earlier).await;
    assert!(out.contains("START OF LOG") && out.contains("[start of the log: characters 1–"), "{out}");
    let mut bad = args;
    bad["ref"] = json!("run:{2222}/../x");
    assert!(s.err("bitbucket_pull_request_read", bad).await.contains("`ref`"));
    s.finish().await;
}

#[tokio::test]
async fn a_failing_datacenter_build_and_report_lead_to_the_annotations() {
    let upstream = upstream().await;
    let repo = "/rest/api/1.0/projects/PRJ/repos/repo";
    Mock::given(method("GET"))
        .and(path(format!("{repo}/pull-requests/5")))
        .respond_with(ok(json!({"id": 5, "version": 1, "title": "Fix", "state": "OPEN",
                                "fromRef": {"id": "refs/heads/fix", "displayId": "fix", "latestCommit": HEAD},
                                "toRef": {"id": "refs/heads/main", "displayId": "main"}})))
        .mount(&upstream)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/rest/build-status/1.0/commits/{HEAD}")))
        .respond_with(ok(json!({"isLastPage": true, "values": [
            {"state": "SUCCESSFUL", "key": "lint", "name": "Lint", "dateAdded": 1_736_244_000_000_i64},
            {"state": "FAILED", "key": "unit", "name": "Unit tests", "url": "https://ci.example/b/7",
             "description": "2 tests failed", "dateAdded": 1_736_244_000_000_i64}]})))
        .expect(1)
        .mount(&upstream)
        .await;
    let insights = format!("/rest/insights/1.0/projects/PRJ/repos/repo/commits/{HEAD}/reports");
    Mock::given(method("GET"))
        .and(path(insights.clone()))
        .respond_with(ok(json!({"isLastPage": true, "values": [
            {"key": "com.example.sonar", "title": "Sonar", "result": "FAIL", "reporter": "SonarQube"},
            {"key": "com.example.cov", "title": "Coverage", "result": "PASS"}]})))
        .mount(&upstream)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{insights}/com.example.sonar/annotations")))
        .respond_with(ok(json!({"totalCount": 2, "annotations": [
            {"reportKey": "com.example.sonar", "path": "src/parser.rs", "line": 12, "severity": "HIGH",
             "type": "BUG", "message": "Possible null\ndereference >>> here"},
            {"message": "Duplicated block", "severity": "LOW"}]})))
        .mount(&upstream)
        .await;
    let mut s = server(&upstream, "datacenter", true).await;
    let out =
        s.ok("bitbucket_get_ci", json!({"workspace": "PRJ", "repo": "repo", "pull_request_id": 5})).await;
    let report_ref = format!("run:com.example.sonar@{HEAD}");
    for needle in [
        "CI of pull request #5 (head commit 0123456789ab):",
        "- FAILED Unit tests; 2025-01-07 10:00Z; 2 tests failed; https://ci.example/b/7",
        &format!("- FAIL Sonar; SonarQube (ref={report_ref})"),
        &format!("Failing: Sonar. Why: call ci again with ref={report_ref}"),
    ] {
        assert!(out.contains(needle), "{needle} missing:\n{out}");
    }
    let out = s.ok("bitbucket_get_ci", json!({"workspace": "PRJ", "repo": "repo", "ref": report_ref})).await;
    assert!(out.starts_with("2 of 2 annotations of report com.example.sonar"), "{out}");
    assert!(out.contains("src/parser.rs:12 [HIGH BUG] Possible null dereference > > > here"), "{out}");
    assert!(out.contains("[LOW] Duplicated block"), "{out}");
    // Data Center has no Pipelines: running or stopping one is not offered.
    let names = s.operation_names().await;
    assert!(!names.iter().any(|n| n.ends_with("_pipeline")), "{names:?}");
    s.finish().await;
}

#[tokio::test]
async fn ci_answers_of_the_wrong_shape_are_errors() {
    let bodies = [
        json!([]),
        json!({}),
        json!({"values": 7, "isLastPage": true}),
        json!({"values": [{"uuid": 1, "state": 1, "key": 1}], "isLastPage": true}),
    ];
    for flavor in ["cloud", "datacenter"] {
        for body in &bodies {
            let upstream = upstream().await;
            Mock::given(method("GET")).respond_with(ok(body.clone())).mount(&upstream).await;
            let mut s = server(&upstream, flavor, false).await;
            let mut calls = vec![
                json!({"workspace": "ws", "repo": "repo", "pull_request_id": 5}),
                json!({"workspace": "ws", "repo": "repo", "ref": "abc1234"}),
            ];
            calls.push(if flavor == "cloud" {
                json!({"workspace": "ws", "repo": "repo", "ref": "run:{ab12}"})
            } else {
                json!({"workspace": "ws", "repo": "repo", "ref": "run:k@abc1234"})
            });
            for args in calls {
                let text = s.err("bitbucket_get_ci", args.clone()).await;
                assert!(text.contains("unexpected response"), "{flavor} {args} {body}: {text}");
            }
            s.finish().await;
        }
    }
}

#[tokio::test]
async fn pipeline_writes_dry_run_send_the_documented_bodies_and_are_annotated_truthfully() {
    let upstream = upstream().await;
    Mock::given(method("POST"))
        .and(path("/2.0/repositories/ws/repo/pipelines"))
        .and(body_json(json!({"type": "pipeline",
                               "target": {"type": "pipeline_ref_target", "ref_type": "branch", "ref_name": "feature/x"}})))
        .respond_with(ResponseTemplate::new(201).set_body_json(run(NEW_RUN, 8, "", "2025-01-09T00:00:00Z")))
        .expect(1)
        .mount(&upstream)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/2.0/repositories/ws/repo/pipelines/{}/stopPipeline", enc(NEW_RUN))))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&upstream)
        .await;
    let mut s = server(&upstream, "cloud", true).await;
    let at = |r: &str, dry: bool| json!({"workspace": "ws", "repo": "repo", "ref": r, "dry_run": dry});
    let out = s.ok("bitbucket_run_pipeline", at("feature/x", true)).await;
    assert!(
        out.starts_with("Dry run (nothing sent): would POST /2.0/repositories/ws/repo/pipelines with body {"),
        "{out}"
    );
    let stop = format!("run:{NEW_RUN}");
    let out = s.ok("bitbucket_stop_pipeline", at(&stop, true)).await;
    assert!(out.contains("stopPipeline with no body"), "{out}");
    let out = s.ok("bitbucket_run_pipeline", at("feature/x", false)).await;
    assert!(out.starts_with(&format!("Started pipeline #8 (ref=run:{NEW_RUN})")), "{out}");
    let out = s.ok("bitbucket_stop_pipeline", at(&stop, false)).await;
    assert_eq!(out, format!("Stopped pipeline run:{NEW_RUN}."));
    assert!(s.err("bitbucket_stop_pipeline", at("main", false)).await.contains("`ref`"));
    assert!(s.err("bitbucket_run_pipeline", at(&stop, false)).await.contains("`ref`"));
    s.finish().await;

    let ops = crate::schemas::all_operations();
    let hints = |name: &str| {
        let op = ops.iter().find(|o| o["name"] == name).expect(name);
        (op["annotations"]["readOnlyHint"].clone(), op["annotations"]["destructiveHint"].clone())
    };
    assert_eq!(hints("bitbucket_get_ci"), (json!(true), json!(false)));
    assert_eq!(hints("bitbucket_run_pipeline"), (json!(false), json!(false)));
    assert_eq!(hints("bitbucket_stop_pipeline"), (json!(false), json!(true)));
}
