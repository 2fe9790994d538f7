"""Diagnostics redact secrets, common and vendor-specific."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from .const import FAKE_NOON
from .fake_vendor import FakeCloud

pytestmark = pytest.mark.usefixtures("fake_vendor")


@pytest.mark.freeze_time(FAKE_NOON)
async def test_diagnostics_are_redacted(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    loaded_fake_entry: MockConfigEntry,
) -> None:
    """Titles, unique ids and the vendor's own secrets never leave the machine."""
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, loaded_fake_entry
    )

    assert diagnostics["entry"]["title"] == "**REDACTED**"
    assert diagnostics["entry"]["unique_id"] == "**REDACTED**"
    assert diagnostics["entry"]["data"]["vendor"] == "fusionsolar"
    vendor = diagnostics["vendor"]
    assert vendor["plant_secret"] == "**REDACTED**"
    assert vendor["plants"] == {"plant-1": 720.0, "plant-2": 720.0}
    assert vendor["coordinators"]["power"]["last_update_success"] is True
    assert "Fake account" not in str(diagnostics)


async def test_diagnostics_of_an_account_that_failed_to_set_up(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    fake_entry: MockConfigEntry,
    fake_sim: FakeCloud,
) -> None:
    """An account that could not be set up still gives its diagnostics."""
    fake_sim.faults.add("plants", status=500)
    await hass.config_entries.async_setup(fake_entry.entry_id)
    assert fake_entry.state is ConfigEntryState.SETUP_RETRY
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, fake_entry)
    assert diagnostics["state"] == "setup_retry"
    assert diagnostics["vendor"] is None
    assert diagnostics["entry"]["title"] == "**REDACTED**"
