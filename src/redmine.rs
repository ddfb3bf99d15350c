//! Redmine, over its REST API (`X-Redmine-API-Key`).
//!
//! [`client`] sends and maps errors and resolves names to ids; [`endpoints`] lists the REST
//! calls; each area file is one tool set's `#[tool_router]` with its tools, their parameters
//! and their operations; [`models`] are the answers, decoded; [`render`] turns them into
//! compact text.

mod attachments;
pub mod client;
mod endpoints;
mod issue_fields;
mod issue_writes;
mod issues;
pub mod models;
mod params;
mod projects;
mod queries;
pub mod render;
mod search;
mod time;
mod watchers;
mod wiki;

use futures::future::BoxFuture;
use rmcp::{tool, tool_router};

pub use client::RedmineApi;
pub use params::NameOrId;

use crate::catalog::Group;
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
        Toolset { name: "redmine:issues", router: TrackerServer::redmine_queries_tools, only_on: None },
        Toolset { name: "redmine:issues", router: TrackerServer::redmine_issue_writes_tools, only_on: None },
        Toolset { name: "redmine:issues", router: TrackerServer::redmine_watchers_tools, only_on: None },
        Toolset { name: "redmine:time", router: TrackerServer::redmine_time_tools, only_on: None },
        Toolset { name: "redmine:wiki", router: TrackerServer::redmine_wiki_tools, only_on: None },
        Toolset { name: "redmine:search", router: TrackerServer::redmine_search_tools, only_on: None },
    ],
    scope_target: None,
    identifying_args: &[
        "id", "project", "version", "status", "tracker", "assignee", "limit", "offset", "cursor", "dry_run",
    ],
    groups: GROUPS,
};

/// How the Redmine operations are listed.
const GROUPS: &[Group] = &[
    Group {
        name: "redmine_issue_read",
        title: "Redmine: read issues",
        about: "Read Redmine issues. Names work where ids do; `me` is the current user.",
        methods: &[
            ("get", "redmine_get_issue"),
            ("search", "redmine_search_issues"),
            ("attachment", "redmine_get_attachment"),
            ("queries", "redmine_list_queries"),
        ],
        args: &[("id", "Issue id (attachment: attachment id).")],
    },
    Group {
        name: "redmine_issue_write",
        title: "Redmine: change issues",
        about: "Create and change Redmine issues; names work where ids do. `dry_run` shows the request.",
        methods: &[
            ("create", "redmine_create_issue"),
            ("update", "redmine_update_issue"),
            ("note", "redmine_add_note"),
            ("relate", "redmine_add_relation"),
            ("unrelate", "redmine_delete_relation"),
            ("edit_note", "redmine_edit_note"),
            ("watch", "redmine_add_watcher"),
            ("unwatch", "redmine_remove_watcher"),
        ],
        args: &[
            ("id", "Issue id (unrelate: relation id)."),
            ("project", "Project identifier or id (update: move the issue there)."),
            ("notes", "Comment (Redmine markup)."),
        ],
    },
    Group {
        name: "redmine_project_read",
        title: "Redmine: read projects",
        about: "Redmine projects and the names other tools accept.",
        methods: &[
            ("list", "redmine_list_projects"),
            ("get", "redmine_get_project"),
            ("versions", "redmine_list_versions"),
            ("enumerations", "redmine_list_enumerations"),
        ],
        args: &[],
    },
    Group {
        name: "redmine_wiki_read",
        title: "Redmine: read wiki",
        about: "Read a Redmine project's wiki.",
        methods: &[("list", "redmine_list_wiki_pages"), ("get", "redmine_get_wiki_page")],
        args: &[],
    },
    Group {
        name: "redmine_wiki_write",
        title: "Redmine: write wiki",
        about: "Write a Redmine wiki page.",
        methods: &[("update", "redmine_update_wiki_page")],
        args: &[],
    },
    Group {
        name: "redmine_time_read",
        title: "Redmine: read time entries",
        about: "Redmine time entries.",
        methods: &[("list", "redmine_list_time_entries")],
        args: &[],
    },
    Group {
        name: "redmine_time_write",
        title: "Redmine: write time entries",
        about: "Log, fix or delete Redmine time entries.",
        methods: &[
            ("log", "redmine_log_time"),
            ("update", "redmine_update_time_entry"),
            ("delete", "redmine_delete_time_entry"),
        ],
        args: &[("id", "Time entry id."), ("issue", "Issue id (log: or `project`; update: move there).")],
    },
];

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
    /// The Redmine user this server acts as (or anonymous); check it when permissions seem
    /// missing.
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
