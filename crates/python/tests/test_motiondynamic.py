"""The MotionDynamic client's whole flow against the embedded sandbox."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Dict, List

import pytest

import motionkit
from motionkit import errors
from motionkit.motiondynamic import Client
from motionkit.validation import check_values

from conftest import DEMO_THEME_ID, demo_values


@pytest.fixture(scope="module")
def client(sandbox: motionkit.Sandbox) -> Client:
    # One client for the module: MotionDynamic's rate budget is per token,
    # and each client paces only its own requests.
    return sandbox.motiondynamic_client()


def test_generate_validates_submits_waits_for_the_webhook_and_saves_the_mp4(
    sandbox: motionkit.Sandbox, client: Client, tmp_path: Path
) -> None:
    themes = client.themes()
    assert DEMO_THEME_ID in [t.theme_id for t in themes]
    events: List[Dict[str, Any]] = []
    rendered = client.generate(DEMO_THEME_ID, demo_values(sandbox), tmp_path, on_event=events.append)
    assert rendered.video.via == "webhook"
    assert rendered.path.parent == tmp_path and rendered.path.suffix == ".mp4"
    head = rendered.path.read_bytes()[:12]
    assert head[4:8] == b"ftyp", head
    assert rendered.bytes == rendered.path.stat().st_size
    assert [e["type"] for e in events if e["type"] in ("submitted", "ready")] == ["submitted", "ready"]
    generation = client.generation(rendered.generation_id or "")
    assert generation["generation_id"] == rendered.generation_id
    assert rendered.video.url not in repr(rendered)


def test_a_theme_schema_and_offline_checks(sandbox: motionkit.Sandbox, client: Client) -> None:
    schema = client.theme_schema(DEMO_THEME_ID)
    assert schema["type"] == "object"
    titles = [p.get("title", "") for p in schema["properties"].values()]
    assert any("image_produit" in t for t in titles), titles
    theme = client.theme(DEMO_THEME_ID)
    assert check_values(theme, demo_values(sandbox)) == []
    small = check_values(theme, demo_values(sandbox, 64, 64) | {"l3_prix_01": "x" * 40})
    fields = {f.field for f in small if f.blocks}
    assert "l3_prix_01" in fields, small


def test_bad_values_are_refused_before_submitting(
    sandbox: motionkit.Sandbox, client: Client, tmp_path: Path
) -> None:
    before = len(client.generations(theme_id=DEMO_THEME_ID))
    values = demo_values(sandbox) | {"background_color": "not a colour"}
    with pytest.raises(errors.ValidationError) as caught:
        client.generate(DEMO_THEME_ID, values, tmp_path)
    assert [v.field for v in caught.value.violations] == ["background_color"]
    assert caught.value.may_have_reached_server is False
    assert len(client.generations(theme_id=DEMO_THEME_ID)) == before
    assert not list(tmp_path.iterdir())


def test_unknown_generation_and_bad_token(sandbox: motionkit.Sandbox, client: Client) -> None:
    with pytest.raises(errors.MotionkitError) as caught:
        client.generation("00000000-0000-4000-8000-000000000000")
    assert isinstance(caught.value, (errors.NotFoundError, errors.ApiError))
    wrong = Client(sandbox.motiondynamic_url, "not.a.token", webhook_bind=None)
    with pytest.raises(errors.MotionkitError) as caught:
        wrong.themes()
    assert "not.a.token" not in str(caught.value)
    assert isinstance(caught.value, errors.AuthError), caught.value


def test_the_async_client_generates_too(sandbox: motionkit.Sandbox, tmp_path: Path) -> None:
    async def flow() -> None:
        client = sandbox.motiondynamic_async_client()
        rendered = await client.generate(DEMO_THEME_ID, demo_values(sandbox), tmp_path)
        assert rendered.path.exists()

    asyncio.run(flow())
