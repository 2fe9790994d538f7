"""smart-me sensors: what each meter measures, by energy type.

The counters (energy import and export, the tariff registers, water, gas and
volume) show what the shared counter policy lets through (``counter.py``):
polled or pushed, a reading that falls, is negative or not a number, or is
dated in the future is not shown, and a meter that really starts over is
taken after it kept counting for an hour. A reading is dated by smart-me's
value date (``ValueDate`` of the device list, the time of a push).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import override

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    EntityCategory,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfFrequency,
    UnitOfPower,
    UnitOfTemperature,
    UnitOfVolume,
    UnitOfVolumeFlowRate,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..api.smartme import (
    ChargingStationState,
    Device,
    DeviceEnergyType,
    MeterReading,
    MeterSubType,
)
from ..const import Vendor
from ..counter import CounterKind, CounterSensor
from ..descriptions import CounterDescription, energy_counter, measurement
from ..runtime import SolarCloudConfigEntry
from .coordinator import SmartMeDeviceCoordinator
from .entity import SmartMeEntity, async_add_device_entities

type SensorValue = float | int | str | datetime | None

_PHASES = ("", "_l1", "_l2", "_l3")
"""The total (or the one phase) and each of three phases."""

_VOLUME_TYPES = (
    DeviceEnergyType.WATER,
    DeviceEnergyType.GAS,
    DeviceEnergyType.COMPRESSED_AIR,
)


@dataclass(frozen=True, kw_only=True)
class SmartMeSensorEntityDescription(CounterDescription, SensorEntityDescription):
    """A quantity of a smart-me meter."""

    value_fn: Callable[[MeterReading], SensorValue]
    exists_fn: Callable[[Device], bool] | None = None
    """Whether the device has the sensor; default: the list shows a value."""
    reads: str | None = None
    """The one field of the reading ``value_fn`` shows, if it shows one: a
    push that leaves that field alone has nothing new for the sensor."""

    def exists(self, device: Device) -> bool:
        """Return whether ``device`` gets this sensor."""
        if self.exists_fn is not None:
            return self.exists_fn(device)
        return self.value_fn(device.reading) is not None


def _electric(device: Device) -> bool:
    return device.energy_type is DeviceEnergyType.ELECTRICITY


def _energy(key: str, *, enabled: bool = True) -> SmartMeSensorEntityDescription:
    """Return the counter that shows the reading's field ``key``."""
    return SmartMeSensorEntityDescription(
        **energy_counter(Vendor.SMARTME, key, CounterKind.LIFETIME, precision=3),
        entity_registry_enabled_default=enabled,
        value_fn=attrgetter(key),
        reads=key,
    )


def _measurement(
    key: str,
    device_class: SensorDeviceClass,
    unit: str | None,
    *,
    precision: int = 1,
    enabled: bool = True,
    entity_category: EntityCategory | None = None,
    exists_fn: Callable[[Device], bool] | None = None,
) -> SmartMeSensorEntityDescription:
    """Return the measurement that shows the reading's field ``key``."""
    return SmartMeSensorEntityDescription(
        **measurement(Vendor.SMARTME, key, device_class, unit, precision=precision),
        entity_registry_enabled_default=enabled,
        entity_category=entity_category,
        value_fn=attrgetter(key),
        exists_fn=exists_fn,
        reads=key,
    )


def _volume(
    key: str, device_class: SensorDeviceClass, energy_type: DeviceEnergyType | None
) -> SmartMeSensorEntityDescription:
    return SmartMeSensorEntityDescription(
        key=key,
        translation_key=f"smartme_{key}",
        device_class=device_class,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfVolume.CUBIC_METERS,
        suggested_display_precision=3,
        value_fn=attrgetter("volume"),
        reads="volume",
        counter=CounterKind.LIFETIME,
        exists_fn=lambda device: (
            device.reading.volume is not None
            and (
                device.energy_type is energy_type
                if energy_type is not None
                else device.energy_type
                not in (DeviceEnergyType.WATER, DeviceEnergyType.GAS)
            )
        ),
    )


