//! The Bitbucket client and the flavour-neutral operation layer the tools call.
//!
//! Cloud (`<url>/2.0/...`, [`super::cloud`]) and Data Center (`<url>/rest/api/1.0/...`,
//! [`super::datacenter`]) each keep an inventory of the endpoints they call ([`Endpoint`]):
//! every request is built from one, and a test checks each one against the vendor's OpenAPI
//! description in `tests/specs/`. The operations below return neutral models; the tools never
//! match on the flavour.

use serde::Deserialize;
use serde_json::Value;
use url::Url;

use super::{cloud, datacenter};
use crate::config::{BitbucketConfig, Flavor, HttpSettings};
use crate::error::{Error, Result};
use crate::http::{Auth, HttpClient, Request, Response};
use crate::params;

/// Name used in messages.
pub const TRACKER: &str = "Bitbucket";

#[derive(Debug, Clone)]
pub struct BitbucketApi {
    http: HttpClient,
    flavor: Flavor,
}

// ---------------------------------------------------------------------------------------------
// Endpoint inventory

/// One endpoint as the vendor's OpenAPI description names it: method, path template (the
/// spec's `paths` key) and the query parameters the client may send.
#[derive(Debug, Clone, Copy)]
pub struct Endpoint {
    pub method: &'static str,
    pub path: &'static str,
    pub query: &'static [&'static str],
}

impl Endpoint {
    #[must_use]
    pub const fn new(method: &'static str, path: &'static str, query: &'static [&'static str]) -> Self {
        Self { method, path, query }
    }

    /// The request for this endpoint, `{params}` filled in order with `args` (each one path
    /// segment, so percent-encoded; a `{param}.diff` part keeps its suffix; a `{path}` is
    /// split into one segment per component). Cloud paths get
    /// the `2.0` prefix, Data Center's `<area>/latest` becomes `rest/<area>/1.0`.
    #[must_use]
    pub fn call(&'static self, flavor: Flavor, args: &[&str]) -> Call {
        let mut segments: Vec<String> = Vec::new();
        let mut parts = self.path.split('/').filter(|p| !p.is_empty()).peekable();
        match flavor {
            Flavor::Cloud => segments.push("2.0".into()),
            Flavor::DataCenter => {
                let area = parts.next().unwrap_or_default();
                parts.next(); // "latest"
                segments.extend(["rest".to_owned(), area.to_owned(), "1.0".to_owned()]);
            }
        }
        let mut args = args.iter();
        for part in parts {
            if let Some(start) = part.find('{') {
                let end = part.find('}').unwrap_or(part.len() - 1);
                let value = args.next().copied().unwrap_or_default();
                debug_assert!(!value.is_empty(), "{}: missing argument for {part}", self.path);
                if part == "{path}" {
                    // A file path: one segment per component, as the vendors' URLs have it.
                    segments.extend(value.split('/').filter(|s| !s.is_empty()).map(str::to_owned));
                } else {
                    segments.push(format!("{}{value}{}", &part[..start], &part[end + 1..]));
                }
            } else {
                segments.push(part.to_owned());
            }
        }
        debug_assert!(args.next().is_none(), "{}: too many arguments", self.path);
        let request = match self.method {
            "POST" => Request::post(segments),
            "PUT" => Request::put(segments),
            "DELETE" => Request::delete(segments),
            _ => Request::get(segments),
        };
        Call { endpoint: self, request, body: None }
    }
}

/// A request under construction, tied to its endpoint so that only inventoried query
/// parameters can be added.
#[derive(Debug, Clone)]
pub struct Call {
    pub endpoint: &'static Endpoint,
    pub request: Request,
    pub body: Option<Value>,
}

impl Call {
    #[must_use]
    pub fn query(mut self, key: &'static str, value: impl ToString) -> Self {
        debug_assert!(
            self.endpoint.query.contains(&key),
            "query parameter {key} is not in the inventory of {}",
            self.endpoint.path
        );
        self.request = self.request.query(key, value);
        self
    }

    #[must_use]
    pub fn query_opt(self, key: &'static str, value: Option<impl ToString>) -> Self {
        match value {
            Some(v) => self.query(key, v),
            None => self,
        }
    }

    #[must_use]
    pub fn json(mut self, body: Value) -> Self {
        self.request = self.request.json(body.clone());
        self.body = Some(body);
        self
    }

    #[must_use]
    pub fn accept(mut self, accept: &'static str) -> Self {
        self.request = self.request.accept(accept);
        self
    }
}

// ---------------------------------------------------------------------------------------------
// Neutral models

