//! What `bugzilla_update_bug` sends: one bug or a list changed alike, every editable field,
//! flags by id; product-specific values and custom select fields are checked against the
//! legal values the instance reports before anything is sent.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::client::{self, BugzillaApi, Write};
use super::models::Bug;
use super::params::{BugRef, MAX_TEXT, bug_ids, name, names, new_alias, opt_text};
use super::{endpoints, render};
use crate::error::{Error, Result};
use crate::params;

/// Most bugs one update changes (each is read first for its checks and its dry run).
const MAX_BUGS: usize = 20;
/// Field types (`/rest/field/bug`) whose values are a fixed list: single and multiple select.
const SELECT_TYPES: [i64; 2] = [2, 3];

#[derive(Debug, Deserialize, JsonSchema)]
pub struct FlagParam {
    /// Flag id: changes that flag.
    pub id: Option<i64>,
    /// Or a type name: adds or changes its flag.
    pub name: Option<String>,
    /// "+", "-", "?" (request) or "X" (clear).
    pub status: String,
    /// Login asked, with "?".
    pub requestee: Option<String>,
    /// Add one even if the bug has one.
    #[serde(default)]
    pub new: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UpdateBugParams {
    /// Bug id or alias.
    pub bug: Option<BugRef>,
    /// Or up to 20 bugs.
    #[serde(default)]
    pub ids: Vec<BugRef>,
    /// New status, e.g. "RESOLVED".
    pub status: Option<String>,
    /// Resolution, e.g. "FIXED".
    pub resolution: Option<String>,
    /// Comment.
    pub comment: Option<String>,
    /// Make that comment private.
    #[serde(default)]
    pub comment_private: bool,
    /// New assignee login.
    pub assignee: Option<String>,
    /// New priority.
    pub priority: Option<String>,
    /// New severity.
    pub severity: Option<String>,
    /// Summary.
    pub summary: Option<String>,
    /// Product.
    pub product: Option<String>,
    /// Component.
    pub component: Option<String>,
    /// Version, e.g. "unspecified".
    pub version: Option<String>,
    /// Target milestone, e.g. "M1".
    pub target_milestone: Option<String>,
    /// QA contact login ("" resets).
    pub qa_contact: Option<String>,
    /// URL ("" clears).
    pub url: Option<String>,
    /// See-also URLs.
    #[serde(default)]
    pub see_also: Vec<String>,
    /// Alias ("" clears).
    pub alias: Option<String>,
    /// Custom fields: {"cf_x": value}.
    pub fields: Option<BTreeMap<String, Value>>,
    /// CC logins to add; prefix "-" to remove.
    #[serde(default)]
    pub cc: Vec<String>,
    /// Keywords to add; prefix "-" to remove.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// New whiteboard ("" clears).
    pub whiteboard: Option<String>,
    /// Bug ids to add to blocks; negative to remove.
    #[serde(default)]
    pub blocks: Vec<i64>,
    /// Bug ids to add to depends on; negative to remove.
    #[serde(default)]
    pub depends_on: Vec<i64>,
    /// Duplicate of this bug id (resolves it).
    pub dupe_of: Option<i64>,
    /// Flags to set.
    #[serde(default)]
    pub flags: Vec<FlagParam>,
    /// Dry run.
    #[serde(default)]
    pub dry_run: bool,
}

/// Check, send (or describe) and report one update.
pub(super) async fn run(api: &BugzillaApi, p: UpdateBugParams) -> Result<String> {
    // The body first: a bad value is named even when the bug is missing too.
    let mut body = body(&p)?;
    let ids = targets(&p)?;
    if body.is_empty() {
        return Err(Error::invalid("arguments", "nothing to change: give at least one field"));
    }
    let has_comment = body.contains_key("comment");
    let status = p.status.as_deref().map(str::trim);
    let product_bound = p.component.is_some() || p.version.is_some() || p.target_milestone.is_some();
    // The bugs as they are, read once for every check and preview that needs them.
    let current = if status.is_some() || product_bound || (p.dry_run && ids.len() > 1) {
        futures::future::join_all(ids.iter().map(|id| api.bug(id)))
            .await
            .into_iter()
            .collect::<Result<Vec<_>>>()?
    } else {
        Vec::new()
    };
    if let Some(to) = status {
        for bug in &current {
            client::check_transition(
                api,
                bug,
                to,
                has_comment,
                p.resolution.is_some() || p.dupe_of.is_some(),
            )
            .await?;
        }
    }
    if product_bound {
        check_product_values(api, &p, &current).await?;
    }
    check_custom_fields(api, p.fields.as_ref()).await?;
    if ids.len() > 1 {
        body.insert("ids".into(), json!(ids));
    }
    let write = Write::new(endpoints::UPDATE_BUG, &[&ids[0]], Value::Object(body));
    if p.dry_run {
        let mut out = api.describe(&write)?;
        if ids.len() > 1 {
            out.push_str("\nEach bug:");
            for bug in &current {
                let _ = write!(out, "\n{}", preview(bug, &write.body));
            }
        }
        return Ok(out);
    }
    let subject = if ids.len() > 1 { format!("bugs {}", ids.join(", ")) } else { format!("bug {}", ids[0]) };
    let answer = api.update_bug(&write, &subject).await?;
    if answer.bugs.is_empty() {
        return Err(Error::NotFound(format!("{subject} was not found or is not visible to this account")));
    }
    let mut out = Vec::new();
    for updated in &answer.bugs {
        let changes: Vec<String> =
            updated.changes.iter().map(|(field, c)| render::change(field, &c.removed, &c.added)).collect();
        let mut text = format!("Updated bug {}", updated.id);
        if changes.is_empty() {
            text.push_str(": no field changed");
        } else {
            let _ = write!(text, ": {}", crate::render::one_line(&changes.join("; ")));
        }
        if has_comment {
            text.push_str(if p.comment_private { " (private comment added)" } else { " (comment added)" });
        }
        if !p.flags.is_empty() {
            // The answer names flags by type only; their ids let the model answer one of two.
            let bug = api.bug(&updated.id.to_string()).await?;
            let _ = write!(text, "\nFlags: {}", render::flags(&bug.flags).unwrap_or_else(|| "none".into()));
        }
        let _ = write!(text, "\nWeb: {}", api.bug_page(updated.id));
        out.push(text);
    }
    Ok(out.join("\n"))
}

/// `bug` or `ids`, checked; never both, never none.
fn targets(p: &UpdateBugParams) -> Result<Vec<String>> {
    let ids = match (&p.bug, p.ids.is_empty()) {
        (Some(bug), true) => vec![bug.check("bug")?],
        (None, false) if p.ids.len() <= MAX_BUGS => {
            p.ids.iter().map(|r| r.check("ids")).collect::<Result<Vec<_>>>()?
        }
        (None, false) => return Err(Error::invalid("ids", format!("at most {MAX_BUGS} bugs per update"))),
        (None, true) => return Err(Error::invalid("bug", "give `bug` (one bug) or `ids` (several)")),
        (Some(_), false) => {
            return Err(Error::invalid("bug", "give `bug` (one bug) or `ids` (several), not both"));
        }
    };
    Ok(ids)
}

/// The JSON body of Bugzilla's `PUT /rest/bug/{id}`, every argument checked.
fn body(p: &UpdateBugParams) -> Result<Map<String, Value>> {
    let mut body = Map::new();
    for (arg, key, value) in [
        ("status", "status", &p.status),
        ("resolution", "resolution", &p.resolution),
        ("assignee", "assigned_to", &p.assignee),
        ("priority", "priority", &p.priority),
        ("severity", "severity", &p.severity),
        ("product", "product", &p.product),
        ("component", "component", &p.component),
        ("version", "version", &p.version),
        ("target_milestone", "target_milestone", &p.target_milestone),
    ] {
        if let Some(v) = name(arg, value.as_deref())? {
            body.insert(key.to_owned(), json!(v));
        }
    }
    if p.product.is_some() && p.component.is_none() {
        return Err(Error::invalid("component", "moving a bug to another product needs its component too"));
    }
    if let Some(s) = &p.summary {
        body.insert("summary".into(), json!(params::text("summary", s, 255)?.trim()));
    }
    // "" resets or clears, which the name check (no empty names) would refuse.
    let cleared = |v: &Option<String>| v.as_deref().is_some_and(|v| v.trim().is_empty());
    if cleared(&p.qa_contact) {
        body.insert("reset_qa_contact".into(), json!(true));
    } else if let Some(login) = name("qa_contact", p.qa_contact.as_deref())? {
        body.insert("qa_contact".into(), json!(login));
    }
    for (arg, value) in [("url", &p.url), ("whiteboard", &p.whiteboard)] {
        if let Some(v) = value {
            if v.len() > 255 || v.contains('\0') {
                return Err(Error::invalid(arg, "at most 255 bytes, no NUL"));
            }
            body.insert(arg.to_owned(), json!(v.trim()));
        }
    }
    if cleared(&p.alias) {
        body.insert("alias".into(), json!({"set": []}));
    } else if let Some(alias) = name("alias", p.alias.as_deref())? {
        body.insert("alias".into(), json!({"set": [new_alias(alias)?]}));
    }
    let comment = opt_text("comment", p.comment.as_deref(), MAX_TEXT)?;
    if let Some(text) = comment {
        body.insert("comment".into(), json!({"body": text, "is_private": p.comment_private}));
    }
    for (key, values) in [("cc", &p.cc), ("keywords", &p.keywords), ("see_also", &p.see_also)] {
        if !values.is_empty() {
            let (remove, add): (Vec<&String>, Vec<&String>) = values.iter().partition(|v| v.starts_with('-'));
            let add: Vec<String> = add.into_iter().cloned().collect();
            let remove: Vec<String> = remove.iter().map(|v| v[1..].to_owned()).collect();
            body.insert(key.to_owned(), json!({"add": names(key, &add)?, "remove": names(key, &remove)?}));
        }
    }
    for (key, values) in [("blocks", &p.blocks), ("depends_on", &p.depends_on)] {
        if !values.is_empty() {
            let (remove, add): (Vec<i64>, Vec<i64>) = values.iter().partition(|v| **v < 0);
            let remove: Vec<i64> = remove.iter().map(|v| v.saturating_neg()).collect();
            body.insert(
                key.to_owned(),
                json!({"add": bug_ids(key, &add)?, "remove": bug_ids(key, &remove)?}),
            );
        }
    }
    if let Some(d) = p.dupe_of {
        body.insert("dupe_of".into(), json!(params::positive_id("dupe_of", d)?));
    }
    if !p.flags.is_empty() {
        body.insert("flags".into(), Value::Array(p.flags.iter().map(flag).collect::<Result<_>>()?));
    }
    for (key, value) in p.fields.iter().flatten() {
        body.insert(custom_name(key)?.to_owned(), custom_value(key, value)?);
    }
    Ok(body)
}

/// One flag as Bugzilla's REST takes it: `id` changes that flag; `name` (+ `new`) adds one
/// or, without `new`, changes the bug's only flag of that type.
fn flag(f: &FlagParam) -> Result<Value> {
    if !["+", "-", "?", "X"].contains(&f.status.as_str()) {
        return Err(Error::invalid("flags", "status must be \"+\", \"-\", \"?\" or \"X\""));
    }
    let mut flag = match (f.id, name("flags", f.name.as_deref())?) {
        (Some(id), None) => json!({"id": params::positive_id("flags", id)?}),
        (None, Some(type_name)) if !type_name.is_empty() => json!({"name": type_name, "new": f.new}),
        _ => return Err(Error::invalid("flags", "give a flag's `id` (to change it) or a type `name`")),
    };
    flag["status"] = json!(f.status);
    if let Some(r) = name("flags", f.requestee.as_deref())? {
        flag["requestee"] = json!(r);
    }
    Ok(flag)
}

fn custom_name(key: &str) -> Result<&str> {
    let ok = key.len() > 3
        && key.len() <= 64
        && key.starts_with("cf_")
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(key)
    } else {
        Err(Error::invalid("fields", format!("'{key}' is no custom field name (cf_...)")))
    }
}

