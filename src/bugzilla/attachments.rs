//! The `bugzilla:attachments` tool set: list, read and add attachments of a bug.

use std::fmt::Write as _;

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use super::client::Write;
use super::params::{BugRef, MAX_TEXT, name, opt_text};
use super::{base64, endpoints, render};
use crate::content::{as_text, looks_textual};
use crate::error::{Error, Result};
use crate::params::{self, Page};
use crate::render::{slice_footer, untrusted};
use crate::server::TrackerServer;

/// Longest attachment text accepted, in bytes (before base64).
const MAX_ATTACHMENT: usize = 1_000_000;
/// Characters of attachment text shown per call.
const ATTACHMENT_PAGE: usize = 20_000;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct BugPageParams {
    /// Bug id or alias.
    pub bug: BugRef,
    #[serde(flatten)]
    pub page: Page,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GetAttachmentParams {
    /// Attachment id.
    pub id: i64,
    /// Character offset, to read past a cut.
    pub offset: Option<i64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct AddAttachmentParams {
    /// Bug id or alias.
    pub bug: BugRef,
    /// File name, e.g. "fix.patch".
    pub file_name: String,
    /// One-line description.
    pub summary: String,
    /// Text content (patch, log).
    pub content: String,
    /// MIME type, default text/plain.
    pub content_type: Option<String>,
    /// It is a patch.
    #[serde(default)]
    pub is_patch: bool,
    /// Comment added with it.
    pub comment: Option<String>,
    /// Insiders only.
    #[serde(default)]
    pub is_private: bool,
    /// Show the request without sending it.
    #[serde(default)]
    pub dry_run: bool,
}

#[tool_router(router = bugzilla_attachments, vis = "pub(crate)")]
impl TrackerServer {
    /// Attachments of a bug, metadata only (id, file name, summary, type, size, patch,
    /// obsolete, private, creator). Read one with bugzilla_get_attachment.
    #[tool(
        name = "bugzilla_list_attachments",
        annotations(
            title = "Bugzilla: list attachments",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bugzilla_list_attachments(&self, Parameters(p): Parameters<BugPageParams>) -> Result<String> {
        let id = p.bug.check("bug")?;
        let limit = params::limit(p.page.limit)?;
        let offset = params::cursor(p.page.cursor.as_ref())?;
        let attachments = self.bugzilla()?.attachments(&id).await?;
        let mut out: Vec<String> = attachments
            .iter()
            .skip(offset as usize)
            .take(limit as usize)
            .map(render::attachment_line)
            .collect();
        let shown = out.len();
        if attachments.is_empty() {
            out.push(format!("Bug {id} has no attachments visible to this account."));
        }
        out.push(slice_footer(offset, shown, attachments.len()));
        Ok(out.join("\n"))
    }

    /// One attachment: text (patches, logs) as text, 20,000 characters per call (`offset` reads
    /// on); binary files as metadata only.
    /// Text written by tracker users comes fenced as data.
    #[tool(
        name = "bugzilla_get_attachment",
        annotations(
            title = "Bugzilla: get attachment",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bugzilla_get_attachment(
        &self,
        Parameters(p): Parameters<GetAttachmentParams>,
    ) -> Result<String> {
        let id = params::positive_id("id", p.id)?;
        let offset = params::offset("offset", p.offset)? as usize;
        let attachment = self.bugzilla()?.attachment(id).await?;
        let mut out =
            format!("Attachment on bug {}: {}", attachment.bug_id, render::attachment_line(&attachment));
        let bytes = attachment.data.as_deref().map(base64::decode).transpose()?.unwrap_or_default();
        let texty = attachment.is_patch || looks_textual(&attachment.content_type, &attachment.file_name);
        match texty.then(|| as_text(&bytes)).flatten() {
            Some(text) => {
                let total = text.chars().count();
                if offset > total {
                    return Err(Error::invalid("offset", format!("the text has only {total} characters")));
                }
                let part: String = text.chars().skip(offset).take(ATTACHMENT_PAGE).collect();
                let end = offset + part.chars().count();
                let label = format!("attachment {id} characters {}-{end} of {total}", offset + 1);
                let _ = write!(out, "\n{}", untrusted(&label, &part));
                if end < total {
                    let _ = write!(
                        out,
                        "\n[… cut: {} more characters; call again with offset={end}]",
                        total - end
                    );
                }
            }
            _ => {
                let _ = write!(out, "\nBinary content ({}), not shown.", attachment.content_type);
            }
        }
        Ok(out)
    }

    /// Attach text (a patch, a log) to a bug, optionally with a comment.
    #[tool(
        name = "bugzilla_add_attachment",
        annotations(
            title = "Bugzilla: add attachment",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn bugzilla_add_attachment(
        &self,
        Parameters(p): Parameters<AddAttachmentParams>,
    ) -> Result<String> {
        let id = p.bug.check("bug")?;
        let file_name = params::text("file_name", &p.file_name, 255)?.trim();
        if file_name.contains(['/', '\\']) || file_name.chars().any(char::is_control) {
            return Err(Error::invalid("file_name", "a plain file name, without / or \\"));
        }
        let summary = params::text("summary", &p.summary, 255)?.trim();
        let content = params::text("content", &p.content, MAX_ATTACHMENT)?;
        let content_type = name("content_type", p.content_type.as_deref())?.unwrap_or("text/plain");
        if !content_type.contains('/') || content_type.contains(char::is_whitespace) {
            return Err(Error::invalid("content_type", "a MIME type such as text/plain"));
        }
        let mut body = json!({
            "ids": [id],
            "file_name": file_name,
            "summary": summary,
            "content_type": if p.is_patch { "text/plain" } else { content_type },
            "is_patch": p.is_patch,
            "is_private": p.is_private,
        });
        if let Some(c) = opt_text("comment", p.comment.as_deref(), MAX_TEXT)? {
            body["comment"] = json!(c);
        }
        let api = self.bugzilla()?;
        if p.dry_run {
            let mut shown = Write::new(endpoints::ADD_ATTACHMENT, &[&id], body.clone());
            shown.body["data"] = json!(format!("<base64 of the {} bytes of content>", content.len()));
            return api.describe(&shown);
        }
        body["data"] = json!(base64::encode(content.as_bytes()));
        let write = Write::new(endpoints::ADD_ATTACHMENT, &[&id], body);
        let ids = api.add_attachment(&write, &format!("bug {id}")).await?;
        let ids: Vec<String> = ids.iter().map(u64::to_string).collect();
        Ok(format!("Added attachment {} ({file_name}) to bug {id}.", ids.join(", ")))
    }
}
