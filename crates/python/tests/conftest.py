"""Fixtures: one embedded sandbox per test module, and the repository's
test videos."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

import motionkit

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "tests" / "fixtures"

DEMO_THEME_ID = "8239de5c-5cbd-4e39-a102-220e5354a551"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[motionkit.Sandbox]:
    with motionkit.Sandbox() as running:
        yield running


@pytest.fixture
def walk() -> Path:
    return FIXTURES / "walk.mp4"


def demo_values(sandbox: motionkit.Sandbox, width: int = 1200, height: int = 680) -> dict:
    """Values for the demo theme, its picture served by the sandbox."""
    return {
        "l6_ville_01": "Lyon",
        "l2_date_01": "date_01",
        "l1_titre_01": "title",
        "l3_prix_01": "12.1",
        "l4_quantite_01": "quantite",
        "l5_descriptif_01": "desc_01",
        "l5_descriptif_02": "desc_02",
        "l5_descriptif_03": "desc_03",
        "background_color": "0000FF",
        "image_produit": sandbox.picture_url(width, height),
        "Variante": "MASTER",
    }
