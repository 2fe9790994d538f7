"""Energy history in Home Assistant's long-term statistics (external statistics).

Each series (a plant's solar production, a meter's import, ...) is one
external statistic ``solar_cloud:<vendor>_<device>_<flow>`` in kWh, with a row
per hour (daily values: a row per day, in the day's first hour). A row's
``sum`` is the energy counted up to the end of its hour, its ``state`` the
energy of the hour itself; the Energy dashboard only ever uses differences of
sums, which may start anywhere (below zero too).

Everything is written by one operation, :func:`async_replace`: "this range of
hours holds this energy". It writes the range's rows (hours without energy
hold 0, or have no row where a part is ``sparse``), continues the sum from the
last row before the range -- or, with none before, ends it where the next row
begins (its sum less its state) -- and moves the later rows by what the
range's total changed, which only a correction does. So importing is
idempotent (the same data again changes nothing), order does not matter (the
newest days can be imported before older ones, and moving nothing), a late
correction of a past hour lands in that hour, and nothing is ever counted
twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
import math
from typing import Final

from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    statistics_during_period,
)
from homeassistant.components.recorder.tasks import SynchronizeTask
from homeassistant.const import UnitOfEnergy
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import slugify
from homeassistant.util.unit_conversion import EnergyConverter

from .const import DOMAIN, LOGGER

HOUR: Final = timedelta(hours=1)
_LOOKBACK = timedelta(days=2)
"""How far around a range to look first for the rows before and after it
(normally an hour or a day away); beyond it, a second query looks further."""
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_TOLERANCE = 1e-9


class EnergyFlow(StrEnum):
    """What a series counts (used in statistic ids: never rename)."""

    SOLAR = "solar_production"
    CONSUMPTION = "consumption"
    GRID_IMPORT = "grid_import"
    GRID_EXPORT = "grid_export"
    BATTERY_CHARGE = "battery_charge"
    BATTERY_DISCHARGE = "battery_discharge"
    IMPORT = "energy_import"
    """A meter's import register, whatever the meter measures."""
    EXPORT = "energy_export"
    """A meter's export register."""


FLOW_NAMES: Final[Mapping[EnergyFlow, str]] = {
    EnergyFlow.SOLAR: "solar production",
    EnergyFlow.CONSUMPTION: "consumption",
    EnergyFlow.GRID_IMPORT: "grid import",
    EnergyFlow.GRID_EXPORT: "grid export",
    EnergyFlow.BATTERY_CHARGE: "battery charge",
    EnergyFlow.BATTERY_DISCHARGE: "battery discharge",
    EnergyFlow.IMPORT: "energy import",
    EnergyFlow.EXPORT: "energy export",
}
"""How the statistics are named (after the plant or meter) in the pickers."""


@dataclass(frozen=True, kw_only=True)
class HistorySeries:
    """One energy flow of one plant or meter: one external statistic."""

    vendor: str
    device_key: str
    """The vendor's stable id of the plant or meter (as in unique ids)."""
    device_name: str
    flow: EnergyFlow

    @property
    def statistic_id(self) -> str:
        """Return the statistic id (stable: it must never change)."""
        return f"{DOMAIN}:{slugify(f'{self.vendor}_{self.device_key}_{self.flow}')}"

    @property
    def name(self) -> str:
        """Return the statistic's name."""
        return f"{self.device_name} {FLOW_NAMES[self.flow]}"

    def metadata(self) -> StatisticMetaData:
        """Return the statistic's metadata (HA 2026.10+ wants mean and unit class)."""
        return StatisticMetaData(
            mean_type=StatisticMeanType.NONE,
            has_sum=True,
            name=self.name,
            source=DOMAIN,
            statistic_id=self.statistic_id,
            unit_class=EnergyConverter.UNIT_CLASS,
            unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        )


@dataclass(frozen=True, kw_only=True)
class SeriesEnergy:
    """What a vendor's answer says about one series.

    The answer is the truth for every hour in ``[start, end)``: hours missing
    from ``energy`` held no energy. A daily value is the energy of its day's
    first hour. Times are aware; kWh.
    """

    series: HistorySeries
    start: datetime
    end: datetime
    energy: Mapping[datetime, float]
    sparse: bool = False
    """Write rows only for hours with energy (and where rows are already):
    daily values, whose other 23 hours would only repeat the sum."""


