"""Fixtures of the FusionSolar tests: the simulator, clients of it, entries."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import patch

import aiohttp
from homeassistant.components.application_credentials import ClientCredential
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.solar_cloud.api.fusionsolar import FusionSolarClient
from custom_components.solar_cloud.const import CONF_VENDOR, DOMAIN, Vendor
from custom_components.solar_cloud.fusionsolar.connection import account_id
from custom_components.solar_cloud.fusionsolar.const import CONF_PLANT_CODES

from ..common import async_add_credential, simulator_as
from ..simulator.core import RunningSimulator, StartSimulator
from ..simulator.fusionsolar import (
    DEMO_PASSWORD,
    DEMO_USER,
    FusionSolarSimulator,
    demo_account,
)
from ..simulator.oauth import IssuedToken
from .const import (
    CLIENT_ID,
    CLIENT_SECRET,
    CREDENTIAL,
    DEMO_SCOPE,
    HOME,
    MATERNELLE,
    PUER,
)
from .fixture_types import AddEntry


@pytest.fixture
async def cloud(start_vendor_simulator: StartSimulator) -> RunningSimulator:
    """Serve the simulator with the demo account built from the samples."""
    return await start_vendor_simulator(FusionSolarSimulator([demo_account()]))


@pytest.fixture
def sim(cloud: RunningSimulator) -> FusionSolarSimulator:
    """Return the served simulator."""
    return simulator_as(cloud.simulator, FusionSolarSimulator)


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
def add_entry(hass: HomeAssistant) -> AddEntry:
    """Return a function that adds the entry of an API account to Home Assistant."""

    def add(
        url: str,
        username: str = DEMO_USER,
        password: str = DEMO_PASSWORD,
        **entry: Any,
    ) -> MockConfigEntry:
        data = entry.pop("data", {})
        config_entry = MockConfigEntry(
            domain=DOMAIN,
            unique_id=account_id(url, username),
            data={
                CONF_VENDOR: Vendor.FUSIONSOLAR,
                CONF_URL: url,
                CONF_USERNAME: username,
                CONF_PASSWORD: password,
                **data,
            },
            **entry,
        )
        config_entry.add_to_hass(hass)
        return config_entry

    return add


@pytest.fixture
def mock_entry(cloud: RunningSimulator, add_entry: AddEntry) -> MockConfigEntry:
    """Return the entry of the demo account, pointing at the simulator."""
    return add_entry(
        cloud.base_url,
        title="FusionSolar ha_northbound",
        data={CONF_PLANT_CODES: [HOME, MATERNELLE, PUER]},
    )


@pytest.fixture
async def credential(hass: HomeAssistant) -> str:
    """Add the application credential of the simulator's OAuth client; return its id."""
    return await async_add_credential(
        hass, ClientCredential(CLIENT_ID, CLIENT_SECRET, name="FusionSolar"), CREDENTIAL
    )


@pytest.fixture
def access_token(sim: FusionSolarSimulator) -> str:
    """Return an access token the simulator's OAuth server issued the demo user."""
    token = f"token-{len(sim.oauth.access_tokens)}"
    sim.oauth.access_tokens[token] = IssuedToken(
        client_id=CLIENT_ID,
        subject=DEMO_USER,
        scope=DEMO_SCOPE,
        expires_at=datetime.now(UTC) + timedelta(hours=1),
    )
    return token


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
