//! Reading Redmine issues: search, one issue with its history, the enumerations (`redmine:issues`).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::client::{Enum, RedmineApi};
use super::endpoints as E;
use super::issue_fields::custom_fields_in_use;
use super::models::{CategoryList, Issue, IssueAnswer, IssueList, Named, ProjectAnswer, VersionList};
use super::params::*;
use super::render::{self, DetailNames, IssueView};
use crate::error::{Error, Result};
use crate::http::Request;
use crate::params::{self, Page};
use crate::server::TrackerServer;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SearchIssuesParams {
    /// Project identifier or id.
    pub project: Option<NameOrId>,
    /// `open` (default), `closed`, `*`, or a status.
    pub status: Option<NameOrId>,
    /// Tracker name or id.
    pub tracker: Option<NameOrId>,
    /// `me`, `none`, user id, login or name.
    pub assignee: Option<NameOrId>,
    /// `me`, user id, login or name.
    pub author: Option<NameOrId>,
    /// Priority name or id.
    pub priority: Option<NameOrId>,
    /// Version name (with `project`) or id.
    pub version: Option<NameOrId>,
    /// Parent issue id.
    pub parent: Option<i64>,
    /// Text in the subject.
    pub subject: Option<String>,
    /// Created in `FROM..TO` (YYYY-MM-DD; one side may be empty).
    pub created: Option<String>,
    /// Updated in `FROM..TO`.
    pub updated: Option<String>,
    /// e.g. `updated_on:desc,id` (default `id:desc`).
    pub sort: Option<String>,
    /// Saved query name or id: its filters replace the others.
    pub query: Option<NameOrId>,
    /// By field name or id: {"Severity": "High"} (a list: any).
    pub custom_fields: Option<std::collections::BTreeMap<String, Value>>,
    #[serde(flatten)]
    pub page: Page,
}

