//! What each Redmine tool does: validate the arguments, resolve names, call the API, render.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde_json::{Map, Value, json};

use super::api::{Enum, Named, RedmineApi, Subject, TRACKER, str_of};
use super::render::{self, DetailNames, IssueView};
use super::{
    AddNoteParams, AddRelationParams, AttachmentParams, CreateIssueParams, GetIssueParams, IssueFields,
    LogTimeParams, NameOrId, PageParams, ProjectPageParams, ProjectParams, SearchIssuesParams, SearchParams,
    TimeEntriesParams, UpdateIssueParams, UpdateWikiParams, WikiPageParams,
};
use crate::error::{Error, Result};
use crate::http::Request;
use crate::params;

/// History entries shown per `redmine_get_issue` call.
const JOURNALS_PER_PAGE: usize = 25;
/// Largest attachment whose text is fetched.
const ATTACHMENT_TEXT_MAX: u64 = 200_000;
/// Longest subject, wiki title and comment Redmine stores.
const SUBJECT_MAX: usize = 255;
const TEXT_MAX: usize = 500_000;

// ---------------------------------------------------------------------------------------------
// Argument helpers

/// A project identifier or numeric id, usable as a path segment.
fn project_arg(value: &NameOrId) -> Result<String> {
    let v = value.as_str();
    params::segment("project", v, 100, false)?;
    if !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(Error::invalid(
            "project",
            "must be a project identifier (letters, digits, `-`, `_`, e.g. `alpha`) or a numeric id; \
             redmine_list_projects shows both",
        ));
    }
    Ok(v.to_owned())
}

fn opt_project(value: Option<&NameOrId>) -> Result<Option<String>> {
    value.map(project_arg).transpose()
}

/// A `YYYY-MM-DD` date.
fn date_arg<'a>(arg: &str, value: &'a str) -> Result<&'a str> {
    let v = value.trim();
    let b = v.as_bytes();
    let ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && (1..=12).contains(&v[5..7].parse::<u32>().unwrap_or(0))
        && (1..=31).contains(&v[8..10].parse::<u32>().unwrap_or(0));
    if ok {
        Ok(v)
    } else {
        Err(Error::invalid(arg, "must be a date in the form YYYY-MM-DD, e.g. 2025-01-31"))
    }
}

fn opt_offset(arg: &str, value: Option<i64>) -> Result<usize> {
    params::offset(arg, value).map(|v| usize::try_from(v).unwrap_or(usize::MAX))
}

/// The offset a list cursor stands for, as an index.
fn page_start(cursor: Option<&params::Cursor>) -> Result<usize> {
    params::cursor(cursor).map(|v| usize::try_from(v).unwrap_or(usize::MAX))
}

fn id_str(arg: &str, value: i64) -> Result<String> {
    params::positive_id(arg, value).map(|v| v.to_string())
}

/// What a dry run shows: the request exactly as it would be sent.
fn dry_run(api: &RedmineApi, request: &Request, body: &Value) -> Result<String> {
    Ok(format!(
        "Dry run: nothing was sent. The request would be:\n{} {}\nContent-Type: application/json\n{}",
        request.method(),
        api.path_of(request)?,
        body
    ))
}

// ---------------------------------------------------------------------------------------------
// Projects

pub async fn list_projects(api: &RedmineApi, p: PageParams) -> Result<String> {
    let limit = params::limit(p.page.limit)?;
    let offset = params::cursor(p.page.cursor.as_ref())?;
    let value = api
        .get(
            Request::get(["projects.json"]).query("limit", limit).query("offset", offset),
            "the project list",
        )
        .await?;
    Ok(render::projects(&value, offset, limit))
}

pub async fn get_project(api: &RedmineApi, p: ProjectParams) -> Result<String> {
    let project = project_arg(&p.project)?;
    let value = api
        .get(
            Request::get(["projects", &format!("{project}.json")])
                .query("include", "trackers,issue_categories,enabled_modules,time_entry_activities"),
            &format!("project `{project}`"),
        )
        .await?;
    let members = api
        .get(
            Request::get(["projects", &project, "memberships.json"]).query("limit", 100),
            &format!("the members of project `{project}`"),
        )
        .await
        .ok();
    if let Some(m) = &members {
        api.remember_users(m);
    }
    Ok(render::project(&value, members.as_ref()))
}

// ---------------------------------------------------------------------------------------------
// Issues

const SORT_COLUMNS: &[&str] = &[
    "id",
    "project",
    "tracker",
    "parent",
    "status",
    "priority",
    "subject",
    "author",
    "assigned_to",
    "updated_on",
    "category",
    "fixed_version",
    "start_date",
    "due_date",
    "estimated_hours",
    "done_ratio",
    "created_on",
    "closed_on",
    "spent_hours",
];

fn sort_arg(value: &str) -> Result<String> {
    let mut parts = Vec::new();
    for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (column, dir) = part.split_once(':').unwrap_or((part, ""));
        if !SORT_COLUMNS.contains(&column) || !["", "asc", "desc"].contains(&dir) {
            return Err(Error::invalid(
                "sort",
                format!("use column[:asc|desc] separated by commas; columns: {}", SORT_COLUMNS.join(", ")),
            ));
        }
        parts.push(part.to_owned());
    }
    if parts.is_empty() || parts.len() > 3 {
        return Err(Error::invalid("sort", "give one to three columns, e.g. `updated_on:desc`"));
    }
    Ok(parts.join(","))
}

