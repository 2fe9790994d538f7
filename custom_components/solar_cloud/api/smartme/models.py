"""Typed models of the smart-me REST API.

The wire is PascalCase JSON with integer enums, and properties that are null
are left out. Parsing is tolerant: keys are matched case-insensitively
(clients and the vendor's own examples also use camelCase), numbers may come
as strings, enums as integers or as their swagger names, unknown enum values
become ``UNKNOWN``, and a missing property is ``None``. Only a device without
a usable ``Id`` is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import IntEnum, StrEnum
import math
import re
from typing import Any, Self
import uuid

from ..errors import ApiResponseError
from .obis import SwitchOutput, obis_from_text


def lower_keys(raw: Any, what: str) -> dict[str, Any]:
    """Return a JSON object with its keys in lower case.

    Raises:
        ApiResponseError: ``raw`` is not an object.

    """
    if not isinstance(raw, Mapping):
        raise ApiResponseError(f"{what} is not a JSON object: {str(raw)[:100]!r}")
    return {str(key).lower(): value for key, value in raw.items()}


def as_float(value: Any) -> float | None:
    """Return a finite number, or None for anything else (null, "N/A", NaN)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except TypeError, ValueError:
        return None
    return number if math.isfinite(number) else None


def as_bool(value: Any) -> bool | None:
    """Return a boolean from true/false, 0/1 or their strings."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "0", "1"):
        return value.strip().lower() in ("true", "1")
    return None


def as_int(value: Any) -> int | None:
    """Return an integer (also from a string), None for anything else."""
    number = as_float(value)
    return int(number) if number is not None and number.is_integer() else None


def as_datetime(value: Any) -> datetime | None:
    """Return an aware datetime from ISO 8601 with up to 7 fraction digits.

    smart-me writes .NET's 7 digits (``2022-04-12T16:52:55.1210809Z``); a
    time without zone is UTC.
    """
    if not isinstance(value, str):
        return None
    text = re.sub(r"(\.\d{6})\d+", r"\1", value.strip())
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _enum_key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


class _TolerantIntEnum(IntEnum):
    @classmethod
    def parse(cls, value: Any, *, prefix: str = "") -> Self:
        """Return the member for an integer or a swagger name; else UNKNOWN."""
        if (number := as_int(value)) is not None:
            try:
                return cls(number)
            except ValueError:
                return cls(0)
        if isinstance(value, str):
            key = _enum_key(value).removeprefix(prefix)
            for member in cls:
                if _enum_key(member.name) == key:
                    return member
        return cls(0)


class DeviceEnergyType(_TolerantIntEnum):
    """What a device measures (``DeviceEnergyType``)."""

    UNKNOWN = 0
    ELECTRICITY = 1
    WATER = 2
    GAS = 3
    HEAT = 4
    HCA = 5
    ALL_METERS = 6
    TEMPERATURE = 7
    MBUS_GATEWAY = 8
    RS485_GATEWAY = 9
    CUSTOM_DEVICE = 10
    COMPRESSED_AIR = 11
    SOLAR_LOG = 12
    VIRTUAL_METER = 13
    WMBUS_GATEWAY = 14


class MeterSubType(_TolerantIntEnum):
    """The kind of meter within its energy type (``MeterSubType``)."""

    UNKNOWN = 0
    COLD = 1
    HEAT = 2
    CHARGING_STATION = 3
    ELECTRICITY = 4
    WATER = 5
    GAS = 6
    ELECTRICITY_HEAT = 7
    TEMPERATURE = 8
    VIRTUAL_BATTERY = 9


# FamilyType numbers as go-smartme lists them; the swagger only has names.
FAMILY_MODELS: dict[int, str] = {
    1: "smart-me Connect V1 (plug)",
    2: "1-phase meter",
    3: "1-phase meter with switch",
    4: "M-Bus gateway",
    5: "RS485 gateway",
    6: "Kamstrup module",
    7: "3-phase meter 80 A",
    8: "3-phase meter 32 A with switch",
    9: "3-phase transformer meter (CT)",
    10: "Landis+Gyr module",
    11: "FNN optical module",
    12: "3-phase meter 80 A WiFi V2",
    14: "3-phase meter 80 A mobile",
    16: "1-phase meter 80 A WiFi V2",
    17: "1-phase meter 32 A WiFi V2",
    18: "1-phase meter GPRS",
    19: "1-phase meter GPRS",
    20: "wM-Bus gateway",
    21: "CT meter mobile",
    65: "Nimbus 3-point",
    70: "Charging station V1",
    1001: "REST API meter",
    1002: "Virtual billing meter",
}


class ChargingStationState(StrEnum):
    """State of a charging station (option keys: never rename)."""

    BOOTING = "booting"
    READY_NO_CAR_CONNECTED = "ready_no_car_connected"
    READY_CAR_CONNECTED = "ready_car_connected"
    STARTED_WAIT_FOR_CAR = "started_wait_for_car"
    CHARGING = "charging"
    INSTALLATION = "installation"
    AUTHORIZE = "authorize"
    OFFLINE = "offline"

    @classmethod
    def parse(cls, value: Any) -> ChargingStationState | None:
        """Return the state for its integer or name; None if unknown."""
        members = list(cls)
        if (number := as_int(value)) is not None:
            return members[number] if 0 <= number < len(members) else None
        if isinstance(value, str):
            key = _enum_key(value)
            for member in members:
                if _enum_key(member.value) == key:
                    return member
        return None


@dataclass(frozen=True, kw_only=True, slots=True)
class User:
    """The account (``GET /User``)."""

    id: str
    username: str

    @classmethod
    def from_api(cls, raw: Any) -> Self:
        """Parse a User; the id may be a number or ``IdAsString``.

        Raises:
            ApiResponseError: No id.

        """
        data = lower_keys(raw, "User")
        user_id = data.get("idasstring") or data.get("id")
        if user_id is None or isinstance(user_id, bool) or str(user_id) == "":
            raise ApiResponseError("User without Id")
        return cls(id=str(user_id), username=str(data.get("username") or user_id))


@dataclass(frozen=True, kw_only=True, slots=True)
class DeviceAction:
    """An action a device offers (``GET /Actions/{id}``)."""

    name: str
    obis: str
    on_off: bool
    """OnOffAction (0); otherwise AnalogAction with min and max."""
    min_value: float | None = None
    max_value: float | None = None

    @property
    def switch_output(self) -> SwitchOutput | None:
        """Return the output an on/off action switches; None for other actions."""
        if not self.on_off:
            return None
        try:
            return SwitchOutput(self.obis)
        except ValueError:
            return None

    @classmethod
    def from_api(cls, raw: Any) -> Self:
        """Parse one action; ``ActionType`` comes as 0/1 or as its name.

        Raises:
            ApiResponseError: No usable OBIS code.

        """
        data = lower_keys(raw, "Action")
        obis = obis_from_text(str(data.get("obiscode", "")))
        action_type = data.get("actiontype", 0)
        on_off = (
            as_int(action_type) == 0 or _enum_key(str(action_type)) == "onoffaction"
        )
        return cls(
            name=str(data.get("name") or obis),
            obis=obis,
            on_off=on_off,
            min_value=as_float(data.get("minvalue")),
            max_value=as_float(data.get("maxvalue")),
        )


class RegistrationType(StrEnum):
    """What a realtime registration covers."""

    DISABLED = "Disabled"
    SINGLE_METER = "SingleMeterRegistration"
    USER = "UserRegistration"


@dataclass(frozen=True, kw_only=True, slots=True)
class RealtimeRegistration:
    """A Realtime API (webhook) registration."""

    id: str | None
    api_url: str
    registration_type: RegistrationType
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_api(cls, raw: Any) -> Self:
        """Parse a registration; the type may be a name or its number."""
        data = lower_keys(raw, "RegisterRealtimeApiData")
        kind = data.get("registrationtype")
        members = list(RegistrationType)
        if (number := as_int(kind)) is not None and 0 <= number < len(members):
            registration_type = members[number]
        else:
            registration_type = next(
                (m for m in members if _enum_key(m.value) == _enum_key(str(kind))),
                RegistrationType.DISABLED,
            )
        return cls(
            id=str(data["id"]) if data.get("id") is not None else None,
            api_url=str(data.get("apiurl") or ""),
            registration_type=registration_type,
            username=data.get("basicauthusername"),
            password=data.get("basicauthpassword"),
        )

    def to_api(self) -> dict[str, Any]:
        """Return the registration as ``POST /RegisterForRealtimeApi`` takes it."""
        body: dict[str, Any] = {
            "ApiUrl": self.api_url,
            "RegistrationType": self.registration_type.value,
        }
        if self.username is not None:
            body["BasicAuthUsername"] = self.username
        if self.password is not None:
            body["BasicAuthPassword"] = self.password
        return body


def parse_device_id(value: Any) -> str:
    """Return a device GUID in lower case.

    Raises:
        ApiResponseError: Not a GUID.

    """
    try:
        return str(uuid.UUID(str(value)))
    except ValueError as err:
        raise ApiResponseError(f"Device Id {value!r} is not a GUID") from err


# Unit of ActivePower -> factor to W; a flow meter writes m³/h instead.
_POWER_UNITS = {"w": 1.0, "kw": 1000.0, "mw": 1_000_000.0}
_ENERGY_UNITS = {"wh": 0.001, "kwh": 1.0, "mwh": 1000.0}
_VOLUME_UNITS = {"m3", "m³"}
_FLOW_UNITS = {"m3/h", "m³/h"}


@dataclass(frozen=True, kw_only=True, slots=True)
class MeterReading:
    """What a meter measures, in Home Assistant's units (W, kWh, m³, V, A).

    Built from the REST device object and updated by realtime pushes. None
    means the meter does not report the quantity (or not yet).
    """

    timestamp: datetime | None = None
    """When the meter measured this (REST ``ValueDate`` or the push time)."""
    power: float | None = None
    """Net active power, W: positive import, negative export."""
    power_l1: float | None = None
    power_l2: float | None = None
    power_l3: float | None = None
    energy_import: float | None = None
    energy_export: float | None = None
    energy_tariff_1: float | None = None
    energy_tariff_2: float | None = None
    energy_tariff_3: float | None = None
    energy_tariff_4: float | None = None
    volume: float | None = None
    """Counter of a water, gas or compressed air meter, m³."""
    flow_rate: float | None = None
    """m³/h."""
    voltage: float | None = None
    voltage_l1: float | None = None
    voltage_l2: float | None = None
    voltage_l3: float | None = None
    current: float | None = None
    current_l1: float | None = None
    current_l2: float | None = None
    current_l3: float | None = None
    power_factor: float | None = None
    power_factor_l1: float | None = None
    power_factor_l2: float | None = None
    power_factor_l3: float | None = None
    frequency: float | None = None
    temperature: float | None = None
    active_tariff: int | None = None
    switch_on: bool | None = None
    switch_l1: bool | None = None
    switch_l2: bool | None = None
    switch_l3: bool | None = None
    digital_output_1: bool | None = None
    digital_output_2: bool | None = None
    charging_station_state: ChargingStationState | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any], energy_type: DeviceEnergyType) -> Self:
        """Read the values of a device object (keys already in lower case)."""
        power_unit = str(data.get("activepowerunit") or "kW").strip().lower()
        power_factor = _POWER_UNITS.get(power_unit)

        def power(key: str) -> float | None:
            value = as_float(data.get(key))
            return value * power_factor if value is not None and power_factor else None

        counter_unit = str(data.get("counterreadingunit") or "").strip().lower()
        volume_counter = counter_unit in _VOLUME_UNITS or (
            not counter_unit
            and energy_type
            in (
                DeviceEnergyType.WATER,
                DeviceEnergyType.GAS,
                DeviceEnergyType.COMPRESSED_AIR,
            )
        )
        energy_factor = (
            None if volume_counter else _ENERGY_UNITS.get(counter_unit or "kwh")
        )

        def energy(key: str) -> float | None:
            value = as_float(data.get(key))
            return (
                value * energy_factor if value is not None and energy_factor else None
            )

        energy_import = energy("counterreadingimport")
        if energy_import is None and "counterreadingexport" not in data:
            # Import-only meters may report just the total.
            energy_import = energy("counterreading")
        flow_rate = as_float(data.get("flowrate"))
        if flow_rate is None and power_unit in _FLOW_UNITS:
            flow_rate = as_float(data.get("activepower"))
        return cls(
            timestamp=as_datetime(data.get("valuedate")),
            power=power("activepower"),
            power_l1=power("activepowerl1"),
            power_l2=power("activepowerl2"),
            power_l3=power("activepowerl3"),
            energy_import=energy_import,
            energy_export=energy("counterreadingexport"),
            energy_tariff_1=energy("counterreadingt1"),
            energy_tariff_2=energy("counterreadingt2"),
            energy_tariff_3=energy("counterreadingt3"),
            energy_tariff_4=energy("counterreadingt4"),
            volume=as_float(data.get("counterreading")) if volume_counter else None,
            flow_rate=flow_rate,
            voltage=as_float(data.get("voltage")),
            voltage_l1=as_float(data.get("voltagel1")),
            voltage_l2=as_float(data.get("voltagel2")),
            voltage_l3=as_float(data.get("voltagel3")),
            current=as_float(data.get("current")),
            current_l1=as_float(data.get("currentl1")),
            current_l2=as_float(data.get("currentl2")),
            current_l3=as_float(data.get("currentl3")),
            power_factor=as_float(data.get("powerfactor")),
            power_factor_l1=as_float(data.get("powerfactorl1")),
            power_factor_l2=as_float(data.get("powerfactorl2")),
            power_factor_l3=as_float(data.get("powerfactorl3")),
            temperature=as_float(data.get("temperature")),
            active_tariff=as_int(data.get("activetariff")),
            switch_on=as_bool(data.get("switchon")),
            switch_l1=as_bool(data.get("switchphasel1on")),
            switch_l2=as_bool(data.get("switchphasel2on")),
            switch_l3=as_bool(data.get("switchphasel3on")),
            digital_output_1=as_bool(data.get("digitaloutput1")),
            digital_output_2=as_bool(data.get("digitaloutput2")),
            charging_station_state=ChargingStationState.parse(
                data.get("chargingstationstate", data.get("chargestationstate"))
            ),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class Device:
    """A meter or other device of the account (``GET /Devices``)."""

    id: str
    name: str
    serial: int | None
    """May be negative (REST API and virtual meters)."""
    energy_type: DeviceEnergyType
    sub_type: MeterSubType
    family_type: int | None
    reading: MeterReading = field(default_factory=MeterReading)

    @property
    def model(self) -> str | None:
        """Return the model name of the device family, if known."""
        if self.family_type is None:
            return None
        return FAMILY_MODELS.get(self.family_type, f"Family {self.family_type}")

    @classmethod
    def from_api(cls, raw: Any) -> Self:
        """Parse a device object.

        Raises:
            ApiResponseError: Not an object, or no GUID ``Id``.

        """
        data = lower_keys(raw, "Device")
        device_id = parse_device_id(data.get("id"))
        energy_type = DeviceEnergyType.parse(
            data.get("deviceenergytype"), prefix="metertype"
        )
        return cls(
            id=device_id,
            name=str(data.get("name") or device_id),
            serial=as_int(data.get("serial")),
            energy_type=energy_type,
            sub_type=MeterSubType.parse(
                data.get("metersubtype"), prefix="metersubtype"
            ),
            family_type=as_int(data.get("familytype")),
            reading=MeterReading.from_api(data, energy_type),
        )
