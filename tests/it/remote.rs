//! `serve --http`: the real binary over Streamable HTTP. Authentication comes first (no token,
//! a wrong one: 401 with `WWW-Authenticate: Bearer`, and the fake tracker sees nothing), a
//! foreign Origin gets 403, hostile HTTP (batch, oversized body, unknown session, slow
//! headers) gets an error while the server keeps serving, and with the token a client
//! initializes, lists and calls tools in session and stateless mode. The official Python
//! SDK's client runs against it too (`scripts/remote/python-sdk-client`).

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::process::Child;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer};

use crate::common::fake::{ok, upstream};

mod issuer_tls;
mod live;
mod oauth;
mod per_user;
mod replicas;
use crate::common::{ANSWER_TIMEOUT, binary, run};

/// The static bearer token of these tests (a secret: it must never show up in the logs).
pub const TOKEN: &str = "remote-test-token-6f1d0c2b9a8e7d6c5b4a3f2e1d0c";
const KEY: &str = "rm-remote-key-0a1b2c3d4e5f";

/// A running `tracker-mcp serve --http 127.0.0.1:0` and everything it wrote to stderr.
pub struct Remote {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    stderr: Arc<Mutex<String>>,
    pub http: reqwest::Client,
}

impl Remote {
    /// Start with exactly `env` (plus the token unless `env` sets it) and wait until it listens.
    pub async fn start(env: &[(&str, &str)], args: &[&str]) -> Self {
        Self::launch(env, args, true).await
    }

    /// [`Remote::start`], with [`TOKEN`] as the static token only when `static_token`.
    pub async fn launch(env: &[(&str, &str)], args: &[&str], static_token: bool) -> Self {
        let mut command = binary();
        command.args(["serve", "--http", "127.0.0.1:0"]).args(args);
        if static_token && !env.iter().any(|(k, _)| *k == "TRACKER_MCP_HTTP_TOKEN") {
            command.env("TRACKER_MCP_HTTP_TOKEN", TOKEN);
        }
        for (k, v) in env {
            command.env(k, v);
        }
        command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped()).kill_on_drop(true);
        let mut child = command.spawn().expect("spawn tracker-mcp");
        let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let stderr = Arc::new(Mutex::new(String::new()));
        let (found, listening) = tokio::sync::oneshot::channel();
        let log = Arc::clone(&stderr);
        tokio::spawn(async move {
            let mut found = Some(found);
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(at) = line.find("listening on http://") {
                    let rest = &line[at + "listening on ".len()..];
                    let base = rest.split("/mcp").next().unwrap_or_default().to_owned();
                    if let Some(found) = found.take() {
                        let _ = found.send(base);
                    }
                }
                let mut log = log.lock().expect("log");
                log.push_str(&line);
                log.push('\n');
            }
        });
        let base = tokio::time::timeout(ANSWER_TIMEOUT, listening)
            .await
            .expect("the server listened in time")
            .unwrap_or_else(|_| {
                panic!("the server exited before listening: {}", stderr.lock().expect("log"))
            });
        // Idle connections are closed by the server after its 10 s header timeout; a client
        // that keeps them longer races that close (as any HTTP client would).
        let http = reqwest::Client::builder()
            .timeout(ANSWER_TIMEOUT)
            .pool_idle_timeout(Duration::from_secs(5))
            .build()
            .expect("client");
        Self { child, base, stderr, http }
    }

    pub fn url(&self) -> String {
        format!("{}/mcp", self.base)
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().expect("log").clone()
    }

    /// A POST to `/mcp` as MCP clients send it, with `token` as the bearer token.
    pub fn post(&self, token: Option<&str>, body: impl Into<reqwest::Body>) -> reqwest::RequestBuilder {
        let mut request = self
            .http
            .post(self.url())
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request
    }

    /// Send SIGTERM and wait for the exit status.
    pub async fn terminate(self) -> (bool, String) {
        let pid = self.child.id().expect("running");
        let killed =
            std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status().expect("kill");
        assert!(killed.success());
        self.terminate_wait().await
    }

    /// Wait for the exit status (after a signal was sent).
    pub async fn terminate_wait(mut self) -> (bool, String) {
        let status = tokio::time::timeout(ANSWER_TIMEOUT, self.child.wait())
            .await
            .expect("exited in time")
            .expect("wait");
        tokio::time::sleep(Duration::from_millis(100)).await;
        (status.success(), self.stderr())
    }
}

