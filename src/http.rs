//! The one upstream HTTP layer every tracker uses.
//!
//! It owns everything that touches the wire: rustls, timeouts, the credential (injected here
//! and only here), same-origin redirects, a response-size cap, retries of idempotent reads,
//! and a per-tracker token-bucket rate limit. Tracker clients describe a request as data
//! ([`Request`]: method, path segments, query, JSON body) and get back the status and bytes
//! ([`Response`]); they never build URL strings and never see the secret.

use std::path::Path;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue, RETRY_AFTER};
use reqwest::redirect;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use url::Url;

use crate::config::HttpSettings;
use crate::error::{Error, Result};

mod pace;
mod request;

use pace::backoff;
pub use pace::{RateLimiter, parse_retry_after};
use request::Target;
pub use request::{Endpoint, Request, Response, decode};

/// `User-Agent` of every request.
pub const USER_AGENT: &str = concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION"));

/// Most attempts of one idempotent request (the first try included).
const MAX_ATTEMPTS: u32 = 3;
/// Most redirects followed (all within the same origin).
const MAX_REDIRECTS: usize = 5;

/// The parameter name and key of [`HttpClient::with_key_param`].
type KeyParam = (&'static str, SecretString);

/// How a tracker's credential travels.
#[derive(Clone)]
pub enum Auth {
    /// Anonymous access.
    None,
    /// A header of its own, e.g. `X-Redmine-API-Key`.
    Header { name: HeaderName, value: SecretString },
    /// `Authorization: Bearer <token>`.
    Bearer(SecretString),
    /// `Authorization: Basic <user:password>`.
    Basic { username: String, password: SecretString },
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::None => "Auth::None",
            Self::Header { .. } => "Auth::Header([REDACTED])",
            Self::Bearer(_) => "Auth::Bearer([REDACTED])",
            Self::Basic { .. } => "Auth::Basic([REDACTED])",
        })
    }
}

/// A client for one tracker: base URL, credential, limits.
#[derive(Clone)]
pub struct HttpClient {
    tracker: &'static str,
    base: Url,
    auth: Auth,
    key_param: Option<(&'static str, SecretString)>,
    limiter: Arc<RateLimiter>,
    settings: HttpSettings,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("tracker", &self.tracker)
            .field("origin", &self.base.origin().ascii_serialization())
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

impl HttpClient {
    /// Build the client for `tracker` (a display name, e.g. "Redmine") at `base`.
    pub fn new(tracker: &'static str, base: Url, auth: Auth, settings: &HttpSettings) -> Result<Self> {
        // A broken CA bundle is a start-up error, not a failure of the first call.
        ca_certificates(settings.ca_bundle.as_deref())?;
        if let Auth::Basic { username, password } = &auth {
            // A proxy or tracker that echoes the header shows the base64 of `user:password`,
            // which is the secret too.
            use base64::Engine as _;
            let header = format!("{username}:{}", password.expose_secret());
            crate::error::register_secret(&SecretString::from(
                base64::engine::general_purpose::STANDARD.encode(header.as_bytes()),
            ));
        }
        Ok(Self {
            tracker,
            base,
            auth,
            key_param: None,
            limiter: Arc::new(RateLimiter::new(settings.rate_limit)),
            settings: settings.clone(),
        })
    }

    /// The reqwest client, shared by every tracker of this configuration and built on first
    /// use: building it loads the system's CA store (~10 ms each), which would otherwise sit
    /// between the client's spawn and our `initialize` reply.
    fn client(&self) -> Result<&reqwest::Client> {
        let cell = &self.settings.client;
        if let Some(client) = cell.get() {
            return Ok(client);
        }
        let client = build_client(&self.settings)
            .map_err(|_| Error::Config(format!("cannot set up the HTTP client for {}", self.tracker)))?;
        Ok(cell.get_or_init(|| client))
    }

    /// Name the parameter that carries the key when a request asks for it in the query or body
    /// (Bugzilla's `api_key`).
    #[must_use]
    pub fn with_key_param(mut self, name: &'static str, key: SecretString) -> Self {
        self.key_param = Some((name, key));
        self
    }

    #[must_use]
    pub fn tracker(&self) -> &'static str {
        self.tracker
    }

    #[must_use]
    pub fn base(&self) -> &Url {
        &self.base
    }

    /// The URL a request targets, without credentials (for tests and messages).
    pub fn url_for(&self, request: &Request) -> Result<Url> {
        let mut url = match &request.target {
            Target::Segments(segments) => {
                let mut url = self.base.clone();
                {
                    let mut path = url
                        .path_segments_mut()
                        .map_err(|()| Error::Internal("base URL cannot take a path".into()))?;
                    path.pop_if_empty();
                    for segment in segments {
                        check_segment(segment)?;
                        path.push(segment);
                    }
                }
                url
            }
            Target::Absolute(url) => {
                if url.origin() != self.base.origin() {
                    return Err(Error::bad_response(
                        self.tracker,
                        "a pagination link points to another host; it was not followed",
                    ));
                }
                url.clone()
            }
        };
        if !request.query.is_empty() {
            for (k, v) in &request.query {
                check_query_value(k, v)?;
            }
            let mut pairs = url.query_pairs_mut();
            for (k, v) in &request.query {
                pairs.append_pair(k, v);
            }
        }
        Ok(url)
    }

    /// Path and query a request goes to, for showing (dry runs): never the credential.
    pub fn path_and_query(&self, request: &Request) -> Result<String> {
        let url = self.url_for(request)?;
        Ok(match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        })
    }

