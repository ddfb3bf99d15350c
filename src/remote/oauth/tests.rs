use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _};
use serde_json::json;

use super::*;

/// Nothing listens there: a fetch fails at once.
const ISSUER: &str = "http://127.0.0.1:9";
const AUDIENCE: &str = "https://mcp.example.com/mcp";
const NOW: i64 = 1_900_000_000;

struct Signer {
    ec: EcdsaKeyPair,
    ed: Ed25519KeyPair,
}

impl Signer {
    fn new() -> Self {
        let rng = SystemRandom::new();
        let ec_doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).expect("ec");
        let ec =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, ec_doc.as_ref(), &rng).expect("ec");
        let ed_doc = Ed25519KeyPair::generate_pkcs8(&rng).expect("ed");
        let ed = Ed25519KeyPair::from_pkcs8(ed_doc.as_ref()).expect("ed");
        Self { ec, ed }
    }

    fn jwks(&self) -> Value {
        let point = self.ec.public_key().as_ref();
        json!({"keys": [
            {"kty": "EC", "crv": "P-256", "kid": "ec-1", "use": "sig",
             "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..])},
            {"kty": "OKP", "crv": "Ed25519", "kid": "ed-1", "x": URL_SAFE_NO_PAD.encode(self.ed.public_key().as_ref())},
            {"kty": "EC", "crv": "P-256", "kid": "enc-1", "use": "enc",
             "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..])}
        ]})
    }

    fn token(&self, header: &Value, claims: &Value) -> String {
        let signed = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let sig = match header["alg"].as_str() {
            Some("ES256") => {
                self.ec.sign(&SystemRandom::new(), signed.as_bytes()).expect("sign").as_ref().to_vec()
            }
            Some("EdDSA") => self.ed.sign(signed.as_bytes()).as_ref().to_vec(),
            _ => Vec::new(),
        };
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(sig))
    }
}

fn claims() -> Value {
    json!({"iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "exp": NOW + 600, "iat": NOW - 5,
           "scope": "openid tracker:read"})
}

async fn verifier(signer: &Signer) -> OAuth {
    let oauth = OAuth::new(&Url::parse(ISSUER).expect("url"), AUDIENCE, None).expect("oauth");
    let mut cache = oauth.cache.lock().await;
    cache.keys = parse_jwks(&signer.jwks());
    cache.last = Some((Instant::now(), true));
    drop(cache);
    oauth
}

fn with(mut base: Value, changes: Value) -> Value {
    if let (Value::Object(map), Value::Object(more)) = (&mut base, changes) {
        for (k, v) in more {
            if v.is_null() {
                map.remove(&k);
            } else {
                map.insert(k, v);
            }
        }
    }
    base
}

#[test]
fn only_signature_keys_of_known_types_are_kept() {
    let keys = parse_jwks(&Signer::new().jwks());
    assert_eq!(keys.len(), 2, "the encryption key is skipped: {keys:?}");
}

#[tokio::test]
async fn good_tokens_pass_with_their_subject_and_scopes() {
    let signer = Signer::new();
    let oauth = verifier(&signer).await;
    for (alg, kid) in [("ES256", "ec-1"), ("EdDSA", "ed-1")] {
        let token = signer.token(&json!({"alg": alg, "kid": kid, "typ": "at+jwt"}), &claims());
        let verified = oauth.verify_at(&token, NOW).await.expect(alg);
        assert_eq!(verified.subject, "alice");
        assert_eq!(verified.scopes, ["openid", "tracker:read"]);
    }
    let many = with(
        claims(),
        json!({"aud": ["https://other.example", AUDIENCE], "scope": null, "scp": ["tracker:write"]}),
    );
    let token = signer.token(&json!({"alg": "ES256", "kid": "ec-1"}), &many);
    assert_eq!(oauth.verify_at(&token, NOW).await.expect("array aud").scopes, ["tracker:write"]);
}

