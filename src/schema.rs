//! Input schemas made compact for the model's context window. Every byte of `tools/list` is
//! paid for in every conversation, so what carries no meaning for a model goes: `$schema`,
//! integer `format`s, `null` in an optional argument's type (optional is already said by not
//! being `required`), and defaults that only restate "absent" (`false`, `null`, `[]`).

use rmcp::model::JsonObject;
use serde_json::Value;

/// Compact one input schema in place (recursively: properties, items, `$defs`).
pub fn compact(schema: &mut JsonObject) {
    schema.remove("$schema");
    compact_node(schema);
}

fn compact_node(node: &mut JsonObject) {
    node.remove("format");
    if matches!(node.get("default"), Some(Value::Bool(false) | Value::Null))
        || node.get("default").and_then(Value::as_array).is_some_and(Vec::is_empty)
    {
        node.remove("default");
    }
    if let Some(Value::Array(types)) = node.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            let only = types.remove(0);
            node.insert("type".into(), only);
        }
    }
    for key in ["properties", "$defs"] {
        if let Some(Value::Object(children)) = node.get_mut(key) {
            for child in children.values_mut() {
                if let Value::Object(child) = child {
                    compact_node(child);
                }
            }
        }
    }
    if let Some(Value::Object(items)) = node.get_mut("items") {
        compact_node(items);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compacts_without_losing_meaning() {
        let mut schema = serde_json::json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {
                "id": {"type": "integer", "format": "int64", "description": "Bug id."},
                "note": {"type": ["string", "null"]},
                "dry_run": {"type": "boolean", "default": false},
                "cc": {"type": "array", "default": [], "items": {"type": "integer", "format": "uint32"}},
                "limit": {"type": "integer", "default": 20}
            },
            "required": ["id"]
        });
        let object = schema.as_object_mut().expect("object");
        compact(object);
        assert_eq!(
            schema,
            serde_json::json!({
                "type": "object",
                "properties": {
                    "id": {"type": "integer", "description": "Bug id."},
                    "note": {"type": "string"},
                    "dry_run": {"type": "boolean"},
                    "cc": {"type": "array", "items": {"type": "integer"}},
                    "limit": {"type": "integer", "default": 20}
                },
                "required": ["id"]
            })
        );
    }
}

/// Deepest nesting accepted in arguments (objects and arrays).
pub const MAX_DEPTH: usize = 8;
/// Longest string accepted in any argument, in bytes (tools set tighter bounds of their own).
pub const MAX_STRING: usize = 1024 * 1024;

/// Check arguments against a tool's input schema before the tool runs, so that a wrong type,
/// a number that is not a whole number in range, a huge string or deeply nested JSON is
/// refused with a message naming the argument (serde's own messages do not name it).
pub fn validate_arguments(schema: &JsonObject, arguments: Option<&JsonObject>) -> crate::Result<()> {
    let Some(arguments) = arguments else { return Ok(()) };
    let properties = schema.get("properties").and_then(Value::as_object);
    for (name, value) in arguments {
        check_size(name, value, 0)?;
        let Some(spec) = properties.and_then(|p| p.get(name)).and_then(Value::as_object) else { continue };
        check_type(name, spec, value)?;
        if let (Some(Value::Object(items)), Value::Array(values)) = (spec.get("items"), value) {
            for item in values {
                check_type(name, items, item)?;
            }
        }
    }
    Ok(())
}

fn check_size(name: &str, value: &Value, depth: usize) -> crate::Result<()> {
    if depth > MAX_DEPTH {
        return Err(crate::Error::invalid(name, format!("is nested deeper than {MAX_DEPTH} levels")));
    }
    match value {
        Value::String(s) if s.len() > MAX_STRING => {
            Err(crate::Error::invalid(name, format!("is longer than {MAX_STRING} bytes")))
        }
        Value::Array(items) => items.iter().try_for_each(|v| check_size(name, v, depth + 1)),
        Value::Object(map) => map.values().try_for_each(|v| check_size(name, v, depth + 1)),
        _ => Ok(()),
    }
}

fn check_type(name: &str, spec: &JsonObject, value: &Value) -> crate::Result<()> {
    let types: Vec<&str> = match spec.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => return Ok(()),
    };
    let fits = |t: &str| match (t, value) {
        ("integer", Value::Number(n)) => n.is_i64() || n.is_u64(),
        ("number", Value::Number(_))
        | ("string", Value::String(_))
        | ("boolean", Value::Bool(_))
        | ("array", Value::Array(_))
        | ("object", Value::Object(_))
        | ("null", Value::Null) => true,
        _ => false,
    };
    if types.iter().any(|t| fits(t)) {
        return Ok(());
    }
    let got = match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a number that is not a whole number in range",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    let wanted: Vec<&str> = types
        .iter()
        .map(|t| match *t {
            "integer" => "a whole number",
            "string" => "a string",
            "boolean" => "true or false",
            "array" => "an array",
            "object" => "an object",
            "number" => "a number",
            other => other,
        })
        .collect();
    Err(crate::Error::invalid(name, format!("must be {}, not {got}", wanted.join(" or "))))
}

#[cfg(test)]
mod validate_tests {
    use serde_json::json;

    use super::*;

    fn schema() -> JsonObject {
        json!({"type": "object", "properties": {
            "id": {"type": "integer"},
            "bug": {"type": ["integer", "string"]},
            "ids": {"type": "array", "items": {"type": "integer"}},
            "dry_run": {"type": "boolean"}
        }})
        .as_object()
        .cloned()
        .expect("object")
    }

    fn check(arguments: serde_json::Value) -> Result<(), String> {
        validate_arguments(&schema(), arguments.as_object()).map_err(|e| e.to_string())
    }

    #[test]
    fn wrong_types_are_named() {
        assert!(check(json!({"id": 4, "bug": "alias", "ids": [1, 2], "dry_run": true})).is_ok());
        let e = check(json!({"id": "4"})).expect_err("string id");
        assert!(e.contains("`id`") && e.contains("whole number"), "{e}");
        let e = check(json!({"id": 1e30})).expect_err("overflow");
        assert!(e.contains("`id`") && e.contains("not a whole number in range"), "{e}");
        let e = check(json!({"id": 18_446_744_073_709_551_615u64})).map(|()| "ok");
        assert!(e.is_ok(), "u64 max is an integer; the tool bounds it");
        let e = check(json!({"ids": [1, "x"]})).expect_err("item");
        assert!(e.contains("`ids`"), "{e}");
        let e = check(json!({"dry_run": "yes"})).expect_err("bool");
        assert!(e.contains("`dry_run`") && e.contains("true or false"), "{e}");
    }

    #[test]
    fn deep_and_huge_values_are_refused() {
        let mut deep = json!(1);
        for _ in 0..20 {
            deep = json!([deep]);
        }
        let e = check(json!({"anything": deep})).expect_err("deep");
        assert!(e.contains("`anything`") && e.contains("nested"), "{e}");
        let e = check(json!({"note": "x".repeat(MAX_STRING + 1)})).expect_err("huge");
        assert!(e.contains("`note`") && e.contains("longer"), "{e}");
    }
}
