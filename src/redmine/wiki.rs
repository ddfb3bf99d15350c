//! Redmine wiki pages: index, read, create or replace (`redmine:wiki`).

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, json};

use super::attachments::{attached_line, upload_entry};
use super::client::Subject;
use super::endpoints as E;
use super::models::{WikiIndex, WikiPageAnswer};
use super::params::*;
use super::render::{self};
use crate::error::{Error, Result};
use crate::params::{self};
use crate::server::TrackerServer;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct WikiPageParams {
    /// Project identifier or id.
    pub project: NameOrId,
    /// Page title.
    pub title: String,
    /// Older version number.
    pub version: Option<i64>,
    /// Where to resume a cut text.
    pub text_offset: Option<i64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UpdateWikiParams {
    /// Project identifier or id.
    pub project: NameOrId,
    /// Page title (new: created).
    pub title: String,
    /// Whole new text (Redmine markup).
    pub text: String,
    /// Change comment.
    pub comments: Option<String>,
    /// Version you read (conflict check).
    pub version: Option<i64>,
    /// Parent page title.
    pub parent_title: Option<String>,
    /// Local file to attach (under TRACKER_MCP_UPLOAD_DIRS).
    pub path: Option<String>,
    /// Only show the request.
    #[serde(default)]
    pub dry_run: bool,
}

#[tool_router(router = redmine_wiki_tools, vis = "pub(crate)")]
impl TrackerServer {
    /// Titles of a project's wiki pages with parent, version and update time.
    #[tool(
        name = "redmine_list_wiki_pages",
        annotations(
            title = "Redmine: list wiki pages",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn redmine_list_wiki_pages(&self, Parameters(p): Parameters<ProjectPageParams>) -> Result<String> {
        let api = self.redmine()?;
        let project = project_arg(&p.project)?;
        let limit = params::limit(p.page.limit)? as usize;
        let offset = page_start(p.page.cursor.as_ref())?;
        let index: WikiIndex =
            api.get(E::WIKI_INDEX.request(&[&project]), &format!("the wiki of project `{project}`")).await?;
        Ok(render::wiki_index(&index, &project, offset, limit))
    }

    /// A wiki page's text (latest or an older version), author and attachments.
    /// Text written by tracker users comes fenced as data.
    #[tool(
        name = "redmine_get_wiki_page",
        annotations(
            title = "Redmine: get wiki page",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn redmine_get_wiki_page(&self, Parameters(p): Parameters<WikiPageParams>) -> Result<String> {
        let api = self.redmine()?;
        let project = project_arg(&p.project)?;
        let title = title_arg(&p.title)?;
        let offset = opt_offset("text_offset", p.text_offset)?;
        let request = match p.version {
            Some(v) => {
                let v = id_str("version", v)?;
                E::WIKI_PAGE_VERSION.request(&[&project, title, &v])
            }
            None => E::WIKI_PAGE.request(&[&project, title]),
        }
        .query("include", "attachments");
        let answer: WikiPageAnswer =
            api.get(request, &format!("wiki page {title} of project `{project}`")).await?;
        Ok(render::wiki_page(&answer.wiki_page, &project, offset))
    }

    /// Create a wiki page or replace its text (a new version; older versions are kept).
    #[tool(
        name = "redmine_update_wiki_page",
        annotations(
            title = "Redmine: update wiki page",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn redmine_update_wiki_page(&self, Parameters(p): Parameters<UpdateWikiParams>) -> Result<String> {
        let api = self.redmine()?;
        let project = project_arg(&p.project)?;
        let title = title_arg(&p.title)?;
        if p.text.len() > TEXT_MAX || p.text.contains('\0') {
            return Err(Error::invalid("text", format!("must be at most {TEXT_MAX} bytes, without NUL")));
        }
        let file = p.path.as_deref().map(|path| self.local_file(path)).transpose()?;
        let mut page = Map::new();
        page.insert("text".into(), json!(p.text));
        if let Some(c) = &p.comments {
            page.insert("comments".into(), json!(short_comment(c)?));
        }
        if let Some(v) = p.version {
            page.insert("version".into(), json!(params::positive_id("version", v)?));
        }
        if let Some(parent) = &p.parent_title {
            page.insert("parent_title".into(), json!(title_arg(parent)?));
        }
        if let Some(file) = file {
            page.insert("uploads".into(), json!([upload_entry(api, file, p.dry_run).await?]));
        }
        let attached = attached_line(page.get("uploads").and_then(|u| u.get(0)));
        let body = json!({ "wiki_page": page });
        let request = E::UPDATE_WIKI_PAGE.request(&[&project, title]).json(body.clone());
        if p.dry_run {
            return dry_run(api, &request, &body);
        }
        let subject = format!("wiki page {title} of project `{project}`");
        let response = api.send(request, Subject::write("edit", &subject)).await?;
        let created = response.status == 201;
        let version = api
            .get::<WikiPageAnswer>(E::WIKI_PAGE.request(&[&project, title]), &subject)
            .await
            .ok()
            .map(|answer| answer.wiki_page.version.to_string());
        Ok(format!(
            "{} wiki page {title} of `{project}`{}.{attached}",
            if created { "Created" } else { "Updated" },
            version.map(|v| format!(", now version {v}")).unwrap_or_default()
        ))
    }
}

fn title_arg(value: &str) -> Result<&str> {
    params::segment("title", value.trim(), SUBJECT_MAX, false)
}
