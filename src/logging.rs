//! Logging to stderr (stdout is the JSON-RPC channel), with every configured secret masked
//! in every line, whoever wrote it: our code, rmcp's request tracing at `debug`, reqwest's
//! at `trace`.

use std::io::{self, Write};

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::error::redact_secrets;

/// Install the global subscriber: `RUST_LOG` or `info` (rmcp's per-message chatter at `warn`).
pub fn init() {
    tracing_subscriber::fmt()
        // Targets match by string prefix, so `rmcp=warn` would also match other crates: say `rmcp::`.
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,rmcp::=warn".into()))
        .with_writer(RedactingStderr)
        .with_ansi(false)
        .init();
}

/// Hands out [`RedactingWriter`]s over stderr.
#[derive(Debug, Clone, Copy)]
pub struct RedactingStderr;

impl<'a> MakeWriter<'a> for RedactingStderr {
    type Writer = RedactingWriter;
    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter(Vec::new())
    }
}

/// Buffers one event and writes it, secrets masked, when dropped or flushed.
#[derive(Debug)]
pub struct RedactingWriter(Vec<u8>);

impl Write for RedactingWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.0.is_empty() {
            return Ok(());
        }
        let line = redact_secrets(&String::from_utf8_lossy(&self.0));
        self.0.clear();
        io::stderr().lock().write_all(line.as_bytes())
    }
}

impl Drop for RedactingWriter {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_masked() {
        crate::error::register_secret(&secrecy::SecretString::from("log-secret-abcdef"));
        assert_eq!(redact_secrets("key=log-secret-abcdef"), "key=[REDACTED]");
    }
}
