//! The README is a checked artefact: its tool tables match the real `tools/list`, and it
//! documents every variable the binary reads.

use std::collections::BTreeSet;

use crate::schemas::{all_operations, all_tools};

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md")
}

#[tokio::test]
async fn tool_tables_match_tools_list() {
    let rows: Vec<Vec<String>> = readme()
        .lines()
        .filter(|line| line.starts_with("| `"))
        .map(|line| {
            line.trim()
                .trim_matches('|')
                .split('|')
                .map(|cell| cell.trim().trim_matches('`').to_owned())
                .collect()
        })
        .filter(|cells: &Vec<String>| {
            crate::common::tracker_names().iter().any(|p| cells[0].starts_with(&format!("{p}_")))
        })
        .collect();
    let documented: BTreeSet<String> = rows.iter().map(|cells| cells[0].clone()).collect();
    let served: BTreeSet<String> =
        all_tools().await.iter().map(|t| t["name"].as_str().expect("name").to_owned()).collect();
    let missing: Vec<_> = served.difference(&documented).collect();
    let stale: Vec<_> = documented.difference(&served).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "README tool tables: missing {missing:?}, not served {stale:?}"
    );
    // Every operation has its row (tool, method, operation): the migration table for globs.
    let documented_ops: BTreeSet<String> =
        rows.iter().filter(|cells| cells.len() == 4).map(|cells| cells[3].clone()).collect();
    let operations: BTreeSet<String> =
        all_operations().iter().map(|t| t["name"].as_str().expect("name").to_owned()).collect();
    assert_eq!(documented_ops, operations, "README: the operation column must name every operation once");
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