/// A repository: workspace (Cloud) or project key (Data Center), and slug.
#[derive(Debug, Clone, Copy)]
pub struct Repo<'a> {
    pub workspace: &'a str,
    pub slug: &'a str,
}

impl Repo<'_> {
    /// How errors name it: "repository acme/web".
    #[must_use]
    pub fn subject(self) -> String {
        format!("repository {}/{}", self.workspace, self.slug)
    }
}

/// `limit` and the opaque `cursor` of a list.
#[derive(Debug, Clone)]
pub struct PageArgs {
    pub limit: u32,
    pub cursor: Option<String>,
}

/// One page of a list, flavour-neutral.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub offset: u64,
    pub total: Option<u64>,
    /// The cursor of the next page.
    pub next: Option<String>,
    /// A note about the page (e.g. filtering done here rather than upstream).
    pub note: Option<String>,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            offset: self.offset,
            total: self.total,
            next: self.next,
            note: self.note,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Project {
    pub key: String,
    pub name: String,
    pub description: String,
    pub private: Option<bool>,
}

#[derive(Debug, Clone, Default)]
pub struct Repository {
    pub slug: String,
    pub name: String,
    pub project: String,
    pub description: String,
    pub private: Option<bool>,
    pub default_branch: String,
    pub language: String,
    pub updated: String,
    pub web: String,
    pub clone: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Reviewer {
    pub name: String,
    /// approved, changes requested (needs work), or not yet.
    pub verdict: String,
}

#[derive(Debug, Clone, Default)]
pub struct PullRequest {
    pub id: u64,
    pub title: String,
    pub state: String,
    pub draft: bool,
    pub author: String,
    pub source: String,
    pub target: String,
    pub created: String,
    pub updated: String,
    pub description: String,
    pub reviewers: Vec<Reviewer>,
    pub comment_count: Option<u64>,
    pub version: Option<i64>,
    /// Head commit of the source branch.
    pub source_commit: String,
    pub web: String,
    /// Mergeability (Data Center) when known.
    pub merge_status: Option<String>,
    /// Build summary when known.
    pub builds: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Comment {
    pub id: u64,
    pub parent: Option<u64>,
    pub author: String,
    pub created: String,
    pub text: String,
    pub path: Option<String>,
    pub line: Option<u64>,
    pub deleted: bool,
    pub state: String,
}

#[derive(Debug, Clone, Default)]
pub struct Commit {
    pub hash: String,
    pub author: String,
    pub date: String,
    pub message: String,
    pub parents: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Branch {
    pub name: String,
    pub hash: String,
    pub is_default: bool,
    pub date: String,
}

#[derive(Debug, Clone, Default)]
pub struct Activity {
    pub when: String,
    pub who: String,
    pub action: String,
    pub detail: String,
}

#[derive(Debug, Clone, Default)]
pub struct Change {
    pub path: String,
    pub status: String,
}

#[derive(Debug, Clone, Default)]
pub struct Issue {
    pub id: u64,
    pub title: String,
    pub state: String,
    pub kind: String,
    pub priority: String,
    pub reporter: String,
    pub assignee: String,
    pub created: String,
    pub updated: String,
    pub content: String,
    pub votes: Option<u64>,
}

#[derive(Debug, Clone, Default)]
pub struct SearchHit {
    pub repo: String,
    pub path: String,
    pub lines: Vec<(u64, String)>,
}

/// What a path at a ref holds.
#[derive(Debug, Clone)]
pub enum FileContent {
    Text(String),
    Binary { bytes: usize },
    Directory(Page<String>),
}

/// Filters of `list_pull_requests`.
#[derive(Debug, Clone, Default)]
pub struct PrFilter {
    /// OPEN, MERGED, DECLINED or ALL.
    pub state: String,
    pub author: Option<String>,
    pub reviewer: Option<String>,
    pub target: Option<String>,
}

/// A new pull request.
#[derive(Debug, Clone, Default)]
pub struct NewPullRequest {
    pub title: String,
    pub description: Option<String>,
    pub source: String,
    pub target: String,
    pub reviewers: Vec<String>,
    pub close_source_branch: bool,
    pub draft: bool,
}

/// A new pull-request comment: general, inline (path + line), or a reply (parent).
#[derive(Debug, Clone, Default)]
pub struct NewComment {
    pub text: String,
    pub path: Option<String>,
    pub line: Option<u64>,
    pub parent: Option<u64>,
}

/// A prepared write: the call and what it concerns, sent or shown (dry run).
#[derive(Debug, Clone)]
pub struct Write {
    pub call: Call,
    pub subject: String,
    /// What a 409 means for this operation.
    pub conflict_hint: &'static str,
}

#[derive(Debug, Deserialize)]
struct CloudUser {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    nickname: String,
}

#[derive(Debug, Deserialize)]
struct DcProperties {
    #[serde(default)]
    version: String,
}

// ---------------------------------------------------------------------------------------------
// Client

impl BitbucketApi {
    pub fn new(config: &BitbucketConfig, settings: &HttpSettings) -> Result<Self> {
        let auth = match &config.username {
            Some(username) => Auth::Basic { username: username.clone(), password: config.token.clone() },
            None => Auth::Bearer(config.token.clone()),
        };
        Ok(Self {
            http: HttpClient::new(TRACKER, config.url.clone(), auth, settings)?,
            flavor: config.flavor,
        })
    }

