"""Fixtures of the FusionSolar tests: the simulator, clients of it, entries."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from unittest.mock import patch

import aiohttp
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.solar_cloud.api.fusionsolar import FusionSolarClient
from custom_components.solar_cloud.const import CONF_VENDOR, DOMAIN, Vendor
from custom_components.solar_cloud.fusionsolar.connection import account_id
from custom_components.solar_cloud.fusionsolar.const import CONF_PLANT_CODES

from ..simulator.core import RunningSimulator, StartSimulator
from ..simulator.fusionsolar import (
    DEMO_PASSWORD,
    DEMO_USER,
    FusionSolarSimulator,
    demo_account,
)
from .const import HOME, MATERNELLE, PUER


@pytest.fixture
async def cloud(start_vendor_simulator: StartSimulator) -> RunningSimulator:
    """Serve the simulator with the demo account built from the samples."""
    return await start_vendor_simulator(FusionSolarSimulator([demo_account()]))


@pytest.fixture
def sim(cloud: RunningSimulator) -> FusionSolarSimulator:
    """Return the served simulator."""
    simulator = cloud.simulator
    assert isinstance(simulator, FusionSolarSimulator)
    return simulator


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """Return a session that keeps no cookies, as the integration's."""
    async with aiohttp.ClientSession(
        cookie_jar=aiohttp.DummyCookieJar()
    ) as client_session:
        yield client_session


@pytest.fixture
def client(
    cloud: RunningSimulator, session: aiohttp.ClientSession
) -> FusionSolarClient:
    """Return a client of the demo account."""
    return FusionSolarClient(
        session, cloud.base_url, username=DEMO_USER, password=DEMO_PASSWORD
    )


# Home Assistant ---------------------------------------------------------------


@pytest.fixture
def mock_entry(hass: HomeAssistant, cloud: RunningSimulator) -> MockConfigEntry:
    """Return the entry of the demo account, pointing at the simulator."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="FusionSolar ha_northbound",
        unique_id=account_id(cloud.base_url, DEMO_USER),
        data={
            CONF_VENDOR: Vendor.FUSIONSOLAR,
            CONF_URL: cloud.base_url,
            CONF_USERNAME: DEMO_USER,
            CONF_PASSWORD: DEMO_PASSWORD,
            CONF_PLANT_CODES: [HOME, MATERNELLE, PUER],
        },
    )
    entry.add_to_hass(hass)
    return entry


@pytest.fixture
def fast_tasks() -> Iterator[None]:
    """Ask about control tasks without pausing."""
    with patch(
        "custom_components.solar_cloud.fusionsolar.controls.TASK_POLL_DELAYS",
        (0, 0, 0),
    ):
        yield


@pytest.fixture
async def loaded_entry(
    hass: HomeAssistant, mock_entry: MockConfigEntry, sim: FusionSolarSimulator
) -> MockConfigEntry:
    """Set up the demo account; control tasks finish at once."""
    sim.task_delay = timedelta()
    assert await hass.config_entries.async_setup(mock_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_entry.state is ConfigEntryState.LOADED
    return mock_entry
