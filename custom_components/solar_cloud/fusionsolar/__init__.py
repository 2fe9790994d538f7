"""The Huawei FusionSolar (SmartPVMS Northbound API) cloud in Home Assistant."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er

from ..api.fusionsolar.polling import AlarmPoller, ControlStatePoller
from ..api.fusionsolar.real_time_poller import RealTimePoller
from ..runtime import (
    PlatformSetup,
    SolarCloudConfigEntry,
    SolarCloudData,
    VendorIntegration,
    account_log_name,
)
from .actions import ACTIONS
from .connection import account_state, async_create_client, take_flow_session
from .const import CONF_CONTROLS, CONF_PLANTS, REDACT_KEYS
from .controls import FusionSolarControlTasks
from .coordinator import (
    FusionSolarAlarmCoordinator,
    FusionSolarControlStateCoordinator,
    FusionSolarInventoryCoordinator,
    FusionSolarRealTimeCoordinator,
)
from .data import FusionSolarData
from .number import async_setup_numbers
from .options_flow import FusionSolarOptionsFlow
from .rights import FusionSolarMissingRights
from .select import async_setup_selects
from .sensor import async_setup_sensors
from .storage import async_forget_account, async_load_accounts

MONITORING_PLATFORMS: dict[Platform, PlatformSetup] = {
    Platform.SENSOR: async_setup_sensors
}
CONTROL_PLATFORMS: dict[Platform, PlatformSetup] = {
    Platform.SELECT: async_setup_selects,
    Platform.NUMBER: async_setup_numbers,
}


@callback
def _async_remove_controls(hass: HomeAssistant, entry: SolarCloudConfigEntry) -> None:
    """Remove the control entities of an account whose controls were switched off."""
    registry = er.async_get(hass)
    for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
        if entity.domain in (Platform.SELECT, Platform.NUMBER):
            registry.async_remove(entity.entity_id)


async def _async_setup_entry(
    hass: HomeAssistant, entry: SolarCloudConfigEntry
) -> SolarCloudData:
    """Read the inventory and the first data; raise to retry or reauthenticate."""
    storage = await async_load_accounts(hass)
    client = await async_create_client(hass, entry)
    account = account_state(hass, entry.unique_id or entry.entry_id)
    storage.async_track(account)
    if (session := take_flow_session(account)) is not None:
        # The config flow that just added (reauthenticated, reconfigured)
        # the account logged in: carry on with its session.
        client.resume_session(session)
    # Pollers carry their data and due times over reloads; the client is new.
    account.real_time = account.real_time or RealTimePoller(client)
    account.alarms = account.alarms or AlarmPoller(client)
    account.control = account.control or ControlStatePoller(client)
    for poller in (account.real_time, account.alarms, account.control):
        poller.client = client
        poller.not_supported.account = account_log_name(entry)
    rights = FusionSolarMissingRights(hass, entry)
    include = entry.options.get(CONF_PLANTS)
    controls = bool(entry.options.get(CONF_CONTROLS, True))
    inventory = FusionSolarInventoryCoordinator(
        hass,
        entry,
        client,
        account=account,
        include=include,
        rights=rights,
    )
    control_state = FusionSolarControlStateCoordinator(
        hass, entry, account.control, rights
    )
    data = FusionSolarData(
        hass=hass,
        entry=entry,
        client=client,
        inventory=inventory,
        real_time=FusionSolarRealTimeCoordinator(
            hass, entry, account.real_time, rights
        ),
        alarms=FusionSolarAlarmCoordinator(hass, entry, account.alarms, rights),
        control_state=control_state,
        tasks=FusionSolarControlTasks(
            hass,
            entry,
            client,
            control_state,
            account=account,
            plant_name=lambda code: (
                plant.name if (plant := inventory.plants.get(code)) else code
            ),
        ),
        rights=rights,
        controls_enabled=controls,
        storage=storage,
        account=account,
    )
    data.coordinators = [inventory, data.real_time, data.alarms, control_state]
    platforms = dict(MONITORING_PLATFORMS)
    if controls:
        platforms |= CONTROL_PLATFORMS
    else:
        _async_remove_controls(hass, entry)
    data.platforms = platforms

    await inventory.async_config_entry_first_refresh()
    data.async_inventory_changed()
    await data.real_time.async_config_entry_first_refresh()
    # Alarms and control settings are extras: the account works without them.
    await data.alarms.async_refresh()
    if controls:
        await control_state.async_refresh()
        data.tasks.async_resume()
    entry.async_on_unload(inventory.async_add_listener(data.async_inventory_updated))
    return data


INTEGRATION = VendorIntegration(
    async_setup_entry=_async_setup_entry,
    async_remove_entry=async_forget_account,
    options_flow=FusionSolarOptionsFlow,
    actions=ACTIONS,
    redact_keys=REDACT_KEYS,
)
