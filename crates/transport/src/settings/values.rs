//! Resolved values: each service's credentials and every setting with
//! where it came from. Secrets are held in [`Secret`]; `Debug` is
//! written by hand to redact them, and [`Setting::shown`] masks them.

use std::fmt;

use crate::secret::Secret;

/// DeepMotion's URL and credentials, resolved.
#[derive(Clone)]
#[non_exhaustive]
pub struct DeepMotionSettings {
    /// Base URL.
    pub url: String,
    /// Client id.
    pub client_id: String,
    /// Client secret.
    pub client_secret: Secret,
}

impl fmt::Debug for DeepMotionSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeepMotionSettings")
            .field("url", &self.url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .finish()
    }
}

/// MotionDynamic's URL and token, resolved.
#[derive(Clone)]
#[non_exhaustive]
pub struct MotionDynamicSettings {
    /// Base URL.
    pub url: String,
    /// API token (JWT).
    pub token: Secret,
}

impl fmt::Debug for MotionDynamicSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MotionDynamicSettings")
            .field("url", &self.url)
            .field("token", &"[redacted]")
            .finish()
    }
}

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// A command-line flag (given by a program that has flags, such as
    /// the `motionkit` CLI).
    Flag(&'static str),
    /// An environment variable.
    Env(&'static str),
    /// The config file, with the table it was read from.
    File(String),
    /// The built-in default.
    Default,
    /// Not set anywhere.
    Unset,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag(flag) => write!(f, "flag {flag}"),
            Source::Env(var) => write!(f, "environment {var}"),
            Source::File(table) => write!(f, "config file [{table}]"),
            Source::Default => f.write_str("default"),
            Source::Unset => f.write_str("not set"),
        }
    }
}

/// One effective setting.
#[derive(Clone)]
#[non_exhaustive]
pub struct Setting {
    /// `deepmotion.client_id` and so on.
    pub key: &'static str,
    /// The value, when set.
    pub value: Option<Secret>,
    /// Where it came from.
    pub source: Source,
    /// True for secrets (masked by [`Setting::shown`]).
    pub secret: bool,
}

impl fmt::Debug for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Setting")
            .field("key", &self.key)
            .field("value", &self.shown())
            .field("source", &self.source)
            .finish()
    }
}

impl Setting {
    /// The value as it may be printed: secrets masked (see [`mask`]).
    pub fn shown(&self) -> Option<String> {
        let value = self.value.as_ref()?.expose();
        Some(if self.secret {
            mask(value)
        } else {
            value.to_owned()
        })
    }

    /// The value itself, secrets included (for the clients, never for display).
    pub(crate) fn text(&self) -> Option<String> {
        self.value.as_ref().map(|v| v.expose().to_owned())
    }
}

/// `****` and, for long secrets, their last 4 characters (as `aws configure
/// list` does), so two secrets can be told apart without being shown.
pub fn mask(secret: &str) -> String {
    let count = secret.chars().count();
    if count >= 16 {
        let tail: String = secret.chars().skip(count - 4).collect();
        format!("****{tail}")
    } else {
        "****".to_owned()
    }
}
