//! Exit codes and the one error type every command returns.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | permanent error: invalid input, unknown id, a job that failed; running the same command again will fail again |
//! | 2 | temporary error: network, timeout, HTTP 429 or 5xx; running the same command again later may work |
//! | 3 | authentication: credentials missing, rejected or expired |
//! | 4 | server fault: the server broke the protocol (an invalid or oversized answer, an impossible `Range`, an upload it claims to hold but was never sent); running the same command again will most likely fail the same way |
//!
//! With `--json` a failure is also printed on stdout as `{"simulated":
//! false, "error": {"kind": ..., "message": ..., "exit_code": N, ...}}`, or
//! as the command's own document with `"error"` added last when it has
//! partial results; keys keep the order of success documents (`simulated`
//! first). The exit code is the same as without `--json`.

use std::fmt;

use motionkit_models::deepmotion::ErrorCode;
use motionkit_validation::Violations;
use schemars::JsonSchema;
use serde::Serialize;

/// The exit-code table, as a string literal for `concat!`.
macro_rules! exit_codes_help {
    () => {
        "Exit codes:
  0  success
  1  permanent error: invalid input, unknown id, job failed (retrying will not help)
  2  temporary error: network, timeout, HTTP 429 or 5xx (try again later)
  3  authentication failed: credentials missing, rejected or expired
  4  server fault: the server broke the protocol (retrying will not help; report it)"
    };
}
pub(crate) use exit_codes_help;

/// Text appended to `--help`.
pub const EXIT_CODES_HELP: &str = exit_codes_help!();

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    /// 0: success.
    Ok = 0,
    /// 1: invalid input, job failed, anything a retry will not fix.
    Permanent = 1,
    /// 4: the server broke the protocol; a retry will most likely fail the
    /// same way.
    ServerFault = 4,
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
    /// helps), then a server fault, then permanent.
    pub fn worst(self, other: Exit) -> Exit {
        self.max(other)
    }
}

/// What kind of failure, in `--json` errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The command line does not parse (exit 1).
    Usage,
    /// A value was refused before anything was sent (exit 1).
    InvalidInput,
    /// The config file is unreadable or wrong (exit 1).
    Config,
    /// The object does not exist (exit 1).
    NotFound,
    /// A job or generation failed on the server (exit 1).
    JobFailed,
    /// A file would be replaced, or a delete was not confirmed (exit 1).
    Conflict,
    /// A local file or folder problem (exit 1).
    Local,
    /// The server refused the request (a 4xx answer) or broke the protocol (exit 1).
    Rejected,
    /// The server broke the HTTP, upload or download protocol (exit 4).
    ServerFault,
    /// The network failed or timed out (exit 2).
    Network,
    /// No connection could be made (DNS, refused, TLS): exit 1 when the
    /// server never answered in this run (check its URL), else 2.
    Unreachable,
    /// HTTP 429, 5xx, or a wait that ran out (exit 2).
    Temporary,
    /// Credentials missing, rejected or expired (exit 3).
    Auth,
}

/// One problem of an invalid input.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Problem {
    /// The flag, argument or theme parameter, for example `--speed-multiplier`.
    pub field: String,
    /// The rule, for example `range`.
    pub rule: String,
    /// The value as given.
    pub value: String,
    /// What is allowed.
    pub limit: String,
}

/// A command's failure: one line, no secrets, and its exit code.
#[derive(Debug, Clone)]
pub struct CliError {
    /// The exit code.
    pub exit: Exit,
    /// What kind of failure.
    pub kind: ErrorKind,
    /// One line saying what failed.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
    /// The problems of an invalid input.
    pub problems: Vec<Problem>,
    /// DeepMotion's documented error code, for a failed job.
    pub error_code: Option<u32>,
    /// The command's partial `--json` document (pretty JSON text, keys in
    /// its fields' order), printed with the error added to it.
    pub output: Option<String>,
}

/// The `error` object of `--json` failures.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ErrorBody {
    /// What kind of failure.
    pub kind: ErrorKind,
    /// One line saying what failed.
    pub message: String,
    /// The process exit code (1, 2, 3 or 4).
    pub exit_code: u8,
    /// What to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Every problem of an invalid input.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub problems: Vec<Problem>,
    /// DeepMotion's documented error code, for a failed job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<u32>,
}

