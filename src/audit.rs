//! The JSON-lines audit log of tool calls (`TRACKER_MCP_AUDIT_LOG`): one line per call with
//! the tool, its identifying arguments (never free text), the outcome, the last upstream status
//! and the duration. Lines are written by a background task, so a slow disk never delays a call.

use std::path::Path;
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::sync::mpsc;

use crate::error::{Error, Result, redact_secrets};

tokio::task_local! {
    /// The last upstream HTTP status seen by the tool call running in this task.
    static UPSTREAM_STATUS: std::cell::Cell<Option<u16>>;
}

/// Run a tool call, returning its output and the last upstream status it saw.
pub async fn with_upstream_status<F: std::future::Future>(call: F) -> (F::Output, Option<u16>) {
    UPSTREAM_STATUS
        .scope(std::cell::Cell::new(None), async move {
            let output = call.await;
            (output, UPSTREAM_STATUS.with(std::cell::Cell::get))
        })
        .await
}

/// Called by the HTTP layer for each upstream answer (a no-op outside a tool call).
pub fn note_upstream_status(status: u16) {
    let _ = UPSTREAM_STATUS.try_with(|cell| cell.set(Some(status)));
}

/// One line of the audit log.
#[derive(Debug, serde::Serialize)]
pub struct AuditRecord {
    pub time: String,
    pub tool: String,
    pub tracker: String,
    pub arguments: Map<String, Value>,
    pub outcome: String,
    /// The last HTTP status the tracker answered during the call, if any.
    pub upstream_status: Option<u16>,
    pub duration_ms: u128,
    /// Over HTTP, who called: the access token's subject, or `static token`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caller: Option<String>,
}

impl AuditRecord {
    /// Build a record. `tool` is recorded only when the server serves a tool of that name
    /// (`known`); arguments only when the call passed its checks (`validated`), only under
    /// identifying keys, and only when they look like identifiers: the log never holds free
    /// text, whatever key the model put it under.
    #[must_use]
    pub fn new(
        tool: &str,
        known: bool,
        identifying_args: &[&str],
        arguments: Option<&Map<String, Value>>,
        outcome: &str,
        upstream_status: Option<u16>,
        duration: Duration,
    ) -> Self {
        let validated = outcome != "refused";
        let mut kept = Map::new();
        for (k, v) in arguments.into_iter().flatten().filter(|_| known && validated) {
            if !identifying_args.contains(&k.as_str()) {
                continue;
            }
            let keep = match v {
                Value::String(s) => identifier(s),
                Value::Number(_) | Value::Bool(_) => v.clone(),
                Value::Array(items) if items.len() <= 20 => Value::Array(
                    items
                        .iter()
                        .map(|i| if let Value::String(s) = i { identifier(s) } else { i.clone() })
                        .collect(),
                ),
                _ => NOT_RECORDED.into(),
            };
            kept.insert(k.clone(), keep);
        }
        let (tool, tracker) = if known {
            (tool.to_owned(), tool.split('_').next().unwrap_or_default().to_owned())
        } else {
            (UNKNOWN_TOOL.to_owned(), String::new())
        };
        Self {
            time: rfc3339_now(),
            tool,
            tracker,
            arguments: kept,
            outcome: outcome.to_owned(),
            upstream_status,
            duration_ms: duration.as_millis(),
            caller: None,
        }
    }

    /// The HTTP caller, cleaned like an identifier.
    #[must_use]
    pub fn with_caller(mut self, caller: Option<String>) -> Self {
        self.caller = caller.map(|c| {
            if c == "static token" {
                return c;
            }
            match identifier(&c) {
                Value::String(s) => s,
                _ => NOT_RECORDED.to_owned(),
            }
        });
        self
    }
}

/// What the log says for a value it will not keep.
const NOT_RECORDED: &str = "[not recorded]";
/// What the log says for a name the server does not serve (a name can carry anything).
const UNKNOWN_TOOL: &str = "[unknown tool]";

