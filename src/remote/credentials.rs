//! Per-user credentials mode (`TRACKER_MCP_HTTP_CREDENTIALS=per-user`): each HTTP request
//! carries its caller's own tracker credentials in headers of their own, and the trackers see
//! those instead of the server's.
//!
//! The headers of the request behind a tool call are read when the call starts and held in a
//! task-local for that call only ([`CredentialScope::run`]); nothing is cached across
//! requests, so a session's later request uses its own headers, never the first one's.
//! `http.rs` asks [`caller_auth`] for the credential of every upstream request a per-user
//! client sends: a call whose request lacks the tracker's header is refused there, before
//! anything is sent, and the server's own credential is never a fallback.

use std::sync::Arc;

use reqwest::header::HeaderName;
use rmcp::RoleServer;
use rmcp::service::RequestContext;
use secrecy::{ExposeSecret as _, SecretString};

use crate::error::{Error, Result, register_secret};
use crate::http::Auth;

/// The caller's Redmine API key (the header Redmine itself reads).
pub const REDMINE_HEADER: &str = "X-Redmine-API-Key";
/// The caller's Bugzilla API key (the header Bugzilla 5.1+ reads; older ones get it as
/// `api_key`, as with the server's key).
pub const BUGZILLA_HEADER: &str = "X-Bugzilla-API-Key";
/// The caller's Bitbucket access token, or with [`BITBUCKET_USERNAME_HEADER`] their API
/// token or app password.
pub const BITBUCKET_TOKEN_HEADER: &str = "X-Bitbucket-Token";
/// The caller's Bitbucket username or e-mail: with it the token is sent as Basic auth.
pub const BITBUCKET_USERNAME_HEADER: &str = "X-Bitbucket-Username";

/// One request's tracker credential headers, as sent (`None`: absent or empty).
#[derive(Default)]
struct CallerCredentials {
    redmine: Option<HeaderValue>,
    bugzilla: Option<HeaderValue>,
    bitbucket_token: Option<HeaderValue>,
    bitbucket_username: Option<HeaderValue>,
}

/// A header's value: text, or present but unusable (not visible ASCII).
enum HeaderValue {
    Text(SecretString),
    Unusable,
}

impl CallerCredentials {
    /// The header that carries `tracker`'s credential, and its value in this request.
    fn of_tracker(&self, tracker: &str) -> Option<(&'static str, Option<&HeaderValue>)> {
        match tracker {
            "Redmine" => Some((REDMINE_HEADER, self.redmine.as_ref())),
            "Bugzilla" => Some((BUGZILLA_HEADER, self.bugzilla.as_ref())),
            "Bitbucket" => Some((BITBUCKET_TOKEN_HEADER, self.bitbucket_token.as_ref())),
            _ => None,
        }
    }

    fn from_headers(headers: &http::HeaderMap) -> Self {
        let get = |name: &str| {
            let value = headers.get(name)?;
            match value.to_str() {
                Ok(text) if text.trim().is_empty() => None,
                Ok(text) => Some(HeaderValue::Text(SecretString::from(text.trim().to_owned()))),
                Err(_) => Some(HeaderValue::Unusable),
            }
        };
        Self {
            redmine: get(REDMINE_HEADER),
            bugzilla: get(BUGZILLA_HEADER),
            bitbucket_token: get(BITBUCKET_TOKEN_HEADER),
            bitbucket_username: get(BITBUCKET_USERNAME_HEADER),
        }
    }
}

tokio::task_local! {
    static CALLER: Arc<CallerCredentials>;
}

/// The credentials of the HTTP request behind one tool call (none over stdio).
pub struct CredentialScope(Option<Arc<CallerCredentials>>);

impl CredentialScope {
    /// Read the request's headers (rmcp hands the handler the request's `http::request::Parts`).
    #[must_use]
    pub fn of(context: &RequestContext<RoleServer>) -> Self {
        Self(
            context
                .extensions
                .get::<http::request::Parts>()
                .map(|parts| Arc::new(CallerCredentials::from_headers(&parts.headers))),
        )
    }

    /// Run one tool call with these credentials; they end with it.
    pub async fn run<F: Future>(self, call: F) -> F::Output {
        match self.0 {
            Some(credentials) => CALLER.scope(credentials, call).await,
            None => call.await,
        }
    }
}

/// The credential a per-user client sends for the current call: the caller's own, in the
/// form `tracker` takes it, with the key alone for trackers that also take it as a parameter.
/// Refused, naming the header, when the request did not carry it.
pub fn caller_auth(tracker: &'static str) -> Result<(Auth, SecretString)> {
    let Ok(credentials) = CALLER.try_with(Arc::clone) else {
        return Err(Error::Unauthorized(format!(
            "per-user credentials (TRACKER_MCP_HTTP_CREDENTIALS=per-user): a request to {tracker} \
             outside a caller's tool call was not sent (the server's own credentials are never used \
             in this mode)"
        )));
    };
    let Some((header, value)) = credentials.of_tracker(tracker) else {
        return Err(Error::Internal(format!("no per-user credential header for {tracker}")));
    };
    let key = text(tracker, header, value)?.ok_or_else(|| {
        Error::Unauthorized(format!(
            "this server uses per-user credentials (TRACKER_MCP_HTTP_CREDENTIALS=per-user) and this \
             request has no {header} header, so nothing was sent to {tracker}: send your own \
             {tracker} credential in {header} (the server's is never used in this mode)"
        ))
    })?;
    let auth = match tracker {
        "Bitbucket" => {
            match text(tracker, BITBUCKET_USERNAME_HEADER, credentials.bitbucket_username.as_ref())? {
                Some(username) => {
                    // A proxy or tracker that echoes the header shows the base64 of
                    // `user:password`, which is the secret too (as for the server's own).
                    use base64::Engine as _;
                    let pair = format!("{}:{}", username.expose_secret(), key.expose_secret());
                    register_secret(&SecretString::from(
                        base64::engine::general_purpose::STANDARD.encode(pair.as_bytes()),
                    ));
                    Auth::Basic { username: username.expose_secret().to_owned(), password: key.clone() }
                }
                None => Auth::Bearer(key.clone()),
            }
        }
        // The same header names upstream, in the lower case `from_static` takes.
        "Redmine" => Auth::Header { name: HeaderName::from_static("x-redmine-api-key"), value: key.clone() },
        _ => Auth::Header { name: HeaderName::from_static("x-bugzilla-api-key"), value: key.clone() },
    };
    Ok((auth, key))
}