/// `FROM..TO` (either side may be empty, or one date for that day) as Redmine's filter
/// syntax: `><a|b`, `>=a`, `<=b`.
fn date_range(arg: &str, value: &str) -> Result<String> {
    let value = value.trim();
    let (from, to) = value.split_once("..").unwrap_or((value, value));
    let (from, to) = (from.trim(), to.trim());
    let from = (!from.is_empty()).then(|| date_arg(arg, from)).transpose()?;
    let to = (!to.is_empty()).then(|| date_arg(arg, to)).transpose()?;
    Ok(match (from, to) {
        (Some(a), Some(b)) if a > b => {
            return Err(Error::invalid(arg, format!("{a} is after {b}; use FROM..TO")));
        }
        (Some(a), Some(b)) => format!("><{a}|{b}"),
        (Some(a), None) => format!(">={a}"),
        (None, Some(b)) => format!("<={b}"),
        (None, None) => {
            return Err(Error::invalid(arg, "use FROM..TO, e.g. 2025-01-01..2025-01-31 or 2025-01-01.."));
        }
    })
}

pub async fn search_issues(api: &RedmineApi, p: SearchIssuesParams) -> Result<String> {
    let limit = params::limit(p.page.limit)?;
    let offset = params::cursor(p.page.cursor.as_ref())?;
    let project = opt_project(p.project.as_ref())?;
    let mut request = Request::get(["issues.json"]).query("limit", limit).query("offset", offset);
    let mut scope = Vec::new();
    if let Some(project) = &project {
        request = request.query("project_id", project);
        scope.push(format!("project {project}"));
    }
    let status = match p.status.as_ref().map(NameOrId::as_str) {
        None | Some("open" | "o") => ("o".to_owned(), "open".to_owned()),
        Some("closed" | "c") => ("c".to_owned(), "closed".to_owned()),
        Some("*" | "all" | "any") => ("*".to_owned(), "any".to_owned()),
        Some(name) => {
            let id = api.resolve(Enum::Status, "status", name).await?;
            (id.to_string(), api.enum_name(Enum::Status, &id.to_string()).await)
        }
    };
    request = request.query("status_id", &status.0);
    scope.push(format!("status {}", status.1));
    for (value, which, arg, key) in [
        (&p.tracker, Enum::Tracker, "tracker", "tracker_id"),
        (&p.priority, Enum::Priority, "priority", "priority_id"),
    ] {
        if let Some(v) = value {
            let id = api.resolve(which, arg, v.as_str()).await?;
            request = request.query(key, id);
            scope.push(format!("{arg} {}", api.enum_name(which, &id.to_string()).await));
        }
    }
    for (value, arg, key) in [(&p.assignee, "assignee", "assigned_to_id"), (&p.author, "author", "author_id")]
    {
        if let Some(v) = value {
            let id = if arg == "assignee" && v.as_str().eq_ignore_ascii_case("none") {
                "!*".to_owned()
            } else {
                api.resolve_user(arg, v.as_str(), project.as_deref()).await?
            };
            scope.push(format!(
                "{arg} {}",
                if id == "!*" { "none".to_owned() } else { v.as_str().to_owned() }
            ));
            request = request.query(key, id);
        }
    }
    if let Some(v) = &p.version {
        let id = api.resolve_version("version", v.as_str(), project.as_deref()).await?;
        request = request.query("fixed_version_id", id);
        scope.push(format!("version {}", v.as_str()));
    }
    if let Some(parent) = p.parent {
        let id = id_str("parent", parent)?;
        scope.push(format!("parent #{id}"));
        request = request.query("parent_id", id);
    }
    if let Some(subject) = &p.subject {
        let s = params::text("subject", subject, 255)?;
        request = request.query("subject", format!("~{}", s.trim()));
        scope.push(format!("subject contains {:?}", crate::render::one_line(s)));
    }
    for (value, arg, key) in [(&p.created, "created", "created_on"), (&p.updated, "updated", "updated_on")] {
        if let Some(v) = value {
            let range = date_range(arg, v)?;
            scope.push(format!("{arg} {}", v.trim()));
            request = request.query(key, range);
        }
    }
    if let Some(sort) = &p.sort {
        let sort = sort_arg(sort)?;
        scope.push(format!("sorted by {sort}"));
        request = request.query("sort", sort);
    }
    let subject = project.as_ref().map_or_else(|| "the issue list".to_owned(), |p| format!("project `{p}`"));
    let value = api.get(request, &subject).await?;
    let mut header = format!("Issues ({})", scope.join(", "));
    if p.status.is_none() {
        header.push_str(" — open only by default; status=\"*\" includes closed");
    }
    Ok(render::issue_list(&value, offset, limit, &header))
}

pub async fn get_issue(api: &RedmineApi, p: GetIssueParams) -> Result<String> {
    let id = id_str("id", p.id)?;
    let text_offset = opt_offset("text_offset", p.text_offset)?;
    let journal_offset = opt_offset("journal_offset", p.journal_offset)?;
    let journal_id = p.journal_id.map(|j| params::positive_id("journal_id", j)).transpose()?;
    let value =
        fetch_issue(api, &id, "journals,attachments,relations,children,watchers,allowed_statuses").await?;
    let names = detail_names(api, &value).await;
    if let Some(j) = journal_id {
        return render::one_journal(&value, j, text_offset, &names).ok_or_else(|| {
            Error::NotFound(format!(
                "issue {id} has no journal {j} visible to this API key (private notes are hidden from \
                 users without the permission); redmine_get_issue id={id} lists its journals"
            ))
        });
    }
    Ok(render::issue(
        &value,
        &names,
        &IssueView { text_offset, journal_offset, journal_limit: JOURNALS_PER_PAGE },
    ))
}

