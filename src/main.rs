//! The `tracker-mcp` command: serve MCP over stdio (default) or Streamable HTTP
//! (`serve --http`), `check` the configured trackers, or list the `tools` this configuration
//! serves.
//!
//! stdout is the JSON-RPC channel when serving stdio, so every log line goes to stderr.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use rmcp::ServiceExt;
use tracker_mcp::config::{self, Sources, VARIABLES};
use tracker_mcp::{Config, TrackerServer};

#[derive(Debug, Parser)]
#[command(
    name = "tracker-mcp",
    version,
    about = "MCP server for Bugzilla, Redmine and Bitbucket (Cloud and Data Center), over stdio.",
    long_about = "MCP server for Bugzilla, Redmine and Bitbucket (Cloud and Data Center), over stdio.\n\n\
        An MCP client (Claude Desktop, Cursor, VS Code) starts it and speaks JSON-RPC on its \
        stdin/stdout. Each tracker whose URL and credential are set adds one tool set. The server \
        is read-only unless TRACKER_MCP_ENABLE_WRITES=true, and refuses http:// tracker URLs \
        unless TRACKER_MCP_MODE=development.\n\n\
        Settings come from, lowest precedence first: ~/.config/tracker-mcp/.env (or \
        $XDG_CONFIG_HOME/tracker-mcp/.env), --env-file, the environment, then the flags below. \
        A .env in the working directory is never read: the client may start the server inside \
        a cloned repository. Secrets (API keys, tokens) have no flags on \
        purpose: command lines are visible to every user of the machine.\n\n\
        Remote serving: `tracker-mcp serve --http 127.0.0.1:8080` serves Streamable HTTP at \
        /mcp instead of stdio (GET /healthz answers without auth). Every request must carry \
        `Authorization: Bearer $TRACKER_MCP_HTTP_TOKEN` (at least 32 characters; without it the \
        server refuses to start: there is no anonymous HTTP mode). A port alone binds loopback; \
        0.0.0.0:PORT listens on every interface (put TLS in front). Requests from a browser \
        Origin not in TRACKER_MCP_HTTP_ALLOWED_ORIGINS get 403. --http-stateless lets several \
        replicas share one URL. With TRACKER_MCP_OAUTH_ISSUER and TRACKER_MCP_OAUTH_AUDIENCE \
        the server also accepts that issuer's OAuth 2.1 JWT access tokens (scopes tracker:read, \
        and tracker:write for tools that change data). The trackers see the server's own \
        credentials.",
    after_long_help = variables_help(),
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Read variables from this file (overrides ~/.config/tracker-mcp/.env; the real
    /// environment overrides both).
    #[arg(long, global = true, value_name = "PATH")]
    env_file: Option<PathBuf>,
    /// production (default: https only) or development (http allowed, with a warning).
    #[arg(long, global = true, value_name = "MODE", value_parser = ["production", "development"])]
    mode: Option<String>,
    /// Register tools that change data (TRACKER_MCP_ENABLE_WRITES).
    #[arg(long, global = true)]
    enable_writes: bool,
    /// Comma-separated globs of tool names to allow (TRACKER_MCP_TOOLS).
    #[arg(long, global = true, value_name = "GLOBS")]
    tools: Option<String>,
    /// Comma-separated globs of tool names to hide (TRACKER_MCP_DENY_TOOLS).
    #[arg(long, global = true, value_name = "GLOBS")]
    deny_tools: Option<String>,
    /// Comma-separated tool sets to serve, e.g. redmine:issues,bitbucket:pull_requests
    /// (TRACKER_MCP_TOOLSETS).
    #[arg(long, global = true, value_name = "SETS")]
    toolsets: Option<String>,
    /// Comma-separated globs over tracker:container limiting destructive tools, e.g.
    /// bitbucket:acme/* (TRACKER_MCP_WRITE_SCOPE).
    #[arg(long, global = true, value_name = "GLOBS")]
    write_scope: Option<String>,
    /// Skip the background credential check at start-up (TRACKER_MCP_VERIFY_ON_START=false).
    #[arg(long, global = true)]
    no_verify_on_start: bool,
    /// Append a JSON line per tool call to this file, created 0600 (TRACKER_MCP_AUDIT_LOG).
    #[arg(long, global = true, value_name = "PATH")]
    audit_log: Option<PathBuf>,
    /// Directories local files may be attached from by `path`, path-list separated
    /// (TRACKER_MCP_UPLOAD_DIRS; default none: no file uploads).
    #[arg(long, global = true, value_name = "DIRS")]
    upload_dirs: Option<String>,
    /// Overall timeout of one upstream request, in seconds (TRACKER_MCP_TIMEOUT_SECS).
    #[arg(long, global = true, value_name = "SECS")]
    timeout_secs: Option<f64>,
    /// Connect timeout in seconds (TRACKER_MCP_CONNECT_TIMEOUT_SECS).
    #[arg(long, global = true, value_name = "SECS")]
    connect_timeout_secs: Option<f64>,
    /// Extra PEM CA bundle for trackers (and an OAuth issuer) with a private CA (TRACKER_MCP_CA_BUNDLE).
    #[arg(long, global = true, value_name = "PATH")]
    ca_bundle: Option<PathBuf>,
    /// Requests per second per tracker (TRACKER_MCP_RATE_LIMIT).
    #[arg(long, global = true, value_name = "N")]
    rate_limit: Option<f64>,
    /// Largest upstream response read, in bytes (TRACKER_MCP_MAX_RESPONSE_BYTES).
    #[arg(long, global = true, value_name = "BYTES")]
    max_response_bytes: Option<u64>,
    /// Bugzilla base URL (BUGZILLA_URL).
    #[arg(long, global = true, value_name = "URL")]
    bugzilla_url: Option<String>,
    /// auto, header or param (BUGZILLA_API_KEY_MODE).
    #[arg(long, global = true, value_name = "MODE")]
    bugzilla_api_key_mode: Option<String>,
    /// The Bugzilla key owner's login (BUGZILLA_LOGIN).
    #[arg(long, global = true, value_name = "LOGIN")]
    bugzilla_login: Option<String>,
    /// Use Bugzilla without a key: public bugs only (BUGZILLA_ANONYMOUS).
    #[arg(long, global = true)]
    bugzilla_anonymous: bool,
    /// Redmine base URL (REDMINE_URL).
    #[arg(long, global = true, value_name = "URL")]
    redmine_url: Option<String>,
    /// Use Redmine without a key: public projects only (REDMINE_ANONYMOUS).
    #[arg(long, global = true)]
    redmine_anonymous: bool,
    /// Bitbucket URL: unset for Cloud, the server URL for Data Center (BITBUCKET_URL).
    #[arg(long, global = true, value_name = "URL")]
    bitbucket_url: Option<String>,
    /// Bitbucket username for Basic auth (BITBUCKET_USERNAME).
    #[arg(long, global = true, value_name = "NAME")]
    bitbucket_username: Option<String>,
    /// cloud, datacenter or auto (BITBUCKET_FLAVOR).
    #[arg(long, global = true, value_name = "FLAVOR")]
    bitbucket_flavor: Option<String>,
    /// Serve Streamable HTTP at /mcp on ADDR instead of stdio, e.g. 127.0.0.1:8080, or a port
    /// alone for loopback (TRACKER_MCP_HTTP). Needs TRACKER_MCP_HTTP_TOKEN.
    #[arg(long, global = true, value_name = "ADDR")]
    http: Option<String>,
    /// Comma-separated browser Origins accepted over HTTP, e.g. https://app.example.com
    /// (TRACKER_MCP_HTTP_ALLOWED_ORIGINS).
    #[arg(long, global = true, value_name = "ORIGINS")]
    http_allowed_origins: Option<String>,
    /// Comma-separated Host names accepted over HTTP (TRACKER_MCP_HTTP_ALLOWED_HOSTS).
    #[arg(long, global = true, value_name = "HOSTS")]
    http_allowed_hosts: Option<String>,
    /// No HTTP sessions: every request is answered on its own, so replicas behind a load
    /// balancer need no affinity (TRACKER_MCP_HTTP_STATELESS).
    #[arg(long, global = true)]
    http_stateless: bool,
    /// Whose tracker credentials HTTP calls use: server (the configured keys) or per-user
    /// (each request's own, from X-Redmine-API-Key, X-Bugzilla-API-Key, X-Bitbucket-Token;
    /// never a fallback to the server's) (TRACKER_MCP_HTTP_CREDENTIALS).
    #[arg(long, global = true, value_name = "WHOSE")]
    http_credentials: Option<String>,
    /// MCP requests per second per HTTP caller, bursts up to twice that; 0 for none
    /// (TRACKER_MCP_HTTP_RATE_LIMIT).
    #[arg(long, global = true, value_name = "N")]
    http_rate_limit: Option<f64>,
    /// Serve Prometheus metrics at /metrics on ADDR (TRACKER_MCP_METRICS_ADDR).
    #[arg(long, global = true, value_name = "ADDR")]
    metrics_addr: Option<String>,
    /// OAuth 2.1 over HTTP: accept JWT access tokens from this issuer
    /// (TRACKER_MCP_OAUTH_ISSUER).
    #[arg(long, global = true, value_name = "URL")]
    oauth_issuer: Option<String>,
    /// OAuth 2.1 over HTTP: this server's public URL, which tokens must name in `aud`
    /// (TRACKER_MCP_OAUTH_AUDIENCE).
    #[arg(long, global = true, value_name = "URL")]
    oauth_audience: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve MCP over stdio (the default), or over Streamable HTTP with --http.
    Serve,
    /// Check each configured tracker (reachability and credential); exit 1 if any fails.
    Check,
    /// List the tools this configuration serves, one per line, with read/write.
    Tools,
}

