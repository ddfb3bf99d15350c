//! Argument checks shared by every tool. rmcp does not enforce schema bounds, so each bound a
//! schema promises is checked here, before any request, with a message naming the argument.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::error::{Error, Result};

/// Default and largest page size of list tools.
pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;

/// `limit` within 1..=100, defaulting to 20.
pub fn limit(value: Option<i64>) -> Result<u32> {
    match value {
        None => Ok(DEFAULT_LIMIT),
        Some(v) if (1..=i64::from(MAX_LIMIT)).contains(&v) => Ok(u32::try_from(v).unwrap_or(DEFAULT_LIMIT)),
        Some(_) => Err(Error::invalid("limit", format!("must be from 1 to {MAX_LIMIT}"))),
    }
}

/// Largest offset a cursor or offset may carry.
pub const MAX_OFFSET: u64 = 1_000_000_000;

/// The `cursor` argument of every list: the `next` value of the previous page, passed back as
/// given. Both `"40"` and `40` are accepted. Redmine and Bugzilla cursors are offsets (see
/// [`cursor`]); Bitbucket's are opaque.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor(String);

/// The paging arguments of every list tool, flattened into its parameters so that all lists
/// take the same `limit` and `cursor` (and `offset`, an alias some trackers' users know).
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct Page {
    /// 1-100, default 20.
    pub limit: Option<i64>,
    /// `next` of the prior page.
    #[serde(alias = "offset")]
    pub cursor: Option<Cursor>,
}

impl Cursor {
    #[must_use]
    pub fn as_str(&self) -> &str {
        self.0.trim()
    }
}

impl<'de> Deserialize<'de> for Cursor {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) => Ok(Self(s)),
            Value::Number(n) => Ok(Self(n.to_string())),
            _ => Err(serde::de::Error::custom("a cursor: the `next` value of the previous page")),
        }
    }
}

impl JsonSchema for Cursor {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "Cursor".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": ["string", "integer"]})
    }
}

/// An offset cursor (Redmine, Bugzilla): the decimal number of items to skip, 0 to
/// 1,000,000,000, defaulting to 0 (also when empty).
pub fn cursor(value: Option<&Cursor>) -> Result<u64> {
    let Some(text) = value.map(Cursor::as_str).filter(|t| !t.is_empty()) else { return Ok(0) };
    offset_cursor(text).ok_or_else(|| {
        Error::invalid(
            "cursor",
            "must be the `next` value of the previous page (a whole number from 0 to 1000000000)",
        )
    })
}

/// The offset an offset cursor stands for: decimal digits only (no sign), 0..=1e9.
#[must_use]
pub fn offset_cursor(text: &str) -> Option<u64> {
    Some(text)
        .filter(|t| t.len() <= 10 && t.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|t| t.parse::<u64>().ok())
        .filter(|n| *n <= MAX_OFFSET)
}

/// A position argument (`arg`) ≥ 0, defaulting to 0.
pub fn offset(arg: &str, value: Option<i64>) -> Result<u64> {
    match value {
        None => Ok(0),
        Some(v) => u64::try_from(v)
            .ok()
            .filter(|v| *v <= MAX_OFFSET)
            .ok_or_else(|| Error::invalid(arg, "must be a whole number from 0 upwards")),
    }
}

/// A positive numeric id.
pub fn positive_id(arg: &str, value: i64) -> Result<u64> {
    u64::try_from(value)
        .ok()
        .filter(|v| *v > 0 && *v <= u64::from(u32::MAX) * 16)
        .ok_or_else(|| Error::invalid(arg, "must be a positive whole number, e.g. 42"))
}

/// A name that becomes one URL path segment (project identifier, repository slug, wiki page,
/// branch name...). Refuses what could change the path or the request: empty, `.`/`..`,
/// control characters (CR, LF, NUL), `?`, `#`, `%`, and `/` or `\` unless `allow_slash`.
pub fn segment<'a>(arg: &str, value: &'a str, max_len: usize, allow_slash: bool) -> Result<&'a str> {
    let bad = |why: &str| Err(Error::invalid(arg, why.to_owned()));
    if value.is_empty() {
        return bad("must not be empty");
    }
    if value.chars().count() > max_len {
        return bad(&format!("must be at most {max_len} characters"));
    }
    if value == "." || value == ".." || value.split(['/', '\\']).any(|p| p == "." || p == "..") {
        return bad("must not be `.` or `..` or contain such a path part");
    }
    if value.chars().any(|c| c.is_control() || crate::error::is_invisible(c)) {
        return bad("must not contain control or invisible characters");
    }
    // `;` starts path parameters in servlet containers (Tomcat under Bitbucket Data Center
    // drops `;x` from a segment, so `..;` walks up and `prod;-sandbox` is `prod`).
    if value.contains(['?', '#', '%', ';']) {
        return bad("must not contain `?`, `#`, `%` or `;`");
    }
    if value.chars().any(is_lookalike) {
        return bad("must not contain characters that imitate `/`, `\\`, `.`, `?`, `#` or `%`");
    }
    if !allow_slash && value.contains(['/', '\\']) {
        return bad("must not contain `/` or `\\`");
    }
    Ok(value)
}

