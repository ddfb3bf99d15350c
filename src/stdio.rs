//! The stdio channel between the client and rmcp, with what rmcp leaves out: a line that is
//! not JSON (invalid JSON or UTF-8, a lone surrogate, a number out of range, nesting deeper
//! than 128, a line over 16 MiB) is answered with JSON-RPC `-32700` and `id: null`, and
//! valid JSON that is no JSON-RPC message with `-32600`, instead of being dropped while the
//! client waits forever. Good lines pass to rmcp unchanged; rmcp's answers and these errors
//! reach stdout as whole lines from one writer, so they never interleave.

use rmcp::model::ClientJsonRpcMessage;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader, DuplexStream};
use tokio::sync::mpsc;

/// Longest line read (rmcp's own limit): the rest of a longer one is skipped, not buffered.
pub const MAX_LINE: usize = 16 * 1024 * 1024;

/// The pair rmcp serves on (`server.serve(stdio::transport())`), guarding the process's own
/// stdin and stdout.
#[must_use]
pub fn transport() -> (DuplexStream, DuplexStream) {
    guard(tokio::io::stdin(), tokio::io::stdout())
}

/// [`transport`] over any input and output (tests).
pub fn guard<I, O>(input: I, output: O) -> (DuplexStream, DuplexStream)
where
    I: AsyncRead + Unpin + Send + 'static,
    O: AsyncWrite + Unpin + Send + 'static,
{
    let (to_rmcp, rmcp_input) = tokio::io::duplex(64 * 1024);
    let (rmcp_output, from_rmcp) = tokio::io::duplex(64 * 1024);
    let (errors, error_lines) = mpsc::channel::<String>(64);
    tokio::spawn(read_lines(input, to_rmcp, errors));
    tokio::spawn(write_lines(from_rmcp, error_lines, output));
    (rmcp_input, rmcp_output)
}

/// What to do with one input line.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    Forward,
    Skip,
    Answer(String),
}

pub(crate) fn judge(line: &[u8]) -> Verdict {
    let Ok(text) = std::str::from_utf8(line) else {
        return Verdict::Answer(error_line(&Value::Null, -32700, "Parse error: the line is not UTF-8"));
    };
    if text.trim().is_empty() {
        return Verdict::Skip;
    }
    // The common case first, without building (and copying) a whole JSON tree of the line.
    if serde_json::from_str::<ClientJsonRpcMessage>(text).is_ok() {
        return Verdict::Forward;
    }
    let value: Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(_) => {
            return Verdict::Answer(error_line(
                &Value::Null,
                -32700,
                "Parse error: the line is not valid JSON",
            ));
        }
    };
    // Not a message rmcp can take. A notification (no `id`) gets no answer, as JSON-RPC says;
    // anything else is an invalid request, answered with its id when the id is a valid one.
    match value.get("id") {
        None if value.is_object() => Verdict::Skip,
        id => {
            let id =
                id.filter(|id| id.is_string() || id.is_i64() || id.is_u64()).cloned().unwrap_or(Value::Null);
            Verdict::Answer(error_line(
                &id,
                -32600,
                "Invalid Request: not a JSON-RPC 2.0 request, response or notification",
            ))
        }
    }
}

fn error_line(id: &Value, code: i64, message: &str) -> String {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}}).to_string()
}

async fn read_lines<I: AsyncRead + Unpin>(input: I, mut to_rmcp: DuplexStream, errors: mpsc::Sender<String>) {
    let mut input = BufReader::with_capacity(64 * 1024, input);
    let mut line = Vec::new();
    loop {
        line.clear();
        let mut too_long = false;
        // Read one line, keeping at most MAX_LINE bytes of it.
        let ended = loop {
            let buf = match input.fill_buf().await {
                Ok(buf) => buf,
                Err(error) => {
                    tracing::warn!(%error, "stdin read failed");
                    break false;
                }
            };
            if buf.is_empty() {
                break !line.is_empty() || too_long;
            }
            let (part, found) = match buf.iter().position(|b| *b == b'\n') {
                Some(at) => (&buf[..at], at + 1),
                None => (buf, 0),
            };
            if !too_long && line.len() + part.len() <= MAX_LINE {
                line.extend_from_slice(part);
            } else {
                too_long = true;
                line.clear();
            }
            let used = if found > 0 { found } else { part.len() };
            input.consume(used);
            if found > 0 {
                break true;
            }
        };
        if !ended {
            break;
        }
        let verdict = if too_long {
            Verdict::Answer(error_line(&Value::Null, -32700, "Parse error: the line is longer than 16 MiB"))
        } else {
            judge(&line)
        };
        match verdict {
            Verdict::Forward => {
                line.push(b'\n');
                if to_rmcp.write_all(&line).await.is_err() {
                    break;
                }
            }
            Verdict::Skip => {}
            Verdict::Answer(answer) => {
                tracing::warn!("answered an unreadable line with a JSON-RPC error");
                if errors.send(answer).await.is_err() {
                    break;
                }
            }
        }
    }
    // End of input: rmcp sees EOF and shuts down as it would on stdin.
    let _ = to_rmcp.shutdown().await;
}

