//! Configuration: the environment, the user's `.env` and `--env-file`, turned into a validated
//! [`Config`].
//!
//! Precedence, lowest first: `~/.config/tracker-mcp/.env` (see [`user_config_file`]), the
//! `--env-file` given on the command line, the real environment, command-line flags. Files are parsed without touching
//! the process environment, so secrets never leak into child processes. Secrets become
//! [`SecretString`] the moment they are read and are registered with [`crate::error`] so
//! that every message leaving the process masks them.

use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;
use url::Url;

use crate::error::{Error, Result, register_secret};

mod sources;
pub use sources::{Sources, user_config_file};

/// Every variable the binary reads, with a one-line meaning (used by `--help`, the README
/// test and the examples test).
pub const VARIABLES: &[(&str, &str)] = &[
    ("BUGZILLA_URL", "Bugzilla base URL, e.g. https://bugzilla.example.com"),
    ("BUGZILLA_API_KEY", "Bugzilla API key (secret)"),
    ("BUGZILLA_API_KEY_MODE", "how the key is sent: auto (default), header or param"),
    ("BUGZILLA_LOGIN", "the key owner's login, so Bugzilla 5.0/5.2 can say who the server acts as"),
    ("BUGZILLA_ANONYMOUS", "true: use Bugzilla without a key (public data only)"),
    ("REDMINE_URL", "Redmine base URL, e.g. https://redmine.example.com"),
    ("REDMINE_API_KEY", "Redmine API key (secret), sent as X-Redmine-API-Key"),
    ("REDMINE_ANONYMOUS", "true: use Redmine without a key (public projects only)"),
    ("BITBUCKET_URL", "Bitbucket URL: unset for Cloud, the server URL for Data Center"),
    ("BITBUCKET_TOKEN", "Bitbucket token or app password (secret)"),
    ("BITBUCKET_USERNAME", "Bitbucket username or e-mail: with it the token is sent as Basic auth"),
    ("BITBUCKET_FLAVOR", "cloud, datacenter or auto (default: Cloud for api.bitbucket.org)"),
    ("TRACKER_MCP_MODE", "production (default, https only) or development (http allowed)"),
    ("TRACKER_MCP_ENABLE_WRITES", "true: register tools that change data (default false)"),
    ("TRACKER_MCP_TOOLS", "comma-separated globs of tool names to allow (default all)"),
    ("TRACKER_MCP_DENY_TOOLS", "comma-separated globs of tool names to hide"),
    (
        "TRACKER_MCP_TOOLSETS",
        "comma-separated tool sets to serve, e.g. redmine:issues,bitbucket:pull_requests",
    ),
    (
        "TRACKER_MCP_WRITE_SCOPE",
        "comma-separated globs limiting destructive tools, e.g. bitbucket:acme/widget",
    ),
    (
        "TRACKER_MCP_UPLOAD_DIRS",
        "directories (path-list separated) local files may be attached from; unset: no file uploads",
    ),
    ("TRACKER_MCP_AUDIT_LOG", "absolute path of a JSON-lines audit log of tool calls (0600)"),
    ("TRACKER_MCP_VERIFY_ON_START", "true (default): verify each credential in the background at start-up"),
    ("TRACKER_MCP_TIMEOUT_SECS", "overall timeout of one upstream request (default 30)"),
    ("TRACKER_MCP_CONNECT_TIMEOUT_SECS", "connect timeout (default 10)"),
    ("TRACKER_MCP_CA_BUNDLE", "extra PEM CA bundle for trackers (and an OAuth issuer) with a private CA"),
    ("TRACKER_MCP_RATE_LIMIT", "requests per second per tracker, bursts up to twice that (default 10)"),
    ("TRACKER_MCP_MAX_RESPONSE_BYTES", "largest upstream response read (default 8388608)"),
    (
        "TRACKER_MCP_HTTP",
        "serve Streamable HTTP at /mcp on this address instead of stdio (a port alone: loopback)",
    ),
    ("TRACKER_MCP_HTTP_TOKEN", "static bearer token HTTP clients must send (secret, at least 32 characters)"),
    (
        "TRACKER_MCP_HTTP_ALLOWED_ORIGINS",
        "comma-separated Origins accepted over HTTP (others get 403; default none)",
    ),
    (
        "TRACKER_MCP_HTTP_ALLOWED_HOSTS",
        "comma-separated Host names accepted over HTTP (default: local names on loopback, any otherwise)",
    ),
    (
        "TRACKER_MCP_OAUTH_ISSUER",
        "OAuth 2.1 for HTTP: the authorization server whose JWT access tokens are accepted",
    ),
    (
        "TRACKER_MCP_OAUTH_AUDIENCE",
        "OAuth 2.1 for HTTP: this server's public URL, which tokens must name in aud",
    ),
    (
        "TRACKER_MCP_HTTP_RATE_LIMIT",
        "MCP requests per second per HTTP caller, bursts up to twice that (default 20; 0: none)",
    ),
    (
        "TRACKER_MCP_METRICS_ADDR",
        "serve Prometheus metrics at /metrics on this address (a port alone: loopback)",
    ),
    ("TRACKER_MCP_HTTP_STATELESS", "true: no sessions, each request answered alone (for several replicas)"),
    (
        "TRACKER_MCP_HTTP_CREDENTIALS",
        "server (default) or per-user: trackers see each HTTP caller's own key from request headers",
    ),
    ("RUST_LOG", "log filter for stderr, e.g. info or tracker_mcp=debug"),
];

