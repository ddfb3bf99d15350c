//! One HTTP request, in order: route (`/healthz` is open; only `/mcp` reaches MCP), refuse
//! while draining, Origin (403), bearer token (401), body size and read time (413, 408),
//! a body that is no single JSON-RPC message (400 with a JSON-RPC error, as the stdio guard
//! answers), then rmcp's Streamable HTTP service with the caller in the request's extensions.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body::{Body, Frame, SizeHint};
use http_body_util::{BodyExt as _, Full, Limited, combinators::BoxBody};
use rmcp::transport::streamable_http_server::StreamableHttpService;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use serde_json::{Value, json};

use super::auth::{Auth, Denial};
use super::limit::CallerLimit;
use super::metrics;
use crate::TrackerServer;
use crate::stdio::{Verdict, judge};

/// The response body every path answers with.
pub type Reply = Response<BoxBody<Bytes, Infallible>>;

/// Largest request body read (a tool call's arguments are small; this also bounds memory).
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
/// Longest wait for a request's body once its headers are in.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// The pipeline, shared by every connection.
pub struct Gate {
    pub(super) mcp: StreamableHttpService<TrackerServer, LocalSessionManager>,
    pub(super) auth: Auth,
    /// Normalized origins; see [`super::Settings::allowed_origins`].
    pub(super) allowed_origins: Vec<String>,
    /// Set at shutdown: new MCP requests get 503 while the ones in flight finish.
    pub(super) draining: AtomicBool,
    /// MCP POSTs whose answer has not been sent completely.
    pub(super) in_flight: Arc<AtomicUsize>,
    /// OAuth mode: the RFC 9728 document and the paths it is served at.
    pub(super) resource_metadata: Option<(Vec<String>, Value)>,
    /// `TRACKER_MCP_HTTP_RATE_LIMIT`, per caller.
    pub(super) limit: Option<CallerLimit>,
    /// rmcp's sessions (counted for the metrics).
    pub(super) sessions: Arc<LocalSessionManager>,
    /// Who created each session: a session is only served to its creator (another caller's
    /// token would otherwise ride it and read its event stream).
    pub(super) owners: std::sync::Mutex<std::collections::HashMap<String, String>>,
}

