"""Character models, as ``dm.animate3d.data.character``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, Optional

from motionkit.compat.animate3d.data.job import from_millis

__all__ = ["CharacterModel"]


@dataclass
class CharacterModel:
    """One model of ``list_character_models()``."""

    id: str
    name: str
    thumb: Optional[str] = None
    rig_id: Optional[str] = None
    platform: Optional[str] = None
    ctime: Optional[int] = None
    mtime: Optional[int] = None

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "CharacterModel":
        """A model from one entry of ``/character/listModels`` (which
        spells the id ``id`` or ``Id``)."""
        return cls(
            id=data.get("id") or data.get("Id", ""),
            name=data.get("name", ""),
            thumb=data.get("thumb"),
            rig_id=data.get("rigId"),
            platform=data.get("platform"),
            ctime=data.get("ctime"),
            mtime=data.get("mtime"),
        )

    @property
    def created_at(self) -> Optional[datetime]:
        return from_millis(self.ctime)

    @property
    def modified_at(self) -> Optional[datetime]:
        return from_millis(self.mtime)

    def is_custom(self) -> bool:
        """Uploaded by the account (``platform`` is ``custom``)."""
        return self.platform == "custom"

    def is_stock(self) -> bool:
        """Anything but a custom model."""
        return not self.is_custom()
