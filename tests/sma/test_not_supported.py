"""Measurement sets SMA answers 404 to: left for hours, logged once, the rest read."""

from __future__ import annotations

from datetime import timedelta
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.solar_cloud.api.sma import SetType
from custom_components.solar_cloud.api.unsupported import NOT_SUPPORTED_RETRY
from custom_components.solar_cloud.runtime import account_log_name

from ..common import async_advance, not_supported_warnings
from ..const import NOON
from ..simulator.sma import SmaSimulator
from .const import INVERTER_PV_POWER

pytestmark = pytest.mark.freeze_time(NOON)

BATTERY = "sensor.my_battery_1_battery_state_of_charge"
"""Of "My Battery 1" (device 19), the one device of "Testplant 1" that reports
the set SetType.ENERGY_AND_POWER_BATTERY."""


def _battery_calls(sim: SmaSimulator) -> int:
    return sum(
        1
        for r in sim.log.of("device_measurements")
        if f"/{SetType.ENERGY_AND_POWER_BATTERY}/" in r.path
    )


async def test_unserved_set_is_left_for_hours(
    hass: HomeAssistant,
    custom_entry: MockConfigEntry,
    sim: SmaSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """One call and one warning in two hours; the other sets flow; asked again later."""
    sim.unserved_sets.add(SetType.ENERGY_AND_POWER_BATTERY)
    assert await hass.config_entries.async_setup(custom_entry.entry_id)
    await hass.async_block_till_done()
    inverter_calls = sim.log.count("device_measurements")

    await async_advance(hass, freezer, timedelta(hours=2), step=timedelta(minutes=5))

    assert _battery_calls(sim) == 1
    assert len(not_supported_warnings(caplog)) == 1
    assert SetType.ENERGY_AND_POWER_BATTERY in not_supported_warnings(caplog)[0]
    # The warning names the account as logs do, never by its e-mail.
    assert account_log_name(custom_entry) in not_supported_warnings(caplog)[0]
    assert custom_entry.title.lower() not in not_supported_warnings(caplog)[0].lower()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert sim.log.count("device_measurements") >= inverter_calls + 7 * 6
    assert hass.states.get(INVERTER_PV_POWER).state != STATE_UNAVAILABLE
    # Sensors appear with their data: none yet.
    assert hass.states.get(BATTERY) is None

    sim.unserved_sets.clear()
    await async_advance(
        hass,
        freezer,
        NOT_SUPPORTED_RETRY - timedelta(hours=1),
        step=timedelta(minutes=15),
    )
    assert _battery_calls(sim) >= 2
    battery = hass.states.get(BATTERY)
    assert battery is not None
    assert battery.state != STATE_UNAVAILABLE
    assert len(not_supported_warnings(caplog)) == 1


async def test_unserved_set_is_left_alone_over_a_reload(
    hass: HomeAssistant,
    custom_entry: MockConfigEntry,
    sim: SmaSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A reload within the six hours asks for the refused set no sooner."""
    sim.unserved_sets.add(SetType.ENERGY_AND_POWER_BATTERY)
    assert await hass.config_entries.async_setup(custom_entry.entry_id)
    await hass.async_block_till_done()
    assert _battery_calls(sim) == 1
    await async_advance(hass, freezer, timedelta(hours=1), step=timedelta(minutes=15))
    inverter_calls = sim.log.count("device_measurements")

    assert await hass.config_entries.async_reload(custom_entry.entry_id)
    await hass.async_block_till_done()
    await async_advance(hass, freezer, timedelta(hours=4), step=timedelta(minutes=15))

    assert _battery_calls(sim) == 1
    assert sim.log.count("device_measurements") > inverter_calls
    assert hass.states.get(INVERTER_PV_POWER).state != STATE_UNAVAILABLE
    assert len(not_supported_warnings(caplog)) == 1

    # Its six hours over, the set is asked for again.
    await async_advance(hass, freezer, timedelta(hours=1, minutes=15))
    assert _battery_calls(sim) == 2
