"""Plants, devices and measurements of SMA's Monitoring API v1."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum
import re
from typing import Any

from ..errors import ApiResponseError
from .fields import RATES, MeasurementField
from .times import in_order, parse_time, plant_zone

_GUID = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE
)


class PlantKind(StrEnum):
    """Which portal backend holds a plant; it decides how fresh its data is."""

    ENNEXOS = "ennexos"
    """Sunny Portal powered by ennexOS: numeric ids, 5-minute data on the fly."""
    CLASSIC = "classic"
    """Sunny Portal Classic: GUID ids, data up to 2 hours late."""

    @classmethod
    def of(cls, plant_id: str) -> PlantKind:
        """Return the kind of a plant by the format of its id (SMA FAQ)."""
        return cls.CLASSIC if _GUID.match(plant_id) else cls.ENNEXOS


def _number(value: Any) -> float | None:
    """Return a measurement as a float; None for what is not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _require_id(data: Any, key: str, what: str) -> str:
    if not isinstance(data, dict) or (value := _text(data.get(key))) is None:
        raise ApiResponseError(f"SMA sent a {what} without {key}: {data!r:.200}")
    return value


def _list(data: Any, key: str) -> list[Any]:
    if not isinstance(data, dict):
        raise ApiResponseError(f"Expected an object with {key}, got {data!r:.200}")
    items = data.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        raise ApiResponseError(f"Expected a list in {key}, got {items!r:.200}")
    return items


@dataclass(frozen=True, kw_only=True)
class Plant:
    """A plant (PV system) the token may read."""

    plant_id: str
    name: str
    timezone: str | None
    peak_power: float | None = None
    """Installed PV power, W (only with installation details)."""
    ac_nominal_power: float | None = None
    """Nominal AC power, W (only with installation details)."""
    start_up: datetime | None = None
    """When the plant started up (only with installation details)."""

    @classmethod
    def from_api(cls, data: Any) -> Plant:
        """Parse a plant of ``/v1/plants`` or ``/v1/plants/{id}``."""
        plant_id = _require_id(data, "plantId", "plant")
        installation = data.get("installation")
        if not isinstance(installation, dict):
            installation = {}
        return cls(
            plant_id=plant_id,
            name=_text(data.get("name")) or plant_id,
            timezone=_text(data.get("timezone")),
            # 0.0 is what SMA sends when the installer left the field empty.
            peak_power=_number(installation.get("peakPower")) or None,
            ac_nominal_power=(
                _number(installation.get("acNominalPower"))
                or _number(installation.get("calcAcNominalPower"))
                or None
            ),
            start_up=parse_time(installation.get("startUpUtc"), UTC),
        )

    @property
    def kind(self) -> PlantKind:
        """Return the portal backend of the plant."""
        return PlantKind.of(self.plant_id)

    @property
    def zone(self) -> tzinfo:
        """Return the plant's time zone (measurement times are local)."""
        return plant_zone(self.timezone)


@dataclass(frozen=True, kw_only=True)
class Device:
    """A device of a plant."""

    device_id: str
    name: str
    type: str | None
    product: str | None
    serial: str | None
    vendor: str | None
    generator_power: float | None
    active: bool

    @classmethod
    def from_api(cls, data: Any) -> Device:
        """Parse a device of ``/v1/plants/{id}/devices``."""
        device_id = _require_id(data, "deviceId", "device")
        return cls(
            device_id=device_id,
            name=_text(data.get("name")) or device_id,
            type=_text(data.get("type")),
            product=_text(data.get("product")),
            serial=_text(data.get("serial")),
            vendor=_text(data.get("vendor")),
            generator_power=_number(data.get("generatorPower")),
            # A deactivated device has isActive false and a deactivatedAt; be
            # strict: either one takes it out.
            active=data.get("isActive") is not False
            and data.get("deactivatedAt") is None,
        )


def parse_plants(data: Any) -> list[Plant]:
    """Parse the answer of ``/v1/plants``."""
    return [Plant.from_api(item) for item in _list(data, "plants")]


def parse_devices(data: Any) -> list[Device]:
    """Parse the answer of ``/v1/plants/{id}/devices``."""
    return [Device.from_api(item) for item in _list(data, "devices")]


def parse_set_names(data: Any) -> frozenset[str]:
    """Parse the answer of ``/v1/devices/{id}/measurements/sets``."""
    return frozenset(str(name) for name in _list(data, "sets") if name)


class Period(StrEnum):
    """The periods of a measurement request (path segment, SMA's casing)."""

    RECENT = "Recent"
    DAY = "Day"
    WEEK = "Week"
    MONTH = "Month"
    YEAR = "Year"
    TOTAL = "Total"


