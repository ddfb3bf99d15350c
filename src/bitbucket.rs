//! Bitbucket: one set of tools over two API flavours, Cloud (REST 2.0) and Data Center
//! (REST 1.0).
//!
//! From the bottom up: [`endpoints`] lists every REST endpoint as data (checked against the
//! vendors' OpenAPI specs), [`models`] holds the flavour-neutral models, [`client`] sends,
//! pages and maps errors; [`cloud`] and [`datacenter`] turn each operation into requests and
//! their JSON into models, and [`flavour`] is the one seam that sends an operation to the
//! configured flavour. On top sit the tool sets, one file each ([`repositories`],
//! [`pull_requests`], [`issues`]; `bitbucket:core` is here), rendered by [`render`].

pub mod client;
pub mod cloud;
pub mod datacenter;
pub mod endpoints;
mod flavour;
mod issues;
pub mod models;
mod params;
mod pull_requests;
pub mod render;
mod repositories;

use futures::future::BoxFuture;
use rmcp::model::JsonObject;
use rmcp::{tool, tool_router};
use serde_json::Value;

pub use client::BitbucketApi;

use crate::config::{Config, Flavor, origin_of};
use crate::error::Result;
use crate::server::TrackerServer;
use crate::tracker::{self, Toolset, TrackerApi, TrackerSpec};

/// What the rest of the server knows about Bitbucket.
pub const SPEC: TrackerSpec = TrackerSpec {
    name: "bitbucket",
    connect,
    toolsets: &[
        Toolset { name: "bitbucket:core", router: TrackerServer::bitbucket_core, only_on: None },
        Toolset {
            name: "bitbucket:repositories",
            router: TrackerServer::bitbucket_repositories,
            only_on: None,
        },
        Toolset {
            name: "bitbucket:repositories",
            router: TrackerServer::bitbucket_repositories_cloud,
            only_on: Some(CLOUD),
        },
        Toolset {
            name: "bitbucket:pull_requests",
            router: TrackerServer::bitbucket_pull_requests,
            only_on: None,
        },
        Toolset { name: "bitbucket:issues", router: TrackerServer::bitbucket_issues, only_on: Some(CLOUD) },
    ],
    scope_target: Some(scope_target),
    identifying_args: &[
        "workspace",
        "repo",
        "pull_request_id",
        "issue_id",
        "branch",
        "commit",
        "path",
        "limit",
        "cursor",
        "dry_run",
    ],
};

/// [`TrackerApi::variant`] of Bitbucket Cloud (tool sets only it has name it).
const CLOUD: &str = "cloud";
/// [`TrackerApi::variant`] of Bitbucket Data Center.
const DATA_CENTER: &str = "datacenter";

fn connect(config: &Config) -> Option<Result<tracker::Client>> {
    config
        .bitbucket
        .as_ref()
        .map(|c| BitbucketApi::new(c, &config.http).map(|api| Box::new(api) as tracker::Client))
}

/// Where a call acts: `workspace/repo`, exactly as the request will carry them (not trimmed:
/// the scope check and the request must see the same value).
fn scope_target(arguments: &JsonObject) -> Option<String> {
    let text = |key: &str| arguments.get(key).and_then(Value::as_str).filter(|s| !s.is_empty());
    Some(format!("{}/{}", text("workspace")?, text("repo")?))
}

fn variant_of(flavor: Flavor) -> &'static str {
    match flavor {
        Flavor::Cloud => CLOUD,
        Flavor::DataCenter => DATA_CENTER,
    }
}

impl TrackerApi for BitbucketApi {
    fn describe(&self) -> String {
        let flavor = match self.flavor() {
            Flavor::Cloud => "Cloud",
            Flavor::DataCenter => "Data Center",
        };
        format!("Bitbucket {flavor} at {} (bitbucket_* tools)", origin_of(self.base()))
    }

    fn variant(&self) -> &'static str {
        variant_of(self.flavor())
    }

    fn check(&self) -> BoxFuture<'_, Result<String>> {
        Box::pin(BitbucketApi::check(self))
    }
}

impl TrackerServer {
    /// The configured Bitbucket client.
    pub(crate) fn bitbucket(&self) -> Result<&BitbucketApi> {
        self.api("Bitbucket")
    }
}

#[tool_router(router = bitbucket_core, vis = "pub(crate)")]
impl TrackerServer {
    /// Who this server acts as on Bitbucket (Cloud or Data Center): the account the token
    /// belongs to, and the flavour in use.
    #[tool(
        name = "bitbucket_whoami",
        annotations(
            title = "Bitbucket: who am I",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bitbucket_whoami(&self) -> Result<String> {
        self.bitbucket()?.whoami().await
    }
}
