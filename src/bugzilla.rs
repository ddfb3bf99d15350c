//! Bugzilla tool set, over Bugzilla's REST API (`/rest/...`), for 5.0, 5.2 and 5.3.3+.
//!
//! [`client`] sends (key placement, error mapping in [`errors`]) the requests named in
//! [`endpoints`], decoded into [`models`] and shown by [`render`]. Each tool set has its
//! file: `bugzilla:bugs` ([`bugs`]; what an update sends and checks is in [`update`], the
//! cross-bug reads, flags requested of me and the dependency tree, in [`relations`]),
//! `bugzilla:attachments` ([`attachments`]),
//! `bugzilla:products` ([`products`]), `bugzilla:users` ([`users`]); `bugzilla:core`
//! (whoami) is here, with the descriptor [`SPEC`].

mod attachments;
mod base64;
mod bugs;
pub mod client;
pub mod endpoints;
pub mod models;
mod params;
mod products;
mod relations;
pub mod render;
mod update;
mod users;

use futures::future::BoxFuture;
use rmcp::{tool, tool_router};
use serde::Deserialize;
use serde_json::Value;

pub use client::BugzillaApi;
use client::{Placement, TRACKER};

use crate::catalog::Group;
use crate::config::{Config, KeyMode, origin_of};
use crate::error::{Error, Result};
use crate::server::TrackerServer;
use crate::tracker::{Client, Toolset, TrackerApi, TrackerSpec};

/// What the rest of the server knows about Bugzilla.
pub const SPEC: TrackerSpec = TrackerSpec {
    name: "bugzilla",
    connect,
    toolsets: &[
        Toolset { name: "bugzilla:core", router: TrackerServer::bugzilla_core, only_on: None },
        Toolset { name: "bugzilla:bugs", router: TrackerServer::bugzilla_bugs, only_on: None },
        Toolset { name: "bugzilla:attachments", router: TrackerServer::bugzilla_attachments, only_on: None },
        Toolset { name: "bugzilla:products", router: TrackerServer::bugzilla_products, only_on: None },
        Toolset { name: "bugzilla:users", router: TrackerServer::bugzilla_users, only_on: None },
    ],
    scope_target: None,
    identifying_args: &[
        "id",
        "ids",
        "product",
        "component",
        "version",
        "status",
        "assignee",
        "limit",
        "offset",
        "cursor",
        "dry_run",
    ],
    groups: GROUPS,
};

/// How the Bugzilla operations are listed.
const GROUPS: &[Group] = &[
    Group {
        name: "bugzilla_bug_read",
        title: "Bugzilla: read bugs",
        about: "Read Bugzilla bugs: a bug is its id or alias.",
        methods: &[
            ("get", "bugzilla_get_bug"),
            ("search", "bugzilla_search_bugs"),
            ("comments", "bugzilla_get_comments"),
            ("history", "bugzilla_get_history"),
            ("attachments", "bugzilla_list_attachments"),
            ("attachment", "bugzilla_get_attachment"),
            ("requested", "bugzilla_requested_flags"),
            ("tree", "bugzilla_dependency_tree"),
        ],
        args: &[],
    },
    Group {
        name: "bugzilla_bug_write",
        title: "Bugzilla: change bugs",
        about: "File and change Bugzilla bugs. `dry_run` shows the request without sending it. \
                Lists in update add; prefix \"-\" (ids: negative) removes.",
        methods: &[
            ("create", "bugzilla_create_bug"),
            ("update", "bugzilla_update_bug"),
            ("comment", "bugzilla_add_comment"),
            ("attach", "bugzilla_add_attachment"),
        ],
        args: &[
            ("assignee", "Assignee login (create: default the component's)."),
            ("cc", "CC logins."),
            ("blocks", "Bug ids it blocks."),
            ("dry_run", "Dry run."),
            ("comment", "Comment."),
            ("priority", "Priority, e.g. \"High\"."),
            ("severity", "Severity, e.g. \"normal\"."),
            ("keywords", "Keywords."),
            ("depends_on", "Bug ids it depends on."),
        ],
    },
    Group {
        name: "bugzilla_product_read",
        title: "Bugzilla: read products and fields",
        about: "Bugzilla products and the field values bugs take.",
        methods: &[
            ("list", "bugzilla_list_products"),
            ("get", "bugzilla_get_product"),
            ("field_values", "bugzilla_get_field_values"),
        ],
        args: &[],
    },
];

fn connect(config: &Config) -> Option<Result<Client>> {
    config.bugzilla.as_ref().map(|c| BugzillaApi::new(c, &config.http).map(|api| Box::new(api) as Client))
}

impl TrackerApi for BugzillaApi {
    fn describe(&self) -> String {
        format!("Bugzilla at {} (bugzilla_* tools)", origin_of(&self.url))
    }

    fn check(&self) -> BoxFuture<'_, Result<String>> {
        Box::pin(BugzillaApi::check(self))
    }
}

#[derive(Debug, Deserialize)]
struct WhoAmI {
    name: String,
    #[serde(default)]
    real_name: String,
    id: u64,
}