    #[must_use]
    pub fn flavor(&self) -> Flavor {
        self.flavor
    }

    /// The request for `endpoint` in this client's flavour.
    #[must_use]
    pub fn call(&self, endpoint: &'static Endpoint, args: &[&str]) -> Call {
        endpoint.call(self.flavor, args)
    }

    /// Send a request; non-success statuses become errors naming `subject`.
    pub async fn send(&self, request: Request, subject: &str) -> Result<Response> {
        self.send_hinted(request, subject, "").await
    }

    async fn send_hinted(&self, request: Request, subject: &str, conflict_hint: &str) -> Result<Response> {
        let response = self.http.execute(request).await?;
        if response.is_success() {
            return Ok(response);
        }
        Err(map_error(&response, subject, conflict_hint))
    }

    /// Send and decode JSON (an empty 2xx body is `null`).
    pub async fn get_json(&self, call: Call, subject: &str) -> Result<Value> {
        json_or_null(&self.send(call.request, subject).await?)
    }

    /// One page of a paged list. `first` is the first page's request (without paging
    /// parameters); `cursor` comes from a previous page.
    pub async fn page(&self, first: Call, args: &PageArgs, subject: &str) -> Result<Page<Value>> {
        match self.flavor {
            Flavor::Cloud => self.cloud_page(first, args, subject).await,
            Flavor::DataCenter => self.dc_page(first, args, subject).await,
        }
    }

    async fn cloud_page(&self, first: Call, args: &PageArgs, subject: &str) -> Result<Page<Value>> {
        let (request, offset) = match &args.cursor {
            None => (first.query("pagelen", args.limit).request, 0),
            Some(cursor) => {
                let expected = self.http.url_for(&first.request)?;
                let (url, offset) = parse_cloud_cursor(cursor, &expected)?;
                (Request::get_url(url), offset)
            }
        };
        let response = self.send(request, subject).await?;
        // An empty 200 (as the spec declares for some lists) is an empty page.
        let body = json_or_null(&response)?;
        let items = body["values"].as_array().cloned().unwrap_or_default();
        let total = body["size"].as_u64();
        let mut note = None;
        let next = body["next"].as_str().and_then(|n| Url::parse(n).ok()).and_then(|mut url| {
            // Only a link on the configured origin is offered (and ever followed).
            if url.origin() != self.http.base().origin() {
                note =
                    Some("Bitbucket's next-page link points to another host; it is not offered".to_owned());
                return None;
            }
            url.set_fragment(Some(&format!("o={}", offset + items.len() as u64)));
            Some(url.to_string())
        });
        Ok(Page { items, offset, total, next, note })
    }

    async fn dc_page(&self, first: Call, args: &PageArgs, subject: &str) -> Result<Page<Value>> {
        let start = match &args.cursor {
            None => 0,
            Some(cursor) => parse_dc_cursor(cursor)?,
        };
        let call = first.query("start", start).query("limit", args.limit);
        let body = self.get_json(call, subject).await?;
        let items = body["values"].as_array().cloned().unwrap_or_default();
        let last = body["isLastPage"].as_bool().unwrap_or(true);
        let next = body["nextPageStart"].as_i64().filter(|n| !last && *n > 0).map(|n| n.to_string());
        Ok(Page { items, offset: start, total: None, next, note: None })
    }

    /// Describe a write without sending it.
    fn describe(&self, write: &Write) -> Result<String> {
        let target = self.http.path_and_query(&write.call.request)?;
        let body = write.call.body.as_ref().map_or_else(
            || "no body".to_owned(),
            |b| format!("body {}", serde_json::to_string(b).unwrap_or_default()),
        );
        Ok(format!("Dry run (nothing sent): would {} {target} with {body}", write.call.request.method()))
    }

    /// Send a write; the JSON answer (`null` when empty).
    async fn perform(&self, write: Write) -> Result<Value> {
        json_or_null(&self.send_hinted(write.call.request, &write.subject, write.conflict_hint).await?)
    }

