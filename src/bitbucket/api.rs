//! The Bitbucket client: Cloud (`<url>/2.0/...`) or Data Center (`<url>/rest/api/1.0/...`).

use serde::Deserialize;

use crate::config::{BitbucketConfig, Flavor, HttpSettings};
use crate::error::Result;
use crate::http::{Auth, HttpClient, Request, Response};

/// Name used in messages.
pub const TRACKER: &str = "Bitbucket";

#[derive(Debug, Clone)]
pub struct BitbucketApi {
    http: HttpClient,
    flavor: Flavor,
}

#[derive(Debug, Deserialize)]
struct CloudUser {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    nickname: String,
}

#[derive(Debug, Deserialize)]
struct DcProperties {
    #[serde(default)]
    version: String,
}

impl BitbucketApi {
    pub fn new(config: &BitbucketConfig, settings: &HttpSettings) -> Result<Self> {
        let auth = match &config.username {
            Some(username) => Auth::Basic { username: username.clone(), password: config.token.clone() },
            None => Auth::Bearer(config.token.clone()),
        };
        Ok(Self {
            http: HttpClient::new(TRACKER, config.url.clone(), auth, settings)?,
            flavor: config.flavor,
        })
    }

    #[must_use]
    pub fn flavor(&self) -> Flavor {
        self.flavor
    }

    /// Send a request; non-success statuses become errors naming `subject`.
    pub async fn send(&self, request: Request, subject: &str) -> Result<Response> {
        let response = self.http.execute(request).await?;
        if response.is_success() {
            return Ok(response);
        }
        Err(response.status_error(TRACKER, subject, None))
    }

    /// The account and flavour, in one line.
    pub async fn whoami(&self) -> Result<String> {
        match self.flavor {
            Flavor::Cloud => {
                let user: CloudUser =
                    self.send(Request::get(["2.0", "user"]), "the current user").await?.json(TRACKER)?;
                Ok(format!("Acting as {} ({}) on Bitbucket Cloud.", user.display_name, user.nickname))
            }
            Flavor::DataCenter => {
                let response = self
                    .send(
                        Request::get(["rest", "api", "1.0", "application-properties"]),
                        "the server properties",
                    )
                    .await?;
                let user = response
                    .headers
                    .get("x-ausername")
                    .and_then(|v| v.to_str().ok())
                    .map_or_else(|| "an unnamed account".to_owned(), str::to_owned);
                let DcProperties { version } = response.json(TRACKER)?;
                Ok(format!("Acting as {user} on Bitbucket Data Center {version}."))
            }
        }
    }

    /// One line for `tracker-mcp check`.
    pub async fn check(&self) -> Result<String> {
        self.whoami().await
    }
}
