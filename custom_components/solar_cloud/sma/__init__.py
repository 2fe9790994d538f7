"""The SMA cloud in Home Assistant: Monitoring API sensors, GridControl limits."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.config_entry_oauth2_flow import LocalOAuth2Implementation

from ..api import SolarCloudApiError
from ..api.sma.token import async_logout
from ..const import LOGGER
from ..oauth import async_get_entry_implementation
from ..runtime import SolarCloudConfigEntry, VendorIntegration
from .actions import ACTIONS
from .concurrency import gather_all
from .connection import async_token_source, create_client, endpoints_of, oauth_endpoints
from .const import CONF_FLOW, SmaFlow
from .coordinator import DEVICE_SETS, SmaDeviceCoordinator, SmaPlantCoordinator
from .devices import async_register_plant
from .inventory import SmaInventoryCoordinator
from .number import async_setup_numbers
from .options_flow import SmaOptionsFlow
from .runtime import SmaData, SmaPlantCoordinators
from .sensor import async_setup_sensors


async def _async_setup_entry(
    hass: HomeAssistant, entry: SolarCloudConfigEntry
) -> SmaData:
    endpoints = endpoints_of(entry.data)
    tokens = await async_token_source(hass, entry, endpoints)
    client = create_client(hass, entry, endpoints, tokens)
    inventory = SmaInventoryCoordinator(hass, entry, client)
    await inventory.async_config_entry_first_refresh()

    plants = {
        key: SmaPlantCoordinators(
            energy=SmaPlantCoordinator(hass, entry, client, plant),
            devices=SmaDeviceCoordinator(hass, entry, client, plant)
            if any(device.sets & DEVICE_SETS for device in plant.devices)
            else None,
        )
        for key, plant in inventory.data.plants.items()
    }
    measurements = [
        coordinator
        for coordinators in plants.values()
        for coordinator in (coordinators.energy, coordinators.devices)
        if coordinator is not None
    ]
    await gather_all(
        coordinator.async_config_entry_first_refresh() for coordinator in measurements
    )
    for plant in inventory.data.plants.values():
        async_register_plant(hass, entry, plant)

    # Plants, devices or controls that come or go (a consent accepted, a
    # device added) change the entities: set the account up anew.
    shape = inventory.data.shape

    @callback
    def reload_when_changed() -> None:
        if inventory.last_update_success and inventory.data.shape != shape:
            LOGGER.info("The plants of %s changed: reloading", entry.title)
            hass.config_entries.async_schedule_reload(entry.entry_id)

    entry.async_on_unload(inventory.async_add_listener(reload_when_changed))
    return SmaData(
        hass=hass,
        entry=entry,
        client=client,
        tokens=tokens,
        inventory=inventory,
        plants=plants,
        coordinators=[inventory, *measurements],
        platforms={
            Platform.SENSOR: async_setup_sensors,
            Platform.NUMBER: async_setup_numbers,
        },
    )


async def _async_remove_entry(
    hass: HomeAssistant, entry: SolarCloudConfigEntry
) -> None:
    """End the code flow's session at SMA when the account is deleted.

    The custom flow ends its session at every unload. The code flow keeps
    its (offline) session across restarts, so it ends only here.
    """
    if entry.data[CONF_FLOW] != SmaFlow.CODE:
        return
    endpoints = endpoints_of(entry.data)
    try:
        implementation = await async_get_entry_implementation(
            hass, entry, oauth_endpoints(endpoints)
        )
    except ConfigEntryNotReady:
        return
    if not isinstance(implementation, LocalOAuth2Implementation):
        return
    try:
        await async_logout(
            async_get_clientsession(hass),
            endpoints,
            client_id=implementation.client_id,
            client_secret=implementation.client_secret,
            refresh_token=entry.data["token"]["refresh_token"],
        )
    except SolarCloudApiError as err:
        LOGGER.debug("SMA logout failed: %s", err)


INTEGRATION = VendorIntegration(
    async_setup_entry=_async_setup_entry,
    async_remove_entry=_async_remove_entry,
    options_flow=SmaOptionsFlow,
    actions=ACTIONS,
)
