"""DeepMotion's official Animate 3D SDK (``dm-animate3d-api`` 1.0.2,
``import dm.animate3d``), on motionkit's engine.

Change one import and nothing else::

    # from dm.animate3d import Animate3DClient, ProcessParams
    from motionkit.compat.animate3d import Animate3DClient, ProcessParams

The same classes, methods, arguments, defaults, return values, callbacks
and exceptions (and the same submodules: ``.data``, ``.exceptions``,
``.error_codes``, ``.client``, ``.async_client``). Underneath, every call
is :mod:`motionkit.deepmotion`'s: streamed resumable uploads, retries,
batched adaptive polling, atomic downloads and validation before anything
is charged. What differs from the SDK, on purpose or by necessity:

- Parameters the documents forbid are refused before ``POST /process``
  (:class:`ValidationError`, nothing charged) where the SDK sends them and
  the job fails (503) or the service answers 400 (an unknown multi-person
  tracking id). ``rootAtOrigin`` is sent as ``1``/``0``, as documented;
  the SDK's ``true``/``false`` fails the job.
- Uploads go under a unique name (``walk.mp4`` as ``walk-k3x9q2m7a1.mp4``),
  so output groups, ``download_job``'s files and ``Job.file_name`` carry
  that suffix; ``name=`` gives the stem.
- ``JobStatusDetails.input_file`` and ``JobResult.input`` are filled from
  the ``In`` the service sends (the SDK reads ``in`` and leaves them empty).
- Progress callbacks follow the engine's polls (at once, then from 2 s up
  to 30 s apart): fewer calls than one per ``poll_interval``;
  ``position_in_queue`` is always 0.
- A job the service leaves out of ``/status`` or ``/download`` is
  :class:`APIError` 404 (the SDK reports 404 the same way, but an empty
  ``/status`` answer as a ``PROGRESS`` status).
- The constructor's ``timeout`` is not forwarded and ``only_custom`` is not
  sent: see :class:`Animate3DClient`.
- The blocking client prints ``Job failed: ...`` when no result callback
  is given (the SDK's blocking client does not; its asyncio one does).
- :class:`TimeoutError` is exported here too (the SDK has it only in its
  ``exceptions`` module).
"""

from motionkit.compat.animate3d.async_client import AsyncAnimate3DClient
from motionkit.compat.animate3d.client import Animate3DClient
from motionkit.compat.animate3d.data.callback import (
    JobError,
    JobResult,
    ProgressCallbackData,
    ResultCallbackData,
)
from motionkit.compat.animate3d.data.character import CharacterModel
from motionkit.compat.animate3d.data.enums import Status
from motionkit.compat.animate3d.data.job import Job
from motionkit.compat.animate3d.data.job_status import JobStatus, JobStatusDetails
from motionkit.compat.animate3d.data.params import ProcessParams
from motionkit.compat.animate3d.data.response import DownloadFile, DownloadLink, DownloadUrl
from motionkit.compat.animate3d.exceptions import (
    Animate3DError,
    APIError,
    AuthenticationError,
    TimeoutError,
    ValidationError,
)

__all__ = [
    "Animate3DClient",
    "AsyncAnimate3DClient",
    "ProcessParams",
    "Status",
    "Job",
    "JobStatus",
    "JobStatusDetails",
    "ProgressCallbackData",
    "ResultCallbackData",
    "JobResult",
    "JobError",
    "CharacterModel",
    "DownloadLink",
    "DownloadUrl",
    "DownloadFile",
    "Animate3DError",
    "AuthenticationError",
    "APIError",
    "ValidationError",
    "TimeoutError",
]
