//! The fault matrix: every tracker against every upstream fault. Each call must come back as
//! an `isError` result with a short, correct explanation; no secret may appear anywhere
//! (results, stdout, stderr, audit log); memory stays bounded; the server keeps serving.

use std::time::Duration;

use serde_json::json;

use crate::common::Server;
use crate::fault_server::{Fault, FaultServer};

const SECRET: &str = "FAULTSECRET-5d41402abc4b2a76b9719d911017c592";

/// A tracker configuration and the tool that reaches its upstream.
struct Tracker {
    name: &'static str,
    tool: &'static str,
    vars: &'static [(&'static str, &'static str)],
    url_var: &'static str,
    key_var: &'static str,
    /// A body its tool accepts as healthy.
    healthy: &'static str,
}

const TRACKERS: &[Tracker] = &[
    Tracker {
        name: "redmine",
        tool: "redmine_whoami",
        vars: &[],
        url_var: "REDMINE_URL",
        key_var: "REDMINE_API_KEY",
        healthy: r#"{"user":{"id":1,"login":"admin","firstname":"A","lastname":"B"}}"#,
    },
    Tracker {
        name: "bugzilla",
        tool: "bugzilla_whoami",
        // The key in the query string is the worst case for leaks.
        vars: &[("BUGZILLA_API_KEY_MODE", "param")],
        url_var: "BUGZILLA_URL",
        key_var: "BUGZILLA_API_KEY",
        healthy: r#"{"version":"5.3.3","id":1,"name":"admin@example.test","real_name":"Admin"}"#,
    },
    Tracker {
        name: "bitbucket cloud",
        tool: "bitbucket_whoami",
        vars: &[("BITBUCKET_FLAVOR", "cloud")],
        url_var: "BITBUCKET_URL",
        key_var: "BITBUCKET_TOKEN",
        healthy: r#"{"display_name":"Admin","nickname":"admin","account_id":"1","uuid":"{1}"}"#,
    },
    Tracker {
        name: "bitbucket dc",
        tool: "bitbucket_whoami",
        vars: &[("BITBUCKET_FLAVOR", "datacenter")],
        url_var: "BITBUCKET_URL",
        key_var: "BITBUCKET_TOKEN",
        healthy: r#"{"version":"9.4.0","buildNumber":"1","displayName":"Bitbucket"}"#,
    },
];

/// Each fault, the words its explanation must contain, and a short name for the matrix.
fn faults(elsewhere: &str) -> Vec<(&'static str, Fault, Vec<&'static str>)> {
    vec![
        ("slow first byte", Fault::SlowFirstByte(Duration::from_secs(4)), vec!["did not answer within 1s"]),
        ("reset mid-body", Fault::ResetMidBody, vec!["connection broke"]),
        ("500 HTML page", Fault::Html500, vec!["HTTP 500"]),
        ("502", Fault::Status(502), vec!["HTTP 502"]),
        ("503", Fault::Status(503), vec!["HTTP 503"]),
        ("429 Retry-After seconds", Fault::RetryAfterSeconds(120), vec!["rate limiting", "120s"]),
        (
            "429 Retry-After date",
            Fault::RetryAfterDate(Duration::from_secs(300)),
            vec!["rate limiting", "retry after"],
        ),
        ("200 invalid JSON", Fault::InvalidJson, vec!["unexpected response", "invalid JSON"]),
        ("200 wrong JSON shape", Fault::WrongShape, vec!["unexpected response"]),
        ("body over the cap", Fault::Huge(32 * 1024 * 1024), vec!["larger than 1048576 bytes"]),
        ("gzip bomb", Fault::GzipBomb, vec!["unexpected response"]),
        (
            "redirect to another origin",
            Fault::RedirectTo(elsewhere.to_owned()),
            vec!["redirected to", "not followed"],
        ),
        ("redirect loop", Fault::RedirectLoop, vec!["not followed"]),
        ("401 echoing the headers", Fault::EchoHeaders(401), vec!["refused the", "HTTP 401"]),
    ]
}

fn env_for<'a>(tracker: &'a Tracker, url: &'a str, audit: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut env = vec![
        ("TRACKER_MCP_MODE", "development"),
        ("TRACKER_MCP_TIMEOUT_SECS", "1"),
        ("TRACKER_MCP_MAX_RESPONSE_BYTES", "1048576"),
        ("TRACKER_MCP_AUDIT_LOG", audit),
        ("RUST_LOG", "debug"),
        (tracker.url_var, url),
        (tracker.key_var, SECRET),
    ];
    env.extend_from_slice(tracker.vars);
    env
}

