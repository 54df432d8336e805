"""Calling the native clients: JSON in and out, events to a callback,
native failures raised as :mod:`motionkit.errors`, and asyncio calls that
cancel the Rust future when the task is cancelled."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Callable, Dict, Optional, Tuple

from motionkit import _native
from motionkit.errors import from_json

#: A progress callback: receives one event dict, such as
#: ``{"type": "upload", "bytes": 1048576, "total": 7340032}``,
#: ``{"type": "progress", "rid": "...", "step": 40, "total": 100}`` or
#: ``{"type": "saved", "path": "out/walk.bvh"}``.
EventCallback = Callable[[Dict[str, Any]], None]


def _decode(on_event: Optional[EventCallback]) -> Optional[Callable[[str], None]]:
    if on_event is None:
        return None
    callback = on_event

    def deliver(text: str) -> None:
        callback(json.loads(text))

    return deliver


def construct(factory: Callable[..., Any], *args: Any) -> Any:
    """Makes a native object, raising settings problems as
    :class:`~motionkit.errors.ConfigError`."""
    try:
        return factory(*args)
    except _native.NativeError as failure:
        raise from_json(str(failure.args[0])) from None


def call(native: Any, op: str, args: Dict[str, Any], on_event: Optional[EventCallback] = None) -> Any:
    """Runs ``op`` with the GIL released; Ctrl-C interrupts it within a
    tenth of a second (``KeyboardInterrupt``)."""
    try:
        text = native.call(op, json.dumps(args), _decode(on_event))
    except _native.NativeError as failure:
        raise from_json(str(failure.args[0])) from None
    return json.loads(text)


def _settle(future: "asyncio.Future[Tuple[bool, str]]", ok: bool, text: str) -> None:
    if not future.done():
        future.set_result((ok, text))


def _deliver(on_event: EventCallback, text: str) -> None:
    on_event(json.loads(text))


async def call_async(
    native: Any, op: str, args: Dict[str, Any], on_event: Optional[EventCallback] = None
) -> Any:
    """Runs ``op`` on motionkit's threads and awaits it; cancelling the
    awaiting task drops the Rust future (every operation documents what
    that leaves behind)."""
    loop = asyncio.get_running_loop()
    future: "asyncio.Future[Tuple[bool, str]]" = loop.create_future()

    def settle(ok: bool, text: str) -> None:
        # From a motionkit thread: hand the result to the event loop.
        try:
            loop.call_soon_threadsafe(_settle, future, ok, text)
        except RuntimeError:
            pass  # the loop is closed; nobody waits any more

    events: Optional[Callable[[str], None]] = None
    if on_event is not None:
        callback = on_event

        def events(text: str) -> None:
            try:
                loop.call_soon_threadsafe(_deliver, callback, text)
            except RuntimeError:
                pass

    task = native.start(op, json.dumps(args), settle, events)
    try:
        ok, text = await future
    except asyncio.CancelledError:
        task.cancel()
        raise
    if not ok:
        raise from_json(text)
    return json.loads(text)
