//! `serve --http`: rmcp's Streamable HTTP service at `/mcp` on hyper's HTTP/1.1 server,
//! behind `remote/gate.rs` (Origin, bearer token, body limits), with `/healthz` open for probes.
//!
//! Sessions (rmcp's default) keep per-client state in this process; with
//! `TRACKER_MCP_HTTP_STATELESS=true` every POST is answered on its own with a JSON body, so
//! any replica behind a load balancer can answer any request. On SIGTERM or Ctrl-C the
//! listener closes, new MCP requests get 503, calls in flight finish (up to
//! [`SHUTDOWN_GRACE`]), then open event streams are ended.

mod auth;
mod credentials;
mod gate;
mod limit;
pub mod metrics;
mod oauth;
mod settings;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio_util::sync::CancellationToken;

pub use auth::{Auth, Caller, Denial};
pub use credentials::{
    BITBUCKET_TOKEN_HEADER, BITBUCKET_USERNAME_HEADER, BUGZILLA_HEADER, CredentialScope, REDMINE_HEADER,
    caller_auth, caller_key,
};
pub use gate::{BODY_TIMEOUT, MAX_BODY_BYTES};
pub use oauth::{OAuth, Rejection, SCOPE_READ, SCOPE_WRITE, Verified};
pub use settings::{Credentials, MIN_TOKEN_CHARS, OAuthSettings, Settings, normalize_origin};

use crate::TrackerServer;
use crate::error::{Error, Result};

/// Longest wait for a request's headers (slow-header clients are cut off).
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long calls in flight may take to finish at shutdown.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);
/// How long a session keeps a completed response for a client that resumes its stream.
pub const COMPLETED_RESPONSE_TTL: Duration = Duration::from_secs(10);

/// Listen on `settings.addr` and serve until `shutdown` completes, then drain.
pub async fn serve(
    server: TrackerServer,
    settings: &Settings,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(settings.addr)
        .await
        .map_err(|e| Error::Config(format!("cannot listen on {} (TRACKER_MCP_HTTP): {e}", settings.addr)))?;
    let local = listener.local_addr().map_err(|e| Error::Internal(e.to_string()))?;
    let stop_mcp = CancellationToken::new();
    let mut config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(!settings.stateless)
        .with_json_response(settings.stateless)
        .with_max_request_body_bytes(MAX_BODY_BYTES)
        .with_cancellation_token(stop_mcp.clone());
    config = if settings.allowed_hosts.is_empty() {
        config.disable_allowed_hosts()
    } else {
        config.with_allowed_hosts(settings.allowed_hosts.clone())
    };
    // Origins are checked in the gate, before authentication; rmcp's own check stays off.
    let factory = server.clone();
    let mut sessions = LocalSessionManager::default();
    // rmcp keeps each completed response of a session (60 s by default) for a client that
    // resumes a dropped event stream; under load those copies were most of the memory. A client
    // that lost a stream resumes within seconds.
    sessions.session_config.completed_cache_ttl = COMPLETED_RESPONSE_TTL;
    let sessions = Arc::new(sessions);
    let mcp = StreamableHttpService::new(move || Ok(factory.clone()), Arc::clone(&sessions), config);
    let (auth, resource_metadata) = match &settings.oauth {
        None => (Auth::new(settings.token.clone(), None, None), None),
        Some(oauth) => {
            let verifier = OAuth::new(&oauth.issuer, oauth.audience.as_str(), oauth.ca_bundle.as_deref())?;
            let document = serde_json::json!({
                "resource": oauth.audience.as_str(),
                "authorization_servers": [verifier.issuer()],
                "scopes_supported": [SCOPE_READ, SCOPE_WRITE],
                "bearer_methods_supported": ["header"],
                "resource_name": "tracker-mcp",
            });
            // Served at the RFC 9728 location for the resource, and at the bare path for
            // clients that look there.
            let mut paths = vec![oauth.metadata_path()];
            if paths[0] != "/.well-known/oauth-protected-resource" {
                paths.push("/.well-known/oauth-protected-resource".to_owned());
            }
            (
                Auth::new(settings.token.clone(), Some(verifier), Some(oauth.metadata_url())),
                Some((paths, document)),
            )
        }
    };
    let gate = Arc::new(gate::Gate {
        mcp,
        auth,
        allowed_origins: settings.allowed_origins.clone(),
        draining: AtomicBool::new(false),
        in_flight: Arc::new(AtomicUsize::new(0)),
        resource_metadata,
        limit: limit::CallerLimit::new(settings.rate_limit),
        sessions,
        owners: std::sync::Mutex::default(),
    });
    let metrics_listener = match settings.metrics_addr {
        None => None,
        Some(addr) => Some(tokio::net::TcpListener::bind(addr).await.map_err(|e| {
            Error::Config(format!("cannot listen on {addr} (TRACKER_MCP_METRICS_ADDR): {e}"))
        })?),
    };
    if let Some(metrics_listener) = metrics_listener {
        let at = metrics_listener.local_addr().map_err(|e| Error::Internal(e.to_string()))?;
        tracing::info!("metrics on http://{at}/metrics");
        tokio::spawn(serve_metrics(metrics_listener, Arc::clone(&gate)));
    }
    if gate.auth.oauth().is_some() {
        // Fetch the issuer's keys now, so the first caller does not wait (or learn early
        // that the issuer cannot be reached).
        let gate = Arc::clone(&gate);
        tokio::spawn(async move {
            if let Some(oauth) = gate.auth.oauth() {
                oauth.warm().await;
            }
        });
    }
    if settings.per_user() {
        tracing::info!(
            "per-user credentials (TRACKER_MCP_HTTP_CREDENTIALS=per-user): each call uses its caller's \
             tracker credentials from the {REDMINE_HEADER}, {BUGZILLA_HEADER} or {BITBUCKET_TOKEN_HEADER} \
             header; the server's own are never sent, and there is no start-up credential check"
        );
    }
    tracing::info!(
        tools = server.tools().len(),
        stateless = settings.stateless,
        "listening on http://{local}/mcp (health: /healthz)"
    );
    if !local.ip().is_loopback() {
        tracing::warn!(
            "listening on {local}, beyond this machine: put TLS in front (a reverse proxy) and keep \
             TRACKER_MCP_HTTP_TOKEN secret"
        );
    }
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        // Out of file descriptors and the like: wait, do not spin.
                        tracing::warn!(%error, "accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                connection(&graceful, &gate, stream, peer);
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    tracing::info!("shutting down: finishing the calls in flight, refusing new ones");
    gate.draining.store(true, Ordering::SeqCst);
    let deadline = Instant::now() + SHUTDOWN_GRACE;
    while gate.in_flight.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let unfinished = gate.in_flight.load(Ordering::SeqCst);
    if unfinished > 0 {
        tracing::warn!(unfinished, "calls still running after {}s are cut off", SHUTDOWN_GRACE.as_secs());
    }
    // Ends sessions and their event streams, which would otherwise stay open.
    stop_mcp.cancel();
    if tokio::time::timeout(Duration::from_secs(5), graceful.shutdown()).await.is_err() {
        tracing::warn!("some connections did not close in time");
    }
    server.flush_audit_log().await;
    tracing::info!("stopped");
    Ok(())
}

/// The metrics listener: `GET /metrics` only, no auth (bind it where only the scraper is).
async fn serve_metrics(listener: tokio::net::TcpListener, gate: Arc<gate::Gate>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let gate = Arc::clone(&gate);
        let service = hyper::service::service_fn(move |request: http::Request<hyper::body::Incoming>| {
            let gate = Arc::clone(&gate);
            async move { Ok::<_, Infallible>(gate.metrics(request.method(), request.uri().path()).await) }
        });
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(HEADER_TIMEOUT)
            .serve_connection(TokioIo::new(stream), service);
        tokio::spawn(async move {
            let _ = connection.await;
        });
    }
}