async fn write_lines<O: AsyncWrite + Unpin>(
    from_rmcp: DuplexStream,
    mut errors: mpsc::Receiver<String>,
    mut output: O,
) {
    let mut rmcp = BufReader::new(from_rmcp);
    let mut line = Vec::new();
    let mut errors_open = true;
    loop {
        line.clear();
        tokio::select! {
            read = rmcp.read_until(b'\n', &mut line) => match read {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    if !line.ends_with(b"\n") {
                        line.push(b'\n');
                    }
                }
            },
            error = errors.recv(), if errors_open => match error {
                Some(error) => {
                    line.extend_from_slice(error.as_bytes());
                    line.push(b'\n');
                }
                None => {
                    errors_open = false;
                    continue;
                }
            },
        }
        if output.write_all(&line).await.is_err() || output.flush().await.is_err() {
            break;
        }
    }
    // Errors for lines read after rmcp stopped answering still go out.
    while let Ok(error) = errors.try_recv() {
        let _ = output.write_all(format!("{error}\n").as_bytes()).await;
    }
    let _ = output.flush().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreadable_lines_get_parse_errors_and_messages_pass() {
        let code = |line: &[u8]| match judge(line) {
            Verdict::Answer(answer) => {
                serde_json::from_str::<Value>(&answer).expect("json")["error"]["code"].as_i64()
            }
            Verdict::Forward => Some(0),
            Verdict::Skip => None,
        };
        assert_eq!(code(br#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#), Some(0));
        assert_eq!(code(br#"{"jsonrpc":"2.0","id":1,"method":"no/such/method"}"#), Some(0));
        assert_eq!(code(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#), Some(0));
        assert_eq!(code(b"this is not json"), Some(-32700));
        assert_eq!(code(b"{\"jsonrpc\":\"2.0\",\"id\":"), Some(-32700));
        assert_eq!(code(b"\xff\xfe"), Some(-32700));
        assert_eq!(code(br#"{"jsonrpc":"2.0","id":1,"method":"x","params":{"a":"\ud800"}}"#), Some(-32700));
        assert_eq!(code(br#"{"jsonrpc":"2.0","id":1e400,"method":"tools/list"}"#), Some(-32700));
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(code(deep.as_bytes()), Some(-32700));
        assert_eq!(code(b"[]"), Some(-32600));
        assert_eq!(code(br#"{"jsonrpc":"2.0","id":{"a":1},"method":"tools/list"}"#), Some(-32600));
        assert_eq!(code(br#"{"jsonrpc":"2.0","method":7}"#), None);
        assert_eq!(code(b"   "), None);
    }

    #[tokio::test]
    async fn lines_are_judged_in_order_and_an_oversized_one_is_skipped_not_kept() {
        let (mut client, server_in) = tokio::io::duplex(1024);
        let (server_out, mut client_out) = tokio::io::duplex(1 << 20);
        let (mut rmcp_in, _rmcp_out) = guard(server_in, server_out);
        let writer = tokio::spawn(async move {
            client.write_all(b"garbage\n").await.expect("write");
            client.write_all(&vec![b'x'; MAX_LINE + 10]).await.expect("write");
            client.write_all(b"\n{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ping\"}\n").await.expect("write");
        });
        let mut forwarded = String::new();
        tokio::io::AsyncReadExt::read_to_string(&mut rmcp_in, &mut forwarded).await.expect("read");
        writer.await.expect("writer");
        assert_eq!(forwarded, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ping\"}\n");
        let mut answers = vec![0u8; 4096];
        let n = tokio::io::AsyncReadExt::read(&mut client_out, &mut answers).await.expect("read");
        let text = String::from_utf8_lossy(&answers[..n]).into_owned();
        assert!(text.starts_with("{\"error\":{\"code\":-32700") || text.contains("-32700"), "{text}");
    }
}
