"""The SDK's data classes, as ``dm.animate3d.data``."""

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

__all__ = [
    "Status",
    "Job",
    "JobStatus",
    "JobStatusDetails",
    "CharacterModel",
    "ProcessParams",
    "DownloadLink",
    "DownloadUrl",
    "DownloadFile",
    "ProgressCallbackData",
    "ResultCallbackData",
    "JobResult",
    "JobError",
]
