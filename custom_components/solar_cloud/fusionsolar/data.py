"""The runtime data of a FusionSolar account and the actions it carries out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timezone, tzinfo
import math
from typing import Any, ClassVar

from homeassistant.const import CONF_URL
from homeassistant.core import HomeAssistant, ServiceResponse, callback
from homeassistant.exceptions import ServiceValidationError

from ..actions import (
    ActionTarget,
    BatteryModeOption,
    BatteryModeRequest,
    BatteryParametersRequest,
    FeedInLimitMode,
    FeedInLimitRequest,
    FeedInLimitScope,
    ForcedBatteryDirection,
    ForcedBatteryRequest,
    PvSurplusOption,
)
from ..api.fusionsolar import FusionSolarClient
from ..api.fusionsolar.const import (
    BATTERY_TYPES,
    INVERTER_TYPES,
    BatteryMode,
    LimitationMode,
    Path,
    PowerControlMode,
    PvSurplus,
)
from ..api.fusionsolar.models import (
    BatteryConfiguration,
    BatteryModeSettings,
    Device,
    Plant,
    PowerControlSettings,
    TimeWindow,
)
from ..const import DOMAIN, Vendor
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

MAX_GRID_CHARGE_POWER = 50.0
"""kW: the most any FusionSolar controller (EMMA) lets a battery draw."""
END_OF_CHARGE_SOC = (90.0, 100.0)
END_OF_DISCHARGE_SOC = (0.0, 20.0)
MAX_FORCED_MINUTES = 24 * 60

_MODES = {
    BatteryModeOption.MAXIMUM_SELF_CONSUMPTION: BatteryMode.MAXIMUM_SELF_CONSUMPTION,
    BatteryModeOption.TIME_OF_USE: BatteryMode.TIME_OF_USE,
    BatteryModeOption.THIRD_PARTY_DISPATCH: BatteryMode.THIRD_PARTY_DISPATCH,
}
_SURPLUS = {
    PvSurplusOption.FEED_IN: PvSurplus.FED_TO_GRID,
    PvSurplusOption.CHARGE: PvSurplus.CHARGE,
}


def _invalid(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders or None,
    )


@dataclass(kw_only=True)
class FusionSolarData(SolarCloudData):
    """What a loaded FusionSolar account holds."""

    vendor: ClassVar[Vendor] = VENDOR
    redact_keys: ClassVar[frozenset[str]] = frozenset({"address", "name", "serial"})

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
            # Coordinator names carry the entry title (often a user name).
            "coordinators": {
                coordinator.name.removeprefix(f"{self.entry.title} "): {
                    "last_update_success": coordinator.last_update_success,
                    "last_update_success_time": coordinator.last_update_success_time,
                }
                for coordinator in self.coordinators
            },
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

    # Actions ---------------------------------------------------------------

    def _plant(self, target: ActionTarget) -> str:
        """Return the plant an action is for, given a plant, a device or the account."""
        if not self.controls_enabled:
            raise _invalid("fusionsolar_controls_disabled", entry=self.entry.title)
        plants = self.plants
        if target.device_key is None:
            if len(plants) != 1:
                raise _invalid("fusionsolar_plant_required", entry=self.entry.title)
            return next(iter(plants))
        if target.device_key in plants:
            return target.device_key
        for device in self.devices.values():
            if device.key == target.device_key:
                return device.plant_code
        raise _invalid("invalid_device", device=target.device_key)

    def _battery_plant(self, target: ActionTarget) -> str:
        plant = self._plant(target)
        if plant not in self.plants_with(BATTERY_TYPES):
            raise _invalid("fusionsolar_no_battery", plant=self.plants[plant].name)
        return plant

    async def async_set_feed_in_limit(
        self, target: ActionTarget, request: FeedInLimitRequest
    ) -> ServiceResponse:
        """Limit the plant's feed-in in kW, in total or per phase, or lift it."""
        if request.percent_limit is not None:
            raise _invalid("fusionsolar_percent_limit_unsupported")
        if request.duration is not None:
            raise _invalid("fusionsolar_duration_unsupported")
        plant = self._plant(target)
        if request.mode is FeedInLimitMode.NO_LIMIT:
            settings = PowerControlSettings(mode=PowerControlMode.NO_LIMIT)
        else:
            settings = PowerControlSettings(
                mode=PowerControlMode.LIMITED_KW,
                limitation=(
                    LimitationMode.SINGLE_PHASE
                    if request.scope is FeedInLimitScope.SINGLE_PHASE
                    else LimitationMode.TOTAL
                ),
                max_feed_in=request.power_limit,
            )
        return await self.tasks.async_set_power_control(plant, settings)

    async def async_set_battery_mode(
        self, target: ActionTarget, request: BatteryModeRequest
    ) -> ServiceResponse:
        """Set the plant's battery working mode (time-of-use with its windows)."""
        plant = self._battery_plant(target)
        power = request.max_grid_charge_power
        if power is not None and power > MAX_GRID_CHARGE_POWER:
            raise _invalid(
                "fusionsolar_grid_charge_power_too_high",
                maximum=f"{MAX_GRID_CHARGE_POWER:g}",
            )
        settings = BatteryModeSettings(
            mode=_MODES[request.mode],
            pv_surplus=None
            if request.pv_surplus is None
            else _SURPLUS[request.pv_surplus],
            max_grid_charge_power=power,
            windows=tuple(
                TimeWindow(
                    start=window.start,
                    end=window.end,
                    charge=window.charge,
                    days=tuple(sorted(day.iso for day in window.days)),
                )
                for window in request.windows
            ),
        )
        return await self.tasks.async_set_battery_mode(plant, settings)

    async def async_set_battery_parameters(
        self, target: ActionTarget, request: BatteryParametersRequest
    ) -> ServiceResponse:
        """Set end-of-charge/-discharge SOC and the most charge/discharge power."""
        plant = self._battery_plant(target)
        for name, value, (low, high) in (
            ("end_of_charge_soc", request.end_of_charge_soc, END_OF_CHARGE_SOC),
            (
                "end_of_discharge_soc",
                request.end_of_discharge_soc,
                END_OF_DISCHARGE_SOC,
            ),
        ):
            if value is not None and not low <= value <= high:
                raise _invalid(
                    "fusionsolar_soc_out_of_range",
                    parameter=name,
                    minimum=f"{low:g}",
                    maximum=f"{high:g}",
                )
        configuration = BatteryConfiguration(
            end_of_charge_soc=request.end_of_charge_soc,
            end_of_discharge_soc=request.end_of_discharge_soc,
            max_charge_power=request.max_charge_power,
            max_discharge_power=request.max_discharge_power,
        )
        return await self.tasks.async_set_battery_parameters(plant, configuration)

    async def async_force_battery(
        self, target: ActionTarget, request: ForcedBatteryRequest
    ) -> ServiceResponse:
        """Force the plant's battery to charge or discharge."""
        plant = self._battery_plant(target)
        minutes = None
        if request.duration is not None:
            minutes = max(1, math.ceil(request.duration.total_seconds() / 60))
            if minutes > MAX_FORCED_MINUTES:
                raise _invalid("fusionsolar_forced_too_long", maximum="24")
        charge = request.direction is ForcedBatteryDirection.CHARGE
        power = round(request.power)
        return await self.tasks.async_force_battery(
            plant,
            switch=1 if charge else 2,
            power=power if charge else -power,
            target_soc=request.target_soc,
            minutes=minutes,
        )

    async def async_stop_forced_battery(self, target: ActionTarget) -> ServiceResponse:
        """End a forced charge or discharge."""
        plant = self._battery_plant(target)
        return await self.tasks.async_force_battery(plant, switch=0)


def fusionsolar_data(entry: SolarCloudConfigEntry) -> FusionSolarData:
    """Return the runtime data of a loaded FusionSolar entry."""
    return vendor_data(entry, FusionSolarData)
