"""Typed models of what the Northbound API returns.

Every ``from_api`` takes the JSON of one item as the API sends it and returns
a model with plain Python values in fixed units, or None when the item lacks
what identifies it. Unknown or unreadable values become None.

The models of the inventory (plants, devices) also turn into plain data and
back (``as_dict``/``from_dict``), for the copy kept over restarts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, time
from enum import StrEnum
import re
from typing import Any

from .const import (
    BATTERY_TYPES,
    INVERTER_TYPES,
    METER_TYPES,
    BatteryMode,
    DeviceType,
    LimitationMode,
    PowerControlMode,
    PvSurplus,
    TaskStatus,
)
from .values import (
    as_datetime_iso,
    as_datetime_ms,
    as_dict,
    as_float,
    as_int,
    as_list,
    as_str,
)

# Plants ---------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Plant:
    """A plant (station) of the account."""

    code: str
    name: str
    address: str | None = None
    capacity_kw: float | None = None
    latitude: float | None = None
    longitude: float | None = None
    grid_connected: datetime | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Plant | None:
        """Read an item of ``/thirdData/stations`` (capacity in kWp)."""
        if (code := as_str(data.get("plantCode"))) is None:
            return None
        return cls(
            code=code,
            name=as_str(data.get("plantName")) or code,
            address=as_str(data.get("plantAddress")),
            capacity_kw=as_float(data.get("capacity")),
            latitude=as_float(data.get("latitude")),
            longitude=as_float(data.get("longitude")),
            grid_connected=as_datetime_iso(data.get("gridConnectionDate")),
        )

    @classmethod
    def from_legacy_api(cls, data: Mapping[str, Any]) -> Plant | None:
        """Read an item of the older ``getStationList`` (capacity in MWp)."""
        if (code := as_str(data.get("stationCode"))) is None:
            return None
        capacity_mw = as_float(data.get("capacity"))
        return cls(
            code=code,
            name=as_str(data.get("stationName")) or code,
            address=as_str(data.get("stationAddr")),
            capacity_kw=None if capacity_mw is None else round(capacity_mw * 1000, 3),
        )

    def as_dict(self) -> dict[str, Any]:
        """Return the plant as plain data (:meth:`from_dict` reads it back)."""
        connected = self.grid_connected
        return asdict(self) | {
            "grid_connected": None if connected is None else connected.isoformat()
        }

    @classmethod
    def from_dict(cls, data: Any) -> Plant:
        """Read what :meth:`as_dict` returned.

        Raises:
            ValueError: ``data`` is no plant.

        """
        data = as_dict(data)
        code, name = as_str(data.get("code")), as_str(data.get("name"))
        if code is None or name is None:
            raise ValueError(f"Not a plant: {data!r}")
        return cls(
            code=code,
            name=name,
            address=as_str(data.get("address")),
            capacity_kw=as_float(data.get("capacity_kw")),
            latitude=as_float(data.get("latitude")),
            longitude=as_float(data.get("longitude")),
            grid_connected=as_datetime_iso(data.get("grid_connected")),
        )


@dataclass(frozen=True, kw_only=True)
class PlantPage:
    """One page of the plant list."""

    plants: tuple[Plant, ...]
    total: int
    page_count: int


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
            health=_HEALTH_STATES.get(as_int(items.get("real_health_state")) or 0),
            day_feed_in=as_float(items.get("day_on_grid_energy")),
            day_consumption=as_float(items.get("day_use_energy")),
        )


# Devices --------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Device:
    """A device of a plant, as the device list reports it."""

    id: int
    name: str
    plant_code: str
    type_id: int
    serial: str | None = None
    model: str | None = None
    software_version: str | None = None

    @property
    def key(self) -> str:
        """Return the device id as a string (ids can be negative)."""
        return str(self.id)

    @property
    def device_type(self) -> DeviceType | None:
        """Return the known device type, or None for types not read here."""
        try:
            return DeviceType(self.type_id)
        except ValueError:
            return None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Device | None:
        """Read an item of ``getDevList``."""
        device_id = as_int(data.get("id"))
        plant_code = as_str(data.get("stationCode"))
        type_id = as_int(data.get("devTypeId"))
        if device_id is None or plant_code is None or type_id is None:
            return None
        return cls(
            id=device_id,
            name=as_str(data.get("devName")) or str(device_id),
            plant_code=plant_code,
            type_id=type_id,
            serial=as_str(data.get("esnCode")),
            # "model" since 24.7.0; inverters also name theirs in invType.
            model=as_str(data.get("model")) or as_str(data.get("invType")),
            software_version=as_str(data.get("softwareVersion")),
        )

    def as_dict(self) -> dict[str, Any]:
        """Return the device as plain data (:meth:`from_dict` reads it back)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> Device:
        """Read what :meth:`as_dict` returned.

        Raises:
            ValueError: ``data`` is no device.

        """
        data = as_dict(data)
        device_id, type_id = as_int(data.get("id")), as_int(data.get("type_id"))
        name, plant_code = as_str(data.get("name")), as_str(data.get("plant_code"))
        if device_id is None or type_id is None or name is None or plant_code is None:
            raise ValueError(f"Not a device: {data!r}")
        return cls(
            id=device_id,
            name=name,
            plant_code=plant_code,
            type_id=type_id,
            serial=as_str(data.get("serial")),
            model=as_str(data.get("model")),
            software_version=as_str(data.get("software_version")),
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
        state = as_int(items.get("inverter_state"))
        run_state = as_int(items.get("run_state"))
        return cls(
            state=None if state is None else INVERTER_STATES.get(state),
            connected=None if run_state is None else run_state == 1,
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
        run_state = as_int(items.get("run_state"))
        status = as_int(items.get("battery_status"))
        mode = as_int(items.get("ch_discharge_model"))
        return cls(
            status=None if status is None else _BATTERY_STATUSES.get(status),
            connected=None if run_state is None else run_state == 1,
            soc=as_float(items.get("battery_soc")),
            # A battery that cannot tell reports SOH 0 (seen in real data).
            soh=as_float(items.get("battery_soh")) or None,
            power=as_float(items.get("ch_discharge_power")),
            max_charge_power=as_float(items.get("max_charge_power")),
            max_discharge_power=as_float(items.get("max_discharge_power")),
            voltage=as_float(items.get("busbar_u")),
            working_mode=None if mode is None else _WORKING_MODES.get(mode),
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


# Alarms ---------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Alarm:
    """An alarm of a plant's device."""

    plant_code: str
    alarm_id: int | None
    name: str | None
    device_name: str | None
    level: int | None
    """1 critical, 2 major, 3 minor, 4 warning."""
    status: int | None
    """1 active (not processed) … 6 cleared automatically."""
    raised: datetime | None

    @property
    def active(self) -> bool:
        """Return whether nobody has dealt with the alarm yet."""
        return self.status == 1

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Alarm | None:
        """Read an item of ``getAlarmList``."""
        if (code := as_str(data.get("stationCode"))) is None:
            return None
        return cls(
            plant_code=code,
            alarm_id=as_int(data.get("alarmId")),
            name=as_str(data.get("alarmName")),
            device_name=as_str(data.get("devName")),
            level=as_int(data.get("lev")),
            status=as_int(data.get("status")),
            raised=as_datetime_ms(data.get("raiseTime")),
        )


# Control and configuration -------------------------------------------------


def _enum[E: StrEnum](kind: type[E], value: Any) -> E | None:
    try:
        return kind(value)
    except ValueError:
        return None


@dataclass(frozen=True, kw_only=True)
class TimeWindow:
    """A charge or discharge window of the time-of-use battery mode."""

    start: time
    end: time
    charge: bool
    """True: charge in the window; False: discharge."""
    days: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7)
    """ISO weekdays (1 Monday … 7 Sunday) the window repeats on."""

    def to_api(self) -> dict[str, Any]:
        """Return the window as the battery-mode task takes it."""
        return {
            "startTime": self.start.strftime("%H:%M"),
            "endTime": self.end.strftime("%H:%M"),
            "chargeOrDischarge": "charge" if self.charge else "discharge",
            "repeat": list(self.days),
        }

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> TimeWindow | None:
        """Read a window of the battery-mode query or task info."""
        try:
            start = time.fromisoformat(str(data.get("startTime")))
            end = time.fromisoformat(str(data.get("endTime")))
        except ValueError:
            return None
        days = tuple(
            day
            for day in (as_int(value) for value in as_list(data.get("repeat")))
            if day is not None and 1 <= day <= 7
        )
        return cls(
            start=start,
            end=end,
            charge=data.get("chargeOrDischarge") != "discharge",
            days=days or (1, 2, 3, 4, 5, 6, 7),
        )

    def minutes(self) -> tuple[int, int]:
        """Return start and end as minutes of the day (end 0 means midnight)."""
        end = self.end.hour * 60 + self.end.minute
        return self.start.hour * 60 + self.start.minute, end or 24 * 60


@dataclass(frozen=True, kw_only=True)
class BatteryModeSettings:
    """The battery working mode of a plant, with its time-of-use parameters."""

    mode: BatteryMode | None
    pv_surplus: PvSurplus | None = None
    max_grid_charge_power: float | None = None
    """kW the battery may charge from the grid (time-of-use)."""
    windows: tuple[TimeWindow, ...] = ()

    def to_api(self, plant_code: str) -> dict[str, Any]:
        """Return the task of setting this mode on a plant."""
        task: dict[str, Any] = {"plantCode": plant_code, "operationMode": self.mode}
        if self.pv_surplus is not None:
            task["redundantPVEnergyPriority"] = self.pv_surplus
        if self.max_grid_charge_power is not None:
            task["allowedAcChargePower"] = self.max_grid_charge_power
        if self.windows:
            task["chargingAndDischargingTimeWindow"] = [
                window.to_api() for window in self.windows
            ]
        return task

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> BatteryModeSettings:
        """Read the battery-mode query (TOU details nested) or a task result."""
        details = as_dict(data.get("touOperationModeParamDetail")) or data
        mode = _enum(BatteryMode, data.get("operationMode"))
        if mode is None and data.get("operationMode") is not None:
            mode = BatteryMode.OTHER
        return cls(
            mode=mode,
            pv_surplus=_enum(PvSurplus, details.get("redundantPVEnergyPriority")),
            max_grid_charge_power=as_float(details.get("allowedAcChargePower")),
            windows=tuple(
                window
                for window in (
                    TimeWindow.from_api(as_dict(item))
                    for item in as_list(details.get("chargingAndDischargingTimeWindow"))
                )
                if window is not None
            ),
        )


@dataclass(frozen=True, kw_only=True)
class PowerControlSettings:
    """How a plant's inverters limit the power fed into the grid."""

    mode: PowerControlMode | None
    limitation: LimitationMode | None = None
    max_feed_in: float | None = None
    """kW (limited feed-in)."""
    max_feed_in_percent: float | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> PowerControlSettings:
        """Read the active-power-control-mode query."""
        mode = _enum(PowerControlMode, data.get("controlMode"))
        if mode is None and data.get("controlMode") is not None:
            mode = PowerControlMode.OTHER
        params = (
            as_dict(data.get("limitedPowerGridValueParam"))
            or as_dict(data.get("limitedPowerGridPercentParam"))
            or as_dict(data.get("zeroExportLimitationParam"))
        )
        return cls(
            mode=mode,
            limitation=_enum(LimitationMode, params.get("limitationMode")),
            max_feed_in=as_float(params.get("maxGridFeedInPowerValue")),
            max_feed_in_percent=as_float(params.get("maxGridFeedInPowerPercent")),
        )

    @classmethod
    def from_task_api(cls, data: Mapping[str, Any]) -> PowerControlSettings:
        """Read the settings of a v2 active-power-control task ("0" or "6")."""
        info = as_dict(data.get("controlInfo"))
        if str(data.get("controlMode")) == "0":
            return cls(mode=PowerControlMode.NO_LIMIT)
        limitation = str(info.get("limitationMode", "0"))
        return cls(
            mode=PowerControlMode.LIMITED_KW,
            limitation=(
                LimitationMode.SINGLE_PHASE
                if limitation == "1"
                else LimitationMode.TOTAL
            ),
            max_feed_in=as_float(info.get("maxGridFeedInPower")),
        )

    def to_task_api(self, plant_code: str) -> dict[str, Any]:
        """Return the v2 task setting this limit (only no limit or kW)."""
        if self.mode is not PowerControlMode.LIMITED_KW:
            return {"plantCode": plant_code, "controlMode": "0"}
        return {
            "plantCode": plant_code,
            "controlMode": "6",
            "controlInfo": {
                "maxGridFeedInPower": self.max_feed_in,
                "limitationMode": (
                    "1" if self.limitation is LimitationMode.SINGLE_PHASE else "0"
                ),
            },
        }


@dataclass(frozen=True, kw_only=True)
class BatteryConfiguration:
    """Plant-level battery parameters (any may be left out of a task)."""

    end_of_charge_soc: float | None = None
    end_of_discharge_soc: float | None = None
    max_charge_power: float | None = None
    """W."""
    max_discharge_power: float | None = None
    """W."""

    def to_api(self) -> dict[str, float]:
        """Return the parameters that are set, as the task takes them."""
        values = {
            "endOfChargeSoc": self.end_of_charge_soc,
            "endOfDischargeSoc": self.end_of_discharge_soc,
            "maximumChargePower": self.max_charge_power,
            "maximumDischargePower": self.max_discharge_power,
        }
        return {key: value for key, value in values.items() if value is not None}

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> BatteryConfiguration:
        """Read ``batteryConfigurationInfo`` (camelCase, or snake_case as some send)."""

        def value(camel: str, snake: str) -> float | None:
            return as_float(data.get(camel, data.get(snake)))

        return cls(
            end_of_charge_soc=value("endOfChargeSoc", "end_of_charge_soc"),
            end_of_discharge_soc=value("endOfDischargeSoc", "end_of_discharge_soc"),
            max_charge_power=value("maximumChargePower", "maximum_charge_power"),
            max_discharge_power=value(
                "maximumDischargePower", "maximum_discharge_power"
            ),
        )


@dataclass(frozen=True, kw_only=True)
class TaskDelivery:
    """The answer to delivering a control task to one plant."""

    task_id: str
    status: TaskStatus
    message: str | None = None


@dataclass(frozen=True, kw_only=True)
class TaskInfo:
    """The state of a control task at one plant."""

    task_id: str
    status: TaskStatus
    message: str | None = None
    """Why it failed: FAILURE, TIMEOUT, BUSY, INVALID or EXCEPTION."""
    started: datetime | None = None
    ended: datetime | None = None
    result: Mapping[str, Any] = field(default_factory=dict)
    """The plant's entry of ``dispatchResult`` (the settings it carries)."""


class DispatchStatus(StrEnum):
    """State of a forced charge or discharge at a plant."""

    DONE = "done"
    RUNNING = "running"
    FAILED = "failed"


_DISPATCH_STATUSES = dict(enumerate(DispatchStatus))


@dataclass(frozen=True, kw_only=True)
class ChargeDischargeDelivery:
    """The answer to delivering a forced charge or discharge to one plant."""

    request_id: int
    accepted: bool
    description: str | None = None


@dataclass(frozen=True, kw_only=True)
class ChargeDischargeStatus:
    """Progress of a forced charge or discharge at one plant."""

    status: DispatchStatus | None
    charged: float | None = None
    """kWh."""
    discharged: float | None = None
    """kWh."""
    message: str | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> ChargeDischargeStatus:
        """Read an item of ``chargeAndDischargeStatus``."""
        status = as_int(data.get("status"))
        return cls(
            status=None if status is None else _DISPATCH_STATUSES.get(status),
            charged=as_float(data.get("chargedCapacity")),
            discharged=as_float(data.get("dischargedCapacity")),
            message=as_str(data.get("message")),
        )
