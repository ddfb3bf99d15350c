//! Client for Redmine's REST API: one method per endpoint, Redmine's statuses and error bodies
//! mapped to errors the model can act on, and names (statuses, trackers, priorities, users,
//! versions, custom fields) resolved to ids through enumerations cached for the process.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use reqwest::header::HeaderName;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::OnceCell;

use super::endpoints as E;
use crate::config::{HttpSettings, RedmineConfig};
use crate::error::{Error, Result};
use crate::http::{Auth, HttpClient, Request, Response};

mod errors;
use errors::error_for;

/// Name used in messages.
pub const TRACKER: &str = "Redmine";

#[derive(Debug, Clone)]
pub struct RedmineApi {
    http: HttpClient,
    /// `scheme://host[:port]`, for the server's instructions.
    origin: String,
    anonymous: bool,
    cache: Arc<Cache>,
}

/// One entry of an enumeration (status, tracker, priority, activity, custom field).
#[derive(Debug, Clone, Deserialize)]
pub struct Named {
    pub id: u64,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub is_closed: bool,
    #[serde(default)]
    pub is_default: bool,
    #[serde(default)]
    pub active: Option<bool>,
    /// Custom fields only: `issue`, `time_entry`, `project`, ...
    #[serde(default)]
    pub customized_type: Option<String>,
    #[serde(default)]
    pub field_format: Option<String>,
    #[serde(default)]
    pub possible_values: Option<Vec<Value>>,
}

/// Enumerations cached for the life of the process (they change only by an administrator).
#[derive(Debug, Default)]
struct Cache {
    statuses: OnceCell<Vec<Named>>,
    trackers: OnceCell<Vec<Named>>,
    priorities: OnceCell<Vec<Named>>,
    activities: OnceCell<Vec<Named>>,
    custom_fields: OnceCell<Vec<Named>>,
    /// User names seen in answers, by id; and ids by lower-cased name or login.
    users: Mutex<HashMap<u64, String>>,
    user_ids: Mutex<HashMap<String, u64>>,
}

/// Which enumeration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enum {
    Status,
    Tracker,
    Priority,
    Activity,
}

impl Enum {
    fn label(self) -> &'static str {
        match self {
            Self::Status => "status",
            Self::Tracker => "tracker",
            Self::Priority => "priority",
            Self::Activity => "time-entry activity",
        }
    }
}

/// What a request is about, for messages: "issue 4", "project `beta`"; for writes also what
/// was attempted ("comment on").
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub what: &'a str,
    pub action: Option<&'a str>,
}

impl<'a> Subject<'a> {
    #[must_use]
    pub fn read(what: &'a str) -> Self {
        Self { what, action: None }
    }
    /// A write: `action` is a verb phrase such as "add issues to" or "comment on".
    #[must_use]
    pub fn write(action: &'a str, what: &'a str) -> Self {
        Self { what, action: Some(action) }
    }
}

impl RedmineApi {
    pub fn new(config: &RedmineConfig, settings: &HttpSettings) -> Result<Self> {
        let auth = match &config.api_key {
            Some(key) => {
                Auth::Header { name: HeaderName::from_static("x-redmine-api-key"), value: key.clone() }
            }
            None => Auth::None,
        };
        Ok(Self {
            http: HttpClient::new(TRACKER, config.url.clone(), auth, settings)?,
            origin: crate::config::origin_of(&config.url),
            anonymous: config.api_key.is_none(),
            cache: Arc::default(),
        })
    }

    /// The path and query a request would go to (for dry-run output).
    pub fn path_of(&self, request: &Request) -> Result<String> {
        self.http.path_and_query(request)
    }

    /// Send a request; non-success statuses become errors about `subject`.
    pub async fn send(&self, request: Request, subject: Subject<'_>) -> Result<Response> {
        let response = self.http.execute(request).await?;
        if response.is_success() {
            return Ok(response);
        }
        Err(error_for(&response, subject, self.anonymous))
    }

    /// `GET` a JSON document, refused unless it has the shape every Redmine answer has.
    pub async fn get(&self, request: Request, subject: &str) -> Result<Value> {
        let value = self.send(request, Subject::read(subject)).await?.json(TRACKER)?;
        check_envelope(&value, subject)?;
        Ok(value)
    }