fn connection(
    graceful: &GracefulShutdown,
    gate: &Arc<gate::Gate>,
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
) {
    // Answers are small and often streamed in pieces (SSE): without this, Nagle's algorithm
    // and the client's delayed ACK hold each one back about 40 ms (measured).
    if let Err(error) = stream.set_nodelay(true) {
        tracing::debug!(%error, "cannot set TCP_NODELAY");
    }
    let gate = Arc::clone(gate);
    let service = hyper::service::service_fn(move |request| {
        let gate = Arc::clone(&gate);
        async move { Ok::<_, Infallible>(gate.handle(request).await) }
    });
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        // Bounds the request line and headers too (431 beyond it).
        .max_buf_size(64 * 1024)
        .serve_connection(TokioIo::new(stream), service);
    let connection = graceful.watch(connection);
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%peer, %error, "connection ended with an error");
        }
    });
}

/// Over HTTP, a tool that changes data also needs the caller's `tracker:write` scope (an
/// OAuth token with `tracker:read` only can read, whatever `TRACKER_MCP_ENABLE_WRITES` says).
/// Called for every tool call; stdio calls (no HTTP request behind them) pass.
pub fn permits(
    tool: &rmcp::model::Tool,
    context: &rmcp::service::RequestContext<rmcp::RoleServer>,
) -> Result<()> {
    if crate::policy::is_read_only(tool) || may_write(context) {
        return Ok(());
    }
    Err(Error::Forbidden(format!(
        "{} changes data, and this access token does not have the {SCOPE_WRITE} scope; ask for a token \
         with {SCOPE_WRITE}, or use the read-only tools",
        tool.name
    )))
}

/// Whether the request behind `context` may use tools that change data: always over stdio;
/// over HTTP only with `tracker:write` (an HTTP request without a caller never passed the
/// gate: refused rather than assumed). `tools/list` shows such a caller only the read tools.
#[must_use]
pub fn may_write(context: &rmcp::service::RequestContext<rmcp::RoleServer>) -> bool {
    let Some(parts) = context.extensions.get::<http::request::Parts>() else { return true };
    parts.extensions.get::<Caller>().is_some_and(|caller| caller.may_write)
}

/// The HTTP caller of a tool call (the audit log's `caller`); `None` over stdio.
#[must_use]
pub fn caller_subject(context: &rmcp::service::RequestContext<rmcp::RoleServer>) -> Option<String> {
    let parts = context.extensions.get::<http::request::Parts>()?;
    parts.extensions.get::<Caller>().map(|caller| caller.subject.clone())
}

/// Completes on SIGTERM (container stop, Kubernetes) or Ctrl-C.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(term) => term,
            Err(error) => {
                tracing::warn!(%error, "cannot watch SIGTERM; Ctrl-C still stops the server");
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