async fn fetch_issue(api: &RedmineApi, id: &str, include: &str) -> Result<Value> {
    let mut request = Request::get(["issues", &format!("{id}.json")]);
    if !include.is_empty() {
        request = request.query("include", include);
    }
    let value = api.get(request, &format!("issue {id}")).await?;
    api.remember_users(&value);
    Ok(value)
}

/// Names for the ids in an issue's journal details (statuses, users, versions, ...), fetched
/// only for the kinds that occur.
async fn detail_names(api: &RedmineApi, value: &Value) -> DetailNames {
    let issue = &value["issue"];
    let mut wanted: BTreeSet<(String, String)> = BTreeSet::new();
    for j in issue["journals"].as_array().into_iter().flatten() {
        for d in j["details"].as_array().into_iter().flatten() {
            if str_of(d, "property") != "attr" {
                continue;
            }
            for key in ["old_value", "new_value"] {
                if let Some(v) = d[key].as_str().filter(|v| !v.is_empty()) {
                    wanted.insert((str_of(d, "name").to_owned(), v.to_owned()));
                }
            }
        }
    }
    let project = issue["project"]["id"].to_string();
    let mut names = DetailNames::new();
    let mut versions: Option<Vec<(String, String)>> = None;
    let mut categories: Option<Vec<(String, String)>> = None;
    let mut members_learned = false;
    for (field, id) in wanted {
        let name = match field.as_str() {
            "status_id" => api.enum_name(Enum::Status, &id).await,
            "tracker_id" => api.enum_name(Enum::Tracker, &id).await,
            "priority_id" => api.enum_name(Enum::Priority, &id).await,
            "assigned_to_id" | "author_id" => {
                let mut n = api.user_name(&id);
                if n.starts_with("user #") && !members_learned {
                    api.learn_members(&project).await;
                    members_learned = true;
                    n = api.user_name(&id);
                }
                n
            }
            "fixed_version_id" => {
                if versions.is_none() {
                    versions = Some(
                        id_names(api, Request::get(["projects", &project, "versions.json"]), "versions")
                            .await,
                    );
                }
                lookup(versions.as_deref(), &id, "version")
            }
            "category_id" => {
                if categories.is_none() {
                    categories = Some(
                        id_names(
                            api,
                            Request::get(["projects", &project, "issue_categories.json"]),
                            "issue_categories",
                        )
                        .await,
                    );
                }
                lookup(categories.as_deref(), &id, "category")
            }
            "project_id" => {
                match api.get(Request::get(["projects", &format!("{id}.json")]), "a project").await {
                    Ok(p) => str_of(&p["project"], "name").to_owned(),
                    Err(_) => format!("project #{id}"),
                }
            }
            _ => continue,
        };
        names.insert(format!("{field}:{id}"), name);
    }
    names
}

async fn id_names(api: &RedmineApi, request: Request, key: &str) -> Vec<(String, String)> {
    api.get(request, key)
        .await
        .ok()
        .and_then(|v| v[key].as_array().cloned())
        .unwrap_or_default()
        .iter()
        .map(|e| (e["id"].to_string(), str_of(e, "name").to_owned()))
        .collect()
}

fn lookup(list: Option<&[(String, String)]>, id: &str, what: &str) -> String {
    list.and_then(|l| l.iter().find(|(i, _)| i == id).map(|(_, n)| n.clone()))
        .unwrap_or_else(|| format!("{what} #{id}"))
}

// ---------------------------------------------------------------------------------------------
// Search, enumerations, versions, time, wiki, attachments

const SEARCH_TYPES: &[&str] =
    &["issues", "wiki_pages", "news", "documents", "changesets", "messages", "projects"];

pub async fn search(api: &RedmineApi, p: SearchParams) -> Result<String> {
    let query = params::text("query", &p.query, 255)?;
    let limit = params::limit(p.page.limit)?;
    let offset = params::cursor(p.page.cursor.as_ref())?;
    let project = opt_project(p.project.as_ref())?;
    let mut request = match &project {
        Some(project) => Request::get(["projects", project, "search.json"]),
        None => Request::get(["search.json"]),
    }
    .query("q", query.trim())
    .query("limit", limit)
    .query("offset", offset);
    if let Some(types) = &p.types {
        for t in types.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            if !SEARCH_TYPES.contains(&t) {
                return Err(Error::invalid(
                    "types",
                    format!("unknown kind {t:?}; use {}", SEARCH_TYPES.join(", ")),
                ));
            }
            request = request.query(t, 1);
        }
    }
    if p.titles_only {
        request = request.query("titles_only", 1);
    }
    if p.open_issues {
        request = request.query("open_issues", 1);
    }
    let subject = project.as_ref().map_or_else(|| "search".to_owned(), |p| format!("project `{p}`"));
    let value = api.get(request, &subject).await?;
    Ok(render::search(&value, offset, limit))
}

