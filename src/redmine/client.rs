//! Client for Redmine's REST API: one method per endpoint, Redmine's statuses and error bodies
//! mapped to errors the model can act on, and names (statuses, trackers, priorities, users,
//! versions, custom fields) resolved to ids through enumerations cached for the process.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use reqwest::header::HeaderName;
use serde::de::DeserializeOwned;
use tokio::sync::OnceCell;
use url::Url;

use super::endpoints as E;
use super::models::{
    ActivityList, CategoryList, CustomFieldList, MembershipList, Named, Principal, PriorityList, ProjectList,
    Ref, StatusList, TrackerList, UserAnswer, UserList, VersionList,
};
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
    /// The configured URL with a trailing `/`: web pages are derived from it, never from
    /// upstream text.
    web: Url,
    anonymous: bool,
    cache: Arc<Cache>,
}

/// Enumerations cached for the life of the process (they change only by an administrator,
/// and every user sees the same lists).
#[derive(Debug, Default)]
struct Cache {
    statuses: OnceCell<Vec<Named>>,
    trackers: OnceCell<Vec<Named>>,
    priorities: OnceCell<Vec<Named>>,
    activities: OnceCell<Vec<Named>>,
    /// What depends on whose key asks: one entry for the configured key (`None`), and in
    /// per-user mode one per caller ([`HttpClient::caller_key`]), so that one caller never
    /// sees what only another's key could read.
    callers: Mutex<HashMap<Option<u64>, Arc<CallerCache>>>,
}

/// At most this many callers' caches are kept; past it they are all dropped (refetching is
/// only slower).
const MAX_CALLERS: usize = 256;

