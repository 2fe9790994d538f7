"""The smart-me cloud in Home Assistant."""

from __future__ import annotations

from datetime import timedelta

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant

from ..issues import async_create_issue, async_delete_issue
from ..runtime import (
    PlatformSetup,
    SolarCloudConfigEntry,
    SolarCloudData,
    VendorIntegration,
)
from .calibration import SmartMePushCalibration
from .connection import async_create_client
from .const import (
    CONF_AUTH_TYPE,
    CONF_REALTIME,
    CONF_REALTIME_URL,
    CONF_SCAN_INTERVAL,
    DEFAULT_SCAN_INTERVAL,
    ISSUE_BASIC_AUTH,
    REDACT_KEYS,
    SmartMeAuthType,
)
from .coordinator import SmartMeAccountCoordinator
from .data import SmartMeData
from .history import SmartMeHistory
from .options_flow import SmartMeOptionsFlow
from .realtime import SmartMeRealtime, async_remove_push_data, async_stop_pushes
from .sensor import async_setup_sensors
from .switch import async_setup_switches

PLATFORMS: dict[Platform, PlatformSetup] = {
    Platform.SENSOR: async_setup_sensors,
    Platform.SWITCH: async_setup_switches,
}


async def _async_setup_entry(
    hass: HomeAssistant, entry: SolarCloudConfigEntry
) -> SolarCloudData:
    client = await async_create_client(hass, entry)
    poll_interval = timedelta(
        seconds=entry.options.get(CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL)
    )
    # Stored units first: the device coordinators take them, before any push.
    calibration = SmartMePushCalibration(hass, entry.entry_id)
    await calibration.async_load()
    account = SmartMeAccountCoordinator(
        hass, entry, client, poll_interval=poll_interval, calibration=calibration
    )
    await account.async_config_entry_first_refresh()
    account.async_watch_pushes()

    # smart-me removes Basic auth after November 2026.
    if entry.data[CONF_AUTH_TYPE] == SmartMeAuthType.BASIC:
        async_create_issue(hass, entry, ISSUE_BASIC_AUTH)
    else:
        async_delete_issue(hass, entry, ISSUE_BASIC_AUTH)

    data = SmartMeData(
        client=client,
        account=account,
        coordinators=[account],
        platforms=dict(PLATFORMS),
        energy_history=SmartMeHistory(client, account),
    )
    if entry.options.get(CONF_REALTIME, True):
        data.realtime = SmartMeRealtime(hass, entry, client, account)
        data.realtime.async_start()
    elif CONF_REALTIME_URL in entry.data:
        entry.async_create_background_task(
            hass, async_stop_pushes(hass, entry, client), "smart-me stop realtime"
        )
    return data


INTEGRATION = VendorIntegration(
    async_setup_entry=_async_setup_entry,
    async_remove_entry=async_remove_push_data,
    options_flow=SmartMeOptionsFlow,
    redact_keys=REDACT_KEYS,
)
