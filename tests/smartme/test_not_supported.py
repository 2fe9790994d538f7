"""A meter's actions smart-me answers 404 to: left for hours, logged once."""

from __future__ import annotations

from datetime import timedelta
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest

from custom_components.solar_cloud.api.unsupported import NOT_SUPPORTED_RETRY
from custom_components.solar_cloud.runtime import account_log_name
from custom_components.solar_cloud.smartme.data import smartme_data

from ..common import async_advance, not_supported_warnings
from ..simulator.smartme import SmartMeSimulator
from . import SetUp


async def test_actions_404_is_left_for_hours(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Each meter's actions once in two hours, one warning each; polls go on."""
    sim.faults.add("actions", status=404)
    entry = await setup_entry()
    meters = sim.log.count("actions")
    assert meters >= 1
    polls = sim.log.count("devices")

    await async_advance(hass, frozen, timedelta(hours=2), step=timedelta(minutes=1))

    assert sim.log.count("actions") == meters
    assert len(not_supported_warnings(caplog)) == meters
    for warning in not_supported_warnings(caplog):
        assert account_log_name(entry) in warning
        assert entry.title.lower() not in warning.lower()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert sim.log.count("devices") >= polls + 100
    assert smartme_data(entry).account.last_update_success

    sim.faults.clear()
    await async_advance(hass, frozen, NOT_SUPPORTED_RETRY, step=timedelta(minutes=10))
    assert sim.log.count("actions") == 2 * meters
    assert sim.log.count("actions", status=200) == meters
    assert any("answered again" in r.getMessage() for r in caplog.records)
    assert any(smartme_data(entry).account.data.actions.values())


async def test_actions_404_is_left_alone_over_a_reload(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A reload within the six hours asks for the meters' actions no sooner."""
    sim.faults.add("actions", status=404)
    entry = await setup_entry()
    meters = sim.log.count("actions")
    assert meters >= 1
    await async_advance(hass, frozen, timedelta(hours=1), step=timedelta(minutes=10))
    polls = sim.log.count("devices")

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    await async_advance(hass, frozen, timedelta(hours=4), step=timedelta(minutes=10))

    assert sim.log.count("actions") == meters
    assert sim.log.count("devices") > polls
    assert smartme_data(entry).account.last_update_success
    assert len(not_supported_warnings(caplog)) == meters

    sim.faults.clear()
    await async_advance(hass, frozen, timedelta(hours=1, minutes=10))
    assert sim.log.count("actions", status=200) == meters