/// The JSON-RPC message of an answer, whether sent as JSON or as an SSE stream.
pub async fn message(response: reqwest::Response) -> Value {
    let is_sse = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"));
    if !is_sse {
        let text = response.text().await.expect("body");
        return serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    }
    let mut response = response;
    let mut buffer = String::new();
    loop {
        for line in buffer.lines() {
            if let Some(data) = line.strip_prefix("data:")
                && let Ok(value) = serde_json::from_str::<Value>(data.trim())
                && (value.get("result").is_some() || value.get("error").is_some())
            {
                return value;
            }
        }
        let chunk = response.chunk().await.expect("read").unwrap_or_else(|| panic!("stream ended: {buffer}"));
        buffer.push_str(&String::from_utf8_lossy(&chunk));
    }
}

fn initialize(id: u64) -> String {
    json!({"jsonrpc": "2.0", "id": id, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "tracker-mcp-remote-tests", "version": "1"}}})
    .to_string()
}

fn request(id: u64, method: &str, params: Value) -> String {
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string()
}

/// A Redmine fake that answers `whoami` for the server's own key only.
async fn redmine() -> MockServer {
    let fake = upstream().await;
    Mock::given(method("GET"))
        .and(path("/users/current.json"))
        .and(header("x-redmine-api-key", KEY))
        .respond_with(ok(json!({"user": {"id": 5, "login": "svc-mcp", "firstname": "Service", "lastname": "Account", "admin": false}})))
        .mount(&fake)
        .await;
    fake
}

fn env(uri: &str) -> Vec<(&str, &str)> {
    vec![("TRACKER_MCP_MODE", "development"), ("REDMINE_URL", uri), ("REDMINE_API_KEY", KEY)]
}

/// initialize → initialized → tools/list → tools/call, as a session-mode client does.
async fn session_round_trip(server: &Remote) -> (Value, String) {
    let answer = server.post(Some(TOKEN), initialize(1)).send().await.expect("send");
    assert_eq!(answer.status(), 200);
    let session = answer
        .headers()
        .get("mcp-session-id")
        .and_then(|v| v.to_str().ok())
        .expect("a session id in session mode")
        .to_owned();
    let init = message(answer).await;
    assert_eq!(init["result"]["serverInfo"]["name"], "tracker-mcp", "{init}");
    let with_session = |body: String| {
        server
            .post(Some(TOKEN), body)
            .header("mcp-session-id", &session)
            .header("mcp-protocol-version", "2025-06-18")
    };
    let note = json!({"jsonrpc": "2.0", "method": "notifications/initialized"}).to_string();
    assert_eq!(with_session(note).send().await.expect("send").status(), 202);
    let tools = message(with_session(request(2, "tools/list", json!({}))).send().await.expect("send")).await;
    let whoami = message(
        with_session(request(3, "tools/call", json!({"name": "redmine_whoami", "arguments": {}})))
            .send()
            .await
            .expect("send"),
    )
    .await;
    (tools, crate::common::tool_text(&whoami["result"]))
}

