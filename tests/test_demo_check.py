"""The rules of scripts/demo --check and scripts/smoke that need no running demo."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
import sys
from types import ModuleType

import pytest

from .const import ROOT


def _script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


demo_check = _script("demo_check")


def _entity(value: str | None, key: str | None = None, **attributes):
    state = None if value is None else {"state": value, "attributes": attributes}
    return demo_check.Entity(
        entity_id="sensor.x", vendor="sma", translation_key=key, state=state
    )


@pytest.mark.parametrize(
    ("entity", "missing"),
    [
        (_entity("12.5"), None),
        (_entity("off"), None),
        (_entity(None), "has no state"),
        (_entity("unknown"), "is unknown"),
        (_entity("unavailable"), "is unavailable"),
        # Listed with a reason: may lack a value in that state only.
        (_entity("unknown", "sma_feed_in_limit_power"), None),
        (_entity("unavailable", "sma_feed_in_limit_power"), "is unavailable"),
        (_entity("unavailable", "fusionsolar_feed_in_control"), None),
        # A switch the device never reports is assumed until switched.
        (_entity("unknown", "smartme_digital_output_1", assumed_state=True), None),
        (_entity("unavailable", "smartme_digital_output_1", assumed_state=True), "is unavailable"),
    ],
)  # fmt: skip
def test_entity_missing(entity, missing) -> None:
    assert entity.missing == missing
    assert (entity.excuse is not None) == (
        entity.value in demo_check.NO_VALUE and missing is None
    )


@pytest.mark.parametrize(
    ("shown", "target", "same"),
    [
        ("50000.0", "50000", True),
        ("50000", "50000.0", True),
        ("49900.0", "50000.0", False),
        ("on", "on", True),
        ("off", "on", False),
        (None, "on", False),
    ],
)
def test_same_state(shown, target, same) -> None:
    assert demo_check._same(shown, target) is same


def test_every_excuse_names_a_translated_entity() -> None:
    """A key listed in WITHOUT_VALUE is an entity's translation key."""
    strings = json.loads(
        (ROOT / "custom_components/solar_cloud/strings.json").read_text("utf-8")
    )
    keys = {key for platform in strings["entity"].values() for key in platform}
    assert set(demo_check.WITHOUT_VALUE) <= keys


def test_log_errors(tmp_path: Path) -> None:
    """Errors of the integration fail the check; its warnings are only shown."""
    log = tmp_path / "home-assistant.log"
    log.write_text(
        "2026-11-29 06:09:50.145 WARNING (SyncWorker_0) [homeassistant.loader] We "
        "found a custom integration solar_cloud which has not been tested by Home "
        "Assistant.\n"
        "2026-11-29 06:09:51.710 ERROR (MainThread) [haffmpeg.core] FFmpeg fails\n"
        "2026-11-29 06:10:01.000 WARNING (MainThread) [custom_components.solar_cloud"
        ".sma] slow\n"
        "2026-11-29 06:10:02.000 ERROR (MainThread) [custom_components.solar_cloud"
        ".fusionsolar] broken\n"
    )
    check = demo_check.Check.__new__(demo_check.Check)
    check.started = 0
    problems = check.log(log)
    assert len(problems) == 1
    assert "broken" in problems[0]


def test_smoke_minimum_is_hacs_minimum() -> None:
    """scripts/smoke minimum checks the version hacs.json promises."""
    smoke = _script("smoke")
    hacs = json.loads((ROOT / "hacs.json").read_text("utf-8"))
    assert smoke.minimum() == hacs["homeassistant"]
