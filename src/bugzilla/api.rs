//! Typed client for Bugzilla's REST API (`/rest/...`), 5.0, 5.2 and 5.3.3+.
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

use super::models::{
    AttachmentsAnswer, Bug, Bugs, Comment, CommentsAnswer, Field, Fields, HistoryAnswer, HistoryEntry,
    Product, Products, UpdateAnswer, User, Users,
};
use crate::config::{BugzillaConfig, HttpSettings, KeyMode};
use crate::error::{Error, Result, sanitize};
use crate::http::{Auth, HttpClient, Request, Response};

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
    http: HttpClient,
    anonymous: bool,
    key_mode: KeyMode,
    login: Option<String>,
    web: Url,
    /// Auto mode's detection result, once per process.
    detected: Arc<OnceCell<Placement>>,
    /// The `bug_status` field (workflow), once per process.
    statuses: Arc<OnceCell<Field>>,
}

/// Bugzilla's error body: `code` is a number on 5.2 and a string on 5.3.3.
#[derive(Debug, Deserialize)]
pub struct ErrorBody {
    #[serde(default)]
    pub code: Option<Value>,
    #[serde(default)]
    pub message: Option<String>,
}

impl ErrorBody {
    #[must_use]
    pub fn code(&self) -> Option<i64> {
        match &self.code {
            Some(Value::Number(n)) => n.as_i64(),
            Some(Value::String(s)) => s.parse().ok(),
            _ => None,
        }
    }
}

#[derive(Debug, Deserialize)]
struct Version {
    version: String,
}

#[derive(Debug, Deserialize)]
struct WhoAmI {
    name: String,
    #[serde(default)]
    real_name: String,
    id: u64,
}

/// A write described as data, for `dry_run` and for sending.
#[derive(Debug, Clone)]
pub struct Write {
    pub method: &'static str,
    pub segments: Vec<String>,
    pub body: Value,
}

impl Write {
    #[must_use]
    pub fn post(segments: &[&str], body: Value) -> Self {
        Self { method: "POST", segments: segments.iter().map(|s| (*s).to_owned()).collect(), body }
    }
    #[must_use]
    pub fn put(segments: &[&str], body: Value) -> Self {
        Self { method: "PUT", segments: segments.iter().map(|s| (*s).to_owned()).collect(), body }
    }