#[tool_router(router = bugzilla_core, vis = "pub(crate)")]
impl TrackerServer {
    /// Who this server acts as on Bugzilla, the version, and how the API key is sent. Use it
    /// when a bug seems missing or a write is refused.
    #[tool(
        name = "bugzilla_whoami",
        annotations(
            title = "Bugzilla: who am I",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bugzilla_whoami(&self) -> Result<String> {
        self.bugzilla()?.whoami().await
    }
}

impl TrackerServer {
    /// The configured Bugzilla client.
    pub(crate) fn bugzilla(&self) -> Result<&BugzillaApi> {
        self.api("Bugzilla")
    }
}

impl BugzillaApi {
    /// How reads send the key, in words.
    pub async fn key_mode_line(&self) -> Result<String> {
        let placement = self.placement().await?;
        let how = match self.key_mode {
            KeyMode::Auto => "detected (BUGZILLA_API_KEY_MODE=auto)",
            KeyMode::Header => "set by BUGZILLA_API_KEY_MODE=header",
            KeyMode::Param => "set by BUGZILLA_API_KEY_MODE=param",
        };
        Ok(match placement {
            Placement::Anonymous => "no key (BUGZILLA_ANONYMOUS=true)".to_owned(),
            Placement::Header if self.key_mode == KeyMode::Auto => format!(
                "key mode: header, {how}: the instance honours X-BUGZILLA-API-KEY; the key is never put in a URL"
            ),
            Placement::Header => format!("key mode: header, {how}: the key is never put in a URL"),
            Placement::Query if self.key_mode == KeyMode::Auto => format!(
                "key mode: param, {how}: the instance ignores X-BUGZILLA-API-KEY, so reads also carry \
                 api_key in the query and writes in the JSON body"
            ),
            Placement::Query => format!(
                "key mode: param, {how}: reads also carry api_key in the query and writes in the JSON body"
            ),
        })
    }

    /// The login this server acts as: `/rest/whoami` (5.3.3+), else BUGZILLA_LOGIN.
    pub async fn current_login(&self) -> Result<String> {
        if self.anonymous {
            return Err(Error::Unauthorized(
                "the server runs anonymously (BUGZILLA_ANONYMOUS=true): nothing is requested of anyone"
                    .into(),
            ));
        }
        let request = self.read_request(&endpoints::WHOAMI, &[]).await?;
        let response = self.http.execute(request).await?;
        if response.is_success() {
            let who: WhoAmI = response.json(TRACKER)?;
            return Ok(who.name);
        }
        if client::error_code(&response) != Some(32614) && response.status != 404 {
            return Err(self.map_error(&response, "the current user"));
        }
        self.login.clone().ok_or_else(|| {
            Error::Config(
                "this Bugzilla has no /rest/whoami, so the key's owner is unknown: set BUGZILLA_LOGIN".into(),
            )
        })
    }

    /// Who the server acts as, the version, and the key mode.
    pub async fn whoami(&self) -> Result<String> {
        let version = self.version().await?;
        let mode = self.key_mode_line().await?;
        if self.anonymous {
            return Ok(format!(
                "Acting anonymously on Bugzilla {version} (BUGZILLA_ANONYMOUS=true): only public bugs \
                 are visible and writes are refused."
            ));
        }
        let request = self.read_request(&endpoints::WHOAMI, &[]).await?;
        let response = self.http.execute(request).await?;
        if response.is_success() {
            let who: WhoAmI = response.json(TRACKER)?;
            return Ok(format!(
                "Acting as {} ({}, id {}) on Bugzilla {version}; {mode}.",
                crate::render::one_line(&who.real_name),
                who.name,
                who.id
            ));
        }
        if client::error_code(&response) != Some(32614) && response.status != 404 {
            return Err(self.map_error(&response, "the current user"));
        }
        // 5.0/5.2: no /rest/whoami. Prove the key works, then name the owner if we can.
        let probe = self
            .read_request(&endpoints::USERS, &[])
            .await?
            .query("match", "tracker-mcp-key-probe")
            .query("limit", 1);
        self.send(probe, "the key check").await?;
        match &self.login {
            Some(login) if self.key_mode == KeyMode::Header => Ok(format!(
                "Key accepted; BUGZILLA_LOGIN={login} not checked: Bugzilla {version} has no \
                 /rest/whoami and /rest/valid_login needs the key in the URL, which \
                 BUGZILLA_API_KEY_MODE=header rules out; {mode}."
            )),
            Some(login) => {
                let request = endpoints::VALID_LOGIN.request(&[]).query("login", login).key_in_query();
                let valid: Value = self.send(request, "the login check").await?.json(TRACKER)?;
                if valid.get("result") == Some(&Value::Bool(true)) {
                    Ok(format!(
                        "Acting as {login} on Bugzilla {version} (key checked with /rest/valid_login); {mode}."
                    ))
                } else {
                    Err(Error::Unauthorized(format!(
                        "Bugzilla says the API key does not belong to BUGZILLA_LOGIN={login}; fix \
                         either variable"
                    )))
                }
            }
            None => Ok(format!(
                "Key accepted, login unknown: Bugzilla {version} has no /rest/whoami. Set \
                 BUGZILLA_LOGIN to the key owner's login so it can be checked; {mode}."
            )),
        }
    }
}
