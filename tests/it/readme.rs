//! The README is a checked artefact: its tool tables match the real `tools/list`, and it
//! documents every variable the binary reads.

use std::collections::BTreeSet;

use crate::schemas::all_tools;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md")
}

#[tokio::test]
async fn tool_tables_match_tools_list() {
    let documented: BTreeSet<String> = readme()
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split_once('`').map(|(name, _)| name.to_owned()))
        .filter(|name| crate::common::tracker_names().iter().any(|p| name.starts_with(&format!("{p}_"))))
        .collect();
    let served: BTreeSet<String> =
        all_tools().await.iter().map(|t| t["name"].as_str().expect("name").to_owned()).collect();
    let missing: Vec<_> = served.difference(&documented).collect();
    let stale: Vec<_> = documented.difference(&served).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "README tool tables: missing {missing:?}, not served {stale:?}"
    );
}

#[test]
fn every_variable_is_documented() {
    let text = readme();
    for (name, _) in tracker_mcp::config::VARIABLES {
        assert!(text.contains(&format!("| `{name}` |")), "README lacks a row for {name}");
    }
}

#[test]
fn opens_with_install_and_test_commands() {
    let text = readme();
    let head: String = text.lines().take(8).collect::<Vec<_>>().join("\n");
    assert!(head.contains("cargo install --locked --path ."), "{head}");
    assert!(head.contains("scripts/test"), "{head}");
}
