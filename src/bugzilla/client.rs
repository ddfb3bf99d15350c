//! Typed client for Bugzilla's REST API (`/rest/...`), 5.0, 5.2 and 5.3.3+: sending, key
//! placement, the workflow cache and the typed reads and writes. Error mapping is in
//! [`super::errors`]; the endpoints are in [`super::endpoints`].
//!
//! The key always travels as the `X-BUGZILLA-API-KEY` header. Stock 5.0/5.2 ignore that header,
//! so writes also carry `api_key` in the JSON body, and reads carry it as a query parameter only
//! on instances found (once per process) to ignore the header. The HTTP layer never logs or
//! shows such a URL.

use std::sync::Arc;

use reqwest::header::HeaderName;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::OnceCell;
use url::Url;

use super::endpoints;
mod errors;
use super::models::{
    Attachment, AttachmentsAnswer, Bug, Bugs, Comment, CommentsAnswer, Field, Fields, HistoryAnswer,
    HistoryEntry, Product, Products, UpdateAnswer, User, Users,
};
use crate::config::{BugzillaConfig, HttpSettings, KeyMode};
use crate::error::{Error, Result, sanitize};
use crate::http::{Auth, Endpoint, HttpClient, Request, Response};
pub(in crate::bugzilla) use errors::error_code;
use errors::{ErrorBody, parse_no_such_in_product, transition_error};

/// Name used in messages.
pub const TRACKER: &str = "Bugzilla";

/// Where reads put the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// No key at all (BUGZILLA_ANONYMOUS=true).
    Anonymous,
    /// Only the `X-BUGZILLA-API-KEY` header.
    Header,
    /// The header and the `api_key` query parameter (stock 5.0/5.2).
    Query,
}

#[derive(Debug, Clone)]
pub struct BugzillaApi {
    pub(super) http: HttpClient,
    pub(super) anonymous: bool,
    pub(super) key_mode: KeyMode,
    pub(super) login: Option<String>,
    /// The configured base URL (for the instructions).
    pub(super) url: Url,
    web: Url,
    /// Auto mode's detection result, once per process.
    detected: Arc<OnceCell<Placement>>,
    /// The `bug_status` field (workflow), once per process.
    statuses: Arc<OnceCell<Field>>,
}

#[derive(Debug, Deserialize)]
struct Version {
    version: String,
}

/// A write described as data, for `dry_run` and for sending.
#[derive(Debug, Clone)]
pub struct Write {
    pub endpoint: Endpoint,
    pub args: Vec<String>,
    pub body: Value,
}

impl Write {
    /// `endpoint` with its `{params}` filled from `args`, sending `body`.
    #[must_use]
    pub fn new(endpoint: Endpoint, args: &[&str], body: Value) -> Self {
        Self { endpoint, args: args.iter().map(|s| (*s).to_owned()).collect(), body }
    }

    /// The request this write sends (the key is added by the HTTP layer when sending).
    fn request(&self) -> Request {
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        self.endpoint.request(&args).json(self.body.clone())
    }
}

impl BugzillaApi {
    pub fn new(config: &BugzillaConfig, settings: &HttpSettings) -> Result<Self> {
        let http = match &config.api_key {
            Some(key) => HttpClient::new(
                TRACKER,
                config.url.clone(),
                Auth::Header { name: HeaderName::from_static("x-bugzilla-api-key"), value: key.clone() },
                settings,
            )?
            .with_key_param("api_key", key.clone()),
            None => HttpClient::new(TRACKER, config.url.clone(), Auth::None, settings)?,
        };
        let mut web = config.url.clone();
        if !web.path().ends_with('/') {
            web.set_path(&format!("{}/", web.path()));
        }
        Ok(Self {
            http,
            anonymous: config.api_key.is_none(),
            key_mode: config.key_mode,
            login: config.login.clone(),
            web,
            url: config.url.clone(),
            detected: Arc::new(OnceCell::new()),
            statuses: Arc::new(OnceCell::new()),
        })
    }

    #[must_use]
    pub fn is_anonymous(&self) -> bool {
        self.anonymous
    }

