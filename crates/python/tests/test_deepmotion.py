"""The DeepMotion client's whole flow against the embedded sandbox."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Dict, List

import pytest

import motionkit
from motionkit import errors
from motionkit.deepmotion import AsyncClient, Client


def test_animate_uploads_processes_waits_and_saves_real_outputs(
    sandbox: motionkit.Sandbox, walk: Path, tmp_path: Path
) -> None:
    client = sandbox.deepmotion_client()
    events: List[Dict[str, Any]] = []
    animation = client.animate(walk, tmp_path, formats=["bvh", "fbx"], on_event=events.append)
    names = sorted(p.name for p in animation.files)
    assert names == ["walk.bvh", "walk.fbx"]
    assert all(p.parent == tmp_path for p in animation.files)
    assert animation.files[0].read_bytes().startswith(b"HIERARCHY") or animation.files[1].read_bytes().startswith(b"HIERARCHY")
    kinds = {e["type"] for e in events}
    assert {"upload", "submitted", "saved"} <= kinds, kinds
    assert not list(tmp_path.glob("*.part*")), "no part file is left behind"
    # The job is in the account's list, finished.
    jobs = {j.rid: j for j in client.list()}
    assert jobs[animation.rid].status == "SUCCESS"


def test_the_step_by_step_flow_batches_status_and_wait(
    sandbox: motionkit.Sandbox, walk: Path, tmp_path: Path
) -> None:
    client = sandbox.deepmotion_client()
    upload = client.upload(walk)
    assert upload.size == walk.stat().st_size and upload.input == "video"
    assert "url=" not in repr(upload) and upload.url not in repr(upload)
    first = client.process(upload, formats=["bvh"])
    second = client.process(client.upload(walk), formats=["fbx"], track_face=True)
    statuses = client.status([first, second])
    assert {s.rid for s in statuses} == {first, second}
    outcomes = client.wait([first, second])
    assert [o.rid for o in outcomes] == [first, second]
    assert all(o.ok for o in outcomes)
    files = client.download(second, tmp_path)
    assert [p.suffix for p in files] == [".fbx"]
    rerun = client.rerun(first, formats=["glb"])
    assert rerun != first
    assert client.wait(rerun)[0].ok
    assert client.credits() >= 0


def test_bad_parameters_are_refused_before_anything_is_sent(
    sandbox: motionkit.Sandbox, walk: Path, tmp_path: Path
) -> None:
    client = sandbox.deepmotion_client()
    before = len(client.list())
    with pytest.raises(errors.ValidationError) as caught:
        client.animate(walk, tmp_path, formats=["bvh"], video_speed_multiplier=9)
    failure = caught.value
    assert failure.may_have_reached_server is False
    assert failure.may_have_acted is False
    [violation] = failure.violations
    assert (violation.field, violation.rule, violation.value) == ("videoSpeedMultiplier", "range", "9")
    assert "1.0" in violation.allowed
    assert isinstance(failure, ValueError)
    assert len(client.list()) == before, "nothing was submitted"
    assert not list(tmp_path.iterdir())


def test_unknown_parameters_pass_through(sandbox: motionkit.Sandbox, walk: Path, tmp_path: Path) -> None:
    client = sandbox.deepmotion_client()
    animation = client.animate(walk, tmp_path, formats=["bvh"], someNewOption="on")
    assert animation.files


def test_errors_carry_what_happened(sandbox: motionkit.Sandbox, tmp_path: Path) -> None:
    wrong = Client(sandbox.deepmotion_url, sandbox.client_id, "not-the-secret")
    with pytest.raises(errors.AuthError) as caught:
        wrong.credits()
    assert "not-the-secret" not in str(caught.value)
    assert caught.value.hint
    client = sandbox.deepmotion_client()
    [outcome] = client.wait("0000000000-0000000000-0000")
    assert outcome.ok is False and outcome.unknown
    with pytest.raises(errors.LocalFileError):
        client.animate(tmp_path / "missing.mp4", tmp_path, formats=["bvh"])
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video\n")
    with pytest.raises(errors.ValidationError):
        client.upload(text)


def test_missing_settings_name_what_to_set(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in [
        "DEEPMOTION_API_URL",
        "DEEPMOTION_CLIENT_ID",
        "DEEPMOTION_CLIENT_SECRET",
        "MOTIONKIT_PROFILE",
    ]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MOTIONKIT_CONFIG", str(tmp_path / "absent.toml"))
    with pytest.raises(errors.ConfigError) as caught:
        Client()
    assert "absent.toml" in str(caught.value)
    empty = tmp_path / "config.toml"
    empty.write_text("")
    monkeypatch.setenv("MOTIONKIT_CONFIG", str(empty))
    with pytest.raises(errors.ConfigError) as caught:
        Client()
    assert "DEEPMOTION_CLIENT_ID" in str(caught.value), str(caught.value)
    assert caught.value.may_have_reached_server is False


def test_settings_come_from_the_environment_as_the_cli_reads_them(
    sandbox: motionkit.Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEEPMOTION_API_URL", sandbox.deepmotion_url)
    monkeypatch.setenv("DEEPMOTION_CLIENT_ID", sandbox.client_id)
    monkeypatch.setenv("DEEPMOTION_CLIENT_SECRET", sandbox.client_secret)
    client = Client()
    assert client.credits() >= 0
    assert sandbox.client_secret not in repr(client)


def test_models_and_the_multi_person_flow(sandbox: motionkit.Sandbox, tmp_path: Path) -> None:
    from conftest import FIXTURES

    client = sandbox.deepmotion_client()
    stock = client.models()
    assert stock and all(m.id for m in stock)
    detection = client.detect_people(FIXTURES / "walk.mp4", previews=tmp_path / "previews")
    assert detection.people, "the sandbox finds people"
    first = detection.people[0]
    done = client.animate_people(
        detection, tmp_path / "out", {first.tracking_id: stock[0].id}, formats=["bvh"]
    )
    assert first.tracking_id in done.people
    assert all(p.exists() for p in done.people[first.tracking_id])
    # Step 2 without waiting: the rid, then the batched wait.
    rid = client.process_people(detection, {first.tracking_id: stock[0].id}, formats=["fbx"])
    [outcome] = client.wait(rid)
    assert outcome.ok, outcome


def test_the_async_client_runs_the_same_flow(sandbox: motionkit.Sandbox, walk: Path, tmp_path: Path) -> None:
    async def flow() -> None:
        client = AsyncClient(sandbox.deepmotion_url, sandbox.client_id, sandbox.client_secret, sandbox_waits=True)
        both = await asyncio.gather(
            client.animate(walk, tmp_path / "a", formats=["bvh"]),
            client.animate(walk, tmp_path / "b", formats=["fbx"]),
        )
        assert [a.files[0].suffix for a in both] == [".bvh", ".fbx"]
        assert await client.credits() >= 0
        with pytest.raises(errors.ValidationError):
            await client.animate(walk, tmp_path, formats=["bvh"], video_speed_multiplier=9)

    asyncio.run(flow())


def test_cancelling_an_async_wait_stops_it(walk: Path, tmp_path: Path) -> None:
    with motionkit.Sandbox(time_scale=1) as slow:
        async def flow() -> None:
            client = slow.deepmotion_async_client()
            rid = await client.process(await client.upload(walk), formats=["bvh"])
            task = asyncio.ensure_future(client.wait(rid))
            await asyncio.sleep(0.3)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            # The client still works after the cancel.
            assert [s.rid for s in await client.status(rid)] == [rid]

        asyncio.run(flow())


def test_blank_settings_and_bad_timeouts_are_refused_not_ignored(sandbox: motionkit.Sandbox) -> None:
    with pytest.raises(errors.ValidationError) as caught:
        Client(sandbox.deepmotion_url, "", sandbox.client_secret)
    assert caught.value.violations[0].field == "client_id"
    with pytest.raises(errors.ValidationError) as caught:
        Client(sandbox.deepmotion_url, sandbox.client_id, sandbox.client_secret, timeout=-1)
    assert caught.value.violations[0].field == "timeout"
    patient = Client(sandbox.deepmotion_url, sandbox.client_id, sandbox.client_secret, timeout=30)
    assert patient.credits() >= 0


def test_error_codes_are_deepmotions_documented_ones() -> None:
    from motionkit.deepmotion import ERROR_CODES

    assert ERROR_CODES[505] == "Physics Filter is incompatible with the custom characters"
    assert len(ERROR_CODES) > 30


def test_a_webhook_delivery_is_verified_against_the_client_id() -> None:
    from motionkit.deepmotion import verify_webhook

    body = b'{"eventType": "job.completed", "data": {"taskId": "1234-5678-9", "status": "SUCCESS"}}'
    event = verify_webhook({"X-DeepMotion-Signature": "my-client-id"}, body, "my-client-id")
    assert (event.rid, event.succeeded) == ("1234-5678-9", True)
    with pytest.raises(errors.WebhookRefusedError) as caught:
        verify_webhook({"X-DeepMotion-Signature": "someone-else"}, body, "my-client-id")
    assert caught.value.status == 401
    assert "my-client-id" not in str(caught.value)
    with pytest.raises(errors.WebhookRefusedError) as caught:
        verify_webhook({"X-DeepMotion-Signature": "my-client-id"}, b"not json", "my-client-id")
    assert caught.value.status == 400


class _ForwardProxy:
    """A forward HTTP proxy on 127.0.0.1 that relays each connection to the
    host its first request names, and counts the connections it carried."""

    def __init__(self) -> None:
        import socket
        import threading

        self.carried = 0
        self._server = socket.create_server(("127.0.0.1", 0))
        self.url = "http://127.0.0.1:%d" % self._server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        import threading

        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: Any) -> None:
        import socket
        import threading

        head = b""
        while b"\r\n\r\n" not in head and len(head) < 65536:
            chunk = client.recv(4096)
            if not chunk:
                client.close()
                return
            head += chunk
        target = head.split(b" ", 2)[1].decode()
        host, port = target.split("://", 1)[1].split("/", 1)[0].split(":")
        server = socket.create_connection((host, int(port)))
        self.carried += 1
        server.sendall(head)

        def pipe(source: Any, sink: Any) -> None:
            try:
                while True:
                    data = source.recv(65536)
                    if not data:
                        break
                    sink.sendall(data)
            except OSError:
                pass
            finally:
                for s in (source, sink):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

        threading.Thread(target=pipe, args=(server, client), daemon=True).start()
        pipe(client, server)

    def close(self) -> None:
        self._server.close()


def test_requests_go_through_the_proxy_asked_for_and_no_other(
    sandbox: motionkit.Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = _ForwardProxy()
    try:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("http_proxy", proxy.url)
        credentials = (sandbox.deepmotion_url, sandbox.client_id, sandbox.client_secret)
        direct = Client(*credentials).credits()
        assert proxy.carried == 0, "the environment's proxy was not asked for"
        assert Client(*credentials, proxy=proxy.url).credits() == direct
        named = proxy.carried
        assert named > 0, "the named proxy carried the requests"
        assert Client(*credentials, proxy="system").credits() == direct
        assert proxy.carried > named, "the environment's proxy, asked for"
        with pytest.raises(errors.ConfigError) as refused:
            Client(*credentials, proxy="ftp://me:hunter2@proxy.example").credits()
        assert "proxy" in str(refused.value) and "hunter2" not in str(refused.value)
    finally:
        proxy.close()
