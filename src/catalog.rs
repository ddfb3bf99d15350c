//! The tools the model sees. Each tracker's operations (one `#[tool]` each, in its area files)
//! are listed through a few tools per resource, read and write apart: `redmine_issue_read`
//! with `method: "get"` runs the operation `redmine_get_issue`. The list stays small as
//! operations are added (a method costs one description line and its new arguments, not a
//! whole tool), while each operation keeps its own schema, checks, annotations and code.
//!
//! A group is built at start-up from the operations the policy serves: a method whose operation
//! is not served (read-only mode, allow/deny globs, tool sets, flavour) is not offered, and a
//! group with no method is not listed. Operations that belong to no group are listed as they
//! are. Operation names still answer `tools/call` (they are what globs, the audit log and the
//! write scope speak of), but only the listed names are shown.

use std::collections::HashMap;
use std::sync::Arc;

use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use crate::policy::is_read_only;

/// One listed tool over several operations of one resource, all reads or all writes.
pub struct Group {
    /// The listed name: `<tracker>_<resource>_read` or `..._write`.
    pub name: &'static str,
    /// For people (the client's approval dialog).
    pub title: &'static str,
    /// What the tool is for; the methods are listed after it.
    pub about: &'static str,
    /// `(method, operation)`, in the order they are listed.
    pub methods: &'static [(&'static str, &'static str)],
    /// Descriptions for arguments whose operations describe them differently.
    pub args: &'static [(&'static str, &'static str)],
}

/// How a listed name is called.
enum Entry {
    /// An operation listed as it is.
    Operation,
    /// A group: its offered `(method, operation)` pairs.
    Group(Vec<(&'static str, &'static str)>),
}

/// The listed tools, built once from the served operations.
pub struct Catalog {
    tools: Vec<Tool>,
    entries: HashMap<String, Entry>,
}

impl Catalog {
    /// List `operations` (the served ones) through `groups`.
    pub fn build<'a>(operations: &[Tool], groups: impl IntoIterator<Item = &'a Group>) -> Result<Self> {
        let by_name: HashMap<&str, &Tool> = operations.iter().map(|t| (t.name.as_ref(), t)).collect();
        let mut tools = Vec::new();
        let mut entries = HashMap::new();
        let mut grouped = std::collections::HashSet::new();
        for group in groups {
            let offered: Vec<(&'static str, &Tool)> = group
                .methods
                .iter()
                .filter_map(|(method, op)| by_name.get(op).map(|tool| (*method, *tool)))
                .collect();
            grouped.extend(group.methods.iter().map(|(_, op)| *op));
            if offered.is_empty() {
                continue;
            }
            tools.push(group_tool(group, &offered)?);
            let pairs = offered.iter().map(|(m, _)| (*m, op_name(group, m))).collect();
            entries.insert(group.name.to_owned(), Entry::Group(pairs));
        }
        for tool in operations.iter().filter(|t| !grouped.contains(t.name.as_ref())) {
            let mut tool = tool.clone();
            tool.annotations = tool.annotations.as_ref().map(|a| lean_annotations(a.title.clone(), a));
            let mut schema = tool.input_schema.as_ref().clone();
            portable(&mut schema);
            tool.input_schema = Arc::new(schema);
            entries.insert(tool.name.to_string(), Entry::Operation);
            tools.push(tool);
        }
        tools.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Self { tools, entries })
    }

    /// No tool (what is served when the tools could not be built).
    #[must_use]
    pub fn empty() -> Self {
        Self { tools: Vec::new(), entries: HashMap::new() }
    }

    /// The listed tools, sorted by name.
    #[must_use]
    pub fn tools(&self) -> &[Tool] {
        &self.tools
    }

    /// The `(method, operation)` pairs of a listed group (none for a plain operation).
    #[must_use]
    pub fn methods(&self, name: &str) -> &[(&'static str, &'static str)] {
        match self.entries.get(name) {
            Some(Entry::Group(methods)) => methods,
            _ => &[],
        }
    }

    #[must_use]
    pub fn get(&self, name: &str) -> Option<&Tool> {
        self.tools.iter().find(|t| t.name == name)
    }

    /// The operation a call of `name` runs and the arguments it gets: a group's `method` picks
    /// the operation (refused, naming the argument, when it is missing or not offered), the
    /// arguments it does not take are refused, and ids given as text become numbers where the
    /// operation takes numbers. Any other name is passed on as it is.
    pub fn resolve(
        &self,
        name: &str,
        arguments: Option<JsonObject>,
        operation: impl Fn(&str) -> Option<Tool>,
    ) -> Result<(String, Option<JsonObject>)> {
        let Some(Entry::Group(methods)) = self.entries.get(name) else {
            return Ok((name.to_owned(), arguments));
        };
        let mut arguments = arguments.unwrap_or_default();
        let offered = || methods.iter().map(|(m, _)| *m).collect::<Vec<_>>().join(", ");
        let method = match arguments.remove("method") {
            Some(Value::String(m)) => m,
            Some(_) => return Err(Error::invalid("method", format!("must be one of: {}", offered()))),
            None => return Err(Error::invalid("method", format!("is required: one of {}", offered()))),
        };
        let Some((_, op)) = methods.iter().find(|(m, _)| *m == method) else {
            return Err(Error::invalid(
                "method",
                format!(
                    "`{}` is not offered here; one of: {}",
                    crate::render::label_line(&method),
                    offered()
                ),
            ));
        };
        let tool = operation(op)
            .ok_or_else(|| Error::Internal(format!("operation {op} of {name} is not served")))?;
        let properties =
            tool.input_schema.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
        arguments.retain(|_, v| !v.is_null());
        for key in arguments.keys() {
            if !properties.contains_key(key) {
                return Err(Error::invalid(key, format!("does not apply to method `{method}`")));
            }
        }
        for required in tool.input_schema.get("required").and_then(Value::as_array).into_iter().flatten() {
            let required = required.as_str().unwrap_or_default();
            if !arguments.contains_key(required) {
                return Err(Error::invalid(required, format!("is required by method `{method}`")));
            }
        }
        for (key, value) in &mut arguments {
            if let Value::String(text) = value
                && types_of(&properties[key]).iter().any(|t| t == "integer")
                && !types_of(&properties[key]).iter().any(|t| t == "string")
                && let Ok(number) = text.trim().parse::<i64>()
            {
                *value = json!(number);
            }
        }
        Ok(((*op).to_owned(), Some(arguments)))
    }
}

