"""Fixtures of the SMA tests: the simulator, clients of it, entries of both flows."""

from __future__ import annotations

from collections.abc import AsyncIterator
import time
from typing import Any

import aiohttp
from homeassistant.components.application_credentials import ClientCredential
from homeassistant.const import CONF_CLIENT_ID, CONF_CLIENT_SECRET, CONF_URL
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from yarl import URL

from custom_components.solar_cloud.api.sma import (
    SmaClient,
    SmaClientCredentials,
    SmaEndpoints,
    SmaEnvironment,
)
from custom_components.solar_cloud.const import CONF_VENDOR, DOMAIN, Vendor
from custom_components.solar_cloud.sma.const import (
    CONF_ENVIRONMENT,
    CONF_FLOW,
    CONF_GRIDCONTROL_URL,
    CONF_LOGIN_HINT,
)

from ..common import async_add_credential, simulator_as
from ..const import REDIRECT
from ..simulator.core import RunningSimulator, StartSimulator
from ..simulator.sma import (
    CODE_CLIENT,
    CUSTOM_CLIENT,
    DEMO_OWNER,
    SANDBOX_OWNER,
    SmaSimulator,
    demo_owner_plants,
)
from .const import CREDENTIAL


@pytest.fixture
async def cloud(start_vendor_simulator: StartSimulator) -> RunningSimulator:
    """Serve SMA's sandbox plus the demo owner's plants, nobody consented."""
    simulator = SmaSimulator()
    for plant in demo_owner_plants():
        simulator.add_plant(plant, owner=DEMO_OWNER)
    return await start_vendor_simulator(simulator)


@pytest.fixture
def sim(cloud: RunningSimulator) -> SmaSimulator:
    """Return the served simulator."""
    return simulator_as(cloud.simulator, SmaSimulator)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """Return a plain aiohttp session."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
def endpoints(cloud: RunningSimulator) -> SmaEndpoints:
    """Return the simulator's endpoints."""
    return SmaEndpoints.for_environment(SmaEnvironment.CUSTOM, url=f"{cloud.base_url}/")


@pytest.fixture
def tokens(
    session: aiohttp.ClientSession, endpoints: SmaEndpoints
) -> SmaClientCredentials:
    """Return the custom flow's token source, with the integration's client."""
    return SmaClientCredentials(session, endpoints, *CUSTOM_CLIENT)


@pytest.fixture
def client(
    session: aiohttp.ClientSession,
    endpoints: SmaEndpoints,
    tokens: SmaClientCredentials,
) -> SmaClient:
    """Return a client of the simulator signed in with the custom flow."""
    return SmaClient(session, endpoints, tokens)


def _custom_data(base_url: str, owner: str = SANDBOX_OWNER) -> dict[str, Any]:
    """Return the data of a custom-flow entry against the simulator."""
    return {
        CONF_VENDOR: Vendor.SMA,
        CONF_FLOW: "custom",
        CONF_ENVIRONMENT: "custom",
        CONF_URL: base_url,
        CONF_GRIDCONTROL_URL: None,
        CONF_CLIENT_ID: CUSTOM_CLIENT[0],
        CONF_CLIENT_SECRET: CUSTOM_CLIENT[1],
        CONF_LOGIN_HINT: owner,
    }


@pytest.fixture
def owner() -> str:
    """Return the plant owner the entries are for."""
    return SANDBOX_OWNER


@pytest.fixture
def custom_entry(
    hass: HomeAssistant, cloud: RunningSimulator, sim: SmaSimulator, owner: str
) -> MockConfigEntry:
    """Return a custom-flow entry whose owner consented."""
    sim.grant_consent(owner)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=owner,
        unique_id=f"{CUSTOM_CLIENT[0]}_{owner.lower()}",
        data=_custom_data(cloud.base_url, owner),
    )
    entry.add_to_hass(hass)
    return entry


@pytest.fixture
def demo_owner_entry(cloud: RunningSimulator) -> MockConfigEntry:
    """Return a custom-flow entry of the demo owner, for a test to add later."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=DEMO_OWNER,
        unique_id=f"{CUSTOM_CLIENT[0]}_{DEMO_OWNER}",
        data=_custom_data(cloud.base_url, DEMO_OWNER),
    )


async def code_flow_token(base_url: str) -> dict[str, Any]:
    """Sign in as the owner through the simulator's code flow; return the token."""
    async with aiohttp.ClientSession() as session:
        async with session.get(
            f"{base_url}/oauth2/auth",
            params={
                "client_id": CODE_CLIENT[0],
                "redirect_uri": REDIRECT,
                "response_type": "code",
                "scope": "offline_access",
            },
            allow_redirects=False,
        ) as response:
            code = URL(response.headers["Location"]).query["code"]
        async with session.post(
            f"{base_url}/oauth2/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT,
                "client_id": CODE_CLIENT[0],
                "client_secret": CODE_CLIENT[1],
            },
        ) as response:
            token: dict[str, Any] = await response.json()
    token["expires_at"] = time.time() + token["expires_in"]
    return token


@pytest.fixture
async def credential(hass: HomeAssistant) -> str:
    """Add the code flow's application credential; return its id."""
    return await async_add_credential(
        hass, ClientCredential(*CODE_CLIENT, name="SMA"), CREDENTIAL
    )


@pytest.fixture
async def code_entry(
    hass: HomeAssistant, cloud: RunningSimulator, credential: str
) -> MockConfigEntry:
    """Return a code-flow entry of the sandbox owner."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=SANDBOX_OWNER,
        unique_id=f"code_{SANDBOX_OWNER}",
        data={
            CONF_VENDOR: Vendor.SMA,
            CONF_FLOW: "code",
            CONF_ENVIRONMENT: "custom",
            CONF_URL: cloud.base_url,
            CONF_GRIDCONTROL_URL: None,
            "auth_implementation": credential,
            "token": await code_flow_token(cloud.base_url),
        },
    )
    entry.add_to_hass(hass)
    return entry


@pytest.fixture
async def loaded_custom(
    hass: HomeAssistant, custom_entry: MockConfigEntry
) -> MockConfigEntry:
    """Set up the custom-flow entry."""
    assert await hass.config_entries.async_setup(custom_entry.entry_id)
    await hass.async_block_till_done()
    return custom_entry
