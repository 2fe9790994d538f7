"""What FusionSolar's history answers become: the hourly and daily rows of a plant.

A plant's hours come from getKpiStationHour (PV and export); its days from
getKpiStationDay (PV, export, consumption, and grid import where the answer
has it) and getDevKpiDay of its batteries (charge and discharge). A day's
value goes into the first hour of the plant-local day; a day whose hours are
already in the statistics, complete, keeps them.

Grid import: the Northbound reference documents no field for energy taken
from the grid. An answer that has one (``buyPower``) is used; otherwise the
day's import follows from the plant's energy balance (everything that comes
in goes out): consumption + export + battery charge = PV + import + battery
discharge, so import = consumption - PV + export - discharge + charge, never
below 0, only for days where every term is known. This is exact where PV is
measured where consumption is (AC side); with a DC-coupled battery, inverter
losses show up as import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Final

from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance

from ..api.fusionsolar.history import DeviceEnergy, PlantEnergy
from ..statistics import HOUR, EnergyFlow, HistorySeries, SeriesEnergy, floor_hour
from .plant_time import DAY, FusionSolarPlantCalendar

METER_FLOWS: Final = (
    EnergyFlow.GRID_IMPORT,
    EnergyFlow.GRID_EXPORT,
    EnergyFlow.CONSUMPTION,
)
BATTERY_FLOWS: Final = (EnergyFlow.BATTERY_CHARGE, EnergyFlow.BATTERY_DISCHARGE)
HOURLY_FLOWS: Final = (EnergyFlow.SOLAR, EnergyFlow.GRID_EXPORT)
_SAME: Final = 1e-6
"""kWh: sums closer than this are equal (float rounding of the sums)."""
_AGREE_KWH: Final = 0.05
_AGREE_SHARE: Final = 0.01
"""A day's hours agree with its daily value within 50 Wh or 1 %."""

type BatteryGroup = tuple[int, tuple[int, ...]]
"""A getDevKpiDay call: device type and up to 100 device ids."""


@dataclass(kw_only=True)
class FusionSolarHistoryAnswer:
    """What the calls of a request returned: later requests of the period share it."""

    at: datetime | None = None
    """When the last call returned (None while calls are missing)."""
    plants: Mapping[str, tuple[PlantEnergy, ...]] | None = None
    batteries: dict[BatteryGroup, Mapping[int, tuple[DeviceEnergy, ...]] | None] = (
        field(default_factory=dict)
    )
    """Per getDevKpiDay call; None: refused (those batteries' days stay unknown)."""


# Hours ---------------------------------------------------------------------------


def hour_parts(
    calendar: FusionSolarPlantCalendar,
    day: date,
    buckets: Sequence[PlantEnergy],
    series: Mapping[EnergyFlow, HistorySeries],
) -> list[SeriesEnergy]:
    """Return a plant's hours of a day, from its midnight to the next.

    A midnight the cloud never told (no day bucket) is taken from the
    hours: a guess could overwrite the first hour of a neighbouring
    day, which may hold that day's daily value.
    """
    if not buckets:
        return []
    start = calendar.midnight(day) if calendar.is_known(day) else buckets[0].start
    end = (
        calendar.midnight(day + DAY)
        if calendar.is_known(day + DAY)
        else buckets[-1].start + HOUR
    )
    parts = []
    for flow in HOURLY_FLOWS:
        energy = {
            bucket.start: value
            for bucket in buckets
            if (value := _value(bucket, flow)) is not None
        }
        if flow in series and energy:
            parts.append(
                SeriesEnergy(series=series[flow], start=start, end=end, energy=energy)
            )
    return parts


# Days ------------------------------------------------------------------------------


def battery_days(
    calendar: FusionSolarPlantCalendar,
    devices: set[int],
    batteries: Mapping[BatteryGroup, Mapping[int, tuple[DeviceEnergy, ...]] | None],
) -> dict[date, tuple[float, float]] | None:
    """Return charge and discharge per day of a plant's batteries ``devices``.

    None if a call was refused. A day counts where a battery reported
    both values; a battery without data that day adds nothing.
    """
    days: dict[date, tuple[float, float]] = {}
    for group, found in batteries.items():
        if not devices.intersection(group[1]):
            continue
        if found is None:
            return None
        for device_id in devices.intersection(found):
            for bucket in found[device_id]:
                if bucket.charge is None or bucket.discharge is None:
                    continue
                day = calendar.local_date(bucket.start)
                charge, discharge = days.get(day, (0.0, 0.0))
                days[day] = (charge + bucket.charge, discharge + bucket.discharge)
    return days


