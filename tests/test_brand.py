"""The brand images: shipped, to the brands specification, served by Home Assistant."""

from __future__ import annotations

import importlib.util
import json
from types import ModuleType

from awesomeversion import AwesomeVersion
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from PIL import Image
import pytest

from .const import ROOT

BRAND = ROOT / "custom_components" / "solar_cloud" / "brand"
ICONS = {"icon.png": 256, "icon@2x.png": 512}
LOGOS = {
    "logo.png": 256,
    "logo@2x.png": 512,
    "dark_logo.png": 256,
    "dark_logo@2x.png": 512,
}


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "brand", ROOT / "scripts" / "brand.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_only_known_images() -> None:
    """Home Assistant serves these eight names only; we ship six of them."""
    assert {path.name for path in BRAND.iterdir()} == {*ICONS, *LOGOS}


@pytest.mark.parametrize(("name", "side"), ICONS.items())
def test_icon(name: str, side: int) -> None:
    """Icons: square PNG of 256 (512) px, transparent corners, trimmed."""
    with Image.open(BRAND / name) as image:
        assert image.format == "PNG"
        assert image.mode == "RGBA"
        assert image.size == (side, side)
        assert image.getpixel((0, 0))[3] == 0
        assert image.getpixel((side - 1, side - 1))[3] == 0
        left, top, right, bottom = image.getbbox(alpha_only=True)
        assert (left, right) == (0, side) or (top, bottom) == (0, side)


@pytest.mark.parametrize(("name", "height"), LOGOS.items())
def test_logo(name: str, height: int) -> None:
    """Logos: landscape PNG, shortest side 256 (512) px, the maximum allowed, trimmed."""
    with Image.open(BRAND / name) as image:
        assert image.format == "PNG"
        assert image.mode == "RGBA"
        assert image.height == height
        assert image.width > image.height
        assert image.getbbox(alpha_only=True) == (0, 0, *image.size)


def test_dark_logo_differs() -> None:
    """The dark theme's logo has a light name; the icon suits both themes."""
    with (
        Image.open(BRAND / "logo.png") as light,
        Image.open(BRAND / "dark_logo.png") as dark,
    ):
        assert light.size == dark.size
        assert light.tobytes() != dark.tobytes()


def test_home_assistant_minimum_shows_them() -> None:
    """hacs.json requires a Home Assistant that serves brand/ (2026.3 and newer)."""
    minimum = json.loads((ROOT / "hacs.json").read_text("utf-8"))["homeassistant"]
    assert AwesomeVersion(minimum) >= AwesomeVersion("2026.3.0")


def test_images_are_the_scripts_drawing() -> None:
    """scripts/brand.py draws what ships (our own artwork, reproducible)."""
    assert _script().differences(BRAND) == []


async def test_home_assistant_serves_the_icon(hass: HomeAssistant, hass_client) -> None:
    """Home Assistant serves our brand folder instead of asking the brands CDN."""
    assert await async_setup_component(hass, "brands", {})
    client = await hass_client()
    for name in (*ICONS, *LOGOS):
        response = await client.get(
            f"/api/brands/integration/solar_cloud/{name}?placeholder=no"
        )
        assert response.status == 200
        assert await response.read() == (BRAND / name).read_bytes()
