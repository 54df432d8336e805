//! Exit codes and the one error type every command returns.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | permanent error: invalid input, unknown id, a job that failed; running the same command again will fail again |
//! | 2 | temporary error: network, timeout, HTTP 429 or 5xx; running the same command again later may work |
//! | 3 | authentication: credentials missing, rejected or expired |

use std::fmt;

use motionkit_validation::Violations;

/// Text appended to `--help`.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  permanent error: invalid input, unknown id, job failed (retrying will not help)
  2  temporary error: network, timeout, HTTP 429 or 5xx (try again later)
  3  authentication failed: credentials missing, rejected or expired";

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    /// 0: success.
    Ok = 0,
    /// 1: invalid input, job failed, anything a retry will not fix.
    Permanent = 1,
    /// 2: network, timeout, 429, 5xx.
    Temporary = 2,
    /// 3: credentials missing, rejected or expired.
    Auth = 3,
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The more important of two outcomes: auth, then temporary (a rerun
    /// helps), then permanent.
    pub fn worst(self, other: Exit) -> Exit {
        self.max(other)
    }
}

/// A command's failure: one line, no secrets, and its exit code.
#[derive(Debug, Clone)]
pub struct CliError {
    /// The exit code.
    pub exit: Exit,
    /// One line saying what failed and what to do.
    pub message: String,
}

impl CliError {
    /// A permanent error (exit 1).
    pub fn permanent(message: impl Into<String>) -> Self {
        CliError::new(Exit::Permanent, message)
    }

    /// A temporary error (exit 2).
    pub fn temporary(message: impl Into<String>) -> Self {
        CliError::new(Exit::Temporary, message)
    }

    /// An authentication error (exit 3).
    pub fn auth(message: impl Into<String>) -> Self {
        CliError::new(Exit::Auth, message)
    }

    /// An error with an explicit exit code; newlines become spaces.
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        CliError {
            exit,
            message: one_line(&message.into()),
        }
    }

    /// Adds context in front of the message.
    pub fn context(mut self, context: impl fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }
}

/// Collapses whitespace runs containing newlines into single spaces.
pub fn one_line(text: &str) -> String {
    text.split(['\n', '\r'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

impl From<Violations> for CliError {
    fn from(violations: Violations) -> Self {
        CliError::permanent(violations.to_string())
    }
}

impl From<motionkit_validation::Violation> for CliError {
    fn from(violation: motionkit_validation::Violation) -> Self {
        Violations::from(violation).into()
    }
}

impl From<motionkit_deepmotion::Error> for CliError {
    fn from(error: motionkit_deepmotion::Error) -> Self {
        let message = error.to_string();
        if error.is_auth() {
            CliError::auth(format!(
                "{message} (DeepMotion credentials: DEEPMOTION_CLIENT_ID, DEEPMOTION_CLIENT_SECRET or the config file)"
            ))
        } else if error.is_temporary() {
            CliError::temporary(format!("{message}; try again later"))
        } else {
            CliError::permanent(message)
        }
    }
}

impl From<motionkit_motiondynamic::Error> for CliError {
    fn from(error: motionkit_motiondynamic::Error) -> Self {
        let message = error.to_string();
        if error.is_auth() {
            CliError::auth(format!(
                "{message} (MotionDynamic credentials: MOTIONDYNAMIC_TOKEN or the config file)"
            ))
        } else if error.is_temporary() {
            CliError::temporary(format!("{message}; try again later"))
        } else {
            CliError::permanent(message)
        }
    }
}

impl From<motionkit_transport::Error> for CliError {
    fn from(error: motionkit_transport::Error) -> Self {
        motionkit_deepmotion::Error::from(error).into()
    }
}

/// A local file problem (permanent).
pub fn io_error(context: impl fmt::Display, error: std::io::Error) -> CliError {
    CliError::permanent(format!("{context}: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_prefers_auth_then_temporary() {
        assert_eq!(Exit::Permanent.worst(Exit::Temporary), Exit::Temporary);
        assert_eq!(Exit::Auth.worst(Exit::Temporary), Exit::Auth);
        assert_eq!(Exit::Ok.worst(Exit::Permanent), Exit::Permanent);
    }

    #[test]
    fn messages_are_one_line() {
        let e = CliError::permanent("a\n  b\r\nc");
        assert_eq!(e.message, "a b c");
    }
}
