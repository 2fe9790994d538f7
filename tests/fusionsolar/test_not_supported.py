"""Interfaces the cloud answers "not supported" (404) to: left for hours, logged once."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.solar_cloud.api import ApiNotSupportedError
from custom_components.solar_cloud.api.fusionsolar import FusionSolarClient
from custom_components.solar_cloud.api.unsupported import NOT_SUPPORTED_RETRY
from custom_components.solar_cloud.runtime import account_log_name

from ..common import async_advance, not_supported_warnings
from ..const import NOON
from ..simulator.fusionsolar import FusionSolarSimulator
from .const import HOME, POWER

pytestmark = pytest.mark.freeze_time(NOON)

ALARMS = "sensor.rheinblick_active_alarms"


async def test_alarm_list_404_is_left_for_hours(
    hass: HomeAssistant,
    mock_entry: MockConfigEntry,
    sim: FusionSolarSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """One call and one warning in two hours; the rest flows; asked again later."""
    fault = sim.faults.add("getAlarmList", status=404)
    assert await hass.config_entries.async_setup(mock_entry.entry_id)
    await hass.async_block_till_done()
    kpis = sim.log.count("getDevRealKpi")

    await async_advance(hass, freezer, timedelta(hours=2), step=timedelta(minutes=1))

    assert fault.hits == 1
    assert len(not_supported_warnings(caplog)) == 1
    assert "getAlarmList" in not_supported_warnings(caplog)[0]
    assert account_log_name(mock_entry) in not_supported_warnings(caplog)[0]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    # The rest of the account keeps working: real-time data every 5 minutes.
    assert sim.log.count("getDevRealKpi") >= kpis + 20
    assert hass.states.get(POWER).state != STATE_UNAVAILABLE
    assert hass.states.get(ALARMS).state == STATE_UNAVAILABLE

    # Still not supported when asked again: no second warning.
    await async_advance(
        hass,
        freezer,
        NOT_SUPPORTED_RETRY - timedelta(hours=2) + timedelta(minutes=10),
        step=timedelta(minutes=5),
    )
    assert fault.hits == 2
    assert len(not_supported_warnings(caplog)) == 1

    # The cloud answers after all: alarms show from the next try on.
    sim.faults.clear()
    await async_advance(hass, freezer, NOT_SUPPORTED_RETRY, step=timedelta(minutes=5))
    assert sim.log.count("getAlarmList", status=200) >= 1
    assert hass.states.get(ALARMS).state != STATE_UNAVAILABLE
    assert any("answered again" in r.getMessage() for r in caplog.records)
    assert len(not_supported_warnings(caplog)) == 1


async def test_alarm_list_404_is_left_alone_over_a_reload(
    hass: HomeAssistant,
    mock_entry: MockConfigEntry,
    sim: FusionSolarSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A reload within the six hours asks for the alarm list no sooner."""
    fault = sim.faults.add("getAlarmList", status=404)
    assert await hass.config_entries.async_setup(mock_entry.entry_id)
    await hass.async_block_till_done()
    await async_advance(hass, freezer, timedelta(hours=1), step=timedelta(minutes=5))
    assert fault.hits == 1

    assert await hass.config_entries.async_reload(mock_entry.entry_id)
    await hass.async_block_till_done()
    await async_advance(hass, freezer, timedelta(hours=4), step=timedelta(minutes=5))
    assert fault.hits == 1
    assert hass.states.get(POWER).state != STATE_UNAVAILABLE
    assert len(not_supported_warnings(caplog)) == 1


@pytest.mark.parametrize(
    "fault", [{"status": 404}, {"vendor_error": 20013}], ids=["http_404", "20013"]
)
async def test_not_supported_answers(
    client: FusionSolarClient, sim: FusionSolarSimulator, fault: dict[str, Any]
) -> None:
    """HTTP 404 and failCode 20013 (not supported) are one client error."""
    sim.faults.add("getAlarmList", **fault)
    now = client.now()
    with pytest.raises(ApiNotSupportedError, match="getAlarmList"):
        await client.async_get_alarms([HOME], now - timedelta(days=1), now)
