//! Credentials and service URLs from the environment and the config file:
//! the one loader behind both clients' `Client::from_env()` and the
//! `motionkit` CLI, so a program and the CLI read the same values.
//!
//! Each value comes from the [`SettingsInput`] (the environment, or a
//! program's own flags), then the selected profile of the TOML config
//! file, then the file's top-level section, then the built-in default
//! (URLs only).
//!
//! ```toml
//! # CONFIG_DIR/motionkit/config.toml (Linux: ~/.config/motionkit/config.toml),
//! # or the file MOTIONKIT_CONFIG names
//! [deepmotion]
//! api_url = "https://petest.deepmotion.com:443"
//! client_id = "..."
//! client_secret = "..."
//!
//! [motiondynamic]
//! api_url = "https://api.motiondynamic.tech"
//! token = "..."
//!
//! # MOTIONKIT_PROFILE=staging (the CLI: --profile staging)
//! [profiles.staging.deepmotion]
//! api_url = "https://staging.example.com"
//! ```
//!
//! A service is resolved only when asked for: a half-set or broken
//! section of the other service never affects it. The file must be a
//! regular file of at most [`MAX_CONFIG_FILE_BYTES`]. Secrets are held in
//! [`Secret`] and never printed: `Debug` is written by hand,
//! [`Setting::shown`] masks them, and a file that does not parse is
//! reported with its line number and the parser's message only, never the
//! offending text.

mod file;
mod input;
mod values;

use std::fmt;
use std::path::PathBuf;

use crate::secret::Secret;
use serde::Deserialize;

use file::{FileDeepMotion, FileMotionDynamic, one_line, parse, read_limited};

pub use file::{MAX_CONFIG_FILE_BYTES, default_config_path};
pub use input::{SettingsError, SettingsErrorKind, SettingsInput, env};
pub use values::{DeepMotionSettings, MotionDynamicSettings, Setting, Source, mask};

/// Default DeepMotion base URL (from the spec).
pub fn default_deepmotion_url() -> &'static str {
    motionkit_models::deepmotion::BASE_URLS
        .first()
        .map_or("https://petest.deepmotion.com:443", |(_, url)| url)
}

/// Default MotionDynamic base URL (from the spec).
pub fn default_motiondynamic_url() -> &'static str {
    motionkit_models::motiondynamic::BASE_URLS
        .first()
        .map_or("https://api.motiondynamic.tech", |(_, url)| url)
}

/// Whether `url` can be a service's base URL: `http(s)://host[:port][/prefix]`,
/// no query or fragment (the rule the clients apply when they are built).
/// The error says what is wrong.
pub fn check_api_url(url: &str) -> Result<(), String> {
    let parsed = url::Url::parse(url.trim_end_matches('/'))
        .map_err(|e| format!("{url:?} is not a URL ({e})"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(format!(
            "{url:?} is not an http:// or https:// URL with a host"
        ));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(format!(
            "{url:?} has a query or fragment; give the base URL only"
        ));
    }
    Ok(())
}

fn non_empty(value: Option<&str>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty()).map(str::to_owned)
}

/// The config file, read and parsed once, with the input; services are
/// resolved from it on demand. `Debug` shows the file's tables, never its
/// values.
#[derive(Clone, Default)]
pub struct Settings {
    input: SettingsInput,
    path: Option<PathBuf>,
    table: toml::Table,
    profile: Option<String>,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("path", &self.path)
            .field("tables", &self.table.keys().collect::<Vec<_>>())
            .field("profile", &self.profile)
            .finish_non_exhaustive()
    }
}

impl Settings {
    /// [`Settings::load`] with [`SettingsInput::from_env`].
    ///
    /// # Errors
    ///
    /// See [`Settings::load`].
    pub fn from_env() -> Result<Settings, SettingsError> {
        Self::load(SettingsInput::from_env())
    }