def floor_hour(moment: datetime) -> datetime:
    """Return the start of the UTC hour ``moment`` is in."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def ceil_hour(moment: datetime) -> datetime:
    """Return the first UTC hour start at or after ``moment``."""
    floor = floor_hour(moment)
    return floor if floor == moment else floor + HOUR


def hourly(part: SeriesEnergy, *, until: datetime) -> list[tuple[datetime, float]]:
    """Return (hour start, kWh) for every hour of the part, up to ``until``.

    Bad values (negative, NaN, not a number) count as nothing; energy dated
    outside the range or between hour starts goes to the hour it falls in.
    A range bounded off the whole hour (a plant-local midnight at :30, in
    India) owns the hour its start falls in, not the hour its end falls in:
    that one is the next range's first.
    """
    start, end = floor_hour(part.start), min(floor_hour(part.end), ceil_hour(until))
    energy: dict[datetime, float] = {}
    for moment, value in part.energy.items():
        hour = floor_hour(moment)
        if (
            start <= hour < end
            and isinstance(value, int | float)
            and math.isfinite(value)
            and value >= 0
        ):
            energy[hour] = energy.get(hour, 0.0) + float(value)
    hours = []
    hour = start
    while hour < end:
        hours.append((hour, energy.get(hour, 0.0)))
        hour += HOUR
    return hours


async def async_replace(
    hass: HomeAssistant, parts: Sequence[SeriesEnergy], *, now: datetime
) -> list[SeriesEnergy]:
    """Write what the parts say into the statistics; return those written.

    Nothing after the hour ``now`` is in is written. Each row's ``state`` is
    its hour's energy, so the sum before any row is known: a range imported
    before the rows there already are (a newest-first backfill) ends its sums
    where theirs begin, and nothing after it is touched.
    """
    written: list[SeriesEnergy] = []
    for part in parts:
        hours = hourly(part, until=now)
        if not hours:
            continue
        if not written or part.series in {done.series for done in written}:
            # Rows queued earlier (by this call too) must be in the database
            # before the sums are read.
            await _async_recorder_caught_up(hass)
        await _async_replace_part(hass, part, hours)
        written.append(part)
    return written


async def _async_recorder_caught_up(hass: HomeAssistant) -> None:
    """Wait until the recorder has run and committed every task queued so far.

    ``Recorder.async_block_till_done`` returns at once when the queue is empty,
    even while the recorder thread still runs the last task it took (an
    import of rows whose sums the next import reads): a race seen under load.
    A task of our own runs after all queued before it, committed first.
    """
    done: asyncio.Future[None] = hass.loop.create_future()
    get_instance(hass).queue_task(SynchronizeTask(done))
    await done


async def _async_replace_part(
    hass: HomeAssistant, part: SeriesEnergy, hours: list[tuple[datetime, float]]
) -> None:
    """Write one part's hours; move the later rows if its total changed."""
    start, end = hours[0][0], hours[-1][0] + HOUR
    statistic_id = part.series.statistic_id
    rows = await _async_rows(hass, statistic_id, start - _LOOKBACK, end + _LOOKBACK)
    before = [row for row in rows if row.start < start]
    after = [row for row in rows if row.start >= end]
    if not before:
        before = await _async_rows(hass, statistic_id, _EPOCH, start)
    if not after:
        after = await _async_rows(hass, statistic_id, end, None)
    total = sum(kwh for _, kwh in hours)
    if before:
        running = before[-1].sum
    elif after:
        # Nothing before: end where the next row begins.
        running = after[0].sum_before - total
    else:
        running = 0.0
    existing = {row.start for row in rows if start <= row.start < end}
    statistics = []
    for hour, kwh in hours:
        running += kwh
        if part.sparse and not kwh and hour not in existing:
            continue
        statistics.append(StatisticData(start=hour, state=kwh, sum=running))
    async_add_external_statistics(hass, part.series.metadata(), statistics)
    delta = running - after[0].sum_before if after else 0.0
    if abs(delta) > _TOLERANCE:
        # Later rows keep their own energy: their sums move by the change.
        get_instance(hass).async_adjust_statistics(
            statistic_id, end, delta, UnitOfEnergy.KILO_WATT_HOUR
        )
    LOGGER.debug(
        "Imported %s from %s to %s (%.3f kWh, later rows moved by %.3f kWh)",
        statistic_id,
        start,
        end,
        total,
        delta,
    )


@dataclass(frozen=True, kw_only=True)
class _Row:
    start: datetime
    sum: float
    state: float

    @property
    def sum_before(self) -> float:
        """Return the sum before this row's hour."""
        return self.sum - self.state


async def _async_rows(
    hass: HomeAssistant, statistic_id: str, start: datetime, end: datetime | None
) -> list[_Row]:
    """Return the rows in ``[start, end)``, oldest first."""
    found = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        start,
        end,
        {statistic_id},
        "hour",
        None,
        {"sum", "state"},
    )
    return [
        _Row(
            start=datetime.fromtimestamp(row["start"], UTC),
            sum=total,
            state=row.get("state") or 0.0,
        )
        for row in found.get(statistic_id, [])
        if (total := row.get("sum")) is not None
    ]