    /// Whether writes carry `api_key` in their JSON body (not in `header` mode).
    #[must_use]
    pub fn key_in_body(&self) -> bool {
        !self.anonymous && self.key_mode != KeyMode::Header
    }

    /// A page of the Bugzilla web UI (`show_bug.cgi`, `attachment.cgi`) taking `id`, built from
    /// the configured URL (never from upstream text); `id` as given, so `<id>` stays a pattern.
    fn web_page(&self, cgi: &str, id: &str) -> String {
        let mut url = self.web.join(cgi).unwrap_or_else(|_| self.web.clone());
        url.set_query(None);
        format!("{url}?id={id}")
    }

    /// The web page of a bug, for "read the rest there" hints.
    #[must_use]
    pub fn bug_page(&self, id: u64) -> String {
        self.web_page("show_bug.cgi", &id.to_string())
    }

    /// The web page of any bug in a list: `.../show_bug.cgi?id=<id>`, from the configured URL.
    #[must_use]
    pub fn bug_page_pattern(&self) -> String {
        self.web_page("show_bug.cgi", "<id>")
    }

    // -----------------------------------------------------------------------------------------
    // Key placement

    /// Where reads put the key: fixed by BUGZILLA_API_KEY_MODE, or detected once (auto).
    pub async fn placement(&self) -> Result<Placement> {
        if self.anonymous {
            return Ok(Placement::Anonymous);
        }
        match self.key_mode {
            KeyMode::Header => Ok(Placement::Header),
            KeyMode::Param => Ok(Placement::Query),
            KeyMode::Auto => self.detected.get_or_try_init(|| self.detect()).await.copied(),
        }
    }

    /// A header-only request to an endpoint that needs a login: 401/505 means the header was
    /// ignored (stock 5.0/5.2); success, or 400/306 (a bad key that was read), means honoured.
    async fn detect(&self) -> Result<Placement> {
        let request = endpoints::USERS.request(&[]).query("match", "tracker-mcp-key-probe").query("limit", 1);
        let response = self.http.execute(request).await?;
        if response.is_success() {
            tracing::debug!("Bugzilla honours X-BUGZILLA-API-KEY");
            return Ok(Placement::Header);
        }
        match error_code(&response) {
            Some(505 | 410) => {
                tracing::debug!("Bugzilla ignores X-BUGZILLA-API-KEY; reads carry api_key");
                Ok(Placement::Query)
            }
            Some(306) => Ok(Placement::Header),
            _ => Err(self.map_error(&response, "the key-mode probe (GET /rest/user)")),
        }
    }

    pub(super) async fn read_request(&self, endpoint: &Endpoint, args: &[&str]) -> Result<Request> {
        let request = endpoint.request(args);
        Ok(if self.placement().await? == Placement::Query { request.key_in_query() } else { request })
    }

    // -----------------------------------------------------------------------------------------
    // Sending and errors

    /// GET `endpoint` with `args` and `query`; errors name `subject`.
    pub async fn get<T: DeserializeOwned>(
        &self,
        endpoint: &Endpoint,
        args: &[&str],
        query: &[(&str, String)],
        subject: &str,
    ) -> Result<T> {
        let mut request = self.read_request(endpoint, args).await?;
        for (k, v) in query {
            request = request.query(*k, v);
        }
        self.send(request, subject).await?.json(TRACKER)
    }

    /// What `dry_run` shows: method, the path the request really goes to, JSON body.
    pub fn describe(&self, write: &Write) -> Result<String> {
        let path = self.http.path_and_query(&write.request())?;
        let body = serde_json::to_string_pretty(&write.body).unwrap_or_default();
        let key = if self.key_in_body() { " (plus `api_key`, added when sending)" } else { "" };
        Ok(format!(
            "Dry run, nothing was sent. Would send:\n{} {path}\nJSON body{key}:\n{body}",
            write.endpoint.method
        ))
    }

