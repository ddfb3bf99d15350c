//! `cargo bench --bench bench`: start-up, memory, per-call overhead, concurrency and context cost
//! of the real release binary, against local fakes (and the local Redmine when `REDMINE_URL` and
//! `REDMINE_API_KEY` are set). Prints a table and writes `target/bench/results.json`.
//! Figures depend on the machine: this is a report, never a pass/fail test.

#![allow(clippy::print_stdout, reason = "a benchmark report is printed")]

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The context-cost objects of `tests/it/context_cost` (fixtures, paths, key fields).
#[path = "../tests/it/context_cost/cases.rs"]
#[allow(dead_code, reason = "the test uses more of it than the bench")]
mod context;

struct Client {
    child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
    next_id: u64,
}

impl Client {
    fn spawn(env: &[(String, String)]) -> Self {
        Self::spawn_program(env!("CARGO_BIN_EXE_tracker-mcp"), env)
    }

    /// Any stdio MCP server (the bare rmcp server the start-up figures are compared with).
    fn spawn_program(program: &str, env: &[(String, String)]) -> Self {
        let mut command = Command::new(program);
        command.env_clear().env("RUST_LOG", "warn");
        for (k, v) in env {
            command.env(k, v);
        }
        command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null()).kill_on_drop(true);
        let mut child = command.spawn().expect("spawn tracker-mcp");
        let stdin = child.stdin.take().expect("stdin");
        let lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        Self { child, stdin, lines, next_id: 1 }
    }

    async fn send(&mut self, message: &Value) {
        let mut line = message.to_string();
        line.push('\n');
        self.stdin.write_all(line.as_bytes()).await.expect("write");
    }

    fn request(&mut self, method: &str, params: Value) -> (u64, Value) {
        let id = self.next_id;
        self.next_id += 1;
        (id, json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
    }

    async fn wait(&mut self, id: u64) -> Value {
        loop {
            let line = self.lines.next_line().await.expect("read").expect("stdout open");
            let value: Value = serde_json::from_str(&line).expect("json");
            if value["id"] == json!(id) {
                return value;
            }
        }
    }

    async fn call(&mut self, method: &str, params: Value) -> Value {
        let (id, message) = self.request(method, params);
        self.send(&message).await;
        self.wait(id).await
    }

    async fn initialize(&mut self) {
        let answer = self
            .call(
                "initialize",
                json!({"protocolVersion": "2025-06-18", "capabilities": {},
                       "clientInfo": {"name": "bench", "version": "1"}}),
            )
            .await;
        assert!(answer["result"].is_object(), "initialize: {answer}");
        self.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).await;
    }

    async fn tool(&mut self, name: &str) -> Value {
        let answer = self.call("tools/call", json!({"name": name, "arguments": {}})).await;
        assert_eq!(answer["result"]["isError"], json!(false), "{name}: {answer}");
        answer
    }

    /// (current RSS, peak RSS) in KiB, from /proc.
    fn rss_kib(&self) -> (u64, u64) {
        let pid = self.child.id().expect("pid");
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    async fn finish(mut self) {
        drop(self.stdin);
        let _ = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
    }
}

