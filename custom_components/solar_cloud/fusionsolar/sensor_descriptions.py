"""The sensor descriptions of FusionSolar plants, inverters, batteries, meters and EMIs.

Signed power follows the Energy dashboard: grid power is positive while
importing, battery power positive while discharging. (Huawei's meters count
feed-in as positive, its batteries charging.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    DEGREE,
    PERCENTAGE,
    EntityCategory,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfFrequency,
    UnitOfIrradiance,
    UnitOfPower,
    UnitOfReactivePower,
    UnitOfSpeed,
    UnitOfTemperature,
)
from homeassistant.helpers.typing import StateType

from ..api.fusionsolar.models import (
    INVERTER_STATES,
    BatteryKpi,
    BatteryStatus,
    BatteryWorkingMode,
    DeviceKpi,
    EmiKpi,
    HealthState,
    InverterKpi,
    MeterKpi,
    PlantKpi,
)
from ..counter import CounterKind
from ..descriptions import (
    CounterDescription,
    ValueDescription,
    energy_counter,
    measurement,
)
from .const import VENDOR


@dataclass(frozen=True, kw_only=True)
class FusionSolarSensorDescription[T](
    ValueDescription[T], CounterDescription, SensorEntityDescription
):
    """A sensor of one value of a plant's or device's real-time data."""

    monetary: bool = False
    """The value is money, in the currency Home Assistant is set to."""


_V = UnitOfElectricPotential.VOLT
_A = UnitOfElectricCurrent.AMPERE


def _energy(
    key: str,
    value_fn: Callable[[Any], StateType],
    counter: CounterKind,
    *,
    production: bool = False,
) -> FusionSolarSensorDescription[Any]:
    return FusionSolarSensorDescription(
        **energy_counter(VENDOR, key, counter, precision=2, production=production),
        value_fn=value_fn,
    )


def _measurement(
    key: str,
    value_fn: Callable[[Any], StateType],
    device_class: SensorDeviceClass | None,
    unit: str | None,
    *,
    precision: int | None = None,
    shared_name: str | None = None,
    **kwargs: Any,
) -> FusionSolarSensorDescription[Any]:
    return FusionSolarSensorDescription(
        **measurement(
            VENDOR,
            key,
            device_class,
            unit,
            precision=precision,
            shared_name=shared_name,
        ),
        value_fn=value_fn,
        **kwargs,
    )


def _watts(
    key: str, value_fn: Callable[[Any], StateType], **kwargs: Any
) -> FusionSolarSensorDescription[Any]:
    return _measurement(
        key, value_fn, SensorDeviceClass.POWER, UnitOfPower.WATT, **kwargs
    )


def _volts(
    key: str, value_fn: Callable[[Any], StateType], **kwargs: Any
) -> FusionSolarSensorDescription[Any]:
    return _measurement(key, value_fn, SensorDeviceClass.VOLTAGE, _V, **kwargs)


def _amperes(
    key: str, value_fn: Callable[[Any], StateType], **kwargs: Any
) -> FusionSolarSensorDescription[Any]:
    return _measurement(key, value_fn, SensorDeviceClass.CURRENT, _A, **kwargs)


def _enum(
    key: str, value_fn: Callable[[Any], StateType], options: list[str]
) -> FusionSolarSensorDescription[Any]:
    return FusionSolarSensorDescription(
        key=key,
        translation_key=f"fusionsolar_{key}",
        device_class=SensorDeviceClass.ENUM,
        options=options,
        value_fn=value_fn,
    )


def _positive(value: float | None) -> float | None:
    return None if value is None else (value if value > 0 else 0.0)


def _negated(value: float | None) -> float | None:
    return None if value is None else 0.0 - value


def _phases(
    factory: Callable[..., FusionSolarSensorDescription[Any]],
    stem: str,
    phases: tuple[str, ...],
    **kwargs: Any,
) -> tuple[FusionSolarSensorDescription[Any], ...]:
    """Return ``factory``'s sensor of the field ``<stem>_<phase>`` of each phase."""
    return tuple(
        factory(f"{stem}_{phase}", attrgetter(f"{stem}_{phase}"), **kwargs)
        for phase in phases
    )


_LIFETIME = CounterKind.LIFETIME
_DAILY = CounterKind.DAILY


# Inverters and meters alike.
_GRID_FREQUENCY = _measurement(
    "grid_frequency",
    lambda k: k.frequency,
    SensorDeviceClass.FREQUENCY,
    UnitOfFrequency.HERTZ,
)
_POWER_FACTOR = _measurement(
    "power_factor", lambda k: k.power_factor, SensorDeviceClass.POWER_FACTOR, None
)

