"""Diagnostics of a smart-me account: what it knows, secrets redacted."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.solar_cloud.diagnostics import async_get_config_entry_diagnostics

from ..simulator.smartme import BILANZ_ID, SmartMeSimulator
from . import SetUp
from .const import API_KEY, WEBHOOK_ID, WEBHOOK_PASSWORD


@pytest.mark.parametrize("realtime", [True])
@pytest.mark.usefixtures("external_url")
async def test_diagnostics(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
    snapshot: SnapshotAssertion,
) -> None:
    """Devices, push statistics and calibration, without keys, passwords or URLs."""
    entry = await setup_entry()
    frozen.tick(timedelta(seconds=10))
    await sim.push([BILANZ_ID])
    await hass.async_block_till_done()
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    text = str(diagnostics)
    for secret in (API_KEY, WEBHOOK_PASSWORD, WEBHOOK_ID, "9202922"):
        assert secret not in text
    assert diagnostics["vendor"]["realtime"]["applied"] == 1
    assert diagnostics["vendor"]["devices"][BILANZ_ID]["push_energy_factor"] == 0.001
    assert diagnostics == snapshot(
        exclude=props("entry_id", "created_at", "modified_at")
    )
