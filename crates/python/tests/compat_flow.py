"""DeepMotion's official Animate 3D flow, run with the official SDK or with
motionkit's drop-in, printing one JSON document of what it saw.

    python compat_flow.py MODULE API_URL CLIENT_ID CLIENT_SECRET VIDEO MODEL_FILE WORKDIR

MODULE is ``dm.animate3d`` (``pip install dm-animate3d-api==1.0.2``) or
``motionkit.compat.animate3d``: the only thing that differs between the two
runs, as a user switching would change only the import. The flow: credits,
character models, a custom model upload, a job with progress and result
callbacks, its status, its download, the job list, a blocking rerun, a
failing job, a non-blocking job, a job without callbacks (what it prints),
the multi-person detection and animation, a few deliberate errors, and the
custom model's deletion.

The document keeps what a script relies on (types, shapes, statuses,
callback counts being positive, file layout, exception classes and HTTP
statuses) and normalises what changes from run to run (rids, signed URLs,
model ids, counts of polls). Two differences are inherent to motionkit and
normalised here, each where it is done:

- uploads get a unique name (``-`` and ten characters of ``[a-z0-9]``
  before the extension), so that a submission whose answer was lost is
  found again in ``/list`` instead of being sent twice; the server's output
  names carry it (:func:`natural`);
- ``JobResult.input`` and ``JobStatusDetails.input_file`` come from the
  ``In`` the service sends, which the SDK never reads (it looks for
  ``in``): the SDK leaves them empty, the drop-in fills them
  (:func:`input_shape`).

Everything the SDK prints goes to stderr, the document alone to stdout.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import re
import shutil
import sys
import threading
import zipfile
from typing import Any, Callable, Dict, List, Optional

UNKNOWN_RID = "0000000000-0000000000-0000"
STOCK_MODEL = "dm-stock-male-01"

# motionkit's unique upload suffix, where the server's names keep it: at
# the end of a stem, or before a multi-person group's `_NNN`.
UPLOAD_SUFFIX = re.compile(r"-[a-z0-9]{10}(?=(?:_\d{3})?(?:\.[A-Za-z0-9.]+)?$)")


def natural(name: Optional[str]) -> Optional[str]:
    """A server name without motionkit's unique upload suffix."""
    return None if name is None else UPLOAD_SUFFIX.sub("", name, count=1)


def shape(rid: str) -> str:
    """A rid's shape (`9999999999-9999999999-9999`)."""
    return re.sub(r"[0-9]", "9", rid)


def input_shape(value: Any) -> str:
    """What a result's ``input`` (or a status's ``input_file``) is, leaving
    out whether it is filled: the SDK never fills it (it reads ``in``, the
    service sends ``In``), motionkit does."""
    if value is None or isinstance(value, str):
        return "none-or-name"
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "list of names"
    return type(value).__name__


def type_name(value: Any) -> str:
    return type(value).__name__


def error_of(sdk: Any, call: Callable[[], Any]) -> Dict[str, Any]:
    """The exception ``call`` raises, as a script sees it: its class (one
    of the module's own?) and HTTP status."""
    exceptions = importlib.import_module(sdk.__name__ + ".exceptions")
    try:
        call()
    except Exception as failure:  # what is compared is its class
        name = type(failure).__name__
        return {
            "class": name,
            "is_the_modules_class": type(failure) is getattr(exceptions, name, None),
            "is_animate3d_error": isinstance(failure, sdk.Animate3DError),
            "status_code": getattr(failure, "status_code", None),
        }
    return {"class": None}


