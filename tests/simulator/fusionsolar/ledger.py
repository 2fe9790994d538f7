"""The history the FusionSolar simulator keeps of its plants, and how it answers.

Each plant keeps a :class:`Ledger`: kWh per flow and plant-local hour, from
the same power model its live values come from. ``SimPlant.advance`` adds
what it integrates; the time before the simulator first advanced a plant
(from its commissioning) is generated on the first history question with the
same model, in the same 5-minute steps, each local day starting from the same
state of charge, so that all full days with the same daylight-saving offsets
are equal and computed once. The history interfaces sum the ledger into the
plant's local hours, days, months and years, as Huawei does.

What counts as "has data": a bucket with at least one ledger hour. The hours
run up to the plant's last integration step, so the current hour is answered
with what it produced so far, and future hours not at all.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from .plant import SimDevice, SimPlant

HOUR: Final = timedelta(hours=1)
STEP: Final = timedelta(minutes=5)
PAST_SOC: Final = 50.0
"""State of charge each generated day of the past starts with (%)."""
UNCOMMISSIONED_HISTORY: Final = timedelta(days=365)
"""How far back a plant without a commissioning date has a history."""


class Flow(StrEnum):
    """An energy flow of a plant, as the ledger keeps it (kWh)."""

    PV = "pv"
    EXPORT = "export"
    IMPORT = "import"
    CONSUMPTION = "consumption"
    CHARGE = "charge"
    DISCHARGE = "discharge"


FLOWS: Final = tuple(Flow)
_INDEX: Final = {flow: index for index, flow in enumerate(FLOWS)}


class Period(StrEnum):
    """The bucket of a history interface."""

    HOUR = "Hour"
    DAY = "Day"
    MONTH = "Month"
    YEAR = "Year"


@dataclass(frozen=True, kw_only=True)
class PastSettings:
    """The settings a plant ran with before the simulator first advanced it."""

    battery_config: dict[str, Any]
    feed_in_limit: float | None


def local_midnight(tz: ZoneInfo, day: date) -> datetime:
    """Return the start of a plant-local day, in UTC."""
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


@dataclass(kw_only=True)
class Ledger:
    """kWh per flow and plant-local hour of one plant: what the cloud keeps."""

    tz: ZoneInfo
    hours: dict[datetime, list[float]] = field(default_factory=dict)
    """Local hour start (UTC) -> kWh in the order of :data:`FLOWS`."""
    revised: dict[tuple[datetime, Flow], float] = field(default_factory=dict)
    """Values the cloud corrected later; they replace the integrated ones."""
    past_filled: bool = False
    day_profiles: dict[tuple[Any, ...], list[tuple[timedelta, list[float]]]] = field(
        default_factory=dict
    )
    _sorted: list[datetime] | None = field(default=None, init=False, repr=False)
    _current: tuple[datetime, datetime] | None = field(
        default=None, init=False, repr=False
    )

    def hour_of(self, at: datetime) -> datetime:
        """Return the start (UTC) of the plant-local hour that contains ``at``."""
        if (current := self._current) is not None and current[0] <= at < current[1]:
            return current[0]
        local = at.astimezone(self.tz)
        start = local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)
        self._current = (start, start + HOUR)
        return start

    def _bucket(self, hour: datetime) -> list[float]:
        if (bucket := self.hours.get(hour)) is None:
            bucket = self.hours[hour] = [0.0] * len(FLOWS)
            self._sorted = None
        return bucket

    def insert(self, hours: Mapping[datetime, list[float]]) -> None:
        """Take over whole hours the ledger holds nothing of yet."""
        if hours:
            self.hours.update(hours)
            self._sorted = None

    def add_powers(
        self,
        start: datetime,
        end: datetime,
        *,
        pv: float,
        load: float,
        battery: float,
        grid: float,
    ) -> None:
        """Add the flows of constant powers (kW; battery + charge, grid + export)."""
        hours = (end - start).total_seconds() / 3600
        self.add(
            start,
            end,
            (
                pv * hours,
                max(grid, 0.0) * hours,
                max(-grid, 0.0) * hours,
                load * hours,
                max(battery, 0.0) * hours,
                max(-battery, 0.0) * hours,
            ),
        )

    def add(self, start: datetime, end: datetime, energies: Sequence[float]) -> None:
        """Add what flowed at a constant power from ``start`` to ``end`` (kWh).

        A step that crosses the end of an hour is shared in proportion to time.
        """
        hour = self.hour_of(start)
        if end <= hour + HOUR:  # the usual case, kept fast: one hour
            bucket = self._bucket(hour)
            for index, energy in enumerate(energies):
                bucket[index] += energy
            return
        span = (end - start).total_seconds()
        while start < end:
            hour = self.hour_of(start)
            until = min(end, hour + HOUR)
            share = (until - start).total_seconds() / span
            bucket = self._bucket(hour)
            for index, energy in enumerate(energies):
                bucket[index] += energy * share
            start = until

    def sorted_hours(self) -> list[datetime]:
        """Return every hour with data, oldest first."""
        if self._sorted is None:
            self._sorted = sorted(self.hours)
        return self._sorted

    def between(self, start: datetime, end: datetime) -> list[datetime]:
        """Return the hours with data that start from ``start`` to before ``end``."""
        hours = self.sorted_hours()
        return hours[bisect_left(hours, start) : bisect_left(hours, end)]

    def values(self, hour: datetime) -> list[float]:
        """Return the kWh of an hour with data, corrections applied."""
        values = self.hours[hour]
        if self.revised:
            values = [
                self.revised.get((hour, flow), value)
                for flow, value in zip(FLOWS, values, strict=True)
            ]
        return values

    def total(self, start: datetime, end: datetime) -> list[float] | None:
        """Return the kWh from ``start`` to ``end``, or None if no hour has data."""
        hours = self.between(start, end)
        if not hours:
            return None
        total = [0.0] * len(FLOWS)
        for hour in hours:
            for index, value in enumerate(self.values(hour)):
                total[index] += value
        return total


# Generating the past ------------------------------------------------------------


def _integrate(
    plant: SimPlant, ledger: Ledger, start: datetime, end: datetime, soc: float
) -> None:
    """Integrate the plant's power model from ``start`` to ``end`` into ``ledger``."""
    past = plant.past_settings
    at = start
    while at < end:
        step_end = min(end, at + STEP)
        hours = (step_end - at).total_seconds() / 3600
        pv, load, battery, grid = plant._powers(step_end, soc=soc, past=past)
        ledger.add_powers(at, step_end, pv=pv, load=load, battery=battery, grid=grid)
        soc = max(0.0, min(100.0, soc + battery * hours / plant.battery_kwh * 100))
        at = step_end