/// Production refuses plain-HTTP trackers; development allows them with a warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Production,
    Development,
}

/// How Bugzilla's API key travels (stock 5.0/5.2 ignore the header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyMode {
    /// Detect once per process whether the header is honoured.
    Auto,
    /// Header only.
    Header,
    /// Header, plus `api_key` in the query of reads and the body of writes.
    Param,
}

/// Which Bitbucket API the server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// Bitbucket Cloud, REST 2.0.
    Cloud,
    /// Bitbucket Server / Data Center, REST 1.0.
    DataCenter,
}

#[derive(Debug, Clone)]
pub struct BugzillaConfig {
    /// Base URL, without a trailing slash; the REST API is `<url>/rest/...`.
    pub url: Url,
    /// `None` only when anonymous access was asked for.
    pub api_key: Option<SecretString>,
    pub key_mode: KeyMode,
    pub login: Option<String>,
}

#[derive(Debug, Clone)]
pub struct RedmineConfig {
    pub url: Url,
    /// `None` only when anonymous access was asked for.
    pub api_key: Option<SecretString>,
}

#[derive(Debug, Clone)]
pub struct BitbucketConfig {
    /// For Cloud the API root (`https://api.bitbucket.org`, the client adds `/2.0`); for
    /// Data Center the server URL (the client adds `/rest/api/1.0`).
    pub url: Url,
    pub flavor: Flavor,
    pub token: SecretString,
    /// With a username the token is sent as HTTP Basic, otherwise as a Bearer token.
    pub username: Option<String>,
}

/// Limits of the shared HTTP layer.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub ca_bundle: Option<PathBuf>,
    /// Sustained requests per second per tracker.
    pub rate_limit: f64,
    pub max_response_bytes: usize,
    /// Longest total wait spent retrying one GET.
    pub retry_budget: Duration,
    /// `TRACKER_MCP_HTTP_CREDENTIALS=per-user`: every request carries the caller's
    /// credential instead of the configured one (`remote/credentials.rs`).
    pub per_user: bool,
    /// The HTTP client these settings build, shared by every tracker and made on first use
    /// (see `http.rs`).
    pub client: std::sync::Arc<std::sync::OnceLock<reqwest::Client>>,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            ca_bundle: None,
            rate_limit: 10.0,
            max_response_bytes: 8 * 1024 * 1024,
            retry_budget: Duration::from_secs(10),
            per_user: false,
            client: std::sync::Arc::default(),
        }
    }
}

/// The validated configuration of one run.
#[derive(Debug, Clone)]
pub struct Config {
    pub mode: Mode,
    pub enable_writes: bool,
    pub allow_tools: Vec<String>,
    pub deny_tools: Vec<String>,
    /// `tracker:area` tool sets to serve (empty: all).
    pub toolsets: Vec<String>,
    /// Where destructive tools may act, as globs over `tracker:container` (empty: anywhere).
    pub write_scope: Vec<String>,
    pub audit_log: Option<PathBuf>,
    /// `TRACKER_MCP_UPLOAD_DIRS`, resolved: where `path` arguments may point (empty: nowhere).
    pub upload_dirs: Vec<PathBuf>,
    /// Verify each tracker's credential in the background when serving starts.
    pub verify_on_start: bool,
    pub http: HttpSettings,
    pub bugzilla: Option<BugzillaConfig>,
    pub redmine: Option<RedmineConfig>,
    pub bitbucket: Option<BitbucketConfig>,
    /// `serve --http` (`TRACKER_MCP_HTTP`): `None` serves stdio.
    pub remote: Option<crate::remote::Settings>,
    /// Things worth saying on stderr once logging is up (http URLs, loose `.env` mode...).
    pub warnings: Vec<String>,
}

