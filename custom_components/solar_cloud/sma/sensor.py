"""SMA sensors: a plant's energy balance and its devices' measurements.

Entities exist only for what a plant or device reports: the device's
measurement-set list and the fields its data carries decide. A field that
shows up later (a battery's state of charge after the night) adds its sensor
then.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, override

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
)
from homeassistant.const import (
    PERCENTAGE,
    EntityCategory,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfFrequency,
    UnitOfIrradiance,
    UnitOfPower,
    UnitOfSpeed,
    UnitOfTemperature,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from ..api.sma import MeasurementField, MeasurementPoint, SetType
from ..const import Vendor
from ..counter import CounterKind, CounterSensor
from ..descriptions import (
    CounterDescription,
    ValueDescription,
    energy_counter,
    measurement,
)
from ..entity import SolarCloudEntity, async_add_as_they_appear
from ..runtime import SolarCloudConfigEntry
from .coordinator import (
    SmaDeviceCoordinator,
    SmaMeasurementCoordinator,
    SmaPlantCoordinator,
)
from .data import signal_devices_added, sma_data
from .entity import SmaPlantEntity
from .polling import PlantData

OHM = "Ω"
POWER = SensorDeviceClass.POWER


@dataclass(frozen=True, kw_only=True)
class SmaPlantSensorDescription(
    ValueDescription[PlantData], CounterDescription, SensorEntityDescription
):
    """A sensor of a plant's EnergyBalance."""

    current: bool = True
    """A value of the newest interval (unavailable once the plant goes quiet)."""


def _now(field: MeasurementField) -> Callable[[PlantData], float | None]:
    return lambda data: None if data.latest is None else data.latest.value(field)


def _has(*fields: MeasurementField) -> Callable[[PlantData], bool]:
    return lambda data: all(field in data.fields for field in fields)


def _net(
    positive: MeasurementField, negative: MeasurementField
) -> Callable[[PlantData], float | None]:
    """Return ``positive`` minus ``negative`` of the newest interval."""

    def value(data: PlantData) -> float | None:
        if data.latest is None:
            return None
        plus, minus = data.latest.value(positive), data.latest.value(negative)
        if plus is None or minus is None:
            return None
        return plus - minus

    return value


def _latest(
    key: str,
    field: MeasurementField,
    *,
    unit: str,
    device_class: SensorDeviceClass | None = None,
    minus: MeasurementField | None = None,
) -> SmaPlantSensorDescription:
    """Return a value of the newest interval; with ``minus``, the difference."""
    return SmaPlantSensorDescription(
        **measurement(Vendor.SMA, key, device_class, unit, precision=0),
        value_fn=_now(field) if minus is None else _net(field, minus),
        exists_fn=_has(field) if minus is None else _has(field, minus),
    )


def _power(
    key: str, field: MeasurementField, *, minus: MeasurementField | None = None
) -> SmaPlantSensorDescription:
    return _latest(key, field, unit=UnitOfPower.WATT, device_class=POWER, minus=minus)


def _energy(
    key: str, field: MeasurementField, *, lifetime: bool
) -> SmaPlantSensorDescription:
    def value(data: PlantData) -> float | None:
        counters = data.lifetime if lifetime else data.today
        return counters[field] / 1000 if field in counters else None

    return SmaPlantSensorDescription(
        **energy_counter(
            Vendor.SMA,
            key,
            CounterKind.LIFETIME if lifetime else CounterKind.DAILY,
            precision=2 if lifetime else 1,
            production=field is MeasurementField.PV_GENERATION,
        ),
        value_fn=value,
        exists_fn=_has(field),
        current=False,
    )


F = MeasurementField

# (key stem, EnergyBalance field) of each energy flow.
FLOWS = (
    ("pv", F.PV_GENERATION),
    ("consumption", F.TOTAL_CONSUMPTION),
    ("grid_feed_in", F.GRID_FEED_IN),
    ("grid_consumption", F.GRID_CONSUMPTION),
    ("battery_charging", F.BATTERY_CHARGING),
    ("battery_discharging", F.BATTERY_DISCHARGING),
)

