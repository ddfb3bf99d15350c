//! Bitbucket: one set of tools over two API flavours, Cloud (REST 2.0) and Data Center
//! (REST 1.0).
//!
//! From the bottom up: [`endpoints`] lists every REST endpoint as data (checked against the
//! vendors' OpenAPI specs), [`models`] holds the flavour-neutral models, [`client`] sends,
//! pages and maps errors; [`cloud`] and [`datacenter`] turn each operation into requests and
//! their JSON into models, and [`flavour`] is the one seam that sends an operation to the
//! configured flavour. On top sit the tool sets, one file each ([`repositories`] with [`refs`],
//! [`pull_requests`] with [`pr_comments`], [`tasks`] and [`people`], [`issues`]; `bitbucket:core`
//! is here), rendered by [`render`].

pub mod ci;
pub mod client;
pub mod cloud;
pub mod datacenter;
pub mod endpoints;
mod flavour;
mod issues;
pub mod models;
mod params;
mod people;
mod pipelines;
mod pr_comments;
mod pull_requests;
mod refs;
pub mod render;
mod repositories;
mod tasks;

use futures::future::BoxFuture;
use rmcp::model::JsonObject;
use rmcp::{tool, tool_router};
use serde_json::Value;

pub use client::BitbucketApi;

use crate::catalog::Group;
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
        Toolset { name: "bitbucket:repositories", router: TrackerServer::bitbucket_refs, only_on: None },
        Toolset {
            name: "bitbucket:pull_requests",
            router: TrackerServer::bitbucket_pull_requests,
            only_on: None,
        },
        Toolset {
            name: "bitbucket:pull_requests",
            router: TrackerServer::bitbucket_pr_comments,
            only_on: None,
        },
        Toolset { name: "bitbucket:pull_requests", router: TrackerServer::bitbucket_tasks, only_on: None },
        Toolset { name: "bitbucket:pull_requests", router: TrackerServer::bitbucket_people, only_on: None },
        Toolset { name: "bitbucket:issues", router: TrackerServer::bitbucket_issues, only_on: Some(CLOUD) },
        Toolset { name: "bitbucket:ci", router: TrackerServer::bitbucket_ci, only_on: None },
        Toolset { name: "bitbucket:ci", router: TrackerServer::bitbucket_ci_cloud, only_on: Some(CLOUD) },
    ],
    scope_target: Some(scope_target),
    identifying_args: &[
        "workspace",
        "repo",
        "pull_request_id",
        "comment_id",
        "task_id",
        "issue_id",
        "run",
        "branch",
        "commit",
        "path",
        "from",
        "to",
        "limit",
        "cursor",
        "dry_run",
    ],
    groups: GROUPS,
};

/// How the Bitbucket operations are listed.
const GROUPS: &[Group] = &[
    Group {
        name: "bitbucket_repo_read",
        title: "Bitbucket: read repositories",
        about: "Read Bitbucket repositories.",
        methods: &[
            ("projects", "bitbucket_list_projects"),
            ("repositories", "bitbucket_list_repositories"),
            ("get", "bitbucket_get_repository"),
            ("branches", "bitbucket_list_branches"),
            ("tags", "bitbucket_list_tags"),
            ("commits", "bitbucket_list_commits"),
            ("commit", "bitbucket_get_commit"),
            ("file", "bitbucket_get_file"),
            ("search", "bitbucket_search_code"),
            ("compare", "bitbucket_compare"),
            ("reviewers", "bitbucket_get_default_reviewers"),
            ("users", "bitbucket_find_users"),
        ],
        args: &[
            ("workspace", "Cloud workspace, or Data Center project key."),
            ("repo", "Repository slug."),
            ("path", "File or directory, e.g. src/main.rs."),
        ],
    },
    Group {
        name: "bitbucket_repo_write",
        title: "Bitbucket: change repositories",
        about: "Change Bitbucket repositories.",
        methods: &[("create_branch", "bitbucket_create_branch")],
        args: &[],
    },
    Group {
        name: "bitbucket_pull_request_read",
        title: "Bitbucket: read pull requests",
        about: "Read Bitbucket pull requests.",
        methods: &[
            ("list", "bitbucket_list_pull_requests"),
            ("get", "bitbucket_get_pull_request"),
            ("diff", "bitbucket_get_pull_request_diff"),
            ("comments", "bitbucket_list_pull_request_comments"),
            ("commits", "bitbucket_list_pull_request_commits"),
            ("activity", "bitbucket_get_pull_request_activity"),
            ("ci", "bitbucket_get_ci"),
            ("tasks", "bitbucket_list_pull_request_tasks"),
            ("inbox", "bitbucket_inbox"),
        ],
        args: &[],
    },
    Group {
        name: "bitbucket_pull_request_write",
        title: "Bitbucket: change pull requests",
        about: "Change Bitbucket pull requests; run and stop pipelines.",
        methods: &[
            ("create", "bitbucket_create_pull_request"),
            ("comment", "bitbucket_add_pull_request_comment"),
            ("approve", "bitbucket_approve_pull_request"),
            ("request_changes", "bitbucket_request_changes"),
            ("merge", "bitbucket_merge_pull_request"),
            ("decline", "bitbucket_decline_pull_request"),
            ("update", "bitbucket_update_pull_request"),
            ("edit_comment", "bitbucket_edit_pull_request_comment"),
            ("delete_comment", "bitbucket_delete_pull_request_comment"),
            ("resolve_comment", "bitbucket_resolve_pull_request_comment"),
            ("reopen_comment", "bitbucket_reopen_pull_request_comment"),
            ("unapprove", "bitbucket_unapprove_pull_request"),
            ("withdraw_changes", "bitbucket_withdraw_change_request"),
            ("run_pipeline", "bitbucket_run_pipeline"),
            ("stop_pipeline", "bitbucket_stop_pipeline"),
            ("add_task", "bitbucket_add_pull_request_task"),
            ("resolve_task", "bitbucket_resolve_pull_request_task"),
            ("delete_task", "bitbucket_delete_pull_request_task"),
        ],
        args: &[
            ("close_source_branch", "Delete the source branch (Cloud)."),
            ("draft", "create: open as a draft; update: false marks it ready."),
        ],
    },
    Group {
        name: "bitbucket_issue_read",
        title: "Bitbucket: read issues",
        about: "Read Bitbucket Cloud issues.",
        methods: &[("list", "bitbucket_list_issues"), ("get", "bitbucket_get_issue")],
        args: &[("cursor", "`next` of the prior page.")],
    },
    Group {
        name: "bitbucket_issue_write",
        title: "Bitbucket: change issues",
        about: "File and comment on Bitbucket Cloud issues.",
        methods: &[("create", "bitbucket_create_issue"), ("comment", "bitbucket_add_issue_comment")],
        args: &[],
    },
];

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
    /// The account and flavour (Cloud or Data Center) this server acts as on Bitbucket.
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