#[tokio::test]
async fn every_bad_token_is_rejected() {
    let signer = Signer::new();
    let oauth = verifier(&signer).await;
    let es = json!({"alg": "ES256", "kid": "ec-1"});
    let reject = |token: String| {
        let oauth = &oauth;
        async move { oauth.verify_at(&token, NOW).await.expect_err("accepted") }
    };
    let claim = |changes: Value| signer.token(&es, &with(claims(), changes));
    assert_eq!(reject(claim(json!({"exp": NOW - 31}))).await, Rejection::Claim("expired"));
    assert!(oauth.verify_at(&claim(json!({"exp": NOW - 29})), NOW).await.is_ok(), "within the leeway");
    assert_eq!(reject(claim(json!({"nbf": NOW + 120}))).await, Rejection::Claim("not yet valid"));
    assert_eq!(reject(claim(json!({"iat": NOW + 120}))).await, Rejection::Claim("not yet valid"));
    assert!(matches!(reject(claim(json!({"aud": "https://other.example"}))).await, Rejection::Claim(_)));
    assert!(matches!(reject(claim(json!({"iss": "https://evil.example"}))).await, Rejection::Claim(_)));
    // Type confusion (CVE-2026-25537): a string `nbf` or `exp` is malformed, not absent.
    assert!(matches!(reject(claim(json!({"nbf": "99999999999"}))).await, Rejection::Malformed(_)));
    assert!(matches!(reject(claim(json!({"exp": "never"}))).await, Rejection::Malformed(_)));
    assert!(matches!(reject(claim(json!({"exp": null}))).await, Rejection::Malformed(_)));
    // Tampered payload, tampered signature.
    let good = signer.token(&es, &claims());
    let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
    parts[1] = URL_SAFE_NO_PAD.encode(with(claims(), json!({"scope": "tracker:write"})).to_string());
    assert_eq!(reject(parts.join(".")).await, Rejection::BadSignature);
    let mut sig = URL_SAFE_NO_PAD.decode(good.rsplit('.').next().expect("sig")).expect("b64");
    sig[0] ^= 1;
    let tampered = format!("{}.{}", good.rsplit_once('.').expect("head").0, URL_SAFE_NO_PAD.encode(sig));
    assert_eq!(reject(tampered).await, Rejection::BadSignature);
    // alg none, HMAC (with the public key as the secret would be), another key's type.
    assert!(matches!(
        reject(signer.token(&json!({"alg": "none"}), &claims())).await,
        Rejection::Malformed(_)
    ));
    assert!(matches!(
        reject(signer.token(&json!({"alg": "HS256", "kid": "ec-1"}), &claims())).await,
        Rejection::Malformed(_)
    ));
    let ed_as_es = signer.token(&json!({"alg": "EdDSA", "kid": "ec-1"}), &claims());
    assert_eq!(reject(ed_as_es).await, Rejection::UnknownKey);
    assert!(matches!(
        reject(signer.token(&json!({"alg": "ES256", "kid": "ec-1", "crit": ["exp"]}), &claims())).await,
        Rejection::Malformed(_)
    ));
    // Shapes.
    assert!(matches!(reject("a.b".to_owned()).await, Rejection::Malformed(_)));
    assert!(matches!(reject("a.b.c.d".to_owned()).await, Rejection::Malformed(_)));
    assert!(matches!(reject("x".repeat(MAX_TOKEN_BYTES + 1)).await, Rejection::Malformed(_)));
}

#[tokio::test]
async fn an_unknown_kid_refetches_at_most_once_a_minute() {
    let signer = Signer::new();
    let oauth = verifier(&signer).await;
    // The cache was just filled: an unknown kid does not trigger a fetch (which would fail
    // here, there being no issuer), it is simply unknown.
    let token = signer.token(&json!({"alg": "ES256", "kid": "rotated-2"}), &claims());
    assert_eq!(oauth.verify_at(&token, NOW).await, Err(Rejection::UnknownKey));
    // A minute later it may fetch; the fetch fails (no such host), so: unavailable.
    oauth.cache.lock().await.last = Some((Instant::now() - REFETCH_INTERVAL, true));
    assert_eq!(oauth.verify_at(&token, NOW).await, Err(Rejection::Unavailable));
    // ... and the next attempt waits for the retry interval.
    assert_eq!(oauth.verify_at(&token, NOW).await, Err(Rejection::Unavailable));
}

#[test]
fn metadata_is_looked_for_where_rfc_8414_and_openid_put_it() {
    assert_eq!(
        metadata_urls("https://as.example.com/tenant/").expect("urls"),
        [
            "https://as.example.com/.well-known/oauth-authorization-server/tenant",
            "https://as.example.com/tenant/.well-known/openid-configuration"
        ]
    );
    assert_eq!(
        metadata_urls("https://as.example.com").expect("urls")[0],
        "https://as.example.com/.well-known/oauth-authorization-server"
    );
}
