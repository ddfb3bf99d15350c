//! Policy: which tools exist for this run (read-only default, allow/deny globs, tool sets)
//! and where destructive calls may act (write scope).

use rmcp::model::Tool;
use serde_json::{Map, Value};

use crate::config::Config;
use crate::error::{Error, Result};

/// Every tool's area, for `TRACKER_MCP_TOOLSETS` (`tracker:area`). `whoami` tools are in
/// `core`, which comes with any area of their tracker. A test keeps this table complete.
pub const TOOLSETS: &[(&str, &[&str])] = &[
    ("bugzilla:core", &["bugzilla_whoami"]),
    (
        "bugzilla:bugs",
        &[
            "bugzilla_get_bug",
            "bugzilla_search_bugs",
            "bugzilla_get_comments",
            "bugzilla_get_history",
            "bugzilla_create_bug",
            "bugzilla_update_bug",
            "bugzilla_add_comment",
        ],
    ),
    (
        "bugzilla:attachments",
        &["bugzilla_list_attachments", "bugzilla_get_attachment", "bugzilla_add_attachment"],
    ),
    ("bugzilla:products", &["bugzilla_list_products", "bugzilla_get_product", "bugzilla_get_field_values"]),
    ("bugzilla:users", &["bugzilla_search_users"]),
    ("redmine:core", &["redmine_whoami"]),
    ("redmine:projects", &["redmine_list_projects", "redmine_get_project", "redmine_list_versions"]),
    (
        "redmine:issues",
        &[
            "redmine_search_issues",
            "redmine_get_issue",
            "redmine_list_enumerations",
            "redmine_get_attachment",
            "redmine_create_issue",
            "redmine_update_issue",
            "redmine_add_note",
            "redmine_add_relation",
        ],
    ),
    ("redmine:time", &["redmine_list_time_entries", "redmine_log_time"]),
    ("redmine:wiki", &["redmine_list_wiki_pages", "redmine_get_wiki_page", "redmine_update_wiki_page"]),
    ("redmine:search", &["redmine_search"]),
    ("bitbucket:core", &["bitbucket_whoami"]),
    (
        "bitbucket:repositories",
        &[
            "bitbucket_list_projects",
            "bitbucket_list_repositories",
            "bitbucket_get_repository",
            "bitbucket_list_branches",
            "bitbucket_list_commits",
            "bitbucket_get_commit",
            "bitbucket_get_file",
            "bitbucket_search_code",
        ],
    ),
    (
        "bitbucket:pull_requests",
        &[
            "bitbucket_list_pull_requests",
            "bitbucket_get_pull_request",
            "bitbucket_get_pull_request_diff",
            "bitbucket_list_pull_request_comments",
            "bitbucket_list_pull_request_commits",
            "bitbucket_get_pull_request_activity",
            "bitbucket_create_pull_request",
            "bitbucket_add_pull_request_comment",
            "bitbucket_approve_pull_request",
            "bitbucket_request_changes",
            "bitbucket_merge_pull_request",
            "bitbucket_decline_pull_request",
        ],
    ),
    (
        "bitbucket:issues",
        &[
            "bitbucket_list_issues",
            "bitbucket_get_issue",
            "bitbucket_create_issue",
            "bitbucket_add_issue_comment",
        ],
    ),
];

/// The `tracker:area` a tool belongs to.
#[must_use]
pub fn toolset_of(tool: &str) -> Option<&'static str> {
    TOOLSETS.iter().find(|(_, tools)| tools.contains(&tool)).map(|(set, _)| *set)
}

/// The tool-name filter built from the configuration.
#[derive(Debug, Clone)]
pub struct ToolPolicy {
    pub enable_writes: bool,
    pub allow: Vec<String>,
    pub deny: Vec<String>,
    /// `tracker:area` names (or `tracker` for all its areas); empty means every area.
    pub toolsets: Vec<String>,
}

impl ToolPolicy {
    #[must_use]
    pub fn from_config(config: &Config) -> Self {
        Self {
            enable_writes: config.enable_writes,
            allow: config.allow_tools.clone(),
            deny: config.deny_tools.clone(),
            toolsets: config.toolsets.clone(),
        }
    }

    /// Whether the tool's area was asked for (`TRACKER_MCP_TOOLSETS`).
    fn in_toolsets(&self, name: &str) -> bool {
        if self.toolsets.is_empty() {
            return true;
        }
        let Some(set) = toolset_of(name) else { return false };
        let tracker = set.split(':').next().unwrap_or_default();
        self.toolsets.iter().any(|wanted| {
            wanted == set
                || wanted == tracker
                || wanted.strip_suffix(":*") == Some(tracker)
                // `core` (whoami) comes with any area of its tracker.
                || (set.ends_with(":core") && wanted.split(':').next() == Some(tracker))
        })
    }

    /// Every `TRACKER_MCP_TOOLSETS` entry must name a known tracker or area.
    pub fn check_toolsets(&self) -> Result<()> {
        for wanted in &self.toolsets {
            let tracker = wanted.split(':').next().unwrap_or_default();
            let known = TOOLSETS.iter().any(|(set, _)| {
                set == wanted
                    || *set == format!("{tracker}:core")
                        && (wanted == tracker || wanted == &format!("{tracker}:*"))
            });
            if !known {
                let names: Vec<&str> =
                    TOOLSETS.iter().map(|(set, _)| *set).filter(|s| !s.ends_with(":core")).collect();
                return Err(Error::Config(format!(
                    "TRACKER_MCP_TOOLSETS: unknown tool set `{wanted}`; known: {}, or a tracker name alone",
                    names.join(", ")
                )));
            }
        }
        Ok(())
    }