    /// Who the key belongs to, in one line.
    pub async fn whoami(&self) -> Result<String> {
        if self.anonymous {
            self.send(E::PROJECTS.request(&[]).query("limit", 1), Subject::read("the project list")).await?;
            return Ok(
                "Acting anonymously on Redmine (REDMINE_ANONYMOUS=true): only public data is visible.".into(),
            );
        }
        let user = self.get(E::CURRENT_USER.request(&[]), "the current user").await?;
        let user = &user["user"];
        // Redmine answers 401 here for a key it does not know, even where anonymous access is
        // allowed, so a 200 with a user id means the key really was accepted.
        if !user["id"].is_u64() {
            return Err(Error::bad_response(TRACKER, "the current-user answer has no user id"));
        }
        Ok(format!(
            "Acting as {} {} (login {}, id {}{}) on Redmine.",
            str_of(user, "firstname"),
            str_of(user, "lastname"),
            str_of(user, "login"),
            user["id"],
            if user["admin"] == json!(true) { ", administrator" } else { "" }
        ))
    }

    /// `scheme://host[:port]` of this Redmine.
    #[must_use]
    pub fn origin(&self) -> &str {
        &self.origin
    }

    // -----------------------------------------------------------------------------------------
    // Enumerations

    /// An enumeration, fetched once per process.
    pub async fn enumeration(&self, which: Enum) -> Result<&[Named]> {
        let (cell, endpoint, key) = match which {
            Enum::Status => (&self.cache.statuses, &E::STATUSES, "issue_statuses"),
            Enum::Tracker => (&self.cache.trackers, &E::TRACKERS, "trackers"),
            Enum::Priority => (&self.cache.priorities, &E::PRIORITIES, "issue_priorities"),
            Enum::Activity => (&self.cache.activities, &E::ACTIVITIES, "time_entry_activities"),
        };
        let list = cell
            .get_or_try_init(|| async {
                let value = self.get(endpoint.request(&[]), &format!("the {} list", which.label())).await?;
                parse_list(&value, key)
            })
            .await?;
        Ok(list.as_slice())
    }

    /// Custom field definitions (administrators only: 403 otherwise).
    pub async fn custom_fields(&self) -> Result<&[Named]> {
        let list = self
            .cache
            .custom_fields
            .get_or_try_init(|| async {
                let value = self
                    .send(E::CUSTOM_FIELDS.request(&[]), Subject::read("the custom field definitions"))
                    .await
                    .map_err(|e| match e {
                        Error::Forbidden(_) => Error::Forbidden(
                            "custom field definitions are visible to Redmine administrators only; \
                             an issue's custom fields (with their ids) show in redmine_get_issue"
                                .into(),
                        ),
                        other => other,
                    })?
                    .json(TRACKER)?;
                parse_list(&value, "custom_fields")
            })
            .await?;
        Ok(list.as_slice())
    }

    /// The name of an enumeration entry, or `#id` when unknown (or the lookup failed).
    pub async fn enum_name(&self, which: Enum, id: &str) -> String {
        let Ok(id_num) = id.parse::<u64>() else { return id.to_owned() };
        match self.enumeration(which).await {
            Ok(list) => {
                list.iter().find(|e| e.id == id_num).map_or_else(|| format!("#{id}"), |e| e.name.clone())
            }
            Err(_) => format!("#{id}"),
        }
    }

    /// Resolve a status, tracker, priority or activity given as an id or a name.
    pub async fn resolve(&self, which: Enum, arg: &str, value: &str) -> Result<u64> {
        let value = value.trim();
        if let Some(id) = numeric_id(value) {
            return Ok(id);
        }
        let list = self.enumeration(which).await?;
        find_named(list, value).ok_or_else(|| {
            Error::invalid(
                arg,
                format!(
                    "no {} named {:?}; known: {}",
                    which.label(),
                    crate::render::one_line(value),
                    list.iter().map(|e| format!("{} ({})", e.name, e.id)).collect::<Vec<_>>().join(", ")
                ),
            )
        })
    }

    // -----------------------------------------------------------------------------------------
    // Users

    /// Remember user names seen in an answer (`{"id":5,"name":"John Smith"}` objects).
    pub fn remember_users(&self, value: &Value) {
        let mut found = Vec::new();
        collect_users(value, &mut found, 0);
        if found.is_empty() {
            return;
        }
        if let (Ok(mut users), Ok(mut ids)) = (self.cache.users.lock(), self.cache.user_ids.lock()) {
            for (id, name) in found {
                ids.insert(name.to_lowercase(), id);
                users.insert(id, name);
            }
        }
    }

    /// A user's name if one was seen, else `user #id`.
    #[must_use]
    pub fn user_name(&self, id: &str) -> String {
        id.parse::<u64>()
            .ok()
            .and_then(|n| self.cache.users.lock().ok().and_then(|u| u.get(&n).cloned()))
            .unwrap_or_else(|| format!("user #{id}"))
    }

