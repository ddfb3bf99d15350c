//! The Bitbucket client: requests built from the [`super::endpoints`] inventories, sent,
//! paged (Cloud's `next` links, Data Center's `start`), and their errors mapped; writes
//! described (dry run) or sent. It knows the flavour only where the wire differs (paths,
//! paging); the operations live in [`super::cloud`] and [`super::datacenter`].

use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use super::endpoints::{Call, Endpoint};
use super::models::{FileContent, Page, PageArgs, Write};
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

    /// The configured base URL.
    #[must_use]
    pub fn base(&self) -> &Url {
        self.http.base()
    }

    #[must_use]
    pub fn flavor(&self) -> Flavor {
        self.flavor
    }

    /// The request for `endpoint` in this client's flavour.
    #[must_use]
    pub fn call(&self, endpoint: &Endpoint, args: &[&str]) -> Call {
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

    /// Send and decode the JSON answer as the wire model `T`.
    pub async fn get<T: DeserializeOwned>(&self, call: Call, subject: &str) -> Result<T> {
        self.send(call.request, subject).await?.json(TRACKER)
    }

    /// Send and decode the JSON answer as `T` byte for byte, without the cleaning every other
    /// answer gets: only for values a write sends back unchanged (a full-replace update must
    /// not rewrite a description it did not touch). Never render what this returns.
    pub async fn get_verbatim<T: DeserializeOwned>(&self, call: Call, subject: &str) -> Result<T> {
        let response = self.send(call.request, subject).await?;
        let value: Value = serde_json::from_slice(&response.body)
            .map_err(|_| Error::bad_response(TRACKER, "the answer is not JSON"))?;
        crate::http::decode(TRACKER, value)
    }

    /// One page of a paged list of wire models `T`. `first` is the first page's request
    /// (without paging parameters); `cursor` comes from a previous page.
    pub async fn page<T: DeserializeOwned>(
        &self,
        first: Call,
        args: &PageArgs,
        subject: &str,
    ) -> Result<Page<T>> {
        match self.flavor {
            Flavor::Cloud => self.cloud_page(first, args, subject).await,
            Flavor::DataCenter => self.dc_page(first, args, subject).await,
        }
    }

    async fn cloud_page<T: DeserializeOwned>(
        &self,
        first: Call,
        args: &PageArgs,
        subject: &str,
    ) -> Result<Page<T>> {
        let list = self.http.url_for(&first.request)?;
        let (request, offset) = match &args.cursor {
            None => (first.query("pagelen", args.limit).request, 0),
            Some(cursor) => {
                let (page, offset) = parse_cloud_cursor(cursor, &list)?;
                // The tool's own request again, with only the cursor's `page`: a cursor cannot
                // bring its own `q`, `fields` or `pagelen`.
                (first.query("pagelen", args.limit).query("page", page).request, offset)
            }
        };
        let response = self.send(request, subject).await?;
        // An empty 200 (as the spec declares for some lists) is an empty page.
        let body = if response.body.is_empty() {
            cloud::wire::Page { values: Vec::new(), next: None, size: None }
        } else {
            response.json::<cloud::wire::Page<T>>(TRACKER)?
        };
        let items = body.values;
        let total = body.size;
        let mut note = None;
        let next = body.next.as_deref().and_then(|n| Url::parse(n).ok()).and_then(|mut url| {
            // Only a link to the next page of this same list is offered (and ever followed).
            if url.origin() != list.origin() || url.path() != list.path() {
                note = Some("Bitbucket's next-page link points elsewhere; it is not offered".to_owned());
                return None;
            }
            url.set_fragment(Some(&format!("o={}", offset + items.len() as u64)));
            Some(url.to_string())
        });
        Ok(Page { items, offset, total, next, note })
    }

    async fn dc_page<T: DeserializeOwned>(
        &self,
        first: Call,
        args: &PageArgs,
        subject: &str,
    ) -> Result<Page<T>> {
        let start = match &args.cursor {
            None => 0,
            Some(cursor) => parse_dc_cursor(cursor)?,
        };
        let call = first.query("start", start).query("limit", args.limit);
        let body: datacenter::wire::Page<T> = self.get(call, subject).await?;
        let last = body.is_last_page;
        let next = body.next_page_start.filter(|n| !last && *n > 0).map(|n| n.to_string());
        Ok(Page { items: body.values, offset: start, total: None, next, note: None })
    }

    /// Describe a write without sending it.
    fn dry_run(&self, write: &Write) -> Result<String> {
        let target = self.http.path_and_query(&write.call.request)?;
        // A body may carry text read back verbatim from Bitbucket (an update's description):
        // shown cleaned like every upstream string, sent as it is.
        let body = write.call.body.as_ref().map_or_else(
            || "no body".to_owned(),
            |b| {
                let mut shown = b.clone();
                crate::render::clean_tree(&mut shown);
                format!("body {}", serde_json::to_string(&shown).unwrap_or_default())
            },
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
            return self.dry_run(&write);
        }
        let answer = self.perform(write).await?;
        done(self, answer)
    }
}

