"""The SMA cloud in Home Assistant: Monitoring API sensors, GridControl limits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

from homeassistant.const import CONF_CLIENT_ID, Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from ..const import DOMAIN, LOGGER
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
    SmaMeasurementCoordinator,
    SmaPlantCoordinator,
)
from .data import SmaData, SmaPlantCoordinators
from .devices import async_register_plant
from .number import async_setup_numbers
from .options_flow import SmaOptionsFlow
from .plants import SmaPlant
from .polling import CALL_SPAN, CallPlan, gather_all
from .sensor import async_setup_sensors

FIRST_POLL_DELAY = timedelta(seconds=1)
"""When the devices of a plant read after setup poll first (as the budget
allows): a refresh needs an interval (Home Assistant schedules none at 0)."""

CALL_PLANS: HassKey[dict[str, CallPlan]] = HassKey(f"{DOMAIN}_sma_call_plans")
"""The call plan of each SMA client (credential): its accounts share its budget."""


def call_plan(hass: HomeAssistant, entry: SolarCloudConfigEntry) -> CallPlan:
    """Return the plan of the client the entry calls SMA with."""
    client = str(
        entry.data.get(CONF_CLIENT_ID)
        or entry.data.get("auth_implementation")
        or entry.entry_id
    )
    return hass.data.setdefault(CALL_PLANS, {}).setdefault(client, CallPlan())


async def async_start_polls(
    plan: CallPlan,
    owner: str,
    measurements: Sequence[SmaMeasurementCoordinator[Any]],
    first_refresh: Callable[[SmaMeasurementCoordinator[Any]], Awaitable[None]],
) -> None:
    """Plan an account's polls with its client's others, and make the first ones.

    The coordinators the budget takes now refresh at once (``first_refresh``);
    the others start empty and poll first in a later window. Their entities
    appear with their data.
    """
    plan.register(owner, [coordinator.demand for coordinator in measurements])
    starts = plan.first_polls(
        [coordinator.demand for coordinator in measurements], dt_util.utcnow()
    )
    now_ones = [c for c in measurements if not starts[c.plan_key]]
    try:
        await gather_all(first_refresh(coordinator) for coordinator in now_ones)
    except BaseException:
        plan.unregister(owner)
        raise
    for coordinator in measurements:
        if window := starts[coordinator.plan_key]:
            coordinator.start_later(window * CALL_SPAN)


async def _async_setup_entry(
    hass: HomeAssistant, entry: SolarCloudConfigEntry
) -> SmaData:
    endpoints = endpoints_of(entry.data)
    tokens = await async_token_source(hass, entry, endpoints)
    client = create_client(hass, entry, endpoints, tokens)
    plan = call_plan(hass, entry)
    inventory = SmaInventoryCoordinator(hass, entry, client, plan=plan)
    await inventory.async_config_entry_first_refresh()

    data = SmaData(
        hass=hass,
        entry=entry,
        client=client,
        tokens=tokens,
        inventory=inventory,
        coordinators=[inventory],
        platforms={
            Platform.SENSOR: async_setup_sensors,
            Platform.NUMBER: async_setup_numbers,
        },
    )
    for plant in inventory.data.plants.values():
        energy = SmaPlantCoordinator(hass, entry, client, plant, plan=plan)
        data.plants[plant.key] = SmaPlantCoordinators(
            energy=energy, devices=_devices(data, plant, energy)
        )
    measurements = data.measurements
    await async_start_polls(
        plan,
        entry.entry_id,
        measurements,
        lambda coordinator: coordinator.async_config_entry_first_refresh(),
    )
    data.coordinators = [inventory, *measurements]
    entry.async_on_unload(lambda: plan.unregister(entry.entry_id))
    for plant in inventory.data.plants.values():
        async_register_plant(hass, entry, plant)

    # Plants, devices or controls that come or go (a consent accepted, a
    # device added) change the entities: set the account up anew. The
    # devices of a large account, read in batches, are added as they come.
    shape = inventory.data.shape

    @callback
    def inventory_updated() -> None:
        if not inventory.last_update_success:
            return
        if inventory.data.reshaped(shape):
            LOGGER.info("The plants of %s changed: reloading", account_log_name(entry))
            hass.config_entries.async_schedule_reload(entry.entry_id)
            return
        for key, (_, devices) in inventory.data.shape.items():
            if shape[key][1] is None and devices is not None:
                shape[key] = inventory.data.shape[key]
                _async_add_devices(data, plan, inventory.data.plants[key])

    entry.async_on_unload(inventory.async_add_listener(inventory_updated))
    return data


def _devices(
    data: SmaData, plant: SmaPlant, energy: SmaPlantCoordinator
) -> SmaDeviceCoordinator | None:
    """Return the coordinator of a plant's devices, if it has devices to show."""
    if not plant.shown_devices:
        return None
    return SmaDeviceCoordinator(
        data.hass,
        data.entry,
        data.client,
        plant,
        phase=energy.schedule,
        plan=energy.plan,
    )


@callback
def _async_add_devices(data: SmaData, plan: CallPlan, plant: SmaPlant) -> None:
    """Show the devices of a plant read after setup; they poll as the budget allows."""
    async_register_plant(data.hass, data.entry, plant)
    coordinators = data.plants[plant.key]
    coordinators.energy.plant = plant
    if (devices := _devices(data, plant, coordinators.energy)) is None:
        return
    coordinators.devices = devices
    data.coordinators = [*data.coordinators, devices]
    plan.register(
        data.entry.entry_id, [coordinator.demand for coordinator in data.measurements]
    )
    devices.start_later(FIRST_POLL_DELAY)
    data.devices_added(devices)


INTEGRATION = VendorIntegration(
    async_setup_entry=_async_setup_entry,
    async_remove_entry=async_end_code_flow_session,
    options_flow=SmaOptionsFlow,
    actions=ACTIONS,
    redact_keys=REDACT_KEYS,
)