    /// A write tool's whole course: with `dry_run` its description, otherwise the write sent
    /// and `done` turning the answer into the result.
    pub async fn run(
        &self,
        write: Write,
        dry_run: bool,
        done: impl FnOnce(&Self, Value) -> Result<String>,
    ) -> Result<String> {
        if dry_run {
            return self.describe(&write);
        }
        let answer = self.perform(write).await?;
        done(self, answer)
    }

    /// The account and flavour, in one line.
    pub async fn whoami(&self) -> Result<String> {
        match self.flavor {
            Flavor::Cloud => {
                let user: CloudUser = self
                    .send(self.call(&cloud::USER, &[]).request, "the current user")
                    .await?
                    .json(TRACKER)?;
                Ok(format!("Acting as {} ({}) on Bitbucket Cloud.", user.display_name, user.nickname))
            }
            Flavor::DataCenter => {
                let response = self
                    .send(
                        self.call(&datacenter::APPLICATION_PROPERTIES, &[]).request,
                        "the server properties",
                    )
                    .await?;
                let user = response
                    .headers
                    .get("x-ausername")
                    .and_then(|v| v.to_str().ok())
                    .map_or_else(|| "an unnamed account".to_owned(), str::to_owned);
                let DcProperties { version } = response.json(TRACKER)?;
                Ok(format!("Acting as {user} on Bitbucket Data Center {version}."))
            }
        }
    }

    /// One line for `tracker-mcp check`.
    pub async fn check(&self) -> Result<String> {
        self.whoami().await
    }

    // -----------------------------------------------------------------------------------------
    // Operations (dispatch to the flavour)

    pub async fn list_projects(&self, workspace: Option<&str>, args: &PageArgs) -> Result<Page<Project>> {
        match self.flavor {
            Flavor::Cloud => {
                let workspace = workspace.ok_or_else(|| {
                    Error::invalid(
                        "workspace",
                        "Bitbucket Cloud lists the projects of one workspace: name it",
                    )
                })?;
                cloud::list_projects(self, workspace, args).await
            }
            Flavor::DataCenter => datacenter::list_projects(self, args).await,
        }
    }

    pub async fn list_repositories(
        &self,
        workspace: &str,
        name: Option<&str>,
        args: &PageArgs,
    ) -> Result<Page<Repository>> {
        match self.flavor {
            Flavor::Cloud => cloud::list_repositories(self, workspace, name, args).await,
            Flavor::DataCenter => datacenter::list_repositories(self, workspace, name, args).await,
        }
    }

    pub async fn get_repository(&self, repo: Repo<'_>) -> Result<Repository> {
        match self.flavor {
            Flavor::Cloud => cloud::get_repository(self, repo).await,
            Flavor::DataCenter => datacenter::get_repository(self, repo).await,
        }
    }

    pub async fn list_pull_requests(
        &self,
        repo: Repo<'_>,
        filter: &PrFilter,
        args: &PageArgs,
    ) -> Result<Page<PullRequest>> {
        match self.flavor {
            Flavor::Cloud => cloud::list_pull_requests(self, repo, filter, args).await,
            Flavor::DataCenter => datacenter::list_pull_requests(self, repo, filter, args).await,
        }
    }

    pub async fn get_pull_request(&self, repo: Repo<'_>, id: u64) -> Result<PullRequest> {
        match self.flavor {
            Flavor::Cloud => cloud::get_pull_request(self, repo, id).await,
            Flavor::DataCenter => datacenter::get_pull_request(self, repo, id, true).await,
        }
    }

    /// The pull request's unified diff (text).
    pub async fn pull_request_diff(&self, repo: Repo<'_>, id: u64) -> Result<String> {
        let id = id.to_string();
        let call = match self.flavor {
            Flavor::Cloud => self.call(&cloud::PR_DIFF, &[repo.workspace, repo.slug, &id]),
            Flavor::DataCenter => self.call(&datacenter::PR_DIFF, &[repo.workspace, repo.slug, &id]),
        };
        let response = self.send(call.accept("text/plain").request, &format!("pull request {id}")).await?;
        Ok(response.text())
    }

    pub async fn list_pull_request_comments(
        &self,
        repo: Repo<'_>,
        id: u64,
        args: &PageArgs,
    ) -> Result<Page<Comment>> {
        match self.flavor {
            Flavor::Cloud => cloud::list_pull_request_comments(self, repo, id, args).await,
            Flavor::DataCenter => datacenter::list_pull_request_comments(self, repo, id, args).await,
        }
    }

