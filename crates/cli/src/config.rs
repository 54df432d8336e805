//! Credentials and service URLs, per service: each value comes from its
//! flag, then its environment variable, then the selected profile of the
//! TOML config file, then the file's top-level section.
//!
//! ```toml
//! # CONFIG_DIR/motionkit/config.toml (Linux: ~/.config/motionkit/config.toml)
//! [deepmotion]
//! api_url = "https://petest.deepmotion.com:443"
//! client_id = "..."
//! client_secret = "..."
//!
//! [motiondynamic]
//! api_url = "https://api.motiondynamic.tech"
//! token = "..."
//!
//! # --profile staging (or MOTIONKIT_PROFILE=staging)
//! [profiles.staging.deepmotion]
//! api_url = "https://staging.example.com"
//! ```
//!
//! A top-level `redis_url = "redis://host:6379"` shares the MotionDynamic
//! rate budget through Redis (see `crate::fleet`).
//!
//! A command resolves only the service it uses: a half-set or broken
//! section of the other service never affects it. The file must be a
//! regular file of at most [`MAX_FILE_BYTES`](file::MAX_FILE_BYTES).
//! Secrets are held in [`SecretString`] and never printed: `Debug` is
//! written by hand, `config show` masks them, and a file that does not
//! parse is reported with its line number and the parser's message only,
//! never the offending text.
//!
//! `file` reads and parses the file; `settings` holds the resolved values
//! and keeps secrets out of `Debug`; this module resolves each value from
//! its sources, profile first.

mod file;
mod settings;

use std::fmt;
use std::path::PathBuf;

use secrecy::SecretString;
use serde::Deserialize;

use crate::args::GlobalArgs;
use crate::exit::CliError;
use file::{FileDeepMotion, FileMotionDynamic, parse, read_limited};

pub use file::{default_path, render_file};
pub use settings::{DeepMotionConfig, MotionDynamicConfig, Setting, Source};

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
/// The error says what is wrong, for `config init` to ask again.
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

/// The config file, read and parsed once; services are resolved from it
/// on demand. `Debug` shows the file's tables, never its values.
#[derive(Clone, Default)]
pub struct Config {
    global: GlobalArgsView,
    /// The file, when one was read.
    pub path: Option<PathBuf>,
    table: toml::Table,
    /// The selected profile.
    pub profile: Option<String>,
    /// Redis shared by a fleet (`--redis-url`, `MOTIONKIT_REDIS_URL` or the
    /// top-level `redis_url` key; see `crate::fleet`), never printed.
    pub redis_url: Option<SecretString>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("path", &self.path)
            .field("tables", &self.table.keys().collect::<Vec<_>>())
            .field("profile", &self.profile)
            .finish_non_exhaustive()
    }
}

/// The parts of the global flags configuration needs (flags and
/// environment are merged by clap).
#[derive(Clone, Default)]
struct GlobalArgsView {
    deepmotion_url: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    motiondynamic_url: Option<String>,
    token: Option<String>,
}

impl fmt::Debug for GlobalArgsView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GlobalArgsView").finish_non_exhaustive()
    }
}

fn non_empty(value: Option<&str>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty()).map(str::to_owned)
}

