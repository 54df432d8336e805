//! What the loader starts from and what it reports: the input (the
//! environment or a program's flags), the variables it reads, and its
//! error.

use std::fmt;
use std::path::PathBuf;

/// The environment variables the loader reads, in [`SettingsInput::from_env`].
pub mod env {
    /// DeepMotion's base URL.
    pub const DEEPMOTION_API_URL: &str = "DEEPMOTION_API_URL";
    /// DeepMotion's client id.
    pub const DEEPMOTION_CLIENT_ID: &str = "DEEPMOTION_CLIENT_ID";
    /// DeepMotion's client secret.
    pub const DEEPMOTION_CLIENT_SECRET: &str = "DEEPMOTION_CLIENT_SECRET";
    /// MotionDynamic's base URL.
    pub const MOTIONDYNAMIC_API_URL: &str = "MOTIONDYNAMIC_API_URL";
    /// MotionDynamic's API token (a JWT).
    pub const MOTIONDYNAMIC_TOKEN: &str = "MOTIONDYNAMIC_TOKEN";
    /// The config file to read instead of the default one (it must exist).
    pub const MOTIONKIT_CONFIG: &str = "MOTIONKIT_CONFIG";
    /// The profile whose `[profiles.NAME.SERVICE]` tables come first.
    pub const MOTIONKIT_PROFILE: &str = "MOTIONKIT_PROFILE";
    /// Redis shared by a fleet of clients (rate limits, webhook
    /// deduplication).
    pub const MOTIONKIT_REDIS_URL: &str = "MOTIONKIT_REDIS_URL";
}

/// What kind of [`SettingsError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SettingsErrorKind {
    /// The config file cannot be read or parsed, a table is malformed, or
    /// the profile does not exist.
    File,
    /// A service's credentials are missing or incomplete.
    Credentials,
}

/// The settings cannot be loaded: what is wrong, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsError {
    /// What kind of problem.
    pub kind: SettingsErrorKind,
    /// What is wrong, naming the file, table or variable.
    pub message: String,
    /// What to do next.
    pub hint: Option<String>,
}

impl SettingsError {
    pub(super) fn file(message: impl Into<String>) -> Self {
        SettingsError {
            kind: SettingsErrorKind::File,
            message: message.into(),
            hint: None,
        }
    }

    pub(super) fn credentials(message: impl Into<String>, hint: impl Into<String>) -> Self {
        SettingsError {
            kind: SettingsErrorKind::Credentials,
            message: message.into(),
            hint: Some(hint.into()),
        }
    }

    pub(super) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " (hint: {hint})")?;
        }
        Ok(())
    }
}

impl std::error::Error for SettingsError {}

impl From<SettingsError> for crate::Error {
    fn from(error: SettingsError) -> Self {
        crate::Error::Config {
            message: error.to_string(),
        }
    }
}

/// The values given before the config file is read: the environment
/// ([`SettingsInput::from_env`]), or a program's own flags. Empty values
/// count as unset.
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct SettingsInput {
    /// The config file to read; it must exist. `None`: the default file
    /// ([`default_config_path`](super::default_config_path)), when it exists.
    pub config_file: Option<PathBuf>,
    /// The profile to select.
    pub profile: Option<String>,
    /// DeepMotion's base URL.
    pub deepmotion_url: Option<String>,
    /// DeepMotion's client id.
    pub client_id: Option<String>,
    /// DeepMotion's client secret.
    pub client_secret: Option<String>,
    /// MotionDynamic's base URL.
    pub motiondynamic_url: Option<String>,
    /// MotionDynamic's token.
    pub token: Option<String>,
    /// Redis shared by a fleet (see [`Settings::redis_url`](super::Settings::redis_url));
    /// it may carry a password, so `Debug` never shows it.
    pub redis_url: Option<String>,
}

impl fmt::Debug for SettingsInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SettingsInput")
            .field("config_file", &self.config_file)
            .field("profile", &self.profile)
            .field("deepmotion_url", &self.deepmotion_url)
            .field("motiondynamic_url", &self.motiondynamic_url)
            .finish_non_exhaustive()
    }
}

impl SettingsInput {
    /// Nothing given: only the config file and the defaults apply.
    pub fn new() -> Self {
        Self::default()
    }

    /// The variables of [`env`](mod@env): the service URLs and credentials, the
    /// config file (`MOTIONKIT_CONFIG`), the profile (`MOTIONKIT_PROFILE`)
    /// and a fleet's Redis (`MOTIONKIT_REDIS_URL`).
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        SettingsInput {
            config_file: var(env::MOTIONKIT_CONFIG).map(PathBuf::from),
            profile: var(env::MOTIONKIT_PROFILE),
            deepmotion_url: var(env::DEEPMOTION_API_URL),
            client_id: var(env::DEEPMOTION_CLIENT_ID),
            client_secret: var(env::DEEPMOTION_CLIENT_SECRET),
            motiondynamic_url: var(env::MOTIONDYNAMIC_API_URL),
            token: var(env::MOTIONDYNAMIC_TOKEN),
            redis_url: var(env::MOTIONKIT_REDIS_URL),
        }
    }
}
