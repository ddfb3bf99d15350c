//! Context cost: for fixed, real-shaped upstream answers (`tests/fixtures/context/`), the bytes
//! a tool result puts in the model's context versus the bytes of the raw upstream JSON for the
//! same content, and proof that every key field (ids, titles, states, people, dates, comment
//! text, diff lines) survives the compaction.
//!
//! What is counted is said in `cases.rs`. `CONTEXT_COST_SHOW=1` prints every result.
//!
//! Each object gets a fresh server (empty caches) and a fresh fake that answers only the paths
//! the tools really request; any other request fails the test.

pub mod cases;

use self::cases::{Case, Figures, cases, figures, serve, table};
use crate::common::{Server, dev_env};

/// Serve the answers, run the calls, and count.
async fn measure(case: &Case) -> Figures {
    let (upstream, sizes) = serve(case).await;
    let uri = upstream.uri();
    let mut env: Vec<(&str, &str)> =
        case.env.iter().map(|(k, v)| (*k, if v == "{uri}" { &uri } else { v.as_str() })).collect();
    env = dev_env(&env, false);
    let (mut server, _) = Server::start(&env).await;
    let mut text = String::new();
    for (tool, arguments) in &case.calls {
        text.push_str(&server.ok(tool, arguments.clone()).await);
        text.push('\n');
    }
    if std::env::var_os("CONTEXT_COST_SHOW").is_some() {
        eprintln!("--- {} ---\n{text}", case.name);
    }
    figures(case, &upstream, &sizes, text).await
}

#[tokio::test]
async fn results_are_a_fraction_of_the_raw_json_and_keep_every_key_field() {
    let mut figures = Vec::new();
    for case in cases() {
        let f = measure(&case).await;
        let missing: Vec<&String> =
            case.keys.iter().chain(&case.texts).filter(|k| !f.text.contains(k.as_str())).collect();
        assert!(
            missing.is_empty(),
            "{}: key fields missing from the result: {missing:#?}\n{}",
            case.name,
            f.text
        );
        assert!(case.keys.len() > 20, "{}: too few key fields checked", case.name);
        figures.push(f);
    }
    eprintln!("\nContext cost (result bytes vs raw upstream bytes)\n{}", table(&figures));
    for (f, case) in figures.iter().zip(cases()) {
        assert!(
            f.ratio() <= case.max_ratio,
            "{}: result is {:.1}% of the raw JSON ({} of {} bytes), at most {:.0}% expected\n{}",
            f.name,
            f.ratio() * 100.0,
            f.result,
            f.raw,
            case.max_ratio * 100.0,
            f.text
        );
    }
}
