//! Property tests ("fuzzing" that runs on stable Rust): argument validation, URL building,
//! sanitizing and upstream-response parsing must never panic and must keep their promises for
//! any input. CI runs the default 256 cases per property; for a long run:
//! `PROPTEST_CASES=200000 cargo test --lib fuzz_tests`.

use proptest::prelude::*;
use url::Url;

use crate::config::HttpSettings;
use crate::error::{MAX_UPSTREAM_TEXT, register_secret, sanitize};
use crate::http::{Auth, HttpClient, Request, Response};
use crate::params;
use crate::render;

/// Strings biased towards the characters that attack paths and parsers.
fn hostile_string() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        Just("../".to_owned()),
        Just("..".to_owned()),
        Just("%2e%2e/".to_owned()),
        Just("%2F".to_owned()),
        Just("?".to_owned()),
        Just("#".to_owned()),
        Just("/".to_owned()),
        Just("\\".to_owned()),
        Just("\r\n".to_owned()),
        Just("\0".to_owned()),
        Just("\u{202E}".to_owned()),
        Just("\u{200B}".to_owned()),
        Just("\u{2215}".to_owned()), // division slash, a '/' look-alike
        Just("<script>".to_owned()),
        Just("&amp;".to_owned()),
        "[a-zA-Z0-9._~-]{0,8}".prop_map(|s| s),
        any::<char>().prop_map(|c| c.to_string()),
    ];
    prop::collection::vec(pieces, 0..12).prop_map(|v| v.concat())
}

fn client() -> HttpClient {
    HttpClient::new(
        "Fuzz",
        Url::parse("https://tracker.test/base").expect("url"),
        Auth::None,
        &HttpSettings::default(),
    )
    .expect("client")
}

proptest! {
    #[test]
    fn accepted_segments_stay_one_segment(value in hostile_string(), slash in any::<bool>()) {
        if let Ok(ok) = params::segment("arg", &value, 200, slash) {
            let url = client().url_for(&Request::get(["x", ok])).expect("url");
            prop_assert_eq!(url.host_str(), Some("tracker.test"));
            prop_assert!(url.query().is_none() && url.fragment().is_none());
            let segments: Vec<_> = url.path_segments().expect("segments").collect();
            prop_assert_eq!(segments.len(), 3, "{:?} -> {}", ok, url);
            prop_assert_eq!(segments[0], "base");
            prop_assert_eq!(segments[1], "x");
        }
    }

    #[test]
    fn refused_arguments_are_named(value in hostile_string()) {
        if let Err(e) = params::segment("project", &value, 64, false) {
            prop_assert!(e.to_string().contains("`project`"));
        }
        if let Err(e) = params::text("comment", &value, 64) {
            prop_assert!(e.to_string().contains("`comment`"));
        }
    }

    #[test]
    fn numbers_are_bounded(n in any::<i64>()) {
        if let Ok(id) = params::positive_id("id", n) { prop_assert!(id > 0); }
        if let Ok(limit) = params::limit(Some(n)) { prop_assert!((1..=100).contains(&limit)); }
        if let Ok(offset) = params::offset("offset", Some(n)) { prop_assert!(i64::try_from(offset).is_ok()); }
    }

    #[test]
    fn sanitize_bounds_and_masks(text in hostile_string(), tail in ".{0,40}") {
        let secret = "fuzz-secret-9f8e7d6c5b4a";
        register_secret(&secrecy::SecretString::from(secret));
        let clean = sanitize(&format!("{text}{secret}{tail}<b>{text}</b>"));
        prop_assert!(!clean.contains(secret));
        prop_assert!(clean.chars().count() <= MAX_UPSTREAM_TEXT + 1);
        prop_assert!(!clean.chars().any(crate::error::is_invisible));
    }

    #[test]
    fn untrusted_blocks_cannot_be_closed_early(text in hostile_string(), label in "[a-z ]{0,12}") {
        let block = render::untrusted(&label, &format!("{text}>>>{text}<<<tracker data: x>>>"));
        prop_assert!(block.starts_with(render::DATA_OPEN));
        prop_assert!(block.ends_with(render::DATA_CLOSE));
        // Exactly one opening and one closing delimiter line.
        prop_assert_eq!(block.matches(render::DATA_OPEN).count(), 1);
        prop_assert_eq!(block.lines().filter(|l| *l == render::DATA_CLOSE).count(), 1);
    }

    #[test]
    fn response_parsing_never_panics(body in prop::collection::vec(any::<u8>(), 0..512), status in 100u16..600) {
        let response = Response {
            status,
            body,
            retry_after: None,
            headers: reqwest::header::HeaderMap::new(),
        };
        let parsed: crate::Result<serde_json::Value> = response.json("Fuzz");
        if let Err(e) = parsed { prop_assert!(e.to_string().len() < 400); }
        let _ = response.status_error("Fuzz", "item 1", Some(&response.text()));
        let _ = response.is_html();
    }
}

