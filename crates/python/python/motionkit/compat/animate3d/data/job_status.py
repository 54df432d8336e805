"""Job status as ``/status`` reports it, as ``dm.animate3d.data.job_status``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Union

from motionkit.compat.animate3d.data.enums import Status, status_of
from motionkit.compat.animate3d.error_codes import format_error_message

__all__ = ["JobStatus", "JobStatusDetails"]


@dataclass
class JobStatusDetails:
    """``details`` of a ``/status`` entry: ``step``/``total`` while in
    progress; ``input_file``/``output_file`` on success; ``exc_type`` and
    ``exc_message`` (formatted with :mod:`.error_codes`) on failure.

    ``input_file`` comes from ``in``, or else from ``In``, the spelling
    the service (and the motionkit sandbox) uses. The official SDK reads
    only ``in``, so it never fills ``input_file``; this is a deliberate
    difference.
    """

    step: Optional[int] = None
    total: Optional[int] = None
    exc_message: Optional[str] = None
    exc_type: Optional[str] = None
    #: The service sends a file name (the SDK annotates a list).
    input_file: Optional[Union[str, List[str]]] = None
    output_file: Optional[Union[str, List[str]]] = None

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "JobStatusDetails":
        """Details from the wire's ``details`` object."""
        exc_type = data.get("exc_type")
        raw_message = data.get("exc_message")
        return cls(
            step=data.get("step"),
            total=data.get("total"),
            exc_message=None if raw_message is None else format_error_message(raw_message, exc_type),
            exc_type=exc_type,
            input_file=data["in"] if "in" in data else data.get("In"),
            output_file=data.get("out"),
        )

    @property
    def progress_percent(self) -> Optional[float]:
        """``step / total`` in percent, when both are known."""
        if self.step is None or self.total is None or self.total <= 0:
            return None
        return self.step / self.total * 100


@dataclass
class JobStatus:
    """One job's ``/status`` entry."""

    rid: str
    status: Optional[Status] = None
    details: Optional[JobStatusDetails] = None
    position_in_queue: Optional[int] = None

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "JobStatus":
        """A status from one entry of ``/status`` (``positionInQueue``
        defaults to 0)."""
        return cls(
            rid=data.get("rid", ""),
            status=status_of(data["status"]) if "status" in data else None,
            details=JobStatusDetails.from_dict(data["details"]) if "details" in data else None,
            position_in_queue=data.get("positionInQueue", 0),
        )

    def is_completed(self) -> bool:
        return self.status in (Status.SUCCESS, Status.FAILURE)

    def is_successful(self) -> bool:
        return self.status == Status.SUCCESS

    def is_failed(self) -> bool:
        return self.status == Status.FAILURE

    def is_in_progress(self) -> bool:
        return self.status == Status.PROGRESS
