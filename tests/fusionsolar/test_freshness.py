"""How long FusionSolar values are shown when nothing refreshes them any more."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import CONF_PASSWORD, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.solar_cloud.const import DOMAIN
from custom_components.solar_cloud.fusionsolar.const import (
    CONTROL_STALE_AFTER,
    STALE_AFTER,
)

from ..common import async_advance
from ..const import NOON
from ..simulator.fusionsolar import DEMO_USER, FusionSolarSimulator
from .const import ENERGY_TODAY, FEED_IN_LIMIT, POWER

pytestmark = pytest.mark.freeze_time(NOON)

NEW_PASSWORD = "New@2026"


def _shown(hass: HomeAssistant, entity_id: str) -> bool:
    return hass.states.get(entity_id).state != STATE_UNAVAILABLE


async def test_values_turn_stale_after_an_authentication_failure(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    sim: FusionSolarSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A changed password stops the polls; each value is shown for its delay only."""
    noon = dt_util.utcnow()
    sim.accounts[DEMO_USER].password = NEW_PASSWORD
    sim.steal_session(DEMO_USER)
    while not (flows := hass.config_entries.flow.async_progress_by_handler(DOMAIN)):
        assert dt_util.utcnow() < noon + STALE_AFTER - timedelta(minutes=2)
        await async_advance(hass, freezer, timedelta(minutes=1))
    [flow] = flows
    assert flow["context"]["source"] == "reauth"
    asked = len(sim.log.requests)

    # Nothing was read since noon: real-time values go after their delay,
    # the control settings (read on demand) after theirs.
    await async_advance(
        hass, freezer, noon + STALE_AFTER - timedelta(seconds=1) - dt_util.utcnow()
    )
    assert _shown(hass, POWER)
    assert _shown(hass, ENERGY_TODAY)
    await async_advance(hass, freezer, timedelta(seconds=1))
    assert not _shown(hass, POWER)
    assert not _shown(hass, ENERGY_TODAY)
    assert _shown(hass, FEED_IN_LIMIT)
    await async_advance(hass, freezer, CONTROL_STALE_AFTER - STALE_AFTER)
    assert not _shown(hass, FEED_IN_LIMIT)
    assert len(sim.log.requests) == asked

    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_PASSWORD: NEW_PASSWORD}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _shown(hass, POWER)
    assert _shown(hass, ENERGY_TODAY)
    assert _shown(hass, FEED_IN_LIMIT)


async def test_failing_polls_keep_values_for_their_delay(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    sim: FusionSolarSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Polls that fail keep values until they are too old; they return by themselves."""
    sim.faults.add("*", status=503)
    await async_advance(hass, freezer, STALE_AFTER - timedelta(seconds=1))
    assert _shown(hass, POWER)
    await async_advance(hass, freezer, timedelta(seconds=1))
    assert not _shown(hass, POWER)
    assert not _shown(hass, ENERGY_TODAY)

    sim.faults.clear()
    await async_advance(hass, freezer, STALE_AFTER, step=timedelta(minutes=1))
    assert _shown(hass, POWER)
    assert _shown(hass, ENERGY_TODAY)
