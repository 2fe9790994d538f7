"""The SMA cloud in Home Assistant: Monitoring API sensors, GridControl limits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

from homeassistant.const import CONF_CLIENT_ID, Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from ..api.auth import TokenSource
from ..api.sma import SmaClient
from ..const import DOMAIN, LOGGER
from ..runtime import SolarCloudConfigEntry, VendorIntegration, account_log_name
from .actions import ACTIONS
from .connection import (
    async_end_code_flow_session,
    async_token_source,
    create_client,
    endpoints_of,
)
from .coordinator import (
    SmaDeviceCoordinator,
    SmaInventoryCoordinator,
    SmaMeasurementCoordinator,
    SmaPlantCoordinator,
)
from .data import SmaData, SmaPlantCoordinators, signal_devices_added
from .devices import async_register_plant
from .number import async_setup_numbers
from .options_flow import SmaOptionsFlow
from .plants import SmaPlant
from .polling import CALL_SPAN, CallPlan, Demand, gather_all
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
    expected: Sequence[Demand] = (),
) -> None:
    """Plan an account's polls with its client's others, and make the first ones.

    The coordinators the budget takes now refresh at once (``first_refresh``);
    the others start empty and poll first in a later window. Their entities
    appear with their data. ``expected``: the polls of devices not read yet,
    planned for from the start.
    """
    plan.register(
        owner, [*(coordinator.demand for coordinator in measurements), *expected]
    )
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
    return await async_start_account(
        hass, entry, client, tokens, call_plan(hass, entry)
    )


async def async_start_account(
    hass: HomeAssistant,
    entry: SolarCloudConfigEntry,
    client: SmaClient,
    tokens: TokenSource,
    plan: CallPlan,
) -> SmaData:
    """Read what the account sees and start its coordinators within ``plan``.

    The entities come with the platforms (``SmaData.platforms``); devices
    read after setup are sent with :func:`.data.signal_devices_added`.
    """
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
        _expected(data),
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
        now = inventory.data.shape
        if read := [
            key
            for key, (_, devices) in now.items()
            if shape[key][1] is None and devices is not None
        ]:
            shape.update({key: now[key] for key in read})
            _async_add_devices(data, plan, [inventory.data.plants[key] for key in read])

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


def _expected(data: SmaData) -> list[Demand]:
    """Return the polls the devices of the plants not read yet are expected to make.

    Planned for from the start, so that the plan leaves them room: the reads
    of those devices take it until they poll.
    """
    inventory = data.inventory.data
    return [
        SmaDeviceCoordinator.expected_demand(inventory.plants[key])
        for key in sorted(inventory.unread)
    ]


@callback
def _async_add_devices(data: SmaData, plan: CallPlan, plants: list[SmaPlant]) -> None:
    """Show the devices of plants read after setup; they poll as the budget allows."""
    added = []
    for plant in plants:
        async_register_plant(data.hass, data.entry, plant)
        coordinators = data.plants[plant.key]
        coordinators.energy.plant = plant
        coordinators.devices = _devices(data, plant, coordinators.energy)
        if coordinators.devices is not None:
            added.append(coordinators.devices)
    data.coordinators = [*data.coordinators, *added]
    plan.register(
        data.entry.entry_id,
        [*(coordinator.demand for coordinator in data.measurements), *_expected(data)],
    )
    for devices in added:
        devices.start_later(FIRST_POLL_DELAY)
        async_dispatcher_send(data.hass, signal_devices_added(data.entry), devices)


INTEGRATION = VendorIntegration(
    async_setup_entry=_async_setup_entry,
    async_remove_entry=async_end_code_flow_session,
    options_flow=SmaOptionsFlow,
    actions=ACTIONS,
)
