//! Redmine's JSON answers as Redmine 5.0 writes them (its API templates, app/views/*/*.api.rsb,
//! checked against a live 5.0.4). Every answer is decoded into these, so a shape Redmine never
//! sends (an array or `null` where the envelope belongs, a resource of the wrong type, an id
//! that is not a number, a name left out) is an "unexpected response", never a made-up result.
//!
//! Redmine writes `null` for an empty attribute (`"description": null`) and leaves out a
//! reference that is not set (`assigned_to`, `fixed_version`, `category`, `parent`), a list
//! that was not asked for (`include=journals`, ...) and `custom_fields` when there are none:
//! those are `Option`s or defaults. Ids, names, subjects, titles, the envelope's keys and its
//! `total_count` are required: without them a result would be made up. The other attributes
//! Redmine always writes (dates, flags, ratios) read as empty when missing, which is how they
//! are shown; of the wrong type they are still an error. Only the fields the tools read are
//! modelled.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A text attribute Redmine writes as `null` when empty (`description`, `comments`, ...).
fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

/// `{"id": 5, "name": "John Smith"}`: a project, tracker, status, user, version, ... as another
/// resource names it.
#[derive(Debug, Clone, Deserialize)]
pub struct Ref {
    pub id: u64,
    pub name: String,
}

/// `{"id": 2}`: an issue named by a parent link or a time entry.
#[derive(Debug, Clone, Deserialize)]
pub struct IdRef {
    pub id: u64,
}

/// `{"title": "Start"}`: a wiki page's parent.
#[derive(Debug, Clone, Deserialize)]
pub struct TitleRef {
    pub title: String,
}

/// A 422's body: `common/error_messages.api.rsb`.
#[derive(Debug, Deserialize)]
pub struct ValidationErrors {
    pub errors: Vec<String>,
}

// ---------------------------------------------------------------------------------------------
// Users

/// `users/show`, `users/index`: the fields shown and matched.
#[derive(Debug, Clone, Deserialize)]
pub struct User {
    pub id: u64,
    pub login: String,
    pub firstname: String,
    pub lastname: String,
    /// Sent to administrators and for the current user only.
    #[serde(default)]
    pub admin: bool,
}

#[derive(Debug, Deserialize)]
pub struct UserAnswer {
    pub user: User,
}

#[derive(Debug, Deserialize)]
pub struct UserList {
    pub users: Vec<User>,
}

// ---------------------------------------------------------------------------------------------
// Enumerations and custom field definitions

/// One entry of an enumeration (status, tracker, priority, activity), a custom field
/// definition or an issue category: the lists names are resolved against.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Named {
    pub id: u64,
    pub name: String,
    /// Statuses only.
    #[serde(default)]
    pub is_closed: bool,
    /// Priorities and activities only.
    #[serde(default)]
    pub is_default: bool,
    #[serde(default)]
    pub active: Option<bool>,
    /// Custom fields only: `issue`, `time_entry`, `project`, ...
    #[serde(default)]
    pub customized_type: Option<String>,
    #[serde(default)]
    pub field_format: Option<String>,
    /// Custom fields with a list of values only.
    #[serde(default)]
    pub possible_values: Vec<PossibleValue>,
}

