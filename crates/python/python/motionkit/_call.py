"""Calling the native clients: JSON in and out, events to a callback,
native failures raised as :mod:`motionkit.errors`, and asyncio calls that
cancel the Rust future when the task is cancelled."""

from __future__ import annotations

import asyncio
import json
import weakref
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


class _Hub:
    """One event loop's side of the native calls it awaits: the loop
    watches a :class:`motionkit._native.Waker`, and when a call pokes it,
    takes that call's events and result on the loop's own thread. No
    motionkit thread ever runs Python code."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.waker = _native.Waker()
        self.calls: Dict[int, Tuple[Any, "asyncio.Future[Tuple[bool, str]]", Optional[EventCallback]]] = {}
        loop.add_reader(self.waker.fileno(), self.wake)

    def wake(self) -> None:
        self.waker.drain()
        for key, (task, future, on_event) in list(self.calls.items()):
            events, result = task.take()
            if future.done():
                self.calls.pop(key, None)
                continue
            try:
                for text in events:
                    if on_event is not None:
                        on_event(json.loads(text))
            except BaseException as error:  # a failing callback ends its call
                self.calls.pop(key, None)
                task.cancel()
                future.set_exception(error)
                continue
            if result is not None:
                self.calls.pop(key, None)
                future.set_result(result)


_HUBS: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Hub]" = weakref.WeakKeyDictionary()


def _hub(loop: asyncio.AbstractEventLoop) -> _Hub:
    hub = _HUBS.get(loop)
    if hub is None:
        hub = _Hub(loop)
        _HUBS[loop] = hub
    return hub


async def call_async(
    native: Any, op: str, args: Dict[str, Any], on_event: Optional[EventCallback] = None
) -> Any:
    """Runs ``op`` on motionkit's threads and awaits it; cancelling the
    awaiting task drops the Rust future (every operation documents what
    that leaves behind). Events reach ``on_event`` on the event loop."""
    loop = asyncio.get_running_loop()
    hub = _hub(loop)
    future: "asyncio.Future[Tuple[bool, str]]" = loop.create_future()
    task = native.start(op, json.dumps(args), hub.waker, on_event is not None)
    hub.calls[id(future)] = (task, future, on_event)
    try:
        ok, text = await future
    except asyncio.CancelledError:
        hub.calls.pop(id(future), None)
        task.cancel()
        raise
    if not ok:
        raise from_json(text)
    return json.loads(text)