#[tokio::test]
async fn with_the_token_a_client_initializes_lists_and_calls_tools() {
    let fake = redmine().await;
    let server = Remote::start(&env(&fake.uri()), &[]).await;
    let (tools, whoami) = session_round_trip(&server).await;
    let names: Vec<&str> = tools["result"]["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert!(names.contains(&"redmine_whoami"), "{tools}");
    assert!(whoami.contains("svc-mcp"), "{whoami}");
    // /healthz needs no token.
    let health = server.http.get(format!("{}/healthz", server.base)).send().await.expect("send");
    assert_eq!(health.status(), 200);
    let (clean, stderr) = server.terminate().await;
    assert!(clean, "SIGTERM is a clean exit: {stderr}");
    assert!(stderr.contains("shutting down"), "{stderr}");
    assert!(!stderr.contains(TOKEN) && !stderr.contains(KEY), "a secret reached the log: {stderr}");
}

#[tokio::test]
async fn stateless_mode_answers_each_request_alone_with_json() {
    let fake = redmine().await;
    let server = Remote::start(&env(&fake.uri()), &["--http-stateless"]).await;
    let answer = server.post(Some(TOKEN), initialize(1)).send().await.expect("send");
    assert_eq!(answer.status(), 200);
    assert!(answer.headers().get("mcp-session-id").is_none(), "no session in stateless mode");
    assert_eq!(message(answer).await["result"]["serverInfo"]["name"], "tracker-mcp");
    // A request without any session, as a second replica would get it.
    let call = server
        .post(Some(TOKEN), request(2, "tools/call", json!({"name": "redmine_whoami", "arguments": {}})))
        .header("mcp-protocol-version", "2025-06-18")
        .send()
        .await
        .expect("send");
    assert_eq!(call.status(), 200);
    assert!(call.headers()["content-type"].to_str().expect("ascii").starts_with("application/json"));
    let call = message(call).await;
    assert!(crate::common::tool_text(&call["result"]).contains("svc-mcp"), "{call}");
}

#[tokio::test]
async fn without_the_right_token_nothing_is_served_and_nothing_reaches_the_tracker() {
    // The fake fails the test on any request (`upstream()`'s catch-all expects none).
    let fake = upstream().await;
    let server = Remote::start(&env(&fake.uri()), &[]).await;
    let call = request(1, "tools/call", json!({"name": "redmine_whoami", "arguments": {}}));
    for token in
        [None, Some("wrong-token-0000000000000000000000000000"), Some(&TOKEN[..TOKEN.len() - 1]), Some("")]
    {
        for body in [initialize(1), call.clone()] {
            let answer = server.post(token, body).send().await.expect("send");
            assert_eq!(answer.status(), 401, "token {token:?}");
            let challenge = answer.headers()["www-authenticate"].to_str().expect("ascii").to_owned();
            assert!(challenge.starts_with("Bearer "), "{challenge}");
            assert_eq!(challenge.contains("invalid_token"), token.is_some(), "{challenge}");
            let body = message(answer).await;
            assert!(
                body["error"]["message"].as_str().is_some_and(|m| m.starts_with("Unauthorized")),
                "{body}"
            );
        }
    }
    let basic = server
        .post(None, call.clone())
        .header("authorization", format!("Basic {TOKEN}"))
        .send()
        .await
        .expect("send");
    assert_eq!(basic.status(), 401);
    // GET and DELETE too.
    let get = server.http.get(server.url()).header("accept", "text/event-stream").send().await.expect("send");
    assert_eq!(get.status(), 401);
    let delete = server.http.delete(server.url()).header("mcp-session-id", "x").send().await.expect("send");
    assert_eq!(delete.status(), 401);
    assert_eq!(fake.received_requests().await.map(|r| r.len()), Some(0));
    let stderr = server.stderr();
    assert!(stderr.contains("refused an unauthenticated request"), "{stderr}");
    assert!(!stderr.contains(TOKEN) && !stderr.contains("wrong-token-000"), "{stderr}");
}

#[tokio::test]
async fn a_foreign_origin_is_refused_and_an_allowed_one_served() {
    let fake = redmine().await;
    let uri = fake.uri();
    let mut env = env(&uri);
    env.push(("TRACKER_MCP_HTTP_ALLOWED_ORIGINS", "https://app.example.com"));
    let server = Remote::start(&env, &[]).await;
    for origin in ["https://evil.example", "http://app.example.com", "https://app.example.com:8443", "null"] {
        let answer =
            server.post(Some(TOKEN), initialize(1)).header("origin", origin).send().await.expect("send");
        assert_eq!(answer.status(), 403, "{origin}");
    }
    let answer = server
        .post(Some(TOKEN), initialize(1))
        .header("origin", "https://app.example.com:443")
        .send()
        .await
        .expect("send");
    assert_eq!(answer.status(), 200);
    // Without a list, every browser Origin is refused (clients that are no browser send none).
    let plain = Remote::start(&self::env(&uri), &[]).await;
    let answer = plain
        .post(Some(TOKEN), initialize(1))
        .header("origin", "http://localhost:3000")
        .send()
        .await
        .expect("send");
    assert_eq!(answer.status(), 403);
    assert_eq!(plain.post(Some(TOKEN), initialize(1)).send().await.expect("send").status(), 200);
}

#[tokio::test]
async fn hostile_requests_get_errors_and_the_server_keeps_serving() {
    let fake = redmine().await;
    let server = Remote::start(&env(&fake.uri()), &[]).await;
    // A JSON-RPC batch: refused with a JSON-RPC error saying why.
    let batch = format!("[{},{}]", initialize(1), request(2, "tools/list", json!({})));
    let answer = server.post(Some(TOKEN), batch).send().await.expect("send");
    assert_eq!(answer.status(), 400);
    let error = message(answer).await;
    assert_eq!(error["error"]["code"], -32600, "{error}");
    assert!(error["error"]["message"].as_str().expect("message").contains("batch"), "{error}");
    // Not JSON, and JSON that is no JSON-RPC message.
    for (body, code) in
        [("{not json", -32700), ("", -32700), (r#"{"jsonrpc":"2.0","id":{"x":1},"method":"ping"}"#, -32600)]
    {
        let answer = server.post(Some(TOKEN), body).send().await.expect("send");
        assert_eq!(answer.status(), 400, "{body}");
        assert_eq!(message(answer).await["error"]["code"], code, "{body}");
    }
    // Oversized, declared and chunked.
    let big = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"ping","params":{{"x":"{}"}}}}"#,
        "a".repeat(5 * 1024 * 1024)
    );
    // Declared too large: refused on the headers alone, before any of the body is read.
    let addr = server.base.trim_start_matches("http://").to_owned();
    let mut raw = tokio::net::TcpStream::connect(&addr).await.expect("connect");
    let head = format!(
        "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n\
         Accept: application/json, text/event-stream\r\nContent-Length: {}\r\n\r\n",
        big.len()
    );
    raw.write_all(head.as_bytes()).await.expect("write");
    let mut answer = vec![0u8; 1024];
    let n =
        tokio::time::timeout(ANSWER_TIMEOUT, raw.read(&mut answer)).await.expect("in time").expect("read");
    let answer = String::from_utf8_lossy(&answer[..n]).into_owned();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    // Chunked: no Content-Length to refuse early, so the limit must hold while reading.
    let frames: Vec<_> = big
        .into_bytes()
        .chunks(64 * 1024)
        .map(|c| Ok::<_, std::io::Error>(http_body::Frame::data(bytes::Bytes::copy_from_slice(c))))
        .collect();
    let chunked = reqwest::Body::wrap(http_body_util::StreamBody::new(futures::stream::iter(frames)));
    let answer = server.post(Some(TOKEN), chunked).send().await;
    // The server answers 413 and closes, possibly before the client finished sending.
    match answer {
        Ok(answer) => assert_eq!(answer.status(), 413),
        Err(error) => assert!(error.is_request(), "{error}"),
    }
    // A session id that was never issued.
    let answer = server
        .post(Some(TOKEN), request(3, "tools/list", json!({})))
        .header("mcp-session-id", "never-issued-0000")
        .send()
        .await
        .expect("send");
    assert_eq!(answer.status(), 404);
    // A request without a session (not initialize) in session mode.
    let answer = server.post(Some(TOKEN), request(4, "tools/list", json!({}))).send().await.expect("send");
    assert!(answer.status().is_client_error(), "{}", answer.status());
    // Unknown paths.
    let answer = server.http.get(format!("{}/admin", server.base)).send().await.expect("send");
    assert_eq!(answer.status(), 404);
    // After all that, a client still gets served.
    let (_, whoami) = session_round_trip(&server).await;
    assert!(whoami.contains("svc-mcp"), "{whoami}");
}

