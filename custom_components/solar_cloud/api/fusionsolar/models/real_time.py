"""Real-time KPIs of plants and of each kind of device."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
import re
from typing import Any

from ..const import BATTERY_TYPES, INVERTER_TYPES, METER_TYPES, DeviceType
from ..values import as_code, as_dict, as_float, as_int, as_str


class HealthState(StrEnum):
    """``real_health_state`` of a plant (option keys: never rename)."""

    DISCONNECTED = "disconnected"
    FAULTY = "faulty"
    HEALTHY = "healthy"


_HEALTH_STATES = {
    1: HealthState.DISCONNECTED,
    2: HealthState.FAULTY,
    3: HealthState.HEALTHY,
}


@dataclass(frozen=True, kw_only=True)
class PlantKpi:
    """Real-time KPIs of a plant (energies in kWh, incomes in the plant currency)."""

    plant_code: str
    day_energy: float | None = None
    month_energy: float | None = None
    total_energy: float | None = None
    day_income: float | None = None
    total_income: float | None = None
    health: HealthState | None = None
    day_feed_in: float | None = None
    day_consumption: float | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> PlantKpi | None:
        """Read an item of ``getStationRealKpi``."""
        if (code := as_str(data.get("stationCode"))) is None:
            return None
        items = as_dict(data.get("dataItemMap"))
        return cls(
            plant_code=code,
            day_energy=as_float(items.get("day_power")),
            month_energy=as_float(items.get("month_power")),
            total_energy=as_float(items.get("total_power")),
            day_income=as_float(items.get("day_income")),
            total_income=as_float(items.get("total_income")),
            health=as_code(items.get("real_health_state"), _HEALTH_STATES),
            day_feed_in=as_float(items.get("day_on_grid_energy")),
            day_consumption=as_float(items.get("day_use_energy")),
        )


INVERTER_STATES: dict[int, str] = {
    0: "standby_initializing",
    1: "standby_insulation_detecting",
    2: "standby_irradiation_detecting",
    3: "standby_grid_detecting",
    256: "starting",
    512: "grid_connected",
    513: "grid_connected_power_limited",
    514: "grid_connected_self_derating",
    768: "shutdown_fault",
    769: "shutdown_on_command",
    770: "shutdown_ovgr",
    771: "shutdown_communication_interrupted",
    772: "shutdown_power_limited",
    773: "shutdown_manual_startup_required",
    774: "shutdown_dc_switch_off",
    1025: "grid_scheduling_cosphi_p",
    1026: "grid_scheduling_q_u",
    1280: "ready_for_terminal_test",
    1281: "terminal_testing",
    1536: "inspecting",
    1792: "afci_self_check",
    2048: "iv_scanning",
    2304: "dc_input_detection",
    40960: "standby_no_irradiation",
    45056: "communication_interrupted",
    49152: "loading",
}
"""Table 6-1 of the Northbound reference: ``inverter_state`` -> option key."""


def _connected(items: Mapping[str, Any]) -> bool | None:
    """Read ``run_state``: 1 connected, anything else disconnected."""
    run_state = as_int(items.get("run_state"))
    return None if run_state is None else run_state == 1


_PV_KEY = re.compile(r"^pv(\d+)_([ui])$")


@dataclass(frozen=True, kw_only=True)
class PvString:
    """Voltage (V) and current (A) of one PV string input."""

    voltage: float | None = None
    current: float | None = None

    @property
    def in_use(self) -> bool:
        """Return whether anything is connected (unused inputs report 0)."""
        return bool(self.voltage) or bool(self.current)


@dataclass(frozen=True, kw_only=True)
class InverterKpi:
    """Real-time data of an inverter (type 1 or 38)."""

    state: str | None = None
    connected: bool | None = None
    active_power: float | None = None
    """kW."""
    reactive_power: float | None = None
    """kvar."""
    day_energy: float | None = None
    total_energy: float | None = None
    efficiency: float | None = None
    temperature: float | None = None
    power_factor: float | None = None
    frequency: float | None = None
    voltage_ab: float | None = None
    voltage_bc: float | None = None
    voltage_ca: float | None = None
    voltage_a: float | None = None
    voltage_b: float | None = None
    voltage_c: float | None = None
    current_a: float | None = None
    current_b: float | None = None
    current_c: float | None = None
    mppt_power: float | None = None
    """kW."""
    strings: Mapping[int, PvString] = field(default_factory=dict)

    @classmethod
    def from_api(cls, items: Mapping[str, Any]) -> InverterKpi:
        """Read the ``dataItemMap`` of an inverter."""
        raw_strings: dict[int, dict[str, float | None]] = {}
        for key, value in items.items():
            if match := _PV_KEY.match(key):
                number, quantity = int(match.group(1)), match.group(2)
                raw_strings.setdefault(number, {})[quantity] = as_float(value)
        return cls(
            state=as_code(items.get("inverter_state"), INVERTER_STATES),
            connected=_connected(items),
            active_power=as_float(items.get("active_power")),
            reactive_power=as_float(items.get("reactive_power")),
            day_energy=as_float(items.get("day_cap")),
            total_energy=as_float(items.get("total_cap")),
            efficiency=as_float(items.get("efficiency")),
            temperature=as_float(items.get("temperature")),
            power_factor=as_float(items.get("power_factor")),
            frequency=as_float(items.get("elec_freq")),
            voltage_ab=as_float(items.get("ab_u")),
            voltage_bc=as_float(items.get("bc_u")),
            voltage_ca=as_float(items.get("ca_u")),
            voltage_a=as_float(items.get("a_u")),
            voltage_b=as_float(items.get("b_u")),
            voltage_c=as_float(items.get("c_u")),
            current_a=as_float(items.get("a_i")),
            current_b=as_float(items.get("b_i")),
            current_c=as_float(items.get("c_i")),
            mppt_power=as_float(items.get("mppt_power")),
            strings={
                number: PvString(voltage=values.get("u"), current=values.get("i"))
                for number, values in sorted(raw_strings.items())
            },
        )


class BatteryStatus(StrEnum):
    """``battery_status`` of a battery (option keys: never rename)."""

    OFFLINE = "offline"
    STANDBY = "standby"
    RUNNING = "running"
    FAULTY = "faulty"
    HIBERNATING = "hibernating"


_BATTERY_STATUSES = dict(enumerate(BatteryStatus))


class BatteryWorkingMode(StrEnum):
    """``ch_discharge_model``: how the battery is run (option keys: never rename)."""

    NONE = "none"
    FORCED = "forced"
    TIME_OF_USE = "time_of_use"
    FIXED = "fixed"
    AUTOMATIC = "automatic"


_WORKING_MODES = dict(enumerate(BatteryWorkingMode))


@dataclass(frozen=True, kw_only=True)
class BatteryKpi:
    """Real-time data of a battery (type 39) or an ESS (type 41)."""

    status: BatteryStatus | None = None
    connected: bool | None = None
    soc: float | None = None
    soh: float | None = None
    power: float | None = None
    """W; positive while charging, negative while discharging."""
    max_charge_power: float | None = None
    max_discharge_power: float | None = None
    voltage: float | None = None
    working_mode: BatteryWorkingMode | None = None
    day_charged: float | None = None
    day_discharged: float | None = None
    total_charged: float | None = None
    total_discharged: float | None = None
    rated_capacity: float | None = None

    @classmethod
    def from_api(cls, items: Mapping[str, Any]) -> BatteryKpi:
        """Read the ``dataItemMap`` of a battery."""
        return cls(
            status=as_code(items.get("battery_status"), _BATTERY_STATUSES),
            connected=_connected(items),
            soc=as_float(items.get("battery_soc")),
            # A battery that cannot tell reports SOH 0 (seen in real data).
            soh=as_float(items.get("battery_soh")) or None,
            power=as_float(items.get("ch_discharge_power")),
            max_charge_power=as_float(items.get("max_charge_power")),
            max_discharge_power=as_float(items.get("max_discharge_power")),
            voltage=as_float(items.get("busbar_u")),
            working_mode=as_code(items.get("ch_discharge_model"), _WORKING_MODES),
            day_charged=as_float(items.get("charge_cap")),
            day_discharged=as_float(items.get("discharge_cap")),
            total_charged=as_float(items.get("total_charged_energy")),
            total_discharged=as_float(items.get("total_discharged_energy")),
            rated_capacity=as_float(items.get("rated_capacity")),
        )


@dataclass(frozen=True, kw_only=True)
class MeterKpi:
    """Real-time data of a grid meter (17), power sensor (47) or EMMA (23070).

    Huawei's meters count from the grid's side: a positive ``power`` is feed-in
    (export), ``exported_energy`` is their "positive active energy"
    (``active_cap``) and ``imported_energy`` the "negative" one
    (``reverse_active_cap``).
    """

    online: bool | None = None
    power: float | None = None
    """W; positive while exporting, negative while importing."""
    reactive_power: float | None = None
    power_factor: float | None = None
    frequency: float | None = None
    voltage: float | None = None
    voltage_b: float | None = None
    voltage_c: float | None = None
    current: float | None = None
    current_b: float | None = None
    current_c: float | None = None
    exported_energy: float | None = None
    imported_energy: float | None = None

    @property
    def import_power(self) -> float | None:
        """Return the power drawn from the grid (W, never negative)."""
        return None if self.power is None else (-self.power if self.power < 0 else 0.0)

    @property
    def export_power(self) -> float | None:
        """Return the power fed into the grid (W, never negative)."""
        return None if self.power is None else (self.power if self.power > 0 else 0.0)

    @classmethod
    def from_api(cls, type_id: int, items: Mapping[str, Any]) -> MeterKpi:
        """Read the ``dataItemMap`` of a meter of type ``type_id``."""
        power = as_float(items.get("active_power"))
        # The EMMA reports kW; the power sensor, and the grid meter since
        # 24.7.0, report W.
        if power is not None and type_id == DeviceType.EMMA:
            power = round(power * 1000, 3)
        status = as_int(items.get("meter_status"))
        voltage = as_float(items.get("meter_u"))
        current = as_float(items.get("meter_i"))
        return cls(
            online=None if status is None else status == 1,
            power=power,
            reactive_power=as_float(items.get("reactive_power")),
            power_factor=as_float(items.get("power_factor")),
            frequency=as_float(items.get("grid_frequency")),
            voltage=voltage if voltage is not None else as_float(items.get("a_u")),
            voltage_b=as_float(items.get("b_u")),
            voltage_c=as_float(items.get("c_u")),
            current=current if current is not None else as_float(items.get("a_i")),
            current_b=as_float(items.get("b_i")),
            current_c=as_float(items.get("c_i")),
            exported_energy=as_float(items.get("active_cap")),
            imported_energy=as_float(items.get("reverse_active_cap")),
        )


@dataclass(frozen=True, kw_only=True)
class EmiKpi:
    """Real-time data of an environmental monitoring instrument (type 10)."""

    temperature: float | None = None
    pv_temperature: float | None = None
    wind_speed: float | None = None
    wind_direction: float | None = None
    irradiance: float | None = None
    """W/m²."""
    horizontal_irradiance: float | None = None
    daily_irradiation: float | None = None
    """MJ/m²."""

    @classmethod
    def from_api(cls, items: Mapping[str, Any]) -> EmiKpi:
        """Read the ``dataItemMap`` of an EMI."""
        return cls(
            temperature=as_float(items.get("temperature")),
            pv_temperature=as_float(items.get("pv_temperature")),
            wind_speed=as_float(items.get("wind_speed")),
            wind_direction=as_float(items.get("wind_direction")),
            irradiance=as_float(items.get("radiant_line")),
            horizontal_irradiance=as_float(items.get("horiz_radiant_line")),
            daily_irradiation=as_float(items.get("radiant_total")),
        )


type DeviceKpi = InverterKpi | BatteryKpi | MeterKpi | EmiKpi


def device_kpi_from_api(type_id: int, items: Mapping[str, Any]) -> DeviceKpi | None:
    """Return the typed real-time data of a device of type ``type_id``."""
    if type_id in INVERTER_TYPES:
        return InverterKpi.from_api(items)
    if type_id in BATTERY_TYPES:
        return BatteryKpi.from_api(items)
    if type_id in METER_TYPES:
        return MeterKpi.from_api(type_id, items)
    if type_id == DeviceType.EMI:
        return EmiKpi.from_api(items)
    return None