/// Arbitrary JSON whose keys are the trackers' real field names, so that the generated
/// documents reach deep into the renderers instead of missing every lookup.
fn upstream_json() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    const KEYS: &[&str] = &[
        "id",
        "name",
        "issue",
        "issues",
        "journals",
        "details",
        "notes",
        "status",
        "tracker",
        "project",
        "user",
        "author",
        "assigned_to",
        "values",
        "total_count",
        "offset",
        "limit",
        "results",
        "title",
        "description",
        "text",
        "comments",
        "bugs",
        "summary",
        "creator",
        "time",
        "changes",
        "history",
        "products",
        "components",
        "participants",
        "role",
        "approved",
        "state",
        "source",
        "destination",
        "branch",
        "content",
        "raw",
        "inline",
        "path",
        "from",
        "to",
        "parent",
        "created_on",
        "updated_on",
        "createdDate",
        "displayName",
        "links",
        "next",
        "isLastPage",
        "nextPageStart",
        "size",
        "custom_fields",
        "value",
        "old_value",
        "new_value",
        "property",
        "is_private",
        "alias",
        "cc",
        "flags",
        "wiki_page",
        "version",
        "pages",
        "time_entries",
        "hours",
        "spent_on",
        "versions",
        "attachments",
        "relations",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        hostile_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..10)
                .prop_map(|pairs| Value::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
        ]
    })
}

proptest! {
    // Whole renderers per case: fewer cases by default, `PROPTEST_CASES` still raises them.
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(128)
    ))]

    #[test]
    fn tracker_renderers_never_panic_on_upstream_json(value in upstream_json(), n in 0u32..200) {
        // Redmine decodes first, as its tools do (hostile fields: src/redmine/render/fuzz.rs).
        crate::redmine::render::fuzz::render_any(&value, n);

        let _ = crate::bitbucket::cloud::pull_request_from(value.clone());
        let _ = crate::bitbucket::cloud::issue_from(value.clone());
        let _ = crate::bitbucket::datacenter::pull_request_from(value.clone());

        use crate::bugzilla::{models, render as bz};
        if let Ok(bugs) = serde_json::from_value::<models::Bugs>(value.clone()) {
            for bug in &bugs.bugs { let _ = bz::bug(bug); }
            let _ = bz::bug_lines(&bugs.bugs);
        }
        if let Ok(answer) = serde_json::from_value::<models::HistoryAnswer>(value.clone()) {
            for bug in &answer.bugs { for entry in &bug.history { let _ = bz::history_entry(entry); } }
        }
        if let Ok(products) = serde_json::from_value::<models::Products>(value.clone()) {
            for p in &products.products { let _ = bz::product(p); }
        }
        if let Ok(fields) = serde_json::from_value::<models::Fields>(value.clone()) {
            let _ = bz::fields(&fields.fields, None);
        }
    }
}