pub async fn list_enumerations(api: &RedmineApi, p: PageParams) -> Result<String> {
    let limit = params::limit(p.page.limit)? as usize;
    let offset = page_start(p.page.cursor.as_ref())?;
    let mut out = String::new();
    let line = |list: &[Named], mark: &dyn Fn(&Named) -> &'static str| -> String {
        list.iter().map(|e| format!("{} {}{}", e.id, e.name, mark(e))).collect::<Vec<_>>().join(", ")
    };
    let statuses = api.enumeration(Enum::Status).await?;
    let _ = writeln!(out, "Statuses: {}", line(statuses, &|e| if e.is_closed { " (closed)" } else { "" }));
    let trackers = api.enumeration(Enum::Tracker).await?;
    let _ = writeln!(out, "Trackers: {}", line(trackers, &|_| ""));
    let priorities = api.enumeration(Enum::Priority).await?;
    let _ =
        writeln!(out, "Priorities: {}", line(priorities, &|e| if e.is_default { " (default)" } else { "" }));
    let activities = api.enumeration(Enum::Activity).await?;
    let _ = writeln!(
        out,
        "Time-entry activities: {}",
        line(activities, &|e| match (e.is_default, e.active) {
            (_, Some(false)) => " (inactive)",
            (true, _) => " (default)",
            _ => "",
        })
    );
    match api.custom_fields().await {
        Ok(fields) => {
            let shown: Vec<String> = fields
                .iter()
                .skip(offset)
                .take(limit)
                .map(|f| {
                    let values = f
                        .possible_values
                        .as_ref()
                        .filter(|v| !v.is_empty())
                        .map(|v| {
                            format!(
                                ": {}",
                                v.iter().map(|x| str_of(x, "value")).collect::<Vec<_>>().join("/")
                            )
                        })
                        .unwrap_or_default();
                    format!(
                        "{} {} ({} {}{values})",
                        f.id,
                        f.name,
                        f.customized_type.as_deref().unwrap_or("?"),
                        f.field_format.as_deref().unwrap_or("?")
                    )
                })
                .collect();
            let _ = write!(
                out,
                "Custom fields: {}\nCustom fields: {}",
                match (shown.is_empty(), fields.is_empty()) {
                    (false, _) => shown.join("; "),
                    (true, true) => "none".to_owned(),
                    (true, false) => "none on this page".to_owned(),
                },
                render::slice_footer(offset as u64, shown.len(), fields.len())
            );
        }
        Err(Error::Forbidden(_)) => out.push_str(
            "Custom fields: definitions are visible to administrators only; redmine_get_issue shows an \
             issue's custom fields as `Name (#id)`",
        ),
        Err(e) => return Err(e),
    }
    Ok(out)
}

pub async fn list_versions(api: &RedmineApi, p: ProjectPageParams) -> Result<String> {
    let project = project_arg(&p.project)?;
    let limit = params::limit(p.page.limit)? as usize;
    let offset = page_start(p.page.cursor.as_ref())?;
    let value = api
        .get(Request::get(["projects", &project, "versions.json"]), &format!("project `{project}`"))
        .await?;
    Ok(render::versions(&value, offset, limit))
}

pub async fn list_time_entries(api: &RedmineApi, p: TimeEntriesParams) -> Result<String> {
    let limit = params::limit(p.page.limit)?;
    let offset = params::cursor(p.page.cursor.as_ref())?;
    let project = opt_project(p.project.as_ref())?;
    let mut request = Request::get(["time_entries.json"]).query("limit", limit).query("offset", offset);
    if let Some(project) = &project {
        request = request.query("project_id", project);
    }
    if let Some(issue) = p.issue {
        request = request.query("issue_id", id_str("issue", issue)?);
    }
    if let Some(user) = &p.user {
        request =
            request.query("user_id", api.resolve_user("user", user.as_str(), project.as_deref()).await?);
    }
    let from = p.from.as_deref().map(|d| date_arg("from", d)).transpose()?;
    let to = p.to.as_deref().map(|d| date_arg("to", d)).transpose()?;
    request = request.query_opt("from", from).query_opt("to", to);
    let subject = match (&project, p.issue) {
        (_, Some(i)) => format!("issue {i}"),
        (Some(project), None) => format!("project `{project}`"),
        (None, None) => "the time entries".to_owned(),
    };
    let value = api.get(request, &subject).await?;
    api.remember_users(&value);
    Ok(render::time_entries(&value, offset, limit))
}

fn title_arg(value: &str) -> Result<&str> {
    params::segment("title", value.trim(), SUBJECT_MAX, false)
}

pub async fn get_wiki_page(api: &RedmineApi, p: WikiPageParams) -> Result<String> {
    let project = project_arg(&p.project)?;
    let title = title_arg(&p.title)?;
    let offset = opt_offset("text_offset", p.text_offset)?;
    let request = match p.version {
        Some(v) => {
            let v = id_str("version", v)?;
            Request::get(["projects", &project, "wiki", title, &format!("{v}.json")])
        }
        None => Request::get(["projects", &project, "wiki", &format!("{title}.json")]),
    }
    .query("include", "attachments");
    let value = api.get(request, &format!("wiki page {title} of project `{project}`")).await?;
    Ok(render::wiki_page(&value, &project, offset))
}

pub async fn list_wiki_pages(api: &RedmineApi, p: ProjectPageParams) -> Result<String> {
    let project = project_arg(&p.project)?;
    let limit = params::limit(p.page.limit)? as usize;
    let offset = page_start(p.page.cursor.as_ref())?;
    let value = api
        .get(
            Request::get(["projects", &project, "wiki", "index.json"]),
            &format!("the wiki of project `{project}`"),
        )
        .await?;
    Ok(render::wiki_index(&value, &project, offset, limit))
}

const TEXT_EXTENSIONS: &[&str] = &[
    "txt",
    "log",
    "md",
    "markdown",
    "textile",
    "rst",
    "csv",
    "tsv",
    "json",
    "xml",
    "yml",
    "yaml",
    "toml",
    "ini",
    "cfg",
    "conf",
    "patch",
    "diff",
    "sql",
    "sh",
    "bash",
    "py",
    "rb",
    "rs",
    "go",
    "java",
    "kt",
    "c",
    "h",
    "cc",
    "cpp",
    "hpp",
    "cs",
    "js",
    "ts",
    "jsx",
    "tsx",
    "css",
    "html",
    "htm",
    "php",
    "pl",
    "properties",
    "gradle",
    "out",
    "err",
    "trace",
];

