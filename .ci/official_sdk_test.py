"""The official Python SDK, dm-animate3d-api 1.0.2, against the sandbox.

Drives the SDK's own multi-person functions (prepare_multi_person_job,
start_multi_person_job, download_job) and a single-person job
(start_new_job, download_job) against a running sandbox, so that the
emulation matches what the real client expects. Run by
.ci/official-sdk.sh, which installs the SDK from PyPI into a virtual
environment and starts the sandbox:

    python official_sdk_test.py DEEPMOTION_URL CLIENT_ID CLIENT_SECRET VIDEO WORKDIR
"""

import os
import shutil
import sys
import zipfile

from dm.animate3d import Animate3DClient, APIError, ProcessParams

base, client_id, secret, video, work = sys.argv[1:6]
client = Animate3DClient(base, client_id, secret, timeout=30)
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL:", message, file=sys.stderr)


results = {}


def on_result(data):
    results[data.rid] = data


def wait_for(rid):
    # start_multi_person_job polls only when given a callback.
    check(rid in results, f"no result callback for {rid}")
    data = results.get(rid)
    check(data is not None and data.error is None, f"job {rid} failed: {data}")


# A video whose name asks the sandbox for three people.
crowd = os.path.join(work, "crowd-people-3.mp4")
shutil.copy(video, crowd)

# Step 1: detection.
detection = client.prepare_multi_person_job(crowd, poll_interval=1, timeout=120)
status = client.get_job_status(detection)
check(status.is_successful(), f"detection {detection}: {status}")
link = client.download_job(detection)
groups = [g.name for g in link.urls]
people = [g for g in groups if g[-4] == "_" and g[-3:].isdigit()]
check(len(people) == 3, f"three people in the detection's groups: {groups}")
check(any(g.startswith("inter") for g in groups), f"an inter group: {groups}")
check(link.mode == 1, f"mode 1 for a detection: {link.mode}")

# Step 2: animation of 001 and 003 with a stock model from listModels.
model = client.list_character_models()[0].id
check(bool(model), "listModels gives a model id")
models = [
    {"trackingId": "001", "modelId": model},
    {"trackingId": "003", "modelId": model},
]
params = ProcessParams(formats=["bvh", "fbx"])
rid = client.start_multi_person_job(
    detection, models, params=params, result_callback=on_result, poll_interval=1, timeout=120
)
wait_for(rid)
out = os.path.join(work, "downloads")
link = client.download_job(rid, output_dir=out)
check(link.is_multi_person(), f"mode 1: {link.mode}")
check(
    [(m["trackingId"], m["modelId"]) for m in link.models or []]
    == [("001", model), ("003", model)],
    f"models in /download: {link.models}",
)
names = [g.name for g in link.urls]
check("all_characters" in names, f"an all_characters group: {names}")
check(
    sum(1 for n in names if n[-4] == "_" and n[-3:].isdigit()) == 2,
    f"one group per animated person: {names}",
)
saved = sorted(os.listdir(os.path.join(out, rid)))
# The SDK saves only all_characters (as .zip) from a multi-person job.
check(
    saved == ["all_characters.bvh.zip", "all_characters.fbx.zip"],
    f"the SDK's files: {saved}",
)
for name in saved:
    with zipfile.ZipFile(os.path.join(out, rid, name)) as archive:
        entries = archive.namelist()
        check(len(entries) == 2, f"{name} holds both people: {entries}")
        check(archive.testzip() is None, f"{name} is intact")
        ext = name.split(".")[1]
        check(all(e.endswith("." + ext) for e in entries), f"{name}: {entries}")

# A tracking id the detection did not produce is refused.
try:
    client.start_multi_person_job(detection, [{"trackingId": "009", "modelId": model}])
    check(False, "tracking id 009 was accepted")
except APIError as e:
    check(e.status_code == 400, f"tracking id 009: {e.status_code} {e}")

# A single-person job keeps working and says mode 0.
single = client.start_new_job(
    video, params=ProcessParams(formats=["bvh"]), result_callback=on_result, poll_interval=1
)
wait_for(single)
link = client.download_job(single, output_dir=out)
check(link.mode == 0 and not link.is_multi_person(), f"mode 0: {link.mode}")
files = os.listdir(os.path.join(out, single))
check(len(files) == 1 and files[0].endswith(".bvh"), f"single-person files: {files}")

if failures:
    print(f"{len(failures)} check(s) failed", file=sys.stderr)
    sys.exit(1)
print("official SDK dm-animate3d-api 1.0.2: multi-person and single-person flows pass")
