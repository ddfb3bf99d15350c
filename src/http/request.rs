//! A request described as data ([`Request`], built from an [`Endpoint`]) and what came back
//! ([`Response`]): status, headers and the bounded body, with the generic status-to-error mapping.

use std::time::Duration;

use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, HeaderMap};
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use crate::error::{Error, Result};

/// One request, described as data.
#[derive(Debug, Clone)]
pub struct Request {
    pub(super) method: Method,
    pub(super) target: Target,
    pub(super) query: Vec<(String, String)>,
    pub(super) body: Option<Value>,
    /// A body of bytes (a file upload) instead of JSON.
    pub(super) bytes: Option<RawBody>,
    pub(super) key_in_query: bool,
    pub(super) key_in_body: bool,
    pub(super) accept: &'static str,
    pub(super) retry: bool,
}

/// One REST endpoint as data: its method and path template, relative to the tracker's API
/// base (`issues/{id}.json`, `bug/{id}/comment`). Each tracker lists its endpoints in its
/// `endpoints.rs`, so a request's method and path are named once and typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub method: Method,
    pub path: &'static str,
}

impl Endpoint {
    #[must_use]
    pub const fn new(method: Method, path: &'static str) -> Self {
        Self { method, path }
    }

    /// The request for this endpoint, its `{params}` filled in order with `args`. Each argument
    /// becomes (part of) one path segment, percent-encoded when sent, so no argument can change
    /// the path; text around a parameter in the same segment (`{id}.json`) is kept.
    #[must_use]
    pub fn request(&self, args: &[&str]) -> Request {
        let mut args = args.iter();
        let segments: Vec<String> = self
            .path
            .split('/')
            .filter(|part| !part.is_empty())
            .map(|part| match (part.find('{'), part.find('}')) {
                (Some(start), Some(end)) if start < end => {
                    let value = args.next().copied().unwrap_or_default();
                    debug_assert!(!value.is_empty(), "{}: missing argument for {part}", self.path);
                    format!("{}{value}{}", &part[..start], &part[end + 1..])
                }
                _ => part.to_owned(),
            })
            .collect();
        debug_assert!(args.next().is_none(), "{}: too many arguments", self.path);
        Request::new(self.method.clone(), segments)
    }
}

/// An upload's bytes; `Debug` shows only their length.
#[derive(Clone)]
pub(super) struct RawBody {
    pub(super) bytes: std::sync::Arc<Vec<u8>>,
    pub(super) content_type: &'static str,
}

impl std::fmt::Debug for RawBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} bytes of {}", self.bytes.len(), self.content_type)
    }
}

#[derive(Debug, Clone)]
pub(super) enum Target {
    /// Appended to the tracker's base URL, each element one path segment (percent-encoded).
    Segments(Vec<String>),
    /// A URL the tracker gave us (a "next page" link); it must share the base's origin.
    Absolute(Url),
}

impl Request {
    pub(super) fn new(method: Method, segments: impl IntoIterator<Item = impl Into<String>>) -> Self {
        let retry = method == Method::GET || method == Method::HEAD;
        Self {
            method,
            target: Target::Segments(segments.into_iter().map(Into::into).collect()),
            query: Vec::new(),
            body: None,
            bytes: None,
            key_in_query: false,
            key_in_body: false,
            accept: "application/json",
            retry,
        }
    }

    /// `GET base/segment/segment...`
    pub fn get(segments: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self::new(Method::GET, segments)
    }
    pub fn post(segments: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self::new(Method::POST, segments)
    }
    pub fn put(segments: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self::new(Method::PUT, segments)
    }
    pub fn delete(segments: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self::new(Method::DELETE, segments)
    }

    /// A `GET` of a link the tracker returned (e.g. Bitbucket Cloud's `next`). Refused at
    /// send time unless it stays on the configured origin.
    #[must_use]
    pub fn get_url(url: Url) -> Self {
        let mut request = Self::new(Method::GET, Vec::<String>::new());
        request.target = Target::Absolute(url);
        request
    }

    #[must_use]
    pub fn query(mut self, key: impl Into<String>, value: impl ToString) -> Self {
        self.query.push((key.into(), value.to_string()));
        self
    }

    #[must_use]
    pub fn query_opt(self, key: impl Into<String>, value: Option<impl ToString>) -> Self {
        match value {
            Some(v) => self.query(key, v),
            None => self,
        }
    }

