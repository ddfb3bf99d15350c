//! Test harness: spawn the real binary with a chosen environment and talk raw JSON-RPC to it,
//! keeping every byte it wrote to stdout and stderr for the leak and protocol checks.

#![allow(dead_code)]

use std::collections::HashMap;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

pub mod fake;

/// The binary under test.
pub fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tracker-mcp"));
    // Start-up verification makes requests of its own; tests that count requests must not see
    // them, so it is off unless a test turns it on.
    command
        .env_clear()
        .env("RUST_LOG", "info")
        .env("TRACKER_MCP_VERIFY_ON_START", "false")
        .current_dir(std::env::temp_dir());
    command
}

/// How long a test waits for one answer before failing.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

/// A running server and everything it said.
pub struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    stderr: tokio::task::JoinHandle<String>,
    /// Every stdout line so far.
    pub lines: Vec<String>,
    next_id: u64,
}

impl Server {
    /// Spawn with exactly `env` (plus `RUST_LOG=info`), without initializing.
    pub fn spawn(env: &[(&str, &str)]) -> Self {
        let mut command = binary();
        for (k, v) in env {
            command.env(k, v);
        }
        command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
        let mut child = command.spawn().expect("spawn tracker-mcp");
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut stderr = child.stderr.take().expect("stderr");
        let stderr = tokio::spawn(async move {
            let mut out = String::new();
            let mut buf = Vec::new();
            stderr.read_to_end(&mut buf).await.ok();
            out.push_str(&String::from_utf8_lossy(&buf));
            out
        });
        Self { child, stdin, stdout, stderr, lines: Vec::new(), next_id: 1 }
    }

    /// The child's process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Peak resident memory of the child so far, in KiB (Linux).
    pub fn peak_rss_kib(&self) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid().unwrap_or(0))).unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    /// Spawn and complete the `initialize` handshake; returns the server and its
    /// `initialize` result.
    pub async fn start(env: &[(&str, &str)]) -> (Self, Value) {
        let mut server = Self::spawn(env);
        let init = server.initialize().await;
        (server, init)
    }

    pub async fn initialize(&mut self) -> Value {
        let answer = self
            .request(
                "initialize",
                json!({
                    "protocolVersion": "2025-06-18",
                    "capabilities": {},
                    "clientInfo": {"name": "tracker-mcp-tests", "version": "1"}
                }),
            )
            .await;
        self.notify("notifications/initialized", json!({})).await;
        answer.get("result").cloned().unwrap_or_else(|| panic!("initialize failed: {answer}"))
    }

    /// Write one raw line (a newline is added).
    pub async fn send_raw(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(line.as_bytes()).await.expect("write");
        stdin.write_all(b"\n").await.expect("write");
        stdin.flush().await.expect("flush");
    }

    pub async fn notify(&mut self, method: &str, params: Value) {
        let line = json!({"jsonrpc": "2.0", "method": method, "params": params}).to_string();
        self.send_raw(&line).await;
    }

    /// Send a request and wait for the answer with the same id.
    pub async fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let line = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string();
        self.send_raw(&line).await;
        self.wait_for(&json!(id)).await
    }

    /// Read stdout until the answer to `id` arrives.
    pub async fn wait_for(&mut self, id: &Value) -> Value {
        loop {
            let message =
                self.read_message().await.unwrap_or_else(|| panic!("stdout closed before answer {id}"));
            if message.get("id") == Some(id) && message.get("method").is_none() {
                return message;
            }
        }
    }

    /// The next JSON-RPC message on stdout, or `None` at EOF.
    pub async fn read_message(&mut self) -> Option<Value> {
        let mut line = String::new();
        let n = tokio::time::timeout(ANSWER_TIMEOUT, self.stdout.read_line(&mut line))
            .await
            .expect("the server answered in time")
            .expect("read stdout");
        if n == 0 {
            return None;
        }
        let trimmed = line.trim_end().to_owned();
        self.lines.push(trimmed.clone());
        let value: Value = serde_json::from_str(&trimmed)
            .unwrap_or_else(|e| panic!("stdout carried a non-JSON line ({e}): {trimmed}"));
        assert_eq!(value.get("jsonrpc"), Some(&json!("2.0")), "not JSON-RPC: {trimmed}");
        Some(value)
    }

    /// Call a tool; returns `(is_error, text)` for tool results and panics on protocol errors.
    pub async fn call(&mut self, tool: &str, arguments: Value) -> (bool, String) {
        let answer = self.call_raw(tool, arguments).await;
        let result = answer.get("result").unwrap_or_else(|| panic!("{tool}: protocol error {answer}"));
        (result["isError"] == json!(true), tool_text(result))
    }

    /// Call a tool and return the whole JSON-RPC answer.
    pub async fn call_raw(&mut self, tool: &str, arguments: Value) -> Value {
        self.request("tools/call", json!({"name": tool, "arguments": arguments})).await
    }

    /// Call a tool that must succeed; returns its text.
    pub async fn ok(&mut self, tool: &str, arguments: Value) -> String {
        let (is_error, text) = self.call(tool, arguments.clone()).await;
        assert!(!is_error, "{tool} {arguments} failed: {text}");
        text
    }

    /// Call a tool that must fail with a tool error; returns its text.
    pub async fn err(&mut self, tool: &str, arguments: Value) -> String {
        let (is_error, text) = self.call(tool, arguments.clone()).await;
        assert!(is_error, "{tool} {arguments} unexpectedly succeeded: {text}");
        text
    }

    /// Names of the listed tools.
    pub async fn tool_names(&mut self) -> Vec<String> {
        self.tools().await.iter().map(|t| t["name"].as_str().expect("name").to_owned()).collect()
    }

    /// Names of the operations served: a listed tool's own name, or, for a tool that groups
    /// operations, the operation of each method it offers.
    pub async fn operation_names(&mut self) -> Vec<String> {
        let mut names = Vec::new();
        for tool in self.tools().await {
            let name = tool["name"].as_str().expect("name");
            let group =
                tracker_mcp::tracker::TRACKERS.iter().flat_map(|s| s.groups.iter()).find(|g| g.name == name);
            match group {
                Some(group) => {
                    for method in
                        tool["inputSchema"]["properties"]["method"]["enum"].as_array().expect("methods")
                    {
                        let (_, op) = group.methods.iter().find(|(m, _)| method == m).expect("known method");
                        names.push((*op).to_owned());
                    }
                }
                None => names.push(name.to_owned()),
            }
        }
        names.sort();
        names
    }

    pub async fn tools(&mut self) -> Vec<Value> {
        let answer = self.request("tools/list", json!({})).await;
        answer["result"]["tools"].as_array().cloned().unwrap_or_else(|| panic!("tools/list: {answer}"))
    }

    /// Close stdin, wait for exit; returns (exit success, all stdout, all stderr).
    pub async fn finish(mut self) -> (bool, String, String) {
        drop(self.stdin.take());
        let mut rest = String::new();
        tokio::time::timeout(ANSWER_TIMEOUT, self.stdout.read_to_string(&mut rest))
            .await
            .expect("stdout closed in time")
            .ok();
        for line in rest.lines().filter(|l| !l.trim().is_empty()) {
            self.lines.push(line.to_owned());
        }
        let status = tokio::time::timeout(ANSWER_TIMEOUT, self.child.wait())
            .await
            .expect("the server exited after EOF")
            .expect("wait");
        let stderr = self.stderr.await.unwrap_or_default();
        (status.success(), self.lines.join("\n"), stderr)
    }
}

