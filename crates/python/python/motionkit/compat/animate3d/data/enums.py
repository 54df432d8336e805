"""Job states, as ``dm.animate3d.data.enums``."""

from __future__ import annotations

from enum import Enum
from typing import Optional

__all__ = ["Status"]


class Status(str, Enum):
    """A job's state. ``/status`` and ``/list`` report ``PROGRESS``,
    ``SUCCESS``, ``FAILURE`` or ``RETRY``; ``STARTING`` is never sent by the
    service (the SDK reserves it for a job just submitted)."""

    STARTING = "STARTING"
    PROGRESS = "PROGRESS"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    RETRY = "RETRY"


def status_of(value: object) -> Optional[Status]:
    """The :class:`Status` named ``value``, or ``None`` for anything else."""
    try:
        return Status(value)
    except ValueError:
        return None