fn looks_textual(content_type: &str, filename: &str) -> bool {
    let ct = content_type.to_ascii_lowercase();
    let ext = filename.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    ct.starts_with("text/")
        || ["json", "xml", "yaml", "javascript", "x-sh", "x-patch", "x-diff", "sql", "toml"]
            .iter()
            .any(|t| ct.contains(t))
        || TEXT_EXTENSIONS.contains(&ext.as_str())
}

pub async fn get_attachment(api: &RedmineApi, p: AttachmentParams) -> Result<String> {
    let id = id_str("id", p.id)?;
    let offset = opt_offset("text_offset", p.text_offset)?;
    let value =
        api.get(Request::get(["attachments", &format!("{id}.json")]), &format!("attachment {id}")).await?;
    let a = &value["attachment"];
    let mut out = render::attachment_meta(a);
    let size = a["filesize"].as_u64().unwrap_or(0);
    let filename = str_of(a, "filename");
    if !looks_textual(str_of(a, "content_type"), filename) {
        out.push_str("\nBinary content: not shown (only text attachments are returned).");
        return Ok(out);
    }
    if size > ATTACHMENT_TEXT_MAX {
        let _ = write!(out, "\nText content not fetched: larger than {ATTACHMENT_TEXT_MAX} bytes.");
        return Ok(out);
    }
    let response = api
        .send(
            Request::get(["attachments", "download", &id]).accept("*/*"),
            Subject::read(&format!("attachment {id}")),
        )
        .await?;
    if response.body.contains(&0) || std::str::from_utf8(&response.body).is_err() {
        out.push_str("\nContent is not UTF-8 text: not shown.");
        return Ok(out);
    }
    let text = render::chunk(&response.text(), offset, render::TEXT_CHUNK * 2, |next| {
        format!("read on with redmine_get_attachment id={id} text_offset={next}")
    });
    out.push('\n');
    out.push_str(&crate::render::untrusted(
        &format!("attachment {id} {}", crate::render::one_line(filename)),
        &text,
    ));
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Writes

/// Resolve `me` to the key's own user id (writes need a number).
async fn me_id(api: &RedmineApi) -> Result<String> {
    let v = api.get(Request::get(["users", "current.json"]), "the current user").await?;
    v["user"]["id"].as_u64().map(|i| i.to_string()).ok_or_else(|| Error::bad_response(TRACKER, "no user id"))
}

/// The `comments` of a time entry or a wiki edit: Redmine keeps at most 1024 characters.
fn short_comment(c: &str) -> Result<&str> {
    if c.chars().count() > 1024 || c.contains('\0') {
        return Err(Error::invalid("comments", "must be at most 1024 characters, without NUL"));
    }
    Ok(c)
}

/// The checks that need no request, done before any (so a bad argument never costs a call).
fn precheck(f: &IssueFields) -> Result<()> {
    if let Some(subject) = &f.subject {
        let s = params::text("subject", subject, 1000)?;
        if s.chars().count() > SUBJECT_MAX || s.contains(['\n', '\r']) {
            return Err(Error::invalid("subject", "must be one line of at most 255 characters"));
        }
    }
    if let Some(d) = &f.description
        && (d.len() > TEXT_MAX || d.contains('\0'))
    {
        return Err(Error::invalid("description", format!("must be at most {TEXT_MAX} bytes, without NUL")));
    }
    if let Some(parent) = f.parent
        && parent != 0
    {
        params::positive_id("parent", parent)?;
    }
    for (value, arg) in [(&f.start_date, "start_date"), (&f.due_date, "due_date")] {
        if let Some(v) = value
            && !v.trim().eq_ignore_ascii_case("none")
        {
            date_arg(arg, v)?;
        }
    }
    if f.estimated_hours.is_some_and(|h| !(0.0..=100_000.0).contains(&h)) {
        return Err(Error::invalid("estimated_hours", "must be from 0 to 100000"));
    }
    if f.done_ratio.is_some_and(|r| !(0..=100).contains(&r)) {
        return Err(Error::invalid("done_ratio", "must be from 0 to 100"));
    }
    Ok(())
}

/// The `issue` object of a create or update, names resolved to ids. The values were checked
/// by [`precheck`], which every caller runs first, before any request.
async fn issue_body(
    api: &RedmineApi,
    f: &IssueFields,
    project: Option<&str>,
    known_fields: &[Named],
) -> Result<Map<String, Value>> {
    let mut body = Map::new();
    if let Some(subject) = &f.subject {
        body.insert("subject".into(), json!(subject.trim()));
    }
    if let Some(d) = &f.description {
        body.insert("description".into(), json!(d));
    }
    for (value, which, arg, key) in [
        (&f.tracker, Enum::Tracker, "tracker", "tracker_id"),
        (&f.status, Enum::Status, "status", "status_id"),
        (&f.priority, Enum::Priority, "priority", "priority_id"),
    ] {
        if let Some(v) = value {
            body.insert(key.into(), json!(api.resolve(which, arg, v.as_str()).await?));
        }
    }
    if let Some(a) = &f.assignee {
        let id = match a.as_str() {
            v if v.eq_ignore_ascii_case("none") => String::new(),
            v if v.eq_ignore_ascii_case("me") => me_id(api).await?,
            v => api.resolve_user("assignee", v, project).await?,
        };
        body.insert(
            "assigned_to_id".into(),
            if id.is_empty() { json!("") } else { json!(id.parse::<u64>().unwrap_or(0)) },
        );
    }
    if let Some(c) = &f.category {
        let id = if c.as_str().eq_ignore_ascii_case("none") {
            json!("")
        } else {
            let Some(project) = project else {
                return Err(Error::invalid("category", "give the category's numeric id"));
            };
            json!(api.resolve_category("category", c.as_str(), project).await?)
        };
        body.insert("category_id".into(), id);
    }
    if let Some(v) = &f.version {
        let id = if v.as_str().eq_ignore_ascii_case("none") {
            json!("")
        } else {
            json!(api.resolve_version("version", v.as_str(), project).await?)
        };
        body.insert("fixed_version_id".into(), id);
    }
    if let Some(parent) = f.parent {
        body.insert("parent_issue_id".into(), if parent == 0 { json!("") } else { json!(parent) });
    }
    for (value, arg) in [(&f.start_date, "start_date"), (&f.due_date, "due_date")] {
        if let Some(v) = value {
            let d = if v.trim().eq_ignore_ascii_case("none") { "" } else { date_arg(arg, v)? };
            body.insert(arg.into(), json!(d));
        }
    }
    if let Some(h) = f.estimated_hours {
        body.insert("estimated_hours".into(), json!(h));
    }
    if let Some(r) = f.done_ratio {
        body.insert("done_ratio".into(), json!(r));
    }
    if let Some(private) = f.is_private {
        body.insert("is_private".into(), json!(private));
    }
    if let Some(cfs) = &f.custom_fields {
        let mut list = Vec::new();
        for (name, value) in cfs {
            let value = match value {
                Value::String(_) | Value::Array(_) => value.clone(),
                Value::Number(n) => json!(n.to_string()),
                Value::Bool(b) => json!(if *b { "1" } else { "0" }),
                Value::Null => json!(""),
                Value::Object(_) => {
                    return Err(Error::invalid(
                        "custom_fields",
                        format!("value of {name:?} must be text or a list"),
                    ));
                }
            };
            let id = api.resolve_custom_field(name, known_fields).await?;
            list.push(json!({"id": id, "value": value}));
        }
        body.insert("custom_fields".into(), Value::Array(list));
    }
    Ok(body)
}

/// A project's numeric id (and a clear error when it is not visible).
async fn project_id(api: &RedmineApi, project: &str) -> Result<u64> {
    let v = api
        .get(Request::get(["projects", &format!("{project}.json")]), &format!("project `{project}`"))
        .await?;
    v["project"]["id"].as_u64().ok_or_else(|| Error::bad_response(TRACKER, "project without id"))
}

/// Custom fields used by a project's issues (names and ids), for keys that cannot read the
/// definitions; fetched only when a custom field is given by name.
async fn project_custom_fields(api: &RedmineApi, project: u64, fields: &IssueFields) -> Vec<Named> {
    let by_name =
        fields.custom_fields.as_ref().is_some_and(|c| c.keys().any(|k| k.trim().parse::<u64>().is_err()));
    if !by_name {
        return Vec::new();
    }
    let request =
        Request::get(["issues.json"]).query("project_id", project).query("status_id", "*").query("limit", 25);
    let mut known: Vec<Named> = Vec::new();
    if let Ok(v) = api.get(request, "the project's issues").await {
        for issue in v["issues"].as_array().into_iter().flatten() {
            for c in issue["custom_fields"].as_array().into_iter().flatten() {
                if let Ok(n) = serde_json::from_value::<Named>(c.clone())
                    && !known.iter().any(|k| k.id == n.id)
                {
                    known.push(n);
                }
            }
        }
    }
    known
}

pub async fn create_issue(api: &RedmineApi, p: CreateIssueParams) -> Result<String> {
    let project = project_arg(&p.project)?;
    precheck(&p.fields)?;
    if p.fields.subject.is_none() {
        return Err(Error::invalid("subject", "is required to create an issue"));
    }
    let pid = project_id(api, &project).await?;
    let known = project_custom_fields(api, pid, &p.fields).await;
    let mut body = issue_body(api, &p.fields, Some(&project), &known).await?;
    body.insert("project_id".into(), json!(pid));
    let body = json!({ "issue": body });
    let request = Request::post(["issues.json"]).json(body.clone());
    if p.dry_run {
        return dry_run(api, &request, &body);
    }
    let created = api.send(request, Subject::write("add issues to", &format!("project `{project}`"))).await?;
    let created: Value = created.json(TRACKER)?;
    let i = &created["issue"];
    Ok(format!(
        "Created issue {}\n(redmine_get_issue id={} shows it in full)",
        render::issue_line(i),
        i["id"]
    ))
}

/// Fields whose value Redmine may silently drop; checked after an update.
const CHECKED: &[(&str, &str, &str)] = &[
    (
        "status_id",
        "status",
        "status (this user's role may not make that transition; see \"Statuses this user may set\" in redmine_get_issue)",
    ),
    ("tracker_id", "tracker", "tracker"),
    ("priority_id", "priority", "priority"),
    ("assigned_to_id", "assigned_to", "assignee"),
    ("fixed_version_id", "fixed_version", "version"),
    ("category_id", "category", "category"),
];

/// Redmine silently ignores a status its workflow does not allow this user (204, nothing
/// changed), so the transition is checked first against the issue's `allowed_statuses`.
fn check_transition(issue: &Value, status_id: Option<&Value>) -> Result<()> {
    let (Some(wanted), Some(allowed)) = (status_id, issue["allowed_statuses"].as_array()) else {
        return Ok(());
    };
    if allowed.is_empty() || *wanted == issue["status"]["id"] || allowed.iter().any(|s| s["id"] == *wanted) {
        return Ok(());
    }
    let name_of = |id: &Value| {
        allowed
            .iter()
            .find(|s| s["id"] == *id)
            .and_then(|s| s["name"].as_str())
            .map_or_else(|| id.to_string(), str::to_owned)
    };
    let names: Vec<&str> = allowed.iter().filter_map(|s| s["name"].as_str()).collect();
    Err(Error::invalid(
        "status",
        format!(
            "{} -> status {} is not allowed for this user by the workflow; allowed: {}",
            issue["status"]["name"].as_str().unwrap_or("current status"),
            name_of(wanted),
            names.join(", ")
        ),
    ))
}

pub async fn update_issue(api: &RedmineApi, p: UpdateIssueParams) -> Result<String> {
    let id = id_str("id", p.id)?;
    precheck(&p.fields)?;
    let target_project = opt_project(p.project.as_ref())?;
    let notes = p.notes.as_deref().map(|n| params::text("notes", n, TEXT_MAX)).transpose()?;
    let before = fetch_issue(api, &id, "allowed_statuses").await?;
    let project_now = before["issue"]["project"]["id"].to_string();
    let known: Vec<Named> = before["issue"]["custom_fields"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| serde_json::from_value(c.clone()).ok()).collect())
        .unwrap_or_default();
    let mut body =
        issue_body(api, &p.fields, Some(target_project.as_deref().unwrap_or(&project_now)), &known).await?;
    if let Some(project) = &target_project {
        body.insert("project_id".into(), json!(project_id(api, project).await?));
    }
    if let Some(n) = notes {
        body.insert("notes".into(), json!(n));
        if p.private_notes {
            body.insert("private_notes".into(), json!(true));
        }
    }
    if body.is_empty() {
        return Err(Error::invalid("fields", "nothing to change: give at least one field or `notes`"));
    }
    check_transition(&before["issue"], body.get("status_id"))?;
    let requested = body.clone();
    let body = json!({ "issue": body });
    let request = Request::put(["issues", &format!("{id}.json")]).json(body.clone());
    if p.dry_run {
        return dry_run(api, &request, &body);
    }
    api.send(request, Subject::write("change", &format!("issue {id}"))).await?;
    let after = fetch_issue(api, &id, "").await?;
    let i = &after["issue"];
    let mut out = format!("Updated issue {}", render::issue_line(i));
    let mut dropped = Vec::new();
    for (key, field, label) in CHECKED {
        if let Some(want) = requested.get(*key) {
            let have = i.get(*field).map(|v| v["id"].clone()).unwrap_or(Value::Null);
            let unchanged = match want {
                Value::String(s) if s.is_empty() => !have.is_null(),
                w => &have != w,
            };
            if unchanged {
                dropped.push(*label);
            }
        }
    }
    if let Some(want) = requested.get("done_ratio")
        && i.get("done_ratio") != Some(want)
    {
        dropped.push("done_ratio (Redmine may compute % done from the status or subtasks)");
    }
    if !dropped.is_empty() {
        let _ =
            write!(out, "\nWarning: Redmine accepted the request but did not apply: {}.", dropped.join("; "));
    }
    Ok(out)
}

