//! Bugzilla's REST shapes, as both 5.2 and 5.3.3 send them (see the upstream README).

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// `0`/`1` on 5.2, `false`/`true` on 5.3.3 (attachment flags), `null` as false.
pub fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Bool(b) => b,
        Value::Number(n) => n.as_i64().unwrap_or(0) != 0,
        Value::String(s) => s == "1" || s.eq_ignore_ascii_case("true"),
        _ => false,
    })
}

/// A string that may come as `null`.
pub fn null_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

/// `alias` is an array on 5.x, a string or null on 4.x.
pub fn alias_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items.into_iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
        Value::String(s) if !s.is_empty() => vec![s],
        _ => Vec::new(),
    })
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct UserDetail {
    #[serde(default, deserialize_with = "null_string")]
    pub name: String,
    #[serde(default, deserialize_with = "null_string")]
    pub real_name: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Flag {
    pub id: u64,
    #[serde(default, deserialize_with = "null_string")]
    pub name: String,
    #[serde(default, deserialize_with = "null_string")]
    pub status: String,
    #[serde(default, deserialize_with = "null_string")]
    pub setter: String,
    #[serde(default, deserialize_with = "null_string")]
    pub requestee: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Bug {
    pub id: u64,
    #[serde(default, deserialize_with = "null_string")]
    pub summary: String,
    #[serde(default, deserialize_with = "null_string")]
    pub status: String,
    #[serde(default, deserialize_with = "null_string")]
    pub resolution: String,
    #[serde(default, deserialize_with = "alias_list")]
    pub alias: Vec<String>,
    #[serde(default, deserialize_with = "null_string")]
    pub product: String,
    #[serde(default, deserialize_with = "null_string")]
    pub component: String,
    #[serde(default, deserialize_with = "null_string")]
    pub version: String,
    #[serde(default, deserialize_with = "null_string")]
    pub target_milestone: String,
    #[serde(default, deserialize_with = "null_string")]
    pub severity: String,
    #[serde(default, deserialize_with = "null_string")]
    pub priority: String,
    #[serde(default, deserialize_with = "null_string")]
    pub platform: String,
    #[serde(default, deserialize_with = "null_string")]
    pub op_sys: String,
    #[serde(default, deserialize_with = "null_string")]
    pub assigned_to: String,
    #[serde(default)]
    pub assigned_to_detail: Option<UserDetail>,
    #[serde(default, deserialize_with = "null_string")]
    pub creator: String,
    #[serde(default)]
    pub creator_detail: Option<UserDetail>,
    #[serde(default, deserialize_with = "null_string")]
    pub qa_contact: String,
    #[serde(default)]
    pub cc: Vec<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default, deserialize_with = "null_string")]
    pub whiteboard: String,
    #[serde(default)]
    pub blocks: Vec<u64>,
    #[serde(default)]
    pub depends_on: Vec<u64>,
    #[serde(default)]
    pub dupe_of: Option<u64>,
    #[serde(default)]
    pub flags: Vec<Flag>,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub see_also: Vec<String>,
    #[serde(default, deserialize_with = "null_string")]
    pub creation_time: String,
    #[serde(default, deserialize_with = "null_string")]
    pub last_change_time: String,
    #[serde(default, deserialize_with = "null_string")]
    pub url: String,
    #[serde(default)]
    pub deadline: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Bugs {
    #[serde(default)]
    pub bugs: Vec<Bug>,
    #[serde(default)]
    pub faults: Vec<Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Comment {
    pub id: u64,
    #[serde(default)]
    pub count: u64,
    #[serde(default, deserialize_with = "null_string")]
    pub creator: String,
    #[serde(default, deserialize_with = "null_string")]
    pub creation_time: String,
    #[serde(default, deserialize_with = "null_string")]
    pub text: String,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub is_private: bool,
    #[serde(default)]
    pub attachment_id: Option<u64>,
}

#[derive(Debug, Deserialize)]
pub struct BugComments {
    #[serde(default)]
    pub comments: Vec<Comment>,
}

#[derive(Debug, Deserialize)]
pub struct CommentsAnswer {
    #[serde(default)]
    pub bugs: BTreeMap<String, BugComments>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Change {
    #[serde(default, deserialize_with = "null_string")]
    pub field_name: String,
    #[serde(default, deserialize_with = "null_string")]
    pub removed: String,
    #[serde(default, deserialize_with = "null_string")]
    pub added: String,
    #[serde(default)]
    pub attachment_id: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct HistoryEntry {
    #[serde(default, deserialize_with = "null_string")]
    pub when: String,
    #[serde(default, deserialize_with = "null_string")]
    pub who: String,
    #[serde(default)]
    pub changes: Vec<Change>,
}

#[derive(Debug, Deserialize)]
pub struct BugHistory {
    pub id: u64,
    #[serde(default)]
    pub history: Vec<HistoryEntry>,
}

#[derive(Debug, Deserialize)]
pub struct HistoryAnswer {
    #[serde(default)]
    pub bugs: Vec<BugHistory>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Attachment {
    pub id: u64,
    #[serde(default)]
    pub bug_id: u64,
    #[serde(default, deserialize_with = "null_string")]
    pub file_name: String,
    #[serde(default, deserialize_with = "null_string")]
    pub summary: String,
    #[serde(default, deserialize_with = "null_string")]
    pub content_type: String,
    #[serde(default)]
    pub size: u64,
    #[serde(default, deserialize_with = "null_string")]
    pub creator: String,
    #[serde(default, deserialize_with = "null_string")]
    pub creation_time: String,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub is_patch: bool,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub is_private: bool,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub is_obsolete: bool,
    #[serde(default)]
    pub flags: Vec<Flag>,
    /// Base64, only when asked for.
    #[serde(default)]
    pub data: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct AttachmentsAnswer {
    #[serde(default)]
    pub bugs: BTreeMap<String, Vec<Attachment>>,
    #[serde(default)]
    pub attachments: BTreeMap<String, Attachment>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NamedItem {
    #[serde(default, deserialize_with = "null_string")]
    pub name: String,
    #[serde(default = "yes", deserialize_with = "lenient_bool")]
    pub is_active: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
pub struct Component {
    #[serde(default, deserialize_with = "null_string")]
    pub name: String,
    #[serde(default, deserialize_with = "null_string")]
    pub description: String,
    #[serde(default, deserialize_with = "null_string")]
    pub default_assigned_to: String,
    #[serde(default, deserialize_with = "null_string")]
    pub default_qa_contact: String,
    #[serde(default = "yes", deserialize_with = "lenient_bool")]
    pub is_active: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Product {
    pub id: u64,
    #[serde(default, deserialize_with = "null_string")]
    pub name: String,
    #[serde(default, deserialize_with = "null_string")]
    pub description: String,
    #[serde(default = "yes", deserialize_with = "lenient_bool")]
    pub is_active: bool,
    #[serde(default, deserialize_with = "null_string")]
    pub default_milestone: String,
    #[serde(default, deserialize_with = "null_string")]
    pub classification: String,
    #[serde(default)]
    pub components: Vec<Component>,
    #[serde(default)]
    pub versions: Vec<NamedItem>,
    #[serde(default)]
    pub milestones: Vec<NamedItem>,
}

#[derive(Debug, Deserialize)]
pub struct Products {
    #[serde(default)]
    pub products: Vec<Product>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Transition {
    #[serde(default, deserialize_with = "null_string")]
    pub name: String,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub comment_required: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FieldValue {
    /// `null` for the pseudo-value listing the statuses a new bug may start in.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub is_open: Option<bool>,
    #[serde(default)]
    pub can_change_to: Option<Vec<Transition>>,
    #[serde(default)]
    pub is_active: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Field {
    #[serde(default, deserialize_with = "null_string")]
    pub name: String,
    #[serde(default, deserialize_with = "null_string")]
    pub display_name: String,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub is_custom: bool,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub is_mandatory: bool,
    #[serde(rename = "type", default)]
    pub kind: i64,
    #[serde(default)]
    pub values: Vec<FieldValue>,
}

#[derive(Debug, Deserialize)]
pub struct Fields {
    #[serde(default)]
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct User {
    pub id: u64,
    #[serde(default, deserialize_with = "null_string")]
    pub name: String,
    #[serde(default, deserialize_with = "null_string")]
    pub real_name: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default = "yes", deserialize_with = "lenient_bool")]
    pub can_login: bool,
}

#[derive(Debug, Deserialize)]
pub struct Users {
    #[serde(default)]
    pub users: Vec<User>,
}

#[derive(Debug, Deserialize)]
pub struct UpdatedBug {
    pub id: u64,
    #[serde(default)]
    pub changes: BTreeMap<String, ChangeSet>,
}

#[derive(Debug, Deserialize)]
pub struct ChangeSet {
    #[serde(default, deserialize_with = "null_string")]
    pub removed: String,
    #[serde(default, deserialize_with = "null_string")]
    pub added: String,
}

#[derive(Debug, Deserialize)]
pub struct UpdateAnswer {
    #[serde(default)]
    pub bugs: Vec<UpdatedBug>,
}
