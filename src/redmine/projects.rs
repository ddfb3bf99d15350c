//! Redmine projects and their versions (`redmine:projects`).

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};

use super::endpoints as E;
use super::models::{MembershipList, ProjectAnswer, ProjectList, VersionList};
use super::params::*;
use super::render::{self};
use crate::error::{Error, Result};
use crate::params::{self};
use crate::server::TrackerServer;

#[tool_router(router = redmine_projects_tools, vis = "pub(crate)")]
impl TrackerServer {
    /// Projects visible to this key.
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
        let list: ProjectList = api
            .get(E::PROJECTS.request(&[]).query("limit", limit).query("offset", offset), "the project list")
            .await?;
        Ok(render::projects(&list, offset, limit))
    }

    /// One project: trackers, categories, modules, members.
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
        let answer: ProjectAnswer = api
            .get(
                E::PROJECT
                    .request(&[&project])
                    .query("include", "trackers,issue_categories,enabled_modules,time_entry_activities"),
                &format!("project `{project}`"),
            )
            .await?;
        // Only managers may list members (403 otherwise): the project is shown without them. An
        // answer of the wrong shape is still an error, not "not visible".
        let members = match api
            .get::<MembershipList>(
                E::PROJECT_MEMBERSHIPS.request(&[&project]).query("limit", 100),
                &format!("the members of project `{project}`"),
            )
            .await
        {
            Ok(members) => Some(members),
            Err(e @ (Error::BadResponse { .. } | Error::TooLarge { .. })) => return Err(e),
            Err(_) => None,
        };
        if let Some(m) = &members {
            api.remember_members(m);
        }
        Ok(render::project(&answer.project, members.as_ref()))
    }

    /// A project's versions (milestones), shared ones too.
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
        let list: VersionList =
            api.get(E::PROJECT_VERSIONS.request(&[&project]), &format!("project `{project}`")).await?;
        Ok(render::versions(&list, offset, limit))
    }
}
