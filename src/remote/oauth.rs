//! OAuth 2.1 resource server: access tokens are JWTs issued by `TRACKER_MCP_OAUTH_ISSUER` for
//! `TRACKER_MCP_OAUTH_AUDIENCE`, verified against the issuer's published keys.
//!
//! - Keys: the issuer's metadata (RFC 8414 `/.well-known/oauth-authorization-server`, then
//!   OpenID `/.well-known/openid-configuration`; its `issuer` must be ours) names `jwks_uri`.
//!   The key set is fetched on first use and again when a token names an unknown `kid`, at
//!   most once a minute (every 5 s while the issuer cannot be reached).
//! - Algorithms: RS256/384/512, PS256/384/512, ES256, ES384 and EdDSA (Ed25519), each only
//!   with a key of its own type (and the key's `alg`, when it has one). `none` and HMAC are
//!   never accepted, so a token "signed" with the public key as an HMAC secret fails.
//! - Claims, with strict types (a string `exp` is a malformed token, not a missing one):
//!   `iss` equal to the issuer, `aud` naming the audience (RFC 8707), `exp` required, `nbf`
//!   and `iat` honoured, all with [`LEEWAY`]. `crit` headers are refused.
//!
//! The signature math is `ring`'s (already compiled for rustls); this file only parses the
//! compact JWS and JWKs and checks the claims. (jsonwebtoken 9.x, also on ring, is affected
//! by CVE-2026-25537, a claim type confusion; its fixed releases need aws-lc or RustCrypto's
//! `rsa`, which carries RUSTSEC-2023-0071.)

use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::Mutex;
use url::Url;

/// Clock skew tolerated on `exp`, `nbf` and `iat`.
pub const LEEWAY: Duration = Duration::from_secs(30);
/// Shortest interval between two fetches of the key set after a successful one.
pub const REFETCH_INTERVAL: Duration = Duration::from_secs(60);
/// Shortest interval between two fetches while the issuer cannot be reached.
const RETRY_INTERVAL: Duration = Duration::from_secs(5);
/// Largest metadata or key-set document read.
const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;
/// Longest accepted token (headers are bounded anyway; this keeps decoding cheap).
const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// The scope every caller needs (`tracker:write` includes it).
pub const SCOPE_READ: &str = "tracker:read";
/// The scope that tools changing data need.
pub const SCOPE_WRITE: &str = "tracker:write";

/// What a verified token says about its caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// `sub`, or `client_id` for client-credential tokens, or `unknown`.
    pub subject: String,
    pub scopes: Vec<String>,
}

/// Why a token was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// Not a JWS we accept (shape, encoding, algorithm, `crit`, claim types).
    Malformed(&'static str),
    /// No key of the issuer matches the token's `kid` and algorithm.
    UnknownKey,
    /// The signature does not verify.
    BadSignature,
    /// A claim is wrong: issuer, audience, expired, not yet valid.
    Claim(&'static str),
    /// The issuer's keys could not be fetched (503, not 401: the token may be fine).
    Unavailable,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Alg {
    Rs256,
    Rs384,
    Rs512,
    Ps256,
    Ps384,
    Ps512,
    Es256,
    Es384,
    EdDsa,
}

impl Alg {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "RS256" => Self::Rs256,
            "RS384" => Self::Rs384,
            "RS512" => Self::Rs512,
            "PS256" => Self::Ps256,
            "PS384" => Self::Ps384,
            "PS512" => Self::Ps512,
            "ES256" => Self::Es256,
            "ES384" => Self::Es384,
            "EdDSA" => Self::EdDsa,
            // `none`, HS256/384/512 and anything else.
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Rs384 => "RS384",
            Self::Rs512 => "RS512",
            Self::Ps256 => "PS256",
            Self::Ps384 => "PS384",
            Self::Ps512 => "PS512",
            Self::Es256 => "ES256",
            Self::Es384 => "ES384",
            Self::EdDsa => "EdDSA",
        }
    }
}

/// One verification key from the issuer's JWKS.
#[derive(Debug, Clone)]
enum KeyMaterial {
    Rsa { n: Vec<u8>, e: Vec<u8> },
    P256(Vec<u8>),
    P384(Vec<u8>),
    Ed25519(Vec<u8>),
}

#[derive(Debug, Clone)]
struct Key {
    kid: Option<String>,
    /// The key's own `alg`, when the JWKS says it.
    alg: Option<String>,
    material: KeyMaterial,
}

