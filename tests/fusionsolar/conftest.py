"""Fixtures of the FusionSolar tests: the simulator and clients of it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from custom_components.solar_cloud.api.fusionsolar import FusionSolarClient

from ..simulator.core import RunningSimulator, StartSimulator
from ..simulator.fusionsolar import (
    DEMO_PASSWORD,
    DEMO_USER,
    FusionSolarSimulator,
    demo_account,
)


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