RESOLUTIONS = {
    "OneMinute": timedelta(minutes=1),
    "FiveMinutes": timedelta(minutes=5),
    "FifteenMinutes": timedelta(minutes=15),
    "OneHour": timedelta(hours=1),
}


@dataclass(frozen=True, kw_only=True)
class MeasurementPoint:
    """The values of one interval; ``time`` is the interval's end."""

    time: datetime
    values: Mapping[str, float] = field(default_factory=dict)
    """Plain fields. A field SMA omits is not available (not zero)."""
    indexed: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    """Indexed fields (DC strings): field -> index -> value."""

    def value(self, key: MeasurementField) -> float | None:
        """Return a plain field's value, rates in percent; None if SMA omitted it."""
        if (value := self.values.get(key)) is None:
            return None
        return value * 100 if key in RATES else value

    @classmethod
    def from_api(cls, data: Any, zone: tzinfo) -> MeasurementPoint | None:
        """Parse one item of a set; None for an item without a usable time."""
        if not isinstance(data, dict):
            return None
        time = parse_time(data.get("time"), zone)
        if time is None:
            return None
        values: dict[str, float] = {}
        indexed: dict[str, dict[str, float]] = {}
        for key, value in data.items():
            if isinstance(value, list):
                series = {
                    str(item["index"]): number
                    for item in value
                    if isinstance(item, dict)
                    and item.get("index") is not None
                    and (number := _number(item.get("value"))) is not None
                }
                if series:
                    indexed[key] = series
            elif key != "time" and (number := _number(value)) is not None:
                values[key] = number
        return cls(time=time, values=values, indexed=indexed)


@dataclass(frozen=True, kw_only=True)
class MeasurementSet:
    """A measurement set of a plant or device over one period."""

    set_type: str
    resolution: timedelta | None
    """The interval of Recent/Day/Week data; None for Month/Year/Total."""
    points: tuple[MeasurementPoint, ...]
    totals: Mapping[str, float] = field(default_factory=dict)
    """SMA's own totals over the period (only when asked ``WithTotal``)."""

    @classmethod
    def from_api(cls, data: Any, zone: tzinfo) -> MeasurementSet:
        """Parse a measurement answer; points oldest first.

        The answer lists its intervals oldest first: that order tells the two
        passes of a local hour the clocks go back over apart.
        """
        parsed: list[MeasurementPoint] = []
        for item in _list(data, "set"):
            if (point := MeasurementPoint.from_api(item, zone)) is None:
                continue
            moment = in_order(point.time, parsed[-1].time if parsed else None)
            if moment is not point.time:
                point = MeasurementPoint(
                    time=moment, values=point.values, indexed=point.indexed
                )
            parsed.append(point)
        # By the instant: times of one zone compare by the clock, not by fold.
        points = sorted(parsed, key=lambda point: point.time.timestamp())
        total = data.get("total")
        return cls(
            set_type=str(data.get("setType") or ""),
            resolution=RESOLUTIONS.get(str(data.get("resolution"))),
            points=tuple(points),
            totals={
                key: number
                for key, value in (total.items() if isinstance(total, dict) else ())
                if (number := _number(value)) is not None
            },
        )

    @property
    def latest(self) -> MeasurementPoint | None:
        """Return the newest interval, if any."""
        return self.points[-1] if self.points else None

    @property
    def fields(self) -> frozenset[str]:
        """Return every field any interval reports."""
        return frozenset(key for point in self.points for key in point.values)

    def total(self, key: MeasurementField) -> float | None:
        """Return the sum of an energy field (Month/Year/Total periods, Wh)."""
        values = [point.values[key] for point in self.points if key in point.values]
        return sum(values) if values else None

    @property
    def step(self) -> timedelta | None:
        """Return the length of one interval (as SMA says, or as the times show)."""
        return self.resolution or self._inferred_resolution()

    def energy(
        self, key: MeasurementField, *, ceiling: float | None = None
    ) -> float | None:
        """Return the energy (Wh) of a power field over the period.

        Each value is the mean power (W) of the interval ending at its time,
        so the energy is the value times the interval. Values above
        ``ceiling`` (W) are dropped: SMA's data occasionally holds absurd
        spikes, and one of them would stay in a lifetime counter forever.
        """
        if (step := self.step) is None:
            return None
        hours = step.total_seconds() / 3600
        values = [
            point.values[key]
            for point in self.points
            if key in point.values
            and (ceiling is None or abs(point.values[key]) <= ceiling)
        ]
        return sum(values) * hours if values else None

    def _inferred_resolution(self) -> timedelta | None:
        steps = [
            seconds
            for earlier, later in zip(self.points, self.points[1:], strict=False)
            if (seconds := later.time.timestamp() - earlier.time.timestamp()) > 0
        ]
        return timedelta(seconds=min(steps)) if steps else None
