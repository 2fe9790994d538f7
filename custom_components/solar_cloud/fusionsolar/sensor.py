"""Sensors of FusionSolar plants, inverters, batteries, meters and EMIs.

The descriptions are in ``sensor_descriptions.py``. Energy counters go
through the counter policy (``counter.py``): lifetime counters never fall but
at a replaced meter, daily (and monthly) ones only at the plant's midnight,
as the history answers tell it (``plant_time.py``); PV counters cannot rise
faster than the plant's capacity allows.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any, override

from homeassistant.components.sensor import SensorEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from ..api.fusionsolar.models import DeviceKpi, PlantKpi
from ..api.fusionsolar.polling import Reading
from ..counter import CounterSensor
from ..entity import NewEntities, async_add_as_they_appear
from ..runtime import SolarCloudConfigEntry
from .coordinator import FusionSolarAlarmCoordinator, FusionSolarRealTimeCoordinator
from .data import fusionsolar_data
from .entity import FusionSolarEntity
from .sensor_descriptions import (
    ALARMS,
    PLANT_SENSORS,
    FusionSolarSensorDescription,
    device_descriptions,
)


class FusionSolarRealTimeSensor(
    FusionSolarEntity[FusionSolarRealTimeCoordinator], SensorEntity
):
    """A value of a plant's or device's real-time data."""

    entity_description: FusionSolarSensorDescription[Any]

    @property
    @override
    def native_value(self) -> StateType:
        if (reading := self._reading()) is None:
            return None
        return self.entity_description.value_fn(reading.value)

    @property
    @override
    def native_unit_of_measurement(self) -> str | None:
        if self.entity_description.monetary:
            return self.hass.config.currency
        return super().native_unit_of_measurement


class FusionSolarPlantSensor(FusionSolarRealTimeSensor):
    """A value of a plant's real-time KPIs."""

    @override
    def _reading(self) -> Reading[PlantKpi] | None:
        return self.coordinator.data.plants.get(self.device_key)


class FusionSolarDeviceSensor(FusionSolarRealTimeSensor):
    """A value of a device's real-time data."""

    @override
    def _reading(self) -> Reading[DeviceKpi] | None:
        return self.coordinator.data.devices.get(int(self.device_key))


class FusionSolarCounterSensor(CounterSensor, FusionSolarRealTimeSensor):
    """An energy counter of a plant or of one of its devices."""

    def __init__(
        self,
        coordinator: FusionSolarRealTimeCoordinator,
        description: FusionSolarSensorDescription[Any],
        *,
        device_key: str,
        zone: tzinfo,
        capacity_kw: float | None,
    ) -> None:
        """Count in the plant's zone; PV counters know the plant's capacity."""
        super().__init__(coordinator, description, device_key=device_key)
        self._zone = zone
        self._capacity_kw = capacity_kw

    @override
    def counter_zone(self) -> tzinfo:
        return self._zone

    @override
    def counter_max_power_kw(self) -> float | None:
        capacity = self._capacity_kw
        if not self.entity_description.production or not capacity or capacity <= 0:
            return None
        return capacity

    @override
    def counter_time(self) -> datetime | None:
        reading = self._reading()
        return reading.at if reading is not None else None


class FusionSolarPlantCounterSensor(FusionSolarCounterSensor, FusionSolarPlantSensor):
    """An energy counter of a plant."""


class FusionSolarDeviceCounterSensor(FusionSolarCounterSensor, FusionSolarDeviceSensor):
    """An energy counter of an inverter, battery or meter."""


class FusionSolarAlarmSensor(
    FusionSolarEntity[FusionSolarAlarmCoordinator], SensorEntity
):
    """The number of a plant's alarms nobody has dealt with."""

    @override
    def _reading(self) -> Reading[Any] | None:
        return self.coordinator.data.get(self.device_key)

    @property
    @override
    def native_value(self) -> int | None:
        if (reading := self._reading()) is None:
            return None
        return sum(1 for alarm in reading.value if alarm.active)


async def async_setup_sensors(
    hass: HomeAssistant,
    entry: SolarCloudConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add sensors for the plants and devices, and for those that appear later."""
    data = fusionsolar_data(entry)

    def build(new: NewEntities) -> list[SensorEntity]:
        entities: list[SensorEntity] = []
        real_time = data.real_time.data
        for code in data.plants:
            if new.want(code, ALARMS.key):
                entities.append(
                    FusionSolarAlarmSensor(data.alarms, ALARMS, device_key=code)
                )
            if (plant := real_time.plants.get(code)) is None:
                continue
            entities.extend(
                sensor(
                    FusionSolarPlantSensor,
                    FusionSolarPlantCounterSensor,
                    description,
                    code,
                    code,
                )
                for description in PLANT_SENSORS
                if description.exists(plant.value) and new.want(code, description.key)
            )
        for device in data.devices.values():
            if (reading := real_time.devices.get(device.id)) is None:
                continue
            entities.extend(
                sensor(
                    FusionSolarDeviceSensor,
                    FusionSolarDeviceCounterSensor,
                    description,
                    device.key,
                    device.plant_code,
                )
                for description in device_descriptions(reading.value)
                if new.want(device.key, description.key)
            )
        return entities

    def sensor(
        plain: type[FusionSolarRealTimeSensor],
        counter: type[FusionSolarCounterSensor],
        description: FusionSolarSensorDescription[Any],
        device_key: str,
        plant_code: str,
    ) -> SensorEntity:
        if description.counter is None:
            return plain(data.real_time, description, device_key=device_key)
        plant = data.plants.get(plant_code)
        return counter(
            data.real_time,
            description,
            device_key=device_key,
            zone=data.plant_zone(plant_code),
            capacity_kw=plant.capacity_kw if plant is not None else None,
        )

    async_add_as_they_appear(
        entry, async_add_entities, build, data.real_time, data.inventory
    )
