//! Redmine attachments both ways (part of `redmine:issues`): one attachment's metadata, text or
//! image; and a local file (`path`) uploaded to attach to an issue or a wiki page.

use std::fmt::Write as _;

use base64::Engine as _;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::client::Subject;
use super::client::{RedmineApi, decode};
use super::endpoints as E;
use super::models::AttachmentAnswer;
use super::params::*;
use super::render::{self};
use crate::error::Result;
use crate::server::TrackerServer;
use crate::upload::LocalFile;

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
    /// An attachment: text, an image (up to 5 MB) or metadata. Text written by tracker users comes fenced as data.
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
    async fn redmine_get_attachment(
        &self,
        Parameters(p): Parameters<AttachmentParams>,
    ) -> Result<CallToolResult> {
        let api = self.redmine()?;
        let id = id_str("id", p.id)?;
        let offset = opt_offset("text_offset", p.text_offset)?;
        let a = api
            .get::<AttachmentAnswer>(E::ATTACHMENT.request(&[&id]), &format!("attachment {id}"))
            .await?
            .attachment;
        let mut out = render::attachment_meta(&a);
        let size = a.filesize;
        let filename = a.filename.as_str();
        let texty = crate::content::looks_textual(&a.content_type, filename);
        let cap = if texty { ATTACHMENT_TEXT_MAX } else { crate::content::IMAGE_MAX_BYTES as u64 };
        let declared = if a.content_type.is_empty() { "unknown type" } else { a.content_type.as_str() };
        if size > cap {
            let what = if texty { "Text content not fetched" } else { "Binary content: not shown" };
            let _ = write!(out, "\n{what}: larger than {cap} bytes.");
            return Ok(text_result(out));
        }
        if size == 0 && !texty {
            let _ = write!(out, "\nBinary content ({declared}, 0 bytes): not shown.");
            return Ok(text_result(out));
        }
        // Downloaded from the same origin with the key in its header (the HTTP layer).
        let response = api
            .send(
                E::ATTACHMENT_DOWNLOAD.request(&[&id]).accept("*/*"),
                Subject::read(&format!("attachment {id}")),
            )
            .await?;
        let bytes = &response.body;
        // The bytes decide what an image is, not the declared type.
        if let Some(mime) = crate::content::image_type(bytes) {
            let _ = write!(out, "\nImage ({mime}, {} bytes) follows.", bytes.len());
            let data = base64::engine::general_purpose::STANDARD.encode(bytes);
            return Ok(CallToolResult::success(vec![
                ContentBlock::text(out),
                ContentBlock::image(data, mime),
            ]));
        }
        let text = if texty { crate::content::as_text(bytes) } else { None };
        let Some(text) = text else {
            let _ = write!(out, "\nBinary content ({declared}, {} bytes): not shown.", bytes.len());
            return Ok(text_result(out));
        };
        let text = render::chunk(&text, offset, render::TEXT_CHUNK * 2, |next| {
            format!("read on with redmine_get_attachment id={id} text_offset={next}")
        });
        out.push('\n');
        out.push_str(&crate::render::untrusted(
            &format!("attachment {id} {}", crate::render::one_line(filename)),
            &text,
        ));
        Ok(text_result(out))
    }
}

fn text_result(text: String) -> CallToolResult {
    CallToolResult::success(vec![ContentBlock::text(text)])
}

/// The `uploads` entry that attaches `file`: its bytes go to `POST /uploads.json` first, and the
/// token Redmine returns names them in the issue or wiki write. A dry run reads and sends
/// nothing and shows where the token would go.
pub(super) async fn upload_entry(api: &RedmineApi, file: LocalFile, dry_run: bool) -> Result<Value> {
    if dry_run {
        return Ok(json!({
            "token": format!("<token of POST {}?filename={}: {} bytes>", api.path_of(&E::UPLOAD.request(&[]))?, file.name, file.size),
            "filename": file.name,
            "content_type": file.named_type().unwrap_or("<from the bytes>"),
        }));
    }
    #[derive(Deserialize)]
    struct Answer {
        upload: Token,
    }
    #[derive(Deserialize)]
    struct Token {
        token: String,
    }
    let upload = file.read()?;
    let request = E::UPLOAD
        .request(&[])
        .query("filename", &upload.name)
        .bytes(upload.bytes, "application/octet-stream");
    let response = api.send(request, Subject::write("upload", &format!("file {}", upload.name))).await?;
    let answer: Answer = decode(&response, "the upload")?;
    Ok(json!({"token": answer.upload.token, "filename": upload.name, "content_type": upload.content_type}))
}

/// What a write's result says about the file it attached.
pub(super) fn attached_line(entry: Option<&Value>) -> String {
    entry.and_then(|e| e["filename"].as_str()).map(|name| format!("\nAttached {name}.")).unwrap_or_default()
}