impl Config {
    /// Whether at least one tracker is configured.
    #[must_use]
    pub fn has_trackers(&self) -> bool {
        self.bugzilla.is_some() || self.redmine.is_some() || self.bitbucket.is_some()
    }

    /// The message shown when nothing is configured.
    #[must_use]
    pub fn no_tracker_message() -> String {
        "no tracker is configured. Set at least one of: BUGZILLA_URL + BUGZILLA_API_KEY, \
         REDMINE_URL + REDMINE_API_KEY, BITBUCKET_TOKEN (+ BITBUCKET_URL for Data Center, \
         BITBUCKET_USERNAME for Cloud API tokens), in the environment, in .env, or in a file \
         given with --env-file. `tracker-mcp --help` lists every variable."
            .to_owned()
    }

    /// Validate the gathered values.
    pub fn from_sources(sources: &Sources) -> Result<Self> {
        let mut warnings = sources.warnings.clone();
        let mode = match sources.get("TRACKER_MCP_MODE").as_deref() {
            None | Some("production") => Mode::Production,
            Some("development") => Mode::Development,
            Some(other) => {
                return Err(Error::Config(format!(
                    "TRACKER_MCP_MODE must be `production` or `development`, not `{}`",
                    crate::error::truncate_chars(other, 40)
                )));
            }
        };
        let mut http = HttpSettings::default();
        if let Some(secs) = parse_number(sources, "TRACKER_MCP_TIMEOUT_SECS", 1.0, 3600.0)? {
            http.timeout = Duration::from_secs_f64(secs);
        }
        if let Some(secs) = parse_number(sources, "TRACKER_MCP_CONNECT_TIMEOUT_SECS", 1.0, 600.0)? {
            http.connect_timeout = Duration::from_secs_f64(secs);
        }
        if let Some(rate) = parse_number(sources, "TRACKER_MCP_RATE_LIMIT", 0.1, 100_000.0)? {
            http.rate_limit = rate;
        }
        if let Some(bytes) =
            parse_number(sources, "TRACKER_MCP_MAX_RESPONSE_BYTES", 1024.0, 1024.0 * 1024.0 * 1024.0)?
        {
            // Bounded above, so the conversion cannot overflow.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let bytes = bytes as usize;
            http.max_response_bytes = bytes;
        }
        if let Some(path) = sources.get("TRACKER_MCP_CA_BUNDLE") {
            let path = PathBuf::from(path);
            if !path.is_file() {
                return Err(Error::Config(format!(
                    "TRACKER_MCP_CA_BUNDLE points to {}, which is not a readable file",
                    path.display()
                )));
            }
            http.ca_bundle = Some(path);
        }

        let url = |name: &str, warnings: &mut Vec<String>| -> Result<Option<Url>> {
            sources.get(name).map(|raw| parse_tracker_url(name, &raw, mode, warnings)).transpose()
        };
        let remote = crate::remote::Settings::from_sources(sources)?;
        http.per_user = remote.as_ref().is_some_and(crate::remote::Settings::per_user);
        let secret = |name: &str| -> Option<SecretString> {
            let configured = sources.get(name).map(|v| {
                let s = SecretString::from(v);
                register_secret(&s);
                s
            });
            // Per-user mode never sends a configured key (the caller's replaces it), so a
            // tracker is served with its URL alone; the clients are still built as keyed.
            let needed = match name {
                "BITBUCKET_TOKEN" => {
                    ["BITBUCKET_URL", "BITBUCKET_FLAVOR"].iter().any(|v| sources.get(v).is_some())
                }
                _ => sources.get(&name.replace("_API_KEY", "_URL")).is_some(),
            };
            configured.or_else(|| (http.per_user && needed).then(|| SecretString::from(String::new())))
        };

        let bugzilla = {
            let url = url("BUGZILLA_URL", &mut warnings)?;
            let key = secret("BUGZILLA_API_KEY");
            let anonymous = parse_bool(sources, "BUGZILLA_ANONYMOUS")?.unwrap_or(false);
            let key_mode = match sources.get("BUGZILLA_API_KEY_MODE").as_deref() {
                None | Some("auto") => KeyMode::Auto,
                Some("header") => KeyMode::Header,
                Some("param") => KeyMode::Param,
                Some(_) => {
                    return Err(Error::Config(
                        "BUGZILLA_API_KEY_MODE must be `auto`, `header` or `param`".into(),
                    ));
                }
            };
            pair("BUGZILLA_URL", url, "BUGZILLA_API_KEY", key, anonymous, "BUGZILLA_ANONYMOUS")?.map(
                |(url, api_key)| BugzillaConfig {
                    url,
                    api_key,
                    key_mode,
                    // The server's login names no caller in per-user mode.
                    login: sources.get("BUGZILLA_LOGIN").filter(|_| !http.per_user),
                },
            )
        };
        let redmine = {
            let url = url("REDMINE_URL", &mut warnings)?;
            let key = secret("REDMINE_API_KEY");
            let anonymous = parse_bool(sources, "REDMINE_ANONYMOUS")?.unwrap_or(false);
            pair("REDMINE_URL", url, "REDMINE_API_KEY", key, anonymous, "REDMINE_ANONYMOUS")?
                .map(|(url, api_key)| RedmineConfig { url, api_key })
        };
        let bitbucket = bitbucket_config(sources, mode, &mut warnings, secret("BITBUCKET_TOKEN"))?;

        if mode == Mode::Development {
            warnings.push(
                "development mode (TRACKER_MCP_MODE=development): plain-http tracker URLs are \
                 allowed; never use it with real credentials over a network"
                    .into(),
            );
        }

        Ok(Self {
            mode,
            enable_writes: parse_bool(sources, "TRACKER_MCP_ENABLE_WRITES")?.unwrap_or(false),
            allow_tools: parse_list(sources.get("TRACKER_MCP_TOOLS")),
            deny_tools: parse_list(sources.get("TRACKER_MCP_DENY_TOOLS")),
            toolsets: parse_list(sources.get("TRACKER_MCP_TOOLSETS")),
            write_scope: parse_list(sources.get("TRACKER_MCP_WRITE_SCOPE")),
            audit_log: sources.get("TRACKER_MCP_AUDIT_LOG").map(PathBuf::from),
            upload_dirs: sources
                .get("TRACKER_MCP_UPLOAD_DIRS")
                .map_or_else(|| Ok(Vec::new()), |v| crate::upload::parse_dirs(&v))?,
            // Per-user mode has no credential to check before a caller comes.
            verify_on_start: !http.per_user
                && parse_bool(sources, "TRACKER_MCP_VERIFY_ON_START")?.unwrap_or(true),
            http,
            bugzilla,
            redmine,
            bitbucket,
            remote,
            warnings,
        })
    }
}

