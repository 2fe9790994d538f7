"""The runtime data of a FusionSolar account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timezone, tzinfo
from typing import Any, ClassVar

from homeassistant.const import CONF_URL
from homeassistant.core import HomeAssistant, callback

from ..api.fusionsolar import FusionSolarClient
from ..api.fusionsolar.const import BATTERY_TYPES, INVERTER_TYPES, Path
from ..api.fusionsolar.models import Device, Plant
from ..const import Vendor
from ..entity import async_remove_stale_devices
from ..runtime import SolarCloudConfigEntry, SolarCloudData, vendor_data
from .connection import FusionSolarAccountState
from .const import VENDOR
from .controls import FusionSolarControlTasks
from .coordinator import (
    FusionSolarAlarmCoordinator,
    FusionSolarControlStateCoordinator,
    FusionSolarInventoryCoordinator,
    FusionSolarRealTimeCoordinator,
)
from .devices import async_register_devices
from .history import FusionSolarHistory
from .plant_time import FusionSolarPlantTimeZone
from .rights import FusionSolarMissingRights
from .storage import FusionSolarAccountStorage


@dataclass(kw_only=True)
class FusionSolarData(SolarCloudData):
    """What a loaded FusionSolar account holds."""

    vendor: ClassVar[Vendor] = VENDOR

    hass: HomeAssistant
    entry: SolarCloudConfigEntry
    client: FusionSolarClient
    inventory: FusionSolarInventoryCoordinator
    real_time: FusionSolarRealTimeCoordinator
    alarms: FusionSolarAlarmCoordinator
    control_state: FusionSolarControlStateCoordinator
    tasks: FusionSolarControlTasks
    rights: FusionSolarMissingRights
    controls_enabled: bool
    storage: FusionSolarAccountStorage
    account: FusionSolarAccountState

    # Plants and devices ---------------------------------------------------

    @property
    def plants(self) -> dict[str, Plant]:
        """Return the plants in scope."""
        return self.inventory.plants

    @property
    def devices(self) -> dict[int, Device]:
        """Return the devices shown in Home Assistant."""
        return self.inventory.devices

    def plants_with(self, types: frozenset[int]) -> list[str]:
        """Return the plants in scope that have a device of these types."""
        return self.inventory.plants_with(types)

    def device_keys(self) -> set[str]:
        """Return the keys of the plants and devices the account reports."""
        return set(self.plants) | {device.key for device in self.devices.values()}

    def plant_zone(self, plant_code: str) -> tzinfo:
        """Return the plant's time zone, as far as the history answers told it."""
        return FusionSolarPlantTimeZone(self.account.calendar(plant_code))

    def history_source(self) -> FusionSolarHistory:
        """Return the history of the plants in scope."""
        return FusionSolarHistory(self.hass, self.inventory)

    @callback
    def async_inventory_changed(self) -> None:
        """Follow the inventory: devices, the pollers' scope, vanished devices."""
        plants = self.plants
        for plant in plants.values():
            # Until a history answer tells the plant's offset.
            connected = plant.grid_connected
            offset = connected.utcoffset() if connected is not None else None
            calendar = self.account.calendar(plant.code)
            calendar.fallback = timezone(offset) if offset is not None else None
        async_register_devices(
            self.hass,
            self.entry,
            self.entry.data[CONF_URL],
            plants.values(),
            self.devices.values(),
        )
        async_remove_stale_devices(self.hass, self.entry, self.device_keys())
        # A kept inventory may still list devices of plants left out since.
        self.real_time.poller.set_scope(list(plants), self.devices.values())
        self.alarms.poller.set_scope(list(plants))
        if self.controls_enabled:
            self.control_state.poller.set_scope(
                self.plants_with(BATTERY_TYPES), self.plants_with(INVERTER_TYPES)
            )

    @callback
    def async_inventory_updated(self) -> None:
        """Follow a new inventory, and poll new plants and devices soon."""
        self.async_inventory_changed()
        for coordinator in (self.real_time, self.alarms, self.control_state):
            self.entry.async_create_background_task(
                self.hass,
                coordinator.async_request_refresh(),
                f"{coordinator.name} after an inventory change",
            )

    async def async_unload(self) -> None:
        """Write what the account keeps over restarts."""
        await self.storage.async_save()

    # Diagnostics -----------------------------------------------------------

    def diagnostics(self) -> dict[str, Any]:
        """Return the inventory, the latest data and how the budget is spent."""
        now = self.client.now()
        return {
            **super().diagnostics(),
            "oauth": self.client.uses_oauth,
            "controls_enabled": self.controls_enabled,
            "missing_rights": sorted(self.rights.rights),
            "budget": {
                path.name.lower(): {
                    "allowed": self.client.budget.allowed(path),
                    "made": self.client.budget.calls_made(path, now),
                    "next": self.client.budget.next_slot(path, now).isoformat(),
                }
                for path in Path
            },
            "plants": [vars(plant) for plant in self.inventory.data.plants],
            "devices": [vars(device) for device in self.inventory.data.devices],
            "real_time": {
                "plants": {
                    code: {"at": reading.at, "value": vars(reading.value)}
                    for code, reading in self.real_time.data.plants.items()
                },
                "devices": {
                    str(device_id): {"at": reading.at, "value": vars(reading.value)}
                    for device_id, reading in self.real_time.data.devices.items()
                },
            },
            "alarms": {
                code: [vars(alarm) for alarm in reading.value]
                for code, reading in (self.alarms.data or {}).items()
            },
            "control_state": (
                {}
                if self.control_state.data is None
                else self.control_state.data.diagnostics()
            ),
            "unsupported_control_queries": sorted(
                str(key) for key in self.control_state.poller.unsupported
            ),
            "plant_time": {
                code: self.account.calendar(code).diagnostics() for code in self.plants
            },
            "history": self.history.diagnostics() if self.history else None,
        }


def fusionsolar_data(entry: SolarCloudConfigEntry) -> FusionSolarData:
    """Return the runtime data of a loaded FusionSolar entry."""
    return vendor_data(entry, FusionSolarData)
