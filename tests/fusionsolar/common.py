"""Helpers of the FusionSolar tests that more than one test module uses."""

from __future__ import annotations

import copy
from typing import Any

from homeassistant.config_entries import ConfigFlowResult
from homeassistant.const import CONF_URL, EVENT_HOMEASSISTANT_FINAL_WRITE
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.solar_cloud.fusionsolar.connection import ACCOUNTS
from custom_components.solar_cloud.fusionsolar.storage import STORAGE, STORAGE_KEY

from ..common import async_start_flow
from .const import ACCOUNT


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


async def async_add_account(
    hass: HomeAssistant, url: str, **user_input: str
) -> ConfigFlowResult:
    """Add an API account through the flow: the demo account unless told otherwise."""
    result = await async_start_flow(hass, "fusionsolar", "fusionsolar_account")
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: url, **ACCOUNT, **user_input}
    )
