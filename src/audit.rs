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
}

impl AuditRecord {
    /// Build a record, keeping only identifying arguments (short scalar values).
    #[must_use]
    pub fn new(
        tool: &str,
        identifying_args: &[&str],
        arguments: Option<&Map<String, Value>>,
        outcome: &str,
        upstream_status: Option<u16>,
        duration: Duration,
    ) -> Self {
        let mut kept = Map::new();
        for (k, v) in arguments.into_iter().flatten() {
            if !identifying_args.contains(&k.as_str()) {
                continue;
            }
            let keep = match v {
                Value::String(s) => Value::String(redact_secrets(&crate::error::truncate_chars(s, 120))),
                Value::Number(_) | Value::Bool(_) => v.clone(),
                Value::Array(items)
                    if items.len() <= 20 && items.iter().all(|i| i.is_number() || i.is_string()) =>
                {
                    Value::Array(
                        items
                            .iter()
                            .map(|i| match i {
                                Value::String(s) => {
                                    Value::String(redact_secrets(&crate::error::truncate_chars(s, 60)))
                                }
                                other => other.clone(),
                            })
                            .collect(),
                    )
                }
                _ => continue,
            };
            kept.insert(k.clone(), keep);
        }
        Self {
            time: rfc3339_now(),
            tool: tool.to_owned(),
            tracker: tool.split('_').next().unwrap_or_default().to_owned(),
            arguments: kept,
            outcome: outcome.to_owned(),
            upstream_status,
            duration_ms: duration.as_millis(),
        }
    }
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
    /// Open (create `0600`, append) the log file and start its writer task.
    pub fn open(path: &Path) -> Result<Self> {
        let mut options = std::fs::OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options.open(path).map_err(|e| {
            Error::Config(format!("TRACKER_MCP_AUDIT_LOG {}: cannot open ({})", path.display(), e.kind()))
        })?;
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

    #[test]
    fn timestamps_are_rfc3339_utc_with_milliseconds() {
        let now = rfc3339_now();
        assert_eq!(now.len(), 24, "{now}");
        assert!(now.ends_with('Z') && now.as_bytes()[10] == b'T' && now.as_bytes()[19] == b'.', "{now}");
    }
}
