//! The clients' errors as data for Python: one JSON object per failure,
//! raised as `motionkit._native.NativeError(text)` and turned into the
//! package's exception classes by `motionkit/errors.py`. Every message is
//! the Rust error's own `Display`, which never carries a secret.

use motionkit_transport::Sent;
use motionkit_validation::{Severity, Violation};
use serde::Serialize;
use serde_json::{Value, json};

pyo3::create_exception!(
    _native,
    NativeError,
    pyo3::exceptions::PyException,
    "A failure of the native module, as JSON text; motionkit.errors raises it as the matching exception."
);

/// One failure, as the Python exceptions need it.
#[derive(Debug, Clone, Serialize, Default)]
pub(crate) struct Failure {
    /// The exception class's key: `validation`, `auth`, `api`, `timeout`,
    /// `connection`, `rate_limited`, `server_fault`, `job_failed`,
    /// `unknown_job`, `wait_timeout`, `submission_unknown`, `not_found`,
    /// `discarded`, `config`, `io`, `internal`.
    kind: &'static str,
    /// The error's message.
    message: String,
    /// `no`, `maybe` or `yes`: whether the request may have reached the
    /// server.
    sent: &'static str,
    /// Whether the server may have acted on it (created a job, charged).
    may_have_acted: bool,
    /// Whether retrying later may work.
    temporary: bool,
    /// The HTTP status, when there was an answer.
    status: Option<u16>,
    /// The DeepMotion job error code (`505`, ...).
    code: Option<u32>,
    /// The request id of a job.
    rid: Option<String>,
    /// Request ids still running (a wait's timeout).
    pending: Vec<String>,
    /// The violations of a validation failure.
    violations: Vec<Value>,
}

fn sent_text(sent: Sent) -> &'static str {
    match sent {
        Sent::NotSent => "no",
        Sent::MaybeSent => "maybe",
        _ => "yes",
    }
}

/// A violation or finding as the Python `Finding` reads it.
pub(crate) fn violation_json(v: &Violation) -> Value {
    let severity = match v.severity {
        Severity::Error => "error",
        Severity::DocumentedFailure => "documented_failure",
        _ => "warning",
    };
    json!({
        "field": v.field,
        "rule": v.rule.as_str(),
        "value": v.value,
        "allowed": v.limit,
        "severity": severity,
        "message": v.to_string(),
    })
}

impl Failure {
    pub(crate) fn internal(message: impl Into<String>) -> Failure {
        Failure {
            kind: "internal",
            message: message.into(),
            sent: "no",
            ..Failure::default()
        }
    }

    /// Bad input found in the binding itself (an argument's type or shape).
    pub(crate) fn argument(field: &str, message: impl Into<String>) -> Failure {
        let message = message.into();
        Failure {
            kind: "validation",
            sent: "no",
            violations: vec![json!({
                "field": field, "rule": "syntax", "value": "", "allowed": message,
                "severity": "error", "message": format!("`{field}`: {message}"),
            })],
            message: format!("`{field}`: {message}"),
            ..Failure::default()
        }
    }

    /// A validation failure's violations, as findings; any other failure
    /// back.
    pub(crate) fn into_findings(self) -> Result<Vec<Value>, Failure> {
        if self.kind == "validation" && !self.violations.is_empty() {
            Ok(self.violations)
        } else {
            Err(self)
        }
    }

    /// A webhook delivery refused, with the status a receiver answers.
    pub(crate) fn webhook(e: &motionkit_deepmotion::WebhookError) -> Failure {
        Failure {
            kind: "webhook",
            message: e.to_string(),
            sent: "no",
            status: Some(e.status().as_u16()),
            ..Failure::default()
        }
    }

    pub(crate) fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| {
            r#"{"kind":"internal","message":"an error could not be described"}"#.to_owned()
        })
    }

    fn violations(message: String, violations: &motionkit_validation::Violations) -> Failure {
        Failure {
            kind: "validation",
            message,
            sent: "no",
            violations: violations.iter().map(violation_json).collect(),
            ..Failure::default()
        }
    }

    fn transport(e: &motionkit_transport::Error) -> Failure {
        use motionkit_transport::Error as T;
        let message = e.to_string();
        let kind = match e {
            T::Validation(v) => return Failure::violations(message, v),
            T::Auth { .. } => "auth",
            T::Timeout { .. } => "timeout",
            T::Connect { .. } => "connection",
            T::RateLimited { .. } => "rate_limited",
            T::Config { .. } => "config",
            T::Io { .. } => "io",
            _ if e.is_server_fault() => "server_fault",
            _ => "api",
        };
        Failure {
            kind,
            message,
            sent: sent_text(e.sent()),
            may_have_acted: e.may_have_acted(),
            temporary: e.is_temporary(),
            status: e.status(),
            ..Failure::default()
        }
    }
}

impl From<motionkit_deepmotion::Error> for Failure {
    fn from(e: motionkit_deepmotion::Error) -> Failure {
        use motionkit_deepmotion::Error as D;
        let message = e.to_string();
        let mut failure = Failure {
            message: message.clone(),
            sent: sent_text(e.sent()),
            may_have_acted: e.may_have_acted(),
            temporary: e.is_temporary(),
            ..Failure::default()
        };
        failure.kind = match &e {
            D::Validation(v) => return Failure::violations(message, v),
            D::Transport(t) => return Failure::transport(t),
            D::JobFailed(job) => {
                failure.rid = Some(job.rid.clone());
                failure.code = job.code().map(|c| c.code());
                if job.is_unknown() {
                    "unknown_job"
                } else {
                    "job_failed"
                }
            }
            D::UnknownJob { rid } => {
                failure.rid = Some(rid.clone());
                "unknown_job"
            }
            D::WaitTimeout { pending, .. } => {
                failure.pending = pending.clone();
                "wait_timeout"
            }
            D::StatusUnavailable { .. } => "connection",
            D::NothingToDownload { rid } => {
                failure.rid = Some(rid.clone());
                "api"
            }
            D::SubmissionUnknown { .. } => "submission_unknown",
            D::Io { .. } => "io",
            _ => "api",
        };
        failure
    }
}

impl From<motionkit_motiondynamic::Error> for Failure {
    fn from(e: motionkit_motiondynamic::Error) -> Failure {
        use motionkit_motiondynamic::Error as M;
        let message = e.to_string();
        let mut failure = Failure {
            message: message.clone(),
            sent: "yes",
            may_have_acted: true,
            ..Failure::default()
        };
        failure.kind = match &e {
            M::Validation(v) => return Failure::violations(message, v),
            M::Transport(t) => return Failure::transport(t),
            M::Postgrest { status, .. } => {
                failure.status = Some(*status);
                "api"
            }
            M::NotFound { .. } => "not_found",
            M::Discarded { .. } => "discarded",
            M::WaitTimeout { .. } => {
                failure.temporary = true;
                "wait_timeout"
            }
            M::CannotWait { .. } => "config",
            _ => "api",
        };
        failure
    }
}

impl From<motionkit_transport::settings::SettingsError> for Failure {
    fn from(e: motionkit_transport::settings::SettingsError) -> Failure {
        Failure {
            kind: "config",
            message: e.to_string(),
            sent: "no",
            ..Failure::default()
        }
    }
}

impl From<motionkit_validation::Violations> for Failure {
    fn from(v: motionkit_validation::Violations) -> Failure {
        Failure::violations(v.to_string(), &v)
    }
}

impl From<Failure> for pyo3::PyErr {
    fn from(failure: Failure) -> pyo3::PyErr {
        NativeError::new_err(failure.to_json())
    }
}