PLANT_SENSORS: tuple[FusionSolarSensorDescription[PlantKpi], ...] = (
    _energy("day_energy", lambda k: k.day_energy, _DAILY, production=True),
    _energy(
        "month_energy", lambda k: k.month_energy, CounterKind.MONTHLY, production=True
    ),
    _energy("total_energy", lambda k: k.total_energy, _LIFETIME, production=True),
    _energy("day_feed_in", lambda k: k.day_feed_in, _DAILY),
    _energy("day_consumption", lambda k: k.day_consumption, _DAILY),
    FusionSolarSensorDescription(
        key="day_income",
        translation_key="fusionsolar_day_income",
        device_class=SensorDeviceClass.MONETARY,
        state_class=SensorStateClass.TOTAL,
        suggested_display_precision=2,
        monetary=True,
        value_fn=lambda k: k.day_income,
    ),
    FusionSolarSensorDescription(
        key="total_income",
        translation_key="fusionsolar_total_income",
        device_class=SensorDeviceClass.MONETARY,
        state_class=SensorStateClass.TOTAL,
        suggested_display_precision=2,
        monetary=True,
        entity_registry_enabled_default=False,
        value_fn=lambda k: k.total_income,
    ),
    _enum(
        "health",
        lambda k: None if k.health is None else k.health.value,
        [state.value for state in HealthState],
    ),
)

INVERTER_SENSORS: tuple[FusionSolarSensorDescription[InverterKpi], ...] = (
    _measurement(
        "inverter_power",
        lambda k: k.active_power,
        SensorDeviceClass.POWER,
        UnitOfPower.KILO_WATT,
        precision=3,
    ),
    _energy("inverter_day_energy", lambda k: k.day_energy, _DAILY, production=True),
    _energy(
        "inverter_total_energy", lambda k: k.total_energy, _LIFETIME, production=True
    ),
    _enum(
        "inverter_state",
        lambda k: k.state,
        sorted(set(INVERTER_STATES.values())),
    ),
    _measurement("efficiency", lambda k: k.efficiency, None, PERCENTAGE),
    _measurement(
        "internal_temperature",
        lambda k: k.temperature,
        SensorDeviceClass.TEMPERATURE,
        UnitOfTemperature.CELSIUS,
    ),
    _POWER_FACTOR,
    _GRID_FREQUENCY,
    *_phases(_volts, "voltage", ("a", "b", "c")),
    *_phases(
        _volts, "voltage", ("ab", "bc", "ca"), entity_registry_enabled_default=False
    ),
    *_phases(_amperes, "current", ("a", "b", "c")),
    _measurement(
        "reactive_power",
        lambda k: k.reactive_power,
        SensorDeviceClass.REACTIVE_POWER,
        UnitOfReactivePower.KILO_VOLT_AMPERE_REACTIVE,
        entity_registry_enabled_default=False,
    ),
    _measurement(
        "input_power",
        lambda k: k.mppt_power,
        SensorDeviceClass.POWER,
        UnitOfPower.KILO_WATT,
        entity_registry_enabled_default=False,
    ),
)

BATTERY_SENSORS: tuple[FusionSolarSensorDescription[BatteryKpi], ...] = (
    _measurement(
        "state_of_charge", lambda k: k.soc, SensorDeviceClass.BATTERY, PERCENTAGE
    ),
    _measurement(
        "state_of_health",
        lambda k: k.soh,
        None,
        PERCENTAGE,
        entity_category=EntityCategory.DIAGNOSTIC,
    ),
    # Positive while discharging (Huawei: while charging).
    _watts("battery_power", lambda k: _negated(k.power)),
    _watts("charge_power", lambda k: _positive(k.power)),
    _watts(
        "discharge_power", lambda k: None if k.power is None else _positive(-k.power)
    ),
    _energy("day_charged", lambda k: k.day_charged, _DAILY),
    _energy("day_discharged", lambda k: k.day_discharged, _DAILY),
    _energy("total_charged", lambda k: k.total_charged, _LIFETIME),
    _energy("total_discharged", lambda k: k.total_discharged, _LIFETIME),
    _enum(
        "battery_status",
        lambda k: None if k.status is None else k.status.value,
        [status.value for status in BatteryStatus],
    ),
    _enum(
        "battery_working_mode",
        lambda k: None if k.working_mode is None else k.working_mode.value,
        [mode.value for mode in BatteryWorkingMode],
    ),
    _volts(
        "battery_voltage",
        lambda k: k.voltage,
        entity_registry_enabled_default=False,
    ),
    _watts(
        "max_charge_power",
        lambda k: k.max_charge_power,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
    ),
    _watts(
        "max_discharge_power",
        lambda k: k.max_discharge_power,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
    ),
    FusionSolarSensorDescription(
        key="rated_capacity",
        translation_key="fusionsolar_rated_capacity",
        device_class=SensorDeviceClass.ENERGY_STORAGE,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda k: k.rated_capacity,
    ),
)

