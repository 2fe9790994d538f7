"""The SMA cloud in Home Assistant: Monitoring API sensors, GridControl limits."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback

from ..const import LOGGER
from ..runtime import SolarCloudConfigEntry, VendorIntegration, account_log_name
from .actions import ACTIONS
from .connection import (
    async_end_code_flow_session,
    async_token_source,
    create_client,
    endpoints_of,
)
from .const import REDACT_KEYS
from .coordinator import (
    SmaDeviceCoordinator,
    SmaInventoryCoordinator,
    SmaPlantCoordinator,
    gather_all,
)
from .data import SmaData, SmaPlantCoordinators
from .devices import async_register_plant
from .number import async_setup_numbers
from .options_flow import SmaOptionsFlow
from .sensor import async_setup_sensors


async def _async_setup_entry(
    hass: HomeAssistant, entry: SolarCloudConfigEntry
) -> SmaData:
    endpoints = endpoints_of(entry.data)
    tokens = await async_token_source(hass, entry, endpoints)
    client = create_client(hass, entry, endpoints, tokens)
    inventory = SmaInventoryCoordinator(hass, entry, client)
    await inventory.async_config_entry_first_refresh()

    plants = {}
    for key, plant in inventory.data.plants.items():
        energy = SmaPlantCoordinator(hass, entry, client, plant)
        plants[key] = SmaPlantCoordinators(
            energy=energy,
            devices=SmaDeviceCoordinator(
                hass, entry, client, plant, phase=energy.schedule
            )
            if plant.shown_devices
            else None,
        )
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
            LOGGER.info("The plants of %s changed: reloading", account_log_name(entry))
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


INTEGRATION = VendorIntegration(
    async_setup_entry=_async_setup_entry,
    async_remove_entry=async_end_code_flow_session,
    options_flow=SmaOptionsFlow,
    actions=ACTIONS,
    redact_keys=REDACT_KEYS,
)