#[tokio::test]
async fn slow_headers_are_cut_off_and_others_served_meanwhile() {
    let fake = redmine().await;
    let server = Remote::start(&env(&fake.uri()), &[]).await;
    let addr = server.base.trim_start_matches("http://").to_owned();
    let mut slow = tokio::net::TcpStream::connect(&addr).await.expect("connect");
    slow.write_all(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n").await.expect("write");
    let started = std::time::Instant::now();
    // Meanwhile another client is served.
    assert_eq!(server.http.get(format!("{}/healthz", server.base)).send().await.expect("send").status(), 200);
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(30), slow.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "the slow connection was not closed");
    let waited = started.elapsed();
    assert!(waited >= Duration::from_secs(8) && waited < Duration::from_secs(25), "{waited:?}");
    let (_, whoami) = session_round_trip(&server).await;
    assert!(whoami.contains("svc-mcp"));
}

#[tokio::test]
async fn http_refuses_to_start_without_auth_or_with_a_short_token() {
    let env = [
        ("TRACKER_MCP_MODE", "development"),
        ("REDMINE_URL", "http://127.0.0.1:9"),
        ("REDMINE_API_KEY", KEY),
    ];
    let (code, stdout, stderr) = run(&["serve", "--http", "127.0.0.1:0"], &env).await;
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty());
    assert!(stderr.contains("TRACKER_MCP_HTTP_TOKEN") && stderr.contains("no anonymous"), "{stderr}");
    let short = "too-short-token-1234";
    let mut with_short = env.to_vec();
    with_short.push(("TRACKER_MCP_HTTP_TOKEN", short));
    let (code, _, stderr) = run(&["serve", "--http", "127.0.0.1:0"], &with_short).await;
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("TRACKER_MCP_HTTP_TOKEN") && stderr.contains("32"), "{stderr}");
    assert!(!stderr.contains(short), "the refused token was echoed: {stderr}");
    // The variable works like the flag.
    let mut by_variable = env.to_vec();
    by_variable.push(("TRACKER_MCP_HTTP", "127.0.0.1:0"));
    let (code, _, stderr) = run(&[], &by_variable).await;
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("TRACKER_MCP_HTTP_TOKEN"), "{stderr}");
}