impl Gate {
    pub async fn handle<B>(&self, request: Request<B>) -> Reply
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        match (request.method(), request.uri().path()) {
            (&Method::GET | &Method::HEAD, "/healthz") => {
                if self.draining.load(Ordering::Relaxed) {
                    text(StatusCode::SERVICE_UNAVAILABLE, "draining\n")
                } else {
                    text(StatusCode::OK, "ok\n")
                }
            }
            (_, "/mcp") => {
                let reply = self.mcp(request).await;
                metrics::http_answer(reply.status().as_u16());
                reply
            }
            (&Method::GET, path) if path.starts_with("/.well-known/oauth-protected-resource") => {
                match &self.resource_metadata {
                    Some((paths, document)) if paths.iter().any(|p| p == path) => {
                        let mut reply = json_reply(StatusCode::OK, document.to_string());
                        // A public document that browser-based clients read before they have a token.
                        reply
                            .headers_mut()
                            .insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
                        reply
                    }
                    _ => text(StatusCode::NOT_FOUND, "not found\n"),
                }
            }
            _ => text(StatusCode::NOT_FOUND, "not found: MCP is served at /mcp\n"),
        }
    }

    async fn mcp<B>(&self, request: Request<B>) -> Reply
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        if self.draining.load(Ordering::Relaxed) {
            let mut reply = text(StatusCode::SERVICE_UNAVAILABLE, "the server is shutting down; retry\n");
            reply.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            reply.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            return reply;
        }
        if let Some(origin) = request.headers().get(header::ORIGIN) {
            let allowed = origin
                .to_str()
                .ok()
                .and_then(super::settings::normalize_origin)
                .is_some_and(|origin| self.allowed_origins.contains(&origin));
            if !allowed {
                tracing::warn!("refused a request from a foreign Origin (TRACKER_MCP_HTTP_ALLOWED_ORIGINS)");
                metrics::auth_failure("forbidden_origin");
                return refusal(
                    StatusCode::FORBIDDEN,
                    "Forbidden: this Origin is not in the server's TRACKER_MCP_HTTP_ALLOWED_ORIGINS",
                );
            }
        }
        let caller = match self.auth.check(request.headers()).await {
            Ok(caller) => caller,
            Err(denial) => {
                tracing::warn!(?denial, "refused an unauthenticated request");
                metrics::auth_failure(match denial {
                    Denial::Missing => "missing",
                    Denial::Invalid => "invalid",
                    Denial::InsufficientScope => "insufficient_scope",
                    Denial::Unavailable => "unavailable",
                });
                let (status, message) = match denial {
                    Denial::Missing => {
                        (StatusCode::UNAUTHORIZED, "Unauthorized: send Authorization: Bearer <token>")
                    }
                    Denial::Invalid => {
                        (StatusCode::UNAUTHORIZED, "Unauthorized: the bearer token is not valid")
                    }
                    Denial::InsufficientScope => {
                        (StatusCode::FORBIDDEN, "Forbidden: the access token lacks the tracker:read scope")
                    }
                    Denial::Unavailable => (
                        StatusCode::SERVICE_UNAVAILABLE,
                        "Service Unavailable: the authorization server's keys cannot be fetched; retry later",
                    ),
                };
                let mut reply = refusal(status, message);
                if denial == Denial::Unavailable {
                    reply.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
                }
                if let Ok(challenge) = HeaderValue::from_str(&self.auth.challenge(denial)) {
                    reply.headers_mut().insert(header::WWW_AUTHENTICATE, challenge);
                }
                return reply;
            }
        };
        if request.method() == Method::POST
            && let Some(limit) = &self.limit
            && let Err(wait) = limit.take(&caller.subject)
        {
            metrics::rate_limited();
            let mut reply = refusal(
                StatusCode::TOO_MANY_REQUESTS,
                "Too Many Requests: this caller is over TRACKER_MCP_HTTP_RATE_LIMIT; retry after the Retry-After seconds",
            );
            let secs = wait.as_secs().max(1).to_string();
            if let Ok(value) = HeaderValue::from_str(&secs) {
                reply.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return reply;
        }
        let (mut parts, body) = request.into_parts();
        let session = parts.headers.get("mcp-session-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
        if let Some(session) = &session
            && !self.owns(session, &caller.subject)
        {
            // Someone else's session: answered as if it did not exist.
            tracing::warn!("refused a request for another caller's session");
            return text(StatusCode::NOT_FOUND, "Not Found: Session not found");
        }
        let subject = caller.subject.clone();
        parts.extensions.insert(caller);
        if parts.method != Method::POST {
            // GET (the session's event stream) and DELETE (end a session) have no body.
            let delete = parts.method == Method::DELETE;
            let request = Request::from_parts(parts, Full::new(Bytes::new()));
            let reply = self.mcp.handle(request).await;
            if delete
                && reply.status().is_success()
                && let (Some(session), Ok(mut owners)) = (&session, self.owners.lock())
            {
                owners.remove(session);
            }
            return reply;
        }
        let declared = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
            return too_large();
        }
        let body = match tokio::time::timeout(BODY_TIMEOUT, Limited::new(body, MAX_BODY_BYTES).collect())
            .await
        {
            Err(_) => {
                return text(
                    StatusCode::REQUEST_TIMEOUT,
                    "request timeout: the body did not arrive in time\n",
                );
            }
            Ok(Err(error)) if error.is::<http_body_util::LengthLimitError>() => return too_large(),
            Ok(Err(_)) => return text(StatusCode::BAD_REQUEST, "bad request: the body could not be read\n"),
            Ok(Ok(collected)) => collected.to_bytes(),
        };
        if let Some(reply) = unreadable(&body) {
            return reply;
        }
        let guard = InFlight::enter(&self.in_flight);
        let reply = self.mcp.handle(Request::from_parts(parts, Full::new(body))).await;
        if let Some(created) = reply.headers().get("mcp-session-id").and_then(|v| v.to_str().ok()) {
            self.bind(created, subject).await;
        }
        let (parts, body) = reply.into_parts();
        Response::from_parts(parts, Tracked { body, _guard: guard }.boxed())
    }

    /// Whether `session` may be used by `subject`: it was created by that caller, or it is
    /// not one this process created (rmcp answers those with 404).
    fn owns(&self, session: &str, subject: &str) -> bool {
        self.owners.lock().is_ok_and(|owners| owners.get(session).is_none_or(|owner| owner == subject))
    }

    /// Remember who created `session`; forget sessions rmcp has closed once the map grows.
    async fn bind(&self, session: &str, subject: String) {
        let grown = self.owners.lock().is_ok_and(|owners| owners.len() >= 1024 && owners.len() % 1024 == 0);
        if grown {
            let open: std::collections::HashSet<String> =
                self.sessions.sessions.read().await.keys().map(|id| id.to_string()).collect();
            if let Ok(mut owners) = self.owners.lock() {
                owners.retain(|id, _| open.contains(id));
            }
        }
        if let Ok(mut owners) = self.owners.lock() {
            owners.insert(session.to_owned(), subject);
        }
    }
}

