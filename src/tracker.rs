//! The descriptor every tracker exports, and the list of trackers.
//!
//! Shared code (server, policy, audit log, tests) knows the trackers only through
//! [`TRACKERS`]: each [`TrackerSpec`] says how to connect the tracker when it is configured,
//! which tool sets it has (each one a `#[tool_router]` in one area file of the tracker), where
//! a destructive call acts (for `TRACKER_MCP_WRITE_SCOPE`) and which arguments identify a call
//! in the audit log. No shared module names a tool.

use std::any::Any;

use futures::future::BoxFuture;
use rmcp::handler::server::tool::ToolRouter;
use rmcp::model::JsonObject;

use crate::catalog::Group;
use crate::config::Config;
use crate::error::Result;
use crate::server::TrackerServer;

/// Every tracker this binary knows, in the order they are listed and checked.
pub const TRACKERS: &[&TrackerSpec] =
    &[&crate::bugzilla::SPEC, &crate::redmine::SPEC, &crate::bitbucket::SPEC];

/// What a tracker tells the rest of the server about itself.
pub struct TrackerSpec {
    /// The tool-name prefix and the first part of its tool-set names: `redmine`.
    pub name: &'static str,
    /// The tracker's client, when the configuration enables the tracker (`None` otherwise).
    pub connect: fn(&Config) -> Option<Result<Client>>,
    /// Its tool sets; `<name>:core` (whoami) comes with any of its areas.
    pub toolsets: &'static [Toolset],
    /// The container a write acts on, from its arguments (`acme/web`), for
    /// `TRACKER_MCP_WRITE_SCOPE` as `<name>:<container>`. `None` when the tracker's writes do
    /// not all name their container (Redmine and Bugzilla update by issue or bug id): a scope
    /// entry for it is refused at start rather than silently doing nothing.
    pub scope_target: Option<fn(&JsonObject) -> Option<String>>,
    /// Argument names the audit log keeps: identifiers, never free text.
    pub identifying_args: &'static [&'static str],
    /// How its operations are listed: a few tools per resource ([`crate::catalog`]).
    pub groups: &'static [Group],
}

/// One area of a tracker: a tool set, served by one router.
pub struct Toolset {
    /// `tracker:area`, as `TRACKER_MCP_TOOLSETS` names it.
    pub name: &'static str,
    /// The area's tools (`#[tool_router(router = ...)]`).
    pub router: fn() -> ToolRouter<TrackerServer>,
    /// The variant of the tracker this set exists on (Bitbucket `"cloud"`), `None` for all.
    pub only_on: Option<&'static str>,
}

/// A configured tracker's client, as the server holds it.
pub type Client = Box<dyn TrackerApi>;

/// What every tracker's client does for the server.
pub trait TrackerApi: Any + Send + Sync {
    /// One phrase for the instructions: `Redmine at https://… (redmine_* tools)`.
    fn describe(&self) -> String;
    /// Which variant this instance is (compared with [`Toolset::only_on`]).
    fn variant(&self) -> &'static str {
        ""
    }
    /// Who the credential acts as, for `tracker-mcp check` and the start-up check.
    fn check(&self) -> BoxFuture<'_, Result<String>>;
}

impl TrackerSpec {
    /// The spec whose tools start with `<name>_`.
    #[must_use]
    pub fn of_tool(tool: &str) -> Option<&'static TrackerSpec> {
        TRACKERS
            .iter()
            .copied()
            .find(|spec| tool.strip_prefix(spec.name).is_some_and(|rest| rest.starts_with('_')))
    }

    /// The tool sets this instance offers.
    pub fn offered(&'static self, api: &dyn TrackerApi) -> impl Iterator<Item = &'static Toolset> + use<> {
        let variant = api.variant();
        self.toolsets.iter().filter(move |set| set.only_on.is_none_or(|only| only == variant))
    }
}
