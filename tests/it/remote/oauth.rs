//! OAuth 2.1 resource-server mode against a real authorization server: oidc-provider
//! (`scripts/remote/oauth/`), tokens obtained through authorization code + PKCE. Good tokens
//! list and call tools (write tools only with `tracker:write`); expired, not-yet-valid,
//! wrong-audience, wrong-issuer, mistyped, unknown-key, tampered, `alg: none` and
//! HMAC-confusion tokens get 401, and none of them reaches the tracker.

use std::path::PathBuf;
use std::process::Stdio;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

use super::{KEY, Remote, initialize, message, redmine, request};

const AUDIENCE: &str = "https://tracker-mcp.test/mcp";

/// The running authorization server.
struct AuthServer {
    _child: Child,
    issuer: String,
    keys: PathBuf,
    dir: PathBuf,
}

fn scripts() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/remote/oauth"))
}

/// Start oidc-provider signing access tokens with `alg`; `None` (a loud skip) without node,
/// a failure when `CI=true`.
async fn authorization_server(alg: &str) -> Option<AuthServer> {
    if !std::process::Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success()) {
        let message = "SKIPPED OAuth test: node not found";
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{message}; CI=true requires it");
        eprintln!("\n*** {message} ***\n");
        return None;
    }
    let dir = std::env::temp_dir().join(format!("tracker-mcp-as-{}-{alg}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let keys = dir.join("keys.json");
    let mut child = Command::new(scripts().join("run-as"))
        .env("AUDIENCE", AUDIENCE)
        .env("KEYS_FILE", &keys)
        .env("ALG", alg)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(dir.join("as.log")).expect("log file"))
        .kill_on_drop(true)
        .spawn()
        .expect("start the authorization server");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let line = tokio::time::timeout(std::time::Duration::from_secs(300), lines.next_line())
        .await
        .expect("the authorization server started in time")
        .expect("read")
        .expect("the authorization server printed its issuer");
    let issuer =
        serde_json::from_str::<Value>(&line).expect("json")["issuer"].as_str().expect("issuer").to_owned();
    // oidc-provider prints notices on stdout too: keep reading, or it dies of EPIPE.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Some(AuthServer { _child: child, issuer, keys, dir })
}

impl AuthServer {
    async fn client(&self, args: &[&str]) -> Value {
        let installed = std::env::var("TRACKER_MCP_OAUTH_AS_DIR").map_or_else(
            |_| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/target/oauth-as")),
            PathBuf::from,
        );
        let output = Command::new("node")
            .arg(installed.join("client.mjs"))
            .args(args)
            .stdin(Stdio::null())
            .output()
            .await
            .expect("run the OAuth client");
        assert!(
            output.status.success(),
            "client {args:?}: {}\nauthorization server log:\n{}",
            String::from_utf8_lossy(&output.stderr),
            std::fs::read_to_string(self.dir.join("as.log")).unwrap_or_default()
        );
        serde_json::from_slice(&output.stdout).expect("client JSON")
    }