/// A custom field's value: text, or a list of texts for multi-selects.
fn custom_value(key: &str, value: &Value) -> Result<Value> {
    let one = |v: &Value| -> Result<String> {
        match v {
            Value::String(s) => Ok(params::text("fields", s, MAX_TEXT)?.to_owned()),
            Value::Number(n) => Ok(n.to_string()),
            _ => Err(Error::invalid("fields", format!("{key}: give text or a list of texts"))),
        }
    };
    match value {
        Value::Array(items) if items.len() <= 100 => {
            Ok(json!(items.iter().map(one).collect::<Result<Vec<_>>>()?))
        }
        other => Ok(json!(one(other)?)),
    }
}

/// Component, version and milestone must exist (and be active) in the product the bug ends
/// up in; Bugzilla's own refusal names only the first bad value.
async fn check_product_values(api: &BugzillaApi, p: &UpdateBugParams, current: &[Bug]) -> Result<()> {
    let mut products: Vec<&str> = match p.product.as_deref() {
        Some(product) => vec![product.trim()],
        None => current.iter().map(|b| b.product.as_str()).collect(),
    };
    products.sort_unstable();
    products.dedup();
    for product_name in products {
        let product = api.product(product_name).await?;
        let active = |items: Vec<(String, bool)>| -> Vec<String> {
            items.into_iter().filter(|(_, on)| *on).map(|(n, _)| n).collect()
        };
        for (arg, value, kind, legal) in [
            (
                "component",
                &p.component,
                "component",
                active(product.components.iter().map(|c| (c.name.clone(), c.is_active)).collect()),
            ),
            (
                "version",
                &p.version,
                "version",
                active(product.versions.iter().map(|v| (v.name.clone(), v.is_active)).collect()),
            ),
            (
                "target_milestone",
                &p.target_milestone,
                "milestone",
                active(product.milestones.iter().map(|m| (m.name.clone(), m.is_active)).collect()),
            ),
        ] {
            if let Some(v) = value.as_deref().map(str::trim)
                && !legal.iter().any(|l| l == v)
            {
                return Err(Error::invalid(
                    arg,
                    format!(
                        "no {kind} '{}' in product {}; {kind}s: {}",
                        crate::render::one_line(v),
                        product.name,
                        legal.join(", ")
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// A custom select field takes only the values the instance lists for it.
async fn check_custom_fields(api: &BugzillaApi, fields: Option<&BTreeMap<String, Value>>) -> Result<()> {
    for (key, value) in fields.into_iter().flatten() {
        let unknown = || {
            Error::invalid(
                "fields",
                format!("no custom field '{key}' (see field_values of bugzilla_product_read)"),
            )
        };
        let found = match api.fields(Some(key)).await {
            Ok(fields) => fields.into_iter().find(|f| f.name == *key),
            // Bugzilla's "no field named ..." (code 51) comes back as an invalid `field`.
            Err(Error::InvalidArgument { .. }) => None,
            Err(e) => return Err(e),
        };
        let field = found.ok_or_else(unknown)?;
        if !field.is_custom {
            return Err(Error::invalid("fields", format!("'{key}' is no custom field")));
        }
        if !SELECT_TYPES.contains(&field.kind) {
            continue;
        }
        let legal: Vec<&str> = field
            .values
            .iter()
            .filter(|v| v.is_active != Some(false))
            .filter_map(|v| v.name.as_deref())
            .collect();
        let given: Vec<&str> = match value {
            Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
            other => other.as_str().into_iter().collect(),
        };
        if let Some(bad) = given.iter().find(|g| !legal.contains(&g.trim())) {
            return Err(Error::invalid(
                "fields",
                format!("{key}: '{}' is not a legal value; legal values: {}", bad.trim(), legal.join(", ")),
            ));
        }
    }
    Ok(())
}

/// One bug of a list dry run: what each field would become, from what it is now.
fn preview(bug: &Bug, body: &Value) -> String {
    let mut parts = Vec::new();
    for (key, value) in body.as_object().into_iter().flatten() {
        let now = match key.as_str() {
            "status" => Some(&bug.status),
            "resolution" => Some(&bug.resolution),
            "assigned_to" => Some(&bug.assigned_to),
            "priority" => Some(&bug.priority),
            "severity" => Some(&bug.severity),
            "summary" => Some(&bug.summary),
            "product" => Some(&bug.product),
            "component" => Some(&bug.component),
            "version" => Some(&bug.version),
            "target_milestone" => Some(&bug.target_milestone),
            "qa_contact" => Some(&bug.qa_contact),
            "url" => Some(&bug.url),
            "whiteboard" => Some(&bug.whiteboard),
            "ids" => continue,
            _ => None,
        };
        parts.push(match (now, value.as_str()) {
            (Some(now), Some(to)) if now == to => format!("{key} stays {to}"),
            (Some(now), Some(to)) => {
                format!("{key}: {} -> {to}", if now.is_empty() { "(empty)" } else { now })
            }
            _ => format!("{key}: {}", crate::render::one_line(&value.to_string())),
        });
    }
    format!(
        "- bug {} [{}] {}/{}: {}",
        bug.id,
        bug.status,
        bug.product,
        bug.component,
        crate::render::one_line(&parts.join("; "))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(args: Value) -> UpdateBugParams {
        serde_json::from_value(args).unwrap_or_else(|e| panic!("params: {e}"))
    }

    #[test]
    fn a_flag_is_changed_by_id_or_added_by_name() {
        let p = params(json!({"bug": 1, "flags": [
            {"id": 7, "status": "+"},
            {"name": "needinfo", "status": "?", "requestee": "a@x.test", "new": true}]}));
        let body = body(&p).unwrap_or_default();
        assert_eq!(
            body["flags"],
            json!([{"id": 7, "status": "+"},
                {"name": "needinfo", "new": true, "status": "?", "requestee": "a@x.test"}])
        );
        for bad in [
            json!({"status": "+"}),
            json!({"id": 7, "name": "x", "status": "+"}),
            json!({"id": 7, "status": "!"}),
        ] {
            let p = params(json!({"bug": 1, "flags": [bad]}));
            assert!(matches!(body_err(&p), Some(Error::InvalidArgument { arg, .. }) if arg == "flags"));
        }
    }

    fn body_err(p: &UpdateBugParams) -> Option<Error> {
        body(p).err()
    }

    #[test]
    fn empty_values_reset_and_product_needs_its_component() {
        let body =
            body(&params(json!({"bug": 1, "qa_contact": " ", "alias": "", "url": ""}))).unwrap_or_default();
        assert_eq!(body["reset_qa_contact"], json!(true));
        assert_eq!(body["alias"], json!({"set": []}));
        assert_eq!(body["url"], json!(""));
        let err = body_err(&params(json!({"bug": 1, "product": "Secret"})));
        assert!(matches!(err, Some(Error::InvalidArgument { arg, .. }) if arg == "component"));
        let err = body_err(&params(json!({"bug": 1, "alias": "123"})));
        assert!(matches!(err, Some(Error::InvalidArgument { arg, .. }) if arg == "alias"));
        let err = body_err(&params(json!({"bug": 1, "fields": {"priority": "P1"}})));
        assert!(matches!(err, Some(Error::InvalidArgument { arg, .. }) if arg == "fields"));
    }

    #[test]
    fn one_bug_or_a_list_never_both() {
        assert_eq!(
            targets(&params(json!({"ids": [1, "release-1.0"]}))).ok(),
            Some(vec!["1".into(), "release-1.0".into()])
        );
        assert!(targets(&params(json!({"bug": 1, "ids": [2]}))).is_err());
        assert!(targets(&params(json!({}))).is_err());
        let many: Vec<u64> = (1..=21).collect();
        assert!(targets(&params(json!({"ids": many}))).is_err());
    }
}
