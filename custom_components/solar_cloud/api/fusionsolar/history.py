"""The energy history of plants and devices: hours, days, months and years.

``getKpiStation{Hour,Day,Month,Year}`` answer, for up to 100 plants, one item
per bucket that holds data: the hours of the plant-local day containing
``collectTime``, the days of its month, the months of its year, or every year
since the plant was built. ``getDevKpi{Day,Month,Year}`` do the same for up
to 100 devices of one type. Huawei cuts the buckets in the plant's time zone:
an item's ``collectTime`` is the epoch milliseconds of the plant-local start of
its bucket (the reference's 1501862400000 is 2017-08-05 00:00 at UTC+8), so a
local day has 23 or 25 hourly items where daylight saving time changes.

Which ``dataItemMap`` keys are read, all in kWh:

- documented in the V600R022C00 reference (6.2.2-6.2.5, 6.2.9-6.2.10):
  ``inverter_power`` (inverter yield) and ``ongrid_power`` (feed-in) in every
  plant bucket, ``use_power`` (consumption) in days, months and years;
  ``charge_cap``/``discharge_cap`` of batteries (39) and ESS (41) and
  ``product_power`` of inverters (1, 38) in device buckets;
- documented as added in SmartPVMS 24.5.0 (change history), not yet seen in
  a capture: ``PVYield`` (PV yield) and ``inverterYield`` in plant buckets;
- guesses, tolerated if a newer version sends them, relied on by nothing:
  ``buyPower`` (energy from the grid) and ``chargeCap``/``dischargeCap`` (the
  plant's battery energy) in plant buckets.

Numbers may come as strings, ``null`` or ``"N/A"``; those read as None.

The bucket that holds "now" is incomplete: the cloud answers what devices
uploaded so far (they upload every five minutes), and later buckets not at
all. Past buckets can still change (a device that was offline uploads what
it buffered); a caller that wants the final values asks again later.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any, ClassVar, Final, Self

from .const import Path
from .values import as_datetime_ms, as_dict, as_float, as_int, as_list, as_str


class Period(StrEnum):
    """How long the buckets of a history answer are."""

    HOUR = "hour"
    DAY = "day"
    MONTH = "month"
    YEAR = "year"


PLANT_HISTORY_PATHS: Final[Mapping[Period, Path]] = {
    Period.HOUR: Path.STATION_KPI_HOUR,
    Period.DAY: Path.STATION_KPI_DAY,
    Period.MONTH: Path.STATION_KPI_MONTH,
    Period.YEAR: Path.STATION_KPI_YEAR,
}
DEVICE_HISTORY_PATHS: Final[Mapping[Period, Path]] = {
    Period.DAY: Path.DEV_KPI_DAY,
    Period.MONTH: Path.DEV_KPI_MONTH,
    Period.YEAR: Path.DEV_KPI_YEAR,
}

DATE_ANCHOR: Final = time(10, 0, tzinfo=UTC)
"""The time of day a :class:`date` is asked for: 10:00 UTC falls on that date
for every plant between UTC-10 and UTC+13:59."""


def collect_time(when: date | datetime) -> int:
    """Return the ``collectTime`` (epoch ms) that asks for the bucket of ``when``.

    The server finds the plant-local day, month or year that contains the
    instant. Give an aware datetime when the plant's time zone is known; a
    date is asked for at :data:`DATE_ANCHOR`.

    Raises:
        ValueError: ``when`` is a naive datetime.

    """
    if isinstance(when, datetime):
        if when.tzinfo is None:
            raise ValueError("Give an aware datetime, or a date")
        instant = when
    else:
        instant = datetime.combine(when, DATE_ANCHOR)
    return int(instant.timestamp() * 1000)


def _first(items: Mapping[str, Any], *keys: str) -> float | None:
    """Return the first of ``keys`` that holds a number."""
    for key in keys:
        if (value := as_float(items.get(key))) is not None:
            return value
    return None


@dataclass(frozen=True, kw_only=True)
class EnergyBucket:
    """Energy in one bucket of a history answer (kWh); None where not reported."""

    period: Period
    start: datetime
    """The plant-local start of the bucket, as an aware UTC datetime."""

    ITEM_KEYS: ClassVar[Mapping[str, tuple[str, ...]]]
    """Each energy field and the ``dataItemMap`` keys it reads, the first number wins."""

    @classmethod
    def _from_item(
        cls, data: Mapping[str, Any], period: Period, **owner: Any
    ) -> Self | None:
        """Read an item owned by ``owner`` (a plant or device); None without it or time."""
        start = as_datetime_ms(data.get("collectTime"))
        if start is None or None in owner.values():
            return None
        items = as_dict(data.get("dataItemMap"))
        energies = {name: _first(items, *keys) for name, keys in cls.ITEM_KEYS.items()}
        return cls(period=period, start=start, **owner, **energies)


@dataclass(frozen=True, kw_only=True)
class PlantEnergy(EnergyBucket):
    """Energy of one plant in one bucket."""

    plant_code: str
    pv_yield: float | None = None
    """``PVYield``: what the PV modules produced (24.5.0 and later)."""
    inverter_yield: float | None = None
    """``inverter_power``, else ``inverterYield``: what the inverters put out."""
    export: float | None = None
    """``ongrid_power``: fed into the grid."""
    consumption: float | None = None
    """``use_power``: used by the household (days, months, years)."""
    grid_import: float | None = None
    """Taken from the grid; undocumented, read if present."""
    charge: float | None = None
    """Into the plant's batteries; undocumented, read if present."""
    discharge: float | None = None
    """Out of the plant's batteries; undocumented, read if present."""

    ITEM_KEYS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "pv_yield": ("PVYield",),
        "inverter_yield": ("inverter_power", "inverterYield"),
        "export": ("ongrid_power",),
        "consumption": ("use_power",),
        "grid_import": ("buyPower",),
        "charge": ("chargeCap",),
        "discharge": ("dischargeCap",),
    }

    @property
    def pv(self) -> float | None:
        """Return the PV production: ``PVYield`` if reported, else the inverter yield."""
        return self.pv_yield if self.pv_yield is not None else self.inverter_yield

    @classmethod
    def from_api(cls, data: Mapping[str, Any], period: Period) -> PlantEnergy | None:
        """Read an item of ``getKpiStation<period>``; None without plant or time."""
        return cls._from_item(data, period, plant_code=as_str(data.get("stationCode")))


