"""MotionDynamic: fill a theme's values, get a rendered MP4.

>>> from motionkit.motiondynamic import Client
>>> client = Client()  # MOTIONDYNAMIC_* variables or the config file
>>> video = client.generate(theme_id, {"l3_title_01": "Hello"}, out_dir="out/")
>>> video.path
PosixPath('out/0b6e....mp4')

``generate`` validates the values, submits the generation with a webhook
that this client's own receiver serves, waits for the delivery (reading the
generation back when the server allows it) and downloads the video
atomically. For a real MotionDynamic, the receiver must be reachable: pass
``webhook_bind="0.0.0.0:8080"`` and ``webhook_public_url="https://..."``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Union

from motionkit import _native
from motionkit._call import EventCallback, call, call_async, construct

__all__ = ["Client", "AsyncClient", "Theme", "Video", "Rendered", "EventCallback"]

PathLike = Union[str, "os.PathLike[str]"]


@dataclass(frozen=True)
class Theme:
    """A theme: its id, title and parameters as MotionDynamic returns them."""

    theme_id: str
    title: Optional[str]
    description: Optional[str]
    #: The theme as the API returned it (for :func:`motionkit.validation.check_values`).
    raw: Dict[str, Any] = field(repr=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Theme":
        return cls(
            theme_id=str(data.get("theme_id")),
            title=data.get("title"),
            description=data.get("description"),
            raw=dict(data),
        )

    @property
    def parameter_ids(self) -> List[str]:
        """The ids of the theme's parameters."""
        ids = []
        for p in self.raw.get("parameters") or []:
            inner = p.get("parameter") or {}
            pid = p.get("parameter_id") or inner.get("parameter_id") or inner.get("id")
            if pid:
                ids.append(str(pid))
        return ids


@dataclass(frozen=True)
class Video:
    """A rendered video, ready to download."""

    generation_id: Optional[str]
    #: Where to download it (hidden from ``repr``).
    url: str = field(repr=False)
    #: ``webhook`` or ``read_back``: how it was found ready.
    via: str = "read_back"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Video":
        return cls(generation_id=data.get("generation_id"), url=str(data["url"]), via=str(data.get("via")))


@dataclass(frozen=True)
class Rendered:
    """A generation rendered and saved."""

    generation_id: Optional[str]
    #: The saved MP4.
    path: Path
    #: Its size in bytes.
    bytes: int
    video: Video

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Rendered":
        video = Video.from_dict(data["video"])
        saved = data["saved"]
        return cls(
            generation_id=video.generation_id,
            path=Path(saved["path"]),
            bytes=int(saved["bytes"]),
            video=video,
        )


def _values(values: Optional[Mapping[str, Any]]) -> Dict[str, str]:
    return {str(k): str(v) for k, v in (values or {}).items()}


class _Settings:
    def __init__(
        self,
        url: Optional[str],
        token: Optional[str],
        config: Optional[PathLike],
        profile: Optional[str],
        webhook_bind: Optional[str],
        webhook_public_url: Optional[str],
        sandbox_waits: bool,
        redis_url: Optional[str],
        timeout: Optional[float],
        proxy: Optional[str] = None,
    ) -> None:
        self._native = construct(
            _native.MotionDynamic,
            url,
            token,
            os.fspath(config) if config is not None else None,
            profile,
            webhook_bind,
            webhook_public_url,
            sandbox_waits,
            redis_url,
            timeout,
            proxy,
        )

    def set_token(self, token: str) -> None:
        """Replaces the JWT in place, for a rotated token: the next request
        uses it, and the rate limit, its pause and the webhook receiver are
        kept. A process forked later starts from it too."""
        self._native.set_token(token)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(...)"