fn assert_no_secret(what: &str, text: &str) {
    assert!(!text.contains(SECRET) && !text.contains(&SECRET[..24]), "{what} leaked the secret:\n{text}");
}

#[tokio::test]
async fn every_tracker_survives_every_fault() {
    let elsewhere = FaultServer::start(Fault::Json("{}".into())).await;
    let mut matrix = Vec::new();
    for tracker in TRACKERS {
        let upstream = FaultServer::start(Fault::Json(tracker.healthy.into())).await;
        let audit = std::env::temp_dir().join(format!(
            "tracker-mcp-audit-{}-{}.jsonl",
            std::process::id(),
            tracker.name.replace(' ', "-")
        ));
        let _ = std::fs::remove_file(&audit);
        let audit_path = audit.to_str().expect("utf-8").to_owned();
        let (mut server, _) = Server::start(&env_for(tracker, &upstream.url, &audit_path)).await;
        let healthy = server.ok(tracker.tool, json!({})).await;
        assert_no_secret("healthy result", &healthy);
        let mut calls = 1;
        for (fault_name, fault, expected) in faults(&elsewhere.url) {
            upstream.set(fault);
            let before = upstream.requests().len();
            let text = server.err(tracker.tool, json!({})).await;
            calls += 1;
            for needle in &expected {
                assert!(
                    text.contains(needle),
                    "{} / {fault_name}: expected {needle:?} in: {text}",
                    tracker.name
                );
            }
            assert!(!text.contains('<'), "{} / {fault_name}: markup in: {text}", tracker.name);
            assert!(text.len() < 600, "{} / {fault_name}: explanation too long: {text}", tracker.name);
            assert_no_secret(&format!("{} / {fault_name}", tracker.name), &text);
            let sent = upstream.requests().len() - before;
            if fault_name.starts_with("429") {
                assert_eq!(
                    sent, 1,
                    "{} / {fault_name}: a long Retry-After must not be retried",
                    tracker.name
                );
            }
            // The server still answers.
            assert!(!server.tool_names().await.is_empty());
            matrix.push((tracker.name, fault_name, sent));
        }
        upstream.set(Fault::Json(tracker.healthy.into()));
        server.ok(tracker.tool, json!({})).await;
        calls += 1;
        let peak = server.peak_rss_kib();
        assert!(peak < 96 * 1024, "{}: peak RSS {peak} KiB", tracker.name);
        let (_, stdout, stderr) = server.finish().await;
        assert_no_secret("stdout", &stdout);
        assert_no_secret("stderr", &stderr);
        for head in upstream.requests() {
            assert!(head.starts_with("GET "), "only reads were sent: {head}");
        }

        // The audit log: one JSON line per call, 0600, identifiers only, no secret.
        let mut log = String::new();
        for _ in 0..50 {
            log = std::fs::read_to_string(&audit).unwrap_or_default();
            if log.lines().count() >= calls {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_no_secret("audit log", &log);
        let records: Vec<serde_json::Value> =
            log.lines().map(|l| serde_json::from_str(l).expect("audit line is JSON")).collect();
        assert_eq!(records.len(), calls, "{}: one audit line per call", tracker.name);
        assert!(records.iter().all(|r| r["tool"] == tracker.tool && r["duration_ms"].is_u64()));
        assert_eq!(records.iter().filter(|r| r["outcome"] == "error").count(), calls - 2);
        assert!(records.iter().any(|r| r["upstream_status"] == 401));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&audit).expect("audit file").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "audit log mode");
        }
        let _ = std::fs::remove_file(&audit);
    }
    assert!(elsewhere.requests().is_empty(), "a redirect reached another origin");
    eprintln!("fault matrix (tracker, fault, requests sent):");
    for (tracker, fault, sent) in matrix {
        eprintln!("  {tracker:<16} {fault:<28} {sent}");
    }
}

