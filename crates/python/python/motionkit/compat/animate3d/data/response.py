"""``/download`` answers, as ``dm.animate3d.data.response``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

__all__ = ["DownloadFile", "DownloadUrl", "DownloadLink"]


@dataclass
class DownloadFile:
    """One signed output URL and its type (``bvh``, ``fbx``, ``mp4``...)."""

    file_type: str
    url: str

    @classmethod
    def from_dict(cls, data: List[Dict[str, str]]) -> List["DownloadFile"]:
        """Every file of a group's ``files`` (``[{"bvh": url}, ...]``)."""
        return [cls(file_type=kind, url=url) for entry in data for kind, url in entry.items()]


@dataclass
class DownloadUrl:
    """One output group: its name and files."""

    name: str
    files: List[DownloadFile]

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "DownloadUrl":
        return cls(name=data.get("name", ""), files=DownloadFile.from_dict(data.get("files", [])))

    def get_file_url(self, file_type: str) -> Optional[str]:
        """The URL of the first file of ``file_type``, if any."""
        return next((f.url for f in self.files if f.file_type == file_type), None)


@dataclass
class DownloadLink:
    """One job's ``/download`` entry. ``mode`` is 1 for a multi-person job
    (whose ``models`` are the people animated), 0 otherwise."""

    rid: str
    name: Optional[str] = None
    size: Optional[int] = None
    duration: Optional[float] = None
    input_url: Optional[str] = None
    urls: List[DownloadUrl] = field(default_factory=list)
    mode: Optional[int] = None
    models: Optional[List[Dict[str, Any]]] = None

    def __post_init__(self) -> None:
        # The SDK's default is ``urls=None``, turned into an empty list.
        if self.urls is None:
            self.urls = []

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "DownloadLink":
        return cls(
            rid=data.get("rid", ""),
            name=data.get("name"),
            size=data.get("size"),
            duration=data.get("duration"),
            input_url=data.get("input"),
            urls=[DownloadUrl.from_dict(group) for group in data.get("urls") or []],
            mode=data.get("mode"),
            models=data.get("models"),
        )

    def is_multi_person(self) -> bool:
        return self.mode == 1

    def get_url_group(self, name: str) -> Optional[DownloadUrl]:
        """The group called ``name`` (``all_characters``...), if any."""
        return next((group for group in self.urls if group.name == name), None)

    def get_all_file_urls(self, file_type: str) -> List[str]:
        """The ``file_type`` URL of every group that has one."""
        found = (group.get_file_url(file_type) for group in self.urls)
        return [url for url in found if url]