class Client(_Settings):
    """A blocking MotionDynamic client.

    Settings come from the arguments, else the environment
    (``MOTIONDYNAMIC_API_URL``, ``MOTIONDYNAMIC_TOKEN``), else
    the config file, exactly as the CLI reads them. The client serves its
    own webhook receiver at ``webhook_bind`` (``None`` for none).

    MotionDynamic blocks a token for a minute when it is sent more than 5
    requests a second, so the client paces itself, sharing the budget with
    every motionkit client and process of this user on this machine; a
    fleet shares it through Redis (``redis_url``, ``MOTIONKIT_REDIS_URL`` or
    the config file's ``redis_url``), exactly as the CLI does. ``proxy`` is
    an HTTP(S) proxy URL, or ``"system"`` for the environment's; without it
    requests go straight to the servers.
    """

    def __init__(
        self,
        url: Optional[str] = None,
        token: Optional[str] = None,
        *,
        config: Optional[PathLike] = None,
        profile: Optional[str] = None,
        webhook_bind: Optional[str] = "127.0.0.1:0",
        webhook_public_url: Optional[str] = None,
        sandbox_waits: bool = False,
        redis_url: Optional[str] = None,
        timeout: Optional[float] = None,
        proxy: Optional[str] = None,
    ) -> None:
        super().__init__(
            url, token, config, profile, webhook_bind, webhook_public_url, sandbox_waits, redis_url, timeout, proxy
        )

    def _call(self, op: str, args: Dict[str, Any], on_event: Optional[EventCallback] = None) -> Any:
        return call(self._native, op, args, on_event)

    def themes(self) -> List[Theme]:
        """Every theme visible to the token."""
        return [Theme.from_dict(t) for t in self._call("themes", {})]

    def theme(self, theme_id: str) -> Theme:
        """One theme."""
        return Theme.from_dict(self._call("theme", {"theme_id": theme_id}))

    def theme_schema(self, theme_id: str) -> Dict[str, Any]:
        """The JSON Schema of a theme's values."""
        return dict(self._call("theme_schema", {"theme_id": theme_id}))

    def generate(
        self,
        theme_id: str,
        values: Mapping[str, Any],
        out_dir: PathLike,
        *,
        webhook_url: Optional[str] = None,
        on_event: Optional[EventCallback] = None,
    ) -> Rendered:
        """Validates, submits, waits for the video and saves it in ``out_dir``."""
        args = {
            "theme_id": theme_id,
            "values": _values(values),
            "out_dir": os.fspath(out_dir),
            "webhook_url": webhook_url,
        }
        return Rendered.from_dict(self._call("generate", args, on_event))

    def submit(
        self, theme_id: str, values: Mapping[str, Any], *, webhook_url: Optional[str] = None
    ) -> Optional[str]:
        """Validates and submits a generation; returns its id."""
        args = {"theme_id": theme_id, "values": _values(values), "webhook_url": webhook_url}
        gid = self._call("submit", args)["generation_id"]
        return None if gid is None else str(gid)

    def generation(self, generation_id: str) -> Dict[str, Any]:
        """One generation, as the API returns it."""
        return dict(self._call("generation", {"generation_id": generation_id}))

    def generations(self, theme_id: Optional[str] = None, limit: Optional[int] = None) -> List[Dict[str, Any]]:
        """Generations visible to the token."""
        return list(self._call("generations", {"theme_id": theme_id, "limit": limit}))

    def wait(self, generation_id: str) -> Video:
        """Waits for a generation's video by reading it back."""
        return Video.from_dict(self._call("wait", {"generation_id": generation_id}))

    def download(
        self, video: Video, out_dir: PathLike, *, on_event: Optional[EventCallback] = None
    ) -> Path:
        """Saves a video in ``out_dir`` as ``<generation id>.mp4``, atomically."""
        args = {"url": video.url, "generation_id": video.generation_id, "out_dir": os.fspath(out_dir)}
        return Path(self._call("download", args, on_event)["path"])


class AsyncClient(_Settings):
    """The asyncio form of :class:`Client`."""

    def __init__(
        self,
        url: Optional[str] = None,
        token: Optional[str] = None,
        *,
        config: Optional[PathLike] = None,
        profile: Optional[str] = None,
        webhook_bind: Optional[str] = "127.0.0.1:0",
        webhook_public_url: Optional[str] = None,
        sandbox_waits: bool = False,
        redis_url: Optional[str] = None,
        timeout: Optional[float] = None,
        proxy: Optional[str] = None,
    ) -> None:
        super().__init__(
            url, token, config, profile, webhook_bind, webhook_public_url, sandbox_waits, redis_url, timeout, proxy
        )

    async def _call(self, op: str, args: Dict[str, Any], on_event: Optional[EventCallback] = None) -> Any:
        return await call_async(self._native, op, args, on_event)

    async def themes(self) -> List[Theme]:
        """See :meth:`Client.themes`."""
        return [Theme.from_dict(t) for t in await self._call("themes", {})]

    async def theme(self, theme_id: str) -> Theme:
        """See :meth:`Client.theme`."""
        return Theme.from_dict(await self._call("theme", {"theme_id": theme_id}))

    async def theme_schema(self, theme_id: str) -> Dict[str, Any]:
        """See :meth:`Client.theme_schema`."""
        return dict(await self._call("theme_schema", {"theme_id": theme_id}))

    async def generate(
        self,
        theme_id: str,
        values: Mapping[str, Any],
        out_dir: PathLike,
        *,
        webhook_url: Optional[str] = None,
        on_event: Optional[EventCallback] = None,
    ) -> Rendered:
        """See :meth:`Client.generate`."""
        args = {
            "theme_id": theme_id,
            "values": _values(values),
            "out_dir": os.fspath(out_dir),
            "webhook_url": webhook_url,
        }
        return Rendered.from_dict(await self._call("generate", args, on_event))

    async def generation(self, generation_id: str) -> Dict[str, Any]:
        """See :meth:`Client.generation`."""
        return dict(await self._call("generation", {"generation_id": generation_id}))

    async def wait(self, generation_id: str) -> Video:
        """See :meth:`Client.wait`."""
        return Video.from_dict(await self._call("wait", {"generation_id": generation_id}))

    async def download(
        self, video: Video, out_dir: PathLike, *, on_event: Optional[EventCallback] = None
    ) -> Path:
        """See :meth:`Client.download`."""
        args = {"url": video.url, "generation_id": video.generation_id, "out_dir": os.fspath(out_dir)}
        return Path((await self._call("download", args, on_event))["path"])
