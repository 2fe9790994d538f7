"""Fixtures shared by all tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
import logging
from unittest.mock import PropertyMock, patch

from homeassistant.const import CONF_URL
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

# Imported before the ``hass`` fixture runs: otherwise the plugin's own testing
# configuration shadows the custom integration.
import custom_components.solar_cloud  # noqa: F401
from custom_components.solar_cloud.const import CONF_VENDOR, DOMAIN
from custom_components.solar_cloud.vendors import VENDORS

from .common import simulator_as
from .fake_vendor import FAKE_INTEGRATION, FAKE_VENDOR, FakeCloud
from .simulator.core import RunningSimulator, StartSimulator

pytest_plugins = ["tests.simulator.fixtures"]


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> Iterator[None]:
    """Let Home Assistant load custom_components/solar_cloud in every test."""
    return


@pytest.fixture(autouse=True)
def instant_login_retry() -> Iterator[None]:
    """Send an unreadable FusionSolar login again at once.

    The client waits before it asks again; with Home Assistant's clock frozen
    in tests, that wait would never end.
    """
    with patch(
        "custom_components.solar_cloud.api.fusionsolar.session.LOGIN_RETRY_DELAY", 0
    ):
        yield


@pytest.fixture
async def loop_debug_off() -> None:
    """Turn the event loop's debug mode off (Home Assistant's test plugin turns it on).

    For the simulated days alone (FusionSolar's test_call_budget.py and
    test_upload_polling.py, test_day_in_home_assistant, SMA's
    test_budget.py): in debug mode asyncio records a stack for every task,
    future and callback and describes every callback slower than 0.1 s; over
    a day's thousands of calls that was half their time or more
    (test_a_locked_day 31 s -> 2 s, SMA's day 188 s -> 99 s on a loaded
    machine), and two of them hit the 120 s timeout. Every other test, the
    same code included, still runs in debug mode.
    """
    asyncio.get_running_loop().set_debug(False)


@pytest.fixture(autouse=True)
def quiet_database() -> Iterator[None]:
    """Do not log every SQL statement of the recorder (a third of a year's import)."""
    logger = logging.getLogger("sqlalchemy.engine")
    level = logger.level
    logger.setLevel(logging.WARNING)
    yield
    logger.setLevel(level)


@pytest.fixture
def fake_vendor() -> Iterator[None]:
    """Serve the fake vendor in place of one of the real ones."""
    with patch.dict(VENDORS, {FAKE_VENDOR: FAKE_INTEGRATION}):
        yield


@pytest.fixture
async def fake_cloud(
    start_vendor_simulator: StartSimulator,
) -> AsyncIterator[RunningSimulator]:
    """Serve the fake cloud."""
    return await start_vendor_simulator(FakeCloud())


@pytest.fixture
def fake_sim(fake_cloud: RunningSimulator) -> FakeCloud:
    """Return the served fake cloud: its plants, faults and request log."""
    return simulator_as(fake_cloud.simulator, FakeCloud)


@pytest.fixture
def fake_entry(hass: HomeAssistant, fake_cloud: RunningSimulator) -> MockConfigEntry:
    """Return an entry of the fake vendor pointing at the fake cloud."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Fake account",
        unique_id="fake-account",
        data={CONF_VENDOR: FAKE_VENDOR, CONF_URL: fake_cloud.base_url},
    )
    entry.add_to_hass(hass)
    return entry


@pytest.fixture
async def loaded_fake_entry(
    hass: HomeAssistant, fake_vendor: None, fake_entry: MockConfigEntry
) -> MockConfigEntry:
    """Set up the fake account (with the fake vendor serving it)."""
    assert await hass.config_entries.async_setup(fake_entry.entry_id)
    return fake_entry


@pytest.fixture
def no_setup() -> Iterator[None]:
    """Let flows create and update entries without setting them up."""
    with patch("custom_components.solar_cloud.async_setup_entry", return_value=True):
        yield


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Serialize snapshots as Home Assistant's tests do, into ``snapshots/``."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
def entity_registry_enabled_by_default() -> Iterator[None]:
    """Create the entities that are disabled by default as enabled."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        return_value=True,
        new_callable=PropertyMock,
    ):
        yield
