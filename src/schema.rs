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