/// A URL and its credential come together, or not at all.
fn pair(
    url_name: &str,
    url: Option<Url>,
    key_name: &str,
    key: Option<SecretString>,
    anonymous: bool,
    anonymous_name: &str,
) -> Result<Option<(Url, Option<SecretString>)>> {
    match (url, key) {
        (None, None) if anonymous => Err(Error::Config(format!(
            "{anonymous_name}=true but {url_name} is not set: set the tracker's URL"
        ))),
        (None, None) => Ok(None),
        (Some(url), Some(key)) => Ok(Some((url, Some(key)))),
        (Some(url), None) if anonymous => Ok(Some((url, None))),
        (Some(_), None) => Err(Error::Config(format!(
            "{url_name} is set but {key_name} is missing: set {key_name}, or set \
             {anonymous_name}=true to read public data without a key"
        ))),
        (None, Some(_)) => Err(Error::Config(format!(
            "{key_name} is set but {url_name} is missing: set {url_name} to the tracker's base URL"
        ))),
    }
}

fn bitbucket_config(
    sources: &Sources,
    mode: Mode,
    warnings: &mut Vec<String>,
    token: Option<SecretString>,
) -> Result<Option<BitbucketConfig>> {
    let raw_url = sources.get("BITBUCKET_URL");
    let username = sources.get("BITBUCKET_USERNAME");
    let forced = match sources.get("BITBUCKET_FLAVOR").as_deref() {
        None | Some("auto") => None,
        Some("cloud") => Some(Flavor::Cloud),
        Some("datacenter") => Some(Flavor::DataCenter),
        Some(_) => {
            return Err(Error::Config("BITBUCKET_FLAVOR must be `cloud`, `datacenter` or `auto`".into()));
        }
    };
    let Some(token) = token else {
        if raw_url.is_some() || username.is_some() {
            let set = if raw_url.is_some() { "BITBUCKET_URL" } else { "BITBUCKET_USERNAME" };
            return Err(Error::Config(format!(
                "{set} is set but BITBUCKET_TOKEN is missing: set BITBUCKET_TOKEN to an access \
                 token (or, with BITBUCKET_USERNAME, an API token or app password)"
            )));
        }
        return Ok(None);
    };
    let mut url = match raw_url {
        Some(raw) => parse_tracker_url("BITBUCKET_URL", &raw, mode, warnings)?,
        None => Url::parse("https://api.bitbucket.org").map_err(|e| Error::Internal(e.to_string()))?,
    };
    let is_cloud_host = url.host_str() == Some("api.bitbucket.org");
    let flavor = forced.unwrap_or(if is_cloud_host { Flavor::Cloud } else { Flavor::DataCenter });
    if flavor == Flavor::Cloud {
        // Accept the documented API root with or without its `/2.0` suffix.
        let trimmed = url.path().trim_end_matches('/').trim_end_matches("/2.0").to_owned();
        url.set_path(&trimmed);
    }
    Ok(Some(BitbucketConfig { url, flavor, token, username }))
}