    /// Send a write (header always; `api_key` in the body unless in header mode).
    pub async fn write<T: DeserializeOwned>(&self, write: &Write, subject: &str) -> Result<T> {
        let request = write.request();
        let request = if self.key_in_body() { request.key_in_body() } else { request };
        let response = self.http.execute(request).await?;
        if response.is_success() {
            return response.json(TRACKER);
        }
        let body: Option<ErrorBody> = serde_json::from_slice(&response.body).ok();
        let message = body.as_ref().and_then(|b| b.message.clone()).unwrap_or_default();
        match body.as_ref().and_then(ErrorBody::code) {
            Some(51) => Err(self
                .explain_unknown(&message)
                .await
                .unwrap_or_else(|| self.map_error(&response, subject))),
            Some(123) => Err(self
                .explain_transition(&message)
                .await
                .unwrap_or_else(|| self.map_error(&response, subject))),
            _ => Err(self.map_error(&response, subject)),
        }
    }

    /// Send a read; errors are mapped by code.
    pub(super) async fn send(&self, request: Request, subject: &str) -> Result<Response> {
        let response = self.http.execute(request).await?;
        if response.is_success() { Ok(response) } else { Err(self.map_error(&response, subject)) }
    }

    /// Code 51 for a component, version or milestone: name the ones that exist.
    async fn explain_unknown(&self, message: &str) -> Option<Error> {
        let (kind, name, product) = parse_no_such_in_product(message)?;
        let products: Products = self
            .get(&endpoints::PRODUCTS, &[], &[("names", product.clone())], &format!("product {product}"))
            .await
            .ok()?;
        let product = products.products.into_iter().next()?;
        let (arg, names): (&str, Vec<String>) = match kind.as_str() {
            "component" => (
                "component",
                product.components.into_iter().filter(|c| c.is_active).map(|c| c.name).collect(),
            ),
            "version" => {
                ("version", product.versions.into_iter().filter(|v| v.is_active).map(|v| v.name).collect())
            }
            "milestone" => (
                "target_milestone",
                product.milestones.into_iter().filter(|v| v.is_active).map(|v| v.name).collect(),
            ),
            _ => return None,
        };
        Some(Error::invalid(
            arg,
            format!(
                "no {kind} '{}' in product {}; {kind}s: {} (Bugzilla code 51)",
                sanitize(&name),
                sanitize(&product.name),
                names.join(", ")
            ),
        ))
    }

    /// Code 123: say which statuses the workflow allows from the current one.
    async fn explain_transition(&self, message: &str) -> Option<Error> {
        let rest = message.split("from ").nth(1)?;
        let (from, to) = rest.split_once(" to ")?;
        let to = to.trim_end_matches('.').trim();
        let from = from.trim();
        let allowed = self.allowed_from(from).await.ok()?;
        Some(transition_error(from, to, &allowed))
    }

    // -----------------------------------------------------------------------------------------
    // Reads

    pub async fn version(&self) -> Result<String> {
        let Version { version } = self.get(&endpoints::VERSION, &[], &[], "the version").await?;
        Ok(version)
    }

    /// One bug (id or alias), with every field.
    pub async fn bug(&self, id: &str) -> Result<Bug> {
        let subject = format!("bug {id}");
        let bugs: Bugs = self.get(&endpoints::BUG, &[id], &[], &subject).await?;
        bugs.bugs.into_iter().next().ok_or_else(|| not_visible(&subject))
    }

    /// A search: `query` holds Bugzilla's own search parameters.
    pub async fn search(&self, query: &[(&str, String)]) -> Result<Vec<Bug>> {
        let bugs: Bugs = self.get(&endpoints::BUGS, &[], query, "the search").await?;
        Ok(bugs.bugs)
    }

    pub async fn comments(&self, id: &str, new_since: Option<&str>) -> Result<Vec<Comment>> {
        let mut query = Vec::new();
        if let Some(since) = new_since {
            query.push(("new_since", since.to_owned()));
        }
        let subject = format!("bug {id}");
        let answer: CommentsAnswer = self.get(&endpoints::COMMENTS, &[id], &query, &subject).await?;
        answer.bugs.into_values().next().map(|b| b.comments).ok_or_else(|| not_visible(&subject))
    }

    pub async fn history(&self, id: &str, new_since: Option<&str>) -> Result<(u64, Vec<HistoryEntry>)> {
        let mut query = Vec::new();
        if let Some(since) = new_since {
            query.push(("new_since", since.to_owned()));
        }
        let subject = format!("bug {id}");
        let answer: HistoryAnswer = self.get(&endpoints::HISTORY, &[id], &query, &subject).await?;
        let bug = answer.bugs.into_iter().next().ok_or_else(|| not_visible(&subject))?;
        Ok((bug.id, bug.history))
    }