PLANT_SENSORS: tuple[SmaPlantSensorDescription, ...] = (
    *(_power(f"{stem}_power", field) for stem, field in FLOWS),
    # Signed as Home Assistant's Energy dashboard takes them: grid power is
    # positive when importing, battery power positive when discharging.
    _power("grid_power", F.GRID_CONSUMPTION, minus=F.GRID_FEED_IN),
    _power("battery_power", F.BATTERY_DISCHARGING, minus=F.BATTERY_CHARGING),
    _latest(
        "battery_state_of_charge",
        F.BATTERY_STATE_OF_CHARGE,
        unit=PERCENTAGE,
        device_class=SensorDeviceClass.BATTERY,
    ),
    _latest("self_consumption_rate", F.SELF_CONSUMPTION_RATE, unit=PERCENTAGE),
    _latest("autarky_rate", F.AUTARKY_RATE, unit=PERCENTAGE),
    *(_energy(f"{stem}_energy_today", field, lifetime=False) for stem, field in FLOWS),
    *(_energy(f"{stem}_energy_total", field, lifetime=True) for stem, field in FLOWS),
)


@dataclass(frozen=True, kw_only=True)
class SmaDeviceSensorDescription(SensorEntityDescription):
    """A sensor of one field of a device's measurement set."""

    set_type: SetType
    field: MeasurementField
    index: str | None = None
    """The DC input (string) of an indexed field."""

    def value(self, point: MeasurementPoint | None) -> float | None:
        """Return the field's value in an interval; None if SMA omitted it."""
        if point is None:
            return None
        if self.index is not None:
            return point.indexed.get(self.field, {}).get(self.index)
        return point.value(self.field)


def _device(
    set_type: SetType,
    field: MeasurementField,
    key: str,
    *,
    unit: str | None,
    device_class: SensorDeviceClass | None = None,
    precision: int = 0,
    enabled: bool = True,
    category: EntityCategory | None = None,
    placeholders: dict[str, str] | None = None,
    translation_key: str | None = None,
) -> SmaDeviceSensorDescription:
    return SmaDeviceSensorDescription(
        **measurement(
            Vendor.SMA,
            key,
            device_class,
            unit,
            precision=precision,
            shared_name=translation_key,
        ),
        translation_placeholders=placeholders,
        set_type=set_type,
        field=field,
        entity_registry_enabled_default=enabled,
        entity_category=category,
    )


W = UnitOfPower.WATT
VOLT = UnitOfElectricPotential.VOLT
AMPERE = UnitOfElectricCurrent.AMPERE
CELSIUS = UnitOfTemperature.CELSIUS


def _phases(
    fields: tuple[MeasurementField, MeasurementField, MeasurementField],
    key: str,
    unit: str,
    device_class: SensorDeviceClass,
    *,
    enabled: bool,
) -> Iterable[SmaDeviceSensorDescription]:
    return (
        _device(
            SetType.POWER_AC,
            field,
            f"{key}_{phase.lower()}",
            unit=unit,
            device_class=device_class,
            precision=1,
            enabled=enabled,
            placeholders={"phase": phase},
            translation_key=key,
        )
        for phase, field in zip("ABC", fields, strict=True)
    )


