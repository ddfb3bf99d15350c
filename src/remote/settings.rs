//! The `serve --http` settings: where to listen, how callers authenticate, which Origins and
//! Hosts are accepted, sessions or stateless. Read from the same sources as everything else;
//! every refusal names its variable.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use secrecy::{ExposeSecret as _, SecretString};
use url::Url;

use crate::config::Sources;
use crate::error::{Error, Result, register_secret};

/// The shortest static bearer token accepted: a guessable token would be the only lock on
/// every tracker the server can reach.
pub const MIN_TOKEN_CHARS: usize = 32;

/// How `serve --http` listens and whom it lets in.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `TRACKER_MCP_HTTP`: a port alone means loopback (`127.0.0.1:PORT`).
    pub addr: SocketAddr,
    /// `TRACKER_MCP_HTTP_TOKEN`: the static bearer token (a secret).
    pub token: Option<SecretString>,
    /// `TRACKER_MCP_HTTP_ALLOWED_ORIGINS`, each as `scheme://host[:port]` (default port
    /// dropped). A request with any other `Origin` gets 403; empty: every `Origin` is refused
    /// (non-browser clients send none).
    pub allowed_origins: Vec<String>,
    /// `TRACKER_MCP_HTTP_ALLOWED_HOSTS`: `Host` values accepted (DNS rebinding). Empty: any.
    pub allowed_hosts: Vec<String>,
    /// `TRACKER_MCP_HTTP_STATELESS`: no sessions, every POST answered on its own (any
    /// replica can answer any request).
    pub stateless: bool,
    /// `TRACKER_MCP_OAUTH_ISSUER` + `TRACKER_MCP_OAUTH_AUDIENCE`: accept the issuer's JWTs.
    pub oauth: Option<OAuthSettings>,
    /// `TRACKER_MCP_HTTP_RATE_LIMIT`: MCP requests per second per caller (0: no limit).
    pub rate_limit: f64,
    /// `TRACKER_MCP_METRICS_ADDR`: where Prometheus metrics are served (a port alone: loopback).
    pub metrics_addr: Option<SocketAddr>,
    /// `TRACKER_MCP_HTTP_CREDENTIALS`: whose credentials reach the trackers.
    pub credentials: Credentials,
}

/// Whose credentials the trackers see on calls made over HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credentials {
    /// `server` (default): the server's own, as configured (a service account).
    Server,
    /// `per-user`: each request's own, from its headers (`remote/credentials.rs`); a call
    /// without them is refused, never served with the server's.
    PerUser,
}

/// Default of `TRACKER_MCP_HTTP_RATE_LIMIT`: far above what one assistant sends, low enough
/// that one runaway client cannot starve the others.
pub const DEFAULT_RATE_LIMIT: f64 = 20.0;

/// The OAuth 2.1 resource-server mode.
#[derive(Debug, Clone)]
pub struct OAuthSettings {
    /// The authorization server (its metadata names the signing keys).
    pub issuer: Url,
    /// This server's resource identifier (RFC 8707), which tokens must name in `aud`; also
    /// the public URL the protected-resource metadata is derived from (RFC 9728).
    pub audience: Url,
    /// `TRACKER_MCP_CA_BUNDLE`: extra CA certificates, trusted for the issuer too.
    pub ca_bundle: Option<PathBuf>,
}

impl OAuthSettings {
    /// RFC 9728 §3.1: `/.well-known/oauth-protected-resource` inserted before the resource's
    /// path.
    #[must_use]
    pub fn metadata_url(&self) -> String {
        format!("{}{}", self.audience.origin().ascii_serialization(), self.metadata_path())
    }

    /// The path of [`Self::metadata_url`].
    #[must_use]
    pub fn metadata_path(&self) -> String {
        let path = self.audience.path().trim_end_matches('/');
        format!("/.well-known/oauth-protected-resource{path}")
    }
}