METER_SENSORS: tuple[FusionSolarSensorDescription[MeterKpi], ...] = (
    # Positive while importing (Huawei: while exporting).
    _watts("grid_power", lambda k: _negated(k.power)),
    _watts("import_power", lambda k: k.import_power),
    _watts("export_power", lambda k: k.export_power),
    _energy("imported_energy", lambda k: k.imported_energy, _LIFETIME),
    _energy("exported_energy", lambda k: k.exported_energy, _LIFETIME),
    _volts("voltage", lambda k: k.voltage),
    _amperes("current", lambda k: k.current),
    # The first phase is "voltage" and "current" above.
    *_phases(_volts, "voltage", ("b", "c"), entity_registry_enabled_default=False),
    *_phases(_amperes, "current", ("b", "c"), entity_registry_enabled_default=False),
    _GRID_FREQUENCY,
    _POWER_FACTOR,
    _measurement(
        "reactive_power",
        lambda k: k.reactive_power,
        SensorDeviceClass.REACTIVE_POWER,
        UnitOfReactivePower.VOLT_AMPERE_REACTIVE,
        entity_registry_enabled_default=False,
    ),
)

EMI_SENSORS: tuple[FusionSolarSensorDescription[EmiKpi], ...] = (
    _measurement(
        "irradiance",
        lambda k: k.irradiance,
        SensorDeviceClass.IRRADIANCE,
        UnitOfIrradiance.WATTS_PER_SQUARE_METER,
    ),
    _measurement(
        "horizontal_irradiance",
        lambda k: k.horizontal_irradiance,
        SensorDeviceClass.IRRADIANCE,
        UnitOfIrradiance.WATTS_PER_SQUARE_METER,
        entity_registry_enabled_default=False,
    ),
    _measurement(
        "ambient_temperature",
        lambda k: k.temperature,
        SensorDeviceClass.TEMPERATURE,
        UnitOfTemperature.CELSIUS,
    ),
    _measurement(
        "module_temperature",
        lambda k: k.pv_temperature,
        SensorDeviceClass.TEMPERATURE,
        UnitOfTemperature.CELSIUS,
    ),
    _measurement(
        "wind_speed",
        lambda k: k.wind_speed,
        SensorDeviceClass.WIND_SPEED,
        UnitOfSpeed.METERS_PER_SECOND,
    ),
    FusionSolarSensorDescription(
        key="wind_direction",
        translation_key="fusionsolar_wind_direction",
        device_class=SensorDeviceClass.WIND_DIRECTION,
        state_class=SensorStateClass.MEASUREMENT_ANGLE,
        native_unit_of_measurement=DEGREE,
        value_fn=lambda k: k.wind_direction,
    ),
)


_BY_MODEL: dict[type, tuple[FusionSolarSensorDescription[Any], ...]] = {
    InverterKpi: INVERTER_SENSORS,
    BatteryKpi: BATTERY_SENSORS,
    MeterKpi: METER_SENSORS,
    EmiKpi: EMI_SENSORS,
}


def _string_sensors(
    number: int,
) -> tuple[FusionSolarSensorDescription[InverterKpi], ...]:
    """Return the voltage and current sensors of PV string ``number``."""
    placeholders = {"string": str(number)}

    def voltage(kpi: InverterKpi) -> StateType:
        string = kpi.strings.get(number)
        return None if string is None else string.voltage

    def current(kpi: InverterKpi) -> StateType:
        string = kpi.strings.get(number)
        return None if string is None else string.current

    return (
        _volts(
            f"pv{number}_voltage",
            voltage,
            shared_name="pv_voltage",
            translation_placeholders=placeholders,
            entity_registry_enabled_default=False,
        ),
        _amperes(
            f"pv{number}_current",
            current,
            shared_name="pv_current",
            translation_placeholders=placeholders,
            entity_registry_enabled_default=False,
        ),
    )


def device_descriptions(kpi: DeviceKpi) -> Iterator[FusionSolarSensorDescription[Any]]:
    """Return the sensors a device with this data has."""
    descriptions: tuple[FusionSolarSensorDescription[Any], ...] = _BY_MODEL[type(kpi)]
    yield from (d for d in descriptions if d.exists(kpi))
    if isinstance(kpi, InverterKpi):
        # Only strings that something is connected to: unused inputs report 0.
        for number, string in kpi.strings.items():
            if string.in_use:
                yield from _string_sensors(number)


ALARMS = SensorEntityDescription(
    key="active_alarms",
    translation_key="fusionsolar_active_alarms",
    state_class=SensorStateClass.MEASUREMENT,
)