SENSORS: tuple[SmartMeSensorEntityDescription, ...] = (
    *(
        _measurement(
            f"power{phase}", SensorDeviceClass.POWER, UnitOfPower.WATT, precision=0
        )
        for phase in _PHASES
    ),
    _energy("energy_import"),
    _energy("energy_export"),
    _energy("energy_tariff_1"),
    _energy("energy_tariff_2"),
    _energy("energy_tariff_3", enabled=False),
    _energy("energy_tariff_4", enabled=False),
    _volume("water", SensorDeviceClass.WATER, DeviceEnergyType.WATER),
    _volume("gas", SensorDeviceClass.GAS, DeviceEnergyType.GAS),
    _volume("volume", SensorDeviceClass.VOLUME_STORAGE, None),
    _measurement(
        "flow_rate",
        SensorDeviceClass.VOLUME_FLOW_RATE,
        UnitOfVolumeFlowRate.CUBIC_METERS_PER_HOUR,
        precision=3,
    ),
    *(
        _measurement(
            f"voltage{phase}", SensorDeviceClass.VOLTAGE, UnitOfElectricPotential.VOLT
        )
        for phase in _PHASES
    ),
    *(
        _measurement(
            f"current{phase}",
            SensorDeviceClass.CURRENT,
            UnitOfElectricCurrent.AMPERE,
            precision=2,
        )
        for phase in _PHASES
    ),
    *(
        _measurement(
            f"power_factor{phase}", SensorDeviceClass.POWER_FACTOR, None, precision=2
        )
        for phase in _PHASES
    ),
    _measurement(
        "frequency",
        SensorDeviceClass.FREQUENCY,
        UnitOfFrequency.HERTZ,
        precision=2,
        enabled=False,
        # Only pushes carry the frequency; the device list has none.
        exists_fn=lambda device: (
            _electric(device) and device.sub_type is not MeterSubType.CHARGING_STATION
        ),
    ),
    _measurement(
        "temperature",
        SensorDeviceClass.TEMPERATURE,
        UnitOfTemperature.CELSIUS,
        entity_category=EntityCategory.DIAGNOSTIC,
    ),
    SmartMeSensorEntityDescription(
        key="active_tariff",
        translation_key="smartme_active_tariff",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=attrgetter("active_tariff"),
        reads="active_tariff",
    ),
    SmartMeSensorEntityDescription(
        key="charging_station_state",
        translation_key="smartme_charging_station_state",
        device_class=SensorDeviceClass.ENUM,
        options=[state.value for state in ChargingStationState],
        value_fn=lambda r: (
            r.charging_station_state.value if r.charging_station_state else None
        ),
        reads="charging_station_state",
        exists_fn=lambda device: (
            device.sub_type is MeterSubType.CHARGING_STATION
            or device.reading.charging_station_state is not None
        ),
    ),
    SmartMeSensorEntityDescription(
        key="last_update",
        translation_key="smartme_last_update",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        # It changes with every push: enabled, it would fill the logbook and
        # the device's activity with nothing but its own updates.
        entity_registry_enabled_default=False,
        value_fn=attrgetter("timestamp"),
        reads="timestamp",
        exists_fn=lambda _: True,
    ),
)


class SmartMeSensor(SmartMeEntity, SensorEntity):
    """A quantity of one smart-me device."""

    entity_description: SmartMeSensorEntityDescription

    def __init__(
        self,
        coordinator: SmartMeDeviceCoordinator,
        description: SmartMeSensorEntityDescription,
    ) -> None:
        """Initialize the sensor of one quantity of the coordinator's device."""
        super().__init__(coordinator, description)
        # A counter takes every reading (its policy counts them), changed or not.
        self._reads = None if description.counter else description.reads

    @property
    @override
    def native_value(self) -> SensorValue:
        """Return the value the device last reported."""
        return self.entity_description.value_fn(self.coordinator.data)

    @override
    def _current(self) -> object:
        return self.native_value


class SmartMeCounterSensor(CounterSensor, SmartMeSensor):
    """A register of one smart-me meter, through the counter policy.

    Lifetime registers, with no known most power: a smart-me meter does not
    tell the size of the connection it measures.
    """

    @override
    def counter_time(self) -> datetime | None:
        """Return smart-me's value date of the reading shown."""
        reading: MeterReading = self.coordinator.data
        return reading.timestamp


async def async_setup_sensors(
    hass: HomeAssistant,
    entry: SolarCloudConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors of every device, and of devices that appear later."""
    async_add_device_entities(
        entry,
        async_add_entities,
        SENSORS,
        lambda coordinator, description: description.exists(coordinator.device),
        lambda coordinator, description: (
            SmartMeCounterSensor if description.counter else SmartMeSensor
        )(coordinator, description),
    )