/// A `--json` failure: `{"simulated": ..., "error": {...}}`, or a command's
/// partial document with `error` added last.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ErrorOutput {
    /// True when the embedded sandbox was asked for (`--sandbox`).
    pub simulated: bool,
    /// The failure.
    pub error: ErrorBody,
}

impl CliError {
    /// An error with an explicit exit code and kind; newlines become spaces.
    pub fn with_kind(exit: Exit, kind: ErrorKind, message: impl Into<String>) -> Self {
        CliError {
            exit,
            kind,
            message: one_line(&message.into()),
            hint: None,
            problems: Vec::new(),
            error_code: None,
            output: None,
        }
    }

    /// A permanent error (exit 1) the server or the job caused.
    pub fn permanent(message: impl Into<String>) -> Self {
        CliError::with_kind(Exit::Permanent, ErrorKind::Rejected, message)
    }

    /// A temporary error (exit 2).
    pub fn temporary(message: impl Into<String>) -> Self {
        CliError::with_kind(Exit::Temporary, ErrorKind::Temporary, message)
    }

    /// An authentication error (exit 3).
    pub fn auth(message: impl Into<String>) -> Self {
        CliError::with_kind(Exit::Auth, ErrorKind::Auth, message)
    }

    /// A command-line problem (exit 1).
    pub fn usage(message: impl Into<String>) -> Self {
        CliError::with_kind(Exit::Permanent, ErrorKind::Usage, message)
    }

    /// An unknown object (exit 1); `list` is the command that lists them.
    pub fn not_found(message: impl Into<String>, list: &str) -> Self {
        CliError::with_kind(Exit::Permanent, ErrorKind::NotFound, message)
            .hint(format!("see `{list}`"))
    }

    /// A local problem (exit 1).
    pub fn local(message: impl Into<String>) -> Self {
        CliError::with_kind(Exit::Permanent, ErrorKind::Local, message)
    }

    /// A refused overwrite or an unconfirmed delete (exit 1).
    pub fn conflict(message: impl Into<String>) -> Self {
        CliError::with_kind(Exit::Permanent, ErrorKind::Conflict, message)
    }

    /// A config file problem (exit 1).
    pub fn config(message: impl Into<String>) -> Self {
        CliError::with_kind(Exit::Permanent, ErrorKind::Config, message)
    }

    /// An error with an explicit exit code (the kind follows from it).
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        let kind = match exit {
            Exit::Auth => ErrorKind::Auth,
            Exit::Temporary => ErrorKind::Temporary,
            _ => ErrorKind::Rejected,
        };
        CliError::with_kind(exit, kind, message)
    }

    /// Sets what to do about it.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(one_line(&hint.into()));
        self
    }

    /// Adds context in front of the message.
    pub fn context(mut self, context: impl fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }

    /// Attaches the command's partial `--json` document (a struct, whose
    /// field order its keys keep).
    pub fn with_output(mut self, output: &impl Serialize) -> Self {
        self.output = serde_json::to_string_pretty(output)
            .ok()
            .filter(|text| text.starts_with("{\n") && text.ends_with("\n}"));
        self
    }

    /// The `error` object.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            kind: self.kind,
            message: self.message.clone(),
            exit_code: self.exit.code(),
            hint: self.hint.clone(),
            problems: self.problems.clone(),
            error_code: self.error_code,
        }
    }

    /// The `--json` document of this failure: the partial document with
    /// `"error"` added as its last key, else `simulated` and `error`.
    pub fn to_json_text(&self, simulated: bool) -> String {
        let body = self.body();
        match &self.output {
            // `{\n  "simulated": ...,\n  ...\n}`: the body goes in before the
            // closing brace, indented one level (JSON strings hold no raw
            // newline, so every newline is structure).
            Some(partial) => {
                let body = serde_json::to_string_pretty(&body)
                    .unwrap_or_else(|_| "{}".to_owned())
                    .replace('\n', "\n  ");
                let fields = partial.strip_suffix("\n}").unwrap_or(partial);
                format!("{fields},\n  \"error\": {body}\n}}")
            }
            None => serde_json::to_string_pretty(&ErrorOutput {
                simulated,
                error: body,
            })
            .unwrap_or_else(|_| "{\"error\":{}}".to_owned()),
        }
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
        let problems = violations
            .iter()
            .map(|v| Problem {
                field: v.field.clone(),
                rule: v.rule.as_str().to_owned(),
                value: v.value.clone(),
                limit: v.limit.clone(),
            })
            .collect();
        let mut error = CliError::with_kind(
            Exit::Permanent,
            ErrorKind::InvalidInput,
            violations.to_string(),
        );
        error.problems = problems;
        error
    }
}

