"""Shape translations shared by :mod:`.client` and :mod:`.async_client`:
the SDK's arguments into motionkit's, motionkit's answers, events and
exceptions into the SDK's. No requests, checks or waits of its own."""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import tempfile
from typing import (
    Any,
    ItemsView,
    Iterator,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
)

from motionkit import errors
from motionkit.compat.animate3d.data.callback import (
    JobError,
    JobResult,
    ProgressCallbackData,
    ResultCallbackData,
)
from motionkit.compat.animate3d.data.job import Job
from motionkit.compat.animate3d.data.job_status import JobStatusDetails
from motionkit.compat.animate3d.data.params import ProcessParams
from motionkit.compat.animate3d.data.response import DownloadLink
from motionkit.compat.animate3d.exceptions import (
    Animate3DError,
    APIError,
    AuthenticationError,
    TimeoutError,
    ValidationError,
)
from motionkit.deepmotion import JobOutcome
from motionkit.deepmotion import Job as EngineJob


#: The SDK's ``poll_interval`` default; accepted and unused (the engine
#: polls on its own schedule, every job of a wait in one request).
DEFAULT_POLL_INTERVAL = 5

#: The group holding every person's files of a multi-person job.
ALL_CHARACTERS = "all_characters"

#: Boolean parameters motionkit takes as ``1``/``0`` only, where the SDK
#: writes ``true``/``false``. (``upperBodyOnly``, which motionkit does not
#: know, is sent as the SDK writes it.)
_FLAGS = ("rootAtOrigin",)


# ---------------------------------------------------------------- arguments


def wire_params(params: Optional[ProcessParams], pipeline: Optional[str] = None) -> List[str]:
    """``params`` (default: the SDK's defaults) as the engine takes them."""
    chosen = (params or ProcessParams()).copy()
    if pipeline is not None:
        chosen._pipeline = pipeline
    out = []
    for text in chosen.to_params_list():
        key, _, value = text.partition("=")
        if key in _FLAGS and value in ("true", "false"):
            text = f"{key}={'1' if value == 'true' else '0'}"
        out.append(text)
    return out


class _PeopleItems(ItemsView[str, str]):
    def __init__(self, pairs: List[Tuple[str, str]]) -> None:
        super().__init__({})
        self._pairs = pairs

    def __iter__(self) -> Iterator[Tuple[str, str]]:
        return iter(self._pairs)

    def __len__(self) -> int:
        return len(self._pairs)


class People(Mapping[str, str]):
    """The SDK's ``models`` (``[{"trackingId", "modelId"}, ...]``) as the
    ``people`` mapping of :meth:`motionkit.deepmotion.Client.animate_people`,
    keeping every pair as given (a person named twice reaches the engine's
    own check instead of being merged away)."""

    def __init__(self, models: Sequence[Mapping[str, Any]]) -> None:
        self._pairs = [(str(m.get("trackingId", "")), str(m.get("modelId", ""))) for m in models]

    def __getitem__(self, key: str) -> str:
        for tracking_id, model_id in self._pairs:
            if tracking_id == key:
                return model_id
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return (tracking_id for tracking_id, _ in self._pairs)

    def __len__(self) -> int:
        return len(self._pairs)

    def items(self) -> ItemsView[str, str]:
        return _PeopleItems(self._pairs)


@contextlib.contextmanager
def named_as(video_path: str, name: Optional[str]) -> Iterator[str]:
    """The file to upload for the SDK's ``name``: ``video_path`` itself, or
    a link to it called ``name`` in a scratch folder (motionkit uploads a
    file under its own name, with a unique suffix). A ``name`` that is not
    a plain file name is not used."""
    plain = bool(name) and os.path.basename(name or "") == name and name not in (".", "..")
    if not plain or name == os.path.basename(video_path) or not os.path.isfile(video_path):
        yield video_path
        return
    scratch = tempfile.mkdtemp(prefix="motionkit-compat-")
    staged = os.path.join(scratch, str(name))
    try:
        try:
            os.symlink(os.path.abspath(video_path), staged)
        except OSError:
            shutil.copyfile(video_path, staged)
        yield staged
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


# ---------------------------------------------------------------- answers


def job_of(job: EngineJob) -> Job:
    """A ``list()`` entry in the SDK's shape."""
    return Job.from_dict(
        {
            "rid": job.rid,
            "status": job.status,
            "fileName": job.file_name,
            "fileSize": job.file_size,
            "fileDuration": job.file_duration,
            "ctime": job.ctime,
            "mtime": job.mtime,
        }
    )


def unknown_job(rid: str) -> APIError:
    """What the SDK sees for a job the service does not know: HTTP 404
    (motionkit reports such a job as missing from the answer)."""
    return APIError(f"API request failed with status 404: the server does not know job {rid}", status_code=404)