DEVICE_SENSORS: tuple[SmaDeviceSensorDescription, ...] = (
    _device(SetType.ENERGY_AND_POWER_PV, F.PV_GENERATION, "pv_power", unit=W, device_class=POWER),
    _device(SetType.ENERGY_AND_POWER_BATTERY, F.BATTERY_CHARGING, "battery_charging_power", unit=W, device_class=POWER),
    _device(SetType.ENERGY_AND_POWER_BATTERY, F.BATTERY_DISCHARGING, "battery_discharging_power", unit=W, device_class=POWER),
    _device(SetType.ENERGY_AND_POWER_BATTERY, F.BATTERY_STATE_OF_CHARGE, "battery_state_of_charge", unit=PERCENTAGE, device_class=SensorDeviceClass.BATTERY),
    _device(SetType.ENERGY_AND_POWER_BATTERY, F.BATTERY_STATE_OF_HEALTH, "battery_state_of_health", unit=PERCENTAGE, category=EntityCategory.DIAGNOSTIC),
    _device(SetType.ENERGY_AND_POWER_BATTERY, F.BATTERY_VOLTAGE, "battery_voltage", unit=VOLT, device_class=SensorDeviceClass.VOLTAGE, precision=1),
    _device(SetType.ENERGY_AND_POWER_BATTERY, F.BATTERY_CURRENT, "battery_current", unit=AMPERE, device_class=SensorDeviceClass.CURRENT, precision=1),
    _device(SetType.ENERGY_AND_POWER_BATTERY, F.BATTERY_TEMPERATURE, "battery_temperature", unit=CELSIUS, device_class=SensorDeviceClass.TEMPERATURE, precision=1),
    _device(SetType.ENERGY_AND_POWER_IN_OUT, F.GRID_FEED_IN, "grid_feed_in_power", unit=W, device_class=POWER),
    _device(SetType.ENERGY_AND_POWER_IN_OUT, F.GRID_CONSUMPTION, "grid_consumption_power", unit=W, device_class=POWER),
    _device(SetType.ENERGY_AND_POWER_CONSUMPTION, F.CONSUMPTION, "consumption_power", unit=W, device_class=POWER),
    _device(SetType.POWER_AC, F.ACTIVE_POWER, "ac_power", unit=W, device_class=POWER),
    *_phases((F.ACTIVE_POWER_PHASE_A, F.ACTIVE_POWER_PHASE_B, F.ACTIVE_POWER_PHASE_C), "ac_power_phase", W, POWER, enabled=False),
    *_phases((F.VOLTAGE_PHASE_A, F.VOLTAGE_PHASE_B, F.VOLTAGE_PHASE_C), "ac_voltage_phase", VOLT, SensorDeviceClass.VOLTAGE, enabled=True),
    *_phases((F.CURRENT_PHASE_A, F.CURRENT_PHASE_B, F.CURRENT_PHASE_C), "ac_current_phase", AMPERE, SensorDeviceClass.CURRENT, enabled=False),
    _device(SetType.POWER_AC, F.GRID_FREQUENCY, "grid_frequency", unit=UnitOfFrequency.HERTZ, device_class=SensorDeviceClass.FREQUENCY, precision=2),
    _device(SetType.POWER_DC, F.ISOLATION_RESISTANCE, "isolation_resistance", unit=OHM, enabled=False, category=EntityCategory.DIAGNOSTIC),
    _device(SetType.SENSOR, F.EXTERNAL_INSOLATION, "insolation", unit=UnitOfIrradiance.WATTS_PER_SQUARE_METER, device_class=SensorDeviceClass.IRRADIANCE),
    _device(SetType.SENSOR, F.AMBIENT_TEMPERATURE, "ambient_temperature", unit=CELSIUS, device_class=SensorDeviceClass.TEMPERATURE, precision=1),
    _device(SetType.SENSOR, F.MODULE_TEMPERATURE, "module_temperature", unit=CELSIUS, device_class=SensorDeviceClass.TEMPERATURE, precision=1),
    _device(SetType.SENSOR, F.WIND_SPEED, "wind_speed", unit=UnitOfSpeed.METERS_PER_SECOND, device_class=SensorDeviceClass.WIND_SPEED, precision=1),
)  # fmt: skip

# Indexed DC fields: one sensor per input (string) the inverter reports.
DC_INPUTS = (
    (F.DC_POWER_INPUT, "dc_power", W, POWER, True),
    (F.DC_VOLTAGE_INPUT, "dc_voltage", VOLT, SensorDeviceClass.VOLTAGE, False),
    (F.DC_CURRENT_INPUT, "dc_current", AMPERE, SensorDeviceClass.CURRENT, False),
)


def _dc_inputs(point: MeasurementPoint) -> list[SmaDeviceSensorDescription]:
    return [
        SmaDeviceSensorDescription(
            **measurement(
                Vendor.SMA,
                f"{key}_{index.lower()}",
                device_class,
                unit,
                precision=0 if device_class is POWER else 1,
                shared_name=key,
            ),
            translation_placeholders={"input": index},
            set_type=SetType.POWER_DC,
            field=field,
            index=index,
            entity_registry_enabled_default=enabled,
        )
        for field, key, unit, device_class, enabled in DC_INPUTS
        for index in point.indexed.get(field, {})
    ]


