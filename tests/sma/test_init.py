"""Setting up, polling and unloading SMA accounts against the simulator."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from ..simulator.core import RunningSimulator
from .conftest import NOON


@pytest.mark.freeze_time(NOON)
async def test_setup_and_unload_ends_the_session(
    hass: HomeAssistant, custom_entry: MockConfigEntry, sma_cloud: RunningSimulator
) -> None:
    """A custom-flow account loads its plants and logs out when unloaded."""
    assert await hass.config_entries.async_setup(custom_entry.entry_id)
    assert custom_entry.state is ConfigEntryState.LOADED
    assert await hass.config_entries.async_unload(custom_entry.entry_id)
    assert sma_cloud.simulator.logouts == ["custom-client"]
