//! Who is calling: every request to `/mcp` carries `Authorization: Bearer <token>`, checked
//! before anything else runs: the static token (`TRACKER_MCP_HTTP_TOKEN`), or an OAuth access
//! token ([`super::oauth`]). The token the client sends is only ever checked here; it is never
//! stored, logged or passed on to a tracker.

use http::HeaderMap;
use secrecy::{ExposeSecret as _, SecretString};
use subtle::ConstantTimeEq as _;

use super::oauth::{OAuth, Rejection, SCOPE_READ, SCOPE_WRITE};

/// The authenticated caller, put into the request's extensions for the rest of the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// What the audit trail names: `static token`, or the token's subject.
    pub subject: String,
    /// Whether the caller may use tools that change data (`tracker:write`).
    pub may_write: bool,
}

/// Why a request was turned away (the 401's `WWW-Authenticate` says which).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    /// No bearer token at all (RFC 6750 §3: no error code).
    Missing,
    /// A token that is malformed, unknown, expired, or for someone else.
    Invalid,
    /// A valid OAuth token without `tracker:read` (or `tracker:write`): 403.
    InsufficientScope,
    /// The issuer's keys cannot be fetched, so no OAuth token can be checked now: 503.
    Unavailable,
}

/// The configured ways in.
#[derive(Debug)]
pub struct Auth {
    token: Option<SecretString>,
    oauth: Option<OAuth>,
    /// RFC 9728: where clients find the authorization server (OAuth mode).
    resource_metadata: Option<String>,
}

impl Auth {
    #[must_use]
    pub fn new(token: Option<SecretString>, oauth: Option<OAuth>, resource_metadata: Option<String>) -> Self {
        Self { token, oauth, resource_metadata }
    }

    /// The OAuth verifier, when OAuth is configured.
    #[must_use]
    pub fn oauth(&self) -> Option<&OAuth> {
        self.oauth.as_ref()
    }

    /// The caller behind `headers`, or why there is none.
    pub async fn check(&self, headers: &HeaderMap) -> Result<Caller, Denial> {
        let presented = bearer(headers)?;
        if let Some(token) = &self.token
            // Constant time over the bytes; only a length mismatch returns early, and the
            // length of a 32+ character random token tells an attacker nothing useful.
            && bool::from(presented.as_bytes().ct_eq(token.expose_secret().as_bytes()))
        {
            return Ok(Caller { subject: "static token".to_owned(), may_write: true });
        }
        let Some(oauth) = &self.oauth else { return Err(Denial::Invalid) };
        match oauth.verify(presented).await {
            Ok(verified) => {
                let has = |scope: &str| verified.scopes.iter().any(|s| s == scope);
                if !has(SCOPE_READ) && !has(SCOPE_WRITE) {
                    tracing::warn!(subject = %verified.subject, "refused an access token without tracker:read");
                    return Err(Denial::InsufficientScope);
                }
                Ok(Caller { may_write: has(SCOPE_WRITE), subject: clean_subject(&verified.subject) })
            }
            Err(Rejection::Unavailable) => Err(Denial::Unavailable),
            Err(rejection) => {
                tracing::warn!(?rejection, "refused an access token");
                Err(Denial::Invalid)
            }
        }
    }

    /// The `WWW-Authenticate` value of a 401 or 403 (RFC 6750 §3, RFC 9728 §5.1).
    #[must_use]
    pub fn challenge(&self, denial: Denial) -> String {
        let mut challenge = r#"Bearer realm="tracker-mcp""#.to_owned();
        if let Some(url) = &self.resource_metadata {
            challenge.push_str(&format!(r#", resource_metadata="{url}", scope="{SCOPE_READ}""#));
        }
        match denial {
            Denial::Missing | Denial::Unavailable => {}
            Denial::Invalid => challenge
                .push_str(r#", error="invalid_token", error_description="the bearer token is not valid""#),
            Denial::InsufficientScope => challenge.push_str(&format!(
                r#", error="insufficient_scope", error_description="the token needs the {SCOPE_READ} or {SCOPE_WRITE} scope""#
            )),
        }
        challenge
    }
}

/// A subject as logs, metrics and the rate limiter may hold it: printable, at most 128
/// characters (it comes from a verified token, but is still someone else's text).
fn clean_subject(subject: &str) -> String {
    let cleaned: String = subject.chars().filter(|c| !c.is_control()).take(128).collect();
    if cleaned.is_empty() { "unknown".to_owned() } else { cleaned }
}

/// The one bearer token of the request. Two `Authorization` headers, another scheme or an
/// empty token are invalid, not missing.
fn bearer(headers: &HeaderMap) -> Result<&str, Denial> {
    let mut values = headers.get_all(http::header::AUTHORIZATION).iter();
    let Some(value) = values.next() else { return Err(Denial::Missing) };
    if values.next().is_some() {
        return Err(Denial::Invalid);
    }
    let value = value.to_str().map_err(|_| Denial::Invalid)?;
    let (scheme, token) = value.split_once(' ').ok_or(Denial::Invalid)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(Denial::Invalid);
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    const TOKEN: &str = "auth-unit-test-token-0123456789abcdef";

    fn headers(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(http::header::AUTHORIZATION, HeaderValue::from_str(v).expect("value"));
        }
        headers
    }

    #[tokio::test]
    async fn only_the_configured_token_gets_in() {
        let auth = Auth::new(Some(SecretString::from(TOKEN)), None, None);
        let check = |values: &[&str]| {
            let headers = headers(values);
            let auth = &auth;
            async move { auth.check(&headers).await }
        };
        let caller = check(&[&format!("Bearer {TOKEN}")]).await.expect("in");
        assert_eq!(caller.subject, "static token");
        assert!(check(&[&format!("bearer {TOKEN}")]).await.is_ok(), "the scheme is case-insensitive");
        assert_eq!(check(&[]).await, Err(Denial::Missing));
        assert_eq!(check(&[&format!("Bearer {TOKEN}x")]).await, Err(Denial::Invalid));
        assert_eq!(check(&[&format!("Bearer {}", &TOKEN[1..])]).await, Err(Denial::Invalid));
        assert_eq!(check(&[&format!("Basic {TOKEN}")]).await, Err(Denial::Invalid));
        assert_eq!(check(&["Bearer "]).await, Err(Denial::Invalid));
        assert_eq!(check(&[TOKEN]).await, Err(Denial::Invalid));
        let two = [format!("Bearer {TOKEN}"), "Bearer other".to_owned()];
        assert_eq!(check(&[&two[0], &two[1]]).await, Err(Denial::Invalid));
    }

    #[test]
    fn the_challenge_names_the_scheme_and_says_invalid_only_when_a_token_came() {
        let auth = Auth::new(Some(SecretString::from(TOKEN)), None, None);
        assert!(auth.challenge(Denial::Missing).starts_with("Bearer "));
        assert!(!auth.challenge(Denial::Missing).contains("error="));
        assert!(auth.challenge(Denial::Invalid).contains(r#"error="invalid_token""#));
        let metadata = "https://mcp.test/.well-known/oauth-protected-resource/mcp";
        let oauth = Auth::new(None, None, Some(metadata.to_owned()));
        let challenge = oauth.challenge(Denial::InsufficientScope);
        assert!(challenge.contains(&format!(r#"resource_metadata="{metadata}""#)), "{challenge}");
        assert!(challenge.contains(r#"error="insufficient_scope""#), "{challenge}");
    }
}
