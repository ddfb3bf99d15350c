//! One pagination contract across every list tool of every tracker: `limit` and `cursor` in,
//! and every list ends with `has_more` and, when there is more, `next: cursor=<value>`.

use serde_json::Value;

use crate::schemas::all_operations;

/// The cursor a list footer offers (`next: cursor=<value>`), exactly as it is to be passed back.
pub fn next_cursor(text: &str) -> Option<String> {
    let rest = text.rsplit_once("next: cursor=")?.1;
    Some(rest.split_whitespace().next()?.to_owned())
}

#[tokio::test]
async fn every_list_tool_takes_limit_and_cursor_and_no_offset() {
    let tools = all_operations();
    let mut lists = 0;
    for tool in &tools {
        let name = tool["name"].as_str().expect("name");
        if !(name.contains("_list_") || name.contains("_search")) {
            continue;
        }
        lists += 1;
        let properties = tool["inputSchema"]["properties"].as_object().cloned().unwrap_or_default();
        for arg in ["limit", "cursor"] {
            assert!(properties.contains_key(arg), "{name}: no `{arg}` argument");
        }
        assert!(!properties.contains_key("offset"), "{name}: advertises `offset`; lists page with `cursor`");
        let types = &properties["cursor"]["type"];
        assert!(
            types == "string" || types.as_array().is_some_and(|t| t.contains(&Value::from("string"))),
            "{name}: a cursor is passed back as a string: {types}"
        );
    }
    assert!(lists >= 20, "only {lists} list tools found");
}

#[test]
fn the_next_cursor_is_read_from_the_footer() {
    assert_eq!(next_cursor("a\nShowing 1–20 of 45; has_more: true; next: cursor=20").as_deref(), Some("20"));
    assert_eq!(
        next_cursor("Showing 1–2 of 3; has_more: true; next: cursor=https://h/x?page=2#o=2 (note)")
            .as_deref(),
        Some("https://h/x?page=2#o=2")
    );
    assert_eq!(next_cursor("Showing 1–2 of 2; has_more: false"), None);
}