fn variables_help() -> String {
    let mut out =
        String::from("Environment variables (also read from ~/.config/tracker-mcp/.env or --env-file):\n");
    for (name, meaning) in VARIABLES {
        out.push_str(&format!("  {name:<34} {meaning}\n"));
    }
    out.push_str(
        "\nExamples:\n  tracker-mcp check            test the configured trackers\n  \
                  tracker-mcp tools            list the tools that would be served\n  \
                  tracker-mcp --env-file ~/work/tracker.env   settings from another file\n  \
                  TRACKER_MCP_HTTP_TOKEN=$(openssl rand -hex 32) tracker-mcp serve --http 127.0.0.1:8080\n",
    );
    out
}

impl Cli {
    /// Flags as variable overrides.
    fn overrides(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut put = |name: &str, value: Option<String>| {
            if let Some(v) = value {
                out.push((name.to_owned(), v));
            }
        };
        put("TRACKER_MCP_MODE", self.mode.clone());
        put("TRACKER_MCP_ENABLE_WRITES", self.enable_writes.then(|| "true".to_owned()));
        put("TRACKER_MCP_TOOLS", self.tools.clone());
        put("TRACKER_MCP_DENY_TOOLS", self.deny_tools.clone());
        put("TRACKER_MCP_TOOLSETS", self.toolsets.clone());
        put("TRACKER_MCP_WRITE_SCOPE", self.write_scope.clone());
        put("TRACKER_MCP_VERIFY_ON_START", self.no_verify_on_start.then(|| "false".to_owned()));
        put("BUGZILLA_ANONYMOUS", self.bugzilla_anonymous.then(|| "true".to_owned()));
        put("REDMINE_ANONYMOUS", self.redmine_anonymous.then(|| "true".to_owned()));
        put("TRACKER_MCP_AUDIT_LOG", self.audit_log.as_ref().map(|p| p.display().to_string()));
        put("TRACKER_MCP_UPLOAD_DIRS", self.upload_dirs.clone());
        put("TRACKER_MCP_TIMEOUT_SECS", self.timeout_secs.map(|v| v.to_string()));
        put("TRACKER_MCP_CONNECT_TIMEOUT_SECS", self.connect_timeout_secs.map(|v| v.to_string()));
        put("TRACKER_MCP_CA_BUNDLE", self.ca_bundle.as_ref().map(|p| p.display().to_string()));
        put("TRACKER_MCP_RATE_LIMIT", self.rate_limit.map(|v| v.to_string()));
        put("TRACKER_MCP_MAX_RESPONSE_BYTES", self.max_response_bytes.map(|v| v.to_string()));
        put("BUGZILLA_URL", self.bugzilla_url.clone());
        put("BUGZILLA_API_KEY_MODE", self.bugzilla_api_key_mode.clone());
        put("BUGZILLA_LOGIN", self.bugzilla_login.clone());
        put("REDMINE_URL", self.redmine_url.clone());
        put("BITBUCKET_URL", self.bitbucket_url.clone());
        put("BITBUCKET_USERNAME", self.bitbucket_username.clone());
        put("BITBUCKET_FLAVOR", self.bitbucket_flavor.clone());
        put("TRACKER_MCP_HTTP", self.http.clone());
        put("TRACKER_MCP_HTTP_ALLOWED_ORIGINS", self.http_allowed_origins.clone());
        put("TRACKER_MCP_HTTP_ALLOWED_HOSTS", self.http_allowed_hosts.clone());
        put("TRACKER_MCP_HTTP_STATELESS", self.http_stateless.then(|| "true".to_owned()));
        put("TRACKER_MCP_HTTP_CREDENTIALS", self.http_credentials.clone());
        put("TRACKER_MCP_HTTP_RATE_LIMIT", self.http_rate_limit.map(|v| v.to_string()));
        put("TRACKER_MCP_METRICS_ADDR", self.metrics_addr.clone());
        put("TRACKER_MCP_OAUTH_ISSUER", self.oauth_issuer.clone());
        put("TRACKER_MCP_OAUTH_AUDIENCE", self.oauth_audience.clone());
        out
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Secrets are registered while the configuration loads, before anything is logged.
    tracker_mcp::logging::init();

    let config = match load_config(&cli) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("tracker-mcp: {message}");
            return ExitCode::from(2);
        }
    };
    for warning in &config.warnings {
        tracing::warn!("{warning}");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("tracker-mcp: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve(&config).await,
            Command::Check => check(&config).await,
            Command::Tools => list_tools(&config),
        }
    })
}