    pub async fn attachments(&self, id: &str) -> Result<Vec<Attachment>> {
        let subject = format!("bug {id}");
        let answer: AttachmentsAnswer = self
            .get(&endpoints::ATTACHMENTS, &[id], &[("exclude_fields", "data".to_owned())], &subject)
            .await?;
        answer.bugs.into_values().next().ok_or_else(|| not_visible(&subject))
    }

    pub async fn attachment(&self, id: u64) -> Result<Attachment> {
        self.attachment_with(id, &[]).await
    }

    /// An attachment without its content (`data`), for one too large to download.
    pub async fn attachment_meta(&self, id: u64) -> Result<Attachment> {
        self.attachment_with(id, &[("exclude_fields", "data".to_owned())]).await
    }

    async fn attachment_with(&self, id: u64, query: &[(&str, String)]) -> Result<Attachment> {
        let subject = format!("attachment {id}");
        let answer: AttachmentsAnswer =
            self.get(&endpoints::ATTACHMENT, &[&id.to_string()], query, &subject).await?;
        answer.attachments.into_values().next().ok_or_else(|| not_visible(&subject))
    }

    /// The web page of an attachment.
    #[must_use]
    pub fn attachment_page(&self, id: u64) -> String {
        self.web_page("attachment.cgi", &id.to_string())
    }

    pub async fn products(&self) -> Result<Vec<Product>> {
        let answer: Products = self
            .get(
                &endpoints::PRODUCTS,
                &[],
                &[
                    ("type", "accessible".to_owned()),
                    ("include_fields", "id,name,description,is_active,classification".to_owned()),
                ],
                "the product list",
            )
            .await?;
        Ok(answer.products)
    }

    pub async fn product(&self, name_or_id: &str) -> Result<Product> {
        let key = if name_or_id.chars().all(|c| c.is_ascii_digit()) { "ids" } else { "names" };
        let subject = format!("product {name_or_id}");
        let answer: Products =
            self.get(&endpoints::PRODUCTS, &[], &[(key, name_or_id.to_owned())], &subject).await?;
        answer.products.into_iter().next().ok_or_else(|| {
            Error::NotFound(format!(
                "{subject} was not found or is not visible to this account; bugzilla_list_products \
                 lists the products it can see"
            ))
        })
    }

    pub async fn fields(&self, name: Option<&str>) -> Result<Vec<Field>> {
        let answer: Fields = match name {
            Some(name) => self.get(&endpoints::FIELD, &[name], &[], &format!("field {name}")).await?,
            None => self.get(&endpoints::FIELDS, &[], &[], "the field list").await?,
        };
        Ok(answer.fields)
    }

    /// The workflow (`bug_status` with `can_change_to`), fetched once per process.
    pub async fn statuses(&self) -> Result<&Field> {
        self.statuses
            .get_or_try_init(|| async {
                self.fields(Some("bug_status"))
                    .await?
                    .into_iter()
                    .next()
                    .ok_or_else(|| Error::bad_response(TRACKER, "no bug_status field"))
            })
            .await
    }

    /// Status names that are open (`true`) or closed (`false`).
    pub async fn statuses_where_open(&self, open: bool) -> Result<Vec<String>> {
        Ok(self
            .statuses()
            .await?
            .values
            .iter()
            .filter(|v| v.is_open == Some(open))
            .filter_map(|v| v.name.clone())
            .collect())
    }

    /// The statuses a bug in `from` may move to, with "comment required" marks.
    pub async fn allowed_from(&self, from: &str) -> Result<Vec<(String, bool)>> {
        Ok(self
            .statuses()
            .await?
            .values
            .iter()
            .find(|v| v.name.as_deref() == Some(from))
            .and_then(|v| v.can_change_to.clone())
            .unwrap_or_default()
            .into_iter()
            .map(|t| (t.name, t.comment_required))
            .collect())
    }

