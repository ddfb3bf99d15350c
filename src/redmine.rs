//! Redmine, over its REST API (`X-Redmine-API-Key`).
//!
//! [`client`] sends and maps errors and resolves names to ids; [`endpoints`] lists the REST
//! calls; each area file is one tool set's `#[tool_router]` with its tools, their parameters
//! and their operations; [`render`] turns answers into compact text.

mod attachments;
pub mod client;
mod endpoints;
mod issue_fields;
mod issue_writes;
mod issues;
mod params;
mod projects;
pub mod render;
mod search;
mod time;
mod wiki;

use futures::future::BoxFuture;
use rmcp::{tool, tool_router};

pub use client::RedmineApi;
pub use params::NameOrId;

use crate::config::Config;
use crate::error::Result;
use crate::server::TrackerServer;
use crate::tracker::{Client, Toolset, TrackerApi, TrackerSpec};

/// What the rest of the server knows about Redmine.
pub const SPEC: TrackerSpec = TrackerSpec {
    name: "redmine",
    connect,
    toolsets: &[
        Toolset { name: "redmine:core", router: TrackerServer::redmine_core_tools, only_on: None },
        Toolset { name: "redmine:projects", router: TrackerServer::redmine_projects_tools, only_on: None },
        Toolset { name: "redmine:issues", router: TrackerServer::redmine_issues_tools, only_on: None },
        Toolset { name: "redmine:issues", router: TrackerServer::redmine_attachments_tools, only_on: None },
        Toolset { name: "redmine:issues", router: TrackerServer::redmine_issue_writes_tools, only_on: None },
        Toolset { name: "redmine:time", router: TrackerServer::redmine_time_tools, only_on: None },
        Toolset { name: "redmine:wiki", router: TrackerServer::redmine_wiki_tools, only_on: None },
        Toolset { name: "redmine:search", router: TrackerServer::redmine_search_tools, only_on: None },
    ],
    scope_target: None,
    identifying_args: &[
        "id", "project", "version", "status", "tracker", "assignee", "limit", "offset", "cursor", "dry_run",
    ],
};

fn connect(config: &Config) -> Option<Result<Client>> {
    let redmine = config.redmine.as_ref()?;
    Some(RedmineApi::new(redmine, &config.http).map(|api| Box::new(api) as Client))
}

impl TrackerApi for RedmineApi {
    fn describe(&self) -> String {
        format!("Redmine at {} (redmine_* tools)", self.origin())
    }

    fn check(&self) -> BoxFuture<'_, Result<String>> {
        Box::pin(self.whoami())
    }
}

impl TrackerServer {
    /// The configured Redmine client.
    pub(crate) fn redmine(&self) -> Result<&RedmineApi> {
        self.api("Redmine")
    }
}

#[tool_router(router = redmine_core_tools, vis = "pub(crate)")]
impl TrackerServer {
    /// Who this server acts as on Redmine: the user the API key belongs to (name, login, id,
    /// admin or not), or that access is anonymous. Use it when a result looks like missing
    /// permissions.
    #[tool(
        name = "redmine_whoami",
        annotations(
            title = "Redmine: who am I",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn redmine_whoami(&self) -> Result<String> {
        self.redmine()?.whoami().await
    }
}
