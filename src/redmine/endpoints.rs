//! Redmine's REST endpoints used here, as data: the method and the path template. `{x}` is
//! filled by [`Endpoint::request`], one path segment each (percent-encoded), in order.

use reqwest::Method;

use crate::http::Endpoint;

const fn get(path: &'static str) -> Endpoint {
    Endpoint::new(Method::GET, path)
}

pub const CURRENT_USER: Endpoint = get("/users/current.json");
pub const USERS: Endpoint = get("/users.json");
pub const STATUSES: Endpoint = get("/issue_statuses.json");
pub const TRACKERS: Endpoint = get("/trackers.json");
pub const PRIORITIES: Endpoint = get("/enumerations/issue_priorities.json");
pub const ACTIVITIES: Endpoint = get("/enumerations/time_entry_activities.json");
pub const CUSTOM_FIELDS: Endpoint = get("/custom_fields.json");

pub const PROJECTS: Endpoint = get("/projects.json");
pub const PROJECT: Endpoint = get("/projects/{project}.json");
pub const PROJECT_MEMBERSHIPS: Endpoint = get("/projects/{project}/memberships.json");
pub const PROJECT_VERSIONS: Endpoint = get("/projects/{project}/versions.json");
pub const PROJECT_CATEGORIES: Endpoint = get("/projects/{project}/issue_categories.json");

pub const ISSUES: Endpoint = get("/issues.json");
pub const ISSUE: Endpoint = get("/issues/{id}.json");
pub const CREATE_ISSUE: Endpoint = Endpoint::new(Method::POST, "/issues.json");
pub const UPDATE_ISSUE: Endpoint = Endpoint::new(Method::PUT, "/issues/{id}.json");
pub const ADD_RELATION: Endpoint = Endpoint::new(Method::POST, "/issues/{id}/relations.json");

pub const ATTACHMENT: Endpoint = get("/attachments/{id}.json");
pub const ATTACHMENT_DOWNLOAD: Endpoint = get("/attachments/download/{id}");
pub const UPDATE_JOURNAL: Endpoint = Endpoint::new(Method::PUT, "/journals/{id}.json");
pub const UPLOAD: Endpoint = Endpoint::new(Method::POST, "/uploads.json");

pub const TIME_ENTRIES: Endpoint = get("/time_entries.json");
pub const LOG_TIME: Endpoint = Endpoint::new(Method::POST, "/time_entries.json");

pub const WIKI_INDEX: Endpoint = get("/projects/{project}/wiki/index.json");
pub const WIKI_PAGE: Endpoint = get("/projects/{project}/wiki/{title}.json");
pub const WIKI_PAGE_VERSION: Endpoint = get("/projects/{project}/wiki/{title}/{version}.json");
pub const UPDATE_WIKI_PAGE: Endpoint = Endpoint::new(Method::PUT, "/projects/{project}/wiki/{title}.json");

pub const SEARCH: Endpoint = get("/search.json");
pub const PROJECT_SEARCH: Endpoint = get("/projects/{project}/search.json");

pub const QUERIES: Endpoint = get("/queries.json");
pub const ADD_WATCHER: Endpoint = Endpoint::new(Method::POST, "/issues/{id}/watchers.json");
pub const REMOVE_WATCHER: Endpoint = Endpoint::new(Method::DELETE, "/issues/{id}/watchers/{user}.json");
pub const RELATION: Endpoint = get("/relations/{id}.json");
pub const DELETE_RELATION: Endpoint = Endpoint::new(Method::DELETE, "/relations/{id}.json");
pub const TIME_ENTRY: Endpoint = get("/time_entries/{id}.json");
pub const UPDATE_TIME_ENTRY: Endpoint = Endpoint::new(Method::PUT, "/time_entries/{id}.json");
pub const DELETE_TIME_ENTRY: Endpoint = Endpoint::new(Method::DELETE, "/time_entries/{id}.json");
