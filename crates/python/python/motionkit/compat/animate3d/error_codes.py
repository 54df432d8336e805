"""DeepMotion's job error codes and the SDK's message format, as
``dm.animate3d.error_codes``.

The descriptions are DeepMotion's documented ones, the same as the
engine's ``ErrorCode`` (``crates/models``), which the motionkit Python API
does not expose; 101 (not enough credits) is the SDK's addition.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

__all__ = ["ERROR_CODES", "get_error_message", "format_error_message"]

#: Documented job error codes and what they mean.
ERROR_CODES: Dict[int, str] = {
    101: "Not enough credits",
    201: "Error downloading the video or DM asset",
    202: "Error converting the video",
    503: "Error processing the parameters",
    504: "Error loading the character assets",
    505: "Physics Filter is incompatible with the custom characters",
    506: "Error creating the pose estimation",
    507: "Error while processing the body tracking",
    508: "Input video or image doesn't meet the requirements to generate animations of good quality",
    509: "Error loading the configurations",
    510: "Error open internal files",
    511: "Processing interrupted",
    513: "Failed to detect character in the video",
    599: "Body tracking timeout",
    701: "Error processing the face tracking",
    799: "Face tracking timeout",
    901: "Error loading the mesh of the custom character",
    902: "Error loading the BVH custom character",
    903: "Error copying animations onto the custom character",
    904: "Error exporting animations for the custom character",
    905: "Custom character doesn't include skinned mesh information",
    906: "More than half of the required blendshapes are missing",
    907: "Error loading facial definition for the custom character",
    908: "Error loading facial tracking data",
    909: "Error loading the metadata of the custom character",
    999: "Animation baking timeout",
    1301: "Error creating the hand estimation",
    1302: "Error creating the hand estimation",
    1303: "Error creating the hand estimation",
    1304: "Error opening the video",
    1305: "Error parsing video path",
    1306: "Error loading internal files",
    1307: "Error processing hand tracking",
    1308: "Error processing the video",
    1399: "Hand tracking timeout",
}


def _as_code(value: Any) -> Optional[int]:
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return None
    return None


def _described(value: Any) -> Optional[str]:
    """``Error <code>: <meaning>`` for a documented code, else ``None``."""
    code = _as_code(value)
    meaning = ERROR_CODES.get(code) if code else None
    return f"Error {code}: {meaning}" if meaning else None


def get_error_message(error_code: Any) -> str:
    """The meaning of a code (an int, a numeric text, or a list of them)."""
    if isinstance(error_code, list):
        if not error_code:
            return "Unknown error"
        return "; ".join(_described(code) or f"Error {code}" for code in error_code)
    described = _described(error_code)
    if described:
        return described
    return "Unknown error" if error_code is None else str(error_code)


def format_error_message(exc_message: Any, exc_type: Optional[str] = None) -> str:
    """``exc_message`` of ``/status`` in words (codes described), after
    ``exc_type: `` when there is one."""
    if isinstance(exc_message, list):
        message = "; ".join(get_error_message(item) for item in exc_message)
    elif exc_message:
        message = _described(exc_message) or str(exc_message)
    else:
        message = "Unknown error"
    return f"{exc_type}: {message}" if exc_type else message
