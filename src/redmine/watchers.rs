//! Watchers of a Redmine issue: add and remove (`redmine:issues`, writes).
//!
//! Redmine answers 204 to both even when nothing changed (a user who may not watch the issue is
//! skipped silently), so the watcher list is read back and the outcome said as it is.

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use super::client::{RedmineApi, Subject};
use super::endpoints as E;
use super::issues::fetch_issue;
use super::models::{Issue, UserAnswer};
use super::params::*;
use crate::error::Result;
use crate::server::TrackerServer;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct WatcherParams {
    /// Issue id.
    pub id: i64,
    /// `me`, user id, login or name.
    pub user: NameOrId,
    /// Only show the request.
    #[serde(default)]
    pub dry_run: bool,
}

#[tool_router(router = redmine_watchers_tools, vis = "pub(crate)")]
impl TrackerServer {
    /// Add a watcher to an issue.
    #[tool(
        name = "redmine_add_watcher",
        annotations(
            title = "Redmine: add watcher",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn redmine_add_watcher(&self, Parameters(p): Parameters<WatcherParams>) -> Result<String> {
        let api = self.redmine()?;
        let id = id_str("id", p.id)?;
        let issue = fetch_issue(api, &id, "watchers").await?;
        let user = user_id(api, &p.user, &issue).await?;
        let body = json!({ "user_id": user });
        let request = E::ADD_WATCHER.request(&[&id]).json(body.clone());
        if p.dry_run {
            return dry_run(api, &request, &body);
        }
        api.send(request, Subject::write("add watchers to", &format!("issue {id}"))).await?;
        let after = fetch_issue(api, &id, "watchers").await?;
        Ok(if watches(&after, user) {
            format!("Watching issue #{id}: {}.", watcher_names(&after))
        } else {
            format!(
                "Redmine accepted the request, but user {user} is not among the watchers of issue #{id} \
                 this key can see (Redmine skips users who may not watch it: inactive, or not allowed \
                 to see the issue). Watchers: {}.",
                watcher_names(&after)
            )
        })
    }

    /// Remove a watcher from an issue.
    #[tool(
        name = "redmine_remove_watcher",
        annotations(
            title = "Redmine: remove watcher",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn redmine_remove_watcher(&self, Parameters(p): Parameters<WatcherParams>) -> Result<String> {
        let api = self.redmine()?;
        let id = id_str("id", p.id)?;
        let issue = fetch_issue(api, &id, "watchers").await?;
        let user = user_id(api, &p.user, &issue).await?;
        let request = E::REMOVE_WATCHER.request(&[&id, &user.to_string()]);
        if p.dry_run {
            return dry_run_bare(api, &request);
        }
        api.send(request, Subject::write("remove watchers from", &format!("issue {id}"))).await?;
        let after = fetch_issue(api, &id, "watchers").await?;
        Ok(if watches(&after, user) {
            format!(
                "Redmine accepted the request, but user {user} still watches issue #{id}. Watchers: {}.",
                watcher_names(&after)
            )
        } else {
            let was = if watches(&issue, user) { "" } else { " (was not watching)" };
            format!("User {user} no longer watches issue #{id}{was}. Watchers: {}.", watcher_names(&after))
        })
    }
}

/// The user's numeric id: the watcher calls take no `me` and no name.
async fn user_id(api: &RedmineApi, value: &NameOrId, issue: &Issue) -> Result<u64> {
    let project = issue.project.id.to_string();
    let resolved = api.resolve_user("user", value.as_str(), Some(&project)).await?;
    if resolved == "me" {
        return Ok(api.get::<UserAnswer>(E::CURRENT_USER.request(&[]), "the current user").await?.user.id);
    }
    resolved
        .parse()
        .map_err(|_| crate::error::Error::invalid("user", "must be `me`, a user id, a login or a name"))
}

fn watches(issue: &Issue, user: u64) -> bool {
    issue.watchers.iter().any(|w| w.id == user)
}

fn watcher_names(issue: &Issue) -> String {
    if issue.watchers.is_empty() {
        return "none visible".to_owned();
    }
    issue
        .watchers
        .iter()
        .map(|w| format!("{} ({})", crate::render::one_line(&w.name), w.id))
        .collect::<Vec<_>>()
        .join(", ")
}
