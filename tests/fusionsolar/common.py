"""Helpers of the FusionSolar tests that more than one test module uses."""

from __future__ import annotations

import copy
from typing import Any

from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.solar_cloud.fusionsolar.connection import ACCOUNTS
from custom_components.solar_cloud.fusionsolar.storage import STORAGE, STORAGE_KEY


def forget_accounts(hass: HomeAssistant) -> None:
    """Forget what the accounts held in memory, as a new process would."""
    hass.data.pop(ACCOUNTS, None)
    hass.data.pop(STORAGE, None)


async def async_stop(
    hass: HomeAssistant, hass_storage: dict[str, Any], entry: MockConfigEntry
) -> None:
    """Stop Home Assistant as far as the entry can tell; keep only what it wrote."""
    hass.bus.async_fire(EVENT_HOMEASSISTANT_FINAL_WRITE)
    await hass.async_block_till_done()
    written = copy.deepcopy(hass_storage.get(STORAGE_KEY))
    assert await hass.config_entries.async_unload(entry.entry_id)
    if written is None:
        hass_storage.pop(STORAGE_KEY, None)
    else:
        hass_storage[STORAGE_KEY] = written
    forget_accounts(hass)


async def async_start_again(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set the entry up again after ``async_stop``, as a new process would."""
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
