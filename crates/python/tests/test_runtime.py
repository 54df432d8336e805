"""Ctrl-C, threads and fork(): how blocking calls behave in a Python
process."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

import motionkit


@pytest.fixture(scope="module")
def slow() -> "motionkit.Sandbox":
    # Real time: a job takes far longer than these tests wait.
    with motionkit.Sandbox(time_scale=1) as running:
        yield running


def test_sigint_during_a_wait_raises_keyboard_interrupt_within_a_second(
    slow: motionkit.Sandbox, walk: Path
) -> None:
    client = slow.deepmotion_client()
    rid = client.process(client.upload(walk), formats=["bvh"])
    sent = []

    def interrupt() -> None:
        sent.append(time.monotonic())
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Timer(0.5, interrupt)
    timer.start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        client.wait(rid, timeout=60)
    ended = time.monotonic()
    timer.join()
    assert sent, "the signal was sent"
    assert ended - sent[0] < 1.0, f"interrupted {ended - sent[0]:.2f}s after SIGINT"
    assert ended - started < 5
    # The client still works after the interrupt.
    assert [s.rid for s in client.status(rid)] == [rid]


def test_blocking_calls_release_the_gil(slow: motionkit.Sandbox, walk: Path) -> None:
    client = slow.deepmotion_client()
    rid = client.process(client.upload(walk), formats=["bvh"])
    ticks = [0]
    stop = threading.Event()

    def count() -> None:
        while not stop.is_set():
            ticks[0] += 1

    counter = threading.Thread(target=count)
    counter.start()
    try:
        with pytest.raises(motionkit.errors.WaitTimeoutError) as caught:
            client.wait(rid, timeout=1.0)
    finally:
        stop.set()
        counter.join()
    assert caught.value.pending == [rid]
    # A thread that never got the GIL would not have counted at all.
    assert ticks[0] > 10_000, ticks[0]


def test_two_threads_overlap_in_time(sandbox: motionkit.Sandbox, walk: Path, tmp_path: Path) -> None:
    client = sandbox.deepmotion_client()
    spans: dict = {}

    def animate(name: str) -> None:
        start = time.monotonic()
        client.animate(walk, tmp_path / name, formats=["bvh"])
        spans[name] = (start, time.monotonic())

    threads = [threading.Thread(target=animate, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    (a0, a1), (b0, b1) = spans["a"], spans["b"]
    assert a0 < b1 and b0 < a1, f"the calls did not overlap: {spans}"
    assert (tmp_path / "a" / "walk.bvh").exists() and (tmp_path / "b" / "walk.bvh").exists()


def exit_status_of(pid: int) -> int:
    """The wait status of child `pid`; fails the test (and kills the child)
    when it has not ended within 60 s, instead of hanging."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    pytest.fail("the child hung using a client made before fork()")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() is POSIX only")
def test_a_client_used_before_fork_works_in_the_child(sandbox: motionkit.Sandbox, walk: Path, tmp_path: Path) -> None:
    client = sandbox.deepmotion_client()
    assert client.credits() >= 0  # the parent's runtime and connections exist
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        code = 1
        try:
            os.close(read)
            animation = client.animate(walk, tmp_path / "child", formats=["bvh"])
            os.write(write, animation.files[0].name.encode())
            code = 0
        except BaseException as e:  # pragma: no cover - reported to the parent
            os.write(write, f"error: {e!r}".encode())
        finally:
            os._exit(code)
    os.close(write)
    status = exit_status_of(pid)
    said = os.read(read, 4096).decode()
    os.close(read)
    assert os.waitstatus_to_exitcode(status) == 0, said
    assert said == "walk.bvh"
    # The parent's client is untouched.
    assert client.credits() >= 0


