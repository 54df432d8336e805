"""DeepMotion's job error codes and the SDK's message format, as
``dm.animate3d.error_codes``.

The descriptions are DeepMotion's documented ones, read from the engine
(``motionkit.deepmotion.ERROR_CODES``); 101 (not enough credits) is the
SDK's addition.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from motionkit import deepmotion

__all__ = ["ERROR_CODES", "get_error_message", "format_error_message"]

#: Documented job error codes and what they mean: the engine's table
#: (:data:`motionkit.deepmotion.ERROR_CODES`), with the SDK's 101.
ERROR_CODES: Dict[int, str] = {101: "Not enough credits", **deepmotion.ERROR_CODES}


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
