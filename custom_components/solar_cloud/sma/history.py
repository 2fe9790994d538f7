"""SMA's energy history: EnergyBalance Day answers, hour by hour, into statistics.

- **One call per plant and plant-local day**: the Day period of the plant's
  EnergyBalance, mean power (W) per 5- or 15-minute interval. An interval's
  energy is its power times its length, and it counts in the UTC hour it
  starts in (SMA labels intervals by their end). The backfill goes newest
  day first.
- **Coverage**: an answer is the truth from the local day's start to the end
  of the newest whole hour it has; the hours after come with a later call
  (today is partial, classic plants are two hours late). A day the clocks
  change on has 23 or 25 hours; the repeated hour's interval times are told
  apart by their order (``api/sma/times.py``).
- **Late data**: a range asked for reaches back by what a plant's data may
  lag (three hours for classic plants), so the newest-hours import asks for
  yesterday again until its last hours are in.
- **Today** comes from the plant coordinator's own Day answer when it
  already holds every whole hour there can be: no call.
- **Where history starts**: the installation's start-up time when SMA gives
  it, else the Total answer (years), narrowed with the Year (months) and Month
  (days) answers while that matters for the period asked: a plant
  commissioned three months ago costs three months of calls, not a year's.
- **Budget**: SMA's rate limit is a bucket of 100 calls per five minutes per
  client. History calls are spaced :data:`CALL_SPACING` apart (30 per five
  minutes) times the number of accounts loaded on the same client, so the
  live polling keeps most of the bucket.
- **Zones off the whole hour** (India, parts of Australia): the UTC hour a
  local midnight splits takes the previous day's last intervals too, from
  the answer just fetched for it (or one more call).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
import math
from typing import Final

from homeassistant.const import CONF_CLIENT_ID
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from ..api.sma import (
    MeasurementField,
    MeasurementPoint,
    MeasurementSet,
    Period,
    Plant,
    SmaClient,
)
from ..const import CONF_VENDOR, DOMAIN, Vendor
from ..history_source import HistoryChunk, HistorySource
from ..runtime import SolarCloudConfigEntry
from ..statistics import HOUR, EnergyFlow, HistorySeries, SeriesEnergy, floor_hour
from .const import LATE_DATA
from .coordinator import SmaPlantCoordinator

FLOWS: Final[Mapping[MeasurementField, EnergyFlow]] = {
    MeasurementField.PV_GENERATION: EnergyFlow.SOLAR,
    MeasurementField.TOTAL_CONSUMPTION: EnergyFlow.CONSUMPTION,
    MeasurementField.GRID_CONSUMPTION: EnergyFlow.GRID_IMPORT,
    MeasurementField.GRID_FEED_IN: EnergyFlow.GRID_EXPORT,
    MeasurementField.BATTERY_CHARGING: EnergyFlow.BATTERY_CHARGE,
    MeasurementField.BATTERY_DISCHARGING: EnergyFlow.BATTERY_DISCHARGE,
}
"""The EnergyBalance fields imported, and the flow each one is."""

CALL_SPACING: Final = timedelta(seconds=10)
"""Between two history calls of one account alone on its client."""
DAY: Final = "day"
"""The kind of a chunk: one plant-local day."""
_KEPT_ANSWER: Final = timedelta(minutes=10)
"""How long an answer fetched for one day may serve the next day's chunk."""


@dataclass(frozen=True, kw_only=True)
class _Answer:
    answer: MeasurementSet
    fetched_at: datetime