    /// Reads the config file (if any) and selects the profile. Services
    /// are checked later, one at a time.
    ///
    /// # Errors
    ///
    /// A named file that cannot be read, a file that does not parse (its
    /// line named, never its text), or a profile the file does not have.
    pub fn load(input: SettingsInput) -> Result<Settings, SettingsError> {
        let (path, explicit) = match &input.config_file {
            Some(path) => (Some(path.clone()), true),
            None => (default_config_path(), false),
        };
        let mut table = toml::Table::new();
        let mut read_from = None;
        if let Some(path) = &path
            && let Some(text) = read_limited(path, explicit)?
        {
            table = parse(path, &text)?;
            read_from = Some(path.clone());
        }
        let profile = non_empty(input.profile.as_deref());
        if let Some(name) = &profile {
            let profiles = table.get("profiles").and_then(|p| p.as_table());
            if !profiles.is_some_and(|p| p.contains_key(name)) {
                let known: Vec<String> = profiles
                    .map(|p| p.keys().cloned().collect())
                    .unwrap_or_default();
                let file = read_from
                    .as_ref()
                    .map_or("no config file".to_owned(), |p| p.display().to_string());
                return Err(SettingsError::file(format!(
                    "profile {name:?} is not in the config file ({file}); profiles there: {}",
                    if known.is_empty() { "none".to_owned() } else { known.join(", ") }
                ))
                .hint("add a [profiles.NAME.deepmotion] or [profiles.NAME.motiondynamic] table, or unset the profile (MOTIONKIT_PROFILE, the CLI's --profile)"));
            }
        }
        Ok(Settings {
            input,
            path: read_from,
            table,
            profile,
        })
    }

    /// The config file read, if any.
    pub fn path(&self) -> Option<&std::path::Path> {
        self.path.as_deref()
    }

    /// The selected profile.
    pub fn profile(&self) -> Option<&str> {
        self.profile.as_deref()
    }

    /// Redis shared by a fleet, where MotionDynamic's rate budget (and
    /// webhook deduplication) can live: the input's `redis_url` (a flag, or
    /// `MOTIONKIT_REDIS_URL`), else the file's top-level `redis_url`, else
    /// `None`. Empty values count as unset. The URL may carry a password:
    /// it comes back as a [`Secret`].
    ///
    /// # Errors
    ///
    /// A top-level `redis_url` that is not a string.
    pub fn redis_url(&self) -> Result<Option<crate::Secret>, SettingsError> {
        if let Some(url) = non_empty(self.input.redis_url.as_deref()) {
            return Ok(Some(crate::Secret::new(url)));
        }
        match self.table.get("redis_url") {
            None => Ok(None),
            Some(toml::Value::String(url)) => {
                Ok(non_empty(Some(url.as_str())).map(crate::Secret::new))
            }
            Some(_) => Err(SettingsError::file(
                "redis_url in the config file must be a string such as \"redis://host:6379\"",
            )
            .hint("write it as redis_url = \"redis://host:6379\" at the top of the file")),
        }
    }

    /// A top-level value of the file that is not a service's table (such as
    /// `redis_url`).
    pub fn top_level(&self, key: &str) -> Option<&toml::Value> {
        self.table.get(key)
    }

    /// Top-level tables the file has that are not `known` (typos).
    pub fn unknown_tables(&self, known: &[&str]) -> Vec<String> {
        self.table
            .keys()
            .filter(|k| {
                !matches!(k.as_str(), "deepmotion" | "motiondynamic" | "profiles")
                    && !known.contains(&k.as_str())
            })
            .cloned()
            .collect()
    }

    /// The `[service]` tables that apply, most specific first: the
    /// profile's, then the top level's, with their names.
    fn tables(&self, service: &str) -> Vec<(String, &toml::Table)> {
        let mut out = Vec::new();
        if let Some(profile) = &self.profile {
            let table = self
                .table
                .get("profiles")
                .and_then(|p| p.get(profile))
                .and_then(|p| p.get(service))
                .and_then(|t| t.as_table());
            if let Some(table) = table {
                out.push((format!("profiles.{profile}.{service}"), table));
            }
        }
        if let Some(table) = self.table.get(service).and_then(|t| t.as_table()) {
            out.push((service.to_owned(), table));
        }
        out
    }

