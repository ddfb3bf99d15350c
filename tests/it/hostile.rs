//! Hostile arguments: ids and slugs that try to change the request path, look-alike
//! characters, huge strings, deep JSON, wrong types, negative and overflowing numbers. Each
//! must be refused before any request is made (the upstream fake must receive nothing), with
//! a message naming the argument.

use serde_json::{Map, Value, json};
use wiremock::MockServer;

use crate::common::Server;

/// String arguments that become URL path segments somewhere.
const PATH_STRINGS: &[&str] = &["workspace", "repo", "project", "commit", "path", "bug"];
/// Integer arguments that become URL path segments or identify an object.
const ID_INTEGERS: &[&str] =
    &["id", "issue_id", "pull_request_id", "to", "dupe_of", "parent", "journal_id", "parent_id"];

fn hostile_strings(arg: &str) -> Vec<String> {
    let mut values: Vec<String> = [
        "../etc",
        "..",
        "%2e%2e/x",
        "a?b=c",
        "a#b",
        "a\r\nX-Injected: 1",
        "a\u{0}b",
        "alpha\u{2215}beta", // division slash
        "alpha\u{FF0F}beta", // fullwidth solidus
        "\u{202E}ahpla",     // right-to-left override
        "..;/..;/admin",     // Tomcat drops `;x`: `..;` walks up (security review finding 3)
        "prod;-sandbox",     // ... and this is `prod` to a scope `*-sandbox`
        "a\u{FF1B}b",        // fullwidth semicolon
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    if arg != "path" {
        values.push("a/b".to_owned());
    }
    values.push("x".repeat(200_000));
    values
}

const HOSTILE_NUMBERS: &[&str] =
    &["-1", "0", "1e30", "18446744073709551616", "99999999999999", "\"12\"", "[1]"];

/// A benign value for a required argument, so that only the argument under test is hostile.
fn benign(tool: &str, arg: &str, spec: &Value) -> Value {
    match arg {
        "workspace" => json!("acme"),
        "repo" => json!("widget"),
        "project" => json!("alpha"),
        "commit" => json!("abc123"),
        "path" => json!("src/main.rs"),
        "title" if tool.starts_with("redmine") => json!("Wiki"),
        "relation_type" => json!("relates"),
        "hours" => json!(1.5),
        "bug" | "id" | "issue_id" | "pull_request_id" => json!(1),
        // Bitbucket's `to` is a ref (compare); elsewhere a relation's target id.
        "to" if tool.starts_with("bitbucket") => json!("feature"),
        "to" => json!(2),
        "ids" => json!([1]),
        "source_branch" => json!("feature"),
        "target_branch" => json!("main"),
        "product" => json!("Alpha"),
        "component" => json!("Backend"),
        "file_name" => json!("notes.txt"),
        _ => match spec["type"].as_str().or_else(|| spec["type"][0].as_str()) {
            Some("integer") => json!(1),
            Some("number") => json!(1),
            Some("boolean") => json!(false),
            Some("array") => json!([]),
            Some("object") => json!({}),
            _ => json!("hello"),
        },
    }
}

#[tokio::test]
async fn hostile_arguments_are_refused_before_any_request() {
    let upstream = MockServer::start().await;
    let uri = upstream.uri();
    let mut refused = 0;
    for flavor in ["cloud", "datacenter"] {
        let env = [
            ("TRACKER_MCP_MODE", "development"),
            ("TRACKER_MCP_ENABLE_WRITES", "true"),
            ("BUGZILLA_URL", &uri[..]),
            ("BUGZILLA_API_KEY", "hostile-bz-key"),
            ("BUGZILLA_API_KEY_MODE", "header"),
            ("REDMINE_URL", &uri[..]),
            ("REDMINE_API_KEY", "hostile-rm-key"),
            ("BITBUCKET_URL", &uri[..]),
            ("BITBUCKET_TOKEN", "hostile-bb-token"),
            ("BITBUCKET_FLAVOR", flavor),
        ];
        let (mut server, _) = Server::start(&env).await;
        // Every operation, called by its own name (each listed tool's method runs one).
        for tool in crate::schemas::operations(&env) {
            let name = tool["name"].as_str().expect("name").to_owned();
            if flavor == "datacenter" && !name.starts_with("bitbucket") {
                continue;
            }
            let properties = tool["inputSchema"]["properties"].as_object().cloned().unwrap_or_default();
            let required: Vec<&str> = tool["inputSchema"]["required"]
                .as_array()
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let mut base = Map::new();
            for arg in &required {
                base.insert((*arg).to_owned(), benign(&name, arg, &properties[*arg]));
            }
            // Required at run time, not in the schema (Redmine asks for them per tracker).
            if name == "redmine_create_issue" {
                base.insert("subject".into(), json!("A subject"));
            }
            for arg in properties.keys() {
                let mut attacks: Vec<Value> = Vec::new();
                let is_wiki_title = arg == "title" && name.starts_with("redmine");
                if PATH_STRINGS.contains(&arg.as_str()) || is_wiki_title {
                    attacks.extend(hostile_strings(arg).into_iter().map(Value::String));
                }
                // Bitbucket's `to` is a ref, and "12" a fine one.
                let is_ref = arg == "to" && name.starts_with("bitbucket");
                if (ID_INTEGERS.contains(&arg.as_str()) || arg == "bug") && !is_ref {
                    attacks.extend(
                        HOSTILE_NUMBERS
                            .iter()
                            // A bug is an id or an alias, so "12" is a fine id there; a parent of
                            // 0 means "no parent".
                            .filter(|n| !(arg == "bug" && n.starts_with('"')))
                            .filter(|n| !(arg == "parent" && **n == "0"))
                            .map(|n| serde_json::from_str(n).expect("json")),
                    );
                }
                if arg == "ids" {
                    attacks.push(json!(["../x"]));
                    attacks.push(json!([-4]));
                }
                // Any argument: deep JSON is refused by type or by depth.
                attacks.push(json!([[[[[[[[[[[[1]]]]]]]]]]]]));
                for attack in attacks {
                    let mut arguments = base.clone();
                    arguments.insert(arg.clone(), attack.clone());
                    let (is_error, text) = server.call(&name, Value::Object(arguments)).await;
                    let shown = attack.to_string().chars().take(40).collect::<String>();
                    assert!(is_error, "{name}: `{arg}` = {shown} was accepted: {text}");
                    assert!(
                        text.contains(arg.as_str()),
                        "{name}: refusal of `{arg}` = {shown} does not name it: {text}"
                    );
                    assert!(text.len() < 1000, "{name}: refusal echoes too much: {} bytes", text.len());
                    refused += 1;
                }
                let received = upstream.received_requests().await.unwrap_or_default();
                assert!(
                    received.is_empty(),
                    "{name}: a hostile `{arg}` reached the upstream: {} {}",
                    received[0].method,
                    received[0].url.path()
                );
            }
        }
        server.finish().await;
    }
    eprintln!("hostile arguments refused before any request: {refused}");
}

/// Security review finding 11: NUL (and other control characters) in a free-text argument that
/// becomes a query value never reaches a tracker; the call is refused naming the value.
#[tokio::test]
async fn control_characters_never_reach_a_query_value() {
    let upstream = MockServer::start().await;
    let uri = upstream.uri();
    let env = [
        ("TRACKER_MCP_MODE", "development"),
        ("BUGZILLA_URL", &uri[..]),
        ("BUGZILLA_API_KEY", "hostile-bz-key"),
        ("BUGZILLA_API_KEY_MODE", "header"),
        ("REDMINE_URL", &uri[..]),
        ("REDMINE_API_KEY", "hostile-rm-key"),
        ("BITBUCKET_URL", &uri[..]),
        ("BITBUCKET_TOKEN", "hostile-bb-token"),
        ("BITBUCKET_FLAVOR", "cloud"),
    ];
    let (mut server, _) = Server::start(&env).await;
    for bad in ["ali\u{0}ce", "ali\u{1b}[2Jce", "ali\u{7f}ce"] {
        for (tool, args) in [
            ("redmine_search_issues", json!({"assignee": bad})),
            ("redmine_search", json!({"query": bad})),
            ("bugzilla_search_bugs", json!({"summary": bad})),
            ("bugzilla_search_users", json!({"query": bad})),
            ("bitbucket_list_branches", json!({"workspace": "acme", "repo": "web", "filter": bad})),
            ("bitbucket_list_repositories", json!({"workspace": "acme", "name": bad})),
        ] {
            let text = server.err(tool, args).await;
            assert!(text.contains("NUL") || text.contains("control characters"), "{tool} {bad:?}: {text}");
        }
    }
    for request in upstream.received_requests().await.unwrap_or_default() {
        let query = request.url.query().unwrap_or_default().to_ascii_lowercase();
        assert!(
            !query.contains("%00") && !query.contains("%1b") && !query.contains("%7f"),
            "a control character reached {} {}?{query}",
            request.method,
            request.url.path()
        );
    }
    server.finish().await;
}