def day_values(  # noqa: PLR0917 - a plant's answer and what it covers
    calendar: FusionSolarPlantCalendar,
    flows: Sequence[EnergyFlow],
    buckets: Sequence[PlantEnergy],
    battery: Mapping[date, tuple[float, float]] | None,
    first: date,
    last: date,
) -> dict[EnergyFlow, dict[date, float]]:
    """Return a plant's value of each flow on each day from ``first`` to ``last``.

    ``battery`` is what :func:`battery_days` returned, for a plant with
    batteries; a day without a value of a flow has none in the result.
    """
    has_battery = BATTERY_FLOWS[0] in flows
    values: dict[EnergyFlow, dict[date, float]] = {flow: {} for flow in flows}
    for bucket in buckets:
        day = calendar.local_date(bucket.start)
        if not first <= day <= last:
            continue
        known: dict[EnergyFlow, float | None] = {
            flow: _value(bucket, flow)
            for flow in (*HOURLY_FLOWS, EnergyFlow.CONSUMPTION)
        }
        charge: float | None = 0.0
        discharge: float | None = 0.0
        if has_battery:
            charge, discharge = (
                battery[day] if battery is not None and day in battery else (None, None)
            )
        known[EnergyFlow.BATTERY_CHARGE] = charge
        known[EnergyFlow.BATTERY_DISCHARGE] = discharge
        known[EnergyFlow.GRID_IMPORT] = (
            bucket.grid_import
            if bucket.grid_import is not None
            else _derived_import(known)
        )
        for flow in flows:
            if (value := known[flow]) is not None:
                values[flow][day] = value
    return values


def daily_runs(
    series: HistorySeries,
    calendar: FusionSolarPlantCalendar,
    days: Mapping[date, float],
) -> list[SeriesEnergy]:
    """Return a part per run of consecutive days: each day's value in its first hour."""
    parts = []
    for first, last in _consecutive(days):
        energy = {}
        day = first
        while day <= last:
            energy[calendar.midnight(day)] = days[day]
            day += DAY
        parts.append(
            SeriesEnergy(
                series=series,
                start=calendar.midnight(first),
                end=calendar.midnight(last + DAY),
                energy=energy,
                sparse=True,
            )
        )
    return parts


async def async_hourly_days(
    hass: HomeAssistant,
    calendar: FusionSolarPlantCalendar,
    statistic_id: str,
    days: Mapping[date, float],
) -> set[date]:
    """Return the days whose hours are in the statistics, complete.

    A day written from its daily value has energy in its first hour
    only; one written hour by hour has some later in the day (PV and
    export: around noon). Its hours are complete when they add up to
    the daily value (each hour is rounded); hours that stop short (Home
    Assistant went down, the next hours could not be asked for) give
    way to the daily value until they are read again.
    """
    if not days:
        return set()
    bounds = {day: floor_hour(calendar.midnight(day)) for day in days}
    instance = get_instance(hass)
    # Rows queued by the request before must be in the database.
    await instance.async_block_till_done()
    found = await instance.async_add_executor_job(
        statistics_during_period,
        hass,
        min(bounds.values()) - HOUR,
        calendar.midnight(max(days) + DAY),
        {statistic_id},
        "hour",
        None,
        {"sum"},
    )
    totals: dict[date, float] = {}
    later: set[date] = set()
    previous: tuple[datetime, float] | None = None
    for row in found.get(statistic_id, []):
        hour = datetime.fromtimestamp(row["start"], UTC)
        if (total := row.get("sum")) is None:
            previous = None
            continue
        if previous is not None and hour - previous[0] == HOUR:
            day = calendar.local_date(hour)
            energy = total - previous[1]
            totals[day] = totals.get(day, 0.0) + energy
            if hour != bounds.get(day) and abs(energy) > _SAME:
                later.add(day)
        previous = (hour, total)
    return {
        day
        for day in later.intersection(days)
        if abs(totals[day] - days[day])
        <= max(_AGREE_KWH, _AGREE_SHARE * abs(days[day]))
    }


def _consecutive(days: Iterable[date]) -> list[tuple[date, date]]:
    """Return the runs of consecutive days (first, last)."""
    runs: list[tuple[date, date]] = []
    for day in sorted(days):
        if runs and runs[-1][1] + DAY == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _value(bucket: PlantEnergy, flow: EnergyFlow) -> float | None:
    if flow is EnergyFlow.SOLAR:
        return bucket.pv
    if flow is EnergyFlow.GRID_EXPORT:
        return bucket.export
    return bucket.consumption


def _derived_import(known: Mapping[EnergyFlow, float | None]) -> float | None:
    """Return a day's grid import from the plant's energy balance, if every term is known."""
    terms = [
        known[flow]
        for flow in (
            EnergyFlow.CONSUMPTION,
            EnergyFlow.SOLAR,
            EnergyFlow.GRID_EXPORT,
            EnergyFlow.BATTERY_DISCHARGE,
            EnergyFlow.BATTERY_CHARGE,
        )
    ]
    if any(term is None for term in terms):
        return None
    consumption, pv, export, discharge, charge = (float(t or 0.0) for t in terms)
    return max(0.0, round(consumption - pv + export - discharge + charge, 3))