fn op_name(group: &Group, method: &str) -> &'static str {
    group.methods.iter().find(|(m, _)| *m == method).map_or("", |(_, op)| op)
}

/// The `type` of a schema node as a list.
fn types_of(node: &Value) -> Vec<String> {
    match &node["type"] {
        Value::String(t) => vec![t.clone()],
        Value::Array(types) => types.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        _ => Vec::new(),
    }
}

/// One `type` per property: a string-or-number id or cursor is listed as a string (the
/// operations still take numbers), so that single-type schema dialects accept it; and no
/// references: `$defs` are written out where they are used.
fn portable(schema: &mut JsonObject) {
    let defs = schema.remove("$defs");
    if let Some(Value::Object(properties)) = schema.get_mut("properties") {
        for node in properties.values_mut() {
            *node = inline(node, defs.as_ref(), 0);
            if let Value::Object(node) = node {
                portable_node(node);
            }
        }
    }
}

/// `node` with every `{"$ref": "#/$defs/X"}` replaced by the definition X (the argument types
/// are not recursive; the depth bound only guards against a definition that would be).
fn inline(node: &Value, defs: Option<&Value>, depth: usize) -> Value {
    match node {
        Value::Object(object) => {
            if let Some(Value::String(target)) = object.get("$ref")
                && let Some(name) = target.strip_prefix("#/$defs/")
                && let Some(def) = defs.and_then(|d| d.get(name))
                && depth < 8
            {
                return inline(def, defs, depth + 1);
            }
            Value::Object(object.iter().map(|(k, v)| (k.clone(), inline(v, defs, depth + 1))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| inline(v, defs, depth + 1)).collect()),
        other => other.clone(),
    }
}

fn portable_node(node: &mut JsonObject) {
    if let Some(Value::Array(types)) = node.get("type") {
        let types: Vec<&str> = types.iter().filter_map(Value::as_str).filter(|t| *t != "null").collect();
        // A list that also takes one bare id is listed as the list.
        let one = ["array", "string"].into_iter().find(|t| types.contains(t)).or(types.first().copied());
        let one = one.unwrap_or("string");
        node.insert("type".into(), json!(one));
    }
    if let Some(Value::Object(items)) = node.get_mut("items") {
        portable_node(items);
    }
}

/// `readOnlyHint`, and only the other hints that differ from MCP's defaults
/// (`destructiveHint` true, `idempotentHint` false, `openWorldHint` true); those mean
/// something only for tools that change data.
fn lean_annotations(title: Option<String>, a: &ToolAnnotations) -> ToolAnnotations {
    let mut lean = ToolAnnotations::new();
    lean.title = title;
    if a.read_only_hint == Some(true) {
        return lean.read_only(true);
    }
    lean = lean.read_only(false);
    if a.destructive_hint == Some(false) {
        lean = lean.destructive(false);
    }
    if a.idempotent_hint == Some(true) {
        lean = lean.idempotent(true);
    }
    lean
}

/// The listed tool of a group: `method` first, then every argument of its operations once
/// (arguments all methods need are required), and one line per method saying what it does and
/// what it needs beyond those.
fn group_tool(group: &Group, offered: &[(&'static str, &Tool)]) -> Result<Tool> {
    let reads = offered.iter().filter(|(_, t)| is_read_only(t)).count();
    if reads != 0 && reads != offered.len() {
        return Err(Error::Internal(format!("{} mixes reads and writes", group.name)));
    }
    let required_of = |tool: &Tool| -> Vec<String> {
        tool.input_schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()
    };
    let common: Vec<String> = required_of(offered[0].1)
        .into_iter()
        .filter(|arg| offered.iter().all(|(_, t)| required_of(t).contains(arg)))
        .collect();
    let mut properties = Map::new();
    properties.insert(
        "method".into(),
        json!({"type": "string", "enum": offered.iter().map(|(m, _)| *m).collect::<Vec<_>>()}),
    );
    let mut description = format!("{}\nMethods:", group.about);
    for (method, tool) in offered {
        let schema = tool.input_schema.as_ref();
        let defs = schema.get("$defs");
        for (key, node) in schema.get("properties").and_then(Value::as_object).into_iter().flatten() {
            if properties.contains_key(key) {
                continue;
            }
            let mut node = inline(node, defs, 0).as_object().cloned().unwrap_or_default();
            portable_node(&mut node);
            if let Some((_, text)) = group.args.iter().find(|(arg, _)| arg == key) {
                node.insert("description".into(), json!(text));
            }
            if node.get("description").and_then(Value::as_str).is_some_and(|d| restates(key, d)) {
                node.remove("description");
            }
            properties.insert(key.clone(), Value::Object(node));
        }
        let needs: Vec<String> = required_of(tool).into_iter().filter(|arg| !common.contains(arg)).collect();
        let what = first_sentence(tool.description.as_deref().unwrap_or_default());
        description.push_str(&format!("\n- {method}: {what}"));
        if !needs.is_empty() {
            description.push_str(&format!(" Needs {}.", needs.join(", ")));
        }
    }
    let mut required = vec![json!("method")];
    required.extend(common.iter().map(|arg| json!(arg)));
    let mut schema = JsonObject::new();
    schema.insert("type".into(), json!("object"));
    schema.insert("properties".into(), Value::Object(properties));
    schema.insert("required".into(), Value::Array(required));
    let annotations = if reads == offered.len() {
        ToolAnnotations::with_title(group.title).read_only(true)
    } else {
        // A group changes data destructively if any method may; it is idempotent only if
        // every method is.
        let destructive = offered
            .iter()
            .any(|(_, t)| t.annotations.as_ref().is_none_or(|a| a.destructive_hint != Some(false)));
        let idempotent = offered
            .iter()
            .all(|(_, t)| t.annotations.as_ref().is_some_and(|a| a.idempotent_hint == Some(true)));
        let merged = ToolAnnotations::new().destructive(destructive).idempotent(idempotent);
        lean_annotations(Some(group.title.to_owned()), &merged)
    };
    Ok(Tool::new(group.name, description, Arc::new(schema)).with_annotations(annotations))
}

/// A description that only says the argument's name again ("Task id." of `task_id`): it costs
/// context and tells the model nothing.
fn restates(name: &str, description: &str) -> bool {
    let words = description.trim().trim_end_matches('.').to_lowercase();
    words == name.replace('_', " ")
}

/// The first sentence of an operation's description, on one line: it ends at a full stop
/// followed by a capital letter (so "e.g. \"x\"" does not end it).
fn first_sentence(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let end = flat
        .match_indices(". ")
        .map(|(at, _)| at)
        .find(|at| flat[at + 2..].starts_with(|c: char| c.is_uppercase()) && !flat[..*at].ends_with("e.g"));
    match end {
        Some(end) => flat[..=end].to_owned(),
        None => flat,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(name: &'static str, read_only: bool, schema: Value) -> Tool {
        Tool::new(
            name,
            format!("Does {name}. More words."),
            Arc::new(schema.as_object().cloned().expect("object")),
        )
        .with_annotations(ToolAnnotations::new().read_only(read_only).destructive(false))
    }

    const GROUP: Group = Group {
        name: "t_issue_read",
        title: "T: issues",
        about: "Issues.",
        methods: &[("get", "t_get_issue"), ("search", "t_search_issues")],
        args: &[("limit", "1-100.")],
    };

    fn operations() -> Vec<Tool> {
        vec![
            op(
                "t_get_issue",
                true,
                json!({"type": "object", "properties": {"id": {"type": "integer", "description": "Id."},
                       "project": {"type": "string", "description": "Project identifier."}},
                       "required": ["id", "project"]}),
            ),
            op(
                "t_search_issues",
                true,
                json!({"type": "object", "properties": {"project": {"type": "string"},
                       "cursor": {"type": ["string", "integer"]}, "limit": {"type": "integer"}},
                       "required": ["project"]}),
            ),
            op("t_whoami", true, json!({"type": "object", "properties": {}})),
        ]
    }

    #[test]
    fn groups_list_one_tool_with_methods_and_portable_arguments() {
        let catalog = Catalog::build(&operations(), [&GROUP]).expect("catalog");
        let names: Vec<&str> = catalog.tools().iter().map(|t| t.name.as_ref()).collect();
        assert_eq!(names, ["t_issue_read", "t_whoami"]);
        let tool = catalog.get("t_issue_read").expect("group");
        let schema = serde_json::to_value(tool.input_schema.as_ref()).expect("json");
        assert_eq!(schema["required"], json!(["method", "project"]));
        assert_eq!(schema["properties"]["method"]["enum"], json!(["get", "search"]));
        assert_eq!(schema["properties"]["cursor"]["type"], "string");
        assert_eq!(schema["properties"]["limit"]["description"], "1-100.");
        assert_eq!(
            schema["properties"]["id"],
            json!({"type": "integer"}),
            "a description that restates the name"
        );
        assert_eq!(schema["properties"]["project"]["description"], "Project identifier.");
        let text = tool.description.as_deref().expect("description");
        assert!(
            text.contains("- get: Does t_get_issue. Needs id.")
                && text.contains("- search: Does t_search_issues."),
            "{text}"
        );
        assert_eq!(tool.annotations.as_ref().and_then(|a| a.read_only_hint), Some(true));
        assert_eq!(tool.annotations.as_ref().and_then(|a| a.destructive_hint), None);
    }

    #[test]
    fn a_call_is_resolved_to_its_operation_or_refused_naming_the_argument() {
        let ops = operations();
        let catalog = Catalog::build(&ops, [&GROUP]).expect("catalog");
        let find = |name: &str| ops.iter().find(|t| t.name == name).cloned();
        let args = |v: Value| v.as_object().cloned();
        let (op, a) = catalog
            .resolve("t_issue_read", args(json!({"method": "get", "id": "12", "project": "p"})), find)
            .expect("resolved");
        assert_eq!(op, "t_get_issue");
        assert_eq!(Value::Object(a.expect("args")), json!({"id": 12, "project": "p"}));
        let refusal =
            |v: Value| catalog.resolve("t_issue_read", args(v), find).expect_err("refused").client_message();
        assert!(refusal(json!({"project": "p"})).contains("`method`"));
        assert!(refusal(json!({"method": "delete", "project": "p"})).contains("one of: get, search"));
        assert!(refusal(json!({"method": "get", "project": "p"})).contains("`id`"));
        assert!(refusal(json!({"method": "search", "project": "p", "id": 3})).contains("`id`"));
        let (op, _) = catalog.resolve("t_whoami", None, find).expect("passed on");
        assert_eq!(op, "t_whoami");
    }

    #[test]
    fn a_method_line_is_the_operation_s_first_sentence() {
        assert_eq!(
            first_sentence("History: who changed what, e.g. \"status: A -> B\". Also more."),
            "History: who changed what, e.g. \"status: A -> B\"."
        );
        assert_eq!(first_sentence("One line.\nNext line."), "One line.");
        assert_eq!(first_sentence("No stop"), "No stop");
    }

    #[test]
    fn unserved_methods_are_not_offered_and_empty_groups_not_listed() {
        let ops: Vec<Tool> = operations().into_iter().filter(|t| t.name != "t_get_issue").collect();
        let catalog = Catalog::build(&ops, [&GROUP]).expect("catalog");
        let schema = serde_json::to_value(catalog.get("t_issue_read").expect("group").input_schema.as_ref())
            .expect("json");
        assert_eq!(schema["properties"]["method"]["enum"], json!(["search"]));
        let only_whoami: Vec<Tool> = operations().into_iter().filter(|t| t.name == "t_whoami").collect();
        assert!(Catalog::build(&only_whoami, [&GROUP]).expect("catalog").get("t_issue_read").is_none());
    }
}