/// Fakes of the three trackers' whoami endpoints, answering after `delay`.
async fn fakes(delay: Duration) -> MockServer {
    let server = MockServer::start().await;
    let ok = |body: Value| ResponseTemplate::new(200).set_body_json(body).set_delay(delay);
    Mock::given(method("GET"))
        .and(path("/users/current.json"))
        .respond_with(ok(json!({"user": {"id": 1, "login": "admin", "firstname": "A", "lastname": "B"}})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/rest/version"))
        .respond_with(ok(json!({"version": "5.2"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/rest/whoami"))
        .respond_with(ok(json!({"id": 1, "name": "admin@example.test", "real_name": "Admin"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/2.0/user"))
        .respond_with(ok(json!({"display_name": "Admin", "nickname": "admin"})))
        .mount(&server)
        .await;
    server
}

fn env_for(uri: &str, rate: &str) -> Vec<(String, String)> {
    [
        ("TRACKER_MCP_MODE", "development"),
        ("TRACKER_MCP_RATE_LIMIT", rate),
        ("BUGZILLA_URL", uri),
        ("BUGZILLA_API_KEY", "bench-bugzilla-key"),
        ("BUGZILLA_API_KEY_MODE", "header"),
        ("REDMINE_URL", uri),
        ("REDMINE_API_KEY", "bench-redmine-key"),
        ("BITBUCKET_URL", uri),
        ("BITBUCKET_TOKEN", "bench-bitbucket-token"),
        ("BITBUCKET_FLAVOR", "cloud"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}

fn percentile(samples: &mut [f64], p: f64) -> f64 {
    samples.sort_by(f64::total_cmp);
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[index.min(samples.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let mut results = serde_json::Map::new();
    let mut table = Vec::<(String, String)>::new();
    let fast = fakes(Duration::ZERO).await;
    let env = env_for(&fast.uri(), "100000");

    // 1. Start-up: spawn -> initialize reply, and -> tools/list reply.
    let runs = 40;
    let (mut to_init, mut to_list) = (Vec::new(), Vec::new());
    let mut tools_bytes = 0;
    for _ in 0..runs {
        let started = Instant::now();
        let mut client = Client::spawn(&env);
        client.initialize().await;
        to_init.push(ms(started.elapsed()));
        let list = client.call("tools/list", json!({})).await;
        to_list.push(ms(started.elapsed()));
        tools_bytes = list["result"].to_string().len();
        client.finish().await;
    }
    let (init_median, init_p95) = (percentile(&mut to_init, 0.5), percentile(&mut to_init, 0.95));
    let (list_median, list_p95) = (percentile(&mut to_list, 0.5), percentile(&mut to_list, 0.95));
    results.insert(
        "startup_ms".into(),
        json!({"runs": runs, "initialize_median": init_median, "initialize_p95": init_p95,
               "tools_list_median": list_median, "tools_list_p95": list_p95}),
    );
    table.push((
        "start-up to initialize reply (median / p95)".into(),
        format!("{init_median:.2} / {init_p95:.2} ms"),
    ));
    table.push((
        "start-up to tools/list reply (median / p95)".into(),
        format!("{list_median:.2} / {list_p95:.2} ms"),
    ));
    results.insert("tools_list_bytes".into(), json!(tools_bytes));
    table.push(("tools/list result size (all trackers, read-only)".into(), format!("{tools_bytes} bytes")));

    // 1b. Against the floor: the bare rmcp server of `../shared/rmcp/probe` (its release binary
    // in RMCP_PROBE_BIN), spawned alternately with this one so both see the same machine.
    if let Ok(probe) = std::env::var("RMCP_PROBE_BIN") {
        let (mut ours, mut floor, mut ours_rss, mut floor_rss) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for _ in 0..runs {
            for (program, times, rss) in [
                (env!("CARGO_BIN_EXE_tracker-mcp"), &mut ours, &mut ours_rss),
                (probe.as_str(), &mut floor, &mut floor_rss),
            ] {
                let started = Instant::now();
                let mut client = Client::spawn_program(program, &env);
                client.initialize().await;
                times.push(ms(started.elapsed()));
                rss.push(client.rss_kib().1 as f64);
                client.finish().await;
            }
        }
        let (ours_ms, floor_ms) = (percentile(&mut ours, 0.5), percentile(&mut floor, 0.5));
        let (ours_kib, floor_kib) = (percentile(&mut ours_rss, 0.5), percentile(&mut floor_rss, 0.5));
        results.insert(
            "startup_vs_rmcp_floor".into(),
            json!({"runs": runs, "initialize_median_ms": ours_ms, "floor_initialize_median_ms": floor_ms,
                   "ratio": ours_ms / floor_ms, "peak_rss_kib": ours_kib, "floor_peak_rss_kib": floor_kib,
                   "rss_ratio": ours_kib / floor_kib}),
        );
        table.push((
            "initialize, this server / bare rmcp server (medians, alternated)".into(),
            format!("{ours_ms:.2} / {floor_ms:.2} ms = {:.2}x", ours_ms / floor_ms),
        ));
        table.push((
            "peak RSS after initialize, this server / bare rmcp server".into(),
            format!("{:.1} / {:.1} MB = {:.2}x", ours_kib / 1024.0, floor_kib / 1024.0, ours_kib / floor_kib),
        ));
    }

    // 2. Memory: RSS after start, after 1,000 and after 10,000 calls across the trackers.
    let tools = ["redmine_whoami", "bugzilla_whoami", "bitbucket_whoami"];
    let mut client = Client::spawn(&env);
    client.initialize().await;
    let (_, peak_start) = client.rss_kib();
    let mut after = Vec::new();
    for i in 0..10_000 {
        client.tool(tools[i % tools.len()]).await;
        if i + 1 == 1_000 || i + 1 == 10_000 {
            after.push(client.rss_kib());
        }
    }
    client.finish().await;
    let (rss_1k, peak_1k) = after[0];
    let (rss_10k, peak_10k) = after[1];
    results.insert(
        "memory_kib".into(),
        json!({"peak_after_start": peak_start, "rss_after_1000_calls": rss_1k, "peak_after_1000_calls": peak_1k,
               "rss_after_10000_calls": rss_10k, "peak_after_10000_calls": peak_10k}),
    );
    table.push(("peak RSS after start".into(), format!("{:.1} MB", peak_start as f64 / 1024.0)));
    table.push((
        "peak RSS after 1,000 / 10,000 calls".into(),
        format!("{:.1} / {:.1} MB", peak_1k as f64 / 1024.0, peak_10k as f64 / 1024.0),
    ));
    table.push((
        "RSS growth, 1,000th -> 10,000th call".into(),
        format!("{} KiB", rss_10k as i64 - rss_1k as i64),
    ));

    // 3. Per-call overhead against a fake with a fixed 5 ms latency, and the local Redmine.
    let slow = fakes(Duration::from_millis(5)).await;
    let fake_overhead = overhead(
        &env_for(&slow.uri(), "100000"),
        &format!("{}/users/current.json", slow.uri()),
        "bench-redmine-key",
    )
    .await;
    table.push((
        "per-call overhead vs direct HTTP, fake 5 ms (median)".into(),
        format!("{:.3} ms", fake_overhead["overhead_median_ms"].as_f64().unwrap_or(f64::NAN)),
    ));
    results.insert("overhead_fake_5ms".into(), fake_overhead);
    if let (Ok(url), Ok(key)) = (std::env::var("REDMINE_URL"), std::env::var("REDMINE_API_KEY")) {
        let env = vec![
            ("TRACKER_MCP_MODE".to_owned(), "development".to_owned()),
            ("TRACKER_MCP_RATE_LIMIT".to_owned(), "100000".to_owned()),
            ("REDMINE_URL".to_owned(), url.clone()),
            ("REDMINE_API_KEY".to_owned(), key.clone()),
        ];
        let live = overhead(&env, &format!("{url}/users/current.json"), &key).await;
        table.push((
            "per-call overhead vs direct HTTP, real Redmine (median)".into(),
            format!("{:.3} ms", live["overhead_median_ms"].as_f64().unwrap_or(f64::NAN)),
        ));
        results.insert("overhead_redmine".into(), live);
    } else {
        table.push(("per-call overhead, real Redmine".into(), "skipped (REDMINE_URL unset)".into()));
    }

    // 4. Concurrency: 100 calls at once, upstream 50 ms per request, rate limit set high.
    let fifty = fakes(Duration::from_millis(50)).await;
    let mut client = Client::spawn(&env_for(&fifty.uri(), "100000"));
    client.initialize().await;
    let started = Instant::now();
    client.tool("redmine_whoami").await;
    let one = started.elapsed();
    let started = Instant::now();
    let mut ids = Vec::new();
    for _ in 0..100 {
        let (id, message) = client.request("tools/call", json!({"name": "redmine_whoami", "arguments": {}}));
        client.send(&message).await;
        ids.push(id);
    }
    let mut pending: std::collections::HashSet<u64> = ids.into_iter().collect();
    while !pending.is_empty() {
        let line = client.lines.next_line().await.expect("read").expect("open");
        let value: Value = serde_json::from_str(&line).expect("json");
        if let Some(id) = value["id"].as_u64() {
            pending.remove(&id);
        }
    }
    let hundred = started.elapsed();
    client.finish().await;
    let ratio = hundred.as_secs_f64() / one.as_secs_f64();
    results.insert(
        "concurrency".into(),
        json!({"calls": 100, "upstream_latency_ms": 50, "rate_limit": 100000,
        "one_call_ms": ms(one), "hundred_calls_ms": ms(hundred), "ratio": ratio}),
    );
    table.push((
        "100 concurrent calls, upstream 50 ms, rate limit 100000/s".into(),
        format!("{:.0} ms total, {ratio:.1}x one call ({:.0} ms)", ms(hundred), ms(one)),
    ));

    // 5. Context cost: result bytes vs the raw upstream bytes for the same objects.
    let mut figures = Vec::new();
    for case in context::cases() {
        figures.push(context_cost(&case).await);
    }
    let mut cost = Vec::new();
    for f in &figures {
        cost.push(json!({"object": f.name, "raw_bytes": f.raw, "result_bytes": f.result, "ratio": f.ratio(),
                         "verbatim_text_bytes": f.verbatim, "structure_ratio": f.structure_ratio(),
                         "upstream_requests": f.requests}));
        table.push((
            format!("context cost: {}", f.name),
            format!(
                "{} of {} bytes = {:.1}% (text floor {:.1}%)",
                f.result,
                f.raw,
                f.ratio() * 100.0,
                f.floor() * 100.0
            ),
        ));
    }
    results.insert("context_cost".into(), json!({"target_ratio": context::TARGET, "objects": cost}));

    let width = table.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    println!(
        "\ntracker-mcp benchmark ({} cores)\n",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    );
    for (k, v) in &table {
        println!("  {k:<width$}  {v}");
    }
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&out).expect("mkdir");
    std::fs::write(
        out.join("results.json"),
        serde_json::to_string_pretty(&Value::Object(results)).expect("json"),
    )
    .expect("write results");
    println!("\ncontext cost (result bytes vs raw upstream bytes)\n{}", context::table(&figures));
    println!("figures written to target/bench/results.json");
}

/// One context-cost object: serve its fixtures on the tools' paths, make its tool calls, count
/// the result text and the bodies of the upstream answers the tools asked for.
async fn context_cost(case: &context::Case) -> context::Figures {
    let (upstream, sizes) = context::serve(case).await;
    let uri = upstream.uri();
    // No start-up verification: only the tools' own requests are counted.
    let mut env = vec![
        ("TRACKER_MCP_MODE".to_owned(), "development".to_owned()),
        ("TRACKER_MCP_VERIFY_ON_START".to_owned(), "false".to_owned()),
    ];
    env.extend(
        case.env.iter().map(|(k, v)| ((*k).to_owned(), if v == "{uri}" { uri.clone() } else { v.clone() })),
    );
    let mut client = Client::spawn(&env);
    client.initialize().await;
    let mut text = String::new();
    for (tool, arguments) in &case.calls {
        let answer = client.call("tools/call", json!({"name": tool, "arguments": arguments})).await;
        assert_eq!(answer["result"]["isError"], json!(false), "{tool}: {answer}");
        for block in answer["result"]["content"].as_array().into_iter().flatten() {
            text.push_str(block["text"].as_str().unwrap_or_default());
            text.push('\n');
        }
    }
    client.finish().await;
    context::figures(case, &upstream, &sizes, text).await
}

/// Median tool-call time through the binary minus median direct GET of the same endpoint.
async fn overhead(env: &[(String, String)], direct_url: &str, key: &str) -> Value {
    let runs = 200;
    let mut client = Client::spawn(env);
    client.initialize().await;
    let http = reqwest::Client::new();
    // Warm both paths (connections, the server's caches), then alternate them so that a
    // drift in the upstream's speed affects both sides alike.
    for _ in 0..10 {
        client.tool("redmine_whoami").await;
        let _ = http
            .get(direct_url)
            .header("X-Redmine-API-Key", key)
            .send()
            .await
            .expect("direct GET")
            .bytes()
            .await;
    }
    let (mut through, mut direct) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let started = Instant::now();
        client.tool("redmine_whoami").await;
        through.push(ms(started.elapsed()));
        let started = Instant::now();
        let response =
            http.get(direct_url).header("X-Redmine-API-Key", key).send().await.expect("direct GET");
        let _ = response.bytes().await;
        direct.push(ms(started.elapsed()));
    }
    client.finish().await;
    let (t, d) = (percentile(&mut through, 0.5), percentile(&mut direct, 0.5));
    json!({"runs": runs, "through_binary_median_ms": t, "direct_median_ms": d, "overhead_median_ms": t - d})
}
