//! The one error type, and the one place that decides how each kind reaches the client.
//!
//! Failures the model can act on (not found, forbidden, invalid argument, rate limited,
//! upstream down, timeout) become `isError: true` tool results of one or two sentences.
//! Bugs in the server itself become JSON-RPC errors. Every piece of upstream text passes
//! through [`sanitize`] exactly once, when the error is built, so no HTML, no over-long
//! body and no configured secret ever reaches the client or a log line.

use std::sync::{OnceLock, RwLock};
use std::time::Duration;

use rmcp::{
    ErrorData as McpError,
    handler::server::tool::IntoCallToolResult,
    model::{CallToolResponse, CallToolResult, ContentBlock},
};
use secrecy::{ExposeSecret, SecretString};

/// Longest piece of upstream text passed on, in characters.
pub const MAX_UPSTREAM_TEXT: usize = 300;

/// Everything that can go wrong, from configuration to the tracker's answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Start-up configuration is wrong; the message names the variable and the fix.
    #[error("{0}")]
    Config(String),
    /// An argument from the model is unusable; the message names the argument.
    #[error("invalid argument `{arg}`: {message}")]
    InvalidArgument { arg: String, message: String },
    /// The thing asked for does not exist, or this credential cannot see it.
    #[error("{0}")]
    NotFound(String),
    /// The credential is valid but not allowed to do this.
    #[error("{0}")]
    Forbidden(String),
    /// The credential was refused.
    #[error("{0}")]
    Unauthorized(String),
    /// The tracker refused the request for a reason it explained (validation, conflict, ...).
    #[error("{tracker} refused the request (HTTP {status}): {message}")]
    Rejected { tracker: &'static str, status: u16, message: String },
    /// The tracker asked us to slow down and the retry budget ran out.
    #[error("{tracker} is rate limiting requests{}; wait before retrying", fmt_retry(*.retry_after))]
    RateLimited { tracker: &'static str, retry_after: Option<Duration> },
    /// The tracker could not be reached or answered with a server error.
    #[error(
        "{tracker} is unavailable: {message}. Retry later; if it persists, check the URL with `tracker-mcp check`"
    )]
    Unavailable { tracker: &'static str, message: String },
    /// No answer within the configured timeout.
    #[error("{tracker} did not answer within {}s (TRACKER_MCP_TIMEOUT_SECS). Retry, or narrow the request", .after.as_secs())]
    Timeout { tracker: &'static str, after: Duration },
    /// The tracker answered with something we could not understand.
    #[error("{tracker} returned an unexpected response: {message}")]
    BadResponse { tracker: &'static str, message: String },
    /// The answer was larger than `TRACKER_MCP_MAX_RESPONSE_BYTES`, and was not read.
    #[error(
        "{tracker} returned a response larger than {limit} bytes (TRACKER_MCP_MAX_RESPONSE_BYTES); ask \
         for less, e.g. a smaller limit or a single item"
    )]
    TooLarge { tracker: &'static str, limit: usize },
    /// The policy does not allow this call (writes disabled, scope, ...).
    #[error("{0}")]
    Denied(String),
    /// A bug in tracker-mcp itself. Reported as a JSON-RPC error, never as tool text.
    #[error("internal error: {0}")]
    Internal(String),
}

fn fmt_retry(after: Option<Duration>) -> String {
    after.map_or_else(String::new, |d| format!(" (retry after {}s)", d.as_secs().max(1)))
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An invalid-argument error naming the argument.
    pub fn invalid(arg: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidArgument { arg: arg.into(), message: message.into() }
    }

    /// A refusal carrying the tracker's own (sanitized) explanation.
    pub fn rejected(tracker: &'static str, status: u16, upstream_text: &str) -> Self {
        Self::Rejected { tracker, status, message: sanitize(upstream_text) }
    }

    /// A response body we could not parse; the upstream text is never quoted.
    pub fn bad_response(tracker: &'static str, message: impl Into<String>) -> Self {
        Self::BadResponse { tracker, message: sanitize(&message.into()) }
    }

    /// Whether this error is the client's or server's fault (JSON-RPC) rather than something
    /// the model can act on (tool result).
    #[must_use]
    pub fn is_protocol_error(&self) -> bool {
        matches!(self, Self::Internal(_))
    }

    /// A short, stable name for logs and the audit log.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Config(_) => "config",
            Self::InvalidArgument { .. } => "invalid_argument",
            Self::NotFound(_) => "not_found",
            Self::Forbidden(_) => "forbidden",
            Self::Unauthorized(_) => "unauthorized",
            Self::Rejected { .. } => "rejected",
            Self::RateLimited { .. } => "rate_limited",
            Self::Unavailable { .. } => "unavailable",
            Self::Timeout { .. } => "timeout",
            Self::BadResponse { .. } => "bad_response",
            Self::TooLarge { .. } => "too_large",
            Self::Denied(_) => "denied",
            Self::Internal(_) => "internal",
        }
    }

    /// The text shown to the client, sanitized once more as a last line of defence
    /// (messages built from our own format strings may quote an argument).
    #[must_use]
    pub fn client_message(&self) -> String {
        redact_secrets(&self.to_string())
    }
}