impl Key {
    fn fits(&self, alg: Alg) -> bool {
        if self.alg.as_deref().is_some_and(|own| own != alg.name()) {
            return false;
        }
        matches!(
            (&self.material, alg),
            (
                KeyMaterial::Rsa { .. },
                Alg::Rs256 | Alg::Rs384 | Alg::Rs512 | Alg::Ps256 | Alg::Ps384 | Alg::Ps512
            ) | (KeyMaterial::P256(_), Alg::Es256)
                | (KeyMaterial::P384(_), Alg::Es384)
                | (KeyMaterial::Ed25519(_), Alg::EdDsa)
        )
    }

    fn verify(&self, alg: Alg, message: &[u8], sig: &[u8]) -> bool {
        let outcome = match (&self.material, alg) {
            (KeyMaterial::Rsa { n, e }, _) => {
                let params = match alg {
                    Alg::Rs256 => &signature::RSA_PKCS1_2048_8192_SHA256,
                    Alg::Rs384 => &signature::RSA_PKCS1_2048_8192_SHA384,
                    Alg::Rs512 => &signature::RSA_PKCS1_2048_8192_SHA512,
                    Alg::Ps256 => &signature::RSA_PSS_2048_8192_SHA256,
                    Alg::Ps384 => &signature::RSA_PSS_2048_8192_SHA384,
                    Alg::Ps512 => &signature::RSA_PSS_2048_8192_SHA512,
                    Alg::Es256 | Alg::Es384 | Alg::EdDsa => return false,
                };
                RsaPublicKeyComponents { n, e }.verify(params, message, sig)
            }
            (KeyMaterial::P256(point), Alg::Es256) => {
                UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point).verify(message, sig)
            }
            (KeyMaterial::P384(point), Alg::Es384) => {
                UnparsedPublicKey::new(&signature::ECDSA_P384_SHA384_FIXED, point).verify(message, sig)
            }
            (KeyMaterial::Ed25519(x), Alg::EdDsa) => {
                UnparsedPublicKey::new(&signature::ED25519, x).verify(message, sig)
            }
            _ => return false,
        };
        outcome.is_ok()
    }
}

/// A JWK as published; only the members we use.
#[derive(Debug, Deserialize)]
struct Jwk {
    kty: String,
    kid: Option<String>,
    #[serde(rename = "use")]
    use_: Option<String>,
    alg: Option<String>,
    n: Option<String>,
    e: Option<String>,
    crv: Option<String>,
    x: Option<String>,
    y: Option<String>,
}

/// The usable signature keys of a JWKS document; others (encryption keys, unknown types,
/// malformed entries) are skipped.
fn parse_jwks(document: &Value) -> Vec<Key> {
    let Some(entries) = document.get("keys").and_then(Value::as_array) else { return Vec::new() };
    entries
        .iter()
        .filter_map(|entry| serde_json::from_value::<Jwk>(entry.clone()).ok())
        .filter(|jwk| jwk.use_.as_deref().is_none_or(|u| u == "sig"))
        .filter_map(|jwk| {
            let b64 = |field: &Option<String>| field.as_deref().and_then(|v| URL_SAFE_NO_PAD.decode(v).ok());
            let material = match (jwk.kty.as_str(), jwk.crv.as_deref()) {
                ("RSA", _) => {
                    // ring wants the big-endian integers without leading zero bytes.
                    let strip = |v: Vec<u8>| v.into_iter().skip_while(|b| *b == 0).collect::<Vec<_>>();
                    KeyMaterial::Rsa { n: strip(b64(&jwk.n)?), e: strip(b64(&jwk.e)?) }
                }
                ("EC", Some(curve @ ("P-256" | "P-384"))) => {
                    let (x, y) = (b64(&jwk.x)?, b64(&jwk.y)?);
                    let size = if curve == "P-256" { 32 } else { 48 };
                    if x.len() != size || y.len() != size {
                        return None;
                    }
                    let point = [&[0x04][..], &x, &y].concat();
                    if curve == "P-256" { KeyMaterial::P256(point) } else { KeyMaterial::P384(point) }
                }
                ("OKP", Some("Ed25519")) => KeyMaterial::Ed25519(b64(&jwk.x)?),
                _ => return None,
            };
            Some(Key { kid: jwk.kid, alg: jwk.alg, material })
        })
        .collect()
}

#[derive(Debug, Deserialize)]
struct Header {
    alg: String,
    kid: Option<String>,
    crit: Option<Value>,
}

/// `aud`: one string or an array of strings (RFC 7519 §4.1.3).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

/// `scp` as some issuers send it: an array, or one space-separated string.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Scp {
    List(Vec<String>),
    Text(String),
}