fn load_config(cli: &Cli) -> Result<Config, String> {
    let cwd = std::env::current_dir().map_err(|e| format!("cannot read the working directory: {e}"))?;
    let user_file = config::user_config_file(|name| std::env::var(name).ok());
    let sources = Sources::gather(
        &cwd,
        user_file.as_deref(),
        cli.env_file.as_deref(),
        std::env::vars(),
        cli.overrides(),
    )
    .map_err(|e| e.client_message())?;
    let config = Config::from_sources(&sources).map_err(|e| e.client_message())?;
    if !config.has_trackers() {
        return Err(Config::no_tracker_message());
    }
    Ok(config)
}

fn build(config: &Config) -> Result<TrackerServer, ExitCode> {
    TrackerServer::new(config).map_err(|e| {
        eprintln!("tracker-mcp: {}", e.client_message());
        ExitCode::from(2)
    })
}

async fn serve(config: &Config) -> ExitCode {
    let server = match build(config) {
        Ok(server) => server,
        Err(code) => return code,
    };
    if let Some(remote) = &config.remote {
        // Over HTTP no single `initialize` waits on start-up: build the tools and check the
        // credentials now, for every session.
        server.start_background_work();
        return match tracker_mcp::remote::serve(server, remote, tracker_mcp::remote::shutdown_signal()).await
        {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("tracker-mcp: {}", error.client_message());
                ExitCode::from(2)
            }
        };
    }
    tracing::info!(writes = config.enable_writes, "serving on stdio");
    let handle = server.clone();
    // `serve` waits for `initialize` (or a 2026-07-28 `server/discover`), then runs the loop.
    let service = match server.serve(tracker_mcp::stdio::transport()).await {
        Ok(service) => service,
        Err(error) => {
            tracing::error!(%error, "the client did not complete initialization");
            return ExitCode::FAILURE;
        }
    };
    // The credential check (TRACKER_MCP_VERIFY_ON_START) starts when the client says it is
    // initialized (`TrackerServer::on_initialized`).
    let outcome = service.waiting().await;
    // Calls still running when stdin closed have been answered or dropped; their audit lines
    // must still reach the file.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), handle.flush_audit_log()).await;
    match outcome {
        Ok(reason) => {
            tracing::info!(?reason, "stopped");
            ExitCode::SUCCESS
        }
        Err(error) => {
            tracing::error!(%error, "server task failed");
            ExitCode::FAILURE
        }
    }
}