#[tokio::test]
async fn tls_faults_untrusted_certificate_and_downgrade_redirect() {
    let plain = FaultServer::start(Fault::Json("{}".into())).await;
    for tracker in TRACKERS {
        let upstream = FaultServer::start_tls(Fault::Json(tracker.healthy.into())).await;
        // Production mode, no CA bundle: the test CA is not trusted.
        let mut env = vec![
            (tracker.url_var, &upstream.url[..]),
            (tracker.key_var, SECRET),
            ("TRACKER_MCP_TIMEOUT_SECS", "5"),
        ];
        env.extend_from_slice(tracker.vars);
        let (mut server, _) = Server::start(&env).await;
        let text = server.err(tracker.tool, json!({})).await;
        assert!(
            text.contains("TLS certificate is not trusted") && text.contains("TRACKER_MCP_CA_BUNDLE"),
            "{}: {text}",
            tracker.name
        );
        server.finish().await;

        // With the CA bundle it works; a redirect to plain http is refused.
        let ca = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tls/ca.pem");
        env.push(("TRACKER_MCP_CA_BUNDLE", ca));
        let (mut server, _) = Server::start(&env).await;
        server.ok(tracker.tool, json!({})).await;
        upstream.set(Fault::RedirectTo(plain.url.clone()));
        let text = server.err(tracker.tool, json!({})).await;
        assert!(
            text.contains("redirected to http://127.0.0.1") && text.contains("not followed"),
            "{}: {text}",
            tracker.name
        );
        let (_, stdout, stderr) = server.finish().await;
        assert_no_secret("stdout", &stdout);
        assert_no_secret("stderr", &stderr);
    }
    assert!(plain.requests().is_empty(), "the credential went over plain http");
}

/// Send `n` calls of `tool` at once and wait for every answer.
async fn burst(server: &mut Server, tool: &str, n: i64) -> Vec<serde_json::Value> {
    for id in 0..n {
        let line = json!({"jsonrpc": "2.0", "id": 1000 + id, "method": "tools/call",
                          "params": {"name": tool, "arguments": {}}});
        server.send_raw(&line.to_string()).await;
    }
    let mut answers = Vec::new();
    while answers.len() < usize::try_from(n).unwrap_or_default() {
        let message = server.read_message().await.expect("answer");
        if message["id"].as_i64().is_some_and(|id| id >= 1000) {
            answers.push(message);
        }
    }
    answers
}

#[tokio::test]
async fn the_token_bucket_spreads_a_burst() {
    let tracker = &TRACKERS[0];
    let upstream = FaultServer::start(Fault::Json(tracker.healthy.into())).await;
    let env = [
        ("TRACKER_MCP_MODE", "development"),
        ("TRACKER_MCP_RATE_LIMIT", "5"),
        (tracker.url_var, &upstream.url[..]),
        (tracker.key_var, SECRET),
    ];
    let (mut server, _) = Server::start(&env).await;
    let answers = burst(&mut server, tracker.tool, 30).await;
    assert!(answers.iter().all(|a| a["result"]["isError"] == false));
    server.finish().await;
    // 5 requests/s with a bucket of 10: no one-second window may hold more than 10 + 5.
    let arrivals = upstream.arrivals();
    assert_eq!(arrivals.len(), 30);
    for (i, start) in arrivals.iter().enumerate() {
        let in_window =
            arrivals[i..].iter().filter(|t| t.duration_since(*start) < Duration::from_secs(1)).count();
        assert!(in_window <= 15, "{in_window} requests within one second at a limit of 5/s");
    }
}

#[tokio::test]
async fn a_429_storm_does_not_become_a_retry_storm() {
    let tracker = &TRACKERS[0];
    let upstream = FaultServer::start(Fault::RetryAfterSeconds(1)).await;
    let env = [
        ("TRACKER_MCP_MODE", "development"),
        ("TRACKER_MCP_RATE_LIMIT", "1000"),
        (tracker.url_var, &upstream.url[..]),
        (tracker.key_var, SECRET),
    ];
    let (mut server, _) = Server::start(&env).await;
    let answers = burst(&mut server, tracker.tool, 20).await;
    assert!(answers.iter().all(|a| a["result"]["isError"] == true));
    let sent = upstream.requests().len();
    assert!(sent <= 20 * 3, "{sent} requests for 20 calls: retries must stay within 3 attempts per call");
    // A Retry-After beyond the budget is never retried.
    upstream.set(Fault::RetryAfterSeconds(3600));
    let before = upstream.requests().len();
    burst(&mut server, tracker.tool, 20).await;
    assert_eq!(upstream.requests().len() - before, 20, "one request per call under a long Retry-After");
    server.finish().await;
}
