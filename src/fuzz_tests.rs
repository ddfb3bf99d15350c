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
        if let Ok(offset) = params::offset(Some(n)) { prop_assert!(i64::try_from(offset).is_ok()); }
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
            content_type: None,
            body,
            location: None,
            retry_after: None,
            headers: reqwest::header::HeaderMap::new(),
        };
        let parsed: crate::Result<serde_json::Value> = response.json("Fuzz");
        if let Err(e) = parsed { prop_assert!(e.to_string().len() < 400); }
        let _ = response.status_error("Fuzz", "item 1", Some(&response.text()));
        let _ = response.is_html();
    }
}
