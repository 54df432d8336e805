"""Checks with no network: every finding at once, with its severity.

>>> from motionkit.validation import check_params
>>> [f.field for f in check_params({"formats": ["bvh"], "video_speed_multiplier": 9})]
['videoSpeedMultiplier']

The rules are the Rust engine's (the CLI's and the clients'): errors break a
rule the documents state, ``documented_failure`` is a request the documents
say fails on the server, ``warning`` is motionkit's own inference.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Protocol, Sequence, Union

from motionkit import _native

__all__ = ["Finding", "Params", "check_params", "check_values"]

#: ``/process`` parameters: keywords (``track_face=True``, or the wire's
#: ``trackFace``), or ``key=value`` texts as the wire has them.
Params = Union[Mapping[str, Any], Sequence[str]]


@dataclass(frozen=True)
class Finding:
    """One problem found in an input."""

    #: The field as the user knows it (``render.bgColor``, a theme parameter id).
    field: str
    #: The rule broken (``range``, ``one_of``, ``syntax``, ...).
    rule: str
    #: The offending value, shortened.
    value: str
    #: What the rule allows.
    allowed: str
    #: ``error``, ``documented_failure`` or ``warning``.
    severity: str
    #: A sentence naming all of the above.
    message: str

    @property
    def blocks(self) -> bool:
        """Whether it stops the request from being sent (unless forced, for
        a documented failure)."""
        return self.severity != "warning"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Finding":
        return cls(
            field=str(data.get("field", "")),
            rule=str(data.get("rule", "")),
            value=str(data.get("value", "")),
            allowed=str(data.get("allowed", "")),
            severity=str(data.get("severity", "error")),
            message=str(data.get("message", "")),
        )

    def __str__(self) -> str:
        return self.message


def params_json(params: Optional[Params]) -> Any:
    """Parameters as the native module takes them."""
    if params is None:
        return {}
    if isinstance(params, Mapping):
        return {str(k): (list(v) if isinstance(v, tuple) else v) for k, v in params.items()}
    return [str(p) for p in params]


def _findings(text: str) -> List[Finding]:
    return [Finding.from_dict(item) for item in json.loads(text)]


def check_params(
    params: Optional[Params] = None,
    *,
    input: str = "video",
    duration: Optional[float] = None,
    **keywords: Any,
) -> List[Finding]:
    """Every finding for DeepMotion ``/process`` parameters on a ``video``
    or ``image`` input of ``duration`` seconds (when known)."""
    merged: Any = params_json(params)
    if keywords:
        if isinstance(merged, list):
            merged = merged + [f"{k}={v}" for k, v in params_json(keywords).items()]
        else:
            merged.update(params_json(keywords))
    return _findings(_native.check_params(json.dumps(merged), input, duration))


class _HasRaw(Protocol):
    @property
    def raw(self) -> Dict[str, Any]: ...


def check_values(theme: Union[Mapping[str, Any], _HasRaw], values: Mapping[str, str]) -> List[Finding]:
    """Every finding for a MotionDynamic theme's values. ``theme`` is the
    theme as :meth:`motionkit.motiondynamic.Client.theme` returns it (its
    ``raw`` dict) or as the API returns it."""
    raw = theme if isinstance(theme, Mapping) else theme.raw
    return _findings(_native.check_values(json.dumps(raw), json.dumps(dict(values))))