    /// The credential this request carries, and the key for [`Self::with_key_param`]: the
    /// configured ones, or in per-user mode the caller's (refused when the caller sent none;
    /// the configured credential is then never used).
    fn credential(&self) -> Result<(std::borrow::Cow<'_, Auth>, Option<KeyParam>)> {
        if !self.settings.per_user {
            return Ok((std::borrow::Cow::Borrowed(&self.auth), self.key_param.clone()));
        }
        let (auth, key) = crate::remote::caller_auth(self.tracker)?;
        Ok((std::borrow::Cow::Owned(auth), self.key_param.as_ref().map(|(name, _)| (*name, key))))
    }

    /// In per-user mode, which caller the current call is (see `remote::caller_key`), so that
    /// what one caller's credential may see is cached for that caller only; `None` when every
    /// request carries the configured credential.
    #[must_use]
    pub fn caller_key(&self) -> Option<u64> {
        if self.settings.per_user { crate::remote::caller_key(self.tracker) } else { None }
    }

    /// Send a request: rate limit, credential, retries of idempotent reads, size cap.
    pub async fn execute(&self, request: Request) -> Result<Response> {
        let mut url = self.url_for(&request)?;
        let display_path = url.path().to_owned();
        let (auth, key_param) = self.credential()?;
        if let (true, Some((name, key))) = (request.key_in_query, &key_param) {
            url.query_pairs_mut().append_pair(name, key.expose_secret());
        }
        let mut body = request.body.clone();
        if let (true, Some((name, key)), Some(Value::Object(map))) =
            (request.key_in_body, &key_param, body.as_mut())
        {
            map.insert((*name).to_owned(), Value::String(key.expose_secret().to_owned()));
        }
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.limiter.acquire().await;
            let outcome = self.send_once(&request, &url, &auth, body.as_ref()).await;
            let elapsed = started.elapsed();
            let retry_in = match &outcome {
                Ok(response) if matches!(response.status, 429 | 502 | 503 | 504) => {
                    Some(response.retry_after.unwrap_or_else(|| backoff(attempt)))
                }
                Err(Error::Unavailable { .. }) => Some(backoff(attempt)),
                _ => None,
            };
            match retry_in {
                Some(wait)
                    if request.retry
                        && attempt < MAX_ATTEMPTS
                        && elapsed + wait <= self.settings.retry_budget =>
                {
                    tracing::debug!(tracker = self.tracker, path = %display_path, attempt, wait_ms = wait.as_millis(), "retrying");
                    tokio::time::sleep(wait).await;
                }
                _ => {
                    let status = outcome.as_ref().map(|r| r.status).unwrap_or_default();
                    tracing::debug!(
                        tracker = self.tracker,
                        method = %request.method,
                        path = %display_path,
                        status,
                        ms = started.elapsed().as_millis(),
                        "upstream request"
                    );
                    return outcome.and_then(|r| self.check_redirect(r));
                }
            }
        }
    }

    /// A 3xx that reached us was not followed: it leaves the origin (or loops).
    fn check_redirect(&self, response: Response) -> Result<Response> {
        if !(300..400).contains(&response.status) || response.status == 304 {
            return Ok(response);
        }
        let target = response.header(reqwest::header::LOCATION).and_then(|l| self.base.join(l).ok());
        let message = match target {
            Some(url) if url.origin() == self.base.origin() => format!(
                "it kept redirecting (HTTP {}, more than {MAX_REDIRECTS} times within its own \
                 origin), so the redirects were not followed further; check the tracker URL",
                response.status
            ),
            target => format!(
                "it redirected to {} (HTTP {}), which was not followed: the credential must not \
                 leave the configured origin. Check the tracker URL (https, host, path)",
                target.map_or_else(|| "an unknown place".to_owned(), |u| u.origin().ascii_serialization()),
                response.status
            ),
        };
        Err(Error::Unavailable { tracker: self.tracker, message })
    }

    async fn send_once(
        &self,
        request: &Request,
        url: &Url,
        auth: &Auth,
        body: Option<&Value>,
    ) -> Result<Response> {
        let mut builder =
            self.client()?.request(request.method.clone(), url.clone()).header(ACCEPT, request.accept);
        builder = match auth {
            Auth::None => builder,
            Auth::Header { name, value } => builder.header(name.clone(), sensitive(value.expose_secret())?),
            Auth::Bearer(token) => {
                builder.header(AUTHORIZATION, sensitive(&format!("Bearer {}", token.expose_secret()))?)
            }
            Auth::Basic { username, password } => {
                builder.basic_auth(username, Some(password.expose_secret()))
            }
        };
        if let Some(raw) = &request.bytes {
            builder = builder.header(CONTENT_TYPE, raw.content_type).body(raw.bytes.as_ref().clone());
        } else if let Some(body) = body {
            // Redmine silently ignores a JSON body sent without this header.
            let bytes = serde_json::to_vec(body).map_err(|e| Error::Internal(e.to_string()))?;
            builder = builder.header(CONTENT_TYPE, "application/json").body(bytes);
        }
        let response = builder.send().await.map_err(|e| self.transport_error(&e))?;
        let status = response.status().as_u16();
        crate::audit::note_upstream_status(status);
        let headers = response.headers().clone();
        let retry_after = headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let cap = self.settings.max_response_bytes;
        if response.content_length().is_some_and(|n| n > cap as u64) {
            return Err(self.too_large());
        }
        let mut body = Vec::new();
        let mut response = response;
        while let Some(chunk) = response.chunk().await.map_err(|e| self.transport_error(&e))? {
            if body.len() + chunk.len() > cap {
                return Err(self.too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Response { status, body, retry_after, headers })
    }

    fn too_large(&self) -> Error {
        Error::TooLarge { tracker: self.tracker, limit: self.settings.max_response_bytes }
    }

    /// Describe a transport failure without the URL (which may carry a key).
    fn transport_error(&self, error: &reqwest::Error) -> Error {
        let tracker = self.tracker;
        if error.is_timeout() {
            return Error::Timeout { tracker, after: self.settings.timeout };
        }
        let chain = error_chain(error);
        if chain.contains("certificate") || chain.contains("unknownissuer") || chain.contains("tls") {
            return Error::Unavailable {
                tracker,
                message: "its TLS certificate is not trusted (for a private CA, set \
                          TRACKER_MCP_CA_BUNDLE to its PEM file)"
                    .into(),
            };
        }
        let message = if error.is_connect() {
            "the connection failed (check the URL, the network or the proxy settings)"
        } else if error.is_body() || error.is_decode() {
            "the connection broke while reading the answer"
        } else if error.is_redirect() {
            "too many redirects"
        } else {
            "the request failed"
        };
        Error::Unavailable { tracker, message: message.into() }
    }
}

/// The extra CA certificates of `TRACKER_MCP_CA_BUNDLE`, checked (also trusted for the OAuth
/// issuer, which a team with a private CA runs next to its trackers).
pub fn ca_certificates(ca_bundle: Option<&Path>) -> Result<Vec<reqwest::Certificate>> {
    let Some(path) = ca_bundle else { return Ok(Vec::new()) };
    let pem = std::fs::read(path)
        .map_err(|e| Error::Config(format!("TRACKER_MCP_CA_BUNDLE {}: {}", path.display(), e.kind())))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|_| {
        Error::Config(format!("TRACKER_MCP_CA_BUNDLE {}: not a PEM certificate bundle", path.display()))
    })?;
    if certs.is_empty() {
        return Err(Error::Config(format!("TRACKER_MCP_CA_BUNDLE {}: no certificate found", path.display())));
    }
    Ok(certs)
}