/// The claims we read. Types are strict: a claim with the wrong JSON type fails decoding,
/// so it can never be mistaken for an absent one.
#[derive(Debug, Deserialize)]
struct Claims {
    iss: String,
    aud: Audience,
    exp: i64,
    nbf: Option<i64>,
    iat: Option<i64>,
    sub: Option<String>,
    client_id: Option<String>,
    scope: Option<String>,
    scp: Option<Scp>,
}

#[derive(Debug, Default)]
struct KeyCache {
    keys: Vec<Key>,
    /// When the last fetch was tried, and whether it worked.
    last: Option<(Instant, bool)>,
}

/// The verifier for one issuer and audience.
#[derive(Debug)]
pub struct OAuth {
    issuer: String,
    audience: String,
    http: reqwest::Client,
    cache: Mutex<KeyCache>,
}

impl OAuth {
    /// `issuer` and `audience` as configured (compared without a trailing `/`); the issuer's
    /// certificate may come from the extra CA bundle.
    pub fn new(issuer: &Url, audience: &str, ca_bundle: Option<&Path>) -> crate::Result<Self> {
        let mut builder = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("tracker-mcp/", env!("CARGO_PKG_VERSION")));
        for cert in crate::http::ca_certificates(ca_bundle)? {
            builder = builder.add_root_certificate(cert);
        }
        let http = builder
            .build()
            .map_err(|e| crate::Error::Internal(format!("HTTP client for the OAuth issuer: {e}")))?;
        Ok(Self {
            issuer: trim(issuer.as_str()).to_owned(),
            audience: trim(audience).to_owned(),
            http,
            cache: Mutex::default(),
        })
    }

    /// The issuer, as compared with `iss`.
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Verify `token` and return its caller.
    pub async fn verify(&self, token: &str) -> Result<Verified, Rejection> {
        self.verify_at(token, now()).await
    }

    async fn verify_at(&self, token: &str, now: i64) -> Result<Verified, Rejection> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(Rejection::Malformed("too long"));
        }
        let mut parts = token.split('.');
        let (Some(head), Some(body), Some(sig), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Rejection::Malformed("not a compact JWS"));
        };
        let decode =
            |part: &str| URL_SAFE_NO_PAD.decode(part).map_err(|_| Rejection::Malformed("not base64url"));
        let header: Header =
            serde_json::from_slice(&decode(head)?).map_err(|_| Rejection::Malformed("unreadable header"))?;
        if header.crit.is_some() {
            return Err(Rejection::Malformed("crit header"));
        }
        let alg = Alg::parse(&header.alg).ok_or(Rejection::Malformed("algorithm not allowed"))?;
        let signature = decode(sig)?;
        let key = self.key_for(header.kid.as_deref(), alg).await?;
        // The signature covers the two encoded parts exactly as sent.
        let signed = &token[..head.len() + 1 + body.len()];
        if !key.verify(alg, signed.as_bytes(), &signature) {
            return Err(Rejection::BadSignature);
        }
        let claims: Claims = serde_json::from_slice(&decode(body)?)
            .map_err(|_| Rejection::Malformed("unreadable or mistyped claims"))?;
        self.check_claims(&claims, now)?;
        let mut scopes: Vec<String> =
            claims.scope.as_deref().unwrap_or_default().split_whitespace().map(str::to_owned).collect();
        match claims.scp {
            Some(Scp::List(list)) => scopes.extend(list),
            Some(Scp::Text(text)) => scopes.extend(text.split_whitespace().map(str::to_owned)),
            None => {}
        }
        let subject = claims.sub.or(claims.client_id).unwrap_or_else(|| "unknown".to_owned());
        Ok(Verified { subject, scopes })
    }

    fn check_claims(&self, claims: &Claims, now: i64) -> Result<(), Rejection> {
        let leeway = i64::try_from(LEEWAY.as_secs()).unwrap_or(30);
        if trim(&claims.iss) != self.issuer {
            return Err(Rejection::Claim("iss is not the configured issuer"));
        }
        let for_us = match &claims.aud {
            Audience::One(aud) => trim(aud) == self.audience,
            Audience::Many(auds) => auds.iter().any(|aud| trim(aud) == self.audience),
        };
        if !for_us {
            return Err(Rejection::Claim("aud does not name this server"));
        }
        if claims.exp <= now - leeway {
            return Err(Rejection::Claim("expired"));
        }
        if claims.nbf.is_some_and(|nbf| nbf > now + leeway)
            || claims.iat.is_some_and(|iat| iat > now + leeway)
        {
            return Err(Rejection::Claim("not yet valid"));
        }
        Ok(())
    }

    /// The key for `kid` that fits `alg`, fetching the key set when it is not known yet or
    /// the `kid` is new (rate-limited).
    async fn key_for(&self, kid: Option<&str>, alg: Alg) -> Result<Key, Rejection> {
        let mut cache = self.cache.lock().await;
        if let Some(key) = pick(&cache.keys, kid, alg) {
            return Ok(key);
        }
        let may_fetch = match cache.last {
            None => true,
            Some((at, true)) => at.elapsed() >= REFETCH_INTERVAL,
            Some((at, false)) => at.elapsed() >= RETRY_INTERVAL,
        };
        if !may_fetch {
            return Err(if matches!(cache.last, Some((_, false))) {
                Rejection::Unavailable
            } else {
                Rejection::UnknownKey
            });
        }
        match self.fetch_keys().await {
            Ok(keys) => {
                tracing::info!(keys = keys.len(), issuer = %self.issuer, "fetched the OAuth issuer's signing keys");
                cache.keys = keys;
                cache.last = Some((Instant::now(), true));
            }
            Err(reason) => {
                tracing::warn!(issuer = %self.issuer, "cannot fetch the OAuth issuer's keys: {reason}");
                cache.last = Some((Instant::now(), false));
                return Err(Rejection::Unavailable);
            }
        }
        pick(&cache.keys, kid, alg).ok_or(Rejection::UnknownKey)
    }

    /// Fetch the keys now (also used at start-up to warm the cache).
    pub async fn warm(&self) {
        let _ = self.key_for(Some("\u{0}warm-up"), Alg::Rs256).await;
    }

    async fn fetch_keys(&self) -> Result<Vec<Key>, String> {
        let mut tried = Vec::new();
        for url in metadata_urls(&self.issuer)? {
            match self.get_json(&url).await {
                Ok(metadata) => {
                    let issuer = metadata.get("issuer").and_then(Value::as_str).unwrap_or_default();
                    if trim(issuer) != self.issuer {
                        // RFC 8414 §3.3: metadata for another issuer must not be used.
                        return Err(format!("{url} names another issuer"));
                    }
                    let jwks_uri = metadata
                        .get("jwks_uri")
                        .and_then(Value::as_str)
                        .and_then(|raw| Url::parse(raw).ok())
                        .ok_or_else(|| format!("{url} has no jwks_uri"))?;
                    if jwks_uri.scheme() != "https"
                        && Url::parse(&self.issuer).is_ok_and(|i| i.scheme() == "https")
                    {
                        return Err("the jwks_uri of an https issuer is not https".to_owned());
                    }
                    let keys = parse_jwks(&self.get_json(jwks_uri.as_str()).await?);
                    if keys.is_empty() {
                        return Err("the issuer's key set has no usable signature key".to_owned());
                    }
                    return Ok(keys);
                }
                Err(reason) => tried.push(reason),
            }
        }
        Err(tried.join("; "))
    }

    async fn get_json(&self, url: &str) -> Result<Value, String> {
        let mut response =
            self.http.get(url).send().await.map_err(|e| format!("{url}: {}", e.without_url()))?;
        if !response.status().is_success() {
            return Err(format!("{url}: HTTP {}", response.status().as_u16()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| format!("{url}: {}", e.without_url()))? {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_DOCUMENT_BYTES {
                return Err(format!("{url}: larger than {MAX_DOCUMENT_BYTES} bytes"));
            }
        }
        serde_json::from_slice(&body).map_err(|_| format!("{url}: not JSON"))
    }
}

/// RFC 8414 (well-known inserted before the issuer's path), then OpenID Connect Discovery
/// (appended to it).
fn metadata_urls(issuer: &str) -> Result<Vec<String>, String> {
    let url = Url::parse(issuer).map_err(|e| format!("issuer: {e}"))?;
    let origin = url.origin().ascii_serialization();
    let path = trim(url.path());
    Ok(vec![
        format!("{origin}/.well-known/oauth-authorization-server{path}"),
        format!("{}/.well-known/openid-configuration", trim(issuer)),
    ])
}

fn pick(keys: &[Key], kid: Option<&str>, alg: Alg) -> Option<Key> {
    let mut fitting = keys.iter().filter(|key| key.fits(alg));
    match kid {
        Some(kid) => fitting.find(|key| key.kid.as_deref() == Some(kid)).cloned(),
        // Without a `kid` only an unambiguous key will do.
        None => {
            let first = fitting.next()?;
            fitting.next().is_none().then(|| first.clone())
        }
    }
}

fn trim(value: &str) -> &str {
    value.strip_suffix('/').unwrap_or(value)
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests;
