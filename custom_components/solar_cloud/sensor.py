"""Sensor entities: each vendor decides which of its data become sensors.

Every account that imports its energy history also gets two diagnostic
sensors on its account device: how far the import got, and the newest hour it
imported.
"""

from __future__ import annotations

from datetime import datetime
from typing import override

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
)
from homeassistant.const import PERCENTAGE, EntityCategory, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import CONF_VENDOR
from .entity import account_device_info, account_device_key
from .history import HistoryImporter
from .runtime import SolarCloudConfigEntry, platform_setup

PARALLEL_UPDATES = 0

_vendor_setup = platform_setup(Platform.SENSOR)

HISTORY_PROGRESS = SensorEntityDescription(
    key="history_progress",
    translation_key="history_progress",
    native_unit_of_measurement=PERCENTAGE,
    entity_category=EntityCategory.DIAGNOSTIC,
    suggested_display_precision=0,
)
HISTORY_LAST_HOUR = SensorEntityDescription(
    key="history_last_hour",
    translation_key="history_last_hour",
    device_class=SensorDeviceClass.TIMESTAMP,
    entity_category=EntityCategory.DIAGNOSTIC,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SolarCloudConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the vendor's sensors, and the history import's."""
    await _vendor_setup(hass, entry, async_add_entities)
    if (history := entry.runtime_data.history) is not None:
        async_add_entities(
            HistorySensor(entry, history, description)
            for description in (HISTORY_PROGRESS, HISTORY_LAST_HOUR)
        )


class HistorySensor(SensorEntity):
    """How far the account's history import got."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(
        self,
        entry: SolarCloudConfigEntry,
        history: HistoryImporter,
        description: SensorEntityDescription,
    ) -> None:
        """Show one figure of ``history`` on the account's device."""
        self.entity_description = description
        self._history = history
        self._attr_unique_id = (
            f"{entry.data[CONF_VENDOR]}_{account_device_key(entry)}_{description.key}"
        )
        self._attr_device_info = account_device_info(entry)

    @override
    async def async_added_to_hass(self) -> None:
        self.async_on_remove(
            self._history.async_add_listener(self.async_write_ha_state)
        )

    @property
    @override
    def native_value(self) -> float | datetime | None:
        if self.entity_description.key == HISTORY_PROGRESS.key:
            return self._history.progress
        return self._history.last_hour