/// Idle connections kept open to one tracker.
const POOL_IDLE_PER_TRACKER: usize = 8;

/// One client for all trackers: rustls, timeouts, the `User-Agent`, and redirects followed
/// only while they stay on the origin the request started at (a credential never goes to
/// another host; a 3xx that leaves is returned and explained by `execute`).
fn build_client(settings: &HttpSettings) -> Result<reqwest::Client> {
    let policy = redirect::Policy::custom(|attempt| {
        let same_origin =
            attempt.previous().first().is_some_and(|first| first.origin() == attempt.url().origin());
        if attempt.previous().len() >= MAX_REDIRECTS || !same_origin {
            attempt.stop()
        } else {
            attempt.follow()
        }
    });
    // `Accept` is set per request (`Request::accept`), so there are no default headers.
    let mut builder = reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .timeout(settings.timeout)
        .connect_timeout(settings.connect_timeout)
        .redirect(policy)
        // A tracker is one host behind a request budget (TRACKER_MCP_RATE_LIMIT); idle
        // connections beyond a few only cost memory (hundreds after a burst over HTTP).
        .pool_max_idle_per_host(POOL_IDLE_PER_TRACKER)
        .use_rustls_tls();
    for cert in ca_certificates(settings.ca_bundle.as_deref())? {
        builder = builder.add_root_certificate(cert);
    }
    builder.build().map_err(|e| Error::Internal(e.without_url().to_string()))
}

