"""The examples run as a user runs them: settings from the environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import motionkit

from conftest import DEMO_THEME_ID, FIXTURES, demo_values

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run(script: str, *args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_examples_run_against_the_sandbox(sandbox: motionkit.Sandbox, tmp_path: Path) -> None:
    env = {
        "DEEPMOTION_API_URL": sandbox.deepmotion_url,
        "DEEPMOTION_CLIENT_ID": sandbox.client_id,
        "DEEPMOTION_CLIENT_SECRET": sandbox.client_secret,
        "MOTIONDYNAMIC_API_URL": sandbox.motiondynamic_url,
        "MOTIONDYNAMIC_TOKEN": sandbox.motiondynamic_token,
        "MOTIONKIT_CONFIG": str(tmp_path / "none.toml"),
    }
    (tmp_path / "none.toml").write_text("")
    done = run("animate.py", str(FIXTURES / "walk.mp4"), str(tmp_path / "anim"), env=env)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "anim").iterdir()) == ["walk.bvh", "walk.fbx"]
    pairs = [f"{k}={v}" for k, v in demo_values(sandbox).items()]
    done = run("generate.py", DEMO_THEME_ID, str(tmp_path / "video"), *pairs, env=env)
    assert done.returncode == 0, done.stderr
    assert [p.suffix for p in (tmp_path / "video").iterdir()] == [".mp4"]
    bad = [p for p in pairs if not p.startswith("background_color=")] + ["background_color=blue"]
    done = run("generate.py", DEMO_THEME_ID, str(tmp_path / "bad"), *bad, env=env)
    assert done.returncode == 2 and "background_color" in done.stderr
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXAMPLES / "sandbox_test.py")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