    /// An access token through authorization code + PKCE, for `scope`.
    async fn token(&self, scope: &str) -> String {
        self.client(&["token", &self.issuer, AUDIENCE, scope]).await["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    fn env(&self, upstream: &str) -> Vec<(String, String)> {
        [
            ("TRACKER_MCP_MODE", "development"),
            ("TRACKER_MCP_ENABLE_WRITES", "true"),
            ("REDMINE_URL", upstream),
            ("REDMINE_API_KEY", KEY),
            ("TRACKER_MCP_OAUTH_ISSUER", &self.issuer),
            ("TRACKER_MCP_OAUTH_AUDIENCE", AUDIENCE),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
    }
}

impl Drop for AuthServer {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

async fn call(server: &Remote, token: &str, id: u64, tool: &str) -> reqwest::Response {
    server
        .post(Some(token), request(id, "tools/call", json!({"name": tool, "arguments": {}})))
        .header("mcp-protocol-version", "2025-06-18")
        .send()
        .await
        .expect("send")
}

#[tokio::test]
async fn oauth_tokens_from_a_real_authorization_server_are_checked_and_scoped() {
    let Some(auth) = authorization_server("RS256").await else { return };
    let fake = redmine().await;
    let env = auth.env(&fake.uri());
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let server = Remote::launch(&env, &["--http-stateless"], false).await;

    // RFC 9728 metadata, named by the 401's challenge.
    let anonymous = server.post(None, initialize(1)).send().await.expect("send");
    assert_eq!(anonymous.status(), 401);
    let challenge = anonymous.headers()["www-authenticate"].to_str().expect("ascii").to_owned();
    let metadata_url = "https://tracker-mcp.test/.well-known/oauth-protected-resource/mcp";
    assert!(challenge.contains(&format!(r#"resource_metadata="{metadata_url}""#)), "{challenge}");
    let metadata: Value = server
        .http
        .get(format!("{}/.well-known/oauth-protected-resource/mcp", server.base))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(metadata["resource"], AUDIENCE);
    assert_eq!(metadata["authorization_servers"], json!([auth.issuer]));
    assert_eq!(metadata["scopes_supported"], json!(["tracker:read", "tracker:write"]));

    // A read-and-write token: initialize, list, call.
    let writer = auth.token("openid tracker:read tracker:write").await;
    let init = server.post(Some(&writer), initialize(1)).send().await.expect("send");
    assert_eq!(init.status(), 200);
    assert_eq!(message(init).await["result"]["serverInfo"]["name"], "tracker-mcp");
    let tools = message(
        server
            .post(Some(&writer), request(2, "tools/list", json!({})))
            .header("mcp-protocol-version", "2025-06-18")
            .send()
            .await
            .expect("send"),
    )
    .await;
    let tools = tools["result"]["tools"].as_array().expect("tools").clone();
    let whoami = message(call(&server, &writer, 3, "redmine_whoami").await).await;
    assert!(crate::common::tool_text(&whoami["result"]).contains("svc-mcp"), "{whoami}");

    // A write tool (whichever the server lists) needs tracker:write: refused for a read-only
    // token before anything is sent; with the writer's token the refusal is not about scope.
    let write_tool = tools
        .iter()
        .find(|t| {
            t["name"].as_str().is_some_and(|n| n.starts_with("redmine_"))
                && t["annotations"]["readOnlyHint"] != json!(true)
        })
        .and_then(|t| t["name"].as_str())
        .expect("a Redmine write tool (writes are enabled)")
        .to_owned();
    let reader = auth.token("openid tracker:read").await;
    // The reader's list holds only what it can call; a write tool named anyway is refused.
    let listed = message(
        server
            .post(Some(&reader), request(8, "tools/list", json!({})))
            .header("mcp-protocol-version", "2025-06-18")
            .send()
            .await
            .expect("send"),
    )
    .await;
    let listed = listed["result"]["tools"].as_array().expect("tools").clone();
    assert!(listed.iter().any(|t| t["name"] == "redmine_whoami"), "{listed:?}");
    assert!(
        listed.iter().all(|t| t["annotations"]["readOnlyHint"] == json!(true)),
        "a read-only token is listed a write tool: {listed:?}"
    );
    assert!(listed.len() < tools.len(), "the writer's list has the write tools");
    let before = fake.received_requests().await.map_or(0, |r| r.len());
    let refused = message(call(&server, &reader, 4, &write_tool).await).await;
    assert_eq!(refused["result"]["isError"], true, "{refused}");
    let text = crate::common::tool_text(&refused["result"]);
    assert!(text.contains("tracker:write"), "{text}");
    assert_eq!(
        fake.received_requests().await.map_or(0, |r| r.len()),
        before,
        "a refused write reached the tracker"
    );
    let readable = message(call(&server, &reader, 5, "redmine_whoami").await).await;
    assert!(crate::common::tool_text(&readable["result"]).contains("svc-mcp"), "{readable}");
    let as_writer = message(call(&server, &writer, 6, &write_tool).await).await;
    assert!(!crate::common::tool_text(&as_writer["result"]).contains("tracker:write"), "{as_writer}");

    // Bad tokens: 401 each (403 for a valid token without tracker scopes), and nothing upstream.
    let forged =
        auth.client(&["forge", &auth.issuer, AUDIENCE, auth.keys.to_str().expect("utf-8"), &writer]).await;
    let before = fake.received_requests().await.map_or(0, |r| r.len());
    for (name, token) in forged.as_object().expect("tokens") {
        let token = token.as_str().expect("token");
        let answer = call(&server, token, 7, "redmine_whoami").await;
        let status = answer.status().as_u16();
        let challenge = answer
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        if name == "no_tracker_scope" {
            assert_eq!(status, 403, "{name}");
            assert!(challenge.contains("insufficient_scope"), "{name}: {challenge}");
        } else {
            assert_eq!(status, 401, "{name}");
            assert!(challenge.contains("invalid_token"), "{name}: {challenge}");
        }
    }
    assert_eq!(
        fake.received_requests().await.map_or(0, |r| r.len()),
        before,
        "a refused token reached the tracker"
    );
    let stderr = server.stderr();
    assert!(!stderr.contains(&writer) && !stderr.contains(&reader), "an access token reached the log");
    assert!(stderr.contains("fetched the OAuth issuer's signing keys"), "{stderr}");
}

#[tokio::test]
async fn es256_access_tokens_work_too_and_sessions_belong_to_their_caller() {
    let Some(auth) = authorization_server("ES256").await else { return };
    let fake = redmine().await;
    let env = auth.env(&fake.uri());
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    // Both ways in at once: the static token and OAuth.
    let server = Remote::launch(&env, &[], true).await;
    let token = auth.token("openid tracker:read").await;
    let header = token.split('.').next().expect("header");
    assert!(String::from_utf8_lossy(&base64_decode(header)).contains("ES256"), "the AS signed with ES256");
    let init = server.post(Some(&token), initialize(1)).send().await.expect("send");
    assert_eq!(init.status(), 200);
    let session = init.headers()["mcp-session-id"].to_str().expect("ascii").to_owned();
    let _ = message(init).await;
    let answer = server
        .post(Some(&token), request(2, "tools/call", json!({"name": "redmine_whoami", "arguments": {}})))
        .header("mcp-session-id", &session)
        .header("mcp-protocol-version", "2025-06-18")
        .send()
        .await
        .expect("send");
    let answer = message(answer).await;
    assert!(crate::common::tool_text(&answer["result"]).contains("svc-mcp"), "{answer}");
    // A session belongs to its creator: another caller (the static token) cannot ride it.
    let other = server
        .post(Some(super::TOKEN), request(3, "tools/list", json!({})))
        .header("mcp-session-id", &session)
        .header("mcp-protocol-version", "2025-06-18")
        .send()
        .await
        .expect("send");
    assert_eq!(other.status(), 404);
    // The session does not outlive the token: without it, the same session is refused.
    let anonymous = server
        .post(None, request(3, "tools/list", json!({})))
        .header("mcp-session-id", &session)
        .send()
        .await
        .expect("send");
    assert_eq!(anonymous.status(), 401);
}

fn base64_decode(part: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).expect("base64url")
}