class SmaPlantSensor(SmaPlantEntity, SensorEntity):
    """A value of a plant's energy balance."""

    entity_description: SmaPlantSensorDescription

    @override
    def _data_time(self) -> datetime | None:
        # A current value is as old as the newest interval; an energy counter
        # as the last read.
        if not self.entity_description.current:
            return super()._data_time()
        latest = self.coordinator.data.latest if self.coordinator.data else None
        return None if latest is None else latest.time

    @property
    @override
    def native_value(self) -> StateType:
        return self.entity_description.value_fn(self.coordinator.data)


class SmaEnergySensor(CounterSensor, SmaPlantSensor):
    """An energy counter of a plant (lifetime or today), through the counter policy.

    The lifetime counters are SMA's Total plus today's growth since it was
    read: a bad Total (0, a tenth, an absurd spike) is held back, a lasting
    new series is believed (``counter.py``). Today's counters reset at the
    plant's local midnight; PV counters cannot grow faster than the plant's
    peak power allows, where SMA gives it.
    """

    entity_description: SmaPlantSensorDescription
    coordinator: SmaPlantCoordinator

    @override
    def counter_zone(self) -> tzinfo:
        return self.coordinator.plant.zone

    @override
    def counter_max_power_kw(self) -> float | None:
        peak = self.coordinator.plant.details.peak_power
        if not self.entity_description.production or peak is None:
            return None
        return peak / 1000


class SmaDeviceSensor(SolarCloudEntity[SmaDeviceCoordinator], SensorEntity):
    """A value of one of a device's measurement sets."""

    entity_description: SmaDeviceSensorDescription

    @property
    def _point(self) -> MeasurementPoint | None:
        return self.coordinator.data.get(self.device_key, {}).get(
            self.entity_description.set_type
        )

    @override
    def _data_time(self) -> datetime | None:
        point = self._point if self.coordinator.data is not None else None
        return None if point is None else point.time

    @property
    @override
    def native_value(self) -> float | None:
        return self.entity_description.value(self._point)


def _plant_sensors(coordinator: SmaPlantCoordinator) -> list[SmaPlantSensor]:
    return [
        (SmaEnergySensor if description.counter else SmaPlantSensor)(
            coordinator, description
        )
        for description in PLANT_SENSORS
        if description.exists(coordinator.data)
    ]


def _device_sensors(coordinator: SmaDeviceCoordinator) -> list[SmaDeviceSensor]:
    sensors = []
    for device in coordinator.plant.devices:
        points = coordinator.data.get(device.key, {})
        for set_type, point in points.items():
            sensors += [
                SmaDeviceSensor(coordinator, description, device_key=device.key)
                for description in (
                    *(
                        description
                        for description in DEVICE_SENSORS
                        if description.set_type == set_type
                        and description.field in point.values
                    ),
                    *_dc_inputs(point),
                )
            ]
    return sensors


async def async_setup_sensors(
    hass: HomeAssistant,
    entry: SolarCloudConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors of every plant and device (devices read later too)."""
    data = sma_data(entry)
    for coordinators in data.plants.values():
        _add_as_they_appear(
            entry, async_add_entities, coordinators.energy, _plant_sensors
        )
        if coordinators.devices is not None:
            _add_as_they_appear(
                entry, async_add_entities, coordinators.devices, _device_sensors
            )

    @callback
    def devices_added(devices: SmaDeviceCoordinator) -> None:
        _add_as_they_appear(entry, async_add_entities, devices, _device_sensors)

    entry.async_on_unload(
        async_dispatcher_connect(hass, signal_devices_added(entry), devices_added)
    )


def _add_as_they_appear[CoordinatorT: SmaMeasurementCoordinator[Any]](
    entry: SolarCloudConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    coordinator: CoordinatorT,
    build: Callable[[CoordinatorT], Sequence[SolarCloudEntity[Any]]],
) -> None:
    """Add a coordinator's sensors as values for them show up."""
    async_add_as_they_appear(
        entry,
        async_add_entities,
        lambda new: [
            entity
            for entity in build(coordinator)
            if new.want(entity.device_key, entity.entity_description.key)
        ],
        coordinator,
    )
