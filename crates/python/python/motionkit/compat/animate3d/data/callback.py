"""What the callbacks receive, as ``dm.animate3d.data.callback``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List, Optional

__all__ = ["ProgressCallbackData", "JobResult", "JobError", "ResultCallbackData"]


@dataclass
class ProgressCallbackData:
    """A job's progress: ``progress_percent`` is a whole number 0 to 100."""

    rid: str
    progress_percent: int
    position_in_queue: int


@dataclass
class JobResult:
    """A finished job: its input file name(s) and output (``out`` of
    ``/status``)."""

    input: List[str]
    output: Any


@dataclass
class JobError:
    """A failed job: ``code`` is the ``exc_type`` of ``/status``,
    ``message`` its formatted ``exc_message``."""

    code: str
    message: str


@dataclass
class ResultCallbackData:
    """How a job ended: ``result`` on success, ``error`` on failure."""

    rid: str
    result: Optional[JobResult] = None
    error: Optional[JobError] = None