    /// Whether `tool` is served: writes only when enabled, then the allow list (if any), then
    /// the deny list.
    #[must_use]
    pub fn permits(&self, tool: &Tool) -> bool {
        if !self.enable_writes && !is_read_only(tool) {
            return false;
        }
        let name = tool.name.as_ref();
        if !self.in_toolsets(name) {
            return false;
        }
        let allowed = self.allow.is_empty() || self.allow.iter().any(|p| glob_match(p, name));
        allowed && !self.deny.iter().any(|p| glob_match(p, name))
    }

    /// An allow list that matches none of `available` is a configuration mistake, not an empty
    /// server.
    pub fn check_allow_list(&self, available: &[Tool]) -> Result<()> {
        for pattern in &self.allow {
            if !available.iter().any(|t| glob_match(pattern, &t.name)) {
                return Err(Error::Config(format!(
                    "TRACKER_MCP_TOOLS pattern `{pattern}` matches no tool of the configured \
                     trackers; `tracker-mcp tools` lists the names"
                )));
            }
        }
        Ok(())
    }
}

/// A tool is read-only only when it says so explicitly.
#[must_use]
pub fn is_read_only(tool: &Tool) -> bool {
    tool.annotations.as_ref().and_then(|a| a.read_only_hint).unwrap_or(false)
}

/// Glob over tool names: `*` any run of characters, `?` one character, the rest literal.
#[must_use]
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let (mut pi, mut ni) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// The place a call acts on, as `tracker:container`, from its arguments: Bitbucket
/// `workspace/repo`, Redmine `project`, Bugzilla `product`. `None` when the arguments do not
/// name one.
#[must_use]
pub fn scope_target(tool: &str, arguments: Option<&Map<String, Value>>) -> Option<String> {
    let arguments = arguments?;
    let text =
        |key: &str| arguments.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty());
    let tracker = tool.split('_').next()?;
    let container = match tracker {
        "bitbucket" => format!("{}/{}", text("workspace")?, text("repo")?),
        "redmine" => {
            arguments.get("project").map(|p| p.as_str().map_or_else(|| p.to_string(), str::to_owned))?
        }
        "bugzilla" => text("product")?.to_owned(),
        _ => return None,
    };
    Some(format!("{tracker}:{container}"))
}

/// Whether a destructive call may act on `target` under `TRACKER_MCP_WRITE_SCOPE`.
pub fn check_write_scope(scope: &[String], tool: &str, arguments: Option<&Map<String, Value>>) -> Result<()> {
    if scope.is_empty() {
        return Ok(());
    }
    let allowed = scope.join(", ");
    match scope_target(tool, arguments) {
        Some(target) if scope.iter().any(|pattern| glob_match(pattern, &target)) => Ok(()),
        Some(target) => Err(Error::Denied(format!(
            "{tool} may act only within TRACKER_MCP_WRITE_SCOPE ({allowed}); {target} is outside it. \
             Ask the user to do this themselves or to widen the scope"
        ))),
        None => Err(Error::Denied(format!(
            "{tool} is limited by TRACKER_MCP_WRITE_SCOPE ({allowed}) and its arguments name no \
             project or repository to check"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("redmine_*", "redmine_get_issue"));
        assert!(glob_match("*_get_*", "bugzilla_get_bug"));
        assert!(glob_match("bugzilla_get_bu?", "bugzilla_get_bug"));
        assert!(!glob_match("redmine_*", "bugzilla_get_bug"));
        assert!(glob_match("*", "x"));
        assert!(!glob_match("a*b", "acbd"));
    }

    #[test]
    fn toolsets_select_areas_with_their_core() {
        let policy = ToolPolicy {
            enable_writes: true,
            allow: vec![],
            deny: vec![],
            toolsets: vec!["redmine:wiki".into(), "bitbucket".into()],
        };
        assert!(policy.in_toolsets("redmine_get_wiki_page"));
        assert!(policy.in_toolsets("redmine_whoami"));
        assert!(!policy.in_toolsets("redmine_get_issue"));
        assert!(policy.in_toolsets("bitbucket_merge_pull_request"));
        assert!(!policy.in_toolsets("bugzilla_get_bug"));
        assert!(policy.check_toolsets().is_ok());
        let bad = ToolPolicy { toolsets: vec!["redmine:wikis".into()], ..policy };
        let message = bad.check_toolsets().expect_err("unknown").to_string();
        assert!(message.contains("redmine:wikis") && message.contains("redmine:wiki"), "{message}");
    }

    #[test]
    fn write_scope_matches_tracker_and_container() {
        let scope = vec!["bitbucket:acme/*".to_owned(), "redmine:alpha".to_owned()];
        let args = |v: Value| v.as_object().cloned();
        let merge = "bitbucket_merge_pull_request";
        assert!(
            check_write_scope(
                &scope,
                merge,
                args(serde_json::json!({"workspace": "acme", "repo": "web"})).as_ref()
            )
            .is_ok()
        );
        let e = check_write_scope(
            &scope,
            merge,
            args(serde_json::json!({"workspace": "other", "repo": "web"})).as_ref(),
        )
        .expect_err("outside");
        assert!(e.to_string().contains("bitbucket:other/web is outside"), "{e}");
        assert!(check_write_scope(&scope, merge, None).is_err());
        assert!(check_write_scope(&[], merge, None).is_ok());
        assert_eq!(
            scope_target("redmine_create_issue", args(serde_json::json!({"project": 7})).as_ref()).as_deref(),
            Some("redmine:7")
        );
    }
}
