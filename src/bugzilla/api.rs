//! Typed client for Bugzilla's REST API.

use reqwest::header::HeaderName;
use serde::Deserialize;

use crate::config::{BugzillaConfig, HttpSettings, KeyMode};
use crate::error::{Error, Result};
use crate::http::{Auth, HttpClient, Request, Response};

/// Name used in messages.
pub const TRACKER: &str = "Bugzilla";

#[derive(Debug, Clone)]
pub struct BugzillaApi {
    http: HttpClient,
    anonymous: bool,
    key_mode: KeyMode,
    login: Option<String>,
}

/// Bugzilla's error body: `code` is a number on 5.2 and a string on 5.3.3.
#[derive(Debug, Deserialize)]
pub struct ErrorBody {
    #[serde(default)]
    pub code: Option<serde_json::Value>,
    #[serde(default)]
    pub message: Option<String>,
}

impl ErrorBody {
    #[must_use]
    pub fn code(&self) -> Option<i64> {
        match &self.code {
            Some(serde_json::Value::Number(n)) => n.as_i64(),
            Some(serde_json::Value::String(s)) => s.parse().ok(),
            _ => None,
        }
    }
}

#[derive(Debug, Deserialize)]
struct Version {
    version: String,
}

#[derive(Debug, Deserialize)]
struct WhoAmI {
    name: String,
    #[serde(default)]
    real_name: String,
    id: u64,
}

impl BugzillaApi {
    pub fn new(config: &BugzillaConfig, settings: &HttpSettings) -> Result<Self> {
        let http = match &config.api_key {
            Some(key) => HttpClient::new(
                TRACKER,
                config.url.clone(),
                Auth::Header { name: HeaderName::from_static("x-bugzilla-api-key"), value: key.clone() },
                settings,
            )?
            .with_key_param("api_key", key.clone()),
            None => HttpClient::new(TRACKER, config.url.clone(), Auth::None, settings)?,
        };
        Ok(Self {
            http,
            anonymous: config.api_key.is_none(),
            key_mode: config.key_mode,
            login: config.login.clone(),
        })
    }

    /// Send a request under `/rest`; Bugzilla's JSON errors become errors naming `subject`.
    pub async fn send(&self, request: Request, subject: &str) -> Result<Response> {
        let response = self.http.execute(request).await?;
        if response.is_success() {
            return Ok(response);
        }
        let body: Option<ErrorBody> = serde_json::from_slice(&response.body).ok();
        let message = body.as_ref().and_then(|b| b.message.as_deref());
        if body.as_ref().and_then(ErrorBody::code) == Some(306) {
            return Err(Error::Unauthorized(
                "Bugzilla says the API key is invalid (code 306): check BUGZILLA_API_KEY".into(),
            ));
        }
        Err(response.status_error(TRACKER, subject, message))
    }

    fn read(&self, segments: &[&str]) -> Request {
        let request = Request::get(std::iter::once("rest").chain(segments.iter().copied()));
        if !self.anonymous && self.key_mode == KeyMode::Param { request.key_in_query() } else { request }
    }

    /// The account and version, in one line.
    pub async fn whoami(&self) -> Result<String> {
        let Version { version } = self.send(self.read(&["version"]), "the version").await?.json(TRACKER)?;
        if self.anonymous {
            return Ok(format!(
                "Acting anonymously on Bugzilla {version} (BUGZILLA_ANONYMOUS=true): only public bugs are visible."
            ));
        }
        let response = self.http.execute(self.read(&["whoami"])).await?;
        if response.is_success() {
            let who: WhoAmI = response.json(TRACKER)?;
            return Ok(format!(
                "Acting as {} ({}, id {}) on Bugzilla {version}.",
                who.real_name, who.name, who.id
            ));
        }
        if response.status != 404 {
            return self.send(self.read(&["whoami"]), "the current user").await.map(|_| String::new());
        }
        match &self.login {
            Some(login) => {
                let request = Request::get(["rest", "valid_login"]).query("login", login).key_in_query();
                let valid: serde_json::Value = self.send(request, "the login check").await?.json(TRACKER)?;
                if valid.get("result") == Some(&serde_json::Value::Bool(true)) {
                    Ok(format!(
                        "Acting as {login} on Bugzilla {version} (key checked with /rest/valid_login)."
                    ))
                } else {
                    Err(Error::Unauthorized(format!(
                        "Bugzilla says the API key does not belong to BUGZILLA_LOGIN={login}; fix either variable"
                    )))
                }
            }
            None => Ok(format!(
                "Bugzilla {version} has no /rest/whoami: the key owner is unknown. Set BUGZILLA_LOGIN \
                 to the key owner's login so it can be checked."
            )),
        }
    }

    /// One line for `tracker-mcp check`.
    pub async fn check(&self) -> Result<String> {
        self.whoami().await
    }
}
