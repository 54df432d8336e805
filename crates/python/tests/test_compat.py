"""motionkit.compat.animate3d against DeepMotion's official SDK
(dm-animate3d-api 1.0.2), on the embedded sandbox.

The comparison runs compat_flow.py twice, once per module, each against a
fresh sandbox of its own (both at once), and wants the same document. The
official SDK must be importable (``pip install dm-animate3d-api==1.0.2``);
MOTIONKIT_SKIP_OFFICIAL_SDK=1 skips the comparison instead of failing. The
other tests need no SDK.

    cd crates/python && python -m pytest tests/test_compat.py -q
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import json
import os
import socket
import subprocess
import sys
import tempfile
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest

import motionkit
from motionkit import errors
from motionkit.compat import animate3d as compat
from motionkit.compat.animate3d import _mapping

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.normpath(os.path.join(HERE, "..", "..", "..", "tests", "fixtures"))
VIDEO = os.path.join(FIXTURES, "walk.mp4")
MODEL = os.path.join(FIXTURES, "hero.glb")
FLOW = os.path.join(HERE, "compat_flow.py")
UNKNOWN_RID = "0000000000-0000000000-0000"
SDK = "dm.animate3d"
COMPAT = "motionkit.compat.animate3d"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[motionkit.Sandbox]:
    # The SDK polls every poll_interval (1 s in the flow): jobs run 60
    # times faster than real time so that they end within a few polls.
    with motionkit.Sandbox(time_scale=60) as s:
        yield s


@pytest.fixture()
def client(sandbox: motionkit.Sandbox) -> compat.Animate3DClient:
    return compat.Animate3DClient(sandbox.deepmotion_url, sandbox.client_id, sandbox.client_secret)


# ------------------------------------------------------------ the two flows


def _official_sdk_present() -> bool:
    try:
        return importlib.util.find_spec(SDK) is not None
    except ImportError:
        return False


def _start_flow(module: str, sandbox: motionkit.Sandbox, work: str) -> "subprocess.Popen[str]":
    args = [sandbox.deepmotion_url, sandbox.client_id, sandbox.client_secret, VIDEO, MODEL, work]
    return subprocess.Popen(
        [sys.executable, FLOW, module, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _finish(module: str, process: "subprocess.Popen[str]") -> Dict[str, Any]:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, f"compat_flow.py {module} failed ({process.returncode}):\n{err[-4000:]}"
    doc: Dict[str, Any] = json.loads(out)
    return doc


def _differences(a: Any, b: Any, path: str = "") -> List[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                out.append(f"{path}/{key}: only in {'the SDK' if key in a else 'compat'}")
            else:
                out.extend(_differences(a[key], b[key], f"{path}/{key}"))
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in _differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: SDK {a!r} != compat {b!r}"]


def test_the_official_flow_gives_the_same_document() -> None:
    present = _official_sdk_present()
    if not present and os.environ.get("MOTIONKIT_SKIP_OFFICIAL_SDK") != "1":
        pytest.fail(
            f"the official SDK is not importable by {sys.executable}: "
            "pip install dm-animate3d-api==1.0.2 (or set MOTIONKIT_SKIP_OFFICIAL_SDK=1 to skip this comparison)"
        )
    modules = [SDK, COMPAT] if present else [COMPAT]
    with tempfile.TemporaryDirectory() as work:
        sandboxes = [motionkit.Sandbox(time_scale=60) for _ in modules]
        try:
            running = [
                (m, _start_flow(m, s, os.path.join(work, m))) for m, s in zip(modules, sandboxes)
            ]
            docs = {m: _finish(m, p) for m, p in running}
        finally:
            for s in sandboxes:
                s.close()
    theirs = docs.get(SDK)
    ours = docs[COMPAT]
    # What makes the comparison mean something: the flow saw jobs end.
    assert ours["job"]["results"][0]["result"]["output"] == "walk.bvh"
    assert ours["failure"]["results"][0]["error"]["code"] == "ProcessingError"
    assert ours["people"]["saved"] == ["<rid>/all_characters.bvh.zip", "<rid>/all_characters.fbx.zip"]
    if theirs is None:
        pytest.skip("MOTIONKIT_SKIP_OFFICIAL_SDK=1: the official SDK's run was skipped")
    differences = _differences(theirs, ours)
    assert not differences, "the SDK and compat differ:\n" + "\n".join(differences)


# ------------------------------------------------------------ no SDK needed


FULL = compat.ProcessParams(
    formats=["bvh", "fbx", "mp4"],
    model_id="dm-stock-male-01",
    config="configDefault",
    sim=0,
    track_face=1,
    track_hand=1,
    foot_locking_mode="auto",
    video_speed_multiplier=2.0,
    pose_filtering_strength=0.5,
    upper_body_only=True,
    root_at_origin=False,
    trim=(0.1, 1.5),
    crop=(0.0, 0.1, 1.0, 0.9),
    render_sbs=0,
    render_bg_color=(0, 177, 64, 0),
    render_backdrop="studio",
    render_shadow=1,
    render_include_audio=0,
    render_cam_mode=2,
    _models=[{"trackingId": "001", "modelId": "m"}],
    _pipeline="mp_detection",
)

# dm-animate3d-api 1.0.2's ProcessParams(...same...).to_params_list().
FULL_WIRE = [
    "config=configDefault",
    "formats=bvh,fbx,mp4",
    "model=dm-stock-male-01",
    'models=[{"trackingId": "001", "modelId": "m"}]',
    "sim=0",
    "trackFace=1",
    "trackHand=1",
    "footLockingMode=auto",
    "videoSpeedMultiplier=2.0",
    "poseFilteringStrength=0.5",
    "upperBodyOnly=true",
    "rootAtOrigin=false",
    "trim=0.1,1.5",
    "crop=0.0,0.1,1.0,0.9",
    "render.sbs=0",
    "render.bgColor=0,177,64,0",
    "render.backdrop=studio",
    "render.shadow=1",
    "render.includeAudio=0",
    "render.CamMode=2",
    "pipeline=mp_detection",
]


def test_params_list_is_the_sdks() -> None:
    assert FULL.to_params_list() == FULL_WIRE
    assert compat.ProcessParams().to_params_list() == ["config=configDefault"]
    # Empty values are left out as the SDK leaves them out; zeros are not.
    sparse = compat.ProcessParams(config="", formats=[], model_id="", trim=None, sim=0, upper_body_only=False)
    assert sparse.to_params_list() == ["sim=0", "upperBodyOnly=false"]
    copied = FULL.copy()
    assert copied == FULL and copied.formats is not FULL.formats and copied._models is not FULL._models
    if _official_sdk_present():
        official = importlib.import_module(SDK)
        theirs = official.ProcessParams(**{f: getattr(FULL, f) for f in FULL.__dataclass_fields__})
        assert theirs.to_params_list() == FULL.to_params_list()


def test_params_sent_to_the_engine() -> None:
    # rootAtOrigin is a 0/1 flag for motionkit; the SDK writes true/false.
    wire = _mapping.wire_params(FULL)
    assert "rootAtOrigin=0" in wire and "upperBodyOnly=true" in wire
    assert _mapping.wire_params(compat.ProcessParams(root_at_origin=True))[-1] == "rootAtOrigin=1"
    assert _mapping.wire_params(None, pipeline="mp_detection") == ["config=configDefault", "pipeline=mp_detection"]
    assert FULL._pipeline == "mp_detection"  # not changed by wire_params


def test_data_classes_read_the_wire() -> None:
    status = compat.JobStatus.from_dict(
        {"rid": "r", "status": "FAILURE", "details": {"exc_type": "ProcessingError", "exc_message": "505"}}
    )
    assert status.is_failed() and status.position_in_queue == 0
    assert status.details is not None
    assert status.details.exc_message == (
        "ProcessingError: Error 505: Physics Filter is incompatible with the custom characters"
    )
    listed = compat.JobStatusDetails.from_dict({"exc_message": ["101", "42"]})
    assert listed.exc_message == "Error 101: Not enough credits; 42"
    running = compat.JobStatus.from_dict({"rid": "r", "status": "PROGRESS", "details": {"step": 30, "total": 120}})
    assert running.is_in_progress() and running.details and running.details.progress_percent == 25.0
    assert compat.JobStatus.from_dict({"rid": "r", "status": "NEW"}).status is None
    link = compat.DownloadLink.from_dict(
        {"rid": "r", "mode": 1, "urls": [{"name": "all_characters", "files": [{"bvh": "u1"}, {"fbx": "u2"}]}]}
    )
    assert link.is_multi_person() and link.get_all_file_urls("fbx") == ["u2"]
    assert _mapping.files_to_save(link) == [("u1", "all_characters.bvh.zip"), ("u2", "all_characters.fbx.zip")]
    assert compat.DownloadLink(rid="r", urls=None).urls == []  # type: ignore[arg-type]
    model = compat.CharacterModel.from_dict({"Id": "m1", "name": "x", "platform": "custom", "ctime": 1000})
    assert model.id == "m1" and model.is_custom() and model.created_at is not None
    job = compat.Job.from_dict({"rid": "r", "status": "SUCCESS", "fileName": "a.mp4"})
    assert job.is_successful() and job.status is compat.Status.SUCCESS


def test_progress_events_become_the_sdks_callback_data() -> None:
    data = _mapping.progress_of({"type": "progress", "rid": "r", "step": 33.0, "total": 100.0}, "r")
    assert data == compat.ProgressCallbackData(rid="r", progress_percent=33, position_in_queue=0)
    assert _mapping.progress_of({"type": "progress", "rid": "r", "step": 1, "total": 3}, "r").progress_percent == 34  # type: ignore[union-attr]
    assert _mapping.progress_of({"type": "finished", "rid": "r"}, "r") is None
    assert _mapping.progress_of({"type": "progress", "rid": "other", "step": 1, "total": 3}, "r") is None


@pytest.mark.parametrize(
    "failure, expected, status_code",
    [
        (errors.AuthError("refused", {"status": 401}), compat.AuthenticationError, None),
        (errors.ValidationError("bad", {}), compat.ValidationError, None),
        (errors.WaitTimeoutError("late", {"pending": ["r1"]}), compat.TimeoutError, None),
        (errors.ApiError("boom", {"status": 500}), compat.APIError, 500),
        (errors.UnknownJobError("who?", {"rid": "r1"}), compat.APIError, 404),
        (errors.ConnectionError("down", {}), compat.APIError, None),
        (errors.LocalFileError("disk full", {}), compat.APIError, None),
    ],
)
def test_motionkit_errors_become_the_sdks(
    failure: errors.MotionkitError, expected: type, status_code: Optional[int]
) -> None:
    with pytest.raises(expected) as raised:
        with _mapping.translated(rid="r0"):
            raise failure
    assert raised.value.__cause__ is failure
    assert isinstance(raised.value, compat.Animate3DError)
    assert getattr(raised.value, "status_code", None) == status_code
    if expected is compat.TimeoutError:
        assert raised.value.rid == "r1"  # type: ignore[attr-defined]
    coded = _mapping.translate(errors.JobFailedError("failed", {"code": 505}))
    assert isinstance(coded, compat.APIError) and coded.error_code == 505


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_bad_input_is_refused_before_any_request(client: compat.Animate3DClient) -> None:
    # Nothing listens there: only an error raised before any request can
    # be a ValidationError.
    offline = compat.Animate3DClient(_closed_port_url(), "id", "secret")
    with pytest.raises(compat.ValidationError) as raised:
        offline.rerun_job("1111111111-1111111111-1111", compat.ProcessParams(video_speed_multiplier=9))
    assert isinstance(raised.value.__cause__, errors.ValidationError)
    assert not raised.value.__cause__.may_have_reached_server
    with pytest.raises(compat.ValidationError):
        offline.start_new_job(os.path.join(FIXTURES, "missing.mp4"))
    # The engine asks for the model's upload URL before it opens the file,
    # so this one is checked online (the SDK checks the file first).
    with pytest.raises(compat.ValidationError):
        client.upload_character_model(os.path.join(FIXTURES, "missing.glb"))
    # The bad parameters online create no job (the SDK's would fail with 503).
    before = len(client.list_jobs())
    with pytest.raises(compat.ValidationError):
        client.start_new_job(VIDEO, compat.ProcessParams(formats=["bvh"], video_speed_multiplier=9))
    assert len(client.list_jobs()) == before
    # And the network failure itself is an APIError, as in the SDK.
    with pytest.raises(compat.APIError):
        offline.get_credit_balance()


def test_unknown_job_is_a_404(client: compat.Animate3DClient) -> None:
    for call in (client.get_job_status, client.download_job, client.rerun_job):
        with pytest.raises(compat.APIError) as raised:
            call(UNKNOWN_RID)
        assert raised.value.status_code == 404, call


def test_timeout_names_the_job(client: compat.Animate3DClient) -> None:
    with pytest.raises(compat.TimeoutError) as raised:
        client.start_new_job(VIDEO, compat.ProcessParams(formats=["bvh"]), progress_callback=lambda d: None, timeout=0.2)  # type: ignore[arg-type]
    rid = raised.value.rid
    assert rid is not None and isinstance(raised.value.__cause__, errors.WaitTimeoutError)
    assert client.get_job_status(rid).rid == rid  # the job goes on


def test_name_and_root_at_origin(client: compat.Animate3DClient, capsys: pytest.CaptureFixture[str]) -> None:
    # The SDK's rootAtOrigin=true fails the job (503) on a service that
    # takes 0/1; compat sends 1. `name` names the upload (plus motionkit's
    # unique suffix).
    results: List[compat.ResultCallbackData] = []
    rid = client.start_new_job(
        VIDEO, compat.ProcessParams(formats=["bvh"], root_at_origin=True), name="renamed.mp4",
        result_callback=results.append, poll_interval=1,
    )
    assert results and results[0].error is None and results[0].result is not None
    assert str(results[0].result.output).startswith("renamed-")
    entry = [j for j in client.list_jobs() if j.rid == rid]
    assert entry and str(entry[0].file_name).startswith("renamed-") and entry[0].file_name.endswith(".mp4")  # type: ignore[union-attr]
    assert "Progress: " in capsys.readouterr().out  # no progress callback: printed, as the SDK does


def test_async_client(sandbox: motionkit.Sandbox, tmp_path: Any) -> None:
    crowd = tmp_path / "crowd-people-2.mp4"
    crowd.write_bytes(open(VIDEO, "rb").read())

    async def run() -> Tuple[Any, ...]:
        progress: List[compat.ProgressCallbackData] = []
        results: List[compat.ResultCallbackData] = []
        ended = asyncio.Event()

        async def on_progress(data: compat.ProgressCallbackData) -> None:
            await asyncio.sleep(0)
            progress.append(data)

        def on_result(data: compat.ResultCallbackData) -> None:
            results.append(data)
            ended.set()

        async with compat.AsyncAnimate3DClient(
            sandbox.deepmotion_url, sandbox.client_id, sandbox.client_secret
        ) as client:
            rid = await client.start_new_job(
                VIDEO, compat.ProcessParams(formats=["bvh"]), progress_callback=on_progress,
                result_callback=on_result, poll_interval=1,
            )
            status = await client.get_job_status(rid)
            link = await client.download_job(rid, str(tmp_path / "out"))
            ended.clear()
            detection = await client.prepare_multi_person_job(str(crowd), poll_interval=1)
            people = await client.start_multi_person_job(
                detection, [{"trackingId": "002", "modelId": "dm-stock-male-01"}],
                params=compat.ProcessParams(formats=["bvh"]), result_callback=on_result, blocking=False,
            )
            returned_before_end = not ended.is_set()
            await asyncio.wait_for(ended.wait(), 60)
            with pytest.raises(compat.APIError):
                await client.get_job_status(UNKNOWN_RID)
            credits = await client.get_credit_balance()
        return rid, progress, results, status, link, people, returned_before_end, credits

    rid, progress, results, status, link, people, returned_before_end, credits = asyncio.run(run())
    assert progress and all(p.rid == rid for p in progress)
    assert [r.rid for r in results] == [rid, people] and all(r.error is None for r in results)
    assert status.is_successful() and link.rid == rid and not link.is_multi_person()
    assert len(os.listdir(tmp_path / "out" / rid)) == 1
    assert returned_before_end and isinstance(credits, int)
