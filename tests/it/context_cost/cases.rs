//! The measured objects of the context-cost test, shared with `benches/bench.rs` (which
//! includes this file by path): real-shaped upstream answers from `tests/fixtures/context/`,
//! the paths the tools request them on, and the key fields each result must keep.
//!
//! What is counted:
//! - result bytes: the UTF-8 bytes of the text blocks of every tool result needed for the object
//!   (what lands in the model's context; the JSON-RPC envelope is transport, not context);
//! - raw bytes: the bodies of every upstream answer the tool asked for to produce it (the issue,
//!   the comments, the diff, the build statuses, and the enumerations the renderer looked up,
//!   such as Redmine's status list), counted once per request the fake actually received.

use std::collections::HashMap;
use std::path::Path;

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The target from the benchmarks issue: a result is at most this share of the raw JSON.
pub const TARGET: f64 = 0.35;

/// The case's fake upstream: every answer served on the path the tools request it on.
/// Returns the server and the body size behind each path.
pub async fn serve(case: &Case) -> (MockServer, HashMap<String, usize>) {
    let upstream = MockServer::start().await;
    let mut sizes = HashMap::new();
    for (at, file, content_type) in &case.answers {
        let answer = match file.strip_prefix("-> ") {
            Some(location) => {
                sizes.insert(at.clone(), 0);
                ResponseTemplate::new(302).insert_header("location", location)
            }
            None => {
                let body = fixture(file);
                sizes.insert(at.clone(), body.len());
                ResponseTemplate::new(200).set_body_raw(body.into_bytes(), content_type)
            }
        };
        Mock::given(method("GET")).and(path(at.as_str())).respond_with(answer).mount(&upstream).await;
    }
    (upstream, sizes)
}

/// The figures of a case from the result text and what the fake received; a request the
/// fixtures do not serve is a failure (the tool asked for something unaccounted for).
pub async fn figures(
    case: &Case,
    upstream: &MockServer,
    sizes: &HashMap<String, usize>,
    text: String,
) -> Figures {
    let requests = upstream.received_requests().await.unwrap_or_default();
    let mut raw = 0;
    for r in &requests {
        let size = sizes.get(r.url.path()).unwrap_or_else(|| {
            panic!(
                "{}: the tool requested {} {}, which the fixtures do not serve",
                case.name, r.method, r.url
            )
        });
        raw += size;
    }
    let verbatim = case.texts.iter().map(String::len).sum();
    Figures { name: case.name, raw, result: text.trim_end().len(), requests: requests.len(), verbatim, text }
}