impl From<motionkit_validation::Violation> for CliError {
    fn from(violation: motionkit_validation::Violation) -> Self {
        Violations::from(violation).into()
    }
}

/// What to try for a documented DeepMotion error code. The document's
/// table gives meanings only; these are our readings of them.
pub fn code_hint(code: ErrorCode) -> Option<&'static str> {
    Some(match code.code() {
        201 | 202 | 1304 | 1305 | 1308 => {
            "check that the file plays and is a supported video or picture format"
        }
        503 => "check the processing flags (`motionkit animate --help`)",
        505 => "drop --sim, or animate with a stock character instead of --model",
        508 | 513 => {
            "use a clip where one person is fully visible, well lit and not cut by the frame"
        }
        599 | 799 | 999 | 1399 => "try a shorter clip, or --trim FROM,TO",
        901..=909 => "check the custom character (`motionkit models list`) or upload it again",
        _ => return None,
    })
}

/// "DeepMotion error code 503 (Error processing the parameters)".
pub fn describe_failure(reason: &motionkit_models::FailureReason) -> String {
    match (&reason.code, &reason.exc_message) {
        (Some(code), message) => {
            let mut out = format!("DeepMotion error code {} ({})", code.code(), code.message());
            if let Some(message) = message.as_deref().filter(|m| says_more(m, *code)) {
                out.push_str(&format!("; the server said: {message}"));
            }
            out
        }
        _ => reason.to_string(),
    }
}

/// True when the server's text adds something to the table's meaning
/// (not just "error 503").
fn says_more(message: &str, code: ErrorCode) -> bool {
    let words: String = message
        .chars()
        .filter(|c| c.is_alphabetic())
        .collect::<String>()
        .to_lowercase();
    !message.contains(code.message())
        && !matches!(words.as_str(), "" | "error" | "errorcode" | "code")
}

fn failed_job(failure: &motionkit_deepmotion::JobFailure) -> CliError {
    let mut error = CliError::with_kind(
        Exit::Permanent,
        ErrorKind::JobFailed,
        format!(
            "job {} failed: {}",
            failure.rid,
            describe_failure(&failure.reason)
        ),
    );
    if let Some(code) = failure.code() {
        error.error_code = Some(code.code());
        if let Some(hint) = code_hint(code) {
            error = error.hint(hint);
        }
    }
    error
}

/// The transport's failures in CLI terms.
fn from_transport(error: &motionkit_transport::Error, temporary: bool) -> CliError {
    use motionkit_transport::Error as E;
    let message = error.to_string();
    let (exit, kind) = match error {
        E::Validation(_) => (Exit::Permanent, ErrorKind::InvalidInput),
        E::Io { .. } => (Exit::Permanent, ErrorKind::Local),
        E::Config { .. } => (Exit::Permanent, ErrorKind::Config),
        E::Connect {
            sent: motionkit_transport::Sent::NotSent,
            ..
        } if temporary => (Exit::Temporary, ErrorKind::Unreachable),
        E::Connect { .. } | E::Timeout { .. } if temporary => (Exit::Temporary, ErrorKind::Network),
        E::Protocol { .. } => (Exit::ServerFault, ErrorKind::ServerFault),
        E::Http { status: 404, .. } => (Exit::Permanent, ErrorKind::NotFound),
        _ if temporary => (Exit::Temporary, ErrorKind::Temporary),
        _ => (Exit::Permanent, ErrorKind::Rejected),
    };
    let mut out = CliError::with_kind(exit, kind, message);
    if let E::Validation(v) = error {
        out = CliError::from(v.clone());
    }
    if exit == Exit::Temporary {
        out = out.hint("try again later");
    }
    if exit == Exit::ServerFault {
        out = out.hint(
            "the server broke the protocol, and running the same command again will most likely \
             fail the same way; report it to the service with the request shown",
        );
    }
    out
}

