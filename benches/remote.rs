//! `cargo bench --bench remote`: the release binary serving Streamable HTTP (`serve --http`,
//! static bearer token) against a local fake Redmine. For 1, 50 and 500 concurrent sessions:
//! tool calls per second, latency p50/p99, the latency the server adds (minus a direct
//! request to the same fake from the same client), and resident memory. Both modes: sessions
//! (each client initializes once, calls carry `Mcp-Session-Id`) and stateless (JSON answers).
//! With the Python SDK's virtualenv present (`scripts/remote/python-sdk-client` makes it), the
//! same load runs against the official Python SDK's MCPServer doing the same tool
//! (`scripts/remote/bench/peer_mcpserver.py`), side by side.
//! Prints a table and writes `target/bench/remote.json`. A report, never a pass/fail test.

#![allow(clippy::print_stdout, reason = "a benchmark report is printed")]

use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "bench-token-0123456789abcdef0123456789abcdef";
const KEY: &str = "bench-redmine-key-0123";
/// How long each concurrency level runs.
const RUN: Duration = Duration::from_secs(8);

struct Server {
    child: Child,
    url: String,
}

async fn start(upstream: &str, stateless: bool) -> Server {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tracker-mcp"));
    command
        .env_clear()
        .env("RUST_LOG", "info,rmcp::=error")
        .env("TRACKER_MCP_MODE", "development")
        .env("TRACKER_MCP_VERIFY_ON_START", "false")
        // The per-tracker limit (10/s by default) would measure itself.
        .env("TRACKER_MCP_RATE_LIMIT", "100000")
        // ... and so would the per-caller limit (all bench clients share the one token).
        .env("TRACKER_MCP_HTTP_RATE_LIMIT", "0")
        .env("REDMINE_URL", upstream)
        .env("REDMINE_API_KEY", KEY)
        .env("TRACKER_MCP_HTTP_TOKEN", TOKEN)
        .args(["serve", "--http", "127.0.0.1:0"]);
    // glibc's arena count, to measure its effect on memory (README).
    if let Ok(arenas) = std::env::var("MALLOC_ARENA_MAX") {
        command.env("MALLOC_ARENA_MAX", arenas);
    }
    if stateless {
        command.arg("--http-stateless");
    }
    command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped()).kill_on_drop(true);
    let mut child = command.spawn().expect("spawn tracker-mcp");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let url = loop {
        let line = lines.next_line().await.expect("read").expect("the server listened");
        if let Some(at) = line.find("listening on http://") {
            let rest = &line[at + "listening on ".len()..];
            break rest.split_whitespace().next().expect("url").to_owned();
        }
    };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Server { child, url }
}

/// The Python SDK peer (`scripts/remote/bench/peer_mcpserver.py`), when the virtualenv that
/// `scripts/remote/python-sdk-client` makes is there.
async fn start_peer(upstream: &str) -> Option<Server> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = root.join("target/python-sdk-venv/bin/python");
    if !python.exists() {
        println!(
            "(no Python SDK virtualenv: run scripts/remote/python-sdk-client once to compare with the peer)"
        );
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
    let child = Command::new(python)
        .arg(root.join("scripts/remote/bench/peer_mcpserver.py"))
        .arg(port.to_string())
        .arg(upstream)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .ok()?;
    let url = format!("http://127.0.0.1:{port}/mcp");
    let http = reqwest::Client::new();
    let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}});
    for _ in 0..300 {
        if post(&http, &url, init.to_string()).send().await.is_ok_and(|r| r.status() == 200) {
            return Some(Server { child, url });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!("(the Python SDK peer did not start)");
    None
}

fn rss_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn post(http: &reqwest::Client, url: &str, body: String) -> reqwest::RequestBuilder {
    http.post(url)
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-06-18")
        .body(body)
}

/// The JSON-RPC answer of a response (JSON or SSE).
async fn answer(response: reqwest::Response) -> Value {
    let text = response.text().await.expect("body");
    if let Ok(value) = serde_json::from_str::<Value>(&text) {
        return value;
    }
    text.lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .filter_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
        .find(|v| v.get("result").is_some() || v.get("error").is_some())
        .unwrap_or(Value::Null)
}

async fn session(http: &reqwest::Client, url: &str, stateless: bool) -> Option<String> {
    if stateless {
        return None;
    }
    let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}});
    let response = post(http, url, init.to_string()).send().await.expect("initialize");
    let id = response.headers()["mcp-session-id"].to_str().expect("ascii").to_owned();
    let _ = answer(response).await;
    let note = json!({"jsonrpc": "2.0", "method": "notifications/initialized"}).to_string();
    post(http, url, note).header("mcp-session-id", &id).send().await.expect("initialized");
    Some(id)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at]
}

