"""The asyncio DeepMotion client; see :mod:`motionkit.deepmotion`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Union

from motionkit import _dm_args as a
from motionkit._call import EventCallback, call_async
from motionkit._dm_models import (
    Animation,
    CharacterModel,
    Detection,
    Job,
    JobOutcome,
    JobStatus,
    PeopleAnimation,
    Upload,
)
from motionkit.validation import Params

__all__ = ["AsyncClient"]


class AsyncClient(a.Settings):
    """The asyncio form of :class:`Client`: the same calls, awaited.
    Cancelling a task cancels the call in the engine."""

    def __init__(
        self,
        url: Optional[str] = None,
        client_id: Optional[str] = None,
        client_secret: Optional[str] = None,
        *,
        config: Optional[a.PathLike] = None,
        profile: Optional[str] = None,
        sandbox_waits: bool = False,
        timeout: Optional[float] = None,
        proxy: Optional[str] = None,
    ) -> None:
        super().__init__(url, client_id, client_secret, config, profile, sandbox_waits, timeout, proxy)

    async def _call(self, op: str, args: Dict[str, Any], on_event: Optional[EventCallback] = None) -> Any:
        return await call_async(self._native, op, args, on_event)

    async def animate(
        self,
        video: a.PathLike,
        out_dir: a.PathLike,
        formats: Optional[Sequence[str]] = None,
        *,
        params: Optional[Params] = None,
        force: bool = False,
        unzip: bool = False,
        on_existing: str = "keep_both",
        timeout: Optional[float] = None,
        on_event: Optional[EventCallback] = None,
        **keywords: Any,
    ) -> Animation:
        """See :meth:`Client.animate`."""
        args = a.animate_args(video, out_dir, formats, params, force, unzip, on_existing, timeout, keywords)
        return Animation.from_dict(await self._call("animate", args, on_event))

    async def upload(self, path: a.PathLike, *, on_event: Optional[EventCallback] = None) -> Upload:
        """See :meth:`Client.upload`."""
        return Upload.from_dict(await self._call("upload", {"path": os.fspath(path)}, on_event))

    async def process(
        self,
        upload: Upload,
        formats: Optional[Sequence[str]] = None,
        *,
        params: Optional[Params] = None,
        force: bool = False,
        **keywords: Any,
    ) -> str:
        """See :meth:`Client.process`."""
        args = {"upload": upload.to_dict(), "params": a.process_params(formats, params, keywords), "force": force}
        return str((await self._call("process", args))["rid"])

    async def rerun(
        self,
        rid: str,
        formats: Optional[Sequence[str]] = None,
        *,
        params: Optional[Params] = None,
        force: bool = False,
        **keywords: Any,
    ) -> str:
        """See :meth:`Client.rerun`."""
        args = {"rerun": rid, "params": a.process_params(formats, params, keywords), "force": force}
        return str((await self._call("process", args))["rid"])

    async def process_people(
        self,
        detection: Union[str, Detection],
        people: Mapping[str, str],
        formats: Optional[Sequence[str]] = None,
        *,
        params: Optional[Params] = None,
        force: bool = False,
        **keywords: Any,
    ) -> str:
        """See :meth:`Client.process_people`."""
        args = a.people_args(detection, people, formats, params, force, keywords)
        return str((await self._call("process", args))["rid"])

    async def status(self, rids: Union[str, Iterable[str]]) -> List[JobStatus]:
        """See :meth:`Client.status`."""
        return [JobStatus.from_dict(e) for e in await self._call("status", {"rids": a.rid_list(rids)})]

    async def wait(
        self,
        rids: Union[str, Iterable[str]],
        *,
        timeout: Optional[float] = None,
        on_event: Optional[EventCallback] = None,
    ) -> List[JobOutcome]:
        """See :meth:`Client.wait`."""
        args = {"rids": a.rid_list(rids), "timeout": timeout}
        return [JobOutcome.from_dict(o) for o in await self._call("wait", args, on_event)]

    async def download(
        self,
        rid: str,
        out_dir: a.PathLike,
        *,
        unzip: bool = False,
        on_existing: str = "keep_both",
        on_event: Optional[EventCallback] = None,
    ) -> List[Path]:
        """See :meth:`Client.download`."""
        args = {"rid": rid, "out_dir": os.fspath(out_dir), "unzip": unzip, "on_existing": on_existing}
        files = await self._call("download", args, on_event)
        return Animation.from_dict({"rid": rid, "files": files}).files

    async def download_links(self, rids: Union[str, Iterable[str]]) -> List[Dict[str, Any]]:
        """See :meth:`Client.download_links`."""
        return list(await self._call("download_links", {"rids": a.rid_list(rids)}))

    async def download_url(
        self,
        url: str,
        out_dir: a.PathLike,
        file_name: Optional[str] = None,
        *,
        on_existing: str = "keep_both",
        on_event: Optional[EventCallback] = None,
    ) -> Path:
        """See :meth:`Client.download_url`."""
        args = a.download_url_args(url, out_dir, file_name, on_existing)
        return Path(await self._call("download_url", args, on_event))

    async def upload_model(
        self,
        path: a.PathLike,
        name: Optional[str] = None,
        *,
        thumbnail: Optional[a.PathLike] = None,
        create_thumb: bool = False,
        on_event: Optional[EventCallback] = None,
    ) -> str:
        """See :meth:`Client.upload_model`."""
        up = await self._call(
            "upload_model",
            a.model_args(path, thumbnail),
            on_event,
        )
        return await self.store_model(up["model_url"], name, thumb_url=up.get("thumb_url"), create_thumb=create_thumb)

    async def store_model(
        self,
        model_url: str,
        name: Optional[str] = None,
        *,
        thumb_url: Optional[str] = None,
        create_thumb: bool = False,
        model_id: Optional[str] = None,
    ) -> str:
        """See :meth:`Client.store_model`."""
        args = a.store_args(model_url, name, thumb_url, create_thumb, model_id)
        return str((await self._call("store_model", args))["model_id"])

    async def delete_model(self, model_id: str) -> int:
        """See :meth:`Client.delete_model`."""
        return int(await self._call("delete_model", {"model_id": model_id}))

    async def create_webhook(self, url: str, events: Sequence[str] = ()) -> Dict[str, Any]:
        """See :meth:`Client.create_webhook`."""
        return dict(await self._call("create_webhook", {"url": url, "events": list(events)}))

    async def webhooks(self) -> List[Dict[str, Any]]:
        """See :meth:`Client.webhooks`."""
        return list(await self._call("webhooks", {}))

    async def delete_webhook(self, id: str) -> Dict[str, Any]:
        """See :meth:`Client.delete_webhook`."""
        return dict(await self._call("delete_webhook", {"id": id}))

    async def list(self, statuses: Optional[Iterable[str]] = None) -> List[Job]:
        """See :meth:`Client.list`."""
        args = {"statuses": [str(s) for s in statuses] if statuses else []}
        return [Job.from_dict(j) for j in await self._call("list", args)]

    async def credits(self) -> float:
        """See :meth:`Client.credits`."""
        return float(await self._call("credits", {}))

    async def video_info(self, url: str) -> Dict[str, Any]:
        """See :meth:`Client.video_info`."""
        return dict(await self._call("video_info", {"url": url}))

    async def models(self, model_id: Optional[str] = None, search: Optional[str] = None) -> List[CharacterModel]:
        """See :meth:`Client.models`."""
        args = {"model_id": model_id, "search": search}
        return [CharacterModel.from_dict(m) for m in await self._call("models", args)]

    async def detect_people(
        self,
        video: a.PathLike,
        *,
        previews: Optional[a.PathLike] = None,
        timeout: Optional[float] = None,
        on_event: Optional[EventCallback] = None,
    ) -> Detection:
        """See :meth:`Client.detect_people`."""
        args = a.detect_args(video, previews, timeout)
        return Detection.from_dict(await self._call("detect_people", args, on_event))

    async def animate_people(
        self,
        detection: Union[str, Detection],
        out_dir: a.PathLike,
        people: Mapping[str, str],
        formats: Optional[Sequence[str]] = None,
        *,
        params: Optional[Params] = None,
        force: bool = False,
        unzip: bool = False,
        timeout: Optional[float] = None,
        on_event: Optional[EventCallback] = None,
        **keywords: Any,
    ) -> PeopleAnimation:
        """See :meth:`Client.animate_people`."""
        args = a.people_args(detection, people, formats, params, force, keywords)
        args.update(out_dir=os.fspath(out_dir), unzip=unzip, timeout=timeout)
        return PeopleAnimation.from_dict(await self._call("animate_people", args, on_event))
