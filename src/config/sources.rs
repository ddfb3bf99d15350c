//! Where the raw values come from: `.env` in the working directory, `--env-file`, the real
//! environment and command-line flags, merged by precedence without touching the process
//! environment.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

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
    /// Gather `.env` from `cwd` (if present), then `env_file` (must exist), then the real
    /// environment, then `overrides` (command-line flags).
    pub fn gather(
        cwd: &Path,
        env_file: Option<&Path>,
        environment: impl IntoIterator<Item = (String, String)>,
        overrides: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self> {
        let mut sources = Self::default();
        let dotenv = cwd.join(".env");
        if dotenv.is_file() {
            sources.read_file(&dotenv)?;
        }
        if let Some(path) = env_file {
            if !path.is_file() {
                return Err(Error::Config(format!("--env-file {}: no such file", path.display())));
            }
            sources.read_file(path)?;
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