#[allow(clippy::print_stdout, reason = "`check` is a terminal command, not the MCP channel")]
async fn check(config: &Config) -> ExitCode {
    let server = match build(config) {
        Ok(server) => server,
        Err(code) => return code,
    };
    let mut failed = false;
    for (tracker, outcome) in server.check().await {
        match outcome {
            // Masked and cleaned like a tool result: the detail echoes tracker data, and this
            // goes to a terminal that obeys escape sequences.
            Ok(detail) => println!("ok    {tracker:<9} {}", tracker_mcp::render::outgoing(&detail)),
            Err(error) => {
                failed = true;
                println!("FAIL  {tracker:<9} {}", tracker_mcp::render::outgoing(&error.client_message()));
            }
        }
    }
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

#[allow(clippy::print_stdout, reason = "`tools` is a terminal command, not the MCP channel")]
fn list_tools(config: &Config) -> ExitCode {
    let server = match build(config) {
        Ok(server) => server,
        Err(code) => return code,
    };
    // One line per listed tool, and under a tool that groups operations one line per method
    // with the operation's name (what TRACKER_MCP_TOOLS / TRACKER_MCP_DENY_TOOLS also match).
    for tool in server.tools() {
        let kind = if tracker_mcp::policy::is_read_only(&tool) { "read " } else { "write" };
        println!("{kind}  {}", tool.name);
        for (method, operation) in server.methods(&tool.name) {
            println!("         method {method:<16} {operation}");
        }
    }
    ExitCode::SUCCESS
}