@dataclass(frozen=True, kw_only=True)
class DeviceEnergy(EnergyBucket):
    """Energy of one device in one bucket."""

    device_id: int
    charge: float | None = None
    """``charge_cap`` of a battery or ESS."""
    discharge: float | None = None
    """``discharge_cap`` of a battery or ESS."""
    inverter_yield: float | None = None
    """``product_power`` of an inverter."""

    ITEM_KEYS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "charge": ("charge_cap",),
        "discharge": ("discharge_cap",),
        "inverter_yield": ("product_power",),
    }

    @classmethod
    def from_api(cls, data: Mapping[str, Any], period: Period) -> DeviceEnergy | None:
        """Read an item of ``getDevKpi<period>``; None without device or time."""
        return cls._from_item(data, period, device_id=as_int(data.get("devId")))


def _by_key[K, T: EnergyBucket](
    data: Any, read: Callable[[Mapping[str, Any]], T | None], key: Callable[[T], K]
) -> dict[K, tuple[T, ...]]:
    """Group the items read from ``data`` by ``key``, one per start, oldest first.

    Of two items with the same start, the later in the answer wins.
    """
    grouped: dict[K, dict[datetime, T]] = {}
    for item in as_list(data):
        if (entry := read(as_dict(item))) is not None:
            grouped.setdefault(key(entry), {})[entry.start] = entry
    return {
        group: tuple(entries[start] for start in sorted(entries))
        for group, entries in grouped.items()
    }


def plant_history_from_api(
    data: Any, period: Period
) -> dict[str, tuple[PlantEnergy, ...]]:
    """Return the buckets of a ``getKpiStation<period>`` answer per plant, oldest first."""
    return _by_key(
        data, lambda item: PlantEnergy.from_api(item, period), lambda e: e.plant_code
    )


def device_history_from_api(
    data: Any, period: Period
) -> dict[int, tuple[DeviceEnergy, ...]]:
    """Return the buckets of a ``getDevKpi<period>`` answer per device, oldest first."""
    return _by_key(
        data, lambda item: DeviceEnergy.from_api(item, period), lambda e: e.device_id
    )
