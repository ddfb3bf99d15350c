//! Redmine projects and their versions (`redmine:projects`).

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};

use super::endpoints as E;
use super::params::*;
use super::render::{self};
use crate::error::Result;
use crate::params::{self};
use crate::server::TrackerServer;

#[tool_router(router = redmine_projects_tools, vis = "pub(crate)")]
impl TrackerServer {
    /// Projects visible to this API key: id, identifier, name, parent, public or private.
    #[tool(
        name = "redmine_list_projects",
        annotations(
            title = "Redmine: list projects",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn redmine_list_projects(&self, Parameters(p): Parameters<PageParams>) -> Result<String> {
        let api = self.redmine()?;
        let limit = params::limit(p.page.limit)?;
        let offset = params::cursor(p.page.cursor.as_ref())?;
        let value = api
            .get(E::PROJECTS.request(&[]).query("limit", limit).query("offset", offset), "the project list")
            .await?;
        Ok(render::projects(&value, offset, limit))
    }

    /// One project: trackers, issue categories, enabled modules, members with their roles.
    #[tool(
        name = "redmine_get_project",
        annotations(
            title = "Redmine: get project",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn redmine_get_project(&self, Parameters(p): Parameters<ProjectParams>) -> Result<String> {
        let api = self.redmine()?;
        let project = project_arg(&p.project)?;
        let value = api
            .get(
                E::PROJECT
                    .request(&[&project])
                    .query("include", "trackers,issue_categories,enabled_modules,time_entry_activities"),
                &format!("project `{project}`"),
            )
            .await?;
        let members = api
            .get(
                E::PROJECT_MEMBERSHIPS.request(&[&project]).query("limit", 100),
                &format!("the members of project `{project}`"),
            )
            .await
            .ok();
        if let Some(m) = &members {
            api.remember_users(m);
        }
        Ok(render::project(&value, members.as_ref()))
    }

    /// Versions (milestones) of a project, including shared ones: status, due date.
    #[tool(
        name = "redmine_list_versions",
        annotations(
            title = "Redmine: list versions",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn redmine_list_versions(&self, Parameters(p): Parameters<ProjectPageParams>) -> Result<String> {
        let api = self.redmine()?;
        let project = project_arg(&p.project)?;
        let limit = params::limit(p.page.limit)? as usize;
        let offset = page_start(p.page.cursor.as_ref())?;
        let value =
            api.get(E::PROJECT_VERSIONS.request(&[&project]), &format!("project `{project}`")).await?;
        Ok(render::versions(&value, offset, limit))
    }
}