impl Gate {
    /// The metrics listener's one page.
    pub async fn metrics(&self, method: &Method, path: &str) -> Reply {
        if method != Method::GET || path != "/metrics" {
            return text(StatusCode::NOT_FOUND, "not found: metrics are at /metrics\n");
        }
        let sessions = self.sessions.sessions.read().await.len();
        let body = metrics::render(sessions, self.in_flight.load(Ordering::SeqCst));
        let mut reply = Response::new(Full::new(Bytes::from(body)).boxed());
        reply.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        );
        reply
    }
}

/// `None` for a body rmcp can take (one JSON-RPC message); otherwise the 400 (or, for an
/// unreadable notification, the 202) to send instead. rmcp would answer `415` with a serde
/// message; a client deserves a JSON-RPC error it can show.
fn unreadable(body: &[u8]) -> Option<Reply> {
    let trimmed = body.trim_ascii_start();
    if trimmed.starts_with(b"[") && serde_json::from_slice::<Value>(body).is_ok_and(|v| v.is_array()) {
        return Some(jsonrpc_error(
            -32600,
            "Invalid Request: JSON-RPC batches are not supported (MCP 2025-06-18 removed them); send one message per request",
        ));
    }
    match judge(body) {
        Verdict::Forward => None,
        Verdict::Skip if trimmed.is_empty() => Some(jsonrpc_error(-32700, "Parse error: the body is empty")),
        Verdict::Skip => Some(text(StatusCode::ACCEPTED, "")),
        Verdict::Answer(line) => Some(json_reply(StatusCode::BAD_REQUEST, line)),
    }
}

/// A 401 or 403 whose body is also a JSON-RPC error, so that clients show the reason (the
/// Python SDK, for one, surfaces a JSON error body but reduces any other to "error response").
fn refusal(status: StatusCode, message: &str) -> Reply {
    let body = json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32001, "message": message}});
    json_reply(status, body.to_string())
}

fn jsonrpc_error(code: i64, message: &str) -> Reply {
    let body = json!({"jsonrpc": "2.0", "id": null, "error": {"code": code, "message": message}});
    json_reply(StatusCode::BAD_REQUEST, body.to_string())
}

fn json_reply(status: StatusCode, body: String) -> Reply {
    let mut reply = Response::new(Full::new(Bytes::from(body)).boxed());
    *reply.status_mut() = status;
    reply.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    reply
}

fn too_large() -> Reply {
    let mut reply = text(
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!("payload too large: a request body may have at most {MAX_BODY_BYTES} bytes\n"),
    );
    // The rest of the body is not read; the connection cannot be reused.
    reply.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    reply
}

pub(super) fn text(status: StatusCode, body: &str) -> Reply {
    let mut reply = Response::new(Full::new(Bytes::from(body.to_owned())).boxed());
    *reply.status_mut() = status;
    reply.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    reply
}

/// Counts one MCP POST until its answer has been sent (or dropped).
struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    fn enter(count: &Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Self(Arc::clone(count))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A response body that keeps its request counted as in flight until it ends: an SSE answer
/// is still being written after the handler returned.
struct Tracked {
    body: BoxBody<Bytes, Infallible>,
    _guard: InFlight,
}

impl Body for Tracked {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(body: &[u8]) -> Option<u16> {
        unreadable(body).map(|reply| reply.status().as_u16())
    }

    #[test]
    fn only_single_messages_pass() {
        assert_eq!(status(br#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#), None);
        assert_eq!(status(br#"[{"jsonrpc":"2.0","id":1,"method":"tools/list"}]"#), Some(400));
        assert_eq!(status(b"[]"), Some(400));
        assert_eq!(status(b"{not json"), Some(400));
        assert_eq!(status(b""), Some(400));
        assert_eq!(status(br#"{"jsonrpc":"2.0","method":7}"#), Some(202));
        assert_eq!(status(br#"{"jsonrpc":"2.0","id":{"a":1},"method":"x"}"#), Some(400));
    }
}
