"""The SDK's exceptions, as ``dm.animate3d.exceptions``.

motionkit's own exceptions (:mod:`motionkit.errors`) are translated into
these by the clients, the original kept as ``__cause__``:

- :class:`motionkit.errors.AuthError` -> :class:`AuthenticationError`;
- :class:`motionkit.errors.ValidationError` (bad input, nothing sent) and
  an unreadable input file (the SDK's "File does not exist") ->
  :class:`ValidationError`;
- :class:`motionkit.errors.TimeoutError` (a wait that ran out, a request
  that timed out) -> :class:`TimeoutError` with the job's ``rid``;
- anything else -> :class:`APIError`, with the HTTP ``status_code`` and
  DeepMotion's job ``error_code`` when known. A job the service does not
  know is ``status_code`` 404, as the SDK sees it.
"""

from __future__ import annotations

from typing import Optional

__all__ = [
    "Animate3DError",
    "AuthenticationError",
    "APIError",
    "ValidationError",
    "TimeoutError",
]


class Animate3DError(Exception):
    """Base class of every error the clients raise."""


class AuthenticationError(Animate3DError):
    """The credentials were refused (or could not be checked)."""


class APIError(Animate3DError):
    """A call failed: ``status_code`` is the HTTP status, ``error_code``
    DeepMotion's job error code, each when known."""

    def __init__(self, message: str, status_code: Optional[int] = None, error_code: Optional[int] = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.error_code = error_code


class ValidationError(Animate3DError):
    """Bad input, found before anything was sent."""


class TimeoutError(Animate3DError):  # noqa: A001 - the SDK's name
    """A wait ran out; ``rid`` is the job still running."""

    def __init__(self, message: str, rid: Optional[str] = None) -> None:
        super().__init__(message)
        self.rid = rid