/// An identifier as given (project keys, branch names, aliases, globs of them), or
/// [`NOT_RECORDED`] for anything that could be free text or shell syntax: spaces, quotes,
/// `$`, backticks, parentheses, more than 100 characters.
fn identifier(text: &str) -> Value {
    let plain = text.len() <= 100
        && text
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | ':' | '@' | '+' | '~' | ','));
    if plain { Value::String(redact_secrets(text)) } else { NOT_RECORDED.into() }
}

/// Writes audit records on a background task, so a slow disk never delays a call.
#[derive(Debug, Clone)]
pub struct AuditLog {
    sender: mpsc::Sender<AuditMessage>,
}

#[derive(Debug)]
enum AuditMessage {
    Record(Box<AuditRecord>),
    /// Answered once everything queued before it is on disk.
    Flush(tokio::sync::oneshot::Sender<()>),
}

impl AuditLog {
    /// Open (create `0600`, append) the log file and start its writer task. The path must be
    /// absolute (a relative one would land wherever the client starts the server); a symlink,
    /// a FIFO or anything but a regular file is refused, and an existing file readable by
    /// others is made `0600` with a warning.
    pub fn open(path: &Path) -> Result<Self> {
        let refuse = |why: String| Error::Config(format!("TRACKER_MCP_AUDIT_LOG {}: {why}", path.display()));
        if !path.is_absolute() {
            return Err(refuse("must be an absolute path".to_owned()));
        }
        let mut options = std::fs::OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            // Never follow a symlink; never wait for a FIFO's reader.
            options.mode(0o600).custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
        }
        let file = options.open(path).map_err(|e| {
            if path.is_symlink() {
                refuse("is a symbolic link; name the file itself".to_owned())
            } else {
                refuse(format!("cannot open ({})", e.kind()))
            }
        })?;
        let meta = file.metadata().map_err(|e| refuse(format!("cannot read its metadata ({})", e.kind())))?;
        if !meta.is_file() {
            return Err(refuse("is not a regular file".to_owned()));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            if meta.permissions().mode() & 0o077 != 0 {
                file.set_permissions(std::fs::Permissions::from_mode(0o600)).map_err(|e| {
                    refuse(format!("is readable by other users and cannot be made 0600 ({})", e.kind()))
                })?;
                tracing::warn!(path = %path.display(), "the audit log was readable by other users; it is now 0600");
            }
        }
        let (sender, mut receiver) = mpsc::channel::<AuditMessage>(1024);
        let mut file = tokio::fs::File::from_std(file);
        tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            while let Some(message) = receiver.recv().await {
                match message {
                    AuditMessage::Record(record) => {
                        if let Ok(mut line) = serde_json::to_vec(&record) {
                            line.push(b'\n');
                            if file.write_all(&line).await.is_err() || file.flush().await.is_err() {
                                tracing::warn!("audit log write failed");
                            }
                        }
                    }
                    AuditMessage::Flush(done) => {
                        let _ = file.sync_data().await;
                        let _ = done.send(());
                    }
                }
            }
        });
        Ok(Self { sender })
    }

    /// Queue a record; if the queue is full the record is dropped with a warning rather than
    /// blocking the call.
    pub fn record(&self, record: AuditRecord) {
        if self.sender.try_send(AuditMessage::Record(Box::new(record))).is_err() {
            tracing::warn!("audit log queue full; a record was dropped");
        }
    }

    /// Wait until every record queued so far is written (at shutdown, so none is lost).
    pub async fn flush(&self) {
        let (done, written) = tokio::sync::oneshot::channel();
        if self.sender.send(AuditMessage::Flush(done)).await.is_ok() {
            let _ = written.await;
        }
    }
}

