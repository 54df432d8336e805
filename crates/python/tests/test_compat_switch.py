"""The repository's own check of the official SDK (.ci/official_sdk_test.py)
passes unchanged with its import switched to motionkit.compat.animate3d."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import motionkit

from conftest import FIXTURES, REPO


def test_the_official_sdk_check_passes_with_only_its_import_switched(tmp_path: Path) -> None:
    original = (REPO / ".ci" / "official_sdk_test.py").read_text()
    line = "from dm.animate3d import"
    assert original.count(line) == 1, "the script imports the SDK in one line"
    switched = tmp_path / "switched.py"
    switched.write_text(original.replace(line, "from motionkit.compat.animate3d import"))
    (tmp_path / "work").mkdir()
    with motionkit.Sandbox(time_scale=60) as sandbox:
        done = subprocess.run(
            [
                sys.executable,
                str(switched),
                sandbox.deepmotion_url,
                sandbox.client_id,
                sandbox.client_secret,
                str(FIXTURES / "walk.mp4"),
                str(tmp_path / "work"),
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "flows pass" in done.stdout
