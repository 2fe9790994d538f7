"""Adding an account logs in once: the config flow's session goes to the entry.

Huawei allows five logins per ten minutes and ends the previous session at
each login; setup carries on with the session the flow logged in, and logs in
itself only if that session lapsed (305) or is too old to be worth trying.
"""

from __future__ import annotations

from datetime import timedelta
from unittest.mock import patch

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER, ConfigEntry, ConfigEntryState
from homeassistant.const import CONF_PASSWORD, CONF_URL, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.solar_cloud.api import ApiRateLimitedError
from custom_components.solar_cloud.api.fusionsolar import FusionSolarClient
from custom_components.solar_cloud.api.fusionsolar.const import Path
from custom_components.solar_cloud.const import DOMAIN
from custom_components.solar_cloud.fusionsolar import connection
from custom_components.solar_cloud.fusionsolar.connection import (
    FLOW_SESSION_FRESH,
    FusionSolarAccountState,
)

from ..common import async_advance
from ..const import NOON
from ..simulator.core import RunningSimulator
from ..simulator.fusionsolar import DEMO_PASSWORD, DEMO_USER, FusionSolarSimulator
from .const import ACCOUNT, POWER

pytestmark = pytest.mark.freeze_time(NOON)

TAKE = "custom_components.solar_cloud.fusionsolar.take_flow_session"


async def _add(hass: HomeAssistant, url: str) -> ConfigEntry:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    for step in ("fusionsolar", "fusionsolar_account"):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"next_step_id": step}
        )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: url, **ACCOUNT}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    entry = result["result"]
    assert entry.state is ConfigEntryState.LOADED
    return entry


async def test_adding_an_account_logs_in_once(
    hass: HomeAssistant,
    cloud: RunningSimulator,
    sim: FusionSolarSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The flow logs in; setup and the polls after it use that session."""
    await _add(hass, cloud.base_url)
    assert sim.log.count("login") == 1
    await async_advance(hass, freezer, timedelta(minutes=20), step=timedelta(minutes=1))
    assert sim.log.count("login") == 1
    assert hass.states.get(POWER).state != STATE_UNAVAILABLE
    assert sim.refused_calls() == 0


async def test_session_ended_between_flow_and_setup(
    hass: HomeAssistant, cloud: RunningSimulator, sim: FusionSolarSimulator
) -> None:
    """The handed session was ended (305): setup logs in once and goes on."""

    def ended(state: FusionSolarAccountState) -> object:
        sim.steal_session(DEMO_USER)
        return connection.take_flow_session(state)

    with patch(TAKE, side_effect=ended):
        await _add(hass, cloud.base_url)
    assert sim.log.count("login") == 2
    assert hass.states.get(POWER).state != STATE_UNAVAILABLE
    assert sim.refused_calls() == 0


async def test_old_flow_session_is_not_tried(
    hass: HomeAssistant,
    cloud: RunningSimulator,
    sim: FusionSolarSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A session older than the freshness bound is dropped: setup logs in itself."""

    def late(state: FusionSolarAccountState) -> object:
        freezer.tick(FLOW_SESSION_FRESH)
        return connection.take_flow_session(state)

    with patch(TAKE, side_effect=late):
        await _add(hass, cloud.base_url)
    assert sim.log.count("login") == 2
    # The flow listed the plants with its session; setup never sent it again.
    flow_token = sim.log.of("stations")[0].headers["XSRF-TOKEN"]
    tokens = [r.headers.get("XSRF-TOKEN") for r in sim.log.requests]
    assert tokens.count(flow_token) == 1
    assert hass.states.get(POWER).state != STATE_UNAVAILABLE


async def test_reauth_logs_in_once(
    hass: HomeAssistant, mock_entry: MockConfigEntry, sim: FusionSolarSimulator
) -> None:
    """Reauth checks the new system code by logging in; the reload reuses it."""
    sim.accounts[DEMO_USER].password = "New@2026"
    result = await mock_entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "New@2026"}
    )
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert mock_entry.state is ConfigEntryState.LOADED
    assert sim.log.count("login") == 1


async def test_reconfigure_logs_in_once(
    hass: HomeAssistant, mock_entry: MockConfigEntry, sim: FusionSolarSimulator
) -> None:
    """Reconfigure logs in to check the account; the reload reuses that session."""
    result = await mock_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: mock_entry.data[CONF_URL], **ACCOUNT}
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert mock_entry.state is ConfigEntryState.LOADED
    assert sim.log.count("login") == 1


async def test_a_login_never_waits_for_its_slot(
    cloud: RunningSimulator, session: aiohttp.ClientSession, sim: FusionSolarSimulator
) -> None:
    """The sixth login in ten minutes is refused at once, not waited for.

    Waiting would hold the lock every call of the account waits on; the
    pollers come back when the refusal says.
    """
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    client = FusionSolarClient(
        session, cloud.base_url, username=DEMO_USER, password=DEMO_PASSWORD, sleep=sleep
    )
    for _ in range(5):
        client.budget.record(
            Path.LOGIN, client.now() - timedelta(minutes=9, seconds=30)
        )
    with pytest.raises(ApiRateLimitedError) as err:
        await client.async_login()
    assert err.value.reason == "call_budget_exhausted"
    assert 0 < (err.value.retry_after or 0) <= 60  # within max_wait: once waited
    assert waits == []
    assert sim.log.count("login") == 0