class Calls:
    """Progress and result callbacks that remember what they got."""

    def __init__(self) -> None:
        self.progress: List[Any] = []
        self.results: List[Any] = []
        self.done = threading.Event()

    def on_progress(self, data: Any) -> None:
        self.progress.append(data)

    def on_result(self, data: Any) -> None:
        self.results.append(data)
        self.done.set()

    def summary(self, rid: str) -> Dict[str, Any]:
        return {
            "progress_called": len(self.progress) > 0,
            "progress_types": sorted({type_name(p) for p in self.progress}),
            "progress_rids_match": all(p.rid == rid for p in self.progress),
            "progress_percent_ints_0_100": all(
                isinstance(p.progress_percent, int) and 0 <= p.progress_percent <= 100 for p in self.progress
            ),
            "position_in_queue": sorted({p.position_in_queue for p in self.progress}),
            "results": [result_of(r, rid) for r in self.results],
        }


def result_of(data: Any, rid: str) -> Dict[str, Any]:
    out: Dict[str, Any] = {"type": type_name(data), "rid_matches": data.rid == rid}
    if data.result is not None:
        out["result"] = {
            "type": type_name(data.result),
            "input": input_shape(data.result.input),
            "output": natural(data.result.output),
        }
    else:
        out["result"] = None
    if data.error is not None:
        out["error"] = {"type": type_name(data.error), "code": data.error.code, "message": data.error.message}
    else:
        out["error"] = None
    return out


def status_of(status: Any) -> Dict[str, Any]:
    details = status.details
    return {
        "type": type_name(status),
        "status": status.status.value if status.status is not None else None,
        "is_completed": status.is_completed(),
        "is_successful": status.is_successful(),
        "is_failed": status.is_failed(),
        "is_in_progress": status.is_in_progress(),
        "position_in_queue": status.position_in_queue,
        "details": None
        if details is None
        else {
            "type": type_name(details),
            "step": details.step,
            "total": details.total,
            "exc_type": details.exc_type,
            "exc_message": details.exc_message,
            "input_file": input_shape(details.input_file),
            "output_file": natural(details.output_file),
            "progress_percent": details.progress_percent,
        },
    }


def link_of(link: Any, rid: str, models: Dict[str, str]) -> Dict[str, Any]:
    return {
        "type": type_name(link),
        "rid_matches": link.rid == rid,
        "name": natural(link.name),
        "size": link.size,
        "duration": link.duration,
        "input_url_is_text": isinstance(link.input_url, str),
        "mode": link.mode,
        "is_multi_person": link.is_multi_person(),
        "models": None
        if link.models is None
        else [(m["trackingId"], models.get(m["modelId"], "?")) for m in link.models],
        "groups": [
            (type_name(g), natural(g.name), [(type_name(f), f.file_type, isinstance(f.url, str)) for f in g.files])
            for g in link.urls
        ],
        "bvh_urls": len(link.get_all_file_urls("bvh")),
        "first_group_found": link.urls[0].name == link.get_url_group(link.urls[0].name).name if link.urls else None,
        "missing_group": link.get_url_group("no-such-group"),
    }


def saved_under(root: str, rid: str) -> List[str]:
    """Files under ``root/rid``, relative to ``root``, rid hidden."""
    base = os.path.join(root, rid)
    if not os.path.isdir(base):
        return ["<no folder>"]
    return sorted(os.path.join("<rid>", natural(name) or name) for name in os.listdir(base))


def printed_kinds(text: str, work: str) -> List[str]:
    """What was printed, each line reduced to its kind."""
    kinds = set()
    for line in text.splitlines():
        line = line.replace(work, "<work>")
        line = re.sub(r"\d+%", "<n>%", line)
        line = re.sub(r"\d{10}-\d{10}-\d{4}", "<rid>", line)
        kinds.add(line)
    return sorted(kinds)


