"""The energy history of FusionSolar plants, for the long-term statistics.

Each plant in scope has these series (statistic device key: the plant code):
solar production, and where the plant has a meter grid export, consumption
and grid import, and where it has batteries their charge and discharge.

Requests (:class:`HistoryChunk`), per batch of up to 100 plants:

- ``days``: days of one plant-local month. One getKpiStationDay call gives
  the month's PV, export and consumption, getDevKpiDay of the plants'
  batteries (LUNA2000, C&I ESS) their charge and discharge: daily rows of
  every flow at once. Only the days asked for are written (the newest
  hours' round rewrites today, not the month).
- ``hours``: a plant-local day of hours. getKpiStationHour gives PV and
  export; the other flows have no hourly source.

A period is planned coarse first: its months, oldest first (about 12 calls a
year on each interface), then its days hour by hour, newest first, as far as
the backlog's share of the hour interface allows (``history_budget.py``): a
year is daily within minutes and hourly within weeks. A day whose hours are
in the statistics keeps them when its month is read again: a month writes
solar production and export only of the days where they are still daily.

An answer serves every request of its period for a while (six hours for a
month, 90 minutes for a day's hours, and never past the end of a day asked
for): the backfill's current month, the newest hours' round and the action
share calls.

Requests for the last three plant-local days (the newest hours and the
trailing window) may use all of an interface's calls; older ones wait for the
backlog budget. No request waits inside the client: when the budget says "not
now", the request is refused with the time to come back and the importer
waits, or, for the newest data and longer than five minutes, left to the next
round.

Days are plant-local: the plant's offset comes from the history answers
themselves (``plant_time.py``); ``collectTime`` names a date as
``collect_time`` expects it.

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
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Final

from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance

from ..api import ApiPermissionError, ApiRateLimitedError, ApiResponseError
from ..api.fusionsolar import FusionSolarClient
from ..api.fusionsolar.client import interface_name
from ..api.fusionsolar.const import BATTERY_TYPES, METER_TYPES, Path
from ..api.fusionsolar.flow_control import batches
from ..api.fusionsolar.history import DeviceEnergy, Period, PlantEnergy
from ..const import LOGGER
from ..history import HistoryChunk, HistorySource
from ..statistics import HOUR, EnergyFlow, HistorySeries, SeriesEnergy, floor_hour
from .connection import FusionSolarAccountState
from .const import VENDOR
from .coordinator import FusionSolarInventoryCoordinator
from .history_budget import (
    LONGEST_WAIT,
    MONTH_REFRESH,
    NEWEST_HOURS_FRESH,
    live_interval,
)
from .plant_time import DAY, FusionSolarPlantCalendar

DAYS: Final = "days"
HOURS: Final = "hours"
SPARE_HOURS: Final = "spare_hours"
"""Hours of an older day, for the newest data's rounds: only if the budget
allows at once (after Home Assistant was down for days)."""
HOUR_KINDS: Final = (HOURS, SPARE_HOURS)
NEWEST_DAYS: Final = 3
"""Today, yesterday and the day before (the trailing window): the newest data."""

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

type _Group = tuple[int, tuple[int, ...]]
"""A getDevKpiDay call: device type and up to 100 device ids."""


class _NotNowError(Exception):
    """A request for the newest data would wait long: the next round asks again."""


@dataclass(kw_only=True)
class _PeriodAnswer:
    """What the calls of a request returned: later requests of the period share it."""

    at: datetime | None = None
    """When the last call returned (None while calls are missing)."""
    plants: Mapping[str, tuple[PlantEnergy, ...]] | None = None
    batteries: dict[_Group, Mapping[int, tuple[DeviceEnergy, ...]] | None] = field(
        default_factory=dict
    )
    """Per getDevKpiDay call; None: refused (those batteries' days stay unknown)."""


def _local_start(calendar: FusionSolarPlantCalendar, day: date) -> datetime:
    """Return a plant-local midnight in the plant's offset: ``.date()`` is ``day``."""
    return calendar.midnight(day).astimezone(timezone(calendar.offset_on(day)))


def _consecutive(days: Iterable[date]) -> list[tuple[date, date]]:
    """Return the runs of consecutive days (first, last)."""
    runs: list[tuple[date, date]] = []
    for day in sorted(days):
        if runs and runs[-1][1] + DAY == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


class FusionSolarHistory(HistorySource):
    """The history of a FusionSolar account's plants in scope."""

    vendor = VENDOR
    # One call a minute per interface, and the budget's margin.
    call_spacing = timedelta(seconds=65)
    # Devices upload every five minutes: an hour is complete ten minutes later.
    live_delay = timedelta(minutes=10)
    # Once a day, the last two days again: each day is read once more
    # between one and two days after it ended (late uploads of devices that
    # were offline, corrections).
    trailing_window = timedelta(hours=48)
    trailing_interval = timedelta(hours=24)

    def __init__(
        self,
        hass: HomeAssistant,
        client: FusionSolarClient,
        account: FusionSolarAccountState,
        inventory: FusionSolarInventoryCoordinator,
    ) -> None:
        """Serve the history of the plants in scope of ``inventory``."""
        self.hass = hass
        self._client = client
        self._account = account
        self._inventory = inventory
        self.live_interval = live_interval(self._client.budget.size)
        self._answers: dict[tuple[str, str, date], _PeriodAnswer] = {}
        """The latest answer per kind, plants and period (month or day)."""
        self._first: dict[
            tuple[Path, tuple[str, ...], int], Mapping[str, tuple[PlantEnergy, ...]]
        ] = {}
        """The answers that told the first data, for when the importer comes back."""

    # What there is ------------------------------------------------------------

    def _flows(self, code: str) -> list[EnergyFlow]:
        flows = [EnergyFlow.SOLAR]
        if code in self._inventory.plants_with(METER_TYPES):
            flows.extend(METER_FLOWS)
        if code in self._inventory.plants_with(BATTERY_TYPES):
            flows.extend(BATTERY_FLOWS)
        return flows

    def _series(self, code: str, flow: EnergyFlow) -> HistorySeries:
        plant = self._inventory.plants.get(code)
        return HistorySeries(
            vendor=self.vendor,
            device_key=code,
            device_name=plant.name if plant is not None else code,
            flow=flow,
        )

    def series(self) -> list[HistorySeries]:
        """Return every series of the plants in scope."""
        return [
            self._series(code, flow)
            for code in sorted(self._inventory.plants)
            for flow in self._flows(code)
        ]

    def _calendar(self, code: str) -> FusionSolarPlantCalendar:
        return self._account.calendar(code)

    # Planning -----------------------------------------------------------------

    def plan(self, start: datetime, end: datetime) -> list[HistoryChunk]:
        """Return the days of each month touched, then each day's hours.

        Months go oldest first: a month written before the newer ones moves
        no later rows (a newer first would move every row after it). Days go
        newest first: replacing a day's daily value by its hours moves
        nothing after it, and the newest days matter most.
        """
        months: list[HistoryChunk] = []
        hours: list[HistoryChunk] = []
        if start >= end:
            return []
        # A range that reaches past now is the newest data's (newest hours,
        # trailing window): older days it touches (Home Assistant was down)
        # get their hours only if the budget has them at once, and are daily
        # otherwise. Waiting for them would hold back the newest hours.
        newest_round = end > self._client.now()
        for batch in batches(sorted(self._inventory.plants)):
            days: set[date] = set()
            for code in batch:
                calendar = self._calendar(code)
                day = calendar.local_date(start)
                last = calendar.local_date(end - timedelta(microseconds=1))
                while day <= last:
                    days.add(day)
                    day += DAY
            by_month: dict[date, list[date]] = {}
            for day in sorted(days):
                by_month.setdefault(day.replace(day=1), []).append(day)
            months.extend(
                self._chunk(DAYS, batch, month_days[0], month_days[-1] + DAY)
                for month_days in by_month.values()
            )
            oldest_newest = self._newest_from(batch)
            hours.extend(
                self._chunk(
                    SPARE_HOURS if newest_round and day < oldest_newest else HOURS,
                    batch,
                    day,
                    day + DAY,
                )
                for day in sorted(days, reverse=True)
            )
        return months + hours

    def _newest_from(self, codes: Sequence[str]) -> date:
        """Return the first day of the newest data (the earliest of the plants)."""
        now = self._client.now()
        return min(
            self._calendar(code).local_date(now) - (NEWEST_DAYS - 1) * DAY
            for code in codes
        )

    def _chunk(
        self, kind: str, batch: Sequence[str], first: date, end: date
    ) -> HistoryChunk:
        calendar = self._calendar(batch[0])
        return HistoryChunk(
            unit=",".join(batch),
            kind=kind,
            start=_local_start(calendar, first),
            end=_local_start(calendar, end),
        )

    # Fetching -----------------------------------------------------------------

    async def async_fetch(self, chunk: HistoryChunk) -> list[SeriesEnergy]:
        """Fetch (or reuse) the days of a month or the hours of a day of a batch."""
        plants = self._inventory.plants
        codes = tuple(code for code in chunk.unit.split(",") if code in plants)
        if not codes or chunk.kind not in (DAYS, *HOUR_KINDS):
            return []
        first, last = chunk.start.date(), chunk.end.date() - DAY
        hourly = chunk.kind in HOUR_KINDS
        if hourly and all(
            (known := self._calendar(code).first_data) is not None and first < known
            for code in codes
        ):
            return []  # the cloud keeps nothing that early
        now = self._client.now()
        self._answers = {
            key: answer
            for key, answer in self._answers.items()
            if answer.at is None or now - answer.at < MONTH_REFRESH
        }
        period = first if hourly else first.replace(day=1)
        key = (HOURS if hourly else DAYS, chunk.unit, period)
        answer = self._answers.get(key)
        if answer is None or not self._is_fresh(answer, key[0], codes, last, now):
            if answer is None or answer.at is not None:
                answer = self._answers[key] = _PeriodAnswer()
            newest = last >= self._newest_from(codes)
            try:
                if hourly:
                    await self._async_ask_hours(
                        answer,
                        codes,
                        first,
                        newest=newest,
                        skip=newest or chunk.kind == SPARE_HOURS,
                    )
                else:
                    await self._async_ask_days(answer, codes, first, newest=newest)
            except _NotNowError:
                del self._answers[key]
                return []
            answer.at = now
        if hourly:
            return self._hour_parts(codes, first, answer)
        return await self._async_day_parts(codes, first, last, answer)

    def _is_fresh(
        self,
        answer: _PeriodAnswer,
        kind: str,
        codes: Sequence[str],
        last: date,
        now: datetime,
    ) -> bool:
        """Return whether an answer came lately, and no day asked for ended since."""
        if answer.at is None:
            return False
        fresh = NEWEST_HOURS_FRESH if kind == HOURS else MONTH_REFRESH
        if now - answer.at >= fresh:
            return False
        for code in codes:
            calendar = self._calendar(code)
            day = calendar.local_date(answer.at)
            if day <= last and day < calendar.local_date(now):
                return False
        return True

    def _may_call(self, path: Path, *, newest: bool, skip: bool) -> None:
        """Count a call of ``path`` now, or say when to come back.

        Requests for days before the newest data pass the backlog budget too.

        Raises:
            ApiRateLimitedError: Not now; ``retry_after`` says when.
            _NotNowError: A request that may be left out (``skip``: the
                newest data's, whose next round asks again) would wait long;
                the importer would hold back everything meanwhile.

        """
        now = self._client.now()
        budget = self._client.budget
        slot = budget.next_slot(path, now)
        backlog = self._account.history_budget
        if not newest:
            backlog.size = budget.size
            slot = max(slot, backlog.next_slot(path, now))
        if slot <= now:
            if not newest:
                backlog.record(path, now)
            return
        wait = slot - now
        if skip and wait > LONGEST_WAIT:
            raise _NotNowError
        if not newest:
            # The importer waits for the request at the head of its queue,
            # the newest hours too: come back when they are due at the latest.
            wait = min(wait, max(self._next_live(now) - now, timedelta(seconds=1)))
        raise ApiRateLimitedError(
            f"History waits for {interface_name(path)} until {now + wait}",
            reason="call_budget_exhausted",
            retry_after=wait.total_seconds(),
        )

    def _next_live(self, now: datetime) -> datetime:
        """Return when the importer next asks for the newest hours."""
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        slots = (now - self.live_delay - midnight) // self.live_interval + 1
        return midnight + slots * self.live_interval + self.live_delay

    # Hours ------------------------------------------------------------------------

    async def _async_ask_hours(
        self,
        answer: _PeriodAnswer,
        codes: Sequence[str],
        day: date,
        *,
        newest: bool,
        skip: bool,
    ) -> None:
        self._may_call(Path.STATION_KPI_HOUR, newest=newest, skip=skip)
        answer.plants = await self._client.async_get_plant_history(
            codes, Period.HOUR, day
        )

    def _hour_parts(
        self, codes: Sequence[str], day: date, answer: _PeriodAnswer
    ) -> list[SeriesEnergy]:
        """Return the hours of a day, from its midnight to the next.

        A midnight the cloud never told (no day bucket) is taken from the
        hours: a guess could overwrite the first hour of a neighbouring
        day, which may hold that day's daily value.
        """
        parts = []
        for code in codes:
            if not (buckets := (answer.plants or {}).get(code, ())):
                continue
            calendar = self._calendar(code)
            start = (
                calendar.midnight(day) if calendar.is_known(day) else buckets[0].start
            )
            end = (
                calendar.midnight(day + DAY)
                if calendar.is_known(day + DAY)
                else buckets[-1].start + HOUR
            )
            flows = self._flows(code)
            for flow in HOURLY_FLOWS:
                energy = {
                    bucket.start: value
                    for bucket in buckets
                    if (value := _value(bucket, flow)) is not None
                }
                if flow in flows and energy:
                    parts.append(
                        SeriesEnergy(
                            series=self._series(code, flow),
                            start=start,
                            end=end,
                            energy=energy,
                        )
                    )
        return parts

    # Days -----------------------------------------------------------------------

    def _battery_groups(self, codes: Sequence[str]) -> list[_Group]:
        wanted = set(codes)
        by_type: dict[int, list[int]] = {}
        for device in self._inventory.data.devices:
            if device.type_id in BATTERY_TYPES and device.plant_code in wanted:
                by_type.setdefault(device.type_id, []).append(device.id)
        return [
            (type_id, batch)
            for type_id, ids in sorted(by_type.items())
            for batch in batches(sorted(ids))
        ]

    async def _async_ask_days(
        self, answer: _PeriodAnswer, codes: Sequence[str], day: date, *, newest: bool
    ) -> None:
        """Ask for a month of the plants' days, then of their batteries' days.

        A second call of an interface waits a minute: the importer comes back
        for it, and the answers so far are kept.
        """
        month = day.replace(day=1)
        if answer.plants is None:
            self._may_call(Path.STATION_KPI_DAY, newest=newest, skip=newest)
            answer.plants = await self._client.async_get_plant_history(
                codes, Period.DAY, month
            )
            for code in codes:
                self._learn(code, month, answer.plants.get(code, ()))
        for group in self._battery_groups(codes):
            if group in answer.batteries:
                continue
            self._may_call(Path.DEV_KPI_DAY, newest=newest, skip=newest)
            type_id, ids = group
            try:
                answer.batteries[group] = await self._client.async_get_device_history(
                    type_id, ids, Period.DAY, month
                )
            except (ApiPermissionError, ApiResponseError) as err:
                # The plants' days are still worth having without them.
                LOGGER.debug("No battery history for %s: %s", ids, err)
                answer.batteries[group] = None

    def _learn(self, code: str, month: date, buckets: Sequence[PlantEnergy]) -> None:
        calendar = self._calendar(code)
        changed = False
        for bucket in buckets:
            changed |= calendar.learn(bucket.start)
        first = calendar.first_data
        if buckets and first is not None and first.replace(day=1) == month:
            # The first month with data was known; now its first day is.
            day = calendar.local_date(buckets[0].start)
            changed |= day != first
            calendar.first_data = day
        if changed:
            self._account.changed()

    def _battery_days(
        self, code: str, answer: _PeriodAnswer
    ) -> dict[date, tuple[float, float]] | None:
        """Return charge and discharge per day of a plant's batteries.

        None if a call was refused. A day counts where a battery reported
        both values; a battery without data that day adds nothing.
        """
        devices = {
            device.id
            for device in self._inventory.data.devices
            if device.plant_code == code and device.type_id in BATTERY_TYPES
        }
        calendar = self._calendar(code)
        days: dict[date, tuple[float, float]] = {}
        for group, found in answer.batteries.items():
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

    async def _async_day_parts(
        self, codes: Sequence[str], first: date, last: date, answer: _PeriodAnswer
    ) -> list[SeriesEnergy]:
        """Return the daily rows of the days from ``first`` to ``last``."""
        parts: list[SeriesEnergy] = []
        for code in codes:
            calendar = self._calendar(code)
            flows = self._flows(code)
            has_battery = BATTERY_FLOWS[0] in flows
            battery = self._battery_days(code, answer) if has_battery else None
            values: dict[EnergyFlow, dict[date, float]] = {flow: {} for flow in flows}
            for bucket in (answer.plants or {}).get(code, ()):
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
                        battery[day]
                        if battery is not None and day in battery
                        else (None, None)
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
            for flow in flows:
                days = values[flow]
                if flow in HOURLY_FLOWS:
                    for day in await self._async_hourly_days(code, flow, days):
                        del days[day]
                parts.extend(self._runs(code, flow, calendar, days))
        return parts

    def _runs(
        self,
        code: str,
        flow: EnergyFlow,
        calendar: FusionSolarPlantCalendar,
        days: Mapping[date, float],
    ) -> list[SeriesEnergy]:
        """Return a part per run of consecutive days: each day's value in its first hour."""
        series = self._series(code, flow)
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

    async def _async_hourly_days(
        self, code: str, flow: EnergyFlow, days: Mapping[date, float]
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
        calendar = self._calendar(code)
        statistic_id = self._series(code, flow).statistic_id
        bounds = {day: floor_hour(calendar.midnight(day)) for day in days}
        instance = get_instance(self.hass)
        # Rows queued by the request before must be in the database.
        await instance.async_block_till_done()
        found = await instance.async_add_executor_job(
            statistics_during_period,
            self.hass,
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

    # The first data -------------------------------------------------------------

    async def async_first_data(self) -> datetime | None:
        """Return the first month the plants have data of (year, then month answer).

        Without an answer (an interface refused or empty): the earliest grid
        connection date, if the plants have one.
        """
        plants = self._inventory.plants
        firsts: list[datetime] = []
        try:
            for batch in batches(sorted(plants)):
                today = self._client.now().date()
                years = await self._async_first_answer(
                    Path.STATION_KPI_YEAR, batch, Period.YEAR, today
                )
                by_year: dict[int, list[str]] = {}
                for code, buckets in years.items():
                    if code in batch and buckets:
                        calendar = self._calendar(code)
                        calendar.learn(buckets[0].start)
                        year = calendar.local_date(buckets[0].start).year
                        by_year.setdefault(year, []).append(code)
                for year, codes in sorted(by_year.items()):
                    months = await self._async_first_answer(
                        Path.STATION_KPI_MONTH,
                        tuple(codes),
                        Period.MONTH,
                        date(year, 7, 1),
                    )
                    for code in codes:
                        if buckets := months.get(code, ()):
                            calendar = self._calendar(code)
                            calendar.learn(buckets[0].start)
                            calendar.first_data = calendar.local_date(buckets[0].start)
                            firsts.append(calendar.midnight(calendar.first_data))
        except (ApiPermissionError, ApiResponseError) as err:
            LOGGER.debug("Not told the first data of the plants: %s", err)
            firsts = []
        self._account.changed()
        if firsts:
            return min(firsts)
        connected = [p.grid_connected for p in plants.values() if p.grid_connected]
        return min(connected) if connected else None

    async def _async_first_answer(
        self, path: Path, codes: Sequence[str], period: Period, when: date
    ) -> Mapping[str, tuple[PlantEnergy, ...]]:
        """Return an answer, kept for when the importer comes back."""
        key = (path, tuple(codes), when.year)
        if (answer := self._first.get(key)) is None:
            # The backfill cannot be planned without: wait as long as it takes.
            self._may_call(path, newest=True, skip=False)
            answer = await self._client.async_get_plant_history(codes, period, when)
            self._first[key] = answer
        return answer


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
