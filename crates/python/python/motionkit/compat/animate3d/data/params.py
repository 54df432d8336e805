"""``/process`` parameters, as ``dm.animate3d.data.params``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields, replace
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

__all__ = ["ProcessParams"]


def _joined(values: Sequence[Any]) -> str:
    return ",".join(str(v) for v in values)


def _lower(value: Any) -> str:
    return str(value).lower()


@dataclass
class ProcessParams:
    """Processing parameters, turned into the wire's ``key=value`` texts by
    :meth:`to_params_list`.

    >>> ProcessParams(formats=["bvh", "fbx"], track_face=1).to_params_list()
    ['config=configDefault', 'formats=bvh,fbx', 'trackFace=1']
    """

    formats: Optional[List[str]] = None
    model_id: Optional[str] = None
    config: str = "configDefault"
    sim: Optional[int] = None
    track_face: Optional[int] = None
    track_hand: Optional[int] = None
    #: ``auto``, ``always``, ``never`` or ``grounding``.
    foot_locking_mode: Optional[str] = None
    video_speed_multiplier: Optional[float] = None
    pose_filtering_strength: Optional[float] = None
    upper_body_only: Optional[bool] = None
    root_at_origin: Optional[bool] = None
    #: ``(start, end)`` in seconds.
    trim: Optional[Tuple[float, float]] = None
    #: ``(left, top, right, bottom)``, each 0 to 1.
    crop: Optional[Tuple[float, float, float, float]] = None
    render_sbs: Optional[int] = None
    #: RGBA, each 0 to 255.
    render_bg_color: Optional[Tuple[int, int, int, int]] = None
    render_backdrop: Optional[str] = None
    render_shadow: Optional[int] = None
    render_include_audio: Optional[int] = None
    #: 0 cinematic, 1 fixed, 2 face.
    render_cam_mode: Optional[int] = None
    # Set by the client for multi-person jobs, never by users.
    _models: Optional[List[Dict[str, str]]] = field(default=None, repr=False)
    _pipeline: Optional[str] = field(default=None, repr=False)

    def to_params_list(self) -> List[str]:
        """The parameters as ``key=value`` texts, in the SDK's order and
        spelling (booleans as ``true``/``false``). A field is left out when
        it is ``None``; ``config``, ``formats``, ``model_id``, the
        foot-locking mode, ``trim``, ``crop``, the background colour and
        backdrop also when empty."""
        out: List[str] = []
        for key, attr, text, skip_empty in _WIRE:
            value = getattr(self, attr)
            if value is None or (skip_empty and not value):
                continue
            out.append(f"{key}={text(value)}")
        return out

    def copy(self) -> "ProcessParams":
        """A copy whose ``formats`` and models list are copies too."""
        return replace(
            self,
            formats=list(self.formats) if self.formats else None,
            _models=list(self._models) if self._models else None,
        )


# (wire key, attribute, how the value is written, left out when empty),
# in the order the SDK writes them.
_WIRE: List[Tuple[str, str, Callable[[Any], str], bool]] = [
    ("config", "config", str, True),
    ("formats", "formats", _joined, True),
    ("model", "model_id", str, True),
    ("models", "_models", json.dumps, True),
    ("sim", "sim", str, False),
    ("trackFace", "track_face", str, False),
    ("trackHand", "track_hand", str, False),
    ("footLockingMode", "foot_locking_mode", str, True),
    ("videoSpeedMultiplier", "video_speed_multiplier", str, False),
    ("poseFilteringStrength", "pose_filtering_strength", str, False),
    ("upperBodyOnly", "upper_body_only", _lower, False),
    ("rootAtOrigin", "root_at_origin", _lower, False),
    ("trim", "trim", lambda v: f"{v[0]},{v[1]}", True),
    ("crop", "crop", lambda v: f"{v[0]},{v[1]},{v[2]},{v[3]}", True),
    ("render.sbs", "render_sbs", str, False),
    ("render.bgColor", "render_bg_color", lambda v: f"{v[0]},{v[1]},{v[2]},{v[3]}", True),
    ("render.backdrop", "render_backdrop", str, True),
    ("render.shadow", "render_shadow", str, False),
    ("render.includeAudio", "render_include_audio", str, False),
    ("render.CamMode", "render_cam_mode", str, False),
    ("pipeline", "_pipeline", str, True),
]

assert {attr for _, attr, _, _ in _WIRE} == {f.name for f in fields(ProcessParams)}
