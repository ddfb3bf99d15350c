//! Typed client for Redmine's REST API: one method per endpoint, models with only the fields
//! we show.

use reqwest::header::HeaderName;
use serde::Deserialize;

use crate::config::{HttpSettings, RedmineConfig};
use crate::error::Result;
use crate::http::{Auth, HttpClient, Request, Response};

/// Name used in messages.
pub const TRACKER: &str = "Redmine";

#[derive(Debug, Clone)]
pub struct RedmineApi {
    http: HttpClient,
    anonymous: bool,
}

#[derive(Debug, Deserialize)]
struct CurrentUser {
    user: User,
}

#[derive(Debug, Deserialize)]
struct User {
    id: u64,
    #[serde(default)]
    login: String,
    #[serde(default)]
    firstname: String,
    #[serde(default)]
    lastname: String,
    #[serde(default)]
    admin: bool,
}

impl RedmineApi {
    pub fn new(config: &RedmineConfig, settings: &HttpSettings) -> Result<Self> {
        let auth = match &config.api_key {
            Some(key) => {
                Auth::Header { name: HeaderName::from_static("x-redmine-api-key"), value: key.clone() }
            }
            None => Auth::None,
        };
        Ok(Self {
            http: HttpClient::new(TRACKER, config.url.clone(), auth, settings)?,
            anonymous: config.api_key.is_none(),
        })
    }

    /// Send a request; non-success statuses become errors naming `subject`.
    pub async fn send(&self, request: Request, subject: &str) -> Result<Response> {
        let response = self.http.execute(request).await?;
        if response.is_success() {
            return Ok(response);
        }
        Err(response.status_error(TRACKER, subject, None))
    }

    /// Who the key belongs to, in one line.
    pub async fn whoami(&self) -> Result<String> {
        if self.anonymous {
            self.send(Request::get(["projects.json"]).query("limit", 1), "the project list").await?;
            return Ok(
                "Acting anonymously on Redmine (REDMINE_ANONYMOUS=true): only public data is visible.".into(),
            );
        }
        let response = self.send(Request::get(["users", "current.json"]), "the current user").await?;
        let CurrentUser { user } = response.json(TRACKER)?;
        Ok(format!(
            "Acting as {} {} (login {}, id {}{}) on Redmine.",
            user.firstname,
            user.lastname,
            user.login,
            user.id,
            if user.admin { ", administrator" } else { "" }
        ))
    }

    /// One line for `tracker-mcp check`.
    pub async fn check(&self) -> Result<String> {
        self.whoami().await
    }
}