/// The text blocks of a tool result, joined.
pub fn tool_text(result: &Value) -> String {
    result["content"]
        .as_array()
        .map(|blocks| blocks.iter().filter_map(|b| b["text"].as_str()).collect::<Vec<_>>().join("\n"))
        .unwrap_or_default()
}

/// Run the binary as a command (no stdio protocol) and collect its output.
pub async fn run(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut command = binary();
    command.args(args).stdin(Stdio::null());
    for (k, v) in env {
        command.env(k, v);
    }
    let output = tokio::time::timeout(ANSWER_TIMEOUT, command.output()).await.expect("in time").expect("run");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Variables of a live upstream, or `None` with a loud skip message. In CI (`CI=true`) a
/// missing upstream fails the test instead: the live tests must run there.
pub fn live(what: &str, names: &[&str]) -> Option<HashMap<String, String>> {
    let values: HashMap<String, String> =
        names.iter().filter_map(|n| std::env::var(n).ok().map(|v| ((*n).to_owned(), v))).collect();
    if values.len() == names.len() {
        return Some(values);
    }
    let missing: Vec<_> = names.iter().filter(|n| !values.contains_key(**n)).collect();
    let message =
        format!("SKIPPED live {what} test: {missing:?} not set (scripts/test starts the upstreams)");
    assert!(std::env::var("CI").as_deref() != Ok("true"), "{message}; CI=true requires the live upstreams");
    eprintln!("\n*** {message} ***\n");
    None
}

/// Environment for a development-mode server with writes on or off.
pub fn dev_env<'a>(extra: &[(&'a str, &'a str)], writes: bool) -> Vec<(&'a str, &'a str)> {
    let mut env = vec![
        ("TRACKER_MCP_MODE", "development"),
        ("TRACKER_MCP_ENABLE_WRITES", if writes { "true" } else { "false" }),
    ];
    env.extend_from_slice(extra);
    env
}

/// The tracker names (tool-name prefixes), from the trackers' own descriptors.
pub fn tracker_names() -> Vec<&'static str> {
    tracker_mcp::tracker::TRACKERS.iter().map(|spec| spec.name).collect()
}

/// Tools of the tool sets that exist only on one variant of their tracker (`only_on`), such
/// as Bitbucket Cloud's issues and code search.
pub fn variant_only_tools(variant: &str) -> Vec<String> {
    let mut names = Vec::new();
    for spec in tracker_mcp::tracker::TRACKERS {
        for set in spec.toolsets.iter().filter(|set| set.only_on == Some(variant)) {
            names.extend((set.router)().list_all().into_iter().map(|tool| tool.name.to_string()));
        }
    }
    names
}
