//! A Redmine attachment: metadata, and its text when it is text (part of `redmine:issues`).

use std::fmt::Write as _;

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::client::{Subject, str_of};
use super::endpoints as E;
use super::params::*;
use super::render::{self};
use crate::error::Result;
use crate::server::TrackerServer;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct AttachmentParams {
    /// Attachment id.
    pub id: i64,
    /// Where to resume a cut text.
    pub text_offset: Option<i64>,
}

/// Largest attachment whose text is fetched.
const ATTACHMENT_TEXT_MAX: u64 = 200_000;

#[tool_router(router = redmine_attachments_tools, vis = "pub(crate)")]
impl TrackerServer {
    /// An attachment's metadata, and its content when it is text (up to 200 KB).
    /// Text written by tracker users comes fenced as data.
    #[tool(
        name = "redmine_get_attachment",
        annotations(
            title = "Redmine: get attachment",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn redmine_get_attachment(&self, Parameters(p): Parameters<AttachmentParams>) -> Result<String> {
        let api = self.redmine()?;
        let id = id_str("id", p.id)?;
        let offset = opt_offset("text_offset", p.text_offset)?;
        let value = api.get(E::ATTACHMENT.request(&[&id]), &format!("attachment {id}")).await?;
        let a = &value["attachment"];
        let mut out = render::attachment_meta(a);
        let size = a["filesize"].as_u64().unwrap_or(0);
        let filename = str_of(a, "filename");
        if !crate::content::looks_textual(str_of(a, "content_type"), filename) {
            out.push_str("\nBinary content: not shown (only text attachments are returned).");
            return Ok(out);
        }
        if size > ATTACHMENT_TEXT_MAX {
            let _ = write!(out, "\nText content not fetched: larger than {ATTACHMENT_TEXT_MAX} bytes.");
            return Ok(out);
        }
        let response = api
            .send(
                E::ATTACHMENT_DOWNLOAD.request(&[&id]).accept("*/*"),
                Subject::read(&format!("attachment {id}")),
            )
            .await?;
        if response.body.contains(&0) || std::str::from_utf8(&response.body).is_err() {
            out.push_str("\nContent is not UTF-8 text: not shown.");
            return Ok(out);
        }
        let text = render::chunk(&response.text(), offset, render::TEXT_CHUNK * 2, |next| {
            format!("read on with redmine_get_attachment id={id} text_offset={next}")
        });
        out.push('\n');
        out.push_str(&crate::render::untrusted(
            &format!("attachment {id} {}", crate::render::one_line(filename)),
            &text,
        ));
        Ok(out)
    }
}