/// `clients` concurrent sessions calling `redmine_whoami` for [`RUN`].
async fn level(server: &Server, upstream: &str, clients: usize, stateless: bool, name: &str) -> Value {
    let http = reqwest::Client::builder().pool_max_idle_per_host(clients + 8).build().expect("client");
    // Baseline: the same client straight to the fake.
    let mut direct = Vec::new();
    for _ in 0..200 {
        let started = Instant::now();
        http.get(format!("{upstream}/users/current.json"))
            .send()
            .await
            .expect("fake")
            .bytes()
            .await
            .expect("body");
        direct.push(started.elapsed());
    }
    direct.sort();
    let mut sessions = Vec::new();
    for _ in 0..clients {
        sessions.push(session(&http, &server.url, stateless).await);
    }
    let deadline = Instant::now() + RUN;
    let errors = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for (n, session) in sessions.into_iter().enumerate() {
        let http = http.clone();
        let url = server.url.clone();
        let errors = Arc::clone(&errors);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut id = 1u64;
            while Instant::now() < deadline {
                let call = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                                  "params": {"name": "redmine_whoami", "arguments": {}}});
                id += 1;
                let mut request = post(&http, &url, call.to_string());
                if let Some(session) = &session {
                    request = request.header("mcp-session-id", session);
                }
                let started = Instant::now();
                let ok = match request.send().await {
                    Ok(response) => {
                        let answer = answer(response).await;
                        answer.get("result").is_some() && answer["result"]["isError"] != json!(true)
                    }
                    Err(_) => false,
                };
                latencies.push(started.elapsed());
                if !ok {
                    errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if errors.load(std::sync::atomic::Ordering::Relaxed) == 1 {
                        eprintln!("client {n}: a call failed");
                    }
                }
            }
            latencies
        }));
    }
    let started = Instant::now();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.expect("client task"));
    }
    let elapsed = started.elapsed();
    all.sort();
    let pid = server.child.id().expect("running");
    #[allow(clippy::cast_precision_loss)]
    let rate = all.len() as f64 / elapsed.as_secs_f64();
    let ms = |d: Duration| (d.as_secs_f64() * 1000.0 * 100.0).round() / 100.0;
    let p50 = percentile(&all, 0.5);
    json!({
        "mode": name,
        "sessions": clients,
        "calls": all.len(),
        "errors": errors.load(std::sync::atomic::Ordering::Relaxed),
        "calls_per_sec": rate.round(),
        "p50_ms": ms(p50),
        "p99_ms": ms(percentile(&all, 0.99)),
        "direct_p50_ms": ms(percentile(&direct, 0.5)),
        "added_p50_ms": ms(p50.saturating_sub(percentile(&direct, 0.5))),
        "rss_kib": rss_kib(pid, "VmRSS:"),
        "peak_rss_kib": rss_kib(pid, "VmHWM:"),
    })
}

#[tokio::main]
async fn main() {
    let fake = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/users/current.json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"user": {
            "id": 5, "login": "svc-bench", "firstname": "Bench", "lastname": "Account", "admin": false}})))
        .mount(&fake)
        .await;
    let upstream = fake.uri();
    let mut results = Vec::new();
    println!("mode       sessions   calls/s   p50 ms   p99 ms   added p50 ms   errors   RSS MiB (peak)");
    for (name, stateless) in [("sessions", false), ("stateless", true), ("python-sdk", true)] {
        let server = if name == "python-sdk" {
            match start_peer(&upstream).await {
                Some(server) => server,
                None => continue,
            }
        } else {
            start(&upstream, stateless).await
        };
        let idle = rss_kib(server.child.id().expect("pid"), "VmRSS:");
        println!("{name:<10} {:>8}   (idle RSS {:.1} MiB)", 0, kib(idle));
        for clients in [1, 50, 500] {
            let r = level(&server, &upstream, clients, stateless, name).await;
            println!(
                "{:<10} {:>8} {:>9} {:>8} {:>8} {:>14} {:>8}   {:.1} ({:.1})",
                r["mode"].as_str().unwrap_or_default(),
                clients,
                r["calls_per_sec"],
                r["p50_ms"],
                r["p99_ms"],
                r["added_p50_ms"],
                r["errors"],
                kib(r["rss_kib"].as_u64().unwrap_or(0)),
                kib(r["peak_rss_kib"].as_u64().unwrap_or(0)),
            );
            results.push(r);
        }
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("remote.json"), serde_json::to_string_pretty(&results).expect("json"))
        .expect("write");
}

#[allow(clippy::cast_precision_loss)]
fn kib(v: u64) -> f64 {
    v as f64 / 1024.0
}
