"""Uploading and downloading a large file from Python: motionkit against
DeepMotion's official SDK (dm-animate3d-api), for time and peak RSS.

Each transfer runs in a fresh child process, so its peak RSS is the
interpreter plus that transfer alone; the servers (motionkit's sandbox for
uploads, a static HTTP server for downloads) run in processes of their own.
The SDK runs its own code paths: ``_upload_video`` (what ``start_new_job``
uploads with) and ``_download_files`` (what ``download_job`` saves with).

    python transfer_rss.py [--size-mib 1024] [--check]

``--json`` prints the figures for ``cargo xtask bench``. ``--check`` fails
unless motionkit's peak RSS stays within 64 MiB for both transfers. Without
the SDK installed its rows say so. It needs about three times the size free
in the temporary folder, and says so before starting when that is missing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional

BUDGET_MIB = 64.0
HERE = Path(__file__).resolve()
WALK = HERE.parents[3] / "tests" / "fixtures" / "walk.mp4"

CHILD = r"""
import json, resource, sys, time
op, args = sys.argv[1], json.loads(sys.argv[2])
started = time.monotonic()
if op == "motionkit-upload":
    from motionkit.deepmotion import Client
    Client(args["url"], args["id"], args["secret"]).upload(args["path"])
elif op == "sdk-upload":
    from dm.animate3d import Animate3DClient
    Animate3DClient(args["url"], args["id"], args["secret"])._upload_video(args["path"])
elif op == "motionkit-download":
    from motionkit.deepmotion import Client
    Client(args["url"], args["id"], args["secret"]).download_url(args["file_url"], args["out"])
elif op == "sdk-download":
    import contextlib, io
    from dm.animate3d import Animate3DClient, DownloadLink, DownloadUrl, DownloadFile
    link = DownloadLink(rid="bench", urls=[DownloadUrl(name="big", files=[DownloadFile("mp4", args["file_url"])])])
    with contextlib.redirect_stdout(io.StringIO()):
        Animate3DClient(args["url"], args["id"], args["secret"])._download_files(link, args["out"])
seconds = time.monotonic() - started
print(json.dumps({"seconds": seconds, "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

SERVER = r"""
import sys, time, motionkit
s = motionkit.Sandbox()
print(s.deepmotion_url, s.client_id, s.client_secret, flush=True)
sys.stdin.read()
"""


def has_sdk() -> bool:
    return subprocess.run([sys.executable, "-c", "import dm.animate3d"], capture_output=True).returncode == 0


def measure(op: str, args: Dict[str, str]) -> Dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, op, json.dumps(args)], capture_output=True, text=True, timeout=900
    )
    if done.returncode != 0:
        raise RuntimeError(f"{op} failed:\n{done.stderr[-2000:]}")
    result: Dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def big_file(path: Path, size: int) -> None:
    """A file that starts like a real MP4 and is `size` bytes long (sparse)."""
    with open(path, "wb") as f:
        f.write(WALK.read_bytes())
        f.truncate(size)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the measurements as JSON")
    options = parser.parse_args(argv)
    size = options.size_mib << 20
    sdk = has_sdk()
    rows = []
    # The sandbox keeps each upload (motionkit's and the SDK's) on disk, and
    # one download at a time is on disk beside them.
    needed = 3 * size + (256 << 20)
    free = shutil.disk_usage(tempfile.gettempdir()).free
    if free < needed:
        print(
            f"transfer_rss: {options.size_mib} MiB transfers need about {needed >> 20} MiB free in "
            f"{tempfile.gettempdir()}, and only {free >> 20} MiB are; free some space or pass a "
            "smaller --size-mib",
            file=sys.stderr,
        )
        return 2
    with tempfile.TemporaryDirectory() as work:
        src = Path(work) / "serve"
        src.mkdir()
        big = src / "big.mp4"
        big_file(big, size)
        sandbox = subprocess.Popen(
            [sys.executable, "-c", SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        static = subprocess.Popen(
            [sys.executable, "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", str(src)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            assert sandbox.stdout is not None and static.stdout is not None
            url, client_id, secret = sandbox.stdout.readline().split()
            port = static.stdout.readline().split(" port ")[1].split(" ")[0]
            base = {"url": url, "id": client_id, "secret": secret, "path": str(big)}
            file_url = f"http://127.0.0.1:{port}/big.mp4"
            for what, ours, theirs in [
                ("upload", "motionkit-upload", "sdk-upload"),
                ("download", "motionkit-download", "sdk-download"),
            ]:
                args = dict(base, file_url=file_url, out=str(Path(work) / f"out-{what}-mk"))
                mk = measure(ours, args)
                sd: Optional[Dict[str, float]] = None
                if sdk:
                    sd = measure(theirs, dict(args, out=str(Path(work) / f"out-{what}-sdk")))
                for out in Path(work).glob("out-*"):
                    for f in out.rglob("*"):
                        if f.is_file():
                            f.unlink()
                rows.append((what, mk, sd))
        finally:
            if sandbox.stdin:
                sandbox.stdin.close()
            sandbox.terminate()
            static.terminate()
            sandbox.wait()
            static.wait()
    if options.json:
        print(json.dumps({"size_mib": options.size_mib, "budget_mib": BUDGET_MIB,
                          "rows": [{"what": w, "motionkit": mk, "sdk": sd} for w, mk, sd in rows]}))
        return 0
    print(f"| {options.size_mib} MiB from Python | motionkit time | motionkit peak RSS | SDK time | SDK peak RSS | RSS ratio (SDK / motionkit) |")
    print("|---|---|---|---|---|---|")
    failed = False
    for what, mk, sd in rows:
        theirs = (
            f"{sd['seconds']:.2f} s | {sd['rss_mib']:.0f} MiB | {sd['rss_mib'] / mk['rss_mib']:.1f}x"
            if sd
            else "SDK not installed | - | -"
        )
        print(f"| {what} | {mk['seconds']:.2f} s | {mk['rss_mib']:.0f} MiB | {theirs} |")
        if mk["rss_mib"] > BUDGET_MIB:
            failed = True
    if options.check and failed:
        print(f"motionkit's peak RSS went over {BUDGET_MIB:.0f} MiB", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