#[tokio::test]
async fn help_explains_remote_serving() {
    let (code, stdout, _) = run(&["serve", "--help"], &[]).await;
    assert_eq!(code, 0);
    assert!(stdout.contains("--http") && stdout.contains("--http-stateless"), "{stdout}");
    let (code, stdout, _) = run(&["--help"], &[]).await;
    assert_eq!(code, 0);
    for needle in
        ["TRACKER_MCP_HTTP_TOKEN", "/healthz", "no anonymous HTTP mode", "TRACKER_MCP_HTTP_ALLOWED_ORIGINS"]
    {
        assert!(stdout.contains(needle), "{needle}: {stdout}");
    }
}

/// The official MCP Python SDK's Streamable HTTP client (pinned in
/// `scripts/remote/python-sdk-client`), with the token: lists the tools and calls one. Skipped
/// loudly without python3, and a failure when `CI=true`.
#[tokio::test]
async fn the_python_sdk_client_lists_and_calls_tools() {
    let fake = redmine().await;
    for args in [&[][..], &["--http-stateless"][..]] {
        let server = Remote::start(&env(&fake.uri()), args).await;
        let Some(stdout) = python_client(&server.url()).await else { return };
        assert!(stdout.contains("tools: ") && stdout.contains("redmine_whoami"), "{stdout}");
        assert!(stdout.contains("svc-mcp"), "{stdout}");
        assert!(stdout.contains("unauthorized: refused"), "{stdout}");
    }
}

