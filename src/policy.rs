//! Policy: which tools exist for this run (read-only default, allow/deny globs, tool sets)
//! and where destructive calls may act (write scope).

use rmcp::model::Tool;
use serde_json::{Map, Value};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::tracker::TrackerSpec;

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

    /// Whether the tool set `set` (`tracker:area`) was asked for (`TRACKER_MCP_TOOLSETS`):
    /// by its name, by its tracker's name (`tracker` or `tracker:*`), or, for `core`
    /// (whoami), by any area of its tracker.
    #[must_use]
    pub fn wants_toolset(&self, set: &str) -> bool {
        if self.toolsets.is_empty() {
            return true;
        }
        let tracker = set.split(':').next().unwrap_or_default();
        self.toolsets.iter().any(|wanted| {
            wanted == set
                || wanted == tracker
                || wanted.strip_suffix(":*") == Some(tracker)
                || (set.ends_with(":core") && wanted.split(':').next() == Some(tracker))
        })
    }

    /// Every `TRACKER_MCP_TOOLSETS` entry must name a known tracker or area of `trackers`.
    pub fn check_toolsets(&self, trackers: &[&TrackerSpec]) -> Result<()> {
        let sets = || trackers.iter().flat_map(|spec| spec.toolsets.iter().map(|set| set.name));
        for wanted in &self.toolsets {
            let tracker = wanted.split(':').next().unwrap_or_default();
            let known = sets().any(|set| set == wanted)
                || trackers.iter().any(|spec| {
                    spec.name == tracker && (wanted == tracker || *wanted == format!("{tracker}:*"))
                });
            if !known {
                let mut names: Vec<&str> = Vec::new();
                for set in sets().filter(|s| !s.ends_with(":core")) {
                    if !names.contains(&set) {
                        names.push(set);
                    }
                }
                return Err(Error::Config(format!(
                    "TRACKER_MCP_TOOLSETS: unknown tool set `{wanted}`; known: {}, or a tracker name alone",
                    names.join(", ")
                )));
            }
        }
        Ok(())
    }

    /// Whether the operation `tool` (of a wanted tool set) is served: writes only when
    /// enabled, then the allow list (if any), then the deny list. The globs match the
    /// operation's name or the name of the tool that lists it (`group`).
    #[must_use]
    pub fn permits(&self, tool: &Tool, group: Option<&str>) -> bool {
        if !self.enable_writes && !is_read_only(tool) {
            return false;
        }
        let names = [Some(tool.name.as_ref()), group];
        let matches = |p: &String| names.iter().flatten().any(|name| glob_match(p, name));
        let allowed = self.allow.is_empty() || self.allow.iter().any(matches);
        allowed && !self.deny.iter().any(matches)
    }

    /// An allow list that matches none of `available` (operations) or `groups` (the tools that
    /// list them) is a configuration mistake, not an empty server.
    pub fn check_allow_list(&self, available: &[Tool], groups: &[&str]) -> Result<()> {
        for pattern in &self.allow {
            if !available.iter().any(|t| glob_match(pattern, &t.name))
                && !groups.iter().any(|g| glob_match(pattern, g))
            {
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

/// The place a call acts on, as `tracker:container` (Bitbucket `workspace/repo`: each
/// tracker's [`TrackerSpec::scope_target`]). `None` when the arguments do not name one.
#[must_use]
pub fn scope_target(spec: &TrackerSpec, arguments: Option<&Map<String, Value>>) -> Option<String> {
    Some(format!("{}:{}", spec.name, (spec.scope_target?)(arguments?)?))
}

/// `TRACKER_MCP_WRITE_SCOPE` entries, checked at start: each is `tracker:glob` for a tracker
/// whose writes all name their container. An entry that would silently do nothing is an
/// error naming the alternative.
pub fn check_write_scope_entries(scope: &[String], trackers: &[&TrackerSpec]) -> Result<()> {
    for entry in scope {
        let name = entry.split_once(':').map(|(name, _)| name);
        match trackers.iter().find(|t| Some(t.name) == name) {
            Some(spec) if spec.scope_target.is_some() => {}
            Some(spec) => {
                return Err(Error::Config(format!(
                    "TRACKER_MCP_WRITE_SCOPE entry `{entry}` cannot be applied: {} writes name an issue \
                     or bug by id, not its project, so the scope could not be checked before sending. \
                     Narrow {} writes with TRACKER_MCP_TOOLS / TRACKER_MCP_DENY_TOOLS instead",
                    spec.name, spec.name
                )));
            }
            None => {
                let known: Vec<_> =
                    trackers.iter().filter(|t| t.scope_target.is_some()).map(|t| t.name).collect();
                return Err(Error::Config(format!(
                    "TRACKER_MCP_WRITE_SCOPE entry `{entry}` is not `tracker:pattern` for a tracker that \
                     supports it ({}), e.g. `bitbucket:acme/web-*`",
                    known.join(", ")
                )));
            }
        }
    }
    Ok(())
}

/// Whether a write call of `tool` (a tool of `spec`) may act where its arguments say, under
/// `TRACKER_MCP_WRITE_SCOPE`. The scope limits every write of the trackers it names.
pub fn check_write_scope(
    scope: &[String],
    spec: Option<&TrackerSpec>,
    tool: &str,
    arguments: Option<&Map<String, Value>>,
) -> Result<()> {
    let mine: Vec<&String> = match spec {
        Some(spec) => {
            scope.iter().filter(|e| e.split_once(':').is_some_and(|(n, _)| n == spec.name)).collect()
        }
        None => scope.iter().collect(),
    };
    if mine.is_empty() {
        return Ok(());
    }
    let allowed = scope.join(", ");
    match spec.and_then(|spec| scope_target(spec, arguments)) {
        Some(target) if mine.iter().any(|pattern| glob_match(pattern, &target)) => Ok(()),
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
    use crate::tracker::Toolset;

    #[test]
    fn globs() {
        assert!(glob_match("redmine_*", "redmine_get_issue"));
        assert!(glob_match("*_get_*", "bugzilla_get_bug"));
        assert!(glob_match("bugzilla_get_bu?", "bugzilla_get_bug"));
        assert!(!glob_match("redmine_*", "bugzilla_get_bug"));
        assert!(glob_match("*", "x"));
        assert!(!glob_match("a*b", "acbd"));
    }

    fn no_tools() -> rmcp::handler::server::tool::ToolRouter<crate::server::TrackerServer> {
        rmcp::handler::server::tool::ToolRouter::new()
    }

    const fn set(name: &'static str) -> Toolset {
        Toolset { name, router: no_tools, only_on: None }
    }

    fn workspace_repo(arguments: &Map<String, Value>) -> Option<String> {
        let text = |key: &str| arguments.get(key)?.as_str().filter(|s| !s.is_empty());
        Some(format!("{}/{}", text("workspace")?, text("repo")?))
    }

    const REDMINE: TrackerSpec = TrackerSpec {
        name: "redmine",
        connect: |_| None,
        toolsets: &[set("redmine:core"), set("redmine:issues"), set("redmine:wiki")],
        scope_target: None,
        identifying_args: &[],
        groups: &[],
    };
    const BITBUCKET: TrackerSpec = TrackerSpec {
        name: "bitbucket",
        connect: |_| None,
        toolsets: &[set("bitbucket:core"), set("bitbucket:repositories"), set("bitbucket:repositories")],
        scope_target: Some(workspace_repo),
        identifying_args: &[],
        groups: &[],
    };

    #[test]
    fn globs_match_the_operation_or_the_tool_that_lists_it() {
        let op = |name: &'static str, read_only: bool| {
            Tool::new(name, "", std::sync::Arc::new(Map::new()))
                .with_annotations(rmcp::model::ToolAnnotations::new().read_only(read_only))
        };
        let merge = op("bitbucket_merge_pull_request", false);
        let group = Some("bitbucket_pull_request_write");
        let policy = |allow: &[&str], deny: &[&str]| ToolPolicy {
            enable_writes: true,
            allow: allow.iter().map(|s| (*s).to_owned()).collect(),
            deny: deny.iter().map(|s| (*s).to_owned()).collect(),
            toolsets: vec![],
        };
        assert!(policy(&[], &[]).permits(&merge, group));
        assert!(!policy(&[], &["*_merge_*"]).permits(&merge, group), "old operation globs still deny");
        assert!(!policy(&[], &["*_write"]).permits(&merge, group), "a listed tool's name denies its methods");
        assert!(policy(&["bitbucket_pull_request_*"], &[]).permits(&merge, group));
        assert!(!policy(&["redmine_*"], &[]).permits(&merge, group));
        let read_only = ToolPolicy { enable_writes: false, ..policy(&[], &[]) };
        assert!(!read_only.permits(&merge, group));
        assert!(read_only.permits(&op("bitbucket_list_branches", true), Some("bitbucket_repo_read")));
        assert!(
            policy(&["bitbucket_repo_read"], &[])
                .check_allow_list(std::slice::from_ref(&merge), &["bitbucket_repo_read"])
                .is_ok()
        );
        assert!(
            policy(&["bitbucket_repo_raed"], &[])
                .check_allow_list(&[merge], &["bitbucket_repo_read"])
                .is_err()
        );
    }

    #[test]
    fn toolsets_select_areas_with_their_core() {
        let policy = ToolPolicy {
            enable_writes: true,
            allow: vec![],
            deny: vec![],
            toolsets: vec!["redmine:wiki".into(), "bitbucket".into()],
        };
        assert!(policy.wants_toolset("redmine:wiki"));
        assert!(policy.wants_toolset("redmine:core"));
        assert!(!policy.wants_toolset("redmine:issues"));
        assert!(policy.wants_toolset("bitbucket:repositories"));
        assert!(!policy.wants_toolset("bugzilla:bugs"));
        assert!(!policy.wants_toolset("bugzilla:core"));
        assert!(policy.check_toolsets(&[&REDMINE, &BITBUCKET]).is_ok());
        let star = ToolPolicy { toolsets: vec!["bitbucket:*".into()], ..policy.clone() };
        assert!(star.wants_toolset("bitbucket:core") && star.check_toolsets(&[&BITBUCKET]).is_ok());
        let bad = ToolPolicy { toolsets: vec!["redmine:wikis".into()], ..policy };
        let message = bad.check_toolsets(&[&REDMINE, &BITBUCKET]).expect_err("unknown").to_string();
        assert!(
            message.contains(
                "unknown tool set `redmine:wikis`; known: redmine:issues, redmine:wiki, bitbucket:repositories, or"
            ),
            "{message}"
        );
    }

    #[test]
    fn write_scope_matches_tracker_and_container() {
        let scope = vec!["bitbucket:acme/*".to_owned()];
        let args = |v: Value| v.as_object().cloned();
        let merge = "bitbucket_merge_pull_request";
        let bitbucket = Some(&BITBUCKET);
        assert!(
            check_write_scope(
                &scope,
                bitbucket,
                merge,
                args(serde_json::json!({"workspace": "acme", "repo": "web"})).as_ref()
            )
            .is_ok()
        );
        let e = check_write_scope(
            &scope,
            bitbucket,
            merge,
            args(serde_json::json!({"workspace": "other", "repo": "web"})).as_ref(),
        )
        .expect_err("outside");
        assert!(e.to_string().contains("bitbucket:other/web is outside"), "{e}");
        assert!(check_write_scope(&scope, bitbucket, merge, None).is_err());
        assert!(check_write_scope(&scope, None, "other_tool", None).is_err());
        assert!(check_write_scope(&[], bitbucket, merge, None).is_ok());
        assert_eq!(scope_target(&REDMINE, args(serde_json::json!({"project": 7})).as_ref()), None);
        // Only the trackers the scope names are limited by it.
        let redmine = Some(&REDMINE);
        assert!(check_write_scope(&scope, redmine, "redmine_update_issue", None).is_ok());
    }

    /// Security review finding 10: `redmine:`/`bugzilla:` entries silently did nothing.
    #[test]
    fn scope_entries_that_cannot_apply_are_refused_at_start() {
        let trackers = [&REDMINE, &BITBUCKET];
        assert!(check_write_scope_entries(&["bitbucket:acme/*".into()], &trackers).is_ok());
        let e = check_write_scope_entries(&["redmine:alpha".into()], &trackers).expect_err("inert");
        assert!(
            e.to_string().contains("cannot be applied") && e.to_string().contains("TRACKER_MCP_DENY_TOOLS"),
            "{e}"
        );
        let e = check_write_scope_entries(&["acme/*".into()], &trackers).expect_err("no tracker");
        assert!(e.to_string().contains("bitbucket:acme/web-*"), "{e}");
    }
}
