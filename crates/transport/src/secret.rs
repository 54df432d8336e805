//! [`Secret`]: the one type public signatures take secrets in (a client
//! secret, a token), so that no secrets library's types are part of the
//! API.

use std::fmt;

use secrecy::{ExposeSecret as _, SecretString};

/// A secret (a client secret, an API token). `Debug` shows `[redacted]`,
/// and it has no `Display`; the memory is zeroed when it is dropped. Build
/// it from a `String` or a `&str`.
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(SecretString::from(value.into()))
    }

    /// The secret itself, to hand to what needs it; never to print.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    pub(crate) fn into_inner(self) -> SecretString {
        self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret::new(value)
    }
}

impl From<&String> for Secret {
    fn from(value: &String) -> Self {
        Secret::new(value.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let secret = Secret::from("hunter2-top-secret");
        assert_eq!(format!("{secret:?}"), "[redacted]");
        assert_eq!(format!("{:?}", Some(secret.clone())), "Some([redacted])");
        assert_eq!(secret.expose(), "hunter2-top-secret");
    }
}