/// Characters that imitate path or URL syntax (division slash, fullwidth solidus, one-dot
/// leader, ...): never part of a real identifier, often part of a spoofing attempt.
#[must_use]
pub fn is_lookalike(c: char) -> bool {
    matches!(
        c,
        '\u{FF1B}'
            | '\u{037E}'
            | '\u{3002}'
            | '\u{FF61}'
            | '\u{2215}'
            | '\u{2044}'
            | '\u{FF0F}'
            | '\u{29F8}'
            | '\u{FF3C}'
            | '\u{FE68}'
            | '\u{2216}'
            | '\u{29F5}'
            | '\u{FF0E}'
            | '\u{2024}'
            | '\u{2025}'
            | '\u{FE52}'
            | '\u{FF1F}'
            | '\u{FE56}'
            | '\u{FF03}'
            | '\u{FE5F}'
            | '\u{FF05}'
            | '\u{FE6A}'
    )
}

/// Free text with a length bound (comments, descriptions, search terms).
pub fn text<'a>(arg: &str, value: &'a str, max_len: usize) -> Result<&'a str> {
    if value.trim().is_empty() {
        return Err(Error::invalid(arg, "must not be empty"));
    }
    if value.len() > max_len {
        return Err(Error::invalid(arg, format!("must be at most {max_len} bytes")));
    }
    if value.contains('\0') {
        return Err(Error::invalid(arg, "must not contain NUL characters"));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_offsets() {
        assert_eq!(limit(None).expect("default"), 20);
        assert!(limit(Some(0)).is_err());
        assert!(limit(Some(101)).is_err());
        assert_eq!(offset("offset", Some(40)).expect("offset"), 40);
        assert!(offset("text_offset", Some(-1)).expect_err("negative").to_string().contains("`text_offset`"));
        assert_eq!(offset_cursor("40"), Some(40));
        assert_eq!(offset_cursor("+5"), None);
    }

    #[test]
    fn cursors_are_offsets() {
        let c = |v: Value| serde_json::from_value::<Cursor>(v).expect("cursor");
        assert_eq!(cursor(None).expect("default"), 0);
        assert_eq!(cursor(Some(&c(serde_json::json!("40")))).expect("string"), 40);
        assert_eq!(cursor(Some(&c(serde_json::json!(40)))).expect("number"), 40);
        assert_eq!(cursor(Some(&c(serde_json::json!(" 7 ")))).expect("trimmed"), 7);
        assert_eq!(cursor(Some(&c(serde_json::json!("")))).expect("empty"), 0);
        assert_eq!(cursor(Some(&c(serde_json::json!(1_000_000_000)))).expect("max"), MAX_OFFSET);
        for bad in [
            serde_json::json!(-1),
            serde_json::json!(1.5),
            serde_json::json!("+5"),
            serde_json::json!("1e3"),
            serde_json::json!("abc"),
            serde_json::json!(1_000_000_001),
            serde_json::json!("99999999999999999999"),
        ] {
            let e = cursor(Some(&c(bad.clone()))).expect_err("refused").to_string();
            assert!(e.contains("cursor"), "{bad}: {e}");
        }
        assert!(serde_json::from_value::<Cursor>(serde_json::json!([1])).is_err());
    }

    #[test]
    fn ids_are_positive() {
        assert_eq!(positive_id("id", 7).expect("id"), 7);
        for bad in [0, -5, i64::MAX] {
            let e = positive_id("bug_id", bad).expect_err("refused").to_string();
            assert!(e.contains("bug_id"), "{e}");
        }
    }

    #[test]
    fn segments_cannot_escape() {
        for bad in [
            "",
            ".",
            "..",
            "../x",
            "%2e%2e",
            "a?b",
            "a#b",
            "a\r\nb",
            "a\0b",
            "a/b",
            "a\u{202E}b",
            "a\u{2215}b",
            "a\u{FF0F}b",
        ] {
            assert!(segment("project", bad, 100, false).is_err(), "{bad:?}");
        }
        assert!(segment("path", "src/main.rs", 100, true).is_ok());
        assert!(segment("path", "src/../etc", 100, true).is_err());
        assert!(segment("project", &"x".repeat(101), 100, false).is_err());
    }
}