    /// The request this write sends (the key is added by the HTTP layer when sending).
    fn request(&self) -> Request {
        let segments = std::iter::once("rest".to_owned()).chain(self.segments.iter().cloned());
        match self.method {
            "PUT" => Request::put(segments),
            _ => Request::post(segments),
        }
        .json(self.body.clone())
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

    /// The web page of a bug, for "read the rest there" hints.
    #[must_use]
    pub fn bug_page(&self, id: u64) -> String {
        let mut url = self.web.join("show_bug.cgi").unwrap_or_else(|_| self.web.clone());
        url.set_query(Some(&format!("id={id}")));
        url.to_string()
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
        let request =
            Request::get(["rest", "user"]).query("match", "tracker-mcp-key-probe").query("limit", 1);
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

    async fn read_request(&self, segments: &[&str]) -> Result<Request> {
        let request = Request::get(std::iter::once("rest").chain(segments.iter().copied()));
        Ok(if self.placement().await? == Placement::Query { request.key_in_query() } else { request })
    }

    // -----------------------------------------------------------------------------------------
    // Sending and errors

    /// GET `/rest/<segments>?<query>`; errors name `subject`.
    pub async fn get<T: DeserializeOwned>(
        &self,
        segments: &[&str],
        query: &[(&str, String)],
        subject: &str,
    ) -> Result<T> {
        let mut request = self.read_request(segments).await?;
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
            write.method
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
    async fn send(&self, request: Request, subject: &str) -> Result<Response> {
        let response = self.http.execute(request).await?;
        if response.is_success() { Ok(response) } else { Err(self.map_error(&response, subject)) }
    }

    /// One actionable message per error code Bugzilla is known to answer (see the upstream
    /// README); anything else falls back to the status with Bugzilla's own (sanitized) text.
    fn map_error(&self, response: &Response, subject: &str) -> Error {
        let body: Option<ErrorBody> = serde_json::from_slice(&response.body).ok();
        let raw = body.as_ref().and_then(|b| b.message.clone()).unwrap_or_default();
        let said = sanitize(&raw);
        let code = body.as_ref().and_then(ErrorBody::code);
        let anon_hint = if self.anonymous {
            " The server runs anonymously (BUGZILLA_ANONYMOUS=true); set BUGZILLA_API_KEY to see more."
        } else {
            ""
        };
        let Some(code) = code else {
            return response.status_error(TRACKER, subject, (!raw.is_empty()).then_some(raw.as_str()));
        };
        match code {
            306 => Error::Unauthorized(
                "Bugzilla says the API key is invalid (code 306): check BUGZILLA_API_KEY \
                 (`tracker-mcp check` tests it)"
                    .into(),
            ),
            410 if self.anonymous => Error::Unauthorized(
                "Bugzilla requires a login for this (code 410), and the server runs anonymously \
                 (BUGZILLA_ANONYMOUS=true): set BUGZILLA_API_KEY to write"
                    .into(),
            ),
            410 => Error::Unauthorized(
                "Bugzilla treated the request as logged out (code 410): the API key was not \
                 accepted. On Bugzilla 5.0/5.2 use BUGZILLA_API_KEY_MODE=auto or param"
                    .into(),
            ),
            505 if self.anonymous => Error::Unauthorized(format!(
                "Bugzilla lets only logged-in accounts look up users (code 505).{anon_hint}"
            )),
            505 => Error::Unauthorized(
                "Bugzilla treated the request as logged out (code 505): the API key was not \
                 accepted. This instance ignores X-BUGZILLA-API-KEY (Bugzilla 5.0/5.2): use \
                 BUGZILLA_API_KEY_MODE=auto or param"
                    .into(),
            ),
            304 => Error::Forbidden(format!(
                "{subject} is not visible to this account (Bugzilla code 304: {said}){anon_hint}"
            )),
            300..=303 | 305 | 307 | 308 => {
                Error::Unauthorized(format!("Bugzilla refused the login (code {code}): {said}"))
            }
            100 => Error::NotFound(format!(
                "{subject}: no bug has this id or alias (Bugzilla code 100). Ids are numbers; \
                 aliases are exact"
            )),
            101 => Error::NotFound(format!("{} does not exist (Bugzilla code 101)", bug_in(&raw, subject))),
            102 => Error::Forbidden(format!(
                "{} is not visible to this account (Bugzilla code 102; HTTP 401): it is restricted \
                 to groups this account is not in.{anon_hint}",
                bug_in(&raw, subject)
            )),
            110 => Error::Forbidden(format!(
                "{} is private (Bugzilla code 110): only members of the insider group see it",
                number_after(&raw, "Comment id ")
                    .map_or_else(|| "the comment".to_owned(), |n| format!("comment {n}"))
            )),
            111 | 112 => Error::Forbidden(format!(
                "{subject} is not visible to this account (Bugzilla code {code}): {said}"
            )),
            106 => Error::Forbidden(format!(
                "this account cannot file bugs in that product, or it does not exist (Bugzilla \
                 code 106). bugzilla_list_products lists the products it can use.{anon_hint}"
            )),
            115..=117 => Error::Forbidden(format!(
                "this account may not make that change (Bugzilla code {code}): {said}"
            )),
            50 => match required_field(&raw) {
                Some(field) => Error::invalid(
                    field,
                    format!(
                        "{field} is required on this instance (Bugzilla code 50: {said}). \
                         bugzilla_get_field_values or bugzilla_get_product list the legal values"
                    ),
                ),
                None => Error::invalid(
                    "arguments",
                    format!("a required value is missing (Bugzilla code 50): {said}"),
                ),
            },
            107 => Error::invalid("summary", "a summary is required (Bugzilla code 107)"),
            51 => Error::invalid(unknown_arg(&raw), format!("{said} (Bugzilla code 51)")),
            121 => Error::invalid(
                "resolution",
                format!(
                    "closing a bug needs a resolution (Bugzilla code 121: {said}); \
                     bugzilla_get_field_values lists them"
                ),
            ),
            122 => Error::invalid(
                "resolution",
                "a resolution can only be set together with a closed status such as RESOLVED \
                 (Bugzilla code 122)",
            ),
            118..=120 => Error::invalid("dupe_of", format!("{said} (Bugzilla code {code})")),
            123 => Error::invalid(
                "status",
                format!("{said} (Bugzilla code 123); bugzilla_get_field_values shows the workflow"),
            ),
            54..=58 | 600..=699 => Error::invalid("arguments", format!("{said} (Bugzilla code {code})")),
            32614 => Error::NotFound(format!(
                "this Bugzilla has no REST resource for {subject} (code 32614); it may be an older \
                 version"
            )),
            32000 | 32600..=32613 => Error::Rejected {
                tracker: TRACKER,
                status: response.status,
                message: format!("{said} (code {code})"),
            },
            _ => response.status_error(TRACKER, subject, Some(&format!("{raw} (code {code})"))),
        }
    }

    /// Code 51 for a component, version or milestone: name the ones that exist.
    async fn explain_unknown(&self, message: &str) -> Option<Error> {
        let (kind, name, product) = parse_no_such_in_product(message)?;
        let products: Products = self
            .get(&["product"], &[("names", product.clone())], &format!("product {product}"))
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
        let Version { version } = self.get(&["version"], &[], "the version").await?;
        Ok(version)
    }

    /// One bug (id or alias), with every field.
    pub async fn bug(&self, id: &str) -> Result<Bug> {
        let subject = format!("bug {id}");
        let bugs: Bugs = self.get(&["bug", id], &[], &subject).await?;
        bugs.bugs.into_iter().next().ok_or_else(|| not_visible(&subject))
    }

    /// A search: `query` holds Bugzilla's own search parameters.
    pub async fn search(&self, query: &[(&str, String)]) -> Result<Vec<Bug>> {
        let bugs: Bugs = self.get(&["bug"], query, "the search").await?;
        Ok(bugs.bugs)
    }

    pub async fn comments(&self, id: &str, new_since: Option<&str>) -> Result<Vec<Comment>> {
        let mut query = Vec::new();
        if let Some(since) = new_since {
            query.push(("new_since", since.to_owned()));
        }
        let subject = format!("bug {id}");
        let answer: CommentsAnswer = self.get(&["bug", id, "comment"], &query, &subject).await?;
        answer.bugs.into_values().next().map(|b| b.comments).ok_or_else(|| not_visible(&subject))
    }

    pub async fn history(&self, id: &str, new_since: Option<&str>) -> Result<(u64, Vec<HistoryEntry>)> {
        let mut query = Vec::new();
        if let Some(since) = new_since {
            query.push(("new_since", since.to_owned()));
        }
        let subject = format!("bug {id}");
        let answer: HistoryAnswer = self.get(&["bug", id, "history"], &query, &subject).await?;
        let bug = answer.bugs.into_iter().next().ok_or_else(|| not_visible(&subject))?;
        Ok((bug.id, bug.history))
    }

    pub async fn attachments(&self, id: &str) -> Result<Vec<super::models::Attachment>> {
        let subject = format!("bug {id}");
        let answer: AttachmentsAnswer =
            self.get(&["bug", id, "attachment"], &[("exclude_fields", "data".to_owned())], &subject).await?;
        answer.bugs.into_values().next().ok_or_else(|| not_visible(&subject))
    }

    pub async fn attachment(&self, id: u64) -> Result<super::models::Attachment> {
        let subject = format!("attachment {id}");
        let answer: AttachmentsAnswer =
            self.get(&["bug", "attachment", &id.to_string()], &[], &subject).await?;
        answer.attachments.into_values().next().ok_or_else(|| not_visible(&subject))
    }

    pub async fn products(&self) -> Result<Vec<Product>> {
        let answer: Products = self
            .get(
                &["product"],
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
        let answer: Products = self.get(&["product"], &[(key, name_or_id.to_owned())], &subject).await?;
        answer.products.into_iter().next().ok_or_else(|| {
            Error::NotFound(format!(
                "{subject} was not found or is not visible to this account; bugzilla_list_products \
                 lists the products it can see"
            ))
        })
    }

    pub async fn fields(&self, name: Option<&str>) -> Result<Vec<Field>> {
        let answer: Fields = match name {
            Some(name) => self.get(&["field", "bug", name], &[], &format!("field {name}")).await?,
            None => self.get(&["field", "bug"], &[], "the field list").await?,
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
                &["user"],
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

    // -----------------------------------------------------------------------------------------
    // Identity

    /// How reads send the key, in words.
    pub async fn key_mode_line(&self) -> Result<String> {
        let placement = self.placement().await?;
        let how = match self.key_mode {
            KeyMode::Auto => "detected (BUGZILLA_API_KEY_MODE=auto)",
            KeyMode::Header => "set by BUGZILLA_API_KEY_MODE=header",
            KeyMode::Param => "set by BUGZILLA_API_KEY_MODE=param",
        };
        Ok(match placement {
            Placement::Anonymous => "no key (BUGZILLA_ANONYMOUS=true)".to_owned(),
            Placement::Header if self.key_mode == KeyMode::Auto => format!(
                "key mode: header, {how}: the instance honours X-BUGZILLA-API-KEY; the key is never put in a URL"
            ),
            Placement::Header => format!("key mode: header, {how}: the key is never put in a URL"),
            Placement::Query if self.key_mode == KeyMode::Auto => format!(
                "key mode: param, {how}: the instance ignores X-BUGZILLA-API-KEY, so reads also carry \
                 api_key in the query and writes in the JSON body"
            ),
            Placement::Query => format!(
                "key mode: param, {how}: reads also carry api_key in the query and writes in the JSON body"
            ),
        })
    }

    /// Who the server acts as, the version, and the key mode.
    pub async fn whoami(&self) -> Result<String> {
        let version = self.version().await?;
        let mode = self.key_mode_line().await?;
        if self.anonymous {
            return Ok(format!(
                "Acting anonymously on Bugzilla {version} (BUGZILLA_ANONYMOUS=true): only public bugs \
                 are visible and writes are refused."
            ));
        }
        let request = self.read_request(&["whoami"]).await?;
        let response = self.http.execute(request).await?;
        if response.is_success() {
            let who: WhoAmI = response.json(TRACKER)?;
            return Ok(format!(
                "Acting as {} ({}, id {}) on Bugzilla {version}; {mode}.",
                crate::render::one_line(&who.real_name),
                who.name,
                who.id
            ));
        }
        if error_code(&response) != Some(32614) && response.status != 404 {
            return Err(self.map_error(&response, "the current user"));
        }
        // 5.0/5.2: no /rest/whoami. Prove the key works, then name the owner if we can.
        let probe =
            self.read_request(&["user"]).await?.query("match", "tracker-mcp-key-probe").query("limit", 1);
        self.send(probe, "the key check").await?;
        match &self.login {
            Some(login) if self.key_mode == KeyMode::Header => Ok(format!(
                "Key accepted; BUGZILLA_LOGIN={login} not checked: Bugzilla {version} has no \
                 /rest/whoami and /rest/valid_login needs the key in the URL, which \
                 BUGZILLA_API_KEY_MODE=header rules out; {mode}."
            )),
            Some(login) => {
                let request = Request::get(["rest", "valid_login"]).query("login", login).key_in_query();
                let valid: Value = self.send(request, "the login check").await?.json(TRACKER)?;
                if valid.get("result") == Some(&Value::Bool(true)) {
                    Ok(format!(
                        "Acting as {login} on Bugzilla {version} (key checked with /rest/valid_login); {mode}."
                    ))
                } else {
                    Err(Error::Unauthorized(format!(
                        "Bugzilla says the API key does not belong to BUGZILLA_LOGIN={login}; fix \
                         either variable"
                    )))
                }
            }
            None => Ok(format!(
                "Key accepted, login unknown: Bugzilla {version} has no /rest/whoami. Set \
                 BUGZILLA_LOGIN to the key owner's login so it can be checked; {mode}."
            )),
        }
    }

    /// One line for `tracker-mcp check`.
    pub async fn check(&self) -> Result<String> {
        self.whoami().await
    }
}

fn error_code(response: &Response) -> Option<i64> {
    serde_json::from_slice::<ErrorBody>(&response.body).ok().and_then(|b| b.code())
}

fn not_visible(subject: &str) -> Error {
    Error::NotFound(format!("{subject} was not found or is not visible to this account"))
}

/// The message for a refused status change.
#[must_use]
pub fn transition_error(from: &str, to: &str, allowed: &[(String, bool)]) -> Error {
    let list = if allowed.is_empty() {
        "none".to_owned()
    } else {
        allowed
            .iter()
            .map(|(name, comment)| if *comment { format!("{name} (needs a comment)") } else { name.clone() })
            .collect::<Vec<_>>()
            .join(", ")
    };
    Error::invalid(
        "status",
        format!(
            "{} -> {} is not allowed; allowed from {}: {list}",
            sanitize(from),
            sanitize(to),
            sanitize(from)
        ),
    )
}

/// "bug 7" from "…access bug #7." or "Bug #99999 does not exist."; else the subject.
fn bug_in(message: &str, subject: &str) -> String {
    number_after(message, "bug #")
        .or_else(|| number_after(message, "Bug #"))
        .map_or_else(|| subject.to_owned(), |n| format!("bug {n}"))
}

fn number_after(message: &str, marker: &str) -> Option<u64> {
    let at = message.find(marker)? + marker.len();
    let digits: String = message[at..].chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Code 50's "You must select/enter a OS." names a field by its label.
fn required_field(message: &str) -> Option<&'static str> {
    let label = message.split("select/enter a ").nth(1)?.trim_end_matches('.').trim().to_ascii_lowercase();
    Some(match label.as_str() {
        "os" | "os/version" | "operating system" => "op_sys",
        "hardware" | "platform" => "platform",
        "version" => "version",
        "component" => "component",
        "product" => "product",
        "summary" => "summary",
        "severity" => "severity",
        "priority" => "priority",
        _ => return None,
    })
}

/// Which argument a code-51 "There is no X named 'Y'" is about.
fn unknown_arg(message: &str) -> &'static str {
    let lower = message.to_ascii_lowercase();
    let kind = lower.split("there is no ").nth(1).and_then(|r| r.split(" named").next()).unwrap_or("");
    match kind {
        "component" => "component",
        "version" => "version",
        "milestone" => "target_milestone",
        "severity" => "severity",
        "priority" => "priority",
        "status" => "status",
        "resolution" => "resolution",
        "keyword" => "keywords",
        "flagtype" => "flags",
        "user" => "user",
        "product" => "product",
        "field" => "field",
        _ => "arguments",
    }
}

/// `There is no component named 'Nope' in the 'Alpha' product.` → (component, Nope, Alpha).
fn parse_no_such_in_product(message: &str) -> Option<(String, String, String)> {
    let rest = message.strip_prefix("There is no ")?;
    let (kind, rest) = rest.split_once(" named '")?;
    let (name, rest) = rest.split_once("' in the '")?;
    let (product, _) = rest.split_once("' product")?;
    Some((kind.to_ascii_lowercase(), name.to_owned(), product.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_parsed() {
        assert_eq!(required_field("You must select/enter a OS."), Some("op_sys"));
        assert_eq!(required_field("You must select/enter a Hardware."), Some("platform"));
        assert_eq!(required_field("You must select/enter a version."), Some("version"));
        assert_eq!(unknown_arg("There is no Severity named 'huge'."), "severity");
        assert_eq!(unknown_arg("There is no user named 'x'. Either…"), "user");
        assert_eq!(
            parse_no_such_in_product("There is no component named 'Nope' in the 'Alpha' product."),
            Some(("component".into(), "Nope".into(), "Alpha".into()))
        );
        assert_eq!(bug_in("You are not authorized to access bug #7.", "x"), "bug 7");
        assert_eq!(bug_in("Bug #99999 does not exist.", "x"), "bug 99999");
        let e = transition_error(
            "RESOLVED",
            "IN_PROGRESS",
            &[("UNCONFIRMED".into(), false), ("VERIFIED".into(), true)],
        );
        assert!(e.to_string().contains("RESOLVED -> IN_PROGRESS is not allowed; allowed from RESOLVED: UNCONFIRMED, VERIFIED (needs a comment)"));
    }

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
            .describe(&Write::post(&["bug", "release 1.0", "comment"], serde_json::json!({})))
            .expect("dry run");
        assert!(shown.contains("POST /bugzilla/rest/bug/release%201.0/comment\n"), "{shown}");
    }

    fn api(anonymous: bool) -> BugzillaApi {
        let config = BugzillaConfig {
            url: Url::parse("https://bz.test").expect("url"),
            api_key: (!anonymous).then(|| secrecy::SecretString::from("k".repeat(40))),
            key_mode: KeyMode::Auto,
            login: None,
        };
        BugzillaApi::new(&config, &HttpSettings::default()).expect("api")
    }

    fn answer(status: u16, code: Value, message: &str) -> Response {
        Response {
            status,
            body: serde_json::to_vec(&serde_json::json!({"error": true, "code": code, "message": message}))
                .expect("json"),
            retry_after: None,
            headers: reqwest::header::HeaderMap::new(),
        }
    }

    /// Every code the upstream README records, as 5.2 (number) and 5.3.3 (string) send it.
    #[test]
    fn every_recorded_code_has_an_actionable_message() {
        let cases: &[(u16, i64, &str, &str)] = &[
            (404, 101, "Bug #99999 does not exist.", "bug 99999 does not exist"),
            (400, 100, "Invalid Bug Alias", "no bug has this id or alias"),
            (401, 102, "You are not authorized to access bug #7.", "bug 7 is not visible to this account"),
            (401, 110, "Comment id 4 is private.", "comment 4 is private"),
            (
                401,
                106,
                "Sorry, either the product Secret does not exist or you aren't authorized",
                "cannot file bugs in that product",
            ),
            (400, 50, "You must select/enter a OS.", "op_sys is required on this instance"),
            (400, 50, "You must select/enter a version.", "version is required on this instance"),
            (400, 107, "You must enter a summary for this bug.", "a summary is required"),
            (404, 51, "There is no Severity named 'huge'.", "invalid argument `severity`"),
            (
                400,
                123,
                "You are not allowed to change the bug status from RESOLVED to IN_PROGRESS.",
                "invalid argument `status`",
            ),
            (400, 121, "A valid resolution is required", "needs a resolution"),
            (400, 306, "The API key you specified is invalid.", "API key is invalid (code 306)"),
            (401, 410, "You must log in before using this part of Bugzilla.", "the API key was not accepted"),
            (401, 505, "Logged-out users cannot use the \"match\" argument", "ignores X-BUGZILLA-API-KEY"),
            (404, 32614, "A REST API resource was not found for 'GET /whoami'", "no REST resource"),
            (400, 32000, "Could not parse JSON", "refused the request (HTTP 400)"),
            (401, 300, "The username or password you entered is not valid.", "refused the login"),
            (
                401,
                304,
                "Sorry, you are not authorized to access attachment #5.",
                "bug 7 is not visible to this account (Bugzilla code 304",
            ),
        ];
        let client = api(false);
        for (status, code, message, expected) in cases {
            for code in [serde_json::json!(code), serde_json::json!(code.to_string())] {
                let text = client.map_error(&answer(*status, code.clone(), message), "bug 7").to_string();
                assert!(text.contains(expected), "{code}: {text}");
            }
        }
        let anonymous = api(true);
        let text = anonymous.map_error(&answer(401, serde_json::json!(410), "log in"), "x").to_string();
        assert!(text.contains("BUGZILLA_ANONYMOUS=true"), "{text}");
        let text = anonymous.map_error(&answer(401, serde_json::json!(505), "match"), "x").to_string();
        assert!(text.contains("only logged-in accounts"), "{text}");
    }

    #[test]
    fn error_codes_are_numbers_or_strings() {
        let a: ErrorBody = serde_json::from_str(r#"{"code":306}"#).expect("json");
        let b: ErrorBody = serde_json::from_str(r#"{"code":"306"}"#).expect("json");
        assert_eq!(a.code(), Some(306));
        assert_eq!(b.code(), Some(306));
    }
}