    pub async fn list_pull_request_commits(
        &self,
        repo: Repo<'_>,
        id: u64,
        args: &PageArgs,
    ) -> Result<Page<Commit>> {
        match self.flavor {
            Flavor::Cloud => cloud::list_pull_request_commits(self, repo, id, args).await,
            Flavor::DataCenter => datacenter::list_pull_request_commits(self, repo, id, args).await,
        }
    }

    pub async fn pull_request_activity(
        &self,
        repo: Repo<'_>,
        id: u64,
        args: &PageArgs,
    ) -> Result<Page<Activity>> {
        match self.flavor {
            Flavor::Cloud => cloud::pull_request_activity(self, repo, id, args).await,
            Flavor::DataCenter => datacenter::pull_request_activity(self, repo, id, args).await,
        }
    }

    pub async fn list_branches(
        &self,
        repo: Repo<'_>,
        filter: Option<&str>,
        args: &PageArgs,
    ) -> Result<Page<Branch>> {
        match self.flavor {
            Flavor::Cloud => cloud::list_branches(self, repo, filter, args).await,
            Flavor::DataCenter => datacenter::list_branches(self, repo, filter, args).await,
        }
    }

    pub async fn list_commits(
        &self,
        repo: Repo<'_>,
        branch: Option<&str>,
        path: Option<&str>,
        args: &PageArgs,
    ) -> Result<Page<Commit>> {
        match self.flavor {
            Flavor::Cloud => cloud::list_commits(self, repo, branch, path, args).await,
            Flavor::DataCenter => datacenter::list_commits(self, repo, branch, path, args).await,
        }
    }

    /// A commit and the files it changed.
    pub async fn get_commit(&self, repo: Repo<'_>, hash: &str) -> Result<(Commit, Page<Change>)> {
        match self.flavor {
            Flavor::Cloud => cloud::get_commit(self, repo, hash).await,
            Flavor::DataCenter => datacenter::get_commit(self, repo, hash).await,
        }
    }

    pub async fn get_file(&self, repo: Repo<'_>, path: &str, git_ref: Option<&str>) -> Result<FileContent> {
        let (call, subject) = match self.flavor {
            Flavor::Cloud => {
                let at = match git_ref {
                    Some(r) => r.to_owned(),
                    None => cloud::main_branch(self, repo).await?,
                };
                let call = self.call(&cloud::SRC, &[repo.workspace, repo.slug, &at, path]);
                (call.accept("*/*"), format!("file {path} at {at}"))
            }
            Flavor::DataCenter => {
                let call = self.call(&datacenter::RAW, &[repo.workspace, repo.slug, path]);
                (call.query_opt("at", git_ref).accept("*/*"), format!("file {path}"))
            }
        };
        let response = self.send(call.request, &subject).await?;
        classify_file(&response)
    }

    pub async fn search_code(
        &self,
        workspace: &str,
        query: &str,
        repo: Option<&str>,
        args: &PageArgs,
    ) -> Result<Page<SearchHit>> {
        match self.flavor {
            Flavor::Cloud => cloud::search_code(self, workspace, query, repo, args).await,
            Flavor::DataCenter => Err(Error::invalid(
                "workspace",
                "code search is not part of the Bitbucket Data Center REST API; use the web UI",
            )),
        }
    }

    pub async fn list_issues(
        &self,
        repo: Repo<'_>,
        state: Option<&str>,
        query: Option<&str>,
        args: &PageArgs,
    ) -> Result<Page<Issue>> {
        self.cloud_only("issues")?;
        cloud::list_issues(self, repo, state, query, args).await
    }

    /// An issue and a page of its comments (`comments.limit` 0: none).
    pub async fn get_issue(
        &self,
        repo: Repo<'_>,
        id: u64,
        comments: &PageArgs,
    ) -> Result<(Issue, Page<Comment>)> {
        self.cloud_only("issues")?;
        cloud::get_issue(self, repo, id, comments).await
    }

    fn cloud_only(&self, what: &str) -> Result<()> {
        if self.flavor == Flavor::DataCenter {
            return Err(Error::invalid("workspace", format!("Bitbucket Data Center has no {what}")));
        }
        Ok(())
    }

    /// A pull request from a write's answer.
    #[must_use]
    pub fn pull_request_from(&self, v: &Value) -> PullRequest {
        match self.flavor {
            Flavor::Cloud => cloud::pull_request(v),
            Flavor::DataCenter => datacenter::pull_request(v),
        }
    }

    /// A comment from a write's answer.
    #[must_use]
    pub fn comment_from(&self, v: &Value) -> Comment {
        match self.flavor {
            Flavor::Cloud => cloud::comment(v),
            Flavor::DataCenter => datacenter::comment(v),
        }
    }

    /// An issue from a write's answer (Cloud).
    #[must_use]
    pub fn issue_from(&self, v: &Value) -> Issue {
        cloud::issue(v)
    }