/// `Result<T, Error>` is a valid `#[tool]` return type: everything the model can act on is
/// an `isError: true` result; `Internal` is a JSON-RPC `-32603`.
impl IntoCallToolResult for Error {
    fn into_call_tool_result(self) -> Result<CallToolResponse, McpError> {
        let message = self.client_message();
        if self.is_protocol_error() {
            tracing::error!(kind = self.kind(), "{message}");
            Err(McpError::internal_error(message, None))
        } else {
            tracing::debug!(kind = self.kind(), "{message}");
            Ok(CallToolResult::error(vec![ContentBlock::text(message)]).into())
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Sanitizing

/// Secrets known to this process, replaced wherever text leaves it.
fn registry() -> &'static RwLock<Vec<SecretString>> {
    static SECRETS: OnceLock<RwLock<Vec<SecretString>>> = OnceLock::new();
    SECRETS.get_or_init(RwLock::default)
}

/// Remember a configured secret so that [`sanitize`] and [`redact_secrets`] mask it.
/// Very short values are ignored: masking "a" everywhere would destroy every message.
/// Secrets are kept longest first, so that one secret inside another is masked as a whole.
pub fn register_secret(secret: &SecretString) {
    if secret.expose_secret().len() < 4 {
        return;
    }
    if let Ok(mut secrets) = registry().write() {
        if secrets.iter().any(|s| s.expose_secret() == secret.expose_secret()) {
            return;
        }
        secrets.push(secret.clone());
        secrets.sort_by_key(|s| std::cmp::Reverse(s.expose_secret().len()));
    }
}

/// Replace every configured secret in `text` with `[REDACTED]`, in any letter case (a URL
/// parser lowercases hosts, and a proxy may echo a header upper-cased).
#[must_use]
pub fn redact_secrets(text: &str) -> String {
    let Ok(secrets) = registry().read() else { return text.to_owned() };
    let mut out = text.to_owned();
    for secret in secrets.iter() {
        let needle = secret.expose_secret().to_ascii_lowercase();
        // ASCII lowercasing keeps every byte offset, so matches in `lower` are ranges of `out`.
        let lower = out.to_ascii_lowercase();
        if !lower.contains(&needle) {
            continue;
        }
        let mut masked = String::with_capacity(out.len());
        let mut last = 0;
        for (at, _) in lower.match_indices(&needle) {
            masked.push_str(&out[last..at]);
            masked.push_str("[REDACTED]");
            last = at + needle.len();
        }
        masked.push_str(&out[last..]);
        out = masked;
    }
    out
}

/// Make upstream text safe to show: tags and invisible or bidirectional-control characters
/// removed, whitespace collapsed, configured secrets masked, length bounded.
#[must_use]
pub fn sanitize(text: &str) -> String {
    // Mask first: collapsing whitespace could split a secret that contains spaces.
    let stripped = strip_html(&redact_secrets(text));
    let mut collapsed = String::with_capacity(stripped.len().min(4 * MAX_UPSTREAM_TEXT));
    for word in stripped.split_whitespace() {
        if !collapsed.is_empty() {
            collapsed.push(' ');
        }
        collapsed.push_str(word);
        if collapsed.len() > 8 * MAX_UPSTREAM_TEXT {
            break;
        }
    }
    // Mask before cutting, so half a secret is never left at the cut.
    let masked = redact_secrets(&collapsed);
    truncate_chars(&masked, MAX_UPSTREAM_TEXT)
}

/// Cut to at most `max` characters, marking the cut.
#[must_use]
pub fn truncate_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some((at, _)) => format!("{}…", &text[..at]),
    }
}

