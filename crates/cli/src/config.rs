//! Credentials and service URLs: flags, then environment variables (both
//! through clap), then the TOML config file.
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
//! ```
//!
//! A top-level `redis_url = "redis://host:6379"` shares the MotionDynamic
//! rate budget through Redis (see `crate::fleet`).
//!
//! Secrets are held in [`SecretString`] and never printed: `Debug` is
//! written by hand, and a config file that does not parse is reported with
//! its line number and the parser's message only, never the offending text.

use std::fmt;
use std::path::{Path, PathBuf};

use secrecy::SecretString;
use serde::Deserialize;

use crate::args::GlobalArgs;
use crate::exit::CliError;

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

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(default)]
    deepmotion: FileDeepMotion,
    #[serde(default)]
    motiondynamic: FileMotionDynamic,
    /// Redis shared by a fleet (see `crate::fleet`).
    redis_url: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDeepMotion {
    api_url: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileMotionDynamic {
    api_url: Option<String>,
    token: Option<String>,
}

/// DeepMotion credentials.
#[derive(Clone)]
pub struct DeepMotionConfig {
    /// Base URL.
    pub url: String,
    /// Client id.
    pub client_id: String,
    /// Client secret.
    pub client_secret: SecretString,
}

impl fmt::Debug for DeepMotionConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeepMotionConfig")
            .field("url", &self.url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .finish()
    }
}

/// MotionDynamic credentials.
#[derive(Clone)]
pub struct MotionDynamicConfig {
    /// Base URL.
    pub url: String,
    /// API token (JWT).
    pub token: SecretString,
}

impl fmt::Debug for MotionDynamicConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MotionDynamicConfig")
            .field("url", &self.url)
            .field("token", &"[redacted]")
            .finish()
    }
}

/// What is configured for each service; `None` means "use the embedded
/// sandbox".
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// DeepMotion, when configured.
    pub deepmotion: Option<DeepMotionConfig>,
    /// MotionDynamic, when configured.
    pub motiondynamic: Option<MotionDynamicConfig>,
    /// Redis shared by a fleet (`--redis-url`, `MOTIONKIT_REDIS_URL` or
    /// `redis_url`), never printed.
    pub redis_url: Option<SecretString>,
}

/// Where the config file is looked for when neither `--config-file` nor
/// `MOTIONKIT_CONFIG` names one.
pub fn default_path() -> Option<PathBuf> {
    dirs::config_dir().map(|dir| dir.join("motionkit").join("config.toml"))
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

fn read_file(path: &Path, explicit: bool) -> Result<FileConfig, CliError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
            return Ok(FileConfig::default());
        }
        Err(e) => {
            return Err(CliError::permanent(format!(
                "config file {}: {e}",
                path.display()
            )));
        }
    };
    toml::from_str(&text).map_err(|e| {
        let line = e
            .span()
            .map(|span| text[..span.start.min(text.len())].lines().count().max(1));
        let at = line.map(|l| format!(" line {l}:")).unwrap_or_default();
        CliError::permanent(format!(
            "config file {}:{at} {}",
            path.display(),
            e.message()
        ))
    })
}