/// Lower-cased text of an error's source chain, URL removed.
fn error_chain(error: &reqwest::Error) -> String {
    let mut out = String::new();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(error);
    while let Some(e) = source {
        out.push_str(&e.to_string().to_ascii_lowercase());
        out.push(' ');
        source = e.source();
    }
    out
}

fn sensitive(value: &str) -> Result<HeaderValue> {
    let mut header = HeaderValue::from_str(value).map_err(|_| {
        Error::Config("the configured credential contains characters not allowed in an HTTP header".into())
    })?;
    header.set_sensitive(true);
    Ok(header)
}

/// A path segment that would change the path is refused (tools validate first; this is the
/// second line).
fn check_segment(segment: &str) -> Result<()> {
    // The last line of defence for every tracker's paths: `;` is a path-parameter separator
    // for servlet containers and some proxies (`..;` acts as `..`).
    if segment.is_empty()
        || segment == "."
        || segment == ".."
        || segment.contains(';')
        || segment.chars().any(char::is_control)
    {
        return Err(Error::invalid(
            "path",
            "an identifier must not be empty, `.`, `..` or contain `;` or control characters",
        ));
    }
    Ok(())
}

/// A query value with NUL or another control character (tab and line breaks aside) is
/// refused: trackers cut strings at NUL or reject them with confusing errors (tools validate
/// first; this is the second line).
fn check_query_value(key: &str, value: &str) -> Result<()> {
    if value.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) {
        return Err(Error::invalid(key, "must not contain NUL or other control characters"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use reqwest::Method;

    use super::*;

    #[test]
    fn endpoints_fill_their_parameters_as_segments() {
        const ISSUE: Endpoint = Endpoint::new(Method::PUT, "issues/{id}.json");
        let request = ISSUE.request(&["12"]);
        assert_eq!(request.method(), &Method::PUT);
        let client = HttpClient::new(
            "Test",
            Url::parse("https://t.test/base").expect("url"),
            Auth::None,
            &HttpSettings::default(),
        )
        .expect("client");
        assert_eq!(client.url_for(&request).expect("url").as_str(), "https://t.test/base/issues/12.json");
        let url =
            client.url_for(&Endpoint::new(Method::GET, "projects/{p}/x").request(&["a/b?c"])).expect("url");
        assert_eq!(url.as_str(), "https://t.test/base/projects/a%2Fb%3Fc/x");
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(parse_retry_after(&later, now), Some(Duration::from_secs(30)));
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn segments_cannot_change_the_path() {
        let client = HttpClient::new(
            "Test",
            Url::parse("https://t.test/base").expect("url"),
            Auth::None,
            &HttpSettings::default(),
        )
        .expect("client");
        let url = client.url_for(&Request::get(["issues", "a/b?c#d"]).query("q", "x&y")).expect("url");
        assert_eq!(url.as_str(), "https://t.test/base/issues/a%2Fb%3Fc%23d?q=x%26y");
        assert!(client.url_for(&Request::get(["..", "admin"])).is_err());
        assert!(client.url_for(&Request::get(["a\r\nb"])).is_err());
        for bad in ["a\0b", "\u{1b}[31m", "x\u{7f}"] {
            assert!(client.url_for(&Request::get(["users.json"]).query("name", bad)).is_err(), "{bad:?}");
        }
        assert!(client.url_for(&Request::get(["search"]).query("q", "two\nlines\tok")).is_ok());
        let foreign = Request::get_url(Url::parse("https://evil.test/next").expect("url"));
        assert!(client.url_for(&foreign).is_err());
    }

    #[tokio::test]
    async fn rate_limiter_spreads_a_burst() {
        let limiter = RateLimiter::new(20.0);
        let start = Instant::now();
        for _ in 0..50 {
            limiter.acquire().await;
        }
        // 40 tokens in the bucket, then 10 more at 20/s: at least ~0.5 s.
        assert!(start.elapsed() >= Duration::from_millis(400), "{:?}", start.elapsed());
    }
}
