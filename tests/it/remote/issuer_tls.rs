//! An OAuth issuer behind a private CA (a team's own identity provider): its keys are fetched
//! over TLS trusting `TRACKER_MCP_CA_BUNDLE`, as the trackers are; without the bundle the
//! fetch fails and the request is answered 503, never served.

use serde_json::json;

use super::{KEY, Remote, initialize, redmine};
use crate::fault_server::{Fault, FaultServer};

/// A JWT-shaped token whose `kid` the verifier has not seen, so it fetches the issuer's keys.
const UNKNOWN_KID_TOKEN: &str = "eyJhbGciOiJSUzI1NiIsImtpZCI6Im5ldyJ9.eyJzdWIiOiJ4In0.c2ln";

#[tokio::test]
async fn the_issuer_s_keys_are_fetched_trusting_the_ca_bundle() {
    let fake = redmine().await;
    let issuer = FaultServer::start_tls(Fault::Json("{}".into())).await;
    // One document for every path: the issuer's metadata and its key set.
    issuer.set(Fault::Json(
        json!({
            "issuer": issuer.url.trim_end_matches('/'),
            "jwks_uri": format!("{}/jwks", issuer.url.trim_end_matches('/')),
            "keys": [{"kty": "RSA", "kid": "k1", "use": "sig", "n": "wd-LD17s6hrbZk_-J8uYga4RI8lxA__7xmt_alWPIf0cteC7Cw07fs-81ZfwRqcKcEQf5mKcfWstrIW-vPFRY-X6uDT7rwd6og08SuwNo3E3eQ3q7oQLMy_TGr-AQK7gRasKk-Cg8BnYCYmhZlIBMR-ZD0hpLpard7ADpsXceBsVSviPJYSVxuOfwIlmoXpU68ys2tNB2C7qOLvi2hpRxK0Gx1NoqVYg2cSUGF5EBc6Qm4kolZWCi6KDt8CT_GLoDqVgQlW5FgZrJwX_EcBGJlWi88xVpa4XHVojUi-MJCwaqcxRLVPb3kJ5x5xyhcnNmhZ5eNbnzBheTqFPx-n7GA", "e": "AQAB"}]
        })
        .to_string(),
    ));
    let ca = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tls/ca.pem");
    let mut env = vec![
        ("TRACKER_MCP_MODE", "development"),
        ("TRACKER_MCP_VERIFY_ON_START", "false"),
        ("REDMINE_URL", ""),
        ("REDMINE_API_KEY", KEY),
        ("TRACKER_MCP_OAUTH_ISSUER", issuer.url.as_str()),
        ("TRACKER_MCP_OAUTH_AUDIENCE", "http://127.0.0.1/mcp"),
    ];
    let upstream = fake.uri();
    env[2].1 = upstream.as_str();
    for (bundle, expected) in [(None, 503), (Some(ca), 401)] {
        let mut env = env.clone();
        env.extend(bundle.map(|path| ("TRACKER_MCP_CA_BUNDLE", path)));
        let server = Remote::launch(&env, &[], false).await;
        let answer = server.post(Some(UNKNOWN_KID_TOKEN), initialize(1)).send().await.expect("send");
        assert_eq!(answer.status().as_u16(), expected, "bundle {bundle:?}: {}", server.stderr());
        if bundle.is_some() {
            // The keys came over TLS; this token's signature is what failed.
            assert!(
                server.stderr().contains("fetched the OAuth issuer's signing keys"),
                "{}",
                server.stderr()
            );
        }
        server.terminate().await;
    }
    assert!(fake.received_requests().await.unwrap_or_default().is_empty(), "nothing reached the tracker");
    assert!(
        issuer.requests().iter().any(|r| r.contains("/jwks")),
        "the key set was fetched: {:?}",
        issuer.requests()
    );
}