impl Config {
    /// Resolves every source. Partial credentials (an id without a secret,
    /// a URL without credentials) are an auth error (exit 3) rather than a
    /// silent switch to the sandbox.
    pub fn load(global: &GlobalArgs) -> Result<Config, CliError> {
        let file = match &global.config_file {
            Some(path) => read_file(path, true)?,
            None => match default_path() {
                Some(path) => read_file(&path, false)?,
                None => FileConfig::default(),
            },
        };
        let dm_url =
            non_empty(global.deepmotion_url.clone()).or(non_empty(file.deepmotion.api_url));
        let client_id =
            non_empty(global.client_id.clone()).or(non_empty(file.deepmotion.client_id));
        let secret =
            non_empty(global.client_secret.clone()).or(non_empty(file.deepmotion.client_secret));
        let deepmotion = match (client_id, secret) {
            (Some(client_id), Some(secret)) => Some(DeepMotionConfig {
                url: dm_url.unwrap_or_else(|| default_deepmotion_url().to_owned()),
                client_id,
                client_secret: SecretString::from(secret),
            }),
            (None, None) if dm_url.is_none() => None,
            (id, secret) => {
                let missing = match (id.is_none(), secret.is_none()) {
                    (true, true) => "DEEPMOTION_CLIENT_ID and DEEPMOTION_CLIENT_SECRET",
                    (true, false) => "DEEPMOTION_CLIENT_ID",
                    _ => "DEEPMOTION_CLIENT_SECRET",
                };
                return Err(CliError::auth(format!(
                    "DeepMotion credentials are incomplete: set {missing} (flag, environment or config file), \
                     or unset DEEPMOTION_API_URL to use the embedded sandbox"
                )));
            }
        };
        let md_url =
            non_empty(global.motiondynamic_url.clone()).or(non_empty(file.motiondynamic.api_url));
        let token = non_empty(global.token.clone()).or(non_empty(file.motiondynamic.token));
        let motiondynamic = match (token, md_url) {
            (Some(token), url) => Some(MotionDynamicConfig {
                url: url.unwrap_or_else(|| default_motiondynamic_url().to_owned()),
                token: SecretString::from(token),
            }),
            (None, None) => None,
            (None, Some(_)) => {
                return Err(CliError::auth(
                    "MotionDynamic credentials are incomplete: set MOTIONDYNAMIC_TOKEN (flag, environment or \
                     config file), or unset MOTIONDYNAMIC_API_URL to use the embedded sandbox",
                ));
            }
        };
        Ok(Config {
            deepmotion,
            motiondynamic,
            redis_url: crate::fleet::redis_url(&global.fleet, file.redis_url),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn global(file: Option<PathBuf>) -> GlobalArgs {
        GlobalArgs {
            json: false,
            quiet: false,
            config_file: file,
            deepmotion_url: None,
            client_id: None,
            client_secret: None,
            motiondynamic_url: None,
            token: None,
            fleet: crate::fleet::FleetArgs::default(),
        }
    }

    #[test]
    fn file_then_flags_and_debug_hides_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(
            &path,
            "[deepmotion]\nclient_id = \"file-id\"\nclient_secret = \"file-secret-123\"\n\
             [motiondynamic]\ntoken = \"tok-456\"\n",
        )
        .unwrap();
        let mut args = global(Some(path));
        args.client_id = Some("flag-id".into());
        let config = Config::load(&args).unwrap();
        let dm = config.deepmotion.clone().unwrap();
        assert_eq!(dm.client_id, "flag-id");
        assert_eq!(dm.url, default_deepmotion_url());
        let debug = format!("{config:?}");
        assert!(!debug.contains("file-secret-123") && !debug.contains("tok-456"));
    }

    #[test]
    fn the_file_may_name_a_redis_url_and_the_flag_wins() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "redis_url = \"redis://:pw-in-file@fleet:6379\"\n").unwrap();
        let config = Config::load(&global(Some(path.clone()))).unwrap();
        let url = config.redis_url.clone().unwrap();
        assert_eq!(
            secrecy::ExposeSecret::expose_secret(&url),
            "redis://:pw-in-file@fleet:6379"
        );
        assert!(!format!("{config:?}").contains("pw-in-file"));
        let mut args = global(Some(path));
        args.fleet.redis_url = Some("redis://flag:6379".into());
        let url = Config::load(&args).unwrap().redis_url.unwrap();
        assert_eq!(
            secrecy::ExposeSecret::expose_secret(&url),
            "redis://flag:6379"
        );
    }

    #[test]
    fn bad_file_names_the_line_but_not_the_text() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(
            &path,
            "[deepmotion]\nclient_id = \"a\"\nclient_secret = \"s3cr3t\" x\n",
        )
        .unwrap();
        let err = Config::load(&global(Some(path))).unwrap_err();
        assert!(err.message.contains("line 3"), "{err}");
        assert!(!err.message.contains("s3cr3t"), "{err}");
    }

    #[test]
    fn partial_credentials_are_an_auth_error() {
        let mut args = global(Some(PathBuf::from("/nonexistent/motionkit.toml")));
        assert!(Config::load(&args).is_err());
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.toml");
        std::fs::write(&empty, "").unwrap();
        args.config_file = Some(empty);
        args.client_id = Some("id".into());
        let err = Config::load(&args).unwrap_err();
        assert_eq!(err.exit, crate::exit::Exit::Auth);
        assert!(err.message.contains("DEEPMOTION_CLIENT_SECRET"));
    }
}