    pub async fn users(&self, matching: &str, limit: u32) -> Result<Vec<User>> {
        let answer: Users = self
            .get(
                &endpoints::USERS,
                &[],
                &[
                    ("match", matching.to_owned()),
                    ("limit", limit.to_string()),
                    ("include_fields", "id,name,real_name,email,can_login".to_owned()),
                ],
                "the user search",
            )
            .await?;
        Ok(answer.users)
    }

    // -----------------------------------------------------------------------------------------
    // Writes

    pub async fn create_bug(&self, write: &Write) -> Result<u64> {
        #[derive(Deserialize)]
        struct Created {
            id: u64,
        }
        let created: Created = self.write(write, "the new bug").await?;
        Ok(created.id)
    }

    pub async fn update_bug(&self, write: &Write, subject: &str) -> Result<UpdateAnswer> {
        self.write(write, subject).await
    }

    pub async fn add_comment(&self, write: &Write, subject: &str) -> Result<u64> {
        #[derive(Deserialize)]
        struct Created {
            id: u64,
        }
        let created: Created = self.write(write, subject).await?;
        Ok(created.id)
    }

    pub async fn add_attachment(&self, write: &Write, subject: &str) -> Result<Vec<u64>> {
        #[derive(Deserialize)]
        struct Created {
            #[serde(default)]
            ids: Vec<Value>,
        }
        let created: Created = self.write(write, subject).await?;
        Ok(created
            .ids
            .iter()
            .filter_map(|v| v.as_u64().or_else(|| v.as_str().and_then(|s| s.parse().ok())))
            .collect())
    }

    /// One line for `tracker-mcp check`.
    pub async fn check(&self) -> Result<String> {
        self.whoami().await
    }
}

fn not_visible(subject: &str) -> Error {
    Error::NotFound(format!("{subject} was not found or is not visible to this account"))
}

/// Check a status change against the workflow before sending it.
pub(super) async fn check_transition(
    api: &BugzillaApi,
    current: &Bug,
    to: &str,
    has_comment: bool,
    has_resolution: bool,
) -> Result<()> {
    if current.status == to {
        return Ok(());
    }
    let statuses = api.statuses().await?;
    let Some(target) = statuses.values.iter().find(|v| v.name.as_deref() == Some(to)) else {
        let known: Vec<String> = statuses.values.iter().filter_map(|v| v.name.clone()).collect();
        return Err(Error::invalid("status", format!("no status '{to}'; statuses: {}", known.join(", "))));
    };
    let allowed = api.allowed_from(&current.status).await?;
    let Some((_, comment_required)) = allowed.iter().find(|(name, _)| name == to) else {
        return Err(transition_error(&current.status, to, &allowed));
    };
    if *comment_required && !has_comment {
        return Err(Error::invalid(
            "comment",
            format!("{} -> {to} requires a comment on this instance", current.status),
        ));
    }
    if target.is_open == Some(false) && !has_resolution && current.is_open_status(statuses) {
        let resolutions = api.fields(Some("resolution")).await.unwrap_or_default();
        let names: Vec<String> = resolutions
            .iter()
            .flat_map(|f| f.values.iter().filter_map(|v| v.name.clone()))
            .filter(|n| !n.is_empty())
            .collect();
        return Err(Error::invalid(
            "resolution",
            format!("closing a bug ({to}) needs a resolution: {}", names.join(", ")),
        ));
    }
    Ok(())
}

impl Bug {
    fn is_open_status(&self, statuses: &Field) -> bool {
        statuses
            .values
            .iter()
            .find(|v| v.name.as_deref() == Some(&self.status))
            .and_then(|v| v.is_open)
            .unwrap_or(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dry_runs_show_the_path_really_requested() {
        let config = BugzillaConfig {
            url: Url::parse("https://bz.test/bugzilla").expect("url"),
            api_key: None,
            key_mode: KeyMode::Header,
            login: None,
        };
        let api = BugzillaApi::new(&config, &HttpSettings::default()).expect("api");
        let shown = api
            .describe(&Write::new(endpoints::ADD_COMMENT, &["release 1.0"], serde_json::json!({})))
            .expect("dry run");
        assert!(shown.contains("POST /bugzilla/rest/bug/release%201.0/comment\n"), "{shown}");
    }
}
