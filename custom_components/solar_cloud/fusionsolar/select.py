"""Selects of FusionSolar plants: battery working mode and feed-in control."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, override

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant, ServiceResponse
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..actions import FeedInLimitMode, invalid
from ..api.fusionsolar.const import (
    BATTERY_TYPES,
    INVERTER_TYPES,
    SETTABLE_BATTERY_MODES,
    BatteryMode,
    PowerControlMode,
)
from ..api.fusionsolar.models import BatteryModeSettings, PowerControlSettings
from ..api.fusionsolar.polling import Reading
from ..controls import PendingChange
from ..entity import NewEntities, async_add_as_they_appear
from ..runtime import SolarCloudConfigEntry
from .actions import BATTERY_MODE_OPTIONS
from .coordinator import FusionSolarControlStateCoordinator, FusionSolarControlStateData
from .data import FusionSolarData, fusionsolar_data
from .entity import FusionSolarControlEntity

type _Settings = BatteryModeSettings | PowerControlSettings

FEED_IN_OPTIONS: dict[PowerControlMode, str] = {
    PowerControlMode.NO_LIMIT: FeedInLimitMode.NO_LIMIT.value,
    PowerControlMode.LIMITED_KW: FeedInLimitMode.LIMITED.value,
    PowerControlMode.ZERO_EXPORT: "zero_export",
    PowerControlMode.LIMITED_PERCENT: "limited_percent",
    PowerControlMode.OTHER: "other",
}
"""Feed-in control modes -> option keys; only the first two can be set."""
SETTABLE_FEED_IN_MODES = frozenset(
    {PowerControlMode.NO_LIMIT, PowerControlMode.LIMITED_KW}
)

ATTR_CURRENT_MODE = "current_mode"
"""The mode in force when it is one that cannot be set (the state is unknown)."""


async def _set_battery_mode(
    data: FusionSolarData, plant: str, mode: BatteryMode
) -> ServiceResponse:
    settings = BatteryModeSettings(mode=mode)
    if mode is BatteryMode.TIME_OF_USE:
        known = data.control_state.data.last_time_of_use.get(plant)
        if known is None:
            raise invalid("fusionsolar_tou_windows_unknown")
        settings = known
    return await data.tasks.async_apply(plant, settings)


async def _set_feed_in_control(
    data: FusionSolarData, plant: str, mode: PowerControlMode
) -> ServiceResponse:
    if mode is PowerControlMode.NO_LIMIT:
        settings = PowerControlSettings(mode=mode)
    elif mode is PowerControlMode.LIMITED_KW:
        if (known := data.control_state.data.last_limit.get(plant)) is None:
            raise invalid("fusionsolar_feed_in_limit_unknown")
        settings = known
    else:
        raise invalid(
            "fusionsolar_feed_in_mode_read_only", option=FEED_IN_OPTIONS[mode]
        )
    return await data.tasks.async_apply(plant, settings)


@dataclass(frozen=True, kw_only=True)
class FusionSolarControlSelectDescription[ModeT: StrEnum](SelectEntityDescription):
    """A control of a plant, read from and written by control tasks."""

    entity_category: EntityCategory | None = EntityCategory.CONFIG
    device_types: frozenset[int]
    """The plant needs a device of these types for the control."""
    option_keys: Mapping[ModeT, str]
    """The modes the control shows, and their option keys."""
    settable: frozenset[ModeT]
    """The modes a user can choose (the select's options)."""
    settings_type: type[_Settings]
    reading_fn: Callable[[FusionSolarControlStateData, str], Reading[_Settings] | None]
    select_fn: Callable[[FusionSolarData, str, ModeT], Awaitable[ServiceResponse]]


SELECTS: tuple[FusionSolarControlSelectDescription[Any], ...] = (
    FusionSolarControlSelectDescription(
        key="battery_working_mode",
        translation_key="fusionsolar_battery_working_mode",
        option_keys=BATTERY_MODE_OPTIONS,
        settable=SETTABLE_BATTERY_MODES,
        settings_type=BatteryModeSettings,
        device_types=BATTERY_TYPES,
        reading_fn=lambda state, plant: state.battery_modes.get(plant),
        select_fn=_set_battery_mode,
    ),
    FusionSolarControlSelectDescription(
        key="feed_in_control",
        translation_key="fusionsolar_feed_in_control",
        option_keys=FEED_IN_OPTIONS,
        settable=SETTABLE_FEED_IN_MODES,
        settings_type=PowerControlSettings,
        device_types=INVERTER_TYPES,
        reading_fn=lambda state, plant: state.power_controls.get(plant),
        select_fn=_set_feed_in_control,
    ),
)


class FusionSolarControlSelect(
    FusionSolarControlEntity[FusionSolarControlStateCoordinator], SelectEntity
):
    """A plant's setting, changed by a control task.

    A new option shows as pending (state attributes) from the delivery of
    its task until the plant confirms it, or as it was if the task fails.
    A mode in force that cannot be chosen shows as unknown, with the mode in
    the ``current_mode`` attribute.
    """

    entity_description: FusionSolarControlSelectDescription[Any]

    def __init__(
        self,
        data: FusionSolarData,
        description: FusionSolarControlSelectDescription[Any],
        *,
        device_key: str,
    ) -> None:
        """Initialize the control of a plant."""
        super().__init__(data, data.control_state, description, device_key=device_key)
        self._attr_options = [
            key
            for mode, key in description.option_keys.items()
            if mode in description.settable
        ]

    @override
    def _reading(self) -> Reading[_Settings] | None:
        return self.entity_description.reading_fn(
            self.coordinator.data, self.device_key
        )

    @override
    def _pending(self) -> PendingChange[_Settings] | None:
        description = self.entity_description
        return self._data.tasks.pending_settings(
            self.device_key, description.settings_type
        )

    def _mode(self) -> Any:
        if (pending := self._pending()) is not None:
            return pending.value.mode
        if (reading := self._reading()) is None:
            return None
        return reading.value.mode

    @property
    @override
    def current_option(self) -> str | None:
        if (mode := self._mode()) is None:
            return None
        return self.entity_description.option_keys[mode]

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any] | None:
        attributes: dict[str, Any] = {}
        mode = self._mode()
        if mode is not None and mode not in self.entity_description.settable:
            attributes[ATTR_CURRENT_MODE] = self.entity_description.option_keys[mode]
        attributes |= super().extra_state_attributes or {}
        return attributes or None

    @override
    async def async_select_option(self, option: str) -> None:
        option_keys = self.entity_description.option_keys
        mode = next(mode for mode, key in option_keys.items() if key == option)
        await self.entity_description.select_fn(self._data, self.device_key, mode)


async def async_setup_selects(
    hass: HomeAssistant,
    entry: SolarCloudConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the controls of the plants that have the devices for them."""
    data = fusionsolar_data(entry)

    def build(new: NewEntities) -> list[FusionSolarControlSelect]:
        return [
            FusionSolarControlSelect(data, description, device_key=plant)
            for description in SELECTS
            for plant in data.plants_with(description.device_types)
            if new.want(plant, description.key)
        ]

    async_add_as_they_appear(entry, async_add_entities, build, data.inventory)