impl Config {
    /// Reads the config file (if any) and selects the profile. Services
    /// are checked later, one at a time.
    pub fn load(global: &GlobalArgs) -> Result<Config, CliError> {
        let (path, explicit) = match &global.config_file {
            Some(path) => (Some(path.clone()), true),
            None => (default_path(), false),
        };
        let mut table = toml::Table::new();
        let mut read_from = None;
        if let Some(path) = &path
            && let Some(text) = read_limited(path, explicit)?
        {
            table = parse(path, &text)?;
            read_from = Some(path.clone());
        }
        let profile = non_empty(global.profile.as_deref());
        if let Some(name) = &profile {
            let found = table
                .get("profiles")
                .and_then(|p| p.as_table())
                .is_some_and(|p| p.contains_key(name));
            if !found {
                let known: Vec<String> = table
                    .get("profiles")
                    .and_then(|p| p.as_table())
                    .map(|p| p.keys().cloned().collect())
                    .unwrap_or_default();
                let file = read_from
                    .as_ref()
                    .map_or("no config file".to_owned(), |p| p.display().to_string());
                return Err(CliError::config(format!(
                    "profile {name:?} is not in the config file ({file}); profiles there: {}",
                    if known.is_empty() { "none".to_owned() } else { known.join(", ") }
                ))
                .hint("add a [profiles.NAME.deepmotion] or [profiles.NAME.motiondynamic] table, or drop --profile / MOTIONKIT_PROFILE"));
            }
        }
        let file_redis_url = match table.get("redis_url") {
            None => None,
            Some(toml::Value::String(url)) => Some(url.clone()),
            Some(_) => {
                return Err(CliError::config(
                    "redis_url in the config file must be a string such as \"redis://host:6379\"",
                ));
            }
        };
        let redis_url = crate::fleet::redis_url(&global.fleet, file_redis_url);
        Ok(Config {
            global: GlobalArgsView {
                deepmotion_url: global.deepmotion_url.clone(),
                client_id: global.client_id.clone(),
                client_secret: global.client_secret.clone(),
                motiondynamic_url: global.motiondynamic_url.clone(),
                token: global.token.clone(),
            },
            path: read_from,
            table,
            profile,
            redis_url,
        })
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

    /// Checks the service's tables against their schema (unknown keys,
    /// wrong types), naming the file and the table.
    fn check_tables<T: for<'de> Deserialize<'de>>(&self, service: &str) -> Result<(), CliError> {
        // `deepmotion = 3` is not a table: say so rather than ignore it and
        // report missing credentials.
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
                let file = self
                    .path
                    .as_ref()
                    .map_or_else(String::new, |p| p.display().to_string());
                let kind = value.type_str();
                let article = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
                    "an"
                } else {
                    "a"
                };
                return Err(CliError::config(format!(
                    "config file {file}: `{name}` is {article} {kind}, not a table"
                ))
                .hint(format!(
                    "write it as a [{name}] table with its keys on the lines below (see \
                     `motionkit config --help`)"
                )));
            }
        }
        for (name, table) in self.tables(service) {
            let value = toml::Value::Table(table.clone());
            if let Err(e) = value.try_into::<T>() {
                let file = self
                    .path
                    .as_ref()
                    .map_or_else(String::new, |p| p.display().to_string());
                return Err(CliError::config(format!(
                    "config file {file}: [{name}]: {}",
                    crate::exit::one_line(e.message())
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
                value: Some(SecretString::from(value)),
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
                    value: Some(SecretString::from(value)),
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

    /// The DeepMotion settings: api_url, client_id, client_secret.
    pub fn deepmotion_settings(&self) -> [Setting; 3] {
        let g = &self.global;
        let mut url = self.setting(
            "deepmotion.api_url",
            (
                "--deepmotion-url",
                "DEEPMOTION_API_URL",
                g.deepmotion_url.as_deref(),
            ),
            "deepmotion",
            "api_url",
            false,
        );
        if url.value.is_none() {
            url.value = Some(SecretString::from(default_deepmotion_url()));
            url.source = Source::Default;
        }
        [
            url,
            self.setting(
                "deepmotion.client_id",
                (
                    "--client-id",
                    "DEEPMOTION_CLIENT_ID",
                    g.client_id.as_deref(),
                ),
                "deepmotion",
                "client_id",
                false,
            ),
            self.setting(
                "deepmotion.client_secret",
                (
                    "--client-secret",
                    "DEEPMOTION_CLIENT_SECRET",
                    g.client_secret.as_deref(),
                ),
                "deepmotion",
                "client_secret",
                true,
            ),
        ]
    }

    /// The MotionDynamic settings: api_url, token.
    pub fn motiondynamic_settings(&self) -> [Setting; 2] {
        let g = &self.global;
        let mut url = self.setting(
            "motiondynamic.api_url",
            (
                "--motiondynamic-url",
                "MOTIONDYNAMIC_API_URL",
                g.motiondynamic_url.as_deref(),
            ),
            "motiondynamic",
            "api_url",
            false,
        );
        if url.value.is_none() {
            url.value = Some(SecretString::from(default_motiondynamic_url()));
            url.source = Source::Default;
        }
        [
            url,
            self.setting(
                "motiondynamic.token",
                ("--token", "MOTIONDYNAMIC_TOKEN", g.token.as_deref()),
                "motiondynamic",
                "token",
                true,
            ),
        ]
    }

    /// DeepMotion credentials; `Ok(None)` when none at all are set (the
    /// caller then asks for them or for `--sandbox`). Only DeepMotion's
    /// sources are read and checked.
    pub fn deepmotion(&self) -> Result<Option<DeepMotionConfig>, CliError> {
        self.check_tables::<FileDeepMotion>("deepmotion")?;
        let [url, id, secret] = self.deepmotion_settings();
        match (id.text(), secret.value) {
            (Some(client_id), Some(client_secret)) => Ok(Some(DeepMotionConfig {
                url: url
                    .text()
                    .unwrap_or_else(|| default_deepmotion_url().to_owned()),
                client_id,
                client_secret,
            })),
            (None, None) => Ok(None),
            (id, _) => {
                let (var, key) = if id.is_none() {
                    ("DEEPMOTION_CLIENT_ID", "client_id")
                } else {
                    ("DEEPMOTION_CLIENT_SECRET", "client_secret")
                };
                Err(CliError::auth(format!(
                    "DeepMotion credentials are incomplete: {var} is not set"
                ))
                .hint(format!(
                    "set {var} (or `{key}` under [deepmotion] in the config file), or add \
                     --sandbox to try offline with simulated results"
                )))
            }
        }
    }

    /// MotionDynamic credentials; `Ok(None)` when no token is set. Only
    /// MotionDynamic's sources are read and checked.
    pub fn motiondynamic(&self) -> Result<Option<MotionDynamicConfig>, CliError> {
        self.check_tables::<FileMotionDynamic>("motiondynamic")?;
        let [url, token] = self.motiondynamic_settings();
        Ok(token.value.map(|token| MotionDynamicConfig {
            url: url
                .text()
                .unwrap_or_else(|| default_motiondynamic_url().to_owned()),
            token,
        }))
    }

    /// Top-level tables the file has that motionkit does not know (typos).
    pub fn unknown_tables(&self) -> Vec<String> {
        self.table
            .keys()
            .filter(|k| {
                !matches!(
                    k.as_str(),
                    "deepmotion" | "motiondynamic" | "profiles" | "redis_url"
                )
            })
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::file::MAX_FILE_BYTES;
    use super::settings::mask;
    use super::*;
    use secrecy::ExposeSecret as _;
    use std::collections::BTreeMap;
    use std::path::Path;

    fn global(file: Option<PathBuf>) -> GlobalArgs {
        GlobalArgs {
            config_file: file,
            ..GlobalArgs::default()
        }
    }

    #[test]
    fn api_urls_are_checked_like_the_clients_check_them() {
        assert!(check_api_url("https://petest.deepmotion.com:443").is_ok());
        assert!(check_api_url("http://127.0.0.1:8080/prefix/").is_ok());
        for bad in [
            "my-client-id",
            "petest.deepmotion.com",
            "ftp://x",
            "https://x/?a=1",
            "",
        ] {
            assert!(check_api_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_file_may_name_a_redis_url_and_the_flag_wins() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "redis_url = \"redis://:pw-in-file@fleet:6379\"\n",
        );
        let config = Config::load(&global(Some(path.clone()))).unwrap();
        let url = config.redis_url.clone().unwrap();
        assert_eq!(url.expose_secret(), "redis://:pw-in-file@fleet:6379");
        assert!(!format!("{config:?}").contains("pw-in-file"));
        assert!(config.unknown_tables().is_empty());
        let mut args = global(Some(path));
        args.fleet.redis_url = Some("redis://flag:6379".into());
        let url = Config::load(&args).unwrap().redis_url.unwrap();
        assert_eq!(url.expose_secret(), "redis://flag:6379");
    }

    #[test]
    fn a_service_that_is_not_a_table_is_an_error_not_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "deepmotion = 3\n");
        let config = Config::load(&global(Some(path))).unwrap();
        let error = config.deepmotion().unwrap_err();
        assert!(
            error
                .message
                .contains("`deepmotion` is an integer, not a table"),
            "{}",
            error.message
        );
        assert!(error.hint.unwrap().contains("[deepmotion]"));
    }

    fn write(dir: &Path, text: &str) -> PathBuf {
        let path = dir.join("c.toml");
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn file_then_flags_and_debug_hides_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "[deepmotion]\nclient_id = \"file-id\"\nclient_secret = \"file-secret-123\"\n\
             [motiondynamic]\ntoken = \"tok-456\"\n",
        );
        let mut args = global(Some(path));
        args.client_id = Some("flag-id".into());
        let config = Config::load(&args).unwrap();
        let dm = config.deepmotion().unwrap().unwrap();
        assert_eq!(dm.client_id, "flag-id");
        assert_eq!(dm.url, default_deepmotion_url());
        let md = config.motiondynamic().unwrap().unwrap();
        let debug = format!(
            "{config:?} {dm:?} {md:?} {:?}",
            config.deepmotion_settings()
        );
        assert!(
            !debug.contains("file-secret-123") && !debug.contains("tok-456"),
            "{debug}"
        );
    }

    #[test]
    fn bad_file_names_the_line_but_not_the_text() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "[deepmotion]\nclient_id = \"a\"\nclient_secret = \"s3cr3t\" x\n",
        );
        let err = Config::load(&global(Some(path))).unwrap_err();
        assert!(err.message.contains("line 3"), "{err}");
        assert!(!err.message.contains("s3cr3t"), "{err}");
    }

    #[test]
    fn one_services_broken_section_does_not_affect_the_other() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "[deepmotion]\nclient_id = \"only-id\"\nclent_secret = \"typo\"\n\
             [motiondynamic]\ntoken = \"tok\"\n",
        );
        let config = Config::load(&global(Some(path))).unwrap();
        assert_eq!(
            config.motiondynamic().unwrap().unwrap().url,
            default_motiondynamic_url()
        );
        let err = config.deepmotion().unwrap_err();
        assert!(err.message.contains("clent_secret"), "{err}");
    }

    #[test]
    fn partial_credentials_are_an_auth_error_naming_what_to_set() {
        let args = global(Some(PathBuf::from("/nonexistent/motionkit.toml")));
        assert!(Config::load(&args).is_err());
        let dir = tempfile::tempdir().unwrap();
        let mut args = global(Some(write(dir.path(), "")));
        args.client_id = Some("id".into());
        let config = Config::load(&args).unwrap();
        let err = config.deepmotion().unwrap_err();
        assert_eq!(err.exit, crate::exit::Exit::Auth);
        assert!(err.message.contains("DEEPMOTION_CLIENT_SECRET"), "{err}");
        assert!(err.hint.unwrap().contains("--sandbox"));
        assert!(config.motiondynamic().unwrap().is_none());
    }

    #[test]
    fn profiles_override_the_top_level() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "[deepmotion]\nclient_id = \"top\"\nclient_secret = \"s\"\n\
             [profiles.staging.deepmotion]\napi_url = \"http://staging.invalid\"\nclient_id = \"stg\"\n",
        );
        let mut args = global(Some(path));
        args.profile = Some("staging".into());
        let config = Config::load(&args).unwrap();
        let dm = config.deepmotion().unwrap().unwrap();
        assert_eq!(
            (dm.url.as_str(), dm.client_id.as_str()),
            ("http://staging.invalid", "stg")
        );
        let [_, id, secret] = config.deepmotion_settings();
        assert_eq!(
            id.source,
            Source::File("profiles.staging.deepmotion".into())
        );
        assert_eq!(secret.source, Source::File("deepmotion".into()));
        args.profile = Some("prod".into());
        let err = Config::load(&args).unwrap_err();
        assert!(err.message.contains("staging"), "{err}");
    }

    #[test]
    fn only_small_regular_files_are_read() {
        let err = Config::load(&global(Some("/dev/zero".into()))).unwrap_err();
        assert!(err.message.contains("not a regular file"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.toml");
        std::fs::write(&big, vec![b'#'; MAX_FILE_BYTES as usize + 1]).unwrap();
        let err = Config::load(&global(Some(big))).unwrap_err();
        assert!(err.message.contains("larger than"), "{err}");
        let err = Config::load(&global(Some(dir.path().to_owned()))).unwrap_err();
        assert!(err.message.contains("not a regular file"), "{err}");
    }

    #[test]
    fn masks_keep_at_most_four_characters() {
        assert_eq!(mask("short"), "****");
        assert_eq!(mask("abcdefghijklmnopWXYZ"), "****WXYZ");
        let text = render_file(&BTreeMap::from([
            ("deepmotion.client_id", "id \"q\"".to_owned()),
            ("motiondynamic.token", String::new()),
        ]));
        let table: toml::Table = text.parse().unwrap();
        assert_eq!(table["deepmotion"]["client_id"].as_str(), Some("id \"q\""));
        assert!(table.get("motiondynamic").is_none());
    }
}
