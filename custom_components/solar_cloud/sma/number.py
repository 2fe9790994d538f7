"""The feed-in limit of plants that SMA GridControl may limit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, override

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntityDescription,
    NumberMode,
    RestoreNumber,
)
from homeassistant.const import PERCENTAGE, EntityCategory, UnitOfPower
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util

from ..api.sma import FeedInLimitCommand, LimitUnit, Plant
from ..runtime import SolarCloudConfigEntry
from .controls import async_send_feed_in_limit, limit_in_force, limit_value
from .coordinator import SmaPlantCoordinator
from .data import SmaData, sma_data
from .entity import SmaPlantEntity

ATTR_ENDS_AT = "ends_at"

# Without a nominal power from SMA the watt limit's slider needs some end.
DEFAULT_MAX_POWER = 100_000.0


@dataclass(frozen=True, kw_only=True)
class SmaFeedInNumberDescription(NumberEntityDescription):
    """A feed-in limit in one unit."""

    unit: LimitUnit
    max_fn: Callable[[Plant], float]


FEED_IN_NUMBERS = (
    SmaFeedInNumberDescription(
        key="feed_in_limit_power",
        translation_key="sma_feed_in_limit_power",
        device_class=NumberDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        native_min_value=0,
        native_step=100,
        mode=NumberMode.BOX,
        entity_category=EntityCategory.CONFIG,
        unit=LimitUnit.WATT,
        max_fn=lambda plant: (
            plant.ac_nominal_power or plant.peak_power or DEFAULT_MAX_POWER
        ),
    ),
    SmaFeedInNumberDescription(
        key="feed_in_limit_percent",
        translation_key="sma_feed_in_limit_percent",
        native_unit_of_measurement=PERCENTAGE,
        native_min_value=0,
        native_max_value=100,
        native_step=1,
        mode=NumberMode.SLIDER,
        entity_category=EntityCategory.CONFIG,
        unit=LimitUnit.PERCENT,
        max_fn=lambda _: 100.0,
    ),
)


class SmaFeedInLimitNumber(SmaPlantEntity, RestoreNumber):
    """The feed-in limit SMA last accepted for a plant, in one unit.

    GridControl takes commands but does not report the limit in force, so
    the value shown is the last one SMA accepted from Home Assistant (kept
    across restarts). A limit set in the other unit is converted by the
    plant's nominal power (unknown without it). A limit with a duration
    shows its end (``ends_at``) and, once it ended, the plant's unlimited
    state (100 %, the nominal power in W).
    """

    entity_description: SmaFeedInNumberDescription

    def __init__(
        self,
        coordinator: SmaPlantCoordinator,
        description: SmaFeedInNumberDescription,
        runtime: SmaData,
    ) -> None:
        """Initialize the limit of the coordinator's plant."""
        super().__init__(coordinator, description)
        self._runtime = runtime
        details = coordinator.plant.details
        self._attr_native_max_value = description.max_fn(details)
        self._nominal_power = details.ac_nominal_power or details.peak_power

    @override
    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        key = self.device_key
        if (
            key not in self._runtime.feed_in_limits
            and (last := await self.async_get_last_number_data()) is not None
            and last.native_value is not None
        ):
            now = dt_util.utcnow()
            state = await self.async_get_last_state()
            ends_at = None
            if state is not None and ATTR_ENDS_AT in state.attributes:
                ends_at = dt_util.parse_datetime(str(state.attributes[ATTR_ENDS_AT]))
            self._runtime.feed_in_limits[key] = FeedInLimitCommand(
                value=last.native_value,
                unit=self.entity_description.unit,
                start=now,
                duration=None if ends_at is None else max(ends_at - now, timedelta()),
            )
        if (command := self._runtime.feed_in_limits.get(key)) is not None and (
            end := command.end
        ) is not None:
            self.async_on_remove(
                async_track_point_in_utc_time(self.hass, self._async_ended, end)
            )

    @callback
    def _async_ended(self, _now: datetime) -> None:
        self.async_write_ha_state()

    def _in_force(self) -> FeedInLimitCommand | None:
        return limit_in_force(
            self._runtime.feed_in_limits.get(self.device_key), dt_util.utcnow()
        )

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any] | None:
        command = self._in_force()
        if command is None or (end := command.end) is None:
            return None
        return {ATTR_ENDS_AT: end.isoformat()}

    @property
    @override
    def native_value(self) -> float | None:
        if (command := self._in_force()) is None:
            return None
        return limit_value(command, self.entity_description.unit, self._nominal_power)

    @override
    async def async_set_native_value(self, value: float) -> None:
        await async_send_feed_in_limit(
            self._runtime,
            self.device_key,
            FeedInLimitCommand(
                value=value, unit=self.entity_description.unit, start=dt_util.utcnow()
            ),
        )


async def async_setup_numbers(
    hass: HomeAssistant,
    entry: SolarCloudConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the feed-in limits of the plants GridControl accepts them for."""
    runtime = sma_data(entry)
    async_add_entities(
        SmaFeedInLimitNumber(coordinators.energy, description, runtime)
        for coordinators in runtime.plants.values()
        if coordinators.energy.plant.feed_in_control
        for description in FEED_IN_NUMBERS
    )