class SmaHistory(HistorySource):
    """The EnergyBalance history of an SMA account's plants."""

    vendor = Vendor.SMA
    call_spacing = CALL_SPACING
    calls: int = 0
    """Calls made to SMA for history (first data included)."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SolarCloudConfigEntry,
        client: SmaClient,
        plants: Mapping[str, SmaPlantCoordinator],
        *,
        days: int,
    ) -> None:
        """Serve the history of ``plants`` (key -> energy coordinator).

        ``days`` is the period the user wants: where history starts is looked
        up only as closely as it matters for it.
        """
        self._hass = hass
        self._entry = entry
        self._client = client
        self._plants = plants
        self._days = days
        self._first: dict[str, date] = {}
        """The first local day each plant has data for, once looked up."""
        self._answers: dict[tuple[str, date], _Answer] = {}
        """Answers kept for the next chunk (zones off the whole hour only)."""
        self.calls = 0
        self.reused = 0
        """Days taken from the plant coordinator's answer instead of a call."""

    # What there is ---------------------------------------------------------------

    def series(self) -> list[HistorySeries]:
        """Return a series per plant and flow the plant reports."""
        return [
            self._series(coordinator, flow)
            for coordinator in self._plants.values()
            for field, flow in FLOWS.items()
            if field in coordinator.data.fields
        ]

    @staticmethod
    def _series(coordinator: SmaPlantCoordinator, flow: EnergyFlow) -> HistorySeries:
        return HistorySeries(
            vendor=Vendor.SMA,
            device_key=coordinator.plant.key,
            device_name=coordinator.plant.name,
            flow=flow,
        )

    def plan(self, start: datetime, end: datetime) -> list[HistoryChunk]:
        """Return a Day call per plant and local day touching the range, newest first."""
        planned: list[tuple[float, int, HistoryChunk]] = []
        for order, (key, coordinator) in enumerate(self._plants.items()):
            plant = coordinator.plant.details
            zone = plant.zone
            first = (start - LATE_DATA[plant.kind]).astimezone(zone).date()
            if key in self._first:
                first = max(first, self._first[key])
            day = (end - timedelta(microseconds=1)).astimezone(zone).date()
            while day >= first:
                day_start, day_end = _bounds(day, zone)
                chunk = HistoryChunk(unit=key, start=day_start, end=day_end, kind=DAY)
                planned.append((-day_start.timestamp(), order, chunk))
                day -= timedelta(days=1)
        return [chunk for *_, chunk in sorted(planned)]

    # Fetching ------------------------------------------------------------------

    async def async_fetch(self, chunk: HistoryChunk) -> list[SeriesEnergy]:
        """Fetch one plant's day (or take the coordinator's) and split it into hours."""
        self.call_spacing = CALL_SPACING * self._accounts_on_client()
        coordinator = self._plants.get(chunk.unit)
        if coordinator is None:
            # A plant the account no longer has (a chunk kept over a restart).
            return []
        plant = coordinator.plant.details
        zone = plant.zone
        day = chunk.start.astimezone(zone).date()
        now = dt_util.utcnow()
        day_start, day_end = _bounds(day, zone)
        answer = self._reusable(coordinator, day, now)
        if answer is None:
            answer = await self._async_day(chunk.unit, plant, day, now)
        else:
            self.reused += 1
        step = answer.step
        if answer.latest is None or step is None:
            return []
        start = floor_hour(day_start)
        end = floor_hour(min(answer.latest.time, day_end))
        if end <= start:
            return []
        points = list(answer.points)
        if start < day_start and day > self._first.get(chunk.unit, date.min):
            # The hour the plant's midnight splits: yesterday's last intervals.
            yesterday = await self._async_day(
                chunk.unit, plant, day - timedelta(days=1), now
            )
            points = [p for p in yesterday.points if p.time > start] + points
        energy = _hourly_energy(points, step, plant)
        fields = (coordinator.data.fields | answer.fields) & FLOWS.keys()
        return [
            SeriesEnergy(
                series=self._series(coordinator, FLOWS[field]),
                start=start,
                end=end,
                energy={
                    hour: kwh
                    for hour, kwh in energy.get(field, {}).items()
                    if start <= hour < end
                },
            )
            for field in FLOWS
            if field in fields
        ]

    def _reusable(
        self, coordinator: SmaPlantCoordinator, day: date, now: datetime
    ) -> MeasurementSet | None:
        """Return the coordinator's answer for ``day`` if a call could add no hour."""
        data = coordinator.data
        if (
            not coordinator.last_update_success
            or data.day != day
            or data.answer is None
            or (latest := data.answer.latest) is None
        ):
            return None
        plant = coordinator.plant.details
        _, day_end = _bounds(day, plant.zone)
        expected = min(floor_hour(now) - LATE_DATA[plant.kind], day_end)
        return data.answer if latest.time >= expected else None

    async def _async_day(
        self, key: str, plant: Plant, day: date, now: datetime
    ) -> MeasurementSet:
        """Return a Day answer, kept a little while for zones off the whole hour."""
        kept = self._answers.get((key, day))
        if kept is not None and now - kept.fetched_at < _KEPT_ANSWER:
            return kept.answer
        answer = await self._async_call(plant, Period.DAY, day)
        day_start, _ = _bounds(day, plant.zone)
        if floor_hour(day_start) != day_start:
            self._answers = {
                found: kept
                for found, kept in self._answers.items()
                if now - kept.fetched_at < _KEPT_ANSWER
            }
            self._answers[key, day] = _Answer(answer=answer, fetched_at=now)
        return answer

    def _accounts_on_client(self) -> int:
        """Return how many loaded SMA accounts share this account's client (rate limit)."""
        client = _client_of(self._entry)
        return max(
            1,
            sum(
                1
                for entry in self._hass.config_entries.async_loaded_entries(DOMAIN)
                if entry.data.get(CONF_VENDOR) == Vendor.SMA
                and _client_of(entry) == client
            ),
        )

    # Where history starts --------------------------------------------------------

    async def async_first_data(self) -> datetime | None:
        """Return where the oldest plant's data starts (and note each plant's)."""
        now = dt_util.utcnow()
        wanted = now - timedelta(days=self._days)
        firsts = []
        for key, coordinator in self._plants.items():
            plant = coordinator.plant.details
            first = await self._async_first_day(plant, wanted.astimezone(plant.zone))
            # Without data yet, the plant's history starts today.
            self._first[key] = first or now.astimezone(plant.zone).date()
            firsts.append(_bounds(self._first[key], plant.zone)[0])
        return min(firsts, default=None)

    async def _async_first_day(self, plant: Plant, wanted: datetime) -> date | None:
        """Return the plant's first local day with energy, as closely as it matters.

        Narrowing stops once the data starts before the period wanted.
        """
        if plant.start_up is not None:
            return plant.start_up.astimezone(plant.zone).date()
        year = _first_energy(await self._async_call(plant, Period.TOTAL))
        if year is None:
            return None
        if year.year < wanted.year:
            return year
        month = _first_energy(await self._async_call(plant, Period.YEAR, year))
        if month is None:
            return year
        if (month.year, month.month) < (wanted.year, wanted.month):
            return month
        found = _first_energy(await self._async_call(plant, Period.MONTH, month))
        return found or month

    async def _async_call(
        self, plant: Plant, period: Period, day: date | None = None
    ) -> MeasurementSet:
        self.calls += 1
        return await self._client.energy_balance(plant, period, day=day)