    fn file_name(&self) -> String {
        self.path
            .as_ref()
            .map_or_else(String::new, |p| p.display().to_string())
    }

    /// Checks the service's tables against their schema (unknown keys,
    /// wrong types, a value that is not a table), naming the file and the
    /// table.
    fn check_tables<T: for<'de> Deserialize<'de>>(
        &self,
        service: &str,
    ) -> Result<(), SettingsError> {
        let mut places = vec![(service.to_owned(), self.table.get(service))];
        if let Some(profile) = &self.profile {
            let value = self
                .table
                .get("profiles")
                .and_then(|p| p.get(profile))
                .and_then(|p| p.get(service));
            places.push((format!("profiles.{profile}.{service}"), value));
        }
        for (name, value) in places {
            if let Some(value) = value.filter(|v| !v.is_table()) {
                let kind = value.type_str();
                let article = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
                    "an"
                } else {
                    "a"
                };
                return Err(SettingsError::file(format!(
                    "config file {}: `{name}` is {article} {kind}, not a table",
                    self.file_name()
                ))
                .hint(format!(
                    "write it as a [{name}] table with its keys on the lines below"
                )));
            }
        }
        for (name, table) in self.tables(service) {
            let value = toml::Value::Table(table.clone());
            if let Err(e) = value.try_into::<T>() {
                return Err(SettingsError::file(format!(
                    "config file {}: [{name}]: {}",
                    self.file_name(),
                    one_line(e.message())
                )));
            }
        }
        Ok(())
    }

    fn setting(
        &self,
        key: &'static str,
        flag: (&'static str, &'static str, Option<&str>),
        service: &str,
        file_key: &str,
        secret: bool,
    ) -> Setting {
        let (flag_name, env, given) = flag;
        if let Some(value) = non_empty(given) {
            let from_env = std::env::var(env).is_ok_and(|v| v == value);
            return Setting {
                key,
                value: Some(Secret::new(value)),
                source: if from_env {
                    Source::Env(env)
                } else {
                    Source::Flag(flag_name)
                },
                secret,
            };
        }
        for (name, table) in self.tables(service) {
            if let Some(value) = non_empty(table.get(file_key).and_then(|v| v.as_str())) {
                return Setting {
                    key,
                    value: Some(Secret::new(value)),
                    source: Source::File(name),
                    secret,
                };
            }
        }
        Setting {
            key,
            value: None,
            source: Source::Unset,
            secret,
        }
    }

    /// The DeepMotion settings, each with its source: `api_url`,
    /// `client_id`, `client_secret`.
    pub fn deepmotion_settings(&self) -> [Setting; 3] {
        let given = &self.input;
        let mut url = self.setting(
            "deepmotion.api_url",
            (
                "--deepmotion-url",
                env::DEEPMOTION_API_URL,
                given.deepmotion_url.as_deref(),
            ),
            "deepmotion",
            "api_url",
            false,
        );
        if url.value.is_none() {
            url.value = Some(Secret::new(default_deepmotion_url()));
            url.source = Source::Default;
        }
        [
            url,
            self.setting(
                "deepmotion.client_id",
                (
                    "--client-id",
                    env::DEEPMOTION_CLIENT_ID,
                    given.client_id.as_deref(),
                ),
                "deepmotion",
                "client_id",
                false,
            ),
            self.setting(
                "deepmotion.client_secret",
                (
                    "--client-secret",
                    env::DEEPMOTION_CLIENT_SECRET,
                    given.client_secret.as_deref(),
                ),
                "deepmotion",
                "client_secret",
                true,
            ),
        ]
    }

    /// The MotionDynamic settings, each with its source: `api_url`, `token`.
    pub fn motiondynamic_settings(&self) -> [Setting; 2] {
        let given = &self.input;
        let mut url = self.setting(
            "motiondynamic.api_url",
            (
                "--motiondynamic-url",
                env::MOTIONDYNAMIC_API_URL,
                given.motiondynamic_url.as_deref(),
            ),
            "motiondynamic",
            "api_url",
            false,
        );
        if url.value.is_none() {
            url.value = Some(Secret::new(default_motiondynamic_url()));
            url.source = Source::Default;
        }
        [
            url,
            self.setting(
                "motiondynamic.token",
                ("--token", env::MOTIONDYNAMIC_TOKEN, given.token.as_deref()),
                "motiondynamic",
                "token",
                true,
            ),
        ]
    }

    /// DeepMotion's URL and credentials; `Ok(None)` when no credential at
    /// all is set. Only DeepMotion's sources are read and checked.
    ///
    /// # Errors
    ///
    /// A malformed `[deepmotion]` table, or credentials half set (the
    /// error names the missing variable).
    pub fn deepmotion(&self) -> Result<Option<DeepMotionSettings>, SettingsError> {
        self.check_tables::<FileDeepMotion>("deepmotion")?;
        let [url, id, secret] = self.deepmotion_settings();
        match (id.text(), secret.value) {
            (Some(client_id), Some(client_secret)) => Ok(Some(DeepMotionSettings {
                url: url
                    .text()
                    .unwrap_or_else(|| default_deepmotion_url().to_owned()),
                client_id,
                client_secret,
            })),
            (None, None) => Ok(None),
            (id, _) => {
                let (var, key) = if id.is_none() {
                    (env::DEEPMOTION_CLIENT_ID, "client_id")
                } else {
                    (env::DEEPMOTION_CLIENT_SECRET, "client_secret")
                };
                Err(SettingsError::credentials(
                    format!("DeepMotion credentials are incomplete: {var} is not set"),
                    format!("set {var} (or `{key}` under [deepmotion] in the config file)"),
                ))
            }
        }
    }

    /// [`Settings::deepmotion`], with no credentials at all an error too.
    ///
    /// # Errors
    ///
    /// See [`Settings::deepmotion`]; no credentials names both variables.
    pub fn require_deepmotion(&self) -> Result<DeepMotionSettings, SettingsError> {
        self.deepmotion()?.ok_or_else(|| {
            SettingsError::credentials(
                format!(
                    "no DeepMotion credentials: {} and {} are not set{}",
                    env::DEEPMOTION_CLIENT_ID,
                    env::DEEPMOTION_CLIENT_SECRET,
                    self.in_file()
                ),
                format!(
                    "set {} and {} (or client_id and client_secret under [deepmotion] in the \
                     config file; `motionkit config init` writes one)",
                    env::DEEPMOTION_CLIENT_ID,
                    env::DEEPMOTION_CLIENT_SECRET
                ),
            )
        })
    }

    /// MotionDynamic's URL and token; `Ok(None)` when no token is set.
    /// Only MotionDynamic's sources are read and checked.
    ///
    /// # Errors
    ///
    /// A malformed `[motiondynamic]` table.
    pub fn motiondynamic(&self) -> Result<Option<MotionDynamicSettings>, SettingsError> {
        self.check_tables::<FileMotionDynamic>("motiondynamic")?;
        let [url, token] = self.motiondynamic_settings();
        Ok(token.value.map(|token| MotionDynamicSettings {
            url: url
                .text()
                .unwrap_or_else(|| default_motiondynamic_url().to_owned()),
            token,
        }))
    }

    /// [`Settings::motiondynamic`], with no token an error too.
    ///
    /// # Errors
    ///
    /// See [`Settings::motiondynamic`]; no token names its variable.
    pub fn require_motiondynamic(&self) -> Result<MotionDynamicSettings, SettingsError> {
        self.motiondynamic()?.ok_or_else(|| {
            SettingsError::credentials(
                format!(
                    "no MotionDynamic token: {} is not set{}",
                    env::MOTIONDYNAMIC_TOKEN,
                    self.in_file()
                ),
                format!(
                    "set {} (or token under [motiondynamic] in the config file; `motionkit \
                     config init` writes one)",
                    env::MOTIONDYNAMIC_TOKEN
                ),
            )
        })
    }

    /// `, nor in the config file PATH` or `, and there is no config file`.
    fn in_file(&self) -> String {
        match &self.path {
            Some(path) => format!(", nor in the config file {}", path.display()),
            None => ", and no config file was found".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests;