pub fn classify_file(response: &Response) -> Result<FileContent> {
    let is_json = response.content_type().is_some_and(|c| c.contains("json"));
    // Cloud answers a directory with a JSON listing; a JSON file of another shape is a file.
    if is_json && let Ok(listing) = response.json::<cloud::wire::Page<cloud::wire::TreeEntry>>(TRACKER) {
        let entries = listing
            .values
            .into_iter()
            .map(|e| if e.kind == "commit_directory" { format!("{}/", e.path) } else { e.path })
            .collect();
        return Ok(FileContent::Directory(Page {
            items: entries,
            offset: 0,
            total: listing.size,
            next: None,
            note: None,
        }));
    }
    let bytes = response.body.len();
    Ok(crate::content::as_text(&response.body).map_or(FileContent::Binary { bytes }, FileContent::Text))
}

/// A Cloud cursor is the `next` link Bitbucket returned, with `#o=<offset>` appended. It must
/// stay on the configured origin and on the same list the tool asks for; only its `page`
/// value is used, returned with the offset.
fn parse_cloud_cursor(cursor: &str, list: &Url) -> Result<(String, u64)> {
    let bad =
        || Error::invalid("cursor", "not a cursor from this list; pass the `next` value exactly as returned");
    if cursor.len() > 2000 {
        return Err(bad());
    }
    let url = Url::parse(cursor).map_err(|_| bad())?;
    if url.origin() != list.origin() || url.path() != list.path() {
        return Err(bad());
    }
    let mut pages = url.query_pairs().filter(|(k, _)| k == "page").map(|(_, v)| v.into_owned());
    let page = match (pages.next(), pages.next()) {
        (Some(page), None)
            if !page.is_empty() && page.len() <= 500 && !page.chars().any(char::is_control) =>
        {
            page
        }
        _ => return Err(bad()),
    };
    let offset =
        url.fragment().and_then(|f| f.strip_prefix("o=")).and_then(|o| o.parse::<u64>().ok()).unwrap_or(0);
    Ok((page, offset))
}

/// A change to one item (`kind`: a comment or a task) of pull request `id` through `endpoint`
/// (both flavours' paths take workspace, repository, pull request and the item's id).
#[must_use]
pub fn pull_request_item_write(
    api: &BitbucketApi,
    repo: super::models::Repo<'_>,
    id: u64,
    (kind, item): (&str, u64),
    endpoint: &Endpoint,
    what: &str,
    conflict_hint: &'static str,
) -> Write {
    let (id_text, item_text) = (id.to_string(), item.to_string());
    Write {
        call: api.call(endpoint, &[repo.workspace, repo.slug, &id_text, &item_text]),
        subject: format!("{kind} {item} of pull request {id} ({what})"),
        conflict_hint,
    }
}

/// The id of what a write created, from its answer: `None` when the answer is empty (the
/// Cloud spec declares some creations without a body).
pub fn created_id(answer: Value) -> Result<Option<i64>> {
    #[derive(serde::Deserialize)]
    struct Created {
        id: i64,
    }
    if answer.is_null() {
        return Ok(None);
    }
    crate::http::decode::<Created>(TRACKER, answer).map(|c| Some(c.id))
}

/// "Added comment #7 to pull request #3.", from a creation's answer (`kind` added `to`);
/// without an id when the answer is empty.
pub fn added(kind: &str, to: &str, answer: Value) -> Result<String> {
    Ok(match created_id(answer)? {
        Some(id) => format!("Added {kind} #{id} to {to}."),
        None => format!("Added a {kind} to {to}."),
    })
}

/// A JSON answer; an empty 2xx body (writes, some spec-declared lists) is `null`.
fn json_or_null(response: &Response) -> Result<Value> {
    if response.body.is_empty() { Ok(Value::Null) } else { response.json(TRACKER) }
}

pub fn parse_dc_cursor(cursor: &str) -> Result<u64> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_are_validated() {
        let list = Url::parse("https://api.bitbucket.org/2.0/repositories/w/r/pullrequests?state=OPEN")
            .expect("url");
        let (page, offset) = parse_cloud_cursor(
            "https://api.bitbucket.org/2.0/repositories/w/r/pullrequests?pagelen=5&page=2#o=5",
            &list,
        )
        .expect("valid");
        assert_eq!((page.as_str(), offset), ("2", 5));
        // Security review finding 7: the model's own query parameters are not carried.
        let (page, _) = parse_cloud_cursor(
            "https://api.bitbucket.org/2.0/repositories/w/r/pullrequests?pagelen=100000&q=author%3D%22ceo%22&fields=%2Bvalues.*.*&page=3",
            &list,
        )
        .expect("only page is kept");
        assert_eq!(page, "3");
        for bad in [
            "https://evil.test/2.0/repositories/w/r/pullrequests?page=2",
            "https://api.bitbucket.org/2.0/repositories/w/r/issues?page=2",
            "https://api.bitbucket.org/2.0/repositories/w/r/pullrequests?pagelen=5",
            "https://api.bitbucket.org/2.0/repositories/w/r/pullrequests?page=2&page=3",
            "2",
            "",
        ] {
            assert!(parse_cloud_cursor(bad, &list).is_err(), "{bad}");
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
