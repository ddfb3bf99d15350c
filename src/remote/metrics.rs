//! Prometheus metrics (`TRACKER_MCP_METRICS_ADDR`, text format at `/metrics` on a listener
//! of its own, without auth: bind it where only the scraper reaches it). Counters are
//! process-wide and cheap to bump; tool calls are counted wherever they come from.
//!
//! - `tracker_mcp_http_requests_total{status}`: answers of the MCP listener, by status.
//! - `tracker_mcp_auth_failures_total{reason}`: missing, invalid, insufficient_scope,
//!   unavailable, forbidden_origin.
//! - `tracker_mcp_rate_limited_total`: requests refused by the per-caller limit.
//! - `tracker_mcp_tool_calls_total{tracker,tool,outcome}`: ok, error, refused, protocol_error.
//! - `tracker_mcp_tool_call_seconds{tracker,tool}`: call duration (almost all of it upstream
//!   latency), as a histogram.
//! - `tracker_mcp_sessions`: open sessions; `tracker_mcp_requests_in_flight`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// Upper bounds of the duration histogram, in seconds.
const BUCKETS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

#[derive(Debug, Default)]
struct Histogram {
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

#[derive(Debug, Default)]
struct Registry {
    http: BTreeMap<u16, u64>,
    auth_failures: BTreeMap<&'static str, u64>,
    rate_limited: u64,
    calls: BTreeMap<(String, String, &'static str), u64>,
    durations: BTreeMap<(String, String), Histogram>,
}

fn registry() -> &'static Mutex<Registry> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    REGISTRY.get_or_init(Mutex::default)
}

fn with(update: impl FnOnce(&mut Registry)) {
    if let Ok(mut registry) = registry().lock() {
        update(&mut registry);
    }
}

pub fn http_answer(status: u16) {
    with(|r| *r.http.entry(status).or_default() += 1);
}

pub fn auth_failure(reason: &'static str) {
    with(|r| *r.auth_failures.entry(reason).or_default() += 1);
}

pub fn rate_limited() {
    with(|r| r.rate_limited += 1);
}

/// One tool call: `tool` is a served tool's name (unknown names are counted as `unknown`, so
/// a client cannot grow the label set).
pub fn tool_call(tool: &str, known: bool, outcome: &'static str, duration: Duration) {
    let tool = if known { tool.to_owned() } else { "unknown".to_owned() };
    let tracker = if known { tool.split('_').next().unwrap_or_default().to_owned() } else { String::new() };
    with(|r| {
        *r.calls.entry((tracker.clone(), tool.clone(), outcome)).or_default() += 1;
        let h = r.durations.entry((tracker, tool)).or_default();
        if h.counts.is_empty() {
            h.counts = vec![0; BUCKETS.len()];
        }
        let secs = duration.as_secs_f64();
        for (count, bound) in h.counts.iter_mut().zip(BUCKETS) {
            if secs <= *bound {
                *count += 1;
            }
        }
        h.sum += secs;
        h.count += 1;
    });
}

/// The text exposition of every metric; `sessions` and `in_flight` are read by the caller.
#[must_use]
pub fn render(sessions: usize, in_flight: usize) -> String {
    let Ok(r) = registry().lock() else { return String::new() };
    let mut out = String::new();
    let _ = writeln!(out, "# HELP tracker_mcp_http_requests_total MCP HTTP answers by status.");
    let _ = writeln!(out, "# TYPE tracker_mcp_http_requests_total counter");
    for (status, n) in &r.http {
        let _ = writeln!(out, "tracker_mcp_http_requests_total{{status=\"{status}\"}} {n}");
    }
    let _ = writeln!(out, "# HELP tracker_mcp_auth_failures_total Requests refused before any tool ran.");
    let _ = writeln!(out, "# TYPE tracker_mcp_auth_failures_total counter");
    for (reason, n) in &r.auth_failures {
        let _ = writeln!(out, "tracker_mcp_auth_failures_total{{reason=\"{reason}\"}} {n}");
    }
    let _ = writeln!(out, "# HELP tracker_mcp_rate_limited_total Requests refused by the per-caller limit.");
    let _ = writeln!(out, "# TYPE tracker_mcp_rate_limited_total counter");
    let _ = writeln!(out, "tracker_mcp_rate_limited_total {}", r.rate_limited);
    let _ = writeln!(out, "# HELP tracker_mcp_tool_calls_total Tool calls by tracker, tool and outcome.");
    let _ = writeln!(out, "# TYPE tracker_mcp_tool_calls_total counter");
    for ((tracker, tool, outcome), n) in &r.calls {
        let _ = writeln!(
            out,
            "tracker_mcp_tool_calls_total{{tracker=\"{tracker}\",tool=\"{tool}\",outcome=\"{outcome}\"}} {n}"
        );
    }
    let _ =
        writeln!(out, "# HELP tracker_mcp_tool_call_seconds Tool call duration (mostly upstream latency).");
    let _ = writeln!(out, "# TYPE tracker_mcp_tool_call_seconds histogram");
    for ((tracker, tool), h) in &r.durations {
        let labels = format!("tracker=\"{tracker}\",tool=\"{tool}\"");
        for (count, bound) in h.counts.iter().zip(BUCKETS) {
            let _ = writeln!(out, "tracker_mcp_tool_call_seconds_bucket{{{labels},le=\"{bound}\"}} {count}");
        }
        let _ = writeln!(out, "tracker_mcp_tool_call_seconds_bucket{{{labels},le=\"+Inf\"}} {}", h.count);
        let _ = writeln!(out, "tracker_mcp_tool_call_seconds_sum{{{labels}}} {}", h.sum);
        let _ = writeln!(out, "tracker_mcp_tool_call_seconds_count{{{labels}}} {}", h.count);
    }
    let _ = writeln!(out, "# HELP tracker_mcp_sessions Open MCP sessions.");
    let _ = writeln!(out, "# TYPE tracker_mcp_sessions gauge");
    let _ = writeln!(out, "tracker_mcp_sessions {sessions}");
    let _ = writeln!(out, "# HELP tracker_mcp_requests_in_flight MCP requests being answered.");
    let _ = writeln!(out, "# TYPE tracker_mcp_requests_in_flight gauge");
    let _ = writeln!(out, "tracker_mcp_requests_in_flight {in_flight}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_and_durations_are_rendered_with_bounded_labels() {
        tool_call("redmine_metrics_probe", true, "ok", Duration::from_millis(20));
        tool_call("made_up_<script>", false, "protocol_error", Duration::from_millis(1));
        let text = render(3, 1);
        assert!(text.contains(r#"tracker_mcp_tool_calls_total{tracker="redmine",tool="redmine_metrics_probe",outcome="ok"} 1"#), "{text}");
        assert!(
            text.contains(
                r#"tool_call_seconds_bucket{tracker="redmine",tool="redmine_metrics_probe",le="0.025"} 1"#
            ),
            "{text}"
        );
        assert!(
            text.contains(
                r#"tool_call_seconds_bucket{tracker="redmine",tool="redmine_metrics_probe",le="0.01"} 0"#
            ),
            "{text}"
        );
        assert!(!text.contains("<script>") && text.contains(r#"tool="unknown""#), "{text}");
        assert!(text.contains("tracker_mcp_sessions 3"));
    }
}
