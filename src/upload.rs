//! Files the model asks to attach by local `path`: allowed only under the directories named in
//! `TRACKER_MCP_UPLOAD_DIRS` (none when unset), checked after following symlinks, opened without
//! following one or waiting on a FIFO, size-capped, typed from the name or the bytes. A refused
//! path says why and names the variable, and nothing of the file is read.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Largest file uploaded, in bytes.
pub const UPLOAD_MAX_BYTES: u64 = 10 * 1024 * 1024;

const VARIABLE: &str = "TRACKER_MCP_UPLOAD_DIRS";

/// A checked local file, open, not yet read.
#[derive(Debug)]
pub struct LocalFile {
    /// The file name the tracker gets (of the path as given, so a link keeps its own name).
    pub name: String,
    pub size: u64,
    file: std::fs::File,
}

/// A file read for sending.
pub struct Upload {
    pub name: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Upload({}, {}, {} bytes)", self.name, self.content_type, self.bytes.len())
    }
}

/// The allowed directories from the variable's value (the platform's path-list separator),
/// each resolved; one that is not a directory stops the start with an error naming it.
pub fn parse_dirs(value: &str) -> Result<Vec<PathBuf>> {
    let mut dirs = Vec::new();
    for dir in std::env::split_paths(value).filter(|d| !d.as_os_str().is_empty()) {
        let resolved = std::fs::canonicalize(&dir).ok().filter(|d| d.is_dir()).ok_or_else(|| {
            Error::Config(format!("{VARIABLE} names {}, which is not a directory", dir.display()))
        })?;
        if !dir.is_absolute() {
            return Err(Error::Config(format!(
                "{VARIABLE} names {}: give absolute directories",
                dir.display()
            )));
        }
        dirs.push(resolved);
    }
    Ok(dirs)
}

/// Check `raw` against `dirs` and open it; nothing of the file is read yet.
pub fn open(dirs: &[PathBuf], raw: &str) -> Result<LocalFile> {
    let refuse = |why: String| Error::invalid("path", why);
    if dirs.is_empty() {
        return Err(refuse(format!(
            "file uploads are off: set {VARIABLE} to the directories files may be attached from"
        )));
    }
    let given = Path::new(raw.trim());
    if !given.is_absolute() {
        return Err(refuse("must be an absolute path".into()));
    }
    let name = given
        .file_name()
        .and_then(|n| n.to_str())
        .filter(|n| !n.chars().any(char::is_control))
        .ok_or_else(|| refuse("must name a file".into()))?
        .to_owned();
    let resolved =
        std::fs::canonicalize(given).map_err(|e| refuse(format!("cannot be resolved ({})", e.kind())))?;
    if !dirs.iter().any(|dir| resolved.starts_with(dir)) {
        return Err(refuse(format!(
            "is outside the directories of {VARIABLE} (it resolves to {})",
            resolved.display()
        )));
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // The resolved path has no links left: one that appears now is refused, and a FIFO
        // opens at once instead of waiting for a writer (then fails the regular-file check).
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = options.open(&resolved).map_err(|e| refuse(format!("cannot be opened ({})", e.kind())))?;
    let meta = file.metadata().map_err(|e| refuse(format!("cannot be read ({})", e.kind())))?;
    if !meta.is_file() {
        return Err(refuse("is not a regular file (a directory, FIFO, socket or device)".into()));
    }
    if meta.len() > UPLOAD_MAX_BYTES {
        return Err(refuse(format!("is {} bytes, over the {UPLOAD_MAX_BYTES}-byte upload cap", meta.len())));
    }
    Ok(LocalFile { name, size: meta.len(), file })
}

impl LocalFile {
    /// The content type the name says, if it says one.
    #[must_use]
    pub fn named_type(&self) -> Option<&'static str> {
        type_from_name(&self.name)
    }

    /// Read the whole file (at most the cap: a file that grew past it is refused).
    pub fn read(mut self) -> Result<Upload> {
        let mut bytes = Vec::with_capacity(usize::try_from(self.size).unwrap_or(0));
        (&mut self.file)
            .take(UPLOAD_MAX_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::invalid("path", format!("cannot be read ({})", e.kind())))?;
        if bytes.len() as u64 > UPLOAD_MAX_BYTES {
            return Err(Error::invalid("path", format!("grew over the {UPLOAD_MAX_BYTES}-byte upload cap")));
        }
        let content_type = self.named_type().unwrap_or_else(|| type_from_bytes(&bytes));
        Ok(Upload { name: self.name, content_type, bytes })
    }
}

fn type_from_name(name: &str) -> Option<&'static str> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "gz" | "tgz" => "application/gzip",
        "json" => "application/json",
        "xml" => "application/xml",
        "html" | "htm" => "text/html",
        "csv" => "text/csv",
        "md" => "text/markdown",
        "txt" | "log" | "patch" | "diff" | "rs" | "py" | "c" | "h" | "js" | "ts" | "sh" | "yml" | "yaml"
        | "toml" | "ini" | "cfg" | "conf" => "text/plain",
        _ => return None,
    })
}

fn type_from_bytes(bytes: &[u8]) -> &'static str {
    if let Some(image) = crate::content::image_type(bytes) {
        image
    } else if bytes.starts_with(b"%PDF-") {
        "application/pdf"
    } else if bytes.starts_with(b"PK\x03\x04") {
        "application/zip"
    } else if bytes.starts_with(&[0x1f, 0x8b]) {
        "application/gzip"
    } else if !bytes.contains(&0) && std::str::from_utf8(bytes).is_ok() {
        "text/plain"
    } else {
        "application/octet-stream"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("tracker-mcp-upload-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::canonicalize(dir).expect("canonical")
    }

    #[test]
    fn types_come_from_the_name_then_the_bytes() {
        assert_eq!(type_from_name("shot.PNG"), Some("image/png"));
        assert_eq!(type_from_name("README"), None);
        assert_eq!(type_from_bytes(b"\x89PNG\r\n\x1a\nrest"), "image/png");
        assert_eq!(type_from_bytes(b"plain words\n"), "text/plain");
        assert_eq!(type_from_bytes(&[0, 159, 146, 150]), "application/octet-stream");
    }

    #[test]
    fn uploads_are_off_without_directories_and_relative_paths_are_refused() {
        let off = open(&[], "/etc/hostname").expect_err("off").client_message();
        assert!(off.contains("TRACKER_MCP_UPLOAD_DIRS"), "{off}");
        let relative = open(&[dir()], "notes.txt").expect_err("relative").client_message();
        assert!(relative.contains("absolute"), "{relative}");
    }

    #[test]
    fn a_file_inside_is_read_and_one_outside_refused() {
        let inside = dir().join("ok.log");
        std::fs::write(&inside, "line\n").expect("write");
        let upload = open(&[dir()], inside.to_str().expect("utf-8")).expect("open").read().expect("read");
        assert_eq!(
            (upload.name.as_str(), upload.content_type, upload.bytes.as_slice()),
            ("ok.log", "text/plain", &b"line\n"[..])
        );
        let outside = open(&[dir()], "/etc/hostname").expect_err("outside").client_message();
        assert!(outside.contains("outside") && outside.contains("TRACKER_MCP_UPLOAD_DIRS"), "{outside}");
    }

    #[test]
    fn a_start_with_a_missing_directory_names_it() {
        let message = parse_dirs("/no/such/dir").expect_err("missing").to_string();
        assert!(message.contains("TRACKER_MCP_UPLOAD_DIRS") && message.contains("/no/such/dir"), "{message}");
    }
}