/// The official MCP TypeScript SDK's Streamable HTTP client (pinned in
/// `scripts/remote/ts-sdk/`), with the token, in both modes. Skipped loudly without node, a
/// failure when `CI=true`.
#[tokio::test]
async fn the_typescript_sdk_client_lists_and_calls_tools() {
    let fake = redmine().await;
    for args in [&[][..], &["--http-stateless"][..]] {
        let server = Remote::start(&env(&fake.uri()), args).await;
        let Some(stdout) = ts_client(&server.url()).await else { return };
        assert!(stdout.contains("server: tracker-mcp") && stdout.contains("redmine_whoami"), "{stdout}");
        assert!(stdout.contains("svc-mcp") && stdout.contains("unauthorized: refused"), "{stdout}");
    }
}

/// Run the TypeScript SDK client against `url` with [`TOKEN`]; its stdout, or `None` (a loud
/// skip) without node. It fails the test when the client does.
pub async fn ts_client(url: &str) -> Option<String> {
    if !std::process::Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success()) {
        let message = "SKIPPED TypeScript SDK test: node not found";
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{message}; CI=true requires it");
        eprintln!("\n*** {message} ***\n");
        return None;
    }
    let output = tokio::time::timeout(
        Duration::from_secs(600),
        tokio::process::Command::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/remote/ts-sdk/run-client"
        ))
        .arg(url)
        .env("MCP_TOKEN", TOKEN)
        .stdin(Stdio::null())
        .output(),
    )
    .await
    .expect("the TypeScript client finished in time")
    .expect("run the TypeScript client");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{url}\nstdout: {stdout}\nstderr: {stderr}");
    Some(stdout)
}

/// Run the Python SDK client against `url` with [`TOKEN`]; its stdout, or `None` (a loud
/// skip) without python3. It fails the test when the client does.
pub async fn python_client(url: &str) -> Option<String> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/remote/python-sdk-client");
    let has_python =
        std::process::Command::new("python3").arg("--version").output().is_ok_and(|o| o.status.success());
    if !has_python {
        let message = "SKIPPED Python SDK test: python3 not found";
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{message}; CI=true requires it");
        eprintln!("\n*** {message} ***\n");
        return None;
    }
    let output = tokio::time::timeout(
        Duration::from_secs(600),
        tokio::process::Command::new(script).arg(url).env("MCP_TOKEN", TOKEN).stdin(Stdio::null()).output(),
    )
    .await
    .expect("the Python client finished in time")
    .expect("run the Python client");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{url}\nstdout: {stdout}\nstderr: {stderr}");
    Some(stdout)
}