/// What one key may see.
#[derive(Debug, Default)]
struct CallerCache {
    /// Custom field definitions (administrators only).
    custom_fields: OnceCell<Arc<[Named]>>,
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
        let mut web = config.url.clone();
        if !web.path().ends_with('/') {
            web.set_path(&format!("{}/", web.path()));
        }
        web.set_query(None);
        Ok(Self {
            http: HttpClient::new(TRACKER, config.url.clone(), auth, settings)?,
            origin: crate::config::origin_of(&config.url),
            web,
            anonymous: config.api_key.is_none(),
            cache: Arc::default(),
        })
    }

    /// The web page of an issue (`<id>` for the pattern of a list).
    #[must_use]
    pub fn issue_page(&self, id: &str) -> String {
        format!("{}issues/{id}", self.web)
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

    /// `GET` an answer and decode it into its model ([`super::models`]).
    pub async fn get<T: DeserializeOwned>(&self, request: Request, subject: &str) -> Result<T> {
        decode(&self.send(request, Subject::read(subject)).await?, subject)
    }

    /// Who the key belongs to, in one line.
    pub async fn whoami(&self) -> Result<String> {
        if self.anonymous {
            self.send(E::PROJECTS.request(&[]).query("limit", 1), Subject::read("the project list")).await?;
            return Ok(
                "Acting anonymously on Redmine (REDMINE_ANONYMOUS=true): only public data is visible.".into(),
            );
        }
        // Redmine answers 401 here for a key it does not know, even where anonymous access is
        // allowed, so a 200 with a user (its id is required) means the key really was accepted.
        let user = self.get::<UserAnswer>(E::CURRENT_USER.request(&[]), "the current user").await?.user;
        Ok(format!(
            "Acting as {} {} (login {}, id {}{}) on Redmine.",
            user.firstname,
            user.lastname,
            user.login,
            user.id,
            if user.admin { ", administrator" } else { "" }
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
        let cell = match which {
            Enum::Status => &self.cache.statuses,
            Enum::Tracker => &self.cache.trackers,
            Enum::Priority => &self.cache.priorities,
            Enum::Activity => &self.cache.activities,
        };
        let list = cell
            .get_or_try_init(|| async {
                let subject = format!("the {} list", which.label());
                Ok::<_, Error>(match which {
                    Enum::Status => {
                        self.get::<StatusList>(E::STATUSES.request(&[]), &subject).await?.issue_statuses
                    }
                    Enum::Tracker => {
                        self.get::<TrackerList>(E::TRACKERS.request(&[]), &subject).await?.trackers
                    }
                    Enum::Priority => {
                        self.get::<PriorityList>(E::PRIORITIES.request(&[]), &subject).await?.issue_priorities
                    }
                    Enum::Activity => {
                        self.get::<ActivityList>(E::ACTIVITIES.request(&[]), &subject)
                            .await?
                            .time_entry_activities
                    }
                })
            })
            .await?;
        Ok(list.as_slice())
    }

    /// The cache of what the current call's key may see.
    fn caller_cache(&self) -> Arc<CallerCache> {
        let key = self.http.caller_key();
        let Ok(mut callers) = self.cache.callers.lock() else { return Arc::default() };
        if callers.len() >= MAX_CALLERS && !callers.contains_key(&key) {
            callers.clear();
        }
        Arc::clone(callers.entry(key).or_default())
    }

    /// Custom field definitions (administrators only: 403 otherwise).
    pub async fn custom_fields(&self) -> Result<Arc<[Named]>> {
        let cache = self.caller_cache();
        let list = cache
            .custom_fields
            .get_or_try_init(|| async {
                let subject = "the custom field definitions";
                let list: CustomFieldList =
                    self.get(E::CUSTOM_FIELDS.request(&[]), subject).await.map_err(|e| match e {
                        Error::Forbidden(_) => Error::Forbidden(
                            "custom field definitions are visible to Redmine administrators only; \
                             an issue's custom fields (with their ids) show in redmine_get_issue"
                                .into(),
                        ),
                        other => other,
                    })?;
                Ok::<_, Error>(Arc::from(list.custom_fields))
            })
            .await?;
        Ok(Arc::clone(list))
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
        find_named(names_of(list), value).ok_or_else(|| {
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

    /// Remember the names of users an answer names (authors, assignees, members, ...).
    pub fn remember_users<'a>(&self, people: impl IntoIterator<Item = &'a Ref>) {
        let cache = self.caller_cache();
        if let (Ok(mut users), Ok(mut ids)) = (cache.users.lock(), cache.user_ids.lock()) {
            for person in people {
                ids.insert(person.name.to_lowercase(), person.id);
                users.insert(person.id, person.name.clone());
            }
        }
    }

    /// Remember the users among a project's members.
    pub fn remember_members(&self, members: &MembershipList) {
        self.remember_users(members.memberships.iter().filter_map(|m| match &m.principal {
            Principal::User(user) => Some(user),
            _ => None,
        }));
    }

    /// A user's name if one was seen, else `user #id`.
    #[must_use]
    pub fn user_name(&self, id: &str) -> String {
        id.parse::<u64>()
            .ok()
            .and_then(|n| self.caller_cache().users.lock().ok().and_then(|u| u.get(&n).cloned()))
            .unwrap_or_else(|| format!("user #{id}"))
    }

    /// Make sure the names of a project's members are known (for journal rendering).
    pub async fn learn_members(&self, project: &str) {
        if let Ok(members) = self
            .get::<MembershipList>(
                E::PROJECT_MEMBERSHIPS.request(&[project]).query("limit", 100),
                "the project's members",
            )
            .await
        {
            self.remember_members(&members);
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
        let users = E::USERS.request(&[]).query("name", value).query("limit", 25);
        match self.get::<UserList>(users, "the user list").await {
            Ok(UserList { users: list }) => {
                let exact: Vec<_> = list
                    .iter()
                    .filter(|u| {
                        let full = format!("{} {}", u.firstname, u.lastname);
                        u.login.eq_ignore_ascii_case(value) || full.eq_ignore_ascii_case(value)
                    })
                    .collect();
                let pick = if exact.len() == 1 {
                    exact.first().copied()
                } else if list.len() == 1 {
                    list.first()
                } else {
                    None
                };
                if let Some(user) = pick {
                    return Ok(user.id.to_string());
                }
                if list.len() > 1 {
                    let names: Vec<String> = list
                        .iter()
                        .take(10)
                        .map(|u| format!("{} {} (login {}, id {})", u.firstname, u.lastname, u.login, u.id))
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
                        .get::<ProjectList>(E::PROJECTS.request(&[]).query("limit", 25), "the project list")
                        .await
                        .map(|list| list.projects.iter().map(|p| p.id.to_string()).collect())
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
        self.caller_cache().user_ids.lock().ok().and_then(|ids| ids.get(key).copied())
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
        let versions = self
            .get::<VersionList>(E::PROJECT_VERSIONS.request(&[project]), &format!("project `{project}`"))
            .await?
            .versions;
        find_named(versions.iter().map(|v| (v.id, v.name.as_str())), value).ok_or_else(|| {
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
        let categories = self
            .get::<CategoryList>(E::PROJECT_CATEGORIES.request(&[project]), &format!("project `{project}`"))
            .await?
            .issue_categories;
        find_named(names_of(&categories), value).ok_or_else(|| {
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
        if let Some(id) = find_named(names_of(known), name) {
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
        find_named(names_of(&issue_fields), name).ok_or_else(|| {
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

/// Decode an answer into its model; a shape Redmine never sends is an error naming the call.
pub fn decode<T: DeserializeOwned>(response: &Response, subject: &str) -> Result<T> {
    response.json(TRACKER).map_err(|e| {
        // JSON of the wrong shape (not a body that is no JSON at all): say which call, and
        // whether the envelope itself is wrong. The answer is never quoted.
        let what = match response.json::<serde_json::Value>(TRACKER) {
            Ok(value) if !value.is_object() => "is not a JSON object",
            Ok(_) => "is not shaped as Redmine sends it (a field is missing or has the wrong type)",
            Err(_) => return e,
        };
        Error::bad_response(TRACKER, format!("the answer for {} {what}", crate::render::label_line(subject)))
    })
}

/// A positive number given as text.
fn numeric_id(value: &str) -> Option<u64> {
    value.trim().parse::<u64>().ok().filter(|id| *id > 0)
}

/// Ids and names of enumeration entries, for [`find_named`].
fn names_of(list: &[Named]) -> impl Iterator<Item = (u64, &str)> {
    list.iter().map(|e| (e.id, e.name.as_str()))
}

/// Case-insensitive match of `(id, name)` pairs, ignoring surrounding space.
#[must_use]
pub fn find_named<'a>(list: impl IntoIterator<Item = (u64, &'a str)>, name: &str) -> Option<u64> {
    let name = name.trim();
    list.into_iter().find(|(_, n)| n.trim().eq_ignore_ascii_case(name)).map(|(id, _)| id)
}