    // Writes: each returns the prepared request; `describe` or `perform` it.

    pub fn create_pull_request(&self, repo: Repo<'_>, pr: &NewPullRequest) -> Write {
        match self.flavor {
            Flavor::Cloud => cloud::create_pull_request(self, repo, pr),
            Flavor::DataCenter => datacenter::create_pull_request(self, repo, pr),
        }
    }

    pub fn add_pull_request_comment(&self, repo: Repo<'_>, id: u64, comment: &NewComment) -> Write {
        match self.flavor {
            Flavor::Cloud => cloud::add_pull_request_comment(self, repo, id, comment),
            Flavor::DataCenter => datacenter::add_pull_request_comment(self, repo, id, comment),
        }
    }

    pub fn approve_pull_request(&self, repo: Repo<'_>, id: u64) -> Write {
        match self.flavor {
            Flavor::Cloud => cloud::pr_action(self, repo, id, &cloud::PR_APPROVE, "approve"),
            Flavor::DataCenter => datacenter::approve(self, repo, id),
        }
    }

    pub fn request_changes(&self, repo: Repo<'_>, id: u64) -> Write {
        match self.flavor {
            Flavor::Cloud => cloud::pr_action(self, repo, id, &cloud::PR_REQUEST_CHANGES, "request changes"),
            Flavor::DataCenter => datacenter::request_changes(self, repo, id),
        }
    }

    /// Merge; Data Center needs the pull request's current version (read first).
    pub async fn merge_pull_request(
        &self,
        repo: Repo<'_>,
        id: u64,
        strategy: Option<&str>,
        message: Option<&str>,
        close_source_branch: Option<bool>,
    ) -> Result<Write> {
        match self.flavor {
            Flavor::Cloud => Ok(cloud::merge(self, repo, id, strategy, message, close_source_branch)),
            Flavor::DataCenter => datacenter::merge(self, repo, id, strategy, message).await,
        }
    }

    pub async fn decline_pull_request(&self, repo: Repo<'_>, id: u64) -> Result<Write> {
        match self.flavor {
            Flavor::Cloud => Ok(cloud::pr_action(self, repo, id, &cloud::PR_DECLINE, "decline")),
            Flavor::DataCenter => datacenter::decline(self, repo, id).await,
        }
    }

    pub fn create_issue(
        &self,
        repo: Repo<'_>,
        title: &str,
        content: Option<&str>,
        kind: Option<&str>,
        priority: Option<&str>,
    ) -> Result<Write> {
        self.cloud_only("issues")?;
        Ok(cloud::create_issue(self, repo, title, content, kind, priority))
    }