impl From<motionkit_deepmotion::Error> for CliError {
    fn from(error: motionkit_deepmotion::Error) -> Self {
        use motionkit_deepmotion::Error as E;
        if error.is_auth() {
            return CliError::auth(error.to_string()).hint(
                "check DEEPMOTION_CLIENT_ID and DEEPMOTION_CLIENT_SECRET (flags, environment or \
                 config file; `motionkit config show` shows which are used)",
            );
        }
        match &error {
            E::Validation(v) => v.clone().into(),
            E::JobFailed(failure) => failed_job(failure),
            E::UnknownJob { .. } => CliError::not_found(error.to_string(), "motionkit list"),
            E::SubmissionUnknown { .. } => {
                let (exit, kind) = if error.is_server_fault() {
                    (Exit::ServerFault, ErrorKind::ServerFault)
                } else {
                    (Exit::Temporary, ErrorKind::Temporary)
                };
                CliError::with_kind(exit, kind, error.to_string()).hint(
                    "`motionkit animate` run again looks for its job by the upload's name and \
                     never sends it twice; otherwise check `motionkit list` before submitting \
                     again",
                )
            }
            E::Transport(t) => from_transport(t, error.is_temporary()),
            E::Io { .. } => CliError::local(error.to_string()),
            _ if error.is_temporary() => {
                CliError::temporary(error.to_string()).hint("try again later")
            }
            _ => CliError::permanent(error.to_string()),
        }
    }
}

impl From<motionkit_motiondynamic::Error> for CliError {
    fn from(error: motionkit_motiondynamic::Error) -> Self {
        use motionkit_motiondynamic::Error as E;
        if error.is_auth() {
            let message = error.to_string().replace(
                "get a new JWT and give it to the client (set_token, or a token provider)",
                "get a new token",
            );
            return CliError::auth(message).hint(
                "check MOTIONDYNAMIC_TOKEN (flag, environment or config file; `motionkit config \
                 show` shows which is used)",
            );
        }
        match &error {
            E::Validation(v) => v.clone().into(),
            E::NotFound { what, .. } => {
                let list = if what.contains("theme") {
                    "motionkit themes"
                } else {
                    "motionkit --help"
                };
                CliError::not_found(error.to_string(), list)
            }
            E::Discarded { .. } => {
                CliError::with_kind(Exit::Permanent, ErrorKind::JobFailed, error.to_string())
            }
            E::Transport(t) => from_transport(t, error.is_temporary()),
            _ if error.is_temporary() => {
                CliError::temporary(error.to_string()).hint("try again later")
            }
            _ => CliError::permanent(error.to_string()),
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
    CliError::local(format!("{context}: {error}"))
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

    #[test]
    fn failures_name_the_documented_code() {
        let reason = motionkit_models::FailureReason {
            code: ErrorCode::from_code(503),
            exc_type: None,
            exc_message: Some("error 503".into()),
        };
        assert_eq!(
            describe_failure(&reason),
            "DeepMotion error code 503 (Error processing the parameters)"
        );
        let error = failed_job(&motionkit_deepmotion::JobFailure {
            rid: "r1".into(),
            reason,
        });
        assert_eq!(error.error_code, Some(503));
        assert!(error.hint.unwrap().contains("--help"));
    }

    #[test]
    fn json_errors_carry_kind_and_exit_code() {
        let error = CliError::not_found("model m1 not found", "motionkit models list");
        let text = error.to_json_text(true);
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["simulated"], true);
        assert_eq!(doc["error"]["kind"], "not_found");
        assert_eq!(doc["error"]["exit_code"], 1);
        assert_eq!(doc["error"]["hint"], "see `motionkit models list`");
        assert!(
            text.find("\"simulated\"") < text.find("\"error\""),
            "{text}"
        );
    }

    #[test]
    fn a_partial_document_keeps_its_key_order_and_gets_error_last() {
        #[derive(Serialize)]
        struct Partial {
            simulated: bool,
            zebra: u8,
            apple: Vec<u8>,
        }
        let error = CliError::temporary("later").with_output(&Partial {
            simulated: false,
            zebra: 1,
            apple: vec![2],
        });
        let text = error.to_json_text(true);
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["simulated"], false, "the document's own value wins");
        assert_eq!(doc["error"]["exit_code"], 2);
        let at = |key: &str| text.find(&format!("\"{key}\"")).unwrap();
        assert!(at("simulated") < at("zebra"), "{text}");
        assert!(at("zebra") < at("apple"), "{text}");
        assert!(at("apple") < at("error"), "{text}");
    }
}