#[tokio::test]
async fn sigterm_lets_the_call_in_flight_finish_and_refuses_new_ones() {
    let fake = upstream().await;
    Mock::given(method("GET"))
        .and(path("/users/current.json"))
        .respond_with(
            ok(json!({"user": {"id": 5, "login": "svc-slow", "firstname": "S", "lastname": "A", "admin": false}}))
                .set_delay(Duration::from_secs(2)),
        )
        .mount(&fake)
        .await;
    let server = Remote::start(&env(&fake.uri()), &["--http-stateless"]).await;
    let slow = server
        .post(Some(TOKEN), request(1, "tools/call", json!({"name": "redmine_whoami", "arguments": {}})))
        .header("mcp-protocol-version", "2025-06-18")
        .send();
    let slow = tokio::spawn(slow);
    // The call is at the tracker when the signal comes.
    for _ in 0..100 {
        if fake.received_requests().await.is_some_and(|r| !r.is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let base = server.base.clone();
    let url = server.url();
    let http = server.http.clone();
    let pid = server.child.id().expect("running");
    let killed = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status().expect("kill");
    assert!(killed.success());
    tokio::time::sleep(Duration::from_millis(300)).await;
    // New requests are refused: the listener is closed.
    let late = http
        .post(&url)
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(initialize(2))
        .send()
        .await;
    assert!(late.as_ref().map_or(true, |r| r.status() == 503), "{late:?}");
    assert!(http.get(format!("{base}/healthz")).send().await.map_or(true, |r| r.status() == 503));
    let answer = slow.await.expect("join").expect("the call in flight was answered");
    assert_eq!(answer.status(), 200);
    let answer = message(answer).await;
    assert!(crate::common::tool_text(&answer["result"]).contains("svc-slow"), "{answer}");
    let (clean, stderr) = server.terminate_wait().await;
    assert!(clean, "{stderr}");
    assert!(stderr.contains("stopped"), "{stderr}");
}

#[tokio::test]
async fn each_caller_is_rate_limited_with_429_and_retry_after() {
    let fake = redmine().await;
    let uri = fake.uri();
    let mut env = env(&uri);
    env.push(("TRACKER_MCP_HTTP_RATE_LIMIT", "1"));
    let server = Remote::start(&env, &["--http-stateless"]).await;
    let mut statuses = Vec::new();
    for id in 0..4 {
        let answer = server.post(Some(TOKEN), initialize(id)).send().await.expect("send");
        statuses.push((answer.status().as_u16(), answer.headers().get("retry-after").cloned()));
    }
    // A burst of twice the rate, then refusals that say when to come back.
    assert_eq!(statuses[0].0, 200);
    assert_eq!(statuses[1].0, 200);
    assert_eq!(statuses[2].0, 429, "{statuses:?}");
    assert!(statuses[2].1.as_ref().is_some_and(|v| v.to_str().is_ok_and(|s| s.parse::<u64>().is_ok())));
    // Unauthenticated requests never reach the limiter (and never use the caller's bucket).
    assert_eq!(server.post(None, initialize(9)).send().await.expect("send").status(), 401);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(server.post(Some(TOKEN), initialize(5)).send().await.expect("send").status(), 200);
}

#[tokio::test]
async fn metrics_and_the_audit_log_record_calls_and_callers() {
    let fake = redmine().await;
    let dir = std::env::temp_dir().join(format!("tracker-mcp-remote-audit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let audit = dir.join("audit.jsonl");
    let audit_path = audit.display().to_string();
    let uri = fake.uri();
    let mut env = env(&uri);
    env.push(("TRACKER_MCP_METRICS_ADDR", "127.0.0.1:0"));
    env.push(("TRACKER_MCP_AUDIT_LOG", &audit_path));
    let server = Remote::start(&env, &["--http-stateless"]).await;
    let call = server
        .post(Some(TOKEN), request(1, "tools/call", json!({"name": "redmine_whoami", "arguments": {}})))
        .header("mcp-protocol-version", "2025-06-18")
        .send()
        .await
        .expect("send");
    assert!(crate::common::tool_text(&message(call).await["result"]).contains("svc-mcp"));
    assert_eq!(server.post(None, initialize(2)).send().await.expect("send").status(), 401);
    let stderr = server.stderr();
    let at = stderr.find("metrics on http://").expect("the metrics address is logged");
    let metrics_url = stderr[at + "metrics on ".len()..].split_whitespace().next().expect("url").to_owned();
    let text = server.http.get(&metrics_url).send().await.expect("scrape").text().await.expect("body");
    for needle in [
        r#"tracker_mcp_tool_calls_total{tracker="redmine",tool="redmine_whoami",outcome="ok"} 1"#,
        r#"tracker_mcp_auth_failures_total{reason="missing"} 1"#,
        r#"tracker_mcp_http_requests_total{status="401"} 1"#,
        r#"tracker_mcp_tool_call_seconds_count{tracker="redmine",tool="redmine_whoami"} 1"#,
        "tracker_mcp_sessions 0",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
    assert!(!text.contains(TOKEN) && !text.contains(KEY));
    let (clean, _) = server.terminate().await;
    assert!(clean);
    let log = std::fs::read_to_string(&audit).expect("audit log");
    let line: Value = serde_json::from_str(log.lines().next().expect("one line")).expect("json");
    assert_eq!(line["tool"], "redmine_whoami");
    assert_eq!(line["caller"], "static token", "{line}");
    std::fs::remove_dir_all(&dir).ok();
}
