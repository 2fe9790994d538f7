"""Solar Cloud: SMA, smart-me and Huawei FusionSolar clouds in Home Assistant."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.typing import ConfigType

from .account_backoff import account_gate
from .const import CONF_VENDOR, DOMAIN, Vendor
from .entity import account_device_key, device_identifier
from .error_mapping import not_ready_error
from .history import HistoryImporter, async_remove_history
from .history_source import CONF_HISTORY_DAYS, DEFAULT_HISTORY_DAYS
from .issues import async_delete_entry_issues
from .runtime import SolarCloudConfigEntry
from .services import async_setup_services
from .vendors import VENDORS

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the integration's actions, once for all entries."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: SolarCloudConfigEntry) -> bool:
    """Set up one vendor account."""
    vendor = VENDORS[Vendor(entry.data[CONF_VENDOR])]
    gate = account_gate(hass, entry)
    # The one place above the clients that asks the account's gate: a retry
    # or reload within a rate limit's window fails here, before any client
    # exists. Left to the clients, setup could still succeed without a call
    # (FusionSolar starts with the stored inventory when its list is
    # refused), and its other work (storage, webhooks) would run for nothing.
    if (refusal := gate.refusal()) is not None:
        raise not_ready_error(refusal)
    try:
        runtime_data = await vendor.async_setup_entry(hass, entry)
    except ConfigEntryNotReady as err:
        # A first refresh the cloud refused for the account: say until when.
        if (refusal := gate.refusal()) is not None:
            raise not_ready_error(refusal) from err
        raise
    entry.runtime_data = runtime_data
    # Statistics need the recorder; without it there is nothing to import into.
    if "recorder" in hass.config.components and (
        source := runtime_data.history_source()
    ):
        runtime_data.history = HistoryImporter(
            hass,
            entry,
            source,
            days=entry.options.get(CONF_HISTORY_DAYS, DEFAULT_HISTORY_DAYS),
        )
        await runtime_data.history.async_start()
    await hass.config_entries.async_forward_entry_setups(
        entry, list(entry.runtime_data.platforms)
    )
    return True


async def async_unload_entry(hass: HomeAssistant, entry: SolarCloudConfigEntry) -> bool:
    """Unload one vendor account and release what it holds at the vendor."""
    runtime_data = entry.runtime_data
    if unloaded := await hass.config_entries.async_unload_platforms(
        entry, list(runtime_data.platforms)
    ):
        await runtime_data.async_unload()
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: SolarCloudConfigEntry) -> None:
    """Undo at the vendor what the account registered, and its repair issues."""
    async_delete_entry_issues(hass, entry)
    await async_remove_history(hass, entry)
    vendor = VENDORS[Vendor(entry.data[CONF_VENDOR])]
    if vendor.async_remove_entry is not None:
        await vendor.async_remove_entry(hass, entry)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: SolarCloudConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the user delete a device only once the account stopped reporting it."""
    vendor = entry.data[CONF_VENDOR]
    reported = {
        device_identifier(vendor, key)
        for key in (*entry.runtime_data.device_keys(), account_device_key(entry))
    }
    return device.identifiers.isdisjoint(reported)
