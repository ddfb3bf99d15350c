//! What kind of content an attachment or a file is: one rule for every tracker, so that a
//! file shown as text on one tracker is text on the others.

/// File name endings whose content is text whatever type the tracker recorded (trackers often
/// store logs and sources as `application/octet-stream`).
const TEXT_EXTENSIONS: &[&str] = &[
    "txt",
    "log",
    "md",
    "markdown",
    "textile",
    "rst",
    "csv",
    "tsv",
    "json",
    "xml",
    "yml",
    "yaml",
    "toml",
    "ini",
    "cfg",
    "conf",
    "patch",
    "diff",
    "sql",
    "sh",
    "bash",
    "py",
    "rb",
    "rs",
    "go",
    "java",
    "kt",
    "c",
    "h",
    "cc",
    "cpp",
    "hpp",
    "cs",
    "js",
    "ts",
    "jsx",
    "tsx",
    "css",
    "html",
    "htm",
    "php",
    "pl",
    "properties",
    "gradle",
    "out",
    "err",
    "trace",
];

/// Parts of a MIME type that mark text (`application/json`, `text/x-log`, ...).
const TEXT_TYPES: &[&str] =
    &["json", "xml", "yaml", "javascript", "x-sh", "x-patch", "x-diff", "x-log", "sql", "toml"];

/// Whether an attachment is worth fetching as text, from its recorded type and its name.
#[must_use]
pub fn looks_textual(content_type: &str, filename: &str) -> bool {
    let ct = content_type.to_ascii_lowercase();
    let ext = filename.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    ct.starts_with("text/")
        || TEXT_TYPES.iter().any(|t| ct.contains(t))
        || TEXT_EXTENSIONS.contains(&ext.as_str())
}

/// The bytes as text, or `None` when they are binary: a NUL byte in the first 8,000 (git's
/// own test) or not UTF-8.
#[must_use]
pub fn as_text(bytes: &[u8]) -> Option<String> {
    if bytes[..bytes.len().min(8000)].contains(&0) {
        return None;
    }
    std::str::from_utf8(bytes).ok().map(str::to_owned)
}

/// Largest image returned to the model as image content, in bytes (larger ones are described).
pub const IMAGE_MAX_BYTES: usize = 5 * 1024 * 1024;

/// The image type of `bytes` from their signature, whatever type the tracker recorded: PNG,
/// JPEG, GIF or WebP (what models read), `None` for anything else.
#[must_use]
pub fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_known_by_their_bytes() {
        assert_eq!(image_type(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some("image/png"));
        assert_eq!(image_type(&[0xff, 0xd8, 0xff, 0xe0, 0, 0x10]), Some("image/jpeg"));
        assert_eq!(image_type(b"GIF89a\x01\0"), Some("image/gif"));
        assert_eq!(image_type(b"RIFF\x24\0\0\0WEBPVP8 "), Some("image/webp"));
        // A declared PNG whose bytes are not one, a truncated signature, a RIFF that is no WebP.
        assert_eq!(image_type(b"\x89PNG\0\x01\x02\x03"), None);
        assert_eq!(image_type(b"RIFF\x24\0\0\0WAVEfmt "), None);
        assert_eq!(image_type(b"%PDF-1.7"), None);
        assert_eq!(image_type(b""), None);
    }

    #[test]
    fn text_by_type_or_name_and_binary_by_bytes() {
        assert!(looks_textual("text/plain", "a.bin"));
        assert!(looks_textual("application/octet-stream", "build.LOG"));
        assert!(looks_textual("application/json; charset=utf-8", "x"));
        assert!(!looks_textual("image/png", "shot.png"));
        assert!(!looks_textual("application/octet-stream", "noextension"));
        assert_eq!(as_text(b"plain").as_deref(), Some("plain"));
        assert_eq!(as_text(b"a\0b"), None);
        assert_eq!(as_text(&[0xff, 0xfe]), None);
    }
}
