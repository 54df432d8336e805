"""Jobs as ``/list`` reports them, as ``dm.animate3d.data.job``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, Optional

from motionkit.compat.animate3d.data.enums import Status, status_of

__all__ = ["Job"]


def from_millis(millis: Optional[float]) -> Optional[datetime]:
    """Local time of a Unix time in milliseconds (``None`` for none or 0)."""
    return datetime.fromtimestamp(millis / 1000.0) if millis else None


@dataclass
class Job:
    """One job of ``list_jobs()``: ``ctime``/``mtime`` are Unix
    milliseconds, ``file_duration`` seconds, ``file_size`` bytes."""

    rid: str
    status: Optional[Status] = None
    file_name: Optional[str] = None
    file_size: Optional[int] = None
    file_duration: Optional[float] = None
    ctime: Optional[int] = None
    mtime: Optional[int] = None

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "Job":
        """A job from one entry of ``/list`` (its wire keys)."""
        return cls(
            rid=data.get("rid", ""),
            status=status_of(data["status"]) if "status" in data else None,
            file_name=data.get("fileName"),
            file_size=data.get("fileSize"),
            file_duration=data.get("fileDuration"),
            ctime=data.get("ctime"),
            mtime=data.get("mtime"),
        )

    @property
    def created_at(self) -> Optional[datetime]:
        """``ctime`` as a local datetime."""
        return from_millis(self.ctime)

    @property
    def modified_at(self) -> Optional[datetime]:
        """``mtime`` as a local datetime."""
        return from_millis(self.mtime)

    def is_completed(self) -> bool:
        """Succeeded or failed."""
        return self.status in (Status.SUCCESS, Status.FAILURE)

    def is_successful(self) -> bool:
        return self.status == Status.SUCCESS

    def is_failed(self) -> bool:
        return self.status == Status.FAILURE

    def is_in_progress(self) -> bool:
        return self.status == Status.PROGRESS