/// Which caller the current call is, for caches that hold what one caller's credential may
/// see (Redmine's custom field definitions, user names): a keyed hash of the tracker's
/// credential header (and Bitbucket's username), `None` outside a caller's call or when the
/// header is absent. The key is random per process, so the value says nothing about the
/// secret outside it.
#[must_use]
pub fn caller_key(tracker: &'static str) -> Option<u64> {
    use std::hash::BuildHasher as _;
    static KEY: std::sync::OnceLock<std::hash::RandomState> = std::sync::OnceLock::new();
    let credentials = CALLER.try_with(Arc::clone).ok()?;
    let exposed = |v: Option<&HeaderValue>| match v {
        Some(HeaderValue::Text(secret)) => Some(secret.expose_secret().to_owned()),
        _ => None,
    };
    let key = exposed(credentials.of_tracker(tracker)?.1)?;
    // Bitbucket's token with another username is another caller.
    let username = if tracker == "Bitbucket" {
        exposed(credentials.bitbucket_username.as_ref()).unwrap_or_default()
    } else {
        String::new()
    };
    Some(KEY.get_or_init(std::hash::RandomState::new).hash_one((tracker, username, key)))
}

/// A header's text, registered as a secret so that every message leaving the process masks it.
fn text(tracker: &str, header: &str, value: Option<&HeaderValue>) -> Result<Option<SecretString>> {
    match value {
        None => Ok(None),
        Some(HeaderValue::Unusable) => Err(Error::Unauthorized(format!(
            "the {header} header of this request is not plain text (visible ASCII), so nothing was \
             sent to {tracker}; check the credential"
        ))),
        Some(HeaderValue::Text(secret)) => {
            register_secret(secret);
            Ok(Some(secret.clone()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(headers: &[(&str, &str)]) -> Arc<CallerCredentials> {
        let mut map = http::HeaderMap::new();
        for (name, value) in headers {
            map.insert(HeaderName::from_bytes(name.as_bytes()).expect("name"), value.parse().expect("value"));
        }
        Arc::new(CallerCredentials::from_headers(&map))
    }

    #[tokio::test]
    async fn each_tracker_takes_its_own_header_and_a_missing_one_is_named() {
        let credentials =
            scope(&[("x-redmine-api-key", "rm-caller-key-1"), ("X-Bitbucket-Token", "bb-tok-1")]);
        CALLER
            .scope(credentials, async {
                let (auth, key) = caller_auth("Redmine").expect("redmine");
                assert!(matches!(&auth, Auth::Header { name, .. } if name == "x-redmine-api-key"));
                assert_eq!(key.expose_secret(), "rm-caller-key-1");
                assert!(matches!(caller_auth("Bitbucket").expect("bitbucket").0, Auth::Bearer(_)));
                let Err(Error::Unauthorized(message)) = caller_auth("Bugzilla") else { panic!("served") };
                assert!(message.contains(BUGZILLA_HEADER) && message.contains("never used"), "{message}");
            })
            .await;
        let basic = scope(&[("x-bitbucket-token", "bb-tok-2"), ("x-bitbucket-username", "ann")]);
        CALLER
            .scope(basic, async {
                let (auth, _) = caller_auth("Bitbucket").expect("bitbucket");
                assert!(matches!(auth, Auth::Basic { username, .. } if username == "ann"));
            })
            .await;
    }

    #[tokio::test]
    async fn each_callers_key_is_its_own_and_none_outside_a_call() {
        assert_eq!(caller_key("Redmine"), None);
        let key = |value: &'static str| async move {
            CALLER.scope(scope(&[("x-redmine-api-key", value)]), async { caller_key("Redmine") }).await
        };
        let (a, a_again, b) = (key("rm-key-a").await, key("rm-key-a").await, key("rm-key-b").await);
        assert!(a.is_some() && a == a_again && a != b, "{a:?} {a_again:?} {b:?}");
        let bugzilla =
            CALLER.scope(scope(&[("x-redmine-api-key", "rm-key-a")]), async { caller_key("Bugzilla") });
        assert_eq!(bugzilla.await, None, "no Bugzilla header, no Bugzilla caller");
    }

    #[tokio::test]
    async fn outside_a_call_nothing_is_served() {
        let Err(Error::Unauthorized(message)) = caller_auth("Redmine") else { panic!("served") };
        assert!(message.contains("outside a caller's tool call"), "{message}");
        let empty = scope(&[("x-redmine-api-key", " ")]);
        CALLER
            .scope(empty, async {
                assert!(caller_auth("Redmine").is_err(), "an empty header is no credential");
            })
            .await;
    }
}