impl Named {
    /// A name known from elsewhere (an issue's custom field).
    #[must_use]
    pub fn new(id: u64, name: &str) -> Self {
        Self { id, name: name.to_owned(), ..Self::default() }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct PossibleValue {
    pub value: String,
}

#[derive(Debug, Deserialize)]
pub struct StatusList {
    pub issue_statuses: Vec<Named>,
}

#[derive(Debug, Deserialize)]
pub struct TrackerList {
    pub trackers: Vec<Named>,
}

#[derive(Debug, Deserialize)]
pub struct PriorityList {
    pub issue_priorities: Vec<Named>,
}

#[derive(Debug, Deserialize)]
pub struct ActivityList {
    pub time_entry_activities: Vec<Named>,
}

#[derive(Debug, Deserialize)]
pub struct CustomFieldList {
    pub custom_fields: Vec<Named>,
}

#[derive(Debug, Deserialize)]
pub struct CategoryList {
    pub issue_categories: Vec<Named>,
}

// ---------------------------------------------------------------------------------------------
// Saved queries (`queries/index.api.rsb`: every attribute always written)

#[derive(Debug, Clone, Deserialize)]
pub struct Query {
    pub id: u64,
    pub name: String,
    pub is_public: bool,
    /// `null` for a query of all projects.
    pub project_id: Option<u64>,
}

#[derive(Debug, Deserialize)]
pub struct QueryList {
    pub queries: Vec<Query>,
    pub total_count: u64,
}

// ---------------------------------------------------------------------------------------------
// Projects

#[derive(Debug, Clone, Deserialize)]
pub struct Project {
    pub id: u64,
    pub name: String,
    pub identifier: String,
    #[serde(default, deserialize_with = "text")]
    pub description: String,
    /// Only when the project has a visible parent.
    #[serde(default)]
    pub parent: Option<Ref>,
    /// 1 active, 5 closed, 9 archived.
    #[serde(default)]
    pub status: Option<u64>,
    #[serde(default)]
    pub is_public: Option<bool>,
    #[serde(default)]
    pub created_on: String,
    #[serde(default)]
    pub updated_on: String,
    /// The `include=` lists: there only when asked for.
    #[serde(default)]
    pub trackers: Vec<Ref>,
    #[serde(default)]
    pub issue_categories: Vec<Ref>,
    #[serde(default)]
    pub enabled_modules: Vec<Ref>,
    /// Asked for too, but Redmines before 3.4 do not know this include: not shown then.
    #[serde(default)]
    pub time_entry_activities: Option<Vec<Ref>>,
}

#[derive(Debug, Deserialize)]
pub struct ProjectAnswer {
    pub project: Project,
}

#[derive(Debug, Deserialize)]
pub struct ProjectList {
    pub projects: Vec<Project>,
    pub total_count: u64,
}

/// Who a membership is for: Redmine names the key after the principal's class.
#[derive(Debug, Clone, Deserialize)]
pub enum Principal {
    #[serde(rename = "user")]
    User(Ref),
    #[serde(rename = "group")]
    Group(Ref),
    /// The built-in "Anonymous users" and "Non member users" groups.
    #[serde(rename = "group_anonymous")]
    Anonymous(Ref),
    #[serde(rename = "group_non_member")]
    NonMember(Ref),
}

impl Principal {
    /// The principal, and whether it is a group.
    #[must_use]
    pub fn who(&self) -> (&Ref, bool) {
        match self {
            Self::User(user) => (user, false),
            Self::Group(group) | Self::Anonymous(group) | Self::NonMember(group) => (group, true),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Membership {
    pub id: u64,
    #[serde(flatten)]
    pub principal: Principal,
    pub roles: Vec<Ref>,
}

#[derive(Debug, Deserialize)]
pub struct MembershipList {
    pub memberships: Vec<Membership>,
    pub total_count: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Version {
    pub id: u64,
    pub name: String,
    #[serde(default)]
    pub project: Option<Ref>,
    #[serde(default, deserialize_with = "text")]
    pub description: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub due_date: Option<String>,
    #[serde(default)]
    pub sharing: String,
}

#[derive(Debug, Deserialize)]
pub struct VersionList {
    pub versions: Vec<Version>,
    pub total_count: u64,
}

// ---------------------------------------------------------------------------------------------
// Issues

#[derive(Debug, Clone, Deserialize)]
pub struct Issue {
    pub id: u64,
    pub project: Ref,
    pub tracker: Ref,
    pub status: Ref,
    pub priority: Ref,
    pub author: Ref,
    #[serde(default)]
    pub assigned_to: Option<Ref>,
    #[serde(default)]
    pub category: Option<Ref>,
    #[serde(default)]
    pub fixed_version: Option<Ref>,
    #[serde(default)]
    pub parent: Option<IdRef>,
    pub subject: String,
    #[serde(default, deserialize_with = "text")]
    pub description: String,
    #[serde(default)]
    pub start_date: Option<String>,
    #[serde(default)]
    pub due_date: Option<String>,
    #[serde(default)]
    pub done_ratio: Option<u64>,
    #[serde(default)]
    pub is_private: bool,
    #[serde(default)]
    pub estimated_hours: Option<f64>,
    /// Only for users who may see time entries.
    #[serde(default)]
    pub spent_hours: Option<f64>,
    /// Left out when the issue has no custom field.
    #[serde(default)]
    pub custom_fields: Vec<CustomValue>,
    #[serde(default)]
    pub created_on: String,
    #[serde(default)]
    pub updated_on: String,
    #[serde(default)]
    pub closed_on: Option<String>,
    /// The `include=` lists: there only when asked for (`relations` also only when there are
    /// some, `children` only when there are some, `watchers` only with the permission).
    #[serde(default)]
    pub journals: Option<Vec<Journal>>,
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    #[serde(default)]
    pub relations: Vec<Relation>,
    #[serde(default)]
    pub children: Vec<Child>,
    #[serde(default)]
    pub watchers: Vec<Ref>,
    #[serde(default)]
    pub allowed_statuses: Vec<Ref>,
}

impl Issue {
    /// The users the answer names, for resolving ids in journal details later.
    pub fn people(&self) -> impl Iterator<Item = &Ref> {
        let journals = self.journals.iter().flatten().filter_map(|j| j.user.as_ref());
        let uploaders = self.attachments.iter().filter_map(|a| a.author.as_ref());
        std::iter::once(&self.author)
            .chain(&self.assigned_to)
            .chain(journals)
            .chain(&self.watchers)
            .chain(uploaders)
    }
}

#[derive(Debug, Deserialize)]
pub struct IssueAnswer {
    pub issue: Issue,
}

#[derive(Debug, Deserialize)]
pub struct IssueList {
    pub issues: Vec<Issue>,
    pub total_count: u64,
}

/// An issue's value of one custom field.
#[derive(Debug, Clone, Deserialize)]
pub struct CustomValue {
    pub id: u64,
    pub name: String,
    /// `null` when not set; a list for fields with `"multiple": true`.
    #[serde(default)]
    pub value: Option<FieldValue>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum FieldValue {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Clone, Deserialize)]
pub struct Journal {
    pub id: u64,
    /// Left out only when the user no longer exists.
    #[serde(default)]
    pub user: Option<Ref>,
    #[serde(default, deserialize_with = "text")]
    pub notes: String,
    #[serde(default)]
    pub created_on: String,
    #[serde(default)]
    pub private_notes: bool,
    #[serde(default)]
    pub details: Vec<Detail>,
}

/// One field change of a journal. Redmine stores old and new values as text (or `null`);
/// [`change_value`] also takes numbers and booleans, in this one place.
#[derive(Debug, Clone, Deserialize)]
pub struct Detail {
    pub property: String,
    pub name: String,
    #[serde(default, deserialize_with = "change_value")]
    pub old_value: Option<String>,
    #[serde(default, deserialize_with = "change_value")]
    pub new_value: Option<String>,
}

/// A journal detail's value: text, a number or a boolean as text; `null` as none. A list or an
/// object is not a value Redmine writes: an error.
fn change_value<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        Value::Array(_) | Value::Object(_) => {
            Err(serde::de::Error::custom("a journal detail value that is a list or an object"))
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Relation {
    pub id: u64,
    pub issue_id: u64,
    pub issue_to_id: u64,
    pub relation_type: String,
    /// Days, for precedes/follows; `null` otherwise.
    #[serde(default)]
    pub delay: Option<i64>,
}

#[derive(Debug, Deserialize)]
pub struct RelationAnswer {
    pub relation: Relation,
}

/// A subtask as `include=children` lists it.
#[derive(Debug, Clone, Deserialize)]
pub struct Child {
    pub id: u64,
    pub tracker: Ref,
    pub subject: String,
}

// ---------------------------------------------------------------------------------------------
// Attachments, time, wiki, search

#[derive(Debug, Clone, Deserialize)]
pub struct Attachment {
    pub id: u64,
    pub filename: String,
    pub filesize: u64,
    #[serde(default, deserialize_with = "text")]
    pub content_type: String,
    #[serde(default, deserialize_with = "text")]
    pub description: String,
    /// Left out only when the user no longer exists.
    #[serde(default)]
    pub author: Option<Ref>,
    #[serde(default)]
    pub created_on: String,
}

#[derive(Debug, Deserialize)]
pub struct AttachmentAnswer {
    pub attachment: Attachment,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TimeEntry {
    pub id: u64,
    pub project: Ref,
    /// Left out for time logged on the project itself.
    #[serde(default)]
    pub issue: Option<IdRef>,
    pub user: Ref,
    pub activity: Ref,
    pub hours: f64,
    #[serde(default, deserialize_with = "text")]
    pub comments: String,
    pub spent_on: String,
}

#[derive(Debug, Deserialize)]
pub struct TimeEntryAnswer {
    pub time_entry: TimeEntry,
}

#[derive(Debug, Deserialize)]
pub struct TimeEntryList {
    pub time_entries: Vec<TimeEntry>,
    pub total_count: u64,
}

/// A page as the wiki index lists it.
#[derive(Debug, Clone, Deserialize)]
pub struct WikiIndexEntry {
    pub title: String,
    /// Only for a page with a parent.
    #[serde(default)]
    pub parent: Option<TitleRef>,
    pub version: u64,
    #[serde(default)]
    pub updated_on: String,
}

#[derive(Debug, Deserialize)]
pub struct WikiIndex {
    pub wiki_pages: Vec<WikiIndexEntry>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WikiPage {
    pub title: String,
    #[serde(default)]
    pub parent: Option<TitleRef>,
    #[serde(deserialize_with = "text")]
    pub text: String,
    pub version: u64,
    /// Left out only when the author no longer exists.
    #[serde(default)]
    pub author: Option<Ref>,
    #[serde(default, deserialize_with = "text")]
    pub comments: String,
    #[serde(default)]
    pub updated_on: String,
    #[serde(default)]
    pub attachments: Vec<Attachment>,
}

#[derive(Debug, Deserialize)]
pub struct WikiPageAnswer {
    pub wiki_page: WikiPage,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SearchResult {
    pub id: u64,
    pub title: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, deserialize_with = "text")]
    pub description: String,
    #[serde(default)]
    pub datetime: String,
}

#[derive(Debug, Deserialize)]
pub struct SearchResults {
    pub results: Vec<SearchResult>,
    /// `null` when every word of the query is too short to search for (Redmine counts nothing).
    #[serde(deserialize_with = "present_or_null")]
    pub total_count: Option<u64>,
}

/// A key Redmine always writes, possibly as `null`: left out is an error (unlike a plain
/// `Option`, which serde lets be missing).
fn present_or_null<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    Option::<T>::deserialize(d)
}

#[cfg(test)]
mod tests;