impl SearchIssuesParams {
    /// The filter arguments given: Redmine ignores them all when a saved query is run.
    fn filters_given(&self) -> Option<&'static str> {
        [
            ("status", self.status.is_some()),
            ("tracker", self.tracker.is_some()),
            ("assignee", self.assignee.is_some()),
            ("author", self.author.is_some()),
            ("priority", self.priority.is_some()),
            ("version", self.version.is_some()),
            ("parent", self.parent.is_some()),
            ("subject", self.subject.is_some()),
            ("created", self.created.is_some()),
            ("updated", self.updated.is_some()),
            ("custom_fields", self.custom_fields.is_some()),
        ]
        .into_iter()
        .find_map(|(arg, given)| given.then_some(arg))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GetIssueParams {
    /// Issue id.
    pub id: i64,
    /// Where to resume a cut description or note.
    pub text_offset: Option<i64>,
    /// History entries to skip (25 per call).
    pub journal_offset: Option<i64>,
    /// Show only this history entry, in full.
    pub journal_id: Option<i64>,
}

/// History entries shown per `redmine_get_issue` call.
const JOURNALS_PER_PAGE: usize = 25;

#[tool_router(router = redmine_issues_tools, vis = "pub(crate)")]
impl TrackerServer {
    /// Find issues by filters, one line each, with the total and next cursor. Names are
    /// accepted for status, tracker, priority, users and versions. Only open issues unless
    /// `status` says otherwise.
    #[tool(
        name = "redmine_search_issues",
        annotations(
            title = "Redmine: search issues",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn redmine_search_issues(&self, Parameters(p): Parameters<SearchIssuesParams>) -> Result<String> {
        let api = self.redmine()?;
        let limit = params::limit(p.page.limit)?;
        let offset = params::cursor(p.page.cursor.as_ref())?;
        let project = opt_project(p.project.as_ref())?;
        if let Some(query) = &p.query {
            return saved_query(api, &p, query, project, offset, limit).await;
        }
        let mut request = E::ISSUES.request(&[]).query("limit", limit).query("offset", offset);
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
        for (value, arg, key) in
            [(&p.assignee, "assignee", "assigned_to_id"), (&p.author, "author", "author_id")]
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
        if let Some(fields) = &p.custom_fields {
            let known = if fields.keys().any(|k| k.trim().parse::<u64>().is_err()) {
                custom_fields_in_use(api, project.as_deref()).await
            } else {
                Vec::new()
            };
            for (name, value) in fields {
                let wanted = filter_value(name, value)?;
                let id = api.resolve_custom_field(name, &known).await?;
                scope.push(format!("{} {}", crate::render::one_line(name), wanted.replace('|', " or ")));
                request = request.query(format!("cf_{id}"), wanted);
            }
        }
        if let Some(subject) = &p.subject {
            let s = params::text("subject", subject, 255)?;
            request = request.query("subject", format!("~{}", s.trim()));
            scope.push(format!("subject contains {:?}", crate::render::one_line(s)));
        }
        for (value, arg, key) in
            [(&p.created, "created", "created_on"), (&p.updated, "updated", "updated_on")]
        {
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
        let subject =
            project.as_ref().map_or_else(|| "the issue list".to_owned(), |p| format!("project `{p}`"));
        let list: IssueList = api.get(request, &subject).await?;
        let mut header = format!("Issues ({})", scope.join(", "));
        if p.status.is_none() {
            header.push_str(" — open only by default; status=\"*\" includes closed");
        }
        let mut out = render::issue_list(&list, offset, limit, &header);
        if !list.issues.is_empty() {
            // Above the paging line, which stays last.
            let at = out.rfind('\n').map_or(0, |i| i + 1);
            out.insert_str(at, &format!("Web: {}\n", api.issue_page("<id>")));
        }
        Ok(out)
    }

    /// One issue in full, with history, relations and attachments. The history shows comments and field changes such as "Status: New -> In
    /// Progress". Text written by tracker users comes fenced as data.
    #[tool(
        name = "redmine_get_issue",
        annotations(
            title = "Redmine: get issue",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn redmine_get_issue(&self, Parameters(p): Parameters<GetIssueParams>) -> Result<String> {
        let api = self.redmine()?;
        let id = id_str("id", p.id)?;
        let text_offset = opt_offset("text_offset", p.text_offset)?;
        let journal_offset = opt_offset("journal_offset", p.journal_offset)?;
        let journal_id = p.journal_id.map(|j| params::positive_id("journal_id", j)).transpose()?;
        let issue =
            fetch_issue(api, &id, "journals,attachments,relations,children,watchers,allowed_statuses")
                .await?;
        let names = detail_names(api, &issue).await;
        if let Some(j) = journal_id {
            return render::one_journal(&issue, j, text_offset, &names).ok_or_else(|| {
                Error::NotFound(format!(
                    "issue {id} has no journal {j} visible to this API key (private notes are hidden from \
                     users without the permission); redmine_get_issue id={id} lists its journals"
                ))
            });
        }
        let view = IssueView { text_offset, journal_offset, journal_limit: JOURNALS_PER_PAGE };
        let mut out = render::issue(&issue, &names, &view);
        // Under the title line, before the text and history (whose paging lines stay last).
        let at = out.find('\n').map_or(out.len(), |i| i + 1);
        out.insert_str(at, &format!("Web: {}\n", api.issue_page(&issue.id.to_string())));
        Ok(out)
    }

    /// Ids of statuses, trackers, priorities, activities and custom fields (admins only).
    #[tool(
        name = "redmine_list_enumerations",
        annotations(
            title = "Redmine: list enumerations",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn redmine_list_enumerations(&self, Parameters(p): Parameters<PageParams>) -> Result<String> {
        let api = self.redmine()?;
        let limit = params::limit(p.page.limit)? as usize;
        let offset = page_start(p.page.cursor.as_ref())?;
        let mut out = String::new();
        let line = |list: &[Named], mark: &dyn Fn(&Named) -> &'static str| -> String {
            list.iter().map(|e| format!("{} {}{}", e.id, e.name, mark(e))).collect::<Vec<_>>().join(", ")
        };
        let statuses = api.enumeration(Enum::Status).await?;
        let _ =
            writeln!(out, "Statuses: {}", line(statuses, &|e| if e.is_closed { " (closed)" } else { "" }));
        let trackers = api.enumeration(Enum::Tracker).await?;
        let _ = writeln!(out, "Trackers: {}", line(trackers, &|_| ""));
        let priorities = api.enumeration(Enum::Priority).await?;
        let _ = writeln!(
            out,
            "Priorities: {}",
            line(priorities, &|e| if e.is_default { " (default)" } else { "" })
        );
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
                        let values = if f.possible_values.is_empty() {
                            String::new()
                        } else {
                            let values: Vec<&str> =
                                f.possible_values.iter().map(|x| x.value.as_str()).collect();
                            format!(": {}", values.join("/"))
                        };
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
}

/// Issues of a saved query. Redmine applies the query's own filters and ignores any others
/// (status included), so those are refused rather than silently dropped; the sort is applied.
async fn saved_query(
    api: &RedmineApi,
    p: &SearchIssuesParams,
    query: &NameOrId,
    project: Option<String>,
    offset: u64,
    limit: u32,
) -> Result<String> {
    if let Some(arg) = p.filters_given() {
        return Err(Error::invalid(
            arg,
            "does not combine with `query`: Redmine applies only the saved query's filters (give \
             `project`, `sort`, `limit`, `cursor`, or search without `query`)",
        ));
    }
    let sort = p.sort.as_deref().map(sort_arg).transpose()?;
    let (id, known) = super::queries::resolve_query(api, query).await?;
    // A project's own query is found only within that project.
    let project = project.or_else(|| known.as_ref().and_then(|q| q.project_id).map(|p| p.to_string()));
    let mut request =
        E::ISSUES.request(&[]).query("query_id", id).query("limit", limit).query("offset", offset);
    let mut scope = vec![match &known {
        Some(q) => format!("saved query {id} {:?}", crate::render::one_line(&q.name)),
        None => format!("saved query {id}"),
    }];
    if let Some(project) = &project {
        request = request.query("project_id", project);
        scope.push(format!("project {project}"));
    }
    if let Some(sort) = sort {
        scope.push(format!("sorted by {sort}"));
        request = request.query("sort", sort);
    }
    let list: IssueList = api.get(request, &format!("saved query {id}")).await?;
    Ok(render::issue_list(&list, offset, limit, &format!("Issues ({})", scope.join(", "))))
}

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

pub(super) async fn fetch_issue(api: &RedmineApi, id: &str, include: &str) -> Result<Issue> {
    let mut request = E::ISSUE.request(&[id]);
    if !include.is_empty() {
        request = request.query("include", include);
    }
    let issue = api.get::<IssueAnswer>(request, &format!("issue {id}")).await?.issue;
    api.remember_users(issue.people());
    Ok(issue)
}

/// Names for the ids in an issue's journal details (statuses, users, versions, ...), fetched
/// only for the kinds that occur.
async fn detail_names(api: &RedmineApi, issue: &Issue) -> DetailNames {
    let mut wanted: BTreeSet<(String, String)> = BTreeSet::new();
    for d in issue.journals.iter().flatten().flat_map(|j| &j.details) {
        if d.property != "attr" {
            continue;
        }
        for v in [&d.old_value, &d.new_value].into_iter().flatten().filter(|v| !v.is_empty()) {
            wanted.insert((d.name.clone(), v.clone()));
        }
    }
    let project = issue.project.id.to_string();
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
                    let request = E::PROJECT_VERSIONS.request(&[&project]);
                    versions = Some(
                        id_names(api, request, "versions", |l: VersionList| {
                            l.versions.into_iter().map(|v| (v.id, v.name)).collect()
                        })
                        .await,
                    );
                }
                lookup(versions.as_deref(), &id, "version")
            }
            "category_id" => {
                if categories.is_none() {
                    let request = E::PROJECT_CATEGORIES.request(&[&project]);
                    categories = Some(
                        id_names(api, request, "issue_categories", |l: CategoryList| {
                            l.issue_categories.into_iter().map(|c| (c.id, c.name)).collect()
                        })
                        .await,
                    );
                }
                lookup(categories.as_deref(), &id, "category")
            }
            "project_id" => match api.get::<ProjectAnswer>(E::PROJECT.request(&[&id]), "a project").await {
                Ok(p) => p.project.name,
                Err(_) => format!("project #{id}"),
            },
            _ => continue,
        };
        names.insert(format!("{field}:{id}"), name);
    }
    names
}

/// `(id, name)` pairs of a project's versions or categories; none when they cannot be read
/// (the history then shows `version #id`).
async fn id_names<T: DeserializeOwned>(
    api: &RedmineApi,
    request: Request,
    what: &str,
    pairs: impl FnOnce(T) -> Vec<(u64, String)>,
) -> Vec<(String, String)> {
    match api.get::<T>(request, what).await {
        Ok(list) => pairs(list).into_iter().map(|(id, name)| (id.to_string(), name)).collect(),
        Err(_) => Vec::new(),
    }
}

fn lookup(list: Option<&[(String, String)]>, id: &str, what: &str) -> String {
    list.and_then(|l| l.iter().find(|(i, _)| i == id).map(|(_, n)| n.clone()))
        .unwrap_or_else(|| format!("{what} #{id}"))
}

/// A custom-field filter's value as Redmine's query takes it: one value, or several joined
/// with `|` (any of them matches).
fn filter_value(name: &str, value: &Value) -> Result<String> {
    let one = |v: &Value| -> Result<String> {
        let text = match v {
            Value::String(s) => s.trim().to_owned(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => (if *b { "1" } else { "0" }).to_owned(),
            _ => String::new(),
        };
        if text.is_empty() || text.contains('|') || text.chars().count() > 255 {
            return Err(Error::invalid(
                "custom_fields",
                format!(
                    "the value of {:?} must be text (at most 255 characters, no `|`) or a list of such",
                    crate::render::one_line(name)
                ),
            ));
        }
        Ok(text)
    };
    match value {
        Value::Array(values) if !values.is_empty() && values.len() <= 20 => {
            Ok(values.iter().map(one).collect::<Result<Vec<_>>>()?.join("|"))
        }
        Value::Array(_) => Err(Error::invalid(
            "custom_fields",
            format!("give 1-20 values for {:?}", crate::render::one_line(name)),
        )),
        v => one(v),
    }
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
}