impl Settings {
    /// `None` when `TRACKER_MCP_HTTP` is unset (stdio).
    pub fn from_sources(sources: &Sources) -> Result<Option<Self>> {
        let Some(raw_addr) = sources.get("TRACKER_MCP_HTTP") else { return Ok(None) };
        let addr = parse_addr(&raw_addr)?;
        let token = match sources.get("TRACKER_MCP_HTTP_TOKEN") {
            None => None,
            Some(raw) => {
                let token = SecretString::from(raw);
                // Masked everywhere from now on, even in the refusal below.
                register_secret(&token);
                let chars = token.expose_secret().chars().count();
                if chars < MIN_TOKEN_CHARS {
                    return Err(Error::Config(format!(
                        "TRACKER_MCP_HTTP_TOKEN must be at least {MIN_TOKEN_CHARS} characters (it has \
                         {chars}); make one with `openssl rand -hex 32`"
                    )));
                }
                Some(token)
            }
        };
        let oauth = oauth(sources)?;
        if token.is_none() && oauth.is_none() {
            return Err(Error::Config(
                "TRACKER_MCP_HTTP is set but no authentication is: serving over HTTP needs \
                 TRACKER_MCP_HTTP_TOKEN (a random bearer token of at least 32 characters), or \
                 TRACKER_MCP_OAUTH_ISSUER and TRACKER_MCP_OAUTH_AUDIENCE for OAuth access tokens. \
                 There is no anonymous HTTP mode"
                    .into(),
            ));
        }
        let allowed_origins = list(sources, "TRACKER_MCP_HTTP_ALLOWED_ORIGINS")
            .iter()
            .map(|raw| {
                normalize_origin(raw).ok_or_else(|| {
                    Error::Config(format!(
                        "TRACKER_MCP_HTTP_ALLOWED_ORIGINS: `{}` is not an origin; expected \
                         scheme://host[:port], e.g. https://app.example.com",
                        crate::error::truncate_chars(raw, 80)
                    ))
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let allowed_hosts = match sources.get("TRACKER_MCP_HTTP_ALLOWED_HOSTS") {
            Some(_) => list(sources, "TRACKER_MCP_HTTP_ALLOWED_HOSTS"),
            // On loopback only local names can be right; a request naming another host is a
            // DNS-rebinding attempt. Bound wider, the names are the operator's (set them).
            None if addr.ip().is_loopback() => {
                vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()]
            }
            None => Vec::new(),
        };
        let stateless = match sources.get("TRACKER_MCP_HTTP_STATELESS").map(|v| v.to_ascii_lowercase()) {
            None => false,
            Some(v) if ["true", "1", "yes", "on"].contains(&v.as_str()) => true,
            Some(v) if ["false", "0", "no", "off", ""].contains(&v.as_str()) => false,
            Some(_) => {
                return Err(Error::Config("TRACKER_MCP_HTTP_STATELESS must be `true` or `false`".into()));
            }
        };
        let rate_limit = match sources.get("TRACKER_MCP_HTTP_RATE_LIMIT") {
            None => DEFAULT_RATE_LIMIT,
            Some(raw) => match raw.trim().parse::<f64>() {
                Ok(v) if v.is_finite() && (0.0..=100_000.0).contains(&v) => v,
                _ => {
                    return Err(Error::Config(
                        "TRACKER_MCP_HTTP_RATE_LIMIT must be a number from 0 (no limit) to 100000".into(),
                    ));
                }
            },
        };
        let metrics_addr = sources
            .get("TRACKER_MCP_METRICS_ADDR")
            .map(|raw| parse_addr(&raw).map_err(|_| refuse_addr("TRACKER_MCP_METRICS_ADDR", &raw)))
            .transpose()?;
        let credentials =
            match sources.get("TRACKER_MCP_HTTP_CREDENTIALS").map(|v| v.trim().to_ascii_lowercase()) {
                None => Credentials::Server,
                Some(v) if v == "server" || v.is_empty() => Credentials::Server,
                Some(v) if v == "per-user" => Credentials::PerUser,
                Some(_) => {
                    return Err(Error::Config(
                    "TRACKER_MCP_HTTP_CREDENTIALS must be `server` (the server's own tracker credentials, \
                     the default) or `per-user` (each caller's, from request headers)"
                        .into(),
                ));
                }
            };
        if metrics_addr.is_some_and(|m| m == addr && addr.port() != 0) {
            return Err(Error::Config("TRACKER_MCP_METRICS_ADDR must differ from TRACKER_MCP_HTTP".into()));
        }
        Ok(Some(Self {
            addr,
            token,
            allowed_origins,
            allowed_hosts,
            stateless,
            oauth,
            rate_limit,
            metrics_addr,
            credentials,
        }))
    }

    /// Whether the trackers see each caller's own credentials (`TRACKER_MCP_HTTP_CREDENTIALS=per-user`).
    #[must_use]
    pub fn per_user(&self) -> bool {
        self.credentials == Credentials::PerUser
    }
}

fn oauth(sources: &Sources) -> Result<Option<OAuthSettings>> {
    let development = sources.get("TRACKER_MCP_MODE").as_deref() == Some("development");
    let url = |name: &str| -> Result<Option<Url>> {
        let Some(raw) = sources.get(name) else { return Ok(None) };
        let url =
            Url::parse(raw.trim()).map_err(|e| Error::Config(format!("{name} is not a valid URL ({e})")))?;
        let https = url.scheme() == "https";
        if !(https || (development && url.scheme() == "http")) || url.host_str().is_none() {
            return Err(Error::Config(format!(
                "{name} must be an https:// URL (http:// only with TRACKER_MCP_MODE=development)"
            )));
        }
        if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
            return Err(Error::Config(format!("{name} must not have a query, fragment or credentials")));
        }
        Ok(Some(url))
    };
    match (url("TRACKER_MCP_OAUTH_ISSUER")?, url("TRACKER_MCP_OAUTH_AUDIENCE")?) {
        (None, None) => Ok(None),
        (Some(issuer), Some(audience)) => {
            let ca_bundle = sources.get("TRACKER_MCP_CA_BUNDLE").map(PathBuf::from);
            Ok(Some(OAuthSettings { issuer, audience, ca_bundle }))
        }
        (Some(_), None) => Err(Error::Config(
            "TRACKER_MCP_OAUTH_ISSUER is set but TRACKER_MCP_OAUTH_AUDIENCE is missing: set it to this \
             server's public URL, e.g. https://mcp.example.com/mcp (tokens must name it in `aud`)"
                .into(),
        )),
        (None, Some(_)) => Err(Error::Config(
            "TRACKER_MCP_OAUTH_AUDIENCE is set but TRACKER_MCP_OAUTH_ISSUER is missing: set it to the \
             authorization server's issuer URL"
                .into(),
        )),
    }
}

fn refuse_addr(name: &str, raw: &str) -> Error {
    Error::Config(format!(
        "{name} must be an address to listen on, such as 127.0.0.1:9090 or a port alone (loopback), not `{}`",
        crate::error::truncate_chars(raw.trim(), 60)
    ))
}

/// `HOST:PORT`, `[v6]:PORT`, `localhost:PORT`, or a port alone (loopback).
fn parse_addr(raw: &str) -> Result<SocketAddr> {
    let raw = raw.trim();
    let refuse = || {
        Error::Config(format!(
            "TRACKER_MCP_HTTP (--http) must be an address to listen on, such as 127.0.0.1:8080, \
             0.0.0.0:8080 or a port alone (loopback), not `{}`",
            crate::error::truncate_chars(raw, 60)
        ))
    };
    let port_only = raw.strip_prefix(':').unwrap_or(raw);
    if let Ok(port) = port_only.parse::<u16>() {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    if let Some(port) = raw.strip_prefix("localhost:") {
        return port
            .parse::<u16>()
            .map(|p| SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), p))
            .map_err(|_| refuse());
    }
    raw.parse::<SocketAddr>().map_err(|_| refuse())
}

/// `scheme://host[:port]` with the scheme's default port left out, as browsers send `Origin`;
/// `None` for anything that is not an http(s) origin.
#[must_use]
pub fn normalize_origin(raw: &str) -> Option<String> {
    let url = Url::parse(raw.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return None;
    }
    if !(url.path() == "/" || url.path().is_empty()) || url.query().is_some() || !url.username().is_empty() {
        return None;
    }
    Some(url.origin().ascii_serialization())
}

fn list(sources: &Sources, name: &str) -> Vec<String> {
    sources
        .get(name)
        .map(|s| s.split(',').map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<Option<Settings>> {
        Settings::from_sources(&Sources::from_pairs(pairs.iter().copied()))
    }

    const TOKEN: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn unset_means_stdio() {
        assert!(settings(&[("TRACKER_MCP_HTTP_TOKEN", TOKEN)]).expect("ok").is_none());
    }

    #[test]
    fn http_without_auth_refuses_to_start() {
        let Err(Error::Config(message)) = settings(&[("TRACKER_MCP_HTTP", "8080")]) else {
            panic!("accepted")
        };
        assert!(message.contains("TRACKER_MCP_HTTP_TOKEN") && message.contains("no anonymous"), "{message}");
    }

    #[test]
    fn a_short_token_is_refused_naming_the_variable_and_never_echoed() {
        let short = "short-token-0123456789";
        let Err(error) = settings(&[("TRACKER_MCP_HTTP", "8080"), ("TRACKER_MCP_HTTP_TOKEN", short)]) else {
            panic!("accepted")
        };
        let message = error.client_message();
        assert!(message.contains("TRACKER_MCP_HTTP_TOKEN") && message.contains("32"), "{message}");
        assert!(!message.contains(short) && !format!("{error:?}").contains(short), "{message}");
        let with = |token: &str| settings(&[("TRACKER_MCP_HTTP", "8080"), ("TRACKER_MCP_HTTP_TOKEN", token)]);
        assert!(with(&TOKEN[..31]).is_err(), "31 characters");
        assert!(with(TOKEN).is_ok(), "32 characters");
    }

    #[test]
    fn oauth_needs_issuer_and_audience_and_derives_the_metadata_url() {
        let with = |extra: &[(&str, &str)]| {
            let mut pairs = vec![("TRACKER_MCP_HTTP", "8080")];
            pairs.extend_from_slice(extra);
            settings(&pairs)
        };
        let Err(Error::Config(message)) = with(&[("TRACKER_MCP_OAUTH_ISSUER", "https://as.test")]) else {
            panic!("accepted")
        };
        assert!(message.contains("TRACKER_MCP_OAUTH_AUDIENCE is missing"), "{message}");
        let Err(Error::Config(message)) = with(&[
            ("TRACKER_MCP_OAUTH_ISSUER", "http://as.test"),
            ("TRACKER_MCP_OAUTH_AUDIENCE", "https://mcp.test/mcp"),
        ]) else {
            panic!("accepted")
        };
        assert!(message.contains("TRACKER_MCP_OAUTH_ISSUER must be an https://"), "{message}");
        let oauth = with(&[
            ("TRACKER_MCP_OAUTH_ISSUER", "https://as.test"),
            ("TRACKER_MCP_OAUTH_AUDIENCE", "https://mcp.test/mcp"),
        ])
        .expect("ok")
        .expect("some")
        .oauth
        .expect("oauth");
        assert_eq!(oauth.metadata_url(), "https://mcp.test/.well-known/oauth-protected-resource/mcp");
    }

    #[test]
    fn rate_limit_and_metrics_address_are_checked() {
        let with = |extra: &[(&str, &str)]| {
            let mut pairs = vec![("TRACKER_MCP_HTTP", "8080"), ("TRACKER_MCP_HTTP_TOKEN", TOKEN)];
            pairs.extend_from_slice(extra);
            settings(&pairs)
        };
        let plain = with(&[]).expect("ok").expect("some");
        assert!((plain.rate_limit - DEFAULT_RATE_LIMIT).abs() < f64::EPSILON && plain.metrics_addr.is_none());
        let Err(Error::Config(message)) = with(&[("TRACKER_MCP_HTTP_RATE_LIMIT", "-1")]) else {
            panic!("accepted")
        };
        assert!(message.contains("TRACKER_MCP_HTTP_RATE_LIMIT"), "{message}");
        let metrics = with(&[("TRACKER_MCP_METRICS_ADDR", "9090")]).expect("ok").expect("some");
        assert_eq!(metrics.metrics_addr.map(|a| a.to_string()).as_deref(), Some("127.0.0.1:9090"));
        assert!(with(&[("TRACKER_MCP_METRICS_ADDR", "8080")]).is_err(), "the same address twice");
        let Err(Error::Config(message)) = with(&[("TRACKER_MCP_METRICS_ADDR", "x:y")]) else {
            panic!("accepted")
        };
        assert!(message.contains("TRACKER_MCP_METRICS_ADDR"), "{message}");
    }

    #[test]
    fn credentials_default_to_the_servers_and_per_user_is_opt_in() {
        let with = |extra: &[(&str, &str)]| {
            let mut pairs = vec![("TRACKER_MCP_HTTP", "8080"), ("TRACKER_MCP_HTTP_TOKEN", TOKEN)];
            pairs.extend_from_slice(extra);
            settings(&pairs)
        };
        assert!(!with(&[]).expect("ok").expect("some").per_user());
        assert!(!with(&[("TRACKER_MCP_HTTP_CREDENTIALS", "server")]).expect("ok").expect("some").per_user());
        assert!(with(&[("TRACKER_MCP_HTTP_CREDENTIALS", "Per-User")]).expect("ok").expect("some").per_user());
        let Err(Error::Config(message)) = with(&[("TRACKER_MCP_HTTP_CREDENTIALS", "caller")]) else {
            panic!("accepted")
        };
        assert!(
            message.contains("TRACKER_MCP_HTTP_CREDENTIALS") && message.contains("per-user"),
            "{message}"
        );
    }

    #[test]
    fn addresses_default_to_loopback() {
        let at = |raw: &str| {
            settings(&[("TRACKER_MCP_HTTP", raw), ("TRACKER_MCP_HTTP_TOKEN", TOKEN)])
                .map(|s| s.expect("some").addr.to_string())
        };
        assert_eq!(at("8080").expect("ok"), "127.0.0.1:8080");
        assert_eq!(at(":8080").expect("ok"), "127.0.0.1:8080");
        assert_eq!(at("localhost:9").expect("ok"), "127.0.0.1:9");
        assert_eq!(at("0.0.0.0:8080").expect("ok"), "0.0.0.0:8080");
        assert_eq!(at("[::1]:8080").expect("ok"), "[::1]:8080");
        let Err(Error::Config(message)) = at("example.com:80") else { panic!("accepted") };
        assert!(message.contains("TRACKER_MCP_HTTP"), "{message}");
    }

    #[test]
    fn loopback_pins_local_host_names_and_a_wide_bind_takes_the_operators() {
        let local = settings(&[("TRACKER_MCP_HTTP", "8080"), ("TRACKER_MCP_HTTP_TOKEN", TOKEN)])
            .expect("ok")
            .expect("some");
        assert!(local.allowed_hosts.contains(&"localhost".to_owned()));
        let wide = settings(&[
            ("TRACKER_MCP_HTTP", "0.0.0.0:8080"),
            ("TRACKER_MCP_HTTP_TOKEN", TOKEN),
            ("TRACKER_MCP_HTTP_ALLOWED_HOSTS", "mcp.example.com, mcp.internal"),
        ])
        .expect("ok")
        .expect("some");
        assert_eq!(wide.allowed_hosts, ["mcp.example.com", "mcp.internal"]);
    }

    #[test]
    fn origins_are_normalized_and_checked() {
        assert_eq!(
            normalize_origin("https://App.Example.com:443").as_deref(),
            Some("https://app.example.com")
        );
        assert_eq!(normalize_origin("http://localhost:3000").as_deref(), Some("http://localhost:3000"));
        assert_eq!(normalize_origin("null"), None);
        assert_eq!(normalize_origin("https://a.test/path"), None);
        assert_eq!(normalize_origin("file:///etc"), None);
        let Err(Error::Config(message)) = settings(&[
            ("TRACKER_MCP_HTTP", "8080"),
            ("TRACKER_MCP_HTTP_TOKEN", TOKEN),
            ("TRACKER_MCP_HTTP_ALLOWED_ORIGINS", "app.example.com"),
        ]) else {
            panic!("accepted")
        };
        assert!(message.contains("TRACKER_MCP_HTTP_ALLOWED_ORIGINS"), "{message}");
    }
}