pub async fn add_note(api: &RedmineApi, p: AddNoteParams) -> Result<String> {
    let id = id_str("id", p.id)?;
    let notes = params::text("notes", &p.notes, TEXT_MAX)?;
    let mut issue = Map::new();
    issue.insert("notes".into(), json!(notes));
    if p.private {
        issue.insert("private_notes".into(), json!(true));
    }
    let body = json!({ "issue": issue });
    let request = Request::put(["issues", &format!("{id}.json")]).json(body.clone());
    if p.dry_run {
        return dry_run(api, &request, &body);
    }
    api.send(request, Subject::write("comment on", &format!("issue {id}"))).await?;
    let after = fetch_issue(api, &id, "journals").await?;
    let want = crate::render::normalize_newlines(notes);
    let journal = after["issue"]["journals"]
        .as_array()
        .and_then(|js| {
            js.iter().rev().find(|j| crate::render::normalize_newlines(str_of(j, "notes")) == want)
        })
        .map(|j| j["id"].to_string());
    Ok(format!(
        "Added a {}note to issue #{id}{}.",
        if p.private { "private " } else { "" },
        journal.map(|j| format!(" as journal {j}")).unwrap_or_default()
    ))
}

pub async fn log_time(api: &RedmineApi, p: LogTimeParams) -> Result<String> {
    if !(p.hours > 0.0 && p.hours <= 1000.0) {
        return Err(Error::invalid("hours", "must be more than 0 and at most 1000, e.g. 1.5"));
    }
    let mut entry = Map::new();
    let target = match (p.issue, p.project.as_ref()) {
        (Some(issue), _) => {
            let id = params::positive_id("issue", issue)?;
            entry.insert("issue_id".into(), json!(id));
            format!("issue {id}")
        }
        (None, Some(project)) => {
            let project = project_arg(project)?;
            entry.insert("project_id".into(), json!(project_id(api, &project).await?));
            format!("project `{project}`")
        }
        (None, None) => return Err(Error::invalid("issue", "give `issue` or `project`")),
    };
    entry.insert("hours".into(), json!(p.hours));
    if let Some(a) = &p.activity {
        entry.insert("activity_id".into(), json!(api.resolve(Enum::Activity, "activity", a.as_str()).await?));
    }
    if let Some(d) = &p.spent_on {
        entry.insert("spent_on".into(), json!(date_arg("spent_on", d)?));
    }
    if let Some(c) = &p.comments {
        entry.insert("comments".into(), json!(short_comment(c)?));
    }
    let body = json!({ "time_entry": entry });
    let request = Request::post(["time_entries.json"]).json(body.clone());
    if p.dry_run {
        return dry_run(api, &request, &body);
    }
    let created: Value = api.send(request, Subject::write("log time on", &target)).await?.json(TRACKER)?;
    let t = &created["time_entry"];
    Ok(format!(
        "Logged time entry {}: {}h {} on {} by {} — {}{}",
        t["id"],
        t["hours"],
        render::name(t, "activity"),
        str_of(t, "spent_on"),
        render::name(t, "user"),
        render::name(t, "project"),
        t.get("issue").map(|i| format!(" #{}", i["id"])).unwrap_or_default()
    ))
}