def _day_profile(
    plant: SimPlant, day_start: datetime, day_end: datetime
) -> list[tuple[timedelta, list[float]]]:
    """Return the hours of a full generated day, relative to its start."""
    tz = plant.tz
    key = (day_start.astimezone(tz).utcoffset(), day_end.astimezone(tz).utcoffset())
    if (profile := plant.ledger.day_profiles.get(key)) is None:
        scratch = Ledger(tz=tz)
        _integrate(plant, scratch, day_start, day_end, PAST_SOC)
        profile = [(hour - day_start, values) for hour, values in scratch.hours.items()]
        plant.ledger.day_profiles[key] = profile
    return profile


def fill_past(plant: SimPlant) -> None:
    """Generate the plant's history from its commissioning to its first advance."""
    ledger, end = plant.ledger, plant.advanced_since
    if ledger.past_filled or end is None:
        return
    ledger.past_filled = True
    # Whole days go in at once: their hours lie before every hour there is.
    whole_days: dict[datetime, list[float]] = {}
    at = plant.commissioning()
    day = at.astimezone(plant.tz).date()
    day_start = local_midnight(plant.tz, day)
    while at < end:
        day += timedelta(days=1)
        day_end = local_midnight(plant.tz, day)
        if at == day_start and day_end <= end:
            whole_days.update(
                (day_start + offset, list(values))
                for offset, values in _day_profile(plant, day_start, day_end)
            )
        else:
            _integrate(plant, ledger, at, min(day_end, end), PAST_SOC)
        at = day_start = min(day_end, end)
    ledger.insert(whole_days)


# Answering ----------------------------------------------------------------------


def _bounds(
    plant: SimPlant, period: Period, collect: datetime
) -> Iterator[tuple[datetime, datetime]]:
    """Yield the buckets (UTC start, end) of the period ``collect`` falls in."""
    tz = plant.tz
    local = collect.astimezone(tz).date()
    if period is Period.HOUR:
        start = local_midnight(tz, local)
        end = local_midnight(tz, local + timedelta(days=1))
        while start < end:
            yield start, start + HOUR
            start += HOUR
    elif period is Period.DAY:
        day = local.replace(day=1)
        while day.month == local.month:
            following = day + timedelta(days=1)
            yield local_midnight(tz, day), local_midnight(tz, following)
            day = following
    elif period is Period.MONTH:
        month = date(local.year, 1, 1)
        while month.year == local.year:
            following = _next_month(month)
            yield local_midnight(tz, month), local_midnight(tz, following)
            month = following
    else:
        hours = plant.ledger.sorted_hours()
        if not hours:
            return
        first = hours[0].astimezone(tz).year
        last = hours[-1].astimezone(tz).year
        for year in range(first, last + 1):
            yield (
                local_midnight(tz, date(year, 1, 1)),
                local_midnight(tz, date(year + 1, 1, 1)),
            )