/// Drop tags, `<script>`/`<style>` bodies, and characters a human cannot see; decode the
/// few entities that matter for readability.
fn strip_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let lower: String = after.chars().take(8).collect::<String>().to_ascii_lowercase();
        let skip_to = if lower.starts_with("<script") {
            find_ci(after, "</script>").map(|i| i + "</script>".len())
        } else if lower.starts_with("<style") {
            find_ci(after, "</style>").map(|i| i + "</style>".len())
        } else {
            after.find('>').map(|i| i + 1)
        };
        match skip_to {
            Some(n) => {
                out.push(' ');
                rest = &after[n..];
            }
            None => {
                // An unterminated tag: drop the rest rather than show half markup.
                rest = "";
            }
        }
    }
    out.push_str(rest);
    let decoded = out
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    remove_invisible(&decoded)
}

fn find_ci(haystack: &str, needle: &str) -> Option<usize> {
    haystack.to_ascii_lowercase().find(needle)
}

/// Whether a character is invisible or reorders text (bidi controls, zero-width, BOM, other
/// control characters except newline and tab).
#[must_use]
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{00AD}' | '\u{180E}' | '\u{061C}'
        | '\u{FFF9}'..='\u{FFFB}' | '\u{E0000}'..='\u{E007F}')
        || (c.is_control() && c != '\n' && c != '\t')
}

/// Remove invisible and bidirectional-control characters (see [`is_invisible`]).
#[must_use]
pub fn remove_invisible(text: &str) -> String {
    text.chars().filter(|&c| !is_invisible(c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_strips_html_and_bounds_length() {
        let html = "<html><head><style>p{}</style><script>alert(1)</script></head>\
                    <body><h1>Internal Server Error</h1><p>Try &amp; again</p></body></html>";
        assert_eq!(sanitize(html), "Internal Server Error Try & again");
        let long = "x".repeat(5000);
        assert!(sanitize(&long).chars().count() <= MAX_UPSTREAM_TEXT + 1);
    }

    #[test]
    fn sanitize_masks_registered_secrets() {
        register_secret(&SecretString::from("s3cr3t-error-test-key"));
        let text = "bad key s3cr3t-error-test-key in header X-API-Key: s3cr3t-error-test-key";
        let clean = sanitize(text);
        assert!(!clean.contains("s3cr3t"), "{clean}");
        assert!(clean.contains("[REDACTED]"));
    }

    /// Security review finding 6: case-changed copies, a secret inside another, and one with
    /// a run of spaces escaped the mask.
    #[test]
    fn masking_covers_case_overlap_and_whitespace() {
        register_secret(&SecretString::from("Canary-Mask-7f3a"));
        register_secret(&SecretString::from("Canary-Mask-7f3a-longer-9"));
        register_secret(&SecretString::from("two  spaces-secret"));
        let out = redact_secrets("CANARY-MASK-7F3A canary-mask-7f3a Canary-Mask-7f3a-longer-9");
        assert_eq!(out, "[REDACTED] [REDACTED] [REDACTED]");
        assert!(!sanitize("x two  spaces-secret y").contains("spaces-secret"));
        assert_eq!(redact_secrets("ünïcödé stays"), "ünïcödé stays");
    }

    #[test]
    fn invisible_and_bidi_characters_are_removed() {
        assert_eq!(remove_invisible("a\u{202E}b\u{200B}c\u{0007}d\ne"), "abcd\ne");
    }

    #[test]
    fn unterminated_tag_is_dropped() {
        assert_eq!(sanitize("error <a href=\"x"), "error");
    }

    #[test]
    fn only_internal_errors_are_protocol_errors() {
        assert!(Error::Internal("x".into()).is_protocol_error());
        assert!(!Error::NotFound("x".into()).is_protocol_error());
        assert!(!Error::invalid("id", "must be positive").is_protocol_error());
    }
}
