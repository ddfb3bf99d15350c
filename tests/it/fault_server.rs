//! A fault-injection upstream: a raw HTTP/1.1 server on 127.0.0.1 (optionally TLS) whose
//! behaviour each test picks, and which records every request head it received.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the upstream does with the next requests.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer 200 `{}` only after this long.
    SlowFirstByte(Duration),
    /// Promise a body, send half, reset the connection.
    ResetMidBody,
    /// 500 with an HTML error page.
    Html500,
    /// A bare status (502, 503 ...) with a short text body.
    Status(u16),
    /// 429 with `Retry-After: <seconds>`.
    RetryAfterSeconds(u64),
    /// 429 with `Retry-After: <HTTP date>` this far in the future.
    RetryAfterDate(Duration),
    /// 200 with a body that is not JSON.
    InvalidJson,
    /// 200 with JSON of the wrong shape.
    WrongShape,
    /// 200 streaming this many bytes with no Content-Length.
    Huge(usize),
    /// 200, `Content-Encoding: gzip`, a small body that would inflate enormously.
    GzipBomb,
    /// 302 to this absolute URL.
    RedirectTo(String),
    /// 302 to the same path, forever.
    RedirectLoop,
    /// The given status with every request header echoed in an HTML body.
    EchoHeaders(u16),
    /// 200 with this JSON body (a healthy answer).
    Json(String),
}

pub struct FaultServer {
    pub url: String,
    fault: Arc<Mutex<Fault>>,
    requests: Arc<Mutex<Vec<(std::time::Instant, String)>>>,
}

impl FaultServer {
    pub async fn start(fault: Fault) -> Self {
        Self::start_inner(fault, None).await
    }

    /// A TLS endpoint with a certificate from the test CA in `tests/fixtures/tls`.
    pub async fn start_tls(fault: Fault) -> Self {
        use rustls_pki_types::pem::PemObject;
        use rustls_pki_types::{CertificateDer, PrivateKeyDer};
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tls");
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(format!("{dir}/server.pem"))
            .expect("server.pem")
            .collect::<Result<_, _>>()
            .expect("certs");
        let key = PrivateKeyDer::from_pem_file(format!("{dir}/server.key")).expect("server.key");
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("tls versions")
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .expect("server config");
        Self::start_inner(fault, Some(tokio_rustls::TlsAcceptor::from(Arc::new(config)))).await
    }

    async fn start_inner(fault: Fault, tls: Option<tokio_rustls::TlsAcceptor>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let url = format!("{scheme}://127.0.0.1:{port}");
        let fault = Arc::new(Mutex::new(fault));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (f, r, base) = (fault.clone(), requests.clone(), url.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (f, r, base, tls) = (f.clone(), r.clone(), base.clone(), tls.clone());
                tokio::spawn(async move {
                    match tls {
                        Some(acceptor) => {
                            if let Ok(stream) = acceptor.accept(stream).await {
                                serve(stream, f, r, base).await;
                            }
                        }
                        None => serve(stream, f, r, base).await,
                    }
                });
            }
        });
        Self { url, fault, requests }
    }

    pub fn set(&self, fault: Fault) {
        *self.fault.lock().expect("lock") = fault;
    }

    /// Every request head received so far (request line and headers).
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().expect("lock").iter().map(|(_, head)| head.clone()).collect()
    }

    /// When each request arrived.
    pub fn arrivals(&self) -> Vec<std::time::Instant> {
        self.requests.lock().expect("lock").iter().map(|(at, _)| *at).collect()
    }
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    fault: Arc<Mutex<Fault>>,
    requests: Arc<Mutex<Vec<(std::time::Instant, String)>>>,
    base: String,
) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
        if head.len() > 64 * 1024 {
            return;
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    // Drain a request body, if any, so the client sees a clean answer.
    if let Some(length) = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))
        .and_then(|v| v.parse::<usize>().ok())
    {
        let mut body = vec![0u8; length.min(1 << 20)];
        let _ = stream.read_exact(&mut body).await;
    }
    requests.lock().expect("lock").push((std::time::Instant::now(), head.clone()));
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let fault = fault.lock().expect("lock").clone();
    let simple = |status: u16, ctype: &str, body: &str, extra: &str| {
        format!(
            "HTTP/1.1 {status} X\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n{body}",
            body.len()
        )
        .into_bytes()
    };
    let reply: Vec<u8> = match fault {
        Fault::SlowFirstByte(wait) => {
            tokio::time::sleep(wait).await;
            simple(200, "application/json", "{}", "")
        }
        Fault::ResetMidBody => {
            let partial = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"user\": {\"id\": 1, ";
            let _ = stream.write_all(partial).await;
            let _ = stream.flush().await;
            return; // dropping the stream closes it mid-body
        }
        Fault::Html500 => simple(
            500,
            "text/html",
            "<!DOCTYPE html><html><head><title>500</title><style>body{}</style></head><body><h1>Internal Server Error</h1><p>Something broke</p></body></html>",
            "",
        ),
        Fault::Status(status) => simple(status, "text/plain", "try later", ""),
        Fault::RetryAfterSeconds(secs) => {
            simple(429, "text/plain", "slow down", &format!("Retry-After: {secs}\r\n"))
        }
        Fault::RetryAfterDate(ahead) => {
            let date = httpdate::fmt_http_date(std::time::SystemTime::now() + ahead);
            simple(429, "text/plain", "slow down", &format!("Retry-After: {date}\r\n"))
        }
        Fault::InvalidJson => simple(200, "application/json", "{\"user\": {\"id\": 1,,, <<<", ""),
        Fault::WrongShape => simple(200, "application/json", "[1, 2, 3]", ""),
        Fault::Huge(size) => {
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n")
                .await;
            let chunk = vec![b' '; 64 * 1024];
            let mut sent = 0;
            while sent < size {
                if stream.write_all(&chunk).await.is_err() {
                    return;
                }
                sent += chunk.len();
            }
            return;
        }
        Fault::GzipBomb => {
            // 1 GiB of zeros would inflate from ~1 MiB; a gzip header over a deflate stream of
            // zeros is enough to show the client never inflates it.
            let mut body = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
            body.extend(std::iter::repeat_n(0u8, 4096));
            let mut reply = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )
            .into_bytes();
            reply.extend(body);
            reply
        }
        Fault::RedirectTo(target) => simple(302, "text/plain", "", &format!("Location: {target}{path}\r\n")),
        Fault::RedirectLoop => simple(302, "text/plain", "", &format!("Location: {base}{path}\r\n")),
        Fault::Json(body) => simple(200, "application/json", &body, ""),
        Fault::EchoHeaders(status) => {
            let body = format!("<html><body><pre>{head}</pre></body></html>");
            simple(status, "text/html", &body, "")
        }
    };
    let _ = stream.write_all(&reply).await;
    let _ = stream.flush().await;
}