def progress_of(event: Mapping[str, Any], rid: str) -> Optional[ProgressCallbackData]:
    """A wait's ``progress`` event of job ``rid`` as the SDK reports it."""
    if event.get("type") != "progress" or event.get("rid", rid) != rid:
        return None
    step = event.get("step") or 0
    total = event.get("total") or 100
    percent = math.ceil(step / total * 100) if total > 0 else 0
    return ProgressCallbackData(rid=rid, progress_percent=int(percent), position_in_queue=0)


def result_of(outcome: JobOutcome, status_entry: Optional[Mapping[str, Any]]) -> ResultCallbackData:
    """How job ``outcome.rid`` ended, as the SDK reports it: its ``In`` and
    ``out`` on success; on failure ``exc_type`` and the formatted
    ``exc_message`` of its ``/status`` entry (``status_entry``), else the
    engine's message."""
    if outcome.ok:
        details = JobStatusDetails.from_dict(outcome.details)
        found_input = details.input_file
        inputs = [found_input] if isinstance(found_input, str) else list(found_input or [])
        inputs = [i for i in inputs if i]
        return ResultCallbackData(rid=outcome.rid, result=JobResult(input=inputs, output=details.output_file))
    raw = (status_entry or {}).get("details")
    if isinstance(raw, dict):
        found = JobStatusDetails.from_dict(raw)
        error = JobError(code=found.exc_type or "Unknown", message=found.exc_message or "Unknown error")
    else:
        error = JobError(code="Unknown", message=outcome.message or "Unknown error")
    return ResultCallbackData(rid=outcome.rid, error=error)


def outcome_for(outcomes: Sequence[JobOutcome], rid: str) -> JobOutcome:
    """The outcome of ``rid``; a job the server does not know is a 404."""
    outcome = next((o for o in outcomes if o.rid == rid), None)
    if outcome is None or outcome.unknown:
        raise unknown_job(rid)
    return outcome


def print_progress(data: ProgressCallbackData) -> None:
    """What the SDK prints when no progress callback is given."""
    print(f"Progress: {data.progress_percent}%")


def print_result(data: ResultCallbackData) -> None:
    """What the SDK prints when no result callback is given."""
    if data.error is None:
        print("Job completed successfully!")
    else:
        print(f"Job failed: {data.error.message}")


def link_of(links: Sequence[Mapping[str, Any]], rid: str) -> DownloadLink:
    """The ``/download`` entry of ``rid``; a job the server does not know
    is a 404."""
    entry = next((link for link in links if link.get("rid") == rid), None)
    if entry is None:
        raise unknown_job(rid)
    return DownloadLink.from_dict(dict(entry))


def is_per_person(name: str) -> bool:
    """A multi-person job's group of one person (``<name>_001``)."""
    return len(name) >= 4 and name[-4] == "_" and name[-3:].isdigit()


def files_to_save(link: DownloadLink) -> List[Tuple[str, str]]:
    """``(url, file name)`` of what ``download_job`` saves, as the SDK lays
    them out: ``<group>.<type>``, ``all_characters.<type>.zip``; no
    per-person (``_NNN``) or intermediate (``inter*``) groups."""
    out = []
    for group in link.urls:
        if is_per_person(group.name) or group.name.startswith("inter"):
            continue
        for file in group.files:
            kind = f"{file.file_type}.zip" if group.name == ALL_CHARACTERS else file.file_type
            out.append((file.url, f"{group.name}.{kind}"))
    return out


# ---------------------------------------------------------------- errors


def translate(
    failure: errors.MotionkitError, rid: Optional[str] = None, reading_input: bool = False
) -> Animate3DError:
    """The SDK's exception for a motionkit one (see :mod:`.exceptions`)."""
    message = str(failure)
    if isinstance(failure, errors.AuthError):
        return AuthenticationError(message)
    if isinstance(failure, errors.ValidationError):
        return ValidationError(message)
    if reading_input and isinstance(failure, errors.LocalFileError) and not failure.may_have_reached_server:
        return ValidationError(message)
    if isinstance(failure, errors.TimeoutError):
        return TimeoutError(message, rid=failure.rid or next(iter(failure.pending), None) or rid)
    status = failure.status
    if status is None and isinstance(failure, errors.UnknownJobError):
        status = 404
    return APIError(message, status_code=status, error_code=failure.code)


@contextlib.contextmanager
def translated(rid: Optional[str] = None, reading_input: bool = False) -> Iterator[None]:
    """Raises motionkit's exceptions as the SDK's, the original as
    ``__cause__``."""
    try:
        yield
    except errors.MotionkitError as failure:
        raise translate(failure, rid, reading_input) from failure


# ---------------------------------------------------------------- multi-person
