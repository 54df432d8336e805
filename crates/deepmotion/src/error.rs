//! Errors of the DeepMotion client.

use std::time::Duration;

use motionkit_models::FailureReason;
use motionkit_models::deepmotion::ErrorCode;
use motionkit_transport::Sent;
use motionkit_validation::Violations;

use crate::submission::PendingSubmission;

/// A job that ended in `FAILURE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobFailure {
    /// The job's request id.
    pub rid: String,
    /// Why, with the documented code when one was given.
    pub reason: FailureReason,
}

/// The exception type of [`JobFailure::unknown`].
const UNKNOWN_JOB: &str = "motionkit.UnknownJob";

impl JobFailure {
    /// The documented code, if the server named one.
    pub fn code(&self) -> Option<ErrorCode> {
        self.reason.code
    }

    /// The failure of a rid the server does not know (its status answer
    /// had no entry for it).
    pub fn unknown(rid: &str) -> Self {
        JobFailure {
            rid: rid.to_owned(),
            reason: FailureReason {
                code: None,
                exc_type: Some(UNKNOWN_JOB.to_owned()),
                exc_message: Some("the server does not know this job".to_owned()),
            },
        }
    }

    /// True for [`JobFailure::unknown`].
    pub fn is_unknown(&self) -> bool {
        self.reason.exc_type.as_deref() == Some(UNKNOWN_JOB)
    }
}

impl std::fmt::Display for JobFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "job {} failed: {}", self.rid, self.reason)
    }
}

/// Everything the DeepMotion client can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Input rejected before anything was sent.
    #[error(transparent)]
    Validation(#[from] Violations),
    /// The HTTP layer failed; see [`motionkit_transport::Error`].
    #[error(transparent)]
    Transport(#[from] motionkit_transport::Error),
    /// A job ended in `FAILURE`.
    #[error("{0}")]
    JobFailed(JobFailure),
    /// The server does not know this request id.
    #[error(
        "job {rid} is unknown to the server (wrong id, another account, or removed after the retention period)"
    )]
    UnknownJob {
        /// The request id.
        rid: String,
    },
    /// Jobs were still running when the wait's time ran out.
    #[error("{} job(s) still running after {:.0}s: {}", .pending.len(), .after.as_secs_f64(), .pending.join(", "))]
    WaitTimeout {
        /// Request ids still running.
        pending: Vec<String>,
        /// How long the wait lasted.
        after: Duration,
    },
    /// Job status could not be read, repeatedly; the jobs may still be running.
    #[error("job status is unavailable: {message}")]
    StatusUnavailable {
        /// What the last status call failed with.
        message: String,
    },
    /// A finished job offered nothing to download.
    #[error("job {rid} finished but offers no files to download")]
    NothingToDownload {
        /// The request id.
        rid: String,
    },
    /// `POST /process` may have reached the server, and whether it created
    /// a job is unknown: the answer was lost (a timeout, a broken
    /// connection, a 5xx) or named no usable job, and `/list` did not show
    /// the job either. It is never sent again on its own; find the job
    /// later with [`Process::adopt`](crate::Process::adopt) and the
    /// [`PendingSubmission`].
    #[error("{pending}: whether it created a job is unknown ({cause}); it is not sent again. To check: {}", .pending.how_to_check())]
    SubmissionUnknown {
        /// What was sent, when, and under which upload name.
        pending: PendingSubmission,
        /// What the request ended with.
        #[source]
        cause: Box<motionkit_transport::Error>,
    },
    /// A local file could not be read or written.
    #[error("{context}: {source}")]
    Io {
        /// What the client was doing.
        context: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// Whether the failed request may have reached the server.
    pub fn sent(&self) -> Sent {
        match self {
            Error::Transport(e) => e.sent(),
            Error::Validation(_) | Error::Io { .. } => Sent::NotSent,
            _ => Sent::Sent,
        }
    }

    /// True for failures worth retrying later (network, 429, 5xx, timeouts).
    pub fn is_temporary(&self) -> bool {
        match self {
            Error::Transport(e) => e.is_temporary(),
            Error::WaitTimeout { .. } | Error::StatusUnavailable { .. } => true,
            // A rerun adopts the job, unless the server broke the protocol.
            Error::SubmissionUnknown { cause, .. } => !cause.is_server_fault(),
            _ => false,
        }
    }

    /// True when the server may have acted on the failed request (created a
    /// job, charged a credit): check `/list` before submitting it again.
    /// Decided by the transport's classifier.
    pub fn may_have_acted(&self) -> bool {
        match self {
            Error::Transport(e) => e.may_have_acted(),
            Error::Validation(_) | Error::Io { .. } => false,
            _ => true,
        }
    }

    /// True when the server broke the HTTP, upload or download protocol
    /// (see [`motionkit_transport::Error::is_server_fault`]): retrying will
    /// most likely fail the same way.
    pub fn is_server_fault(&self) -> bool {
        match self {
            Error::Transport(e) => e.is_server_fault(),
            Error::SubmissionUnknown { cause, .. } => cause.is_server_fault(),
            _ => false,
        }
    }

    /// False only when the request surely never left this machine.
    pub fn may_have_reached_server(&self) -> bool {
        self.sent() != Sent::NotSent
    }

    /// The HTTP status, for errors that carry one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Transport(e) => e.status(),
            Error::SubmissionUnknown { cause, .. } => cause.status(),
            _ => None,
        }
    }

    /// The documented job error code of a failed job, when the server
    /// named one (`505`: physics filter with a custom character, ...).
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Error::JobFailed(failure) => failure.code(),
            _ => None,
        }
    }

    /// The server's request id, when the answer carried one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Transport(e) => e.request_id(),
            Error::SubmissionUnknown { cause, .. } => cause.request_id(),
            _ => None,
        }
    }

    /// True when credentials were missing, rejected or expired.
    pub fn is_auth(&self) -> bool {
        matches!(
            self,
            Error::Transport(motionkit_transport::Error::Auth { .. })
        )
    }
}

impl From<motionkit_validation::Violation> for Error {
    fn from(violation: motionkit_validation::Violation) -> Self {
        Error::Validation(violation.into())
    }
}