/// The current UTC time as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
#[must_use]
pub fn rfc3339_now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_keeps_identifiers_not_text() {
        let args = serde_json::json!({"id": 4, "project": "alpha", "notes": "secret plan", "body": {"x": 1}});
        let record = AuditRecord::new(
            "redmine_add_note",
            true,
            &["id", "project"],
            args.as_object(),
            "ok",
            Some(204),
            Duration::from_millis(3),
        );
        assert_eq!(record.tracker, "redmine");
        assert_eq!(record.arguments.len(), 2);
        assert!(!serde_json::to_string(&record).expect("json").contains("secret plan"));
    }

    /// Security review finding 9 and 1B: free text under identifying keys, unknown tool names
    /// at full length, refused calls' raw arguments.
    #[test]
    fn free_text_unknown_names_and_refused_arguments_are_not_recorded() {
        let args = serde_json::json!({"id": "FREE TEXT my password is hunter2", "project": "$(touch /tmp/pwned)",
                                       "status": ["open", "a `b`"], "version": "1.0-rc.1"});
        let keys = &["id", "project", "status", "version"];
        let ok = AuditRecord::new(
            "redmine_get_issue",
            true,
            keys,
            args.as_object(),
            "error",
            None,
            Duration::ZERO,
        );
        let line = serde_json::to_string(&ok).expect("json");
        assert!(!line.contains("hunter2") && !line.contains("touch") && !line.contains('`'), "{line}");
        assert_eq!(ok.arguments["version"], "1.0-rc.1");
        assert_eq!(ok.arguments["status"][0], "open");
        let refused = AuditRecord::new(
            "redmine_get_issue",
            true,
            keys,
            args.as_object(),
            "refused",
            None,
            Duration::ZERO,
        );
        assert!(refused.arguments.is_empty());
        let long = format!("tool-{}", "x".repeat(20_000));
        let unknown = AuditRecord::new(&long, false, keys, args.as_object(), "error", None, Duration::ZERO);
        assert_eq!((unknown.tool.as_str(), unknown.tracker.as_str()), (UNKNOWN_TOOL, ""));
        assert!(serde_json::to_string(&unknown).expect("json").len() < 300);
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn the_log_file_is_absolute_regular_private_and_never_a_link() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("tracker-mcp-audit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        assert!(AuditLog::open(Path::new("relative/audit.log")).is_err());
        let target = dir.join("target");
        std::fs::write(&target, "").expect("write");
        let link = dir.join("link");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        assert!(AuditLog::open(&link).expect_err("symlink").to_string().contains("symbolic link"));
        let fifo = dir.join("fifo");
        let _ = std::fs::remove_file(&fifo);
        let status = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
        assert!(status.success());
        // Refused at once instead of waiting for a reader forever.
        assert!(AuditLog::open(&fifo).is_err());
        let loose = dir.join("loose.log");
        std::fs::write(&loose, "").expect("write");
        std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        AuditLog::open(&loose).expect("opened");
        assert_eq!(std::fs::metadata(&loose).expect("meta").permissions().mode() & 0o777, 0o600);
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn timestamps_are_rfc3339_utc_with_milliseconds() {
        let now = rfc3339_now();
        assert_eq!(now.len(), 24, "{now}");
        assert!(now.ends_with('Z') && now.as_bytes()[10] == b'T' && now.as_bytes()[19] == b'.', "{now}");
    }

    #[test]
    fn the_http_caller_is_recorded_like_an_identifier() {
        let record = |caller: &str| {
            AuditRecord::new("x", false, &[], None, "ok", None, Duration::ZERO)
                .with_caller(Some(caller.to_owned()))
                .caller
        };
        assert_eq!(record("static token").as_deref(), Some("static token"));
        assert_eq!(record("alice@example.com").as_deref(), Some("alice@example.com"));
        assert_eq!(record("$(rm -rf /)").as_deref(), Some(NOT_RECORDED));
        let stdio = AuditRecord::new("x", false, &[], None, "ok", None, Duration::ZERO);
        assert!(!serde_json::to_string(&stdio).expect("json").contains("caller"), "no caller over stdio");
    }
}
