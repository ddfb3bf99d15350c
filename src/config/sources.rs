//! Where the raw values come from: the user's own `tracker-mcp/.env` in their configuration
//! directory, `--env-file`, the real environment and command-line flags, merged by precedence
//! without touching the process environment.
//!
//! The working directory is never read: MCP clients start stdio servers in whatever project is
//! open, and a cloned repository's `.env` would otherwise choose the tracker URL the token is
//! sent to, switch writes on or place the audit log. A `.env` found there is named in a
//! warning and ignored.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use super::VARIABLES;
use crate::error::{Error, Result};

/// The raw values, merged by precedence. Values are kept only for names in [`VARIABLES`].
#[derive(Default)]
pub struct Sources {
    values: HashMap<String, String>,
    pub(super) warnings: Vec<String>,
}

impl fmt::Debug for Sources {
    // Values may be secrets: show names only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<_> = self.values.keys().collect();
        names.sort();
        f.debug_struct("Sources").field("names", &names).finish_non_exhaustive()
    }
}

impl Sources {
    /// Gather the user's `config_file` (if present), then `env_file` (must exist), then the
    /// real environment, then `overrides` (command-line flags). `cwd` is only looked at to warn
    /// that a `.env` there is ignored.
    pub fn gather(
        cwd: &Path,
        config_file: Option<&Path>,
        env_file: Option<&Path>,
        environment: impl IntoIterator<Item = (String, String)>,
        overrides: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self> {
        let mut sources = Self::default();
        if let Some(path) = config_file
            && path.is_file()
        {
            sources.read_file(path)?;
        }
        if let Some(path) = env_file {
            if !path.is_file() {
                return Err(Error::Config(format!("--env-file {}: no such file", path.display())));
            }
            sources.read_file(path)?;
        }
        let ignored = cwd.join(".env");
        let named = |p: Option<&Path>| p.is_some_and(|p| same_file(p, &ignored));
        if ignored.is_file() && !named(config_file) && !named(env_file) {
            sources.warnings.push(format!(
                "{} is ignored: the working directory is not trusted configuration (it is often a \
                 cloned repository). Move the settings to {} or pass --env-file {}",
                ignored.display(),
                config_file
                    .map_or_else(|| "your configuration directory".to_owned(), |p| p.display().to_string()),
                ignored.display()
            ));
        }
        for (k, v) in environment {
            sources.set(k, v);
        }
        for (k, v) in overrides {
            sources.set(k, v);
        }
        Ok(sources)
    }

    /// Values from explicit pairs only (tests).
    #[must_use]
    pub fn from_pairs<K: Into<String>, V: Into<String>>(pairs: impl IntoIterator<Item = (K, V)>) -> Self {
        let mut sources = Self::default();
        for (k, v) in pairs {
            sources.set(k.into(), v.into());
        }
        sources
    }

    fn set(&mut self, key: String, value: String) {
        if VARIABLES.iter().any(|(name, _)| *name == key) {
            self.values.insert(key, value);
        }
    }

    fn read_file(&mut self, path: &Path) -> Result<()> {
        warn_if_shared(path, &mut self.warnings);
        let iter = dotenvy::from_path_iter(path)
            .map_err(|e| Error::Config(format!("cannot read {}: {}", path.display(), dotenv_error(&e))))?;
        for item in iter {
            let (k, v) = item.map_err(|e| {
                Error::Config(format!("cannot parse {}: {}", path.display(), dotenv_error(&e)))
            })?;
            self.set(k, v);
        }
        Ok(())
    }

    /// A non-empty value, trimmed of surrounding whitespace.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<String> {
        self.values.get(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
    }
}

/// The user's own settings file: `$XDG_CONFIG_HOME/tracker-mcp/.env`, else
/// `$HOME/.config/tracker-mcp/.env` (Linux and macOS alike), else `%APPDATA%\\tracker-mcp\\.env`
/// on Windows. Relative base directories are ignored, as the XDG specification says.
#[must_use]
pub fn user_config_file(var: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let absolute = |name: &str| var(name).map(PathBuf::from).filter(|p| p.is_absolute());
    let base = absolute("XDG_CONFIG_HOME")
        .or_else(|| absolute("HOME").map(|home| home.join(".config")))
        .or_else(|| absolute("APPDATA"))?;
    Some(base.join("tracker-mcp").join(".env"))
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// dotenvy's parse errors quote the offending line, which may hold a secret: keep only
/// the position.
fn dotenv_error(error: &dotenvy::Error) -> String {
    match error {
        dotenvy::Error::LineParse(_, index) => format!("syntax error at byte {index}"),
        dotenvy::Error::Io(e) => e.kind().to_string(),
        _ => "invalid file".to_owned(),
    }
}

#[cfg(unix)]
fn warn_if_shared(path: &Path, warnings: &mut Vec<String>) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        warnings.push(format!(
            "{} is readable by other users and may hold secrets; run `chmod 600 {}`",
            path.display(),
            path.display()
        ));
    }
}

#[cfg(not(unix))]
fn warn_if_shared(_: &Path, _: &mut Vec<String>) {}
