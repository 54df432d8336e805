"""The blocking client, as ``dm.animate3d.client``."""

from __future__ import annotations

import math
import os
import threading
from typing import Callable, Dict, List, Optional

from motionkit import deepmotion
from motionkit.compat.animate3d import _mapping as m
from motionkit.compat.animate3d.data.callback import ProgressCallbackData, ResultCallbackData
from motionkit.compat.animate3d.data.character import CharacterModel
from motionkit.compat.animate3d.data.enums import Status
from motionkit.compat.animate3d.data.job import Job
from motionkit.compat.animate3d.data.job_status import JobStatus
from motionkit.compat.animate3d.data.params import ProcessParams
from motionkit.compat.animate3d.data.response import DownloadLink

__all__ = ["Animate3DClient"]

ProgressCallback = Callable[[ProgressCallbackData], None]
ResultCallback = Callable[[ResultCallbackData], None]


class Animate3DClient:
    """DeepMotion Animate 3D, blocking: the official SDK's
    ``Animate3DClient`` on motionkit's engine (:class:`motionkit.deepmotion.Client`).

    The engine is made from ``api_server_url``, ``client_id`` and
    ``client_secret`` at the first call, and signs in (``/session/auth``)
    itself. ``timeout`` is each request's limit in seconds, as in the SDK
    (uploads and downloads are bounded by their stall and rate limits
    instead of one total). A job's ``timeout=`` is the wait's.

    Methods that wait take ``poll_interval`` and ignore it: the engine polls
    on its own growing schedule, every job of a wait in one request.
    Without callbacks, the SDK's messages are printed as it prints them
    (``Progress: N%``, ``Job completed successfully!``, ``Downloaded N files
    to ...``), and ``Job failed: ...`` too (the SDK's blocking client
    forgets that one).
    """

    def __init__(
        self,
        api_server_url: str,
        client_id: str,
        client_secret: str,
        timeout: Optional[int] = None,
    ) -> None:
        self.api_server_url = api_server_url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.timeout = timeout
        self._lock = threading.Lock()
        self._sync: Optional[deepmotion.Client] = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(api_server_url={self.api_server_url!r})"

    def _engine(self) -> deepmotion.Client:
        with self._lock, m.translated():
            if self._sync is None:
                self._sync = deepmotion.Client(
                    self.api_server_url, self.client_id, self.client_secret, timeout=self.timeout or None
                )
            return self._sync

    # ---------------------------------------------------------- jobs, inside

    def _submit(self, video_path: str, name: Optional[str], params: List[str]) -> str:
        engine = self._engine()
        with m.named_as(video_path, name) as path:
            with m.translated(reading_input=True):
                upload = engine.upload(path)
        with m.translated():
            return engine.process(upload, params=params)

    def _poll_job(
        self,
        rid: str,
        result_callback: Optional[ResultCallback] = None,
        progress_callback: Optional[ProgressCallback] = None,
        poll_interval: int = m.DEFAULT_POLL_INTERVAL,
        timeout: Optional[int] = None,
    ) -> None:
        """Waits for ``rid`` (the engine's wait), reporting its progress
        and end to the callbacks, or printing them."""
        engine = self._engine()
        report = progress_callback or m.print_progress

        def on_event(event: Dict[str, object]) -> None:
            data = m.progress_of(event, rid)
            if data is not None:
                report(data)

        with m.translated(rid):
            outcome = m.outcome_for(engine.wait(rid, timeout=timeout or None, on_event=on_event), rid)
            entry = None if outcome.ok else next((s.raw for s in engine.status(rid) if s.rid == rid), None)
        (result_callback or m.print_result)(m.result_of(outcome, entry))

    def _follow(
        self,
        rid: str,
        when: bool,
        blocking: bool,
        result_callback: Optional[ResultCallback],
        progress_callback: Optional[ProgressCallback],
        poll_interval: int,
        timeout: Optional[int],
    ) -> None:
        if not when:
            return
        args = (rid, result_callback, progress_callback, poll_interval, timeout)
        if blocking:
            self._poll_job(*args)
        else:
            threading.Thread(target=self._poll_job, args=args, daemon=True).start()

    # ---------------------------------------------------------- models

    def list_character_models(
        self,
        model_id: Optional[str] = None,
        search_token: Optional[str] = None,
        only_custom: Optional[bool] = None,
    ) -> List[CharacterModel]:
        """Character models, optionally one by id or by name. ``only_custom``
        is accepted; the engine lists what ``listModels`` gives by default
        (it does not send the SDK's ``stockModel=all``)."""
        engine = self._engine()
        with m.translated():
            found = engine.models(model_id or None, search_token or None)
        return [CharacterModel.from_dict(model.raw) for model in found]

    def upload_character_model(
        self,
        source: str,
        name: Optional[str] = None,
        create_thumb: bool = False,
    ) -> str:
        """Stores a model from an ``http(s)`` URL, or uploads a local file
        and stores it (named after the file unless ``name`` is given);
        returns its id."""
        engine = self._engine()
        if source.startswith(("http://", "https://")):
            with m.translated():
                return engine.store_model(source, name or "Unnamed Model", create_thumb=create_thumb)
        if name is None:
            name = os.path.splitext(os.path.basename(source))[0]
        with m.translated(reading_input=True):
            return engine.upload_model(source, name, create_thumb=create_thumb)

    def delete_character_model(self, model_id: str) -> int:
        """Deletes a model; returns how many were deleted."""
        engine = self._engine()
        with m.translated():
            return engine.delete_model(model_id)

    # ---------------------------------------------------------- jobs

    def start_new_job(
        self,
        video_path: str,
        params: Optional[ProcessParams] = None,
        name: Optional[str] = None,
        result_callback: Optional[ResultCallback] = None,
        progress_callback: Optional[ProgressCallback] = None,
        poll_interval: int = m.DEFAULT_POLL_INTERVAL,
        blocking: bool = True,
        timeout: Optional[int] = None,
    ) -> str:
        """Uploads ``video_path`` and starts a job; returns its rid. With
        ``blocking`` (the default) it then waits for the end, else, with a
        callback, it waits in a daemon thread."""
        rid = self._submit(video_path, name, m.wire_params(params))
        wait = blocking or progress_callback is not None or result_callback is not None
        self._follow(rid, wait, blocking, result_callback, progress_callback, poll_interval, timeout)
        return rid

    def prepare_multi_person_job(
        self,
        video_path: str,
        name: Optional[str] = None,
        result_callback: Optional[ResultCallback] = None,
        progress_callback: Optional[ProgressCallback] = None,
        poll_interval: int = m.DEFAULT_POLL_INTERVAL,
        blocking: bool = True,
        timeout: Optional[int] = None,
    ) -> str:
        """Uploads ``video_path`` and starts a person detection
        (``pipeline=mp_detection``); returns its rid for
        :meth:`start_multi_person_job`. Waits as :meth:`start_new_job`."""
        rid = self._submit(video_path, name, m.wire_params(None, pipeline="mp_detection"))
        wait = blocking or progress_callback is not None or result_callback is not None
        self._follow(rid, wait, blocking, result_callback, progress_callback, poll_interval, timeout)
        return rid

    def start_multi_person_job(
        self,
        rid_mp_detection: str,
        models: List[Dict[str, str]],
        params: Optional[ProcessParams] = None,
        result_callback: Optional[ResultCallback] = None,
        progress_callback: Optional[ProgressCallback] = None,
        poll_interval: int = m.DEFAULT_POLL_INTERVAL,
        blocking: bool = True,
        timeout: Optional[int] = None,
    ) -> str:
        """Animates the people of a detection, each with a model
        (``[{"trackingId": "001", "modelId": ...}, ...]``); returns the new
        job's rid. As in the SDK, it waits only when given a callback."""
        engine = self._engine()
        with m.translated():
            rid = engine.process_people(rid_mp_detection, m.People(models), params=m.wire_params(params))
        wait = progress_callback is not None or result_callback is not None
        self._follow(rid, wait, blocking, result_callback, progress_callback, poll_interval, timeout)
        return rid

    def rerun_job(
        self,
        rid: str,
        params: Optional[ProcessParams] = None,
        result_callback: Optional[ResultCallback] = None,
        progress_callback: Optional[ProgressCallback] = None,
        poll_interval: int = m.DEFAULT_POLL_INTERVAL,
        blocking: bool = True,
        timeout: Optional[int] = None,
    ) -> str:
        """Processes job ``rid``'s input again with ``params``; returns the
        new rid. Waits as :meth:`start_new_job`."""
        engine = self._engine()
        with m.translated(rid):
            new_rid = engine.rerun(rid, params=m.wire_params(params))
        wait = blocking or progress_callback is not None or result_callback is not None
        self._follow(new_rid, wait, blocking, result_callback, progress_callback, poll_interval, timeout)
        return new_rid

    def get_job_status(self, rid: str) -> JobStatus:
        """Job ``rid``'s ``/status`` entry (``APIError`` 404 when the
        service does not know it)."""
        engine = self._engine()
        with m.translated(rid):
            entries = engine.status(rid)
        entry = next((e for e in entries if e.rid == rid), None)
        if entry is None:
            raise m.unknown_job(rid)
        return JobStatus.from_dict(entry.raw)

    def list_jobs(self, status: Optional[List[Status]] = None) -> List[Job]:
        """The account's jobs, optionally only those in ``status``."""
        engine = self._engine()
        with m.translated():
            jobs = engine.list([s.value for s in status] if status else None)
        return [m.job_of(job) for job in jobs]

    def download_job(self, rid: str, output_dir: Optional[str] = None) -> DownloadLink:
        """Job ``rid``'s output URLs; with ``output_dir``, also saves them
        (atomically, replacing files of the same name) as the SDK lays
        them out: ``output_dir/<rid>/<group>.<type>``, the multi-person
        ``all_characters.<type>.zip``, no per-person or ``inter*`` groups."""
        engine = self._engine()
        with m.translated(rid):
            link = m.link_of(engine.download_links(rid), rid)
        if output_dir:
            target = os.path.join(output_dir, link.rid)
            os.makedirs(target, exist_ok=True)
            saved = 0
            for url, file_name in m.files_to_save(link):
                with m.translated(rid):
                    engine.download_url(url, target, file_name, on_existing="replace")
                saved += 1
            print(f"Downloaded {saved} files to {target}")
        return link

    # ---------------------------------------------------------- account

    def get_credit_balance(self) -> float:
        """The account's credits, rounded down (a whole number)."""
        engine = self._engine()
        with m.translated():
            return math.floor(engine.credits())