    pub fn add_issue_comment(&self, repo: Repo<'_>, id: u64, text: &str) -> Result<Write> {
        self.cloud_only("issues")?;
        Ok(cloud::add_issue_comment(self, repo, id, text))
    }
}

fn classify_file(response: &Response) -> Result<FileContent> {
    let is_json = response.content_type().is_some_and(|c| c.contains("json"));
    if is_json
        && let Ok(listing) = serde_json::from_slice::<Value>(&response.body)
        && let Some(values) = listing["values"].as_array()
    {
        let entries = values
            .iter()
            .map(|v| {
                let kind = v["type"].as_str().unwrap_or_default();
                let path = v["path"].as_str().unwrap_or_default();
                if kind == "commit_directory" { format!("{path}/") } else { path.to_owned() }
            })
            .collect();
        return Ok(FileContent::Directory(Page {
            items: entries,
            offset: 0,
            total: listing["size"].as_u64(),
            next: None,
            note: None,
        }));
    }
    let body = &response.body;
    let sniff = &body[..body.len().min(8000)];
    if sniff.contains(&0) {
        return Ok(FileContent::Binary { bytes: body.len() });
    }
    match String::from_utf8(body.clone()) {
        Ok(text) => Ok(FileContent::Text(text)),
        Err(_) => Ok(FileContent::Binary { bytes: body.len() }),
    }
}

/// A Cloud cursor is the `next` link Bitbucket returned, with `#o=<offset>` appended. It must
/// stay on the configured origin and on the same list the tool asks for.
fn parse_cloud_cursor(cursor: &str, expected: &Url) -> Result<(Url, u64)> {
    let bad =
        || Error::invalid("cursor", "not a cursor from this list; pass the `next` value exactly as returned");
    if cursor.len() > 2000 {
        return Err(bad());
    }
    let mut url = Url::parse(cursor).map_err(|_| bad())?;
    if url.origin() != expected.origin() || url.path() != expected.path() {
        return Err(bad());
    }
    let offset =
        url.fragment().and_then(|f| f.strip_prefix("o=")).and_then(|o| o.parse::<u64>().ok()).unwrap_or(0);
    url.set_fragment(None);
    Ok((url, offset))
}

/// A JSON answer; an empty 2xx body (writes, some spec-declared lists) is `null`.
fn json_or_null(response: &Response) -> Result<Value> {
    if response.body.is_empty() { Ok(Value::Null) } else { response.json(TRACKER) }
}

fn parse_dc_cursor(cursor: &str) -> Result<u64> {
    params::offset_cursor(cursor).ok_or_else(|| {
        Error::invalid("cursor", "not a cursor from this list; pass the `next` value exactly as returned")
    })
}

/// The vendor's explanation from an error body: Data Center's `{"errors":[{"message"}]}`
/// (with merge vetoes), Cloud's `{"type":"error","error":{"message","detail"}}`.
#[must_use]
pub fn upstream_message(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    if let Some(errors) = v["errors"].as_array() {
        let mut parts = Vec::new();
        for e in errors {
            if let Some(m) = e["message"].as_str() {
                parts.push(m.to_owned());
            }
            for veto in e["vetoes"].as_array().into_iter().flatten() {
                let summary = veto["summaryMessage"].as_str().unwrap_or_default();
                let detail = veto["detailedMessage"].as_str().unwrap_or_default();
                parts.push(format!("{summary} ({detail})"));
            }
        }
        return Some(parts.join("; ")).filter(|s| !s.is_empty());
    }
    let error = &v["error"];
    let message = error["message"].as_str()?;
    match error["detail"].as_str() {
        Some(detail) if !detail.is_empty() => Some(format!("{message}: {detail}")),
        _ => Some(message.to_owned()),
    }
}

/// Map a non-success answer to an error the model can act on.
fn map_error(response: &Response, subject: &str, conflict_hint: &str) -> Error {
    let message = upstream_message(&response.body);
    match response.status {
        409 => {
            let text = message.unwrap_or_else(|| "conflict".to_owned());
            let hint = if conflict_hint.is_empty() {
                "the pull request or repository changed meanwhile; read it again and retry"
            } else {
                conflict_hint
            };
            Error::rejected(TRACKER, 409, &format!("{subject}: {text}. {hint}"))
        }
        400 | 422 => {
            let text = message.unwrap_or_else(|| "the request was invalid".to_owned());
            Error::rejected(TRACKER, response.status, &format!("{subject}: {text}"))
        }
        _ => response.status_error(TRACKER, subject, message.as_deref()),
    }
}

/// Text of a JSON string at `pointer`, or "".
#[must_use]
pub fn s(v: &Value, pointer: &str) -> String {
    match v.pointer(pointer) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

/// The first non-empty of several pointers.
#[must_use]
pub fn first(v: &Value, pointers: &[&str]) -> String {
    pointers.iter().map(|p| s(v, p)).find(|x| !x.is_empty()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn spec(name: &str) -> Value {
        let path = format!("{}/tests/specs/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).expect("spec file")).expect("spec JSON")
    }

    /// Every request the client can send (method, path template, query parameters) exists
    /// in the vendor's OpenAPI description.
    fn check_inventory(spec: &Value, endpoints: &[Endpoint], global_query: &[&str]) {
        let mut seen = BTreeSet::new();
        for ep in endpoints {
            assert!(seen.insert((ep.method, ep.path)), "{} {} listed twice", ep.method, ep.path);
            let item = &spec["paths"][ep.path];
            assert!(item.is_object(), "{} is not a path of the spec", ep.path);
            let op = &item[ep.method.to_ascii_lowercase()];
            assert!(op.is_object(), "{} {} is not an operation of the spec", ep.method, ep.path);
            let mut params: BTreeSet<String> = BTreeSet::new();
            for list in [&item["parameters"], &op["parameters"]] {
                for p in list.as_array().into_iter().flatten() {
                    let p = match p["$ref"].as_str() {
                        Some(r) => spec.pointer(r.trim_start_matches('#')).cloned().unwrap_or_default(),
                        None => p.clone(),
                    };
                    if p["in"] == "query" {
                        params.insert(p["name"].as_str().unwrap_or_default().to_owned());
                    }
                }
            }
            let description = op["description"].as_str().unwrap_or_default();
            for q in ep.query {
                // A parameter the operation's own description documents (`?path=...`) counts.
                let documented =
                    description.contains(&format!("?{q}=")) || description.contains(&format!("&{q}="));
                assert!(
                    params.contains(*q) || global_query.contains(q) || documented,
                    "{} {}: query parameter {q} is not in the spec (has {params:?})",
                    ep.method,
                    ep.path
                );
            }
        }
    }

    /// The inventory lists every `Endpoint::new` of its file.
    fn count_defined(source: &str) -> usize {
        source.matches("Endpoint::new(").count()
    }

    #[test]
    fn cloud_endpoints_exist_in_the_cloud_spec() {
        // Cloud documents paging (`page`, `pagelen`) and filtering/sorting (`q`, `sort`) for
        // every paginated list, whether or not the operation lists them.
        check_inventory(
            &spec("bitbucket-cloud.openapi.json"),
            cloud::ENDPOINTS,
            &["page", "pagelen", "q", "sort"],
        );
        assert_eq!(
            count_defined(include_str!("cloud.rs")),
            cloud::ENDPOINTS.len(),
            "cloud::ENDPOINTS is incomplete"
        );
    }

    #[test]
    fn datacenter_endpoints_exist_in_the_datacenter_spec() {
        check_inventory(&spec("bitbucket-datacenter.openapi.json"), datacenter::ENDPOINTS, &[]);
        assert_eq!(
            count_defined(include_str!("datacenter.rs")),
            datacenter::ENDPOINTS.len(),
            "datacenter::ENDPOINTS is incomplete"
        );
    }

    #[test]
    fn the_inventory_check_catches_a_typo() {
        let bad = [Endpoint::new("GET", "/repositories/{workspace}/{repo_slug}/pullrequest", &[])];
        let result = std::panic::catch_unwind(|| {
            check_inventory(&spec("bitbucket-cloud.openapi.json"), &bad, &[]);
        });
        assert!(result.is_err());
        let bad = [Endpoint::new("GET", "/repositories/{workspace}/{repo_slug}/pullrequests", &["stat"])];
        let result = std::panic::catch_unwind(|| {
            check_inventory(&spec("bitbucket-cloud.openapi.json"), &bad, &[]);
        });
        assert!(result.is_err());
    }

    #[test]
    #[should_panic(expected = "not in the inventory")]
    fn a_query_parameter_outside_the_inventory_is_refused() {
        let _ = cloud::PRS.call(Flavor::Cloud, &["ws", "repo"]).query("stat", "OPEN");
    }

    #[test]
    fn paths_are_built_from_templates() {
        let call = datacenter::PR_DIFF.call(Flavor::DataCenter, &["PRJ", "my repo", "7"]);
        let client = HttpClient::new(
            TRACKER,
            Url::parse("https://git.example.com/bb").expect("url"),
            Auth::None,
            &HttpSettings::default(),
        )
        .expect("client");
        let url = client.url_for(&call.request).expect("url");
        assert_eq!(url.path(), "/bb/rest/api/1.0/projects/PRJ/repos/my%20repo/pull-requests/7.diff");
        let call = cloud::PR.call(Flavor::Cloud, &["ws", "repo", "3"]);
        assert_eq!(
            client.url_for(&call.request).expect("url").path(),
            "/bb/2.0/repositories/ws/repo/pullrequests/3"
        );
    }

    #[test]
    fn cursors_are_validated() {
        let expected =
            Url::parse("https://api.bitbucket.org/2.0/repositories/w/r/pullrequests?pagelen=5").expect("url");
        let (url, offset) = parse_cloud_cursor(
            "https://api.bitbucket.org/2.0/repositories/w/r/pullrequests?pagelen=5&page=2#o=5",
            &expected,
        )
        .expect("valid");
        assert_eq!(offset, 5);
        assert!(url.fragment().is_none());
        for bad in [
            "https://evil.test/2.0/repositories/w/r/pullrequests?page=2",
            "https://api.bitbucket.org/2.0/repositories/w/r/issues?page=2",
            "2",
            "",
        ] {
            assert!(parse_cloud_cursor(bad, &expected).is_err(), "{bad}");
        }
        assert_eq!(parse_dc_cursor("25").expect("dc"), 25);
        for bad in ["-1", "x", "1e9", "", "+5"] {
            assert!(parse_dc_cursor(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn error_bodies_of_both_flavours_are_read() {
        let dc = br#"{"errors":[{"message":"The pull request has conflicts","vetoes":[{"summaryMessage":"Needs 2 approvals","detailedMessage":"1 of 2"}]}]}"#;
        assert_eq!(
            upstream_message(dc).as_deref(),
            Some("The pull request has conflicts; Needs 2 approvals (1 of 2)")
        );
        let cloud = br#"{"type":"error","error":{"message":"Bad request","detail":"title required"}}"#;
        assert_eq!(upstream_message(cloud).as_deref(), Some("Bad request: title required"));
        assert_eq!(upstream_message(b"<html>"), None);
    }
}