pub fn fixture(name: &str) -> String {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/context").join(name);
    std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

fn json_fixture(name: &str) -> Value {
    serde_json::from_str(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// `render::when`: `2025-01-07T10:00:00Z` → `2025-01-07 10:00Z`.
fn when(t: &str) -> String {
    if t.len() >= 16 && t.as_bytes().get(10) == Some(&b'T') {
        format!("{} {}{}", &t[..10], &t[11..16], if t.ends_with('Z') { "Z" } else { "" })
    } else {
        t.to_owned()
    }
}

fn s(v: &Value, pointer: &str) -> String {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or_else(|| panic!("fixture lacks {pointer}")).to_owned()
}

/// One measured object: its tool calls, the upstream answers by path, the key fields.
pub struct Case {
    pub name: &'static str,
    pub env: Vec<(&'static str, String)>,
    pub calls: Vec<(&'static str, Value)>,
    /// Path → (fixture file, content type); a file `-> LOCATION` answers 302 to LOCATION.
    pub answers: Vec<(String, &'static str, &'static str)>,
    /// Short key fields: ids, titles, states, people, dates (as the renderer prints them).
    pub keys: Vec<String>,
    /// User-written text the result must carry verbatim: descriptions, comments, diff lines.
    pub texts: Vec<String>,
    /// The ratio asserted: [`TARGET`], unless the verbatim text alone makes it unreachable.
    pub max_ratio: f64,
}

/// Measured figures of one object.
pub struct Figures {
    pub name: &'static str,
    pub raw: usize,
    pub result: usize,
    pub requests: usize,
    /// Bytes of the verbatim user text (`Case::texts`).
    pub verbatim: usize,
    pub text: String,
}

impl Figures {
    /// Result bytes / raw bytes.
    pub fn ratio(&self) -> f64 {
        self.result as f64 / self.raw as f64
    }

    /// The least ratio any result keeping the user text whole can reach.
    pub fn floor(&self) -> f64 {
        self.verbatim as f64 / self.raw as f64
    }

    /// Everything but the verbatim user text, result vs raw: how well the structure (fields,
    /// names, headers, fences) is compacted. (The raw side keeps the text's JSON escapes, a
    /// few bytes per line.)
    pub fn structure_ratio(&self) -> f64 {
        (self.result - self.verbatim) as f64 / (self.raw - self.verbatim) as f64
    }
}

pub fn table(figures: &[Figures]) -> String {
    let mut out = format!(
        "{:<42} {:>5} {:>8} {:>8} {:>7} {:>11} {:>10} {:>6}\n",
        "object", "GETs", "raw B", "result B", "ratio", "text floor", "structure", "≤35%"
    );
    for f in figures {
        out.push_str(&format!(
            "{:<42} {:>5} {:>8} {:>8} {:>6.1}% {:>10.1}% {:>9.1}% {:>6}\n",
            f.name,
            f.requests,
            f.raw,
            f.result,
            f.ratio() * 100.0,
            f.floor() * 100.0,
            f.structure_ratio() * 100.0,
            if f.ratio() <= TARGET { "yes" } else { "no" }
        ));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The objects

const RM_KEY: &str = "ctx-redmine-key";

fn redmine_env() -> Vec<(&'static str, String)> {
    vec![("REDMINE_URL", "{uri}".into()), ("REDMINE_API_KEY", RM_KEY.into())]
}

/// A Redmine issue with 10 journals (`redmine_get_issue`).
pub fn redmine_issue() -> Case {
    let v = json_fixture("redmine_issue_4211.json");
    let i = &v["issue"];
    let mut keys = vec![
        format!("#{}", i["id"]),
        s(i, "/subject"),
        s(i, "/status/name"),
        s(i, "/tracker/name"),
        s(i, "/priority/name"),
        s(i, "/project/name"),
        s(i, "/author/name"),
        s(i, "/assigned_to/name"),
        s(i, "/fixed_version/name"),
        when(&s(i, "/created_on")),
        when(&s(i, "/updated_on")),
        s(i, "/due_date"),
    ];
    let mut texts: Vec<String> = s(i, "/description")
        .replace("\r\n", "\n")
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    for j in i["journals"].as_array().expect("journals") {
        keys.push(j["id"].to_string());
        keys.push(s(j, "/user/name"));
        keys.push(when(&s(j, "/created_on")));
        let notes = s(j, "/notes").replace("\r\n", "\n");
        if !notes.is_empty() {
            texts.push(notes);
        }
    }
    // Journal details read as names: the status and priority changes, the new assignee.
    keys.extend(
        ["New -> In Progress", "In Progress -> Resolved", "Normal -> High", "(none) -> 2.14.0"]
            .map(String::from),
    );
    for w in i["watchers"].as_array().expect("watchers") {
        keys.push(s(w, "/name"));
    }
    for a in i["attachments"].as_array().expect("attachments") {
        keys.push(s(a, "/filename"));
    }
    Case {
        name: "Redmine issue, 10 journals",
        env: redmine_env(),
        calls: vec![("redmine_get_issue", json!({"id": i["id"]}))],
        answers: vec![
            ("/issues/4211.json".into(), "redmine_issue_4211.json", "application/json"),
            ("/issue_statuses.json".into(), "redmine_issue_statuses.json", "application/json"),
            (
                "/enumerations/issue_priorities.json".into(),
                "redmine_issue_priorities.json",
                "application/json",
            ),
            ("/projects/3/versions.json".into(), "redmine_versions_3.json", "application/json"),
        ],
        keys,
        texts,
        // The description's and the notes' text is a third of the raw bytes and is shown whole,
        // each note in its own fence labelled with its journal: 35 % is out of reach.
        max_ratio: 0.60,
    }
}

/// 50 Redmine issues (`redmine_search_issues`).
pub fn redmine_search() -> Case {
    let v = json_fixture("redmine_issues_search.json");
    let (mut keys, texts) = (Vec::new(), Vec::new());
    for i in v["issues"].as_array().expect("issues") {
        keys.push(format!("#{} ", i["id"]));
        keys.push(s(i, "/subject"));
        keys.push(s(i, "/status/name"));
        keys.push(s(i, "/tracker/name"));
        if i.get("assigned_to").is_some() {
            keys.push(s(i, "/assigned_to/name"));
        }
        keys.push(when(&s(i, "/updated_on")));
    }
    keys.push(format!("of {}", v["total_count"]));
    Case {
        name: "Redmine search, 50 issues",
        env: redmine_env(),
        calls: vec![("redmine_search_issues", json!({"limit": 50}))],
        answers: vec![("/issues.json".into(), "redmine_issues_search.json", "application/json")],
        keys,
        texts,
        max_ratio: TARGET,
    }
}

fn bugzilla_env() -> Vec<(&'static str, String)> {
    vec![
        ("BUGZILLA_URL", "{uri}".into()),
        ("BUGZILLA_API_KEY", "ctx-bugzilla-key".into()),
        ("BUGZILLA_API_KEY_MODE", "header".into()),
    ]
}

/// A Bugzilla bug with 10 comments (`bugzilla_get_bug` with `include_comments`).
pub fn bugzilla_bug() -> Case {
    let v = json_fixture("bugzilla_bug_2195.json");
    let b = &v["bugs"][0];
    let mut keys = vec![
        format!("Bug {}", b["id"]),
        s(b, "/summary"),
        s(b, "/status"),
        s(b, "/product"),
        s(b, "/component"),
        s(b, "/priority"),
        s(b, "/severity"),
        s(b, "/assigned_to_detail/real_name"),
        s(b, "/creator_detail/real_name"),
        when(&s(b, "/creation_time")),
        when(&s(b, "/last_change_time")),
    ];
    let mut texts = Vec::new();
    let c = json_fixture("bugzilla_bug_2195_comments.json");
    for c in c["bugs"]["2195"]["comments"].as_array().expect("comments") {
        keys.push(format!("#{}", c["count"]));
        keys.push(s(c, "/creator"));
        keys.push(when(&s(c, "/creation_time")));
        texts.push(s(c, "/text"));
    }
    Case {
        name: "Bugzilla bug, 10 comments",
        env: bugzilla_env(),
        calls: vec![("bugzilla_get_bug", json!({"ids": [b["id"]], "include_comments": true}))],
        answers: vec![
            ("/rest/bug/2195".into(), "bugzilla_bug_2195.json", "application/json"),
            ("/rest/bug/2195/comment".into(), "bugzilla_bug_2195_comments.json", "application/json"),
        ],
        keys,
        texts,
        // The ten comments' text is a third of the raw bytes and is shown whole, each in its
        // own fence with its number, author and time: 35 % is out of reach.
        max_ratio: 0.60,
    }
}

/// 50 Bugzilla bugs (`bugzilla_search_bugs`; the tool asks for `include_fields`, so the raw
/// answer is already trimmed to the fields it shows).
pub fn bugzilla_search() -> Case {
    let v = json_fixture("bugzilla_search.json");
    let (mut keys, texts) = (Vec::new(), Vec::new());
    for b in v["bugs"].as_array().expect("bugs") {
        keys.push(format!("{} [", b["id"]));
        keys.push(s(b, "/summary"));
        keys.push(s(b, "/status"));
        keys.push(s(b, "/component"));
        keys.push(s(b, "/assigned_to"));
        keys.push(s(b, "/last_change_time")[..10].to_owned());
    }
    Case {
        name: "Bugzilla search, 50 bugs",
        env: bugzilla_env(),
        calls: vec![("bugzilla_search_bugs", json!({"product": "Mail Server", "limit": 50}))],
        answers: vec![("/rest/bug".into(), "bugzilla_search.json", "application/json")],
        keys,
        texts,
        max_ratio: TARGET,
    }
}

fn bitbucket_env() -> Vec<(&'static str, String)> {
    vec![
        ("BITBUCKET_URL", "{uri}".into()),
        ("BITBUCKET_TOKEN", "ctx-bitbucket-token".into()),
        ("BITBUCKET_FLAVOR", "cloud".into()),
    ]
}

const PR_PATH: &str = "/2.0/repositories/northwind/webhook-relay/pullrequests";
const DIFF_PATH: &str =
    "/2.0/repositories/northwind/webhook-relay/diff/northwind%2Fwebhook-relay%3A7c1d2e9a4b3f%0D9f3c1e2a7b4d";
const DIFF_REDIRECT: &str = "-> /2.0/repositories/northwind/webhook-relay/diff/northwind%2Fwebhook-relay%3A7c1d2e9a4b3f%0D9f3c1e2a7b4d?from_pullrequest_id=482&topic=true";

/// A Bitbucket Cloud pull request with 10 comments and a ~300-line diff: the three tools a
/// model calls to review it.
pub fn bitbucket_pull_request() -> Case {
    let pr = json_fixture("bitbucket_pr_482.json");
    let mut keys = vec![
        format!("#{}", pr["id"]),
        s(&pr, "/title"),
        s(&pr, "/state"),
        s(&pr, "/author/display_name"),
        s(&pr, "/source/branch/name"),
        s(&pr, "/destination/branch/name"),
        when(&s(&pr, "/created_on")),
        when(&s(&pr, "/updated_on")),
    ];
    let mut texts = vec![s(&pr, "/description")];
    for p in pr["participants"].as_array().expect("participants") {
        keys.push(s(p, "/user/display_name"));
    }
    let comments = json_fixture("bitbucket_pr_482_comments.json");
    for c in comments["values"].as_array().expect("comments") {
        keys.push(format!("#{}", c["id"]));
        keys.push(s(c, "/user/display_name"));
        keys.push(when(&s(c, "/created_on")));
        texts.push(s(c, "/content/raw"));
        if let Some(p) = c["inline"]["path"].as_str() {
            keys.push(format!("{p}:{}", c["inline"]["to"]));
        }
    }
    let diff = fixture("bitbucket_pr_482.diff");
    for line in diff.lines() {
        if let Some(file) = line.strip_prefix("diff --git a/").and_then(|l| l.split_once(" b/")) {
            keys.push(file.1.to_owned());
        } else if (line.starts_with('+') || line.starts_with('-'))
            && !line.starts_with("+++ ")
            && !line.starts_with("--- ")
        {
            texts.push(line.to_owned());
        } else if line.starts_with(' ') && line.trim().len() > 3 {
            // Context lines are upstream text too (short ones would match anywhere).
            texts.push(line.to_owned());
        }
    }
    let args = json!({"workspace": "northwind", "repo": "webhook-relay", "pull_request_id": 482});
    Case {
        name: "Bitbucket PR, 10 comments, 323-line diff",
        env: bitbucket_env(),
        calls: vec![
            ("bitbucket_get_pull_request", args.clone()),
            ("bitbucket_list_pull_request_comments", args.clone()),
            ("bitbucket_get_pull_request_diff", args),
        ],
        answers: vec![
            (format!("{PR_PATH}/482"), "bitbucket_pr_482.json", "application/json"),
            (format!("{PR_PATH}/482/statuses"), "bitbucket_pr_482_statuses.json", "application/json"),
            (format!("{PR_PATH}/482/comments"), "bitbucket_pr_482_comments.json", "application/json"),
            // Bitbucket Cloud answers the pull request's diff with a redirect to the diff of its
            // two commits.
            (format!("{PR_PATH}/482/diff"), DIFF_REDIRECT, "text/plain"),
            (DIFF_PATH.to_owned(), "bitbucket_pr_482.diff", "text/plain"),
        ],
        keys,
        texts,
        // The diff's lines are a quarter of the raw bytes and come through whole (the tool
        // drops only git's index/---/+++ header lines): 35 % is out of reach by ~2 points.
        max_ratio: 0.38,
    }
}

/// 50 open Bitbucket Cloud pull requests (`bitbucket_list_pull_requests`).
pub fn bitbucket_search() -> Case {
    let v = json_fixture("bitbucket_prs_open.json");
    let (mut keys, texts) = (Vec::new(), Vec::new());
    for pr in v["values"].as_array().expect("values") {
        keys.push(format!("#{} [", pr["id"]));
        keys.push(s(pr, "/title"));
        keys.push(s(pr, "/state"));
        keys.push(s(pr, "/author/display_name"));
        keys.push(s(pr, "/source/branch/name"));
        keys.push(when(&s(pr, "/updated_on")));
    }
    Case {
        name: "Bitbucket PR list, 50 pull requests",
        env: bitbucket_env(),
        calls: vec![(
            "bitbucket_list_pull_requests",
            json!({"workspace": "northwind", "repo": "webhook-relay", "limit": 50}),
        )],
        answers: vec![(PR_PATH.to_owned(), "bitbucket_prs_open.json", "application/json")],
        keys,
        texts,
        max_ratio: TARGET,
    }
}

pub fn cases() -> Vec<Case> {
    vec![
        redmine_issue(),
        redmine_search(),
        bugzilla_bug(),
        bugzilla_search(),
        bitbucket_pull_request(),
        bitbucket_search(),
    ]
}