    #[must_use]
    pub fn json(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    /// Send `bytes` as the body, with this content type (a file upload).
    #[must_use]
    pub fn bytes(mut self, bytes: Vec<u8>, content_type: &'static str) -> Self {
        self.bytes = Some(RawBody { bytes: std::sync::Arc::new(bytes), content_type });
        self
    }

    /// Also send the tracker's key parameter in the query (Bugzilla 5.0/5.2 reads).
    #[must_use]
    pub fn key_in_query(mut self) -> Self {
        self.key_in_query = true;
        self
    }

    /// Also send the tracker's key parameter as a field of the JSON body (Bugzilla writes).
    #[must_use]
    pub fn key_in_body(mut self) -> Self {
        self.key_in_body = true;
        self
    }

    /// The `Accept` header (default `application/json`).
    #[must_use]
    pub fn accept(mut self, accept: &'static str) -> Self {
        self.accept = accept;
        self
    }

    /// The method, for tests and logs.
    #[must_use]
    pub fn method(&self) -> &Method {
        &self.method
    }
}

/// What came back: status and body (bounded by the size cap), never the request URL.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
    /// The `Retry-After` hint of a 429/503, if any.
    pub retry_after: Option<Duration>,
    /// Response headers (never the request's, so never the credential).
    pub headers: HeaderMap,
}

impl Response {
    /// A response header as text, if present and readable.
    #[must_use]
    pub fn header(&self, name: impl reqwest::header::AsHeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    #[must_use]
    pub fn content_type(&self) -> Option<&str> {
        self.header(CONTENT_TYPE)
    }

    #[must_use]
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Decode the body as JSON, clean every string in it ([`crate::render::clean_tree`]: the
    /// one place upstream text is made safe to show), then read it as `T`. A failure never
    /// quotes the body.
    pub fn json<T: DeserializeOwned>(&self, tracker: &'static str) -> Result<T> {
        if self.body.is_empty() {
            return Err(Error::bad_response(tracker, format!("empty body with HTTP {}", self.status)));
        }
        let mut value: Value = serde_json::from_slice(&self.body).map_err(|e| {
            Error::bad_response(
                tracker,
                format!(
                    "the answer is not JSON ({} at line {} column {})",
                    classify(&e),
                    e.line(),
                    e.column()
                ),
            )
        })?;
        crate::render::clean_tree(&mut value);
        decode(tracker, value)
    }

    /// The generic error for a non-success status. `subject` names what was asked for
    /// ("issue 4"), `upstream_message` is the tracker's own explanation, if it gave one
    /// (sanitized here). Trackers call this after handling their own special cases.
    #[must_use]
    pub fn status_error(
        &self,
        tracker: &'static str,
        subject: &str,
        upstream_message: Option<&str>,
    ) -> Error {
        let detail = upstream_message
            .map(crate::error::sanitize)
            .filter(|m| !m.is_empty())
            .map_or_else(String::new, |m| format!(": {m}"));
        match self.status {
            401 => Error::Unauthorized(format!(
                "{tracker} refused the credential (HTTP 401){detail}. Check the configured API \
                 key or token (`tracker-mcp check` tests it)"
            )),
            403 => Error::Forbidden(format!(
                "{subject} is not accessible with this credential (HTTP 403){detail}"
            )),
            404 => Error::NotFound(format!(
                "{subject} was not found, or is not visible with this credential{detail}"
            )),
            429 => Error::RateLimited { tracker, retry_after: self.retry_after },
            500..=599 => {
                Error::Unavailable { tracker, message: format!("it answered HTTP {}{detail}", self.status) }
            }
            status => Error::Rejected {
                tracker,
                status,
                message: if detail.is_empty() {
                    "no reason given".to_owned()
                } else {
                    detail.trim_start_matches(": ").to_owned()
                },
            },
        }
    }

    /// The body as text (invalid UTF-8 replaced).
    #[must_use]
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Whether the body looks like an HTML page (an error page from a proxy or the server).
    #[must_use]
    pub fn is_html(&self) -> bool {
        self.content_type().is_some_and(|c| c.contains("html"))
            || self.body.iter().take(64).skip_while(|b| b.is_ascii_whitespace()).take(1).any(|&b| b == b'<')
    }
}

/// Read an already cleaned JSON tree (from [`Response::json`]) as `T`; a shape the tracker
/// never sends is an error that does not quote the answer.
pub fn decode<T: DeserializeOwned>(tracker: &'static str, value: Value) -> Result<T> {
    T::deserialize(value).map_err(|e| {
        Error::bad_response(tracker, format!("the JSON did not have the expected shape ({})", classify(&e)))
    })
}

fn classify(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => "invalid JSON",
        serde_json::error::Category::Data => "unexpected field type",
        serde_json::error::Category::Io => "read error",
    }
}
