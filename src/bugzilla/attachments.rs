//! The `bugzilla:attachments` tool set: list, read and add attachments of a bug.

use std::fmt::Write as _;

use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use super::client::Write;
use super::params::{BugRef, MAX_TEXT, name, opt_text};
use super::{base64, endpoints, render};
use crate::content::{IMAGE_MAX_BYTES, as_text, image_type, looks_textual};
use crate::error::{Error, Result};
use crate::params::{self, Page};
use crate::render::{slice_footer, untrusted};
use crate::server::TrackerServer;
use crate::upload::LocalFile;

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
    /// File name, e.g. "fix.patch" (`path`: default its name).
    pub file_name: Option<String>,
    /// One-line description.
    pub summary: String,
    /// Text content (patch, log).
    pub content: Option<String>,
    /// Or a local file (under TRACKER_MCP_UPLOAD_DIRS).
    pub path: Option<String>,
    /// MIME type, default text/plain.
    pub content_type: Option<String>,
    /// Is patch.
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
    /// Attachments of a bug, metadata only. Read one with bugzilla_get_attachment.
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

    /// One attachment: text by 20,000 characters (`offset` reads on), images (up to 5 MB) as
    /// images, other files as metadata.
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
    ) -> Result<CallToolResult> {
        let id = params::positive_id("id", p.id)?;
        let offset = params::offset("offset", p.offset)? as usize;
        let api = self.bugzilla()?;
        let attachment = match api.attachment(id).await {
            // Its content (base64 in JSON) is over the response cap: say what it is, and where.
            Err(Error::TooLarge { limit, .. }) => {
                let meta = api.attachment_meta(id).await?;
                return Ok(CallToolResult::success(vec![ContentBlock::text(format!(
                    "Attachment on bug {}: {}\nContent not downloaded: as base64 it is over this \
                     server's {limit}-byte response cap (TRACKER_MCP_MAX_RESPONSE_BYTES). Web: {}",
                    meta.bug_id,
                    render::attachment_line(&meta),
                    api.attachment_page(id)
                ))]));
            }
            other => other?,
        };
        let mut out =
            format!("Attachment on bug {}: {}", attachment.bug_id, render::attachment_line(&attachment));
        let bytes = attachment.data.as_deref().map(base64::decode).transpose()?.unwrap_or_default();
        // The bytes decide what an image is, not the declared type.
        if let Some(mime) = image_type(&bytes).filter(|_| bytes.len() <= IMAGE_MAX_BYTES) {
            let _ = write!(out, "\nImage ({mime}, {} bytes) follows.", bytes.len());
            let image = ContentBlock::image(base64::encode(&bytes), mime);
            return Ok(CallToolResult::success(vec![ContentBlock::text(out), image]));
        }
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
                let too_big = if image_type(&bytes).is_some() { ", over the image cap" } else { "" };
                let _ = write!(
                    out,
                    "\nBinary content ({}, {} bytes{too_big}), not shown.",
                    attachment.content_type,
                    bytes.len()
                );
            }
        }
        Ok(CallToolResult::success(vec![ContentBlock::text(out)]))
    }

    /// Attach text or a local file to a bug, optionally with a comment.
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
        // The file is checked before anything else, and read only when the request is sent.
        let file = match (&p.content, &p.path) {
            (Some(_), Some(_)) => return Err(Error::invalid("path", "give `content` or `path`, not both")),
            (None, None) => return Err(Error::invalid("content", "is required (or a local file's `path`)")),
            (_, Some(path)) => Some(self.local_file(path)?),
            (Some(_), None) => None,
        };
        let file_name = match (&p.file_name, &file) {
            (Some(n), _) => params::text("file_name", n, 255)?.trim().to_owned(),
            (None, Some(f)) => f.name.clone(),
            (None, None) => return Err(Error::invalid("file_name", "is required with `content`")),
        };
        if file_name.contains(['/', '\\']) || file_name.chars().any(char::is_control) {
            return Err(Error::invalid("file_name", "a plain file name, without / or \\"));
        }
        let summary = params::text("summary", &p.summary, 255)?.trim();
        let content = p.content.as_deref().map(|c| params::text("content", c, MAX_ATTACHMENT)).transpose()?;
        let named = file.as_ref().and_then(LocalFile::named_type);
        let content_type = name("content_type", p.content_type.as_deref())?.or(named).unwrap_or("text/plain");
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
            let size = content.map_or_else(|| file.as_ref().map_or(0, |f| f.size), |c| c.len() as u64);
            let what = if file.is_some() { "the file" } else { "content" };
            shown.body["data"] = json!(format!("<base64 of the {size} bytes of {what}>"));
            return api.describe(&shown);
        }
        let bytes = match (content, file) {
            (Some(c), _) => c.as_bytes().to_vec(),
            (None, Some(f)) => {
                let upload = f.read()?;
                // A type not given nor told by the name comes from the bytes.
                if p.content_type.is_none() && named.is_none() && !p.is_patch {
                    body["content_type"] = json!(upload.content_type);
                }
                upload.bytes
            }
            (None, None) => Vec::new(),
        };
        body["data"] = json!(base64::encode(&bytes));
        let write = Write::new(endpoints::ADD_ATTACHMENT, &[&id], body);
        let ids = api.add_attachment(&write, &format!("bug {id}")).await?;
        let ids: Vec<String> = ids.iter().map(u64::to_string).collect();
        Ok(format!("Added attachment {} ({file_name}) to bug {id}.", ids.join(", ")))
    }
}