def _client_of(entry: SolarCloudConfigEntry) -> str:
    """Return what SMA's rate limit counts by: the client (credential)."""
    return str(
        entry.data.get(CONF_CLIENT_ID)
        or entry.data.get("auth_implementation")
        or entry.entry_id
    )


def _bounds(day: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """Return the start and end (UTC) of a plant-local day."""
    return (
        datetime.combine(day, time(), zone).astimezone(UTC),
        datetime.combine(day + timedelta(days=1), time(), zone).astimezone(UTC),
    )


def _first_energy(answer: MeasurementSet) -> date | None:
    """Return the local date of the first period in which a flow has energy."""
    for point in answer.points:
        if any(point.values.get(field, 0) > 0 for field in FLOWS):
            return point.time.date()
    return None


def _hourly_energy(
    points: list[MeasurementPoint], step: timedelta, plant: Plant
) -> dict[MeasurementField, dict[datetime, float]]:
    """Return kWh per field and UTC hour: mean power times interval length.

    An interval counts in the hour it starts in. Negative power and PV above
    twice the peak power (SMA's data holds occasional absurd spikes) count as
    nothing.
    """
    hours = step / HOUR
    ceiling = 2 * plant.peak_power if plant.peak_power else math.inf
    energy: dict[MeasurementField, dict[datetime, float]] = {}
    for point in points:
        # In UTC: local times step by the wall clock, which jumps at DST.
        hour = floor_hour(point.time.astimezone(UTC) - step)
        for field in FLOWS:
            value = point.values.get(field)
            if value is None or value < 0:
                continue
            if field is MeasurementField.PV_GENERATION and value > ceiling:
                continue
            per_hour = energy.setdefault(field, {})
            per_hour[hour] = per_hour.get(hour, 0.0) + value * hours / 1000
    return energy