def buckets(
    plant: SimPlant, period: Period, collect: datetime
) -> list[tuple[datetime, list[float]]]:
    """Return the buckets with data of the period ``collect`` falls in (kWh)."""
    keep_from = plant.history_start
    result = []
    for start, end in _bounds(plant, period, collect):
        begin = start if keep_from is None else max(start, keep_from)
        if (total := plant.ledger.total(begin, end)) is not None:
            result.append((start, total))
    return result


def _kwh(value: float) -> float:
    return round(value, 3)


def plant_item(
    plant: SimPlant,
    period: Period,
    start: datetime,
    total: list[float],
    *,
    pv_yield_fields: bool,
) -> dict[str, Any]:
    """Return the answer item of one plant bucket, keys as Huawei documents them."""
    pv, export, _, consumption, _, _ = total
    metered = plant.has_meter
    items: dict[str, Any] = {
        "radiation_intensity": round(pv / max(plant.capacity_kw, 1) / 0.7, 4),
        "theory_power": _kwh(pv / 0.9),
        "inverter_power": _kwh(pv),
        "ongrid_power": _kwh(export) if metered else None,
        "power_profit": _kwh(pv * plant.price),
    }
    if pv_yield_fields:
        items |= {"PVYield": _kwh(pv), "inverterYield": _kwh(pv)}
    if period is not Period.HOUR:
        items |= {
            "installed_capacity": plant.capacity_kw,
            "performance_ratio": 89,
            "use_power": _kwh(consumption) if metered else None,
            "perpower_ratio": round(pv / max(plant.capacity_kw, 1), 3),
            "reduction_total_co2": round(pv * 0.000997, 3),
            "reduction_total_coal": round(pv * 0.0004, 3),
            "reduction_total_tree": round(pv * 0.0545),
        }
    return {
        "stationCode": plant.code,
        "collectTime": int(start.timestamp() * 1000),
        "dataItemMap": items,
    }


def device_item(
    plant: SimPlant,
    device: SimDevice,
    start: datetime,
    total: list[float],
    *,
    share: float,
) -> dict[str, Any]:
    """Return the answer item of one device bucket: its ``share`` of the plant's."""
    pv, _, _, _, charge, discharge = (value * share for value in total)
    items: dict[str, Any]
    if device.type_id in (39, 41):
        items = {"charge_cap": _kwh(charge), "discharge_cap": _kwh(discharge)}
        if device.type_id == 39:
            items |= {"charge_time": None, "discharge_time": "N/A"}
    else:
        capacity = plant.capacity_kw * share
        items = {
            "installed_capacity": capacity,
            "product_power": _kwh(pv),
            "perpower_ratio": round(pv / max(capacity, 1), 3),
        }
    return {
        "devId": device.id,
        "collectTime": int(start.timestamp() * 1000),
        "dataItemMap": items,
    }


def hourly_truth(
    plant: SimPlant, start: datetime, end: datetime, *, share: float = 1.0
) -> dict[datetime, dict[Flow, float]]:
    """Return kWh per flow of the hours from ``start`` to before ``end``.

    Rounded as the hourly interface answers; hours the cloud keeps no data of
    (before ``history_start``) are left out.
    """
    if plant.history_start is not None:
        start = max(start, plant.history_start)
    return {
        hour: {
            flow: _kwh(value * share)
            for flow, value in zip(FLOWS, plant.ledger.values(hour), strict=True)
        }
        for hour in plant.ledger.between(start, end)
    }


def daily_truth(
    plant: SimPlant, start: date, end: date
) -> dict[date, dict[Flow, float]]:
    """Return kWh per flow of the plant-local days from ``start`` to before ``end``.

    Rounded as the daily interface answers; days without data are left out.
    """
    days: dict[date, dict[Flow, float]] = {}
    day = start
    while day < end:
        begin = local_midnight(plant.tz, day)
        if plant.history_start is not None:
            begin = max(begin, plant.history_start)
        total = plant.ledger.total(
            begin, local_midnight(plant.tz, day + timedelta(days=1))
        )
        if total is not None:
            days[day] = {
                flow: _kwh(value) for flow, value in zip(FLOWS, total, strict=True)
            }
        day += timedelta(days=1)
    return days


def revise_hour(plant: SimPlant, hour: datetime, flow: Flow, kwh: float) -> None:
    """Make the cloud report ``kwh`` for ``flow`` in ``hour`` from now on.

    Raises:
        KeyError: The plant has no data for that hour.

    """
    hour = hour.astimezone(UTC)
    if hour not in plant.ledger.hours:
        raise KeyError(f"{plant.code} has no data for the hour starting {hour}")
    plant.ledger.revised[hour, Flow(flow)] = kwh