pub async fn update_wiki_page(api: &RedmineApi, p: UpdateWikiParams) -> Result<String> {
    let project = project_arg(&p.project)?;
    let title = title_arg(&p.title)?;
    if p.text.len() > TEXT_MAX || p.text.contains('\0') {
        return Err(Error::invalid("text", format!("must be at most {TEXT_MAX} bytes, without NUL")));
    }
    let mut page = Map::new();
    page.insert("text".into(), json!(p.text));
    if let Some(c) = &p.comments {
        page.insert("comments".into(), json!(short_comment(c)?));
    }
    if let Some(v) = p.version {
        page.insert("version".into(), json!(params::positive_id("version", v)?));
    }
    if let Some(parent) = &p.parent_title {
        page.insert("parent_title".into(), json!(title_arg(parent)?));
    }
    let body = json!({ "wiki_page": page });
    let request = Request::put(["projects", &project, "wiki", &format!("{title}.json")]).json(body.clone());
    if p.dry_run {
        return dry_run(api, &request, &body);
    }
    let subject = format!("wiki page {title} of project `{project}`");
    let response = api.send(request, Subject::write("edit", &subject)).await?;
    let created = response.status == 201;
    let version = api
        .get(Request::get(["projects", &project, "wiki", &format!("{title}.json")]), &subject)
        .await
        .ok()
        .map(|v| v["wiki_page"]["version"].to_string());
    Ok(format!(
        "{} wiki page {title} of `{project}`{}.",
        if created { "Created" } else { "Updated" },
        version.map(|v| format!(", now version {v}")).unwrap_or_default()
    ))
}

