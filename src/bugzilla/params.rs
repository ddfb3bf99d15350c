//! Argument types and checks shared by the Bugzilla areas: bug references, names, dates.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::params;

/// Longest comment or description accepted, in bytes.
pub(super) const MAX_TEXT: usize = 65_535;

/// A bug id (number) or alias (text); both JSON numbers and strings are accepted.
#[derive(Debug, Clone)]
pub struct BugRef(String);

impl<'de> Deserialize<'de> for BugRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::Number(n) => Ok(Self(n.to_string())),
            Value::String(s) => Ok(Self(s.trim().to_owned())),
            _ => Err(serde::de::Error::custom("a bug id (number) or alias (text)")),
        }
    }
}

impl JsonSchema for BugRef {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "BugRef".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": ["integer", "string"]})
    }
}

/// A list, or a single id/alias, or "1,5" (models send all three).
pub(super) fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Vec<BugRef>, D::Error> {
    let items = match Value::deserialize(d)? {
        Value::Array(items) => items,
        Value::String(s) => s.split(',').map(|p| Value::String(p.trim().to_owned())).collect(),
        other => vec![other],
    };
    items.into_iter().map(|v| BugRef::deserialize(v).map_err(serde::de::Error::custom)).collect()
}

/// The schema says what [`one_or_many`] accepts, so the argument check lets all three through.
pub(super) fn one_or_many_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({"type": ["array", "integer", "string"], "items": {"type": ["integer", "string"]}})
}

impl BugRef {
    /// The validated id or alias, ready to be one path segment.
    pub(super) fn check(&self, arg: &str) -> Result<String> {
        let v = self.0.as_str();
        // Anything number-like is an id (Bugzilla refuses numeric aliases): "-1" and "+7" too.
        let digits = v.strip_prefix(['-', '+']).unwrap_or(v);
        if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
            let id = v.parse::<i64>().map_err(|_| Error::invalid(arg, "is not a valid bug id"))?;
            return Ok(params::positive_id(arg, id)?.to_string());
        }
        let alias = params::segment(arg, v, 40, false)?;
        if alias.contains([',', ' ']) {
            return Err(Error::invalid(arg, "a bug id is a number; an alias has no spaces or commas"));
        }
        Ok(alias.to_owned())
    }
}

/// A new alias: text that is not a number, without spaces or commas.
pub(super) fn new_alias(v: &str) -> Result<String> {
    if v.chars().all(|c| c.is_ascii_digit()) {
        return Err(Error::invalid("alias", "an alias cannot be a number"));
    }
    BugRef(v.to_owned()).check("alias")
}

pub(super) fn opt_text<'a>(arg: &str, value: Option<&'a str>, max: usize) -> Result<Option<&'a str>> {
    value.map(|v| params::text(arg, v, max)).transpose()
}

/// A name (product, component, login, status...) sent as a value, not a path.
pub(super) fn name<'a>(arg: &str, value: Option<&'a str>) -> Result<Option<&'a str>> {
    match value {
        None => Ok(None),
        Some(v) => {
            let v = params::text(arg, v, 255)?.trim();
            if v.chars().any(|c| c.is_control() || crate::error::is_invisible(c)) {
                return Err(Error::invalid(arg, "must not contain control characters"));
            }
            Ok(Some(v))
        }
    }
}

pub(super) fn names<'a>(arg: &str, values: &'a [String]) -> Result<Vec<&'a str>> {
    if values.len() > 100 {
        return Err(Error::invalid(arg, "at most 100 values"));
    }
    values.iter().map(|v| name(arg, Some(v)).map(|n| n.unwrap_or_default())).collect()
}

pub(super) fn bug_ids(arg: &str, values: &[i64]) -> Result<Vec<u64>> {
    if values.len() > 100 {
        return Err(Error::invalid(arg, "at most 100 bug ids"));
    }
    values.iter().map(|v| params::positive_id(arg, *v)).collect()
}

/// `2025-01-07` or `2025-01-07T10:00:00Z`.
pub(super) fn date<'a>(arg: &str, value: Option<&'a str>) -> Result<Option<&'a str>> {
    let Some(v) = value.map(str::trim) else { return Ok(None) };
    let ok = v.len() >= 10
        && v.len() <= 25
        && v.as_bytes()[4] == b'-'
        && v.as_bytes()[7] == b'-'
        && v.chars().all(|c| c.is_ascii_digit() || matches!(c, '-' | ':' | 'T' | 'Z' | '+' | '.'));
    if ok {
        Ok(Some(v))
    } else {
        Err(Error::invalid(arg, "must be a date like 2025-01-07 or 2025-01-07T10:00:00Z"))
    }
}

/// Comma-separated values: "High,Highest".
pub(super) fn split_list(value: Option<&str>) -> Vec<String> {
    value
        .map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default()
}