/// Parse a tracker URL and apply the URL policy. Never echoes a URL that carries credentials.
pub fn parse_tracker_url(name: &str, raw: &str, mode: Mode, warnings: &mut Vec<String>) -> Result<Url> {
    let url = Url::parse(raw.trim()).map_err(|e| {
        Error::Config(format!("{name} is not a valid URL ({e}); expected e.g. https://tracker.example.com"))
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::Config(format!(
            "{name} must not contain credentials (user:password@); put the credential in its \
             own variable instead"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Config(format!(
            "{name} must not contain a query (?...) or fragment (#...); give the base URL only"
        )));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::Config(format!("{name} has no host; expected e.g. https://tracker.example.com")));
    }
    match (url.scheme(), mode) {
        ("https", _) => {}
        ("http", Mode::Development) => warnings
            .push(format!("{name} uses plain http ({}); credentials travel unencrypted", origin_of(&url))),
        ("http", Mode::Production) => {
            return Err(Error::Config(format!(
                "{name} uses http://, which production mode refuses because the credential \
                 would travel unencrypted. Use the https:// URL of the tracker, or set \
                 TRACKER_MCP_MODE=development for a local test instance"
            )));
        }
        (other, _) => {
            return Err(Error::Config(format!(
                "{name} has scheme `{other}`; only https:// (and http:// in development mode) is supported"
            )));
        }
    }
    let mut url = url;
    let trimmed = url.path().trim_end_matches('/').to_owned();
    url.set_path(&trimmed);
    Ok(url)
}

/// `scheme://host[:port]`, safe to show.
#[must_use]
pub fn origin_of(url: &Url) -> String {
    url.origin().ascii_serialization()
}

fn parse_bool(sources: &Sources, name: &str) -> Result<Option<bool>> {
    match sources.get(name).map(|v| v.to_ascii_lowercase()).as_deref() {
        None => Ok(None),
        Some("true" | "1" | "yes" | "on") => Ok(Some(true)),
        Some("false" | "0" | "no" | "off" | "") => Ok(Some(false)),
        Some(_) => Err(Error::Config(format!("{name} must be `true` or `false`"))),
    }
}

fn parse_number(sources: &Sources, name: &str, min: f64, max: f64) -> Result<Option<f64>> {
    let Some(raw) = sources.get(name) else { return Ok(None) };
    match raw.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && (min..=max).contains(&v) => Ok(Some(v)),
        _ => Err(Error::Config(format!("{name} must be a number from {min} to {max}"))),
    }
}

fn parse_list(raw: Option<String>) -> Vec<String> {
    raw.map(|s| s.split(',').map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