    /// Make sure the names of a project's members are known (for journal rendering).
    pub async fn learn_members(&self, project: &str) {
        if let Ok(value) = self
            .get(E::PROJECT_MEMBERSHIPS.request(&[project]).query("limit", 100), "the project's members")
            .await
        {
            self.remember_users(&value);
        }
    }

    /// Resolve a user given as `me`, an id, a login or a full name. Administrators search all
    /// users; other keys search the members of `project` (or of the visible projects).
    pub async fn resolve_user(&self, arg: &str, value: &str, project: Option<&str>) -> Result<String> {
        let value = value.trim();
        if value.eq_ignore_ascii_case("me") {
            return Ok("me".into());
        }
        if let Some(id) = numeric_id(value) {
            return Ok(id.to_string());
        }
        let key = value.to_lowercase();
        if let Some(id) = self.cached_user_id(&key) {
            return Ok(id.to_string());
        }
        // Administrators: /users.json?name= matches login, first and last name, mail.
        match self.get(E::USERS.request(&[]).query("name", value).query("limit", 25), "the user list").await {
            Ok(users) => {
                let list = users["users"].as_array().cloned().unwrap_or_default();
                let exact: Vec<&Value> = list
                    .iter()
                    .filter(|u| {
                        let full = format!("{} {}", str_of(u, "firstname"), str_of(u, "lastname"));
                        str_of(u, "login").eq_ignore_ascii_case(value) || full.eq_ignore_ascii_case(value)
                    })
                    .collect();
                let pick = if exact.len() == 1 {
                    exact.first().copied()
                } else if list.len() == 1 {
                    list.first()
                } else {
                    None
                };
                if let Some(id) = pick.and_then(|u| u["id"].as_u64()) {
                    return Ok(id.to_string());
                }
                if list.len() > 1 {
                    let names: Vec<String> = list
                        .iter()
                        .take(10)
                        .map(|u| {
                            format!(
                                "{} {} (login {}, id {})",
                                str_of(u, "firstname"),
                                str_of(u, "lastname"),
                                str_of(u, "login"),
                                u["id"]
                            )
                        })
                        .collect();
                    let more = list.len().saturating_sub(names.len());
                    let more = if more > 0 { format!(" and {more} more") } else { String::new() };
                    return Err(Error::invalid(
                        arg,
                        format!("{value:?} matches several users: {}{more}; give the id", names.join(", ")),
                    ));
                }
            }
            Err(Error::Forbidden(_)) => {
                // Not an administrator: look among project members.
                let projects: Vec<String> = match project {
                    Some(p) => vec![p.to_owned()],
                    None => self
                        .get(E::PROJECTS.request(&[]).query("limit", 25), "the project list")
                        .await
                        .map(|v| {
                            v["projects"]
                                .as_array()
                                .map(|a| {
                                    a.iter().filter_map(|p| p["id"].as_u64()).map(|i| i.to_string()).collect()
                                })
                                .unwrap_or_default()
                        })
                        .unwrap_or_default(),
                };
                for p in &projects {
                    self.learn_members(p).await;
                    if let Some(id) = self.cached_user_id(&key) {
                        return Ok(id.to_string());
                    }
                }
            }
            Err(e) => return Err(e),
        }
        Err(Error::invalid(
            arg,
            format!(
                "no visible user named {value:?}; give `me`, a numeric user id, a login, or a name as \
                 listed under members by redmine_get_project"
            ),
        ))
    }

    fn cached_user_id(&self, key: &str) -> Option<u64> {
        self.cache.user_ids.lock().ok().and_then(|ids| ids.get(key).copied())
    }

    // -----------------------------------------------------------------------------------------
    // Project-scoped names

    /// A version given as an id or a name (names need the project).
    pub async fn resolve_version(&self, arg: &str, value: &str, project: Option<&str>) -> Result<u64> {
        if let Some(id) = numeric_id(value) {
            return Ok(id);
        }
        let Some(project) = project else {
            return Err(Error::invalid(
                arg,
                "give the version's numeric id, or also give `project` to use its name",
            ));
        };
        let list = self.get(E::PROJECT_VERSIONS.request(&[project]), &format!("project `{project}`")).await?;
        let versions = parse_list(&list, "versions")?;
        find_named(&versions, value).ok_or_else(|| {
            Error::invalid(
                arg,
                format!(
                    "project `{project}` has no version named {:?}; versions: {}",
                    crate::render::one_line(value),
                    versions.iter().map(|v| format!("{} ({})", v.name, v.id)).collect::<Vec<_>>().join(", ")
                ),
            )
        })
    }

