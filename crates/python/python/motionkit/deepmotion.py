"""DeepMotion Animate 3D: upload a video, get a 3D animation back.

>>> from motionkit.deepmotion import Client
>>> client = Client()  # DEEPMOTION_* variables or the config file
>>> animation = client.animate("walk.mp4", "out/", formats=["bvh", "fbx"])
>>> animation.files
[PosixPath('out/walk.bvh'), PosixPath('out/walk.fbx')]

Every call runs in motionkit's Rust engine, the one the CLI uses: streamed,
resumable uploads, retries where they are safe, batched polling, atomic
downloads and validation before anything is charged. Blocking calls release
the GIL and Ctrl-C interrupts them. :class:`AsyncClient` is the asyncio form.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Union

from motionkit import _native
from motionkit._call import EventCallback, call, call_async, construct
from motionkit.errors import from_json
from motionkit._dm_models import (
    Animation,
    CharacterModel,
    DetectedPerson,
    Detection,
    Job,
    JobCompleted,
    JobOutcome,
    JobStatus,
    PeopleAnimation,
    Upload,
)
from motionkit.validation import Params, params_json

#: DeepMotion's documented job error codes and their descriptions.
ERROR_CODES: Dict[int, str] = dict(_native.error_codes())

__all__ = [
    "ERROR_CODES",
    "Client",
    "AsyncClient",
    "Upload",
    "Animation",
    "JobStatus",
    "JobOutcome",
    "Job",
    "JobCompleted",
    "verify_webhook",
    "CharacterModel",
    "Detection",
    "DetectedPerson",
    "PeopleAnimation",
    "EventCallback",
]

PathLike = Union[str, "os.PathLike[str]"]


def _params(formats: Optional[Sequence[str]], params: Optional[Params], extra: Mapping[str, Any]) -> Any:
    """``formats`` and keywords merged into one parameter set."""
    merged: Any = params_json(params)
    more: Dict[str, Any] = dict(params_json(extra))
    if formats is not None:
        more["formats"] = list(formats)
    if isinstance(merged, list):
        return merged + [f"{k}={v}" for k, v in _wire_texts(more).items()]
    merged.update(more)
    return merged


def _wire_texts(values: Mapping[str, Any]) -> Dict[str, str]:
    out: Dict[str, str] = {}
    for key, value in values.items():
        if isinstance(value, bool):
            out[key] = "1" if value else "0"
        elif isinstance(value, (list, tuple)):
            out[key] = ",".join(str(v) for v in value)
        else:
            out[key] = str(value)
    return out


def _rids(rids: Union[str, Iterable[str]]) -> List[str]:
    return [rids] if isinstance(rids, str) else [str(r) for r in rids]


def verify_webhook(headers: Mapping[str, str], body: bytes, client_id: str) -> JobCompleted:
    """Verifies a DeepMotion webhook delivery received by your own web
    framework (Flask, FastAPI, Django...): its headers, its raw body and
    your client id. Raises :class:`~motionkit.errors.WebhookRefusedError`
    (with the ``status`` to answer) for a delivery that is not genuine.

    >>> event = verify_webhook(request.headers, request.get_data(), client_id)
    """
    pairs = [(str(k), str(v)) for k, v in headers.items()]
    try:
        rid, succeeded = _native.verify_webhook(pairs, bytes(body), client_id)
    except _native.NativeError as failure:
        raise from_json(str(failure.args[0])) from None
    return JobCompleted(rid=rid, succeeded=succeeded)


class _Settings:
    """What both clients are made from."""

    def __init__(
        self,
        url: Optional[str],
        client_id: Optional[str],
        client_secret: Optional[str],
        config: Optional[PathLike],
        profile: Optional[str],
        sandbox_waits: bool,
        timeout: Optional[float],
    ) -> None:
        self._native = construct(
            _native.DeepMotion,
            url,
            client_id,
            client_secret,
            os.fspath(config) if config is not None else None,
            profile,
            sandbox_waits,
            timeout,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(...)"


class Client(_Settings):
    """A blocking DeepMotion client.

    Settings come from the arguments, else the environment
    (``DEEPMOTION_API_URL``, ``DEEPMOTION_CLIENT_ID``,
    ``DEEPMOTION_CLIENT_SECRET``), else the config file
    (``MOTIONKIT_CONFIG``, profile ``MOTIONKIT_PROFILE``): exactly as the
    CLI reads them. Nothing is sent until the first call. ``timeout`` is
    how many seconds one request may take (the engine's default otherwise;
    transfers are bounded by their stall and rate limits instead). A client may be
    shared by threads, and keeps working in a child process after ``fork()``.
    """

    def __init__(
        self,
        url: Optional[str] = None,
        client_id: Optional[str] = None,
        client_secret: Optional[str] = None,
        *,
        config: Optional[PathLike] = None,
        profile: Optional[str] = None,
        sandbox_waits: bool = False,
        timeout: Optional[float] = None,
    ) -> None:
        super().__init__(url, client_id, client_secret, config, profile, sandbox_waits, timeout)

    def _call(self, op: str, args: Dict[str, Any], on_event: Optional[EventCallback] = None) -> Any:
        return call(self._native, op, args, on_event)

    def animate(
        self,
        video: PathLike,
        out_dir: PathLike,
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
        """Uploads ``video``, processes it, waits and saves every output in
        ``out_dir``. Keywords are ``/process`` parameters (``track_face=True``,
        ``render_bg_color=[0, 177, 64, 0]``); unknown ones pass through with a
        warning. ``force`` sends a request the documents say fails."""
        args = {
            "video": os.fspath(video),
            "out_dir": os.fspath(out_dir),
            "params": _params(formats, params, keywords),
            "force": force,
            "unzip": unzip,
            "on_existing": on_existing,
            "timeout": timeout,
        }
        return Animation.from_dict(self._call("animate", args, on_event))

    def upload(self, path: PathLike, *, on_event: Optional[EventCallback] = None) -> Upload:
        """Uploads a video or picture (streamed, resumable)."""
        return Upload.from_dict(self._call("upload", {"path": os.fspath(path)}, on_event))

    def process(
        self,
        upload: Upload,
        formats: Optional[Sequence[str]] = None,
        *,
        params: Optional[Params] = None,
        force: bool = False,
        **keywords: Any,
    ) -> str:
        """Starts a job on an upload; returns its rid. Never sent twice: an
        unknown outcome raises :class:`~motionkit.errors.SubmissionUnknownError`."""
        args = {"upload": upload.to_dict(), "params": _params(formats, params, keywords), "force": force}
        return str(self._call("process", args)["rid"])

    def rerun(
        self,
        rid: str,
        formats: Optional[Sequence[str]] = None,
        *,
        params: Optional[Params] = None,
        force: bool = False,
        **keywords: Any,
    ) -> str:
        """Processes a previous job's input again with new parameters."""
        args = {"rerun": rid, "params": _params(formats, params, keywords), "force": force}
        return str(self._call("process", args)["rid"])

    def process_people(
        self,
        detection: Union[str, Detection],
        people: Mapping[str, str],
        formats: Optional[Sequence[str]] = None,
        *,
        params: Optional[Params] = None,
        force: bool = False,
        **keywords: Any,
    ) -> str:
        """Multi-person step 2 without waiting: submits the animation of the
        chosen people (``{tracking_id: model_id}``) and returns its rid."""
        args = {
            "detection": detection.rid if isinstance(detection, Detection) else detection,
            "people": [[k, v] for k, v in people.items()],
            "params": _params(formats, params, keywords),
            "force": force,
        }
        return str(self._call("process", args)["rid"])

    def status(self, rids: Union[str, Iterable[str]]) -> List[JobStatus]:
        """Status of any number of jobs, in as few requests as possible."""
        return [JobStatus.from_dict(e) for e in self._call("status", {"rids": _rids(rids)})]

    def wait(
        self,
        rids: Union[str, Iterable[str]],
        *,
        timeout: Optional[float] = None,
        on_event: Optional[EventCallback] = None,
    ) -> List[JobOutcome]:
        """Waits for every job (batched polling); a failed job is an outcome."""
        args = {"rids": _rids(rids), "timeout": timeout}
        return [JobOutcome.from_dict(o) for o in self._call("wait", args, on_event)]

    def download(
        self,
        rid: str,
        out_dir: PathLike,
        *,
        unzip: bool = False,
        on_existing: str = "keep_both",
        on_event: Optional[EventCallback] = None,
    ) -> List[Path]:
        """Saves a finished job's outputs in ``out_dir``, atomically."""
        args = {"rid": rid, "out_dir": os.fspath(out_dir), "unzip": unzip, "on_existing": on_existing}
        return Animation.from_dict({"rid": rid, "files": self._call("download", args, on_event)}).files

    def download_url(
        self,
        url: str,
        out_dir: PathLike,
        file_name: Optional[str] = None,
        *,
        on_existing: str = "keep_both",
        on_event: Optional[EventCallback] = None,
    ) -> Path:
        """Saves one signed output URL (from :meth:`download_links`) in
        ``out_dir``, atomically, as ``file_name`` (sanitised; default: the
        URL's own file name)."""
        args = {"url": url, "out_dir": os.fspath(out_dir), "file_name": file_name, "on_existing": on_existing}
        return Path(self._call("download_url", args, on_event))

    def download_links(self, rids: Union[str, Iterable[str]]) -> List[Dict[str, Any]]:
        """The ``/download`` answer of each job: signed URLs by group."""
        return list(self._call("download_links", {"rids": _rids(rids)}))

    def list(self, statuses: Optional[Iterable[str]] = None) -> List[Job]:
        """The account's jobs, optionally only those in ``statuses``."""
        args = {"statuses": [str(s) for s in statuses] if statuses else []}
        return [Job.from_dict(j) for j in self._call("list", args)]

    def credits(self) -> float:
        """The account's credit balance."""
        return float(self._call("credits", {}))

    def video_info(self, url: str) -> Dict[str, Any]:
        """``/videoInfo`` for an uploaded file's URL."""
        return dict(self._call("video_info", {"url": url}))

    def models(self, model_id: Optional[str] = None, search: Optional[str] = None) -> List[CharacterModel]:
        """Character models, optionally one by id or by search text."""
        args = {"model_id": model_id, "search": search}
        return [CharacterModel.from_dict(m) for m in self._call("models", args)]

    def upload_model(
        self,
        path: PathLike,
        name: Optional[str] = None,
        *,
        thumbnail: Optional[PathLike] = None,
        create_thumb: bool = False,
        on_event: Optional[EventCallback] = None,
    ) -> str:
        """Uploads a model file (fbx, glb, gltf, vrm) and stores it; returns its id."""
        up = self._call(
            "upload_model",
            {"path": os.fspath(path), "thumbnail": os.fspath(thumbnail) if thumbnail else None},
            on_event,
        )
        return self.store_model(up["model_url"], name, thumb_url=up.get("thumb_url"), create_thumb=create_thumb)

    def store_model(
        self,
        model_url: str,
        name: Optional[str] = None,
        *,
        thumb_url: Optional[str] = None,
        create_thumb: bool = False,
        model_id: Optional[str] = None,
    ) -> str:
        """Stores a model from a URL (or updates ``model_id``); returns its id."""
        args = {
            "model_url": model_url,
            "name": name,
            "thumb_url": thumb_url,
            "create_thumb": create_thumb,
            "model_id": model_id,
        }
        return str(self._call("store_model", args)["model_id"])

    def delete_model(self, model_id: str) -> int:
        """Deletes a model; returns how many were deleted."""
        return int(self._call("delete_model", {"model_id": model_id}))

    def create_webhook(self, url: str, events: Sequence[str] = ()) -> Dict[str, Any]:
        """Registers a webhook endpoint."""
        return dict(self._call("create_webhook", {"url": url, "events": list(events)}))

    def webhooks(self) -> List[Dict[str, Any]]:
        """The account's webhook endpoints."""
        return list(self._call("webhooks", {}))

    def delete_webhook(self, id: str) -> Dict[str, Any]:
        """Deletes a webhook endpoint."""
        return dict(self._call("delete_webhook", {"id": id}))

    def detect_people(
        self,
        video: PathLike,
        *,
        previews: Optional[PathLike] = None,
        timeout: Optional[float] = None,
        on_event: Optional[EventCallback] = None,
    ) -> Detection:
        """Multi-person step 1: uploads ``video`` and finds its people
        (their previews saved in ``previews``, when given)."""
        args = {
            "video": os.fspath(video),
            "previews": os.fspath(previews) if previews else None,
            "timeout": timeout,
        }
        return Detection.from_dict(self._call("detect_people", args, on_event))

    def animate_people(
        self,
        detection: Union[str, Detection],
        out_dir: PathLike,
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
        """Multi-person step 2: animates the chosen people
        (``{tracking_id: model_id}``), waits and saves the outputs."""
        rid = detection.rid if isinstance(detection, Detection) else detection
        args = {
            "detection": rid,
            "out_dir": os.fspath(out_dir),
            "people": [[k, v] for k, v in people.items()],
            "params": _params(formats, params, keywords),
            "force": force,
            "unzip": unzip,
            "timeout": timeout,
        }
        return PeopleAnimation.from_dict(self._call("animate_people", args, on_event))


class AsyncClient(_Settings):
    """The asyncio form of :class:`Client`: the same calls, awaited.
    Cancelling a task cancels the call in the engine."""

    def __init__(
        self,
        url: Optional[str] = None,
        client_id: Optional[str] = None,
        client_secret: Optional[str] = None,
        *,
        config: Optional[PathLike] = None,
        profile: Optional[str] = None,
        sandbox_waits: bool = False,
        timeout: Optional[float] = None,
    ) -> None:
        super().__init__(url, client_id, client_secret, config, profile, sandbox_waits, timeout)

    async def _call(self, op: str, args: Dict[str, Any], on_event: Optional[EventCallback] = None) -> Any:
        return await call_async(self._native, op, args, on_event)

    async def animate(
        self,
        video: PathLike,
        out_dir: PathLike,
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
        args = {
            "video": os.fspath(video),
            "out_dir": os.fspath(out_dir),
            "params": _params(formats, params, keywords),
            "force": force,
            "unzip": unzip,
            "on_existing": on_existing,
            "timeout": timeout,
        }
        return Animation.from_dict(await self._call("animate", args, on_event))

    async def upload(self, path: PathLike, *, on_event: Optional[EventCallback] = None) -> Upload:
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
        args = {"upload": upload.to_dict(), "params": _params(formats, params, keywords), "force": force}
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
        args = {"rerun": rid, "params": _params(formats, params, keywords), "force": force}
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
        args = {
            "detection": detection.rid if isinstance(detection, Detection) else detection,
            "people": [[k, v] for k, v in people.items()],
            "params": _params(formats, params, keywords),
            "force": force,
        }
        return str((await self._call("process", args))["rid"])

    async def status(self, rids: Union[str, Iterable[str]]) -> List[JobStatus]:
        """See :meth:`Client.status`."""
        return [JobStatus.from_dict(e) for e in await self._call("status", {"rids": _rids(rids)})]

    async def wait(
        self,
        rids: Union[str, Iterable[str]],
        *,
        timeout: Optional[float] = None,
        on_event: Optional[EventCallback] = None,
    ) -> List[JobOutcome]:
        """See :meth:`Client.wait`."""
        args = {"rids": _rids(rids), "timeout": timeout}
        return [JobOutcome.from_dict(o) for o in await self._call("wait", args, on_event)]

    async def download(
        self,
        rid: str,
        out_dir: PathLike,
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
        return list(await self._call("download_links", {"rids": _rids(rids)}))

    async def download_url(
        self,
        url: str,
        out_dir: PathLike,
        file_name: Optional[str] = None,
        *,
        on_existing: str = "keep_both",
        on_event: Optional[EventCallback] = None,
    ) -> Path:
        """See :meth:`Client.download_url`."""
        args = {"url": url, "out_dir": os.fspath(out_dir), "file_name": file_name, "on_existing": on_existing}
        return Path(await self._call("download_url", args, on_event))

    async def upload_model(
        self,
        path: PathLike,
        name: Optional[str] = None,
        *,
        thumbnail: Optional[PathLike] = None,
        create_thumb: bool = False,
        on_event: Optional[EventCallback] = None,
    ) -> str:
        """See :meth:`Client.upload_model`."""
        up = await self._call(
            "upload_model",
            {"path": os.fspath(path), "thumbnail": os.fspath(thumbnail) if thumbnail else None},
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
        args = {
            "model_url": model_url,
            "name": name,
            "thumb_url": thumb_url,
            "create_thumb": create_thumb,
            "model_id": model_id,
        }
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
        video: PathLike,
        *,
        previews: Optional[PathLike] = None,
        timeout: Optional[float] = None,
        on_event: Optional[EventCallback] = None,
    ) -> Detection:
        """See :meth:`Client.detect_people`."""
        args = {
            "video": os.fspath(video),
            "previews": os.fspath(previews) if previews else None,
            "timeout": timeout,
        }
        return Detection.from_dict(await self._call("detect_people", args, on_event))

    async def animate_people(
        self,
        detection: Union[str, Detection],
        out_dir: PathLike,
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
        rid = detection.rid if isinstance(detection, Detection) else detection
        args = {
            "detection": rid,
            "out_dir": os.fspath(out_dir),
            "people": [[k, v] for k, v in people.items()],
            "params": _params(formats, params, keywords),
            "force": force,
            "unzip": unzip,
            "timeout": timeout,
        }
        return PeopleAnimation.from_dict(await self._call("animate_people", args, on_event))
