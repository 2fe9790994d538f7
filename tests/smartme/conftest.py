"""Fixtures of the smart-me tests: the simulator, entries and a reachable webhook."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.application_credentials import ClientCredential
from homeassistant.const import (
    CONF_API_KEY,
    CONF_PASSWORD,
    CONF_URL,
    CONF_USERNAME,
    CONF_WEBHOOK_ID,
)
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.solar_cloud.api.smartme import ApiKeyAuth, SmartMeClient
from custom_components.solar_cloud.const import CONF_VENDOR, DOMAIN, Vendor
from custom_components.solar_cloud.smartme.const import (
    CONF_AUTH_TYPE,
    CONF_REALTIME,
    CONF_SCAN_INTERVAL,
    CONF_WEBHOOK_PASSWORD,
    CONF_WEBHOOK_USERNAME,
    SmartMeAuthType,
)

from ..common import async_add_credential, simulator_as
from ..simulator.core import RunningSimulator, StartSimulator
from ..simulator.smartme import SmartMeSimulator
from . import SetUp
from .const import (
    API_KEY,
    CLIENT_ID,
    CLIENT_SECRET,
    CREDENTIAL,
    NOW,
    PASSWORD,
    USER_ID,
    USERNAME,
    WEBHOOK_ID,
    WEBHOOK_PASSWORD,
    WEBHOOK_USERNAME,
)


@pytest.fixture
def frozen(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    """Start every smart-me test at the same moment."""
    freezer.move_to(NOW)
    return freezer


@pytest.fixture
async def cloud(
    frozen: FrozenDateTimeFactory, start_vendor_simulator: StartSimulator
) -> RunningSimulator:
    """Serve the smart-me simulator with the sample devices."""
    return await start_vendor_simulator(SmartMeSimulator())


@pytest.fixture
def sim(cloud: RunningSimulator) -> SmartMeSimulator:
    """Return the simulator itself."""
    return simulator_as(cloud.simulator, SmartMeSimulator)


@pytest.fixture
async def session(
    cloud: RunningSimulator,
) -> AsyncIterator[aiohttp.ClientSession]:
    """Return an HTTP session of its own (the client tests run without hass)."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def client(session: aiohttp.ClientSession, cloud: RunningSimulator) -> SmartMeClient:
    """Return a client signing in at the simulator with the API key."""
    return SmartMeClient(session, ApiKeyAuth(API_KEY), base_url=cloud.base_url)


@pytest.fixture
async def credential(hass: HomeAssistant) -> str:
    """Add the application credential of the simulator's OAuth client; return its id."""
    return await async_add_credential(
        hass, ClientCredential(CLIENT_ID, CLIENT_SECRET, name="smart-me"), CREDENTIAL
    )


@pytest.fixture
def realtime() -> bool:
    """Whether the entry receives pushes (override per test)."""
    return False


@pytest.fixture
def entry_data(cloud: RunningSimulator) -> dict[str, Any]:
    """Return the data of an API-key entry pointing at the simulator."""
    return {
        CONF_VENDOR: Vendor.SMARTME,
        CONF_URL: cloud.base_url,
        CONF_AUTH_TYPE: SmartMeAuthType.API_KEY,
        CONF_API_KEY: API_KEY,
        CONF_WEBHOOK_ID: WEBHOOK_ID,
        CONF_WEBHOOK_USERNAME: WEBHOOK_USERNAME,
        CONF_WEBHOOK_PASSWORD: WEBHOOK_PASSWORD,
    }


@pytest.fixture
def smartme_entry(
    hass: HomeAssistant, entry_data: dict[str, Any], realtime: bool
) -> MockConfigEntry:
    """Return a smart-me entry (not set up)."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=USERNAME,
        unique_id=USER_ID,
        data=entry_data,
        options={CONF_REALTIME: realtime, CONF_SCAN_INTERVAL: 60},
    )
    entry.add_to_hass(hass)
    return entry


@pytest.fixture
def basic_entry(hass: HomeAssistant, smartme_entry: MockConfigEntry) -> MockConfigEntry:
    """Turn the entry into one that signs in with username and password."""
    data = {k: v for k, v in smartme_entry.data.items() if k != CONF_API_KEY}
    data.update(
        {
            CONF_AUTH_TYPE: SmartMeAuthType.BASIC,
            CONF_USERNAME: USERNAME,
            CONF_PASSWORD: PASSWORD,
        }
    )
    hass.config_entries.async_update_entry(smartme_entry, data=data)
    return smartme_entry


@pytest.fixture
def setup_entry(hass: HomeAssistant, smartme_entry: MockConfigEntry) -> SetUp:
    """Return a function that sets the entry up and waits for it."""

    async def setup() -> MockConfigEntry:
        assert await hass.config_entries.async_setup(smartme_entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
        return smartme_entry

    return setup


@pytest.fixture
async def ha_client(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator
) -> TestClient:
    """Serve Home Assistant on 127.0.0.1 and make that its external URL."""
    # The HTTP app freezes once served: set up every dependency first.
    for dependency in ("application_credentials", "webhook", "diagnostics"):
        assert await async_setup_component(hass, dependency, {})
    client = await hass_client_no_auth()
    await hass.config.async_update(external_url=str(client.make_url("")).rstrip("/"))
    return client


@pytest.fixture
def external_url(hass: HomeAssistant, ha_client: TestClient) -> str:
    """Return the external URL smart-me pushes to."""
    assert hass.config.external_url is not None
    return hass.config.external_url