def flow(sdk: Any, api_url: str, client_id: str, secret: str, video: str, model_file: str, work: str) -> Dict[str, Any]:
    client = sdk.Animate3DClient(api_url, client_id, secret, timeout=30)
    ProcessParams = sdk.ProcessParams
    Status = sdk.Status
    doc: Dict[str, Any] = {}
    out = os.path.join(work, "out")

    credits = client.get_credit_balance()
    doc["credits"] = {"type": type_name(credits), "whole": credits == int(credits), "positive": credits > 0}

    models = client.list_character_models()
    doc["models"] = {
        "type": type_name(models),
        "items": [
            (type_name(m), m.id, m.name, m.rig_id, m.platform, isinstance(m.thumb, str), m.is_stock(), m.is_custom(),
             type_name(m.created_at), type_name(m.modified_at))
            for m in models
        ],
    }

    custom = client.upload_character_model(model_file)
    names = {STOCK_MODEL: "stock", custom: "custom"}
    found = client.list_character_models(model_id=custom)
    doc["custom_model"] = {
        "id_type": type_name(custom),
        "listed": [(m.name, names.get(m.id), m.rig_id, m.is_custom()) for m in found],
        "search": sorted(names.get(m.id, m.id) for m in client.list_character_models(search_token="hero")),
        "in_full_list": any(m.id == custom for m in client.list_character_models()),
    }

    # A job with both callbacks, blocking (the default).
    calls = Calls()
    rid = client.start_new_job(
        video,
        params=ProcessParams(formats=["bvh", "fbx"]),
        progress_callback=calls.on_progress,
        result_callback=calls.on_result,
        poll_interval=1,
        timeout=120,
    )
    doc["job"] = {"rid": shape(rid), **calls.summary(rid)}
    doc["job_status"] = status_of(client.get_job_status(rid))

    with contextlib.redirect_stdout(io.StringIO()) as said:
        link = client.download_job(rid, output_dir=out)
    doc["download"] = {
        "link": link_of(link, rid, names),
        "urls_only": link_of(client.download_job(rid), rid, names),
        "saved": saved_under(out, rid),
        "printed": printed_kinds(said.getvalue(), work),
    }
    bvh = [n for n in os.listdir(os.path.join(out, rid)) if n.endswith(".bvh")]
    with open(os.path.join(out, rid, bvh[0]), "rb") as f:
        doc["download"]["bvh_starts"] = f.read(9).decode("ascii", "replace")

    jobs = client.list_jobs()
    mine = [j for j in jobs if j.rid == rid]
    doc["list"] = {
        "type": type_name(jobs),
        "item_types": sorted({type_name(j) for j in jobs}),
        "entry": [
            (j.status.value, natural(j.file_name), j.file_size, j.file_duration, j.is_completed(), j.is_successful(),
             type_name(j.created_at), type_name(j.ctime))
            for j in mine
        ],
        "success_filter": sorted({j.status.value for j in client.list_jobs(status=[Status.SUCCESS])}),
        "success_has_job": any(j.rid == rid for j in client.list_jobs(status=[Status.SUCCESS])),
        "progress_filter_has_job": any(j.rid == rid for j in client.list_jobs(status=[Status.PROGRESS])),
    }

    # A blocking rerun with callbacks.
    calls = Calls()
    rerun = client.rerun_job(
        rid,
        params=ProcessParams(formats=["bvh"], track_face=1, upper_body_only=False),
        progress_callback=calls.on_progress,
        result_callback=calls.on_result,
        poll_interval=1,
        timeout=120,
    )
    doc["rerun"] = {"rid": shape(rerun), "new_rid": rerun != rid, **calls.summary(rerun)}

    # A job that fails (the sandbox fails a file named `fail-<code>`).
    failing = os.path.join(work, "walk-fail-513.mp4")
    shutil.copy(video, failing)
    calls = Calls()
    failed = client.start_new_job(failing, result_callback=calls.on_result, poll_interval=1, timeout=120)
    doc["failure"] = {
        **calls.summary(failed),
        "status": status_of(client.get_job_status(failed)),
        "in_failure_list": any(j.rid == failed for j in client.list_jobs(status=[Status.FAILURE])),
    }

    # Not blocking: the rid comes back before the result callback.
    calls = Calls()
    started = client.start_new_job(
        video, params=ProcessParams(formats=["bvh"]), result_callback=calls.on_result, poll_interval=1, blocking=False
    )
    before = len(calls.results)
    ended = calls.done.wait(60)
    doc["non_blocking"] = {"results_at_return": before, "ended": ended, "results": [result_of(r, started) for r in calls.results]}

    # No callbacks: what the SDK prints.
    with contextlib.redirect_stdout(io.StringIO()) as said:
        quiet = client.start_new_job(video, params=ProcessParams(formats=["bvh"]), poll_interval=1, timeout=120)
    doc["no_callbacks"] = {"rid": shape(quiet), "printed": printed_kinds(said.getvalue(), work)}

    # Multi-person: a video whose name asks the sandbox for three people.
    crowd = os.path.join(work, "crowd-people-3.mp4")
    shutil.copy(video, crowd)
    calls = Calls()
    detection = client.prepare_multi_person_job(
        crowd, progress_callback=calls.on_progress, result_callback=calls.on_result, poll_interval=1, timeout=120
    )
    detected = client.download_job(detection)
    with contextlib.redirect_stdout(io.StringIO()) as said:
        client.download_job(detection, output_dir=out)
    doc["detection"] = {
        "rid": shape(detection),
        **calls.summary(detection),
        "status": status_of(client.get_job_status(detection)),
        "link": link_of(detected, detection, names),
        "saved": saved_under(out, detection),
        "printed": printed_kinds(said.getvalue(), work),
    }

    calls = Calls()
    people = client.start_multi_person_job(
        detection,
        [{"trackingId": "001", "modelId": STOCK_MODEL}, {"trackingId": "003", "modelId": custom}],
        params=ProcessParams(formats=["bvh", "fbx"]),
        progress_callback=calls.on_progress,
        result_callback=calls.on_result,
        poll_interval=1,
        timeout=120,
    )
    with contextlib.redirect_stdout(io.StringIO()):
        animated = client.download_job(people, output_dir=out)
    archives = {}
    for name in sorted(os.listdir(os.path.join(out, people))):
        with zipfile.ZipFile(os.path.join(out, people, name)) as archive:
            archives[name] = sorted(natural(e) or e for e in archive.namelist())
    doc["people"] = {
        "rid": shape(people),
        **calls.summary(people),
        "status": status_of(client.get_job_status(people)),
        "link": link_of(animated, people, names),
        "saved": saved_under(out, people),
        "archives": archives,
    }

    # Without callbacks the SDK only submits: the job is known at once.
    submitted = client.start_multi_person_job(detection, [{"trackingId": "002", "modelId": STOCK_MODEL}])
    doc["people_no_callbacks"] = {
        "rid": shape(submitted),
        "known": client.get_job_status(submitted).rid == submitted,
    }

    # Deliberate errors.
    doc["errors"] = {
        "missing_video": error_of(sdk, lambda: client.start_new_job(os.path.join(work, "missing.mp4"))),
        "missing_model": error_of(sdk, lambda: client.upload_character_model(os.path.join(work, "missing.glb"))),
        "unknown_job_status": error_of(sdk, lambda: client.get_job_status(UNKNOWN_RID)),
        "unknown_job_download": error_of(sdk, lambda: client.download_job(UNKNOWN_RID)),
        "bad_secret": error_of(sdk, lambda: sdk.Animate3DClient(api_url, client_id, secret + "-wrong").get_credit_balance()),
    }

    doc["delete_model"] = client.delete_character_model(custom)
    doc["deleted_model_listed"] = any(m.id == custom for m in client.list_character_models())
    return doc


def main(argv: List[str]) -> int:
    module, api_url, client_id, secret, video, model_file, work = argv[1:8]
    sdk = importlib.import_module(module)
    os.makedirs(work, exist_ok=True)
    real_stdout = sys.stdout
    with contextlib.redirect_stdout(sys.stderr):
        doc = flow(sdk, api_url, client_id, secret, video, model_file, work)
    real_stdout.write(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    real_stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