    /// An issue category given as an id or a name.
    pub async fn resolve_category(&self, arg: &str, value: &str, project: &str) -> Result<u64> {
        if let Some(id) = numeric_id(value) {
            return Ok(id);
        }
        let list =
            self.get(E::PROJECT_CATEGORIES.request(&[project]), &format!("project `{project}`")).await?;
        let categories = parse_list(&list, "issue_categories")?;
        find_named(&categories, value).ok_or_else(|| {
            Error::invalid(
                arg,
                format!(
                    "project `{project}` has no issue category named {:?}; categories: {}",
                    crate::render::one_line(value),
                    categories
                        .iter()
                        .map(|v| format!("{} ({})", v.name, v.id))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })
    }

    /// A custom field given as an id or a name. Names are looked up in `known` (an issue's own
    /// custom fields) first, then in the definitions (administrators only).
    pub async fn resolve_custom_field(&self, name: &str, known: &[Named]) -> Result<u64> {
        if let Some(id) = numeric_id(name) {
            return Ok(id);
        }
        if let Some(id) = find_named(known, name) {
            return Ok(id);
        }
        let defs = self.custom_fields().await.map_err(|e| match e {
            Error::Forbidden(_) => Error::invalid(
                "custom_fields",
                format!(
                    "custom field {name:?} cannot be looked up by name with this API key; use its \
                     numeric id (redmine_get_issue shows `Name (#id)`)"
                ),
            ),
            other => other,
        })?;
        let issue_fields: Vec<Named> = defs
            .iter()
            .filter(|d| d.customized_type.as_deref().is_none_or(|t| t == "issue"))
            .cloned()
            .collect();
        find_named(&issue_fields, name).ok_or_else(|| {
            Error::invalid(
                "custom_fields",
                format!(
                    "no issue custom field named {name:?}; known: {}",
                    issue_fields
                        .iter()
                        .map(|v| format!("{} ({})", v.name, v.id))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })
    }
}

fn parse_list(value: &Value, key: &str) -> Result<Vec<Named>> {
    serde_json::from_value(value.get(key).cloned().unwrap_or(Value::Array(Vec::new())))
        .map_err(|_| Error::bad_response(TRACKER, format!("the {key} list did not have the expected shape")))
}

/// A positive number given as text.
fn numeric_id(value: &str) -> Option<u64> {
    value.trim().parse::<u64>().ok().filter(|id| *id > 0)
}

/// Case-insensitive name match, ignoring surrounding space.
#[must_use]
pub fn find_named(list: &[Named], name: &str) -> Option<u64> {
    let name = name.trim();
    list.iter().find(|e| e.name.trim().eq_ignore_ascii_case(name)).map(|e| e.id)
}

/// Every `{"id": N, "name": "..."}` under user-ish keys.
fn collect_users(value: &Value, out: &mut Vec<(u64, String)>, depth: usize) {
    if depth > 6 {
        return;
    }
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if matches!(k.as_str(), "user" | "author" | "assigned_to")
                    && let (Some(id), Some(name)) = (v["id"].as_u64(), v["name"].as_str())
                {
                    out.push((id, name.to_owned()));
                }
                if k == "watchers" {
                    for w in v.as_array().into_iter().flatten() {
                        if let (Some(id), Some(name)) = (w["id"].as_u64(), w["name"].as_str()) {
                            out.push((id, name.to_owned()));
                        }
                    }
                }
                collect_users(v, out, depth + 1);
            }
            if let (Some(id), Some(login)) =
                (map.get("id").and_then(Value::as_u64), map.get("login").and_then(Value::as_str))
            {
                out.push((id, login.to_owned()));
            }
        }
        Value::Array(items) => {
            for v in items {
                collect_users(v, out, depth + 1);
            }
        }
        _ => {}
    }
}

/// A string field, or "".
#[must_use]
pub fn str_of<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or("")
}

/// Every Redmine JSON answer is an object holding its resource (`{"issue": {...}}`) or its
/// list (`{"issues": [{...}], "total_count": 3}`). Anything else (an array, `null`, a bare
/// string or number, a resource that is not an object, a list of non-objects) is not what
/// Redmine sends: an error, never an empty or made-up result.
fn check_envelope(value: &Value, subject: &str) -> Result<()> {
    let unexpected = |what: &str| {
        Err(Error::bad_response(
            TRACKER,
            format!("the answer for {} {what}", crate::render::label_line(subject)),
        ))
    };
    let Some(map) = value.as_object() else {
        return unexpected("is not a JSON object");
    };
    let mut holds_resource = false;
    for item in map.values() {
        match item {
            Value::Object(_) => holds_resource = true,
            Value::Array(items) if items.iter().all(Value::is_object) => holds_resource = true,
            Value::Array(_) => return unexpected("has a list whose entries are not objects"),
            _ => {}
        }
    }
    if holds_resource { Ok(()) } else { unexpected("holds no resource and no list") }
}