const RELATION_TYPES: &[&str] = &[
    "relates",
    "duplicates",
    "duplicated",
    "blocks",
    "blocked",
    "precedes",
    "follows",
    "copied_to",
    "copied_from",
];

pub async fn add_relation(api: &RedmineApi, p: AddRelationParams) -> Result<String> {
    let id = params::positive_id("id", p.id)?;
    let to = params::positive_id("to", p.to)?;
    if id == to {
        return Err(Error::invalid("to", "an issue cannot be related to itself"));
    }
    let kind = p.relation_type.trim();
    if !RELATION_TYPES.contains(&kind) {
        return Err(Error::invalid("relation_type", format!("must be one of {}", RELATION_TYPES.join(", "))));
    }
    let mut relation = Map::new();
    relation.insert("issue_to_id".into(), json!(to));
    relation.insert("relation_type".into(), json!(kind));
    if let Some(delay) = p.delay {
        if !matches!(kind, "precedes" | "follows") {
            return Err(Error::invalid("delay", "applies only to precedes and follows"));
        }
        if !(-10_000..=10_000).contains(&delay) {
            return Err(Error::invalid("delay", "must be a number of days from -10000 to 10000"));
        }
        relation.insert("delay".into(), json!(delay));
    }
    let body = json!({ "relation": relation });
    let request = Request::post(["issues", &id.to_string(), "relations.json"]).json(body.clone());
    if p.dry_run {
        return dry_run(api, &request, &body);
    }
    let created: Value =
        api.send(request, Subject::write("add relations to", &format!("issue {id}"))).await?.json(TRACKER)?;
    let r = &created["relation"];
    Ok(format!(
        "Added relation {}: #{} {} #{}{}",
        r["id"],
        r["issue_id"],
        str_of(r, "relation_type"),
        r["issue_to_id"],
        r["delay"].as_i64().map(|d| format!(" (delay {d} days)")).unwrap_or_default()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_ranges_become_redmine_filters() {
        assert_eq!(
            date_range("created", "2025-01-01..2025-01-31").expect("range"),
            "><2025-01-01|2025-01-31"
        );
        assert_eq!(date_range("created", "2025-01-01..").expect("from"), ">=2025-01-01");
        assert_eq!(date_range("created", "..2025-01-31").expect("to"), "<=2025-01-31");
        assert_eq!(date_range("created", "2025-01-05").expect("day"), "><2025-01-05|2025-01-05");
        for bad in ["..", "2025-02-01..2025-01-01", "2025-1-1..", "yesterday", "2025-13-01"] {
            assert!(date_range("created", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sort_accepts_only_known_columns() {
        assert_eq!(sort_arg("updated_on:desc, id").expect("sort"), "updated_on:desc,id");
        for bad in ["", "password", "id:up", "a,b,c,d", "id;drop"] {
            assert!(sort_arg(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn project_identifiers_are_checked() {
        assert_eq!(project_arg(&NameOrId("alpha-2_x".into())).expect("ok"), "alpha-2_x");
        assert_eq!(project_arg(&NameOrId("7".into())).expect("ok"), "7");
        for bad in ["", "a/b", "../x", "a b", "a?b", "ü"] {
            assert!(project_arg(&NameOrId(bad.into())).is_err(), "{bad}");
        }
    }
}
