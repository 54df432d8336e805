"""The data classes DeepMotion calls return."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional


def _paths(items: Any) -> List[Path]:
    return [Path(p) for p in items or []]


@dataclass(frozen=True)
class Upload:
    """A file uploaded to a signed URL, ready for :meth:`Client.process`."""

    #: The signed URL (hidden from ``repr``: its query is a credential).
    url: str = field(repr=False)
    #: The unique name it was uploaded under (``fileName`` in ``list()``).
    name: str
    #: Bytes uploaded.
    size: int
    #: ``video`` or ``image``, from the file's first bytes.
    input: str

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Upload":
        return cls(url=data["url"], name=data["name"], size=int(data["size"]), input=data["input"])

    def to_dict(self) -> Dict[str, Any]:
        return {"url": self.url, "name": self.name, "size": self.size, "input": self.input}


@dataclass(frozen=True)
class Animation:
    """A finished animation: the job's rid and the files saved."""

    rid: str
    files: List[Path]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Animation":
        return cls(rid=data["rid"], files=_paths(data["files"]))


@dataclass(frozen=True)
class JobStatus:
    """One job's status from ``/status``."""

    rid: str
    #: ``PROGRESS``, ``SUCCESS``, ``FAILURE``, ``RETRY`` (or a newer value).
    status: str
    step: Optional[float] = None
    total: Optional[float] = None
    exc_type: Optional[str] = None
    exc_message: Optional[str] = None
    #: The entry as the server sent it.
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "JobStatus":
        details = data.get("details") or {}
        return cls(
            rid=data["rid"],
            status=str(data.get("status")),
            step=details.get("step"),
            total=details.get("total"),
            exc_type=details.get("exc_type"),
            exc_message=details.get("exc_message"),
            raw=dict(data),
        )

    @property
    def percent(self) -> Optional[float]:
        """Progress in percent, when the job reports steps."""
        if self.step is None or not self.total:
            return None
        return 100.0 * self.step / self.total


@dataclass(frozen=True)
class JobOutcome:
    """How one job ended: ``ok``, or its ``code`` and ``message``."""

    rid: str
    ok: bool
    #: DeepMotion's error code of a failed job, when it named one.
    code: Optional[int] = None
    message: Optional[str] = None
    #: True when the server does not know the rid.
    unknown: bool = False
    #: Success details as the server sent them.
    details: Dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "JobOutcome":
        return cls(
            rid=data["rid"],
            ok=bool(data["ok"]),
            code=data.get("code"),
            message=data.get("message"),
            unknown=bool(data.get("unknown", False)),
            details=dict(data.get("details") or {}),
        )


@dataclass(frozen=True)
class Job:
    """One job from ``list()``."""

    rid: str
    status: str
    file_name: Optional[str] = None
    file_size: Optional[float] = None
    file_duration: Optional[float] = None
    ctime: Optional[float] = None
    mtime: Optional[float] = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Job":
        return cls(
            rid=data["rid"],
            status=str(data.get("status")),
            file_name=data.get("fileName"),
            file_size=data.get("fileSize"),
            file_duration=data.get("fileDuration"),
            ctime=data.get("ctime"),
            mtime=data.get("mtime"),
        )


@dataclass(frozen=True)
class CharacterModel:
    """A character model from ``models()``."""

    id: str
    name: Optional[str] = None
    thumb: Optional[str] = field(default=None, repr=False)
    rig_id: Optional[str] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "CharacterModel":
        return cls(
            id=str(data.get("Id", data.get("id", ""))),
            name=data.get("name"),
            thumb=data.get("thumb"),
            rig_id=data.get("rigId"),
            raw=dict(data),
        )


@dataclass(frozen=True)
class DetectedPerson:
    """One person a detection found."""

    tracking_id: str
    group: str
    #: ``(file type, signed URL)`` of each preview.
    previews: List[Dict[str, str]] = field(repr=False)
    #: Previews saved locally.
    saved: List[Path]


@dataclass(frozen=True)
class Detection:
    """A finished detection job and the people it found."""

    rid: str
    input_name: Optional[str]
    people: List[DetectedPerson]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Detection":
        return cls(
            rid=data["rid"],
            input_name=data.get("input_name"),
            people=[
                DetectedPerson(
                    tracking_id=p["tracking_id"],
                    group=p["group"],
                    previews=list(p.get("previews") or []),
                    saved=_paths(p.get("saved")),
                )
                for p in data.get("people") or []
            ],
        )


@dataclass(frozen=True)
class PeopleAnimation:
    """A finished multi-person animation."""

    rid: str
    #: Each animated person's tracking id and saved files.
    people: Dict[str, List[Path]]
    #: The ``all_characters`` archives (or their folders, extracted).
    all_characters: List[Path]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "PeopleAnimation":
        return cls(
            rid=data["rid"],
            people={p["tracking_id"]: _paths(p["files"]) for p in data.get("people") or []},
            all_characters=_paths(data.get("all_characters")),
        )


@dataclass(frozen=True)
class JobCompleted:
    """A verified ``job.completed`` webhook event."""

    rid: str
    #: True for success, False for failure, None when the event did not say.
    succeeded: Optional[bool]
