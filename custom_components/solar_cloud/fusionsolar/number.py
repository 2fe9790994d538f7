"""Numbers of FusionSolar plants: feed-in limit and battery parameters."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, override

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntity,
    NumberEntityDescription,
    NumberExtraStoredData,
    NumberMode,
    RestoreNumber,
)
from homeassistant.const import PERCENTAGE, EntityCategory, UnitOfPower
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..api.fusionsolar.const import (
    BATTERY_TYPES,
    END_OF_CHARGE_SOC,
    END_OF_DISCHARGE_SOC,
    INVERTER_TYPES,
    MAX_FEED_IN_KW,
    LimitationMode,
    PowerControlMode,
)
from ..api.fusionsolar.models import BatteryConfiguration, PowerControlSettings
from ..api.fusionsolar.polling import Reading
from ..controls import PendingChange
from ..entity import NewEntities, async_add_as_they_appear
from ..runtime import SolarCloudConfigEntry
from .coordinator import (
    FusionSolarControlStateCoordinator,
    FusionSolarRealTimeCoordinator,
)
from .data import FusionSolarData, fusionsolar_data
from .entity import FusionSolarControlEntity

MAX_BATTERY_POWER_W = 100_000.0

FEED_IN_LIMIT = NumberEntityDescription(
    key="feed_in_limit",
    translation_key="fusionsolar_feed_in_limit",
    entity_category=EntityCategory.CONFIG,
    device_class=NumberDeviceClass.POWER,
    native_unit_of_measurement=UnitOfPower.KILO_WATT,
    native_min_value=0,
    native_step=0.1,
    mode=NumberMode.BOX,
)


@dataclass(frozen=True, kw_only=True)
class FusionSolarBatteryParameterDescription(NumberEntityDescription):
    """A plant-level battery parameter (a field of BatteryConfiguration)."""

    field: str


def _soc(
    key: str, bounds: tuple[float, float]
) -> FusionSolarBatteryParameterDescription:
    return FusionSolarBatteryParameterDescription(
        key=key,
        translation_key=f"fusionsolar_{key}",
        entity_category=EntityCategory.CONFIG,
        native_unit_of_measurement=PERCENTAGE,
        native_min_value=bounds[0],
        native_max_value=bounds[1],
        native_step=1,
        mode=NumberMode.SLIDER,
        field=key,
    )


def _power(key: str, field: str) -> FusionSolarBatteryParameterDescription:
    return FusionSolarBatteryParameterDescription(
        key=key,
        translation_key=f"fusionsolar_{key}",
        entity_category=EntityCategory.CONFIG,
        device_class=NumberDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        native_min_value=0,
        native_max_value=MAX_BATTERY_POWER_W,
        native_step=100,
        mode=NumberMode.BOX,
        field=field,
    )


BATTERY_PARAMETERS: tuple[FusionSolarBatteryParameterDescription, ...] = (
    _soc("end_of_charge_soc", END_OF_CHARGE_SOC),
    _soc("end_of_discharge_soc", END_OF_DISCHARGE_SOC),
    _power("max_charge_power_setting", "max_charge_power"),
    _power("max_discharge_power_setting", "max_discharge_power"),
)


class FusionSolarFeedInLimitNumber(
    FusionSolarControlEntity[FusionSolarControlStateCoordinator], NumberEntity
):
    """The most a plant may feed into the grid (kW); setting it limits the feed-in."""

    def __init__(self, data: FusionSolarData, *, device_key: str) -> None:
        """Initialize the limit of a plant, up to its capacity."""
        super().__init__(data, data.control_state, FEED_IN_LIMIT, device_key=device_key)
        capacity = data.plants[device_key].capacity_kw
        self._attr_native_max_value = capacity or MAX_FEED_IN_KW

    @override
    def _reading(self) -> Reading[PowerControlSettings] | None:
        return self.coordinator.data.power_controls.get(self.device_key)

    @override
    def _pending(self) -> PendingChange[PowerControlSettings] | None:
        return self._data.tasks.pending_settings(self.device_key, PowerControlSettings)

    @property
    @override
    def native_value(self) -> float | None:
        if (pending := self._pending()) is not None:
            settings = pending.value
        elif (reading := self._reading()) is not None:
            settings = reading.value
        else:
            return None
        if settings.mode is PowerControlMode.ZERO_EXPORT:
            return 0.0
        if settings.mode is PowerControlMode.LIMITED_KW:
            return settings.max_feed_in
        return None

    @override
    async def async_set_native_value(self, value: float) -> None:
        reading = self._reading()
        limitation = None if reading is None else reading.value.limitation
        await self._data.tasks.async_apply(
            self.device_key,
            PowerControlSettings(
                mode=PowerControlMode.LIMITED_KW,
                limitation=limitation or LimitationMode.TOTAL,
                max_feed_in=value,
            ),
        )


class FusionSolarBatteryParameterNumber(
    FusionSolarControlEntity[FusionSolarRealTimeCoordinator], RestoreNumber
):
    """A battery parameter of a plant.

    FusionSolar has no query for these: the number shows what Home Assistant
    last set successfully (kept over restarts), unknown until then. It is
    available while the plant's battery reports in.
    """

    entity_description: FusionSolarBatteryParameterDescription

    def __init__(
        self,
        data: FusionSolarData,
        description: FusionSolarBatteryParameterDescription,
        *,
        device_key: str,
        battery_id: int,
    ) -> None:
        """Initialize a parameter of a plant with the battery ``battery_id``."""
        super().__init__(data, data.real_time, description, device_key=device_key)
        self._battery_id = battery_id

    @override
    def _reading(self) -> Reading[Any] | None:
        return self.coordinator.data.devices.get(self._battery_id)

    @property
    def _known(self) -> BatteryConfiguration:
        return self._data.tasks.battery_parameters.get(
            self.device_key, BatteryConfiguration()
        )

    @override
    def _pending(self) -> PendingChange[BatteryConfiguration] | None:
        pending = self._data.tasks.pending_settings(
            self.device_key, BatteryConfiguration
        )
        if (
            pending is None
            or getattr(pending.value, self.entity_description.field) is None
        ):
            return None
        return pending

    @property
    @override
    def native_value(self) -> float | None:
        field = self.entity_description.field
        if (pending := self._pending()) is not None:
            requested: float | None = getattr(pending.value, field)
            return requested
        value: float | None = getattr(self._known, field)
        return value

    @property
    @override
    def extra_restore_state_data(self) -> NumberExtraStoredData:
        """Keep what the plant confirmed, never a value still pending."""
        return replace(
            super().extra_restore_state_data,
            native_value=getattr(self._known, self.entity_description.field),
        )

    @override
    async def async_added_to_hass(self) -> None:
        """Take the value last confirmed before a restart; follow new ones."""
        await super().async_added_to_hass()
        # Confirmed parameters are published with the control settings.
        self.async_on_remove(
            self._data.control_state.async_add_listener(self._handle_coordinator_update)
        )
        last = await self.async_get_last_number_data()
        if (
            getattr(self._known, self.entity_description.field) is None
            and last is not None
            and last.native_value is not None
        ):
            self._data.tasks.battery_parameters[self.device_key] = replace(
                self._known, **{self.entity_description.field: last.native_value}
            )

    @override
    async def async_set_native_value(self, value: float) -> None:
        await self._data.tasks.async_apply(
            self.device_key,
            BatteryConfiguration(**{self.entity_description.field: value}),
        )


async def async_setup_numbers(
    hass: HomeAssistant,
    entry: SolarCloudConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the feed-in limit and battery parameters of the plants."""
    data = fusionsolar_data(entry)

    def build(new: NewEntities) -> list[NumberEntity]:
        entities: list[NumberEntity] = [
            FusionSolarFeedInLimitNumber(data, device_key=plant)
            for plant in data.plants_with(INVERTER_TYPES)
            if new.want(plant, FEED_IN_LIMIT.key)
        ]
        batteries = {
            device.plant_code: device.id
            for device in sorted(
                data.devices.values(), key=lambda d: d.id, reverse=True
            )
            if device.type_id in BATTERY_TYPES
        }
        entities.extend(
            FusionSolarBatteryParameterNumber(
                data, description, device_key=plant, battery_id=battery_id
            )
            for plant, battery_id in sorted(batteries.items())
            for description in BATTERY_PARAMETERS
            if new.want(plant, description.key)
        )
        return entities

    async_add_as_they_appear(entry, async_add_entities, build, data.inventory)
