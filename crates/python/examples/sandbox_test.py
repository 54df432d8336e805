"""A pytest test of your own code against motionkit's sandbox:
pytest sandbox_test.py"""

from pathlib import Path
from typing import Iterator

import pytest

import motionkit


@pytest.fixture
def sandbox() -> Iterator[motionkit.Sandbox]:
    with motionkit.Sandbox() as running:
        yield running


def test_my_pipeline_turns_a_video_into_bvh(sandbox: motionkit.Sandbox, tmp_path: Path) -> None:
    video = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "walk.mp4"
    animation = sandbox.deepmotion_client().animate(video, tmp_path, formats=["bvh"])
    assert animation.files[0].read_bytes().startswith(b"HIERARCHY")
