"""The asyncio client, as ``dm.animate3d.async_client``."""

from __future__ import annotations

import asyncio
import inspect
import math
import os
from types import TracebackType
from typing import Any, Awaitable, Callable, Dict, List, Optional, Set, Type

from motionkit import deepmotion
from motionkit.compat.animate3d import _mapping as m
from motionkit.compat.animate3d.data.callback import ProgressCallbackData, ResultCallbackData
from motionkit.compat.animate3d.data.character import CharacterModel
from motionkit.compat.animate3d.data.enums import Status
from motionkit.compat.animate3d.data.job import Job
from motionkit.compat.animate3d.data.job_status import JobStatus
from motionkit.compat.animate3d.data.params import ProcessParams
from motionkit.compat.animate3d.data.response import DownloadLink

__all__ = ["AsyncAnimate3DClient"]

ProgressCallback = Callable[[ProgressCallbackData], Optional[Awaitable[None]]]
ResultCallback = Callable[[ResultCallbackData], Optional[Awaitable[None]]]


class AsyncAnimate3DClient:
    """DeepMotion Animate 3D for asyncio: the official SDK's
    ``AsyncAnimate3DClient`` on motionkit's engine
    (:class:`motionkit.deepmotion.AsyncClient`); also an async context
    manager. Callbacks may be plain functions or coroutine functions.

    Settings, ``timeout``, ``poll_interval`` and printed messages are as in
    :class:`~motionkit.compat.animate3d.Animate3DClient`. Cancelling a call
    cancels it in the engine. With ``blocking=False`` the wait runs in a
    task of the running loop, as in the SDK.
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
        self._client: Optional[deepmotion.AsyncClient] = None
        # Waits started with blocking=False, kept until they end.
        self._tasks: Set["asyncio.Task[None]"] = set()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(api_server_url={self.api_server_url!r})"

    def _engine(self) -> deepmotion.AsyncClient:
        if self._client is None:
            with m.translated():
                self._client = deepmotion.AsyncClient(
                    self.api_server_url, self.client_id, self.client_secret, timeout=self.timeout or None
                )
        return self._client

    async def close(self) -> None:
        """Lets the engine go (its connections close with it; the client
        makes a new one if used again) and, as the SDK does after closing
        its session, gives the loop a quarter of a second: the engine's
        threads hand their last results to Python meanwhile, which they
        cannot do once the interpreter is shutting down."""
        if self._client is not None:
            self._client = None
            await asyncio.sleep(0.25)

    async def __aenter__(self) -> "AsyncAnimate3DClient":
        return self

    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc_val: Optional[BaseException],
        exc_tb: Optional[TracebackType],
    ) -> None:
        await self.close()

    # ---------------------------------------------------------- jobs, inside

    async def _submit(self, video_path: str, name: Optional[str], params: List[str]) -> str:
        engine = self._engine()
        with m.named_as(video_path, name) as path:
            with m.translated(reading_input=True):
                upload = await engine.upload(path)
        with m.translated():
            return await engine.process(upload, params=params)

    async def _poll_job(
        self,
        rid: str,
        result_callback: Optional[ResultCallback] = None,
        progress_callback: Optional[ProgressCallback] = None,
        poll_interval: int = m.DEFAULT_POLL_INTERVAL,
        timeout: Optional[int] = None,
    ) -> None:
        """Waits for ``rid`` (the engine's wait), reporting its progress
        and end to the callbacks (awaited when they return awaitables), or
        printing them."""
        engine = self._engine()
        report: ProgressCallback = progress_callback or m.print_progress
        pending: List["asyncio.Future[Any]"] = []

        def on_event(event: Dict[str, Any]) -> None:
            data = m.progress_of(event, rid)
            if data is not None:
                returned = report(data)
                if returned is not None and inspect.isawaitable(returned):
                    pending.append(asyncio.ensure_future(returned))

        try:
            with m.translated(rid):
                outcomes = await engine.wait(rid, timeout=timeout or None, on_event=on_event)
                outcome = m.outcome_for(outcomes, rid)
                entries = [] if outcome.ok else await engine.status(rid)
        finally:
            await asyncio.gather(*pending)
        entry = next((s.raw for s in entries if s.rid == rid), None)
        returned = (result_callback or m.print_result)(m.result_of(outcome, entry))
        if returned is not None and inspect.isawaitable(returned):
            await returned

    async def _follow(
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
        wait = self._poll_job(rid, result_callback, progress_callback, poll_interval, timeout)
        if blocking:
            await wait
        else:
            task = asyncio.ensure_future(wait)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    # ---------------------------------------------------------- models

    async def list_character_models(
        self,
        model_id: Optional[str] = None,
        search_token: Optional[str] = None,
        only_custom: Optional[bool] = None,
    ) -> List[CharacterModel]:
        """See :meth:`Animate3DClient.list_character_models`."""
        engine = self._engine()
        with m.translated():
            found = await engine.models(model_id or None, search_token or None)
        return [CharacterModel.from_dict(model.raw) for model in found]

    async def upload_character_model(
        self,
        source: str,
        name: Optional[str] = None,
        create_thumb: bool = False,
    ) -> str:
        """See :meth:`Animate3DClient.upload_character_model`."""
        engine = self._engine()
        if source.startswith(("http://", "https://")):
            with m.translated():
                return await engine.store_model(source, name or "Unnamed Model", create_thumb=create_thumb)
        if name is None:
            name = os.path.splitext(os.path.basename(source))[0]
        with m.translated(reading_input=True):
            return await engine.upload_model(source, name, create_thumb=create_thumb)

    async def delete_character_model(self, model_id: str) -> int:
        """See :meth:`Animate3DClient.delete_character_model`."""
        engine = self._engine()
        with m.translated():
            return await engine.delete_model(model_id)

    # ---------------------------------------------------------- jobs

    async def start_new_job(
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
        """See :meth:`Animate3DClient.start_new_job`."""
        rid = await self._submit(video_path, name, m.wire_params(params))
        wait = blocking or progress_callback is not None or result_callback is not None
        await self._follow(rid, wait, blocking, result_callback, progress_callback, poll_interval, timeout)
        return rid

    async def prepare_multi_person_job(
        self,
        video_path: str,
        name: Optional[str] = None,
        result_callback: Optional[ResultCallback] = None,
        progress_callback: Optional[ProgressCallback] = None,
        poll_interval: int = m.DEFAULT_POLL_INTERVAL,
        blocking: bool = True,
        timeout: Optional[int] = None,
    ) -> str:
        """See :meth:`Animate3DClient.prepare_multi_person_job`."""
        rid = await self._submit(video_path, name, m.wire_params(None, pipeline="mp_detection"))
        wait = blocking or progress_callback is not None or result_callback is not None
        await self._follow(rid, wait, blocking, result_callback, progress_callback, poll_interval, timeout)
        return rid

    async def start_multi_person_job(
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
        """See :meth:`Animate3DClient.start_multi_person_job`."""
        engine = self._engine()
        with m.translated():
            rid = await engine.process_people(rid_mp_detection, m.People(models), params=m.wire_params(params))
        wait = progress_callback is not None or result_callback is not None
        await self._follow(rid, wait, blocking, result_callback, progress_callback, poll_interval, timeout)
        return rid

    async def rerun_job(
        self,
        rid: str,
        params: Optional[ProcessParams] = None,
        result_callback: Optional[ResultCallback] = None,
        progress_callback: Optional[ProgressCallback] = None,
        poll_interval: int = m.DEFAULT_POLL_INTERVAL,
        blocking: bool = True,
        timeout: Optional[int] = None,
    ) -> str:
        """See :meth:`Animate3DClient.rerun_job`."""
        engine = self._engine()
        with m.translated(rid):
            new_rid = await engine.rerun(rid, params=m.wire_params(params))
        wait = blocking or progress_callback is not None or result_callback is not None
        await self._follow(new_rid, wait, blocking, result_callback, progress_callback, poll_interval, timeout)
        return new_rid

    async def get_job_status(self, rid: str) -> JobStatus:
        """See :meth:`Animate3DClient.get_job_status`."""
        engine = self._engine()
        with m.translated(rid):
            entries = await engine.status(rid)
        entry = next((e for e in entries if e.rid == rid), None)
        if entry is None:
            raise m.unknown_job(rid)
        return JobStatus.from_dict(entry.raw)

    async def list_jobs(self, status: Optional[List[Status]] = None) -> List[Job]:
        """See :meth:`Animate3DClient.list_jobs`."""
        engine = self._engine()
        with m.translated():
            jobs = await engine.list([s.value for s in status] if status else None)
        return [m.job_of(job) for job in jobs]

    async def download_job(self, rid: str, output_dir: Optional[str] = None) -> DownloadLink:
        """See :meth:`Animate3DClient.download_job`."""
        engine = self._engine()
        with m.translated(rid):
            link = m.link_of(await engine.download_links(rid), rid)
        if output_dir:
            target = os.path.join(output_dir, link.rid)
            os.makedirs(target, exist_ok=True)
            files = m.files_to_save(link)
            for url, file_name in files:
                with m.translated(rid):
                    await engine.download_url(url, target, file_name, on_existing="replace")
            if files:  # the asyncio SDK says nothing when there is nothing
                print(f"Downloaded {len(files)} files to {target}")
        return link

    # ---------------------------------------------------------- account

    async def get_credit_balance(self) -> float:
        """See :meth:`Animate3DClient.get_credit_balance`."""
        engine = self._engine()
        with m.translated():
            return math.floor(await engine.credits())
