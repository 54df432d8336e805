"""The exceptions motionkit raises.

Every exception is a :class:`MotionkitError`. Each says whether the request
may have reached the server (``may_have_reached_server``), whether the
server may have acted on it (``may_have_acted``: created a job, charged a
credit), whether retrying later may work (``temporary``), and, where they
apply, the HTTP ``status``, DeepMotion's job error ``code``, the job's
``rid`` and the ``violations`` of bad input. Messages never carry a secret.
"""

from __future__ import annotations

import builtins
import json
from typing import Any, Dict, List, Optional, Type

from motionkit.validation import Finding

__all__ = [
    "MotionkitError",
    "ValidationError",
    "ConfigError",
    "AuthError",
    "ApiError",
    "RateLimitedError",
    "ServerFaultError",
    "ConnectionError",
    "TimeoutError",
    "JobFailedError",
    "UnknownJobError",
    "WaitTimeoutError",
    "SubmissionUnknownError",
    "NotFoundError",
    "DiscardedError",
    "LocalFileError",
    "WebhookRefusedError",
    "InternalError",
]


class MotionkitError(Exception):
    """Base class of every motionkit error."""

    kind: str = "internal"
    hint: str = "see the message"

    def __init__(self, message: str, payload: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(message)
        data = payload or {}
        self.message: str = message
        sent = data.get("sent", "no")
        #: ``"no"``, ``"maybe"`` or ``"yes"``.
        self.sent: str = sent
        #: False only when the request surely never left this machine.
        self.may_have_reached_server: bool = sent != "no"
        #: True when the server may have acted (check before re-sending).
        self.may_have_acted: bool = bool(data.get("may_have_acted", False))
        #: True when retrying later may work.
        self.temporary: bool = bool(data.get("temporary", False))
        #: The HTTP status, when there was an answer.
        self.status: Optional[int] = data.get("status")
        #: DeepMotion's job error code (``505``, ...), when known.
        self.code: Optional[int] = data.get("code")
        #: The job's request id, when the error is about one job.
        self.rid: Optional[str] = data.get("rid")
        #: Request ids still running (a wait's timeout).
        self.pending: List[str] = list(data.get("pending") or [])
        #: What was wrong with the input.
        self.violations: List[Finding] = [
            Finding.from_dict(v) for v in data.get("violations") or []
        ]

    def __str__(self) -> str:
        return self.message


class ValidationError(MotionkitError, ValueError):
    """Bad input, found before anything was sent; see ``violations``."""

    kind = "validation"
    hint = "fix the fields named in `violations`; nothing was sent"


class ConfigError(MotionkitError):
    """Missing or unreadable settings (URL, credentials, config file)."""

    kind = "config"
    hint = "pass the setting as an argument, or set the environment variable the message names"


class AuthError(MotionkitError):
    """Credentials missing, rejected or expired."""

    kind = "auth"
    hint = "check the client id and secret (or token) and the service URL"


class ApiError(MotionkitError):
    """The service answered with an error."""

    kind = "api"
    hint = "read the message; `status` has the HTTP status"


class RateLimitedError(ApiError):
    """The service asked to slow down (HTTP 429)."""

    kind = "rate_limited"
    hint = "retry later; motionkit already retried what was safe to retry"


class ServerFaultError(ApiError):
    """The server broke the HTTP, upload or download protocol."""

    kind = "server_fault"
    hint = "retrying will most likely fail the same way; report it to the service"


class ConnectionError(MotionkitError, builtins.ConnectionError):
    """The connection failed, or job status stayed unavailable."""

    kind = "connection"
    hint = "check the network; `may_have_reached_server` says whether re-sending is safe"


class TimeoutError(MotionkitError, builtins.TimeoutError):
    """A request timed out."""

    kind = "timeout"
    hint = "raise the timeouts or retry later; `may_have_reached_server` says whether re-sending is safe"


class JobFailedError(MotionkitError):
    """A job ended in failure; ``code`` has DeepMotion's error code."""

    kind = "job_failed"
    hint = "see the job's error code in DeepMotion's documentation"


class UnknownJobError(JobFailedError):
    """The server does not know this request id."""

    kind = "unknown_job"
    hint = "check the rid and the account it belongs to"


class WaitTimeoutError(TimeoutError):
    """Jobs were still running when the wait ended; see ``pending``."""

    kind = "wait_timeout"
    hint = "the jobs go on on the server: wait for `pending` again"


class SubmissionUnknownError(MotionkitError):
    """A submission may have created a job, and whether it did is unknown."""

    kind = "submission_unknown"
    hint = "it was not sent again; look for the job in `list()` before submitting again"


class NotFoundError(ApiError):
    """A theme or generation does not exist (or is not visible)."""

    kind = "not_found"
    hint = "check the id and the token's account"


class DiscardedError(MotionkitError):
    """MotionDynamic discarded the generation (invalid inputs)."""

    kind = "discarded"
    hint = "check the values against the theme (`motionkit.validation.check_values`)"


class LocalFileError(MotionkitError, OSError):
    """A local file could not be read or written."""

    kind = "io"
    hint = "check the path and its permissions"


class WebhookRefusedError(MotionkitError):
    """A webhook delivery that is not genuine or not understood; answer it
    with ``status`` (401, 400 or 422)."""

    kind = "webhook"
    hint = "answer the delivery with `status`; check the client id the receiver verifies against"


class InternalError(MotionkitError):
    """motionkit itself failed; please report it."""

    kind = "internal"
    hint = "please report this with the message"


_BY_KIND: Dict[str, Type[MotionkitError]] = {
    cls.kind: cls
    for cls in [
        ValidationError,
        ConfigError,
        AuthError,
        ApiError,
        RateLimitedError,
        ServerFaultError,
        ConnectionError,
        TimeoutError,
        JobFailedError,
        UnknownJobError,
        WaitTimeoutError,
        SubmissionUnknownError,
        NotFoundError,
        DiscardedError,
        LocalFileError,
        WebhookRefusedError,
        InternalError,
    ]
}


def from_json(text: str) -> MotionkitError:
    """The exception for a native failure's JSON."""
    try:
        payload: Dict[str, Any] = json.loads(text)
    except ValueError:
        return InternalError(text)
    cls = _BY_KIND.get(str(payload.get("kind")), InternalError)
    return cls(str(payload.get("message", "")), payload)
