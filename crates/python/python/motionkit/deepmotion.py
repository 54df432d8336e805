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
from motionkit import _dm_args as a
from motionkit._call import EventCallback, call
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
from motionkit._dm_async import AsyncClient
from motionkit.validation import Params

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



class Client(a.Settings):
    """A blocking DeepMotion client.

    Settings come from the arguments, else the environment
    (``DEEPMOTION_API_URL``, ``DEEPMOTION_CLIENT_ID``,
    ``DEEPMOTION_CLIENT_SECRET``), else the config file
    (``MOTIONKIT_CONFIG``, profile ``MOTIONKIT_PROFILE``): exactly as the
    CLI reads them. Nothing is sent until the first call. ``timeout`` is
    how many seconds one request may take (the engine's default otherwise;
    transfers are bounded by their stall and rate limits instead). ``proxy``
    is an HTTP(S) proxy URL, or ``"system"`` for the one ``HTTPS_PROXY`` /
    ``NO_PROXY`` name; without it requests go straight to the servers,
    whatever the environment says. A client may be
    shared by threads, and keeps working in a child process after ``fork()``.
    """

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

    def _call(self, op: str, args: Dict[str, Any], on_event: Optional[EventCallback] = None) -> Any:
        return call(self._native, op, args, on_event)

    def animate(
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
        """Uploads ``video``, processes it, waits and saves every output in
        ``out_dir``. Keywords are ``/process`` parameters (``track_face=True``,
        ``render_bg_color=[0, 177, 64, 0]``); unknown ones pass through with a
        warning. ``force`` sends a request the documents say fails."""
        args = a.animate_args(video, out_dir, formats, params, force, unzip, on_existing, timeout, keywords)
        return Animation.from_dict(self._call("animate", args, on_event))

    def upload(self, path: a.PathLike, *, on_event: Optional[EventCallback] = None) -> Upload:
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
        args = {"upload": upload.to_dict(), "params": a.process_params(formats, params, keywords), "force": force}
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
        args = {"rerun": rid, "params": a.process_params(formats, params, keywords), "force": force}
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
        args = a.people_args(detection, people, formats, params, force, keywords)
        return str(self._call("process", args)["rid"])

    def status(self, rids: Union[str, Iterable[str]]) -> List[JobStatus]:
        """Status of any number of jobs, in as few requests as possible."""
        return [JobStatus.from_dict(e) for e in self._call("status", {"rids": a.rid_list(rids)})]

    def wait(
        self,
        rids: Union[str, Iterable[str]],
        *,
        timeout: Optional[float] = None,
        on_event: Optional[EventCallback] = None,
    ) -> List[JobOutcome]:
        """Waits for every job (batched polling); a failed job is an outcome."""
        args = {"rids": a.rid_list(rids), "timeout": timeout}
        return [JobOutcome.from_dict(o) for o in self._call("wait", args, on_event)]

    def download(
        self,
        rid: str,
        out_dir: a.PathLike,
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
        out_dir: a.PathLike,
        file_name: Optional[str] = None,
        *,
        on_existing: str = "keep_both",
        on_event: Optional[EventCallback] = None,
    ) -> Path:
        """Saves one signed output URL (from :meth:`download_links`) in
        ``out_dir``, atomically, as ``file_name`` (sanitised; default: the
        URL's own file name)."""
        args = a.download_url_args(url, out_dir, file_name, on_existing)
        return Path(self._call("download_url", args, on_event))

    def download_links(self, rids: Union[str, Iterable[str]]) -> List[Dict[str, Any]]:
        """The ``/download`` answer of each job: signed URLs by group."""
        return list(self._call("download_links", {"rids": a.rid_list(rids)}))

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
        path: a.PathLike,
        name: Optional[str] = None,
        *,
        thumbnail: Optional[a.PathLike] = None,
        create_thumb: bool = False,
        on_event: Optional[EventCallback] = None,
    ) -> str:
        """Uploads a model file (fbx, glb, gltf, vrm) and stores it; returns its id."""
        up = self._call(
            "upload_model",
            a.model_args(path, thumbnail),
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
        args = a.store_args(model_url, name, thumb_url, create_thumb, model_id)
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
        video: a.PathLike,
        *,
        previews: Optional[a.PathLike] = None,
        timeout: Optional[float] = None,
        on_event: Optional[EventCallback] = None,
    ) -> Detection:
        """Multi-person step 1: uploads ``video`` and finds its people
        (their previews saved in ``previews``, when given)."""
        args = a.detect_args(video, previews, timeout)
        return Detection.from_dict(self._call("detect_people", args, on_event))

    def animate_people(
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
        """Multi-person step 2: animates the chosen people
        (``{tracking_id: model_id}``), waits and saves the outputs."""
        args = a.people_args(detection, people, formats, params, force, keywords)
        args.update(out_dir=os.fspath(out_dir), unzip=unzip, timeout=timeout)
        return PeopleAnimation.from_dict(self._call("animate_people", args, on_event))