def test_a_sandbox_from_the_parent_fails_clearly_in_the_child(sandbox: motionkit.Sandbox) -> None:
    pid = os.fork()
    if pid == 0:
        try:
            sandbox.deepmotion_url
        except RuntimeError as e:
            os._exit(0 if "fork" in str(e) else 2)
        os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_sigint_during_a_download_interrupts_it_and_leaves_no_partial_file(
    sandbox: motionkit.Sandbox, tmp_path: Path
) -> None:
    import subprocess

    served = tmp_path / "served"
    served.mkdir()
    with open(served / "big.mp4", "wb") as f:
        f.truncate(2 << 30)  # 2 GiB, far longer to fetch than the test waits
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", str(served)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        port = server.stdout.readline().split(" port ")[1].split(" ")[0]
        client = sandbox.deepmotion_client()
        out = tmp_path / "out"
        sent = []

        def interrupt() -> None:
            sent.append(time.monotonic())
            os.kill(os.getpid(), signal.SIGINT)

        timer = threading.Timer(0.3, interrupt)
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            client.download_url(f"http://127.0.0.1:{port}/big.mp4", out)
        ended = time.monotonic()
        timer.join()
        assert ended - sent[0] < 1.0
        # The part file goes with the dropped transfer.
        deadline = time.monotonic() + 2
        while list(out.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert list(out.iterdir()) == []
    finally:
        server.terminate()
        server.wait()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() is POSIX only")
def test_a_motiondynamic_client_made_before_fork_renders_in_the_child(
    sandbox: motionkit.Sandbox, tmp_path: Path
) -> None:
    from conftest import DEMO_THEME_ID, demo_values

    client = sandbox.motiondynamic_client()
    assert client.theme(DEMO_THEME_ID).theme_id == DEMO_THEME_ID
    values = demo_values(sandbox)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            rendered = client.generate(DEMO_THEME_ID, values, tmp_path / "child")
            code = 0 if rendered.path.exists() and rendered.video.via == "webhook" else 3
        finally:
            os._exit(code)
    status = exit_status_of(pid)
    assert os.waitstatus_to_exitcode(status) == 0


EXIT_RIGHT_AFTER_ASYNC_CALLS = """
import asyncio, motionkit
sandbox = motionkit.Sandbox()
async def main():
    client = sandbox.deepmotion_async_client()
    await asyncio.gather(*[client.credits() for _ in range(20)])
    asyncio.ensure_future(client.credits())  # still running at exit
asyncio.run(main())
"""


def test_a_process_that_exits_right_after_async_calls_exits_cleanly() -> None:
    import subprocess

    # Calls ending while the interpreter shuts down must not touch it: the
    # engine's threads never run Python code (they wake the event loop
    # through a socket instead).
    for _ in range(8):
        done = subprocess.run(
            [sys.executable, "-c", EXIT_RIGHT_AFTER_ASYNC_CALLS], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert "Fatal" not in done.stderr, done.stderr[-2000:]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() is POSIX only")
def test_rotated_credentials_are_used_at_once_and_in_a_child_forked_later(sandbox: motionkit.Sandbox) -> None:
    dm = motionkit.deepmotion.Client(sandbox.deepmotion_url, sandbox.client_id, "an-expired-secret")
    md = motionkit.motiondynamic.Client(sandbox.motiondynamic_url, "an.expired.token")
    with pytest.raises(motionkit.errors.AuthError):
        dm.credits()
    with pytest.raises(motionkit.errors.AuthError):
        md.themes()
    dm.set_client_secret(sandbox.client_secret)
    md.set_token(sandbox.motiondynamic_token)
    assert dm.credits() >= 0
    assert md.themes()
    assert "an-expired-secret" not in repr(dm) and sandbox.client_secret not in repr(dm)
    pid = os.fork()
    if pid == 0:  # the child remakes its clients from the rotated credentials
        code = 1
        try:
            code = 0 if dm.credits() >= 0 and md.themes() else 3
        except BaseException:  # pragma: no cover - reported by the exit code
            code = 2
        finally:
            os._exit(code)
    assert os.waitstatus_to_exitcode(exit_status_of(pid)) == 0
