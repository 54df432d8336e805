//! Credentials and service URLs, per service: each value comes from its
//! flag, then its environment variable, then the selected profile of the
//! TOML config file, then the file's top-level section.
//!
//! The loading is `motionkit_transport::settings`, the same loader the
//! clients' `Client::from_env()` use, so a program and the CLI read the
//! same values; this module gives it the flags (clap has merged the
//! environment into them), adds what only the CLI has (`redis_url`, the
//! file `config init` writes) and turns its errors into the CLI's.
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

mod file;

use std::fmt;
use std::path::PathBuf;

use motionkit_transport::settings::{Settings, SettingsError, SettingsErrorKind, SettingsInput};
use secrecy::SecretString;

use crate::args::GlobalArgs;
use crate::exit::CliError;

pub use file::render_file;
pub use motionkit_transport::settings::{
    DeepMotionSettings as DeepMotionConfig, MotionDynamicSettings as MotionDynamicConfig, Setting,
    Source, check_api_url, default_config_path as default_path, default_deepmotion_url,
    default_motiondynamic_url,
};

/// The loader's error as the CLI reports it: missing credentials are an
/// authentication error that also offers `--sandbox`; the rest are
/// configuration errors that point at `motionkit config --help`.
fn cli_error(error: SettingsError) -> CliError {
    match error.kind {
        SettingsErrorKind::Credentials => {
            let out = CliError::auth(error.message);
            match error.hint {
                Some(hint) => out.hint(format!(
                    "{hint}, or add --sandbox to try offline with simulated results"
                )),
                None => out,
            }
        }
        _ => {
            let out = CliError::config(error.message);
            match error.hint {
                Some(hint) => out.hint(format!("{hint} (see `motionkit config --help`)")),
                None => out,
            }
        }
    }
}

/// The config file, read and parsed once, with the flags; services are
/// resolved from it on demand. `Debug` shows the file's tables, never its
/// values.
#[derive(Clone)]
pub struct Config {
    settings: Settings,
    /// The file, when one was read.
    pub path: Option<PathBuf>,
    /// The selected profile.
    pub profile: Option<String>,
    /// Redis shared by a fleet (`--redis-url`, `MOTIONKIT_REDIS_URL` or the
    /// top-level `redis_url` key; see `crate::fleet`), never printed.
    pub redis_url: Option<SecretString>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Reads the config file (if any) and selects the profile. Services
    /// are checked later, one at a time.
    pub fn load(global: &GlobalArgs) -> Result<Config, CliError> {
        let mut input = SettingsInput::new();
        input.config_file = global.config_file.clone();
        input.profile = global.profile.clone();
        input.deepmotion_url = global.deepmotion_url.clone();
        input.client_id = global.client_id.clone();
        input.client_secret = global.client_secret.clone();
        input.motiondynamic_url = global.motiondynamic_url.clone();
        input.token = global.token.clone();
        input.redis_url = global.fleet.redis_url.clone();
        let settings = Settings::load(input).map_err(cli_error)?;
        let redis_url = settings
            .redis_url()
            .map_err(cli_error)?
            .map(|url| SecretString::from(url.expose().to_owned()));
        Ok(Config {
            path: settings.path().map(PathBuf::from),
            profile: settings.profile().map(str::to_owned),
            settings,
            redis_url,
        })
    }

    /// The DeepMotion settings: api_url, client_id, client_secret.
    pub fn deepmotion_settings(&self) -> [Setting; 3] {
        self.settings.deepmotion_settings()
    }

    /// The MotionDynamic settings: api_url, token.
    pub fn motiondynamic_settings(&self) -> [Setting; 2] {
        self.settings.motiondynamic_settings()
    }

    /// DeepMotion credentials; `Ok(None)` when none at all are set (the
    /// caller then asks for them or for `--sandbox`). Only DeepMotion's
    /// sources are read and checked.
    pub fn deepmotion(&self) -> Result<Option<DeepMotionConfig>, CliError> {
        self.settings.deepmotion().map_err(cli_error)
    }

    /// MotionDynamic credentials; `Ok(None)` when no token is set. Only
    /// MotionDynamic's sources are read and checked.
    pub fn motiondynamic(&self) -> Result<Option<MotionDynamicConfig>, CliError> {
        self.settings.motiondynamic().map_err(cli_error)
    }

    /// Top-level tables the file has that motionkit does not know (typos).
    pub fn unknown_tables(&self) -> Vec<String> {
        self.settings.unknown_tables(&["redis_url"])
    }
}

#[cfg(test)]
mod tests {
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

    fn write(dir: &Path, text: &str) -> PathBuf {
        let path = dir.join("c.toml");
        std::fs::write(&path, text).unwrap();
        path
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
    fn the_loaders_errors_become_the_clis_with_a_way_forward() {
        let dir = tempfile::tempdir().unwrap();
        let mut args = global(Some(write(dir.path(), "motiondynamic = 3\n")));
        args.client_id = Some("id".into());
        let config = Config::load(&args).unwrap();
        let err = config.deepmotion().unwrap_err();
        assert_eq!(err.exit, crate::exit::Exit::Auth);
        assert!(err.message.contains("DEEPMOTION_CLIENT_SECRET"), "{err}");
        assert!(err.hint.unwrap().contains("--sandbox"));
        let err = config.motiondynamic().unwrap_err();
        assert_eq!(err.kind, crate::exit::ErrorKind::Config);
        assert!(err.message.contains("not a table"), "{err}");
        assert!(err.hint.unwrap().contains("motionkit config --help"));
    }

    #[test]
    fn the_file_config_init_writes_reads_back() {
        let text = render_file(&BTreeMap::from([
            ("deepmotion.client_id", "id \"q\"".to_owned()),
            ("motiondynamic.token", String::new()),
        ]));
        let table: toml::Table = text.parse().unwrap();
        assert_eq!(table["deepmotion"]["client_id"].as_str(), Some("id \"q\""));
        assert!(table.get("motiondynamic").is_none());
    }
}
