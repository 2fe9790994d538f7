"""The energy history of FusionSolar plants, for the long-term statistics.

Each plant in scope has these series (statistic device key: the plant code):
solar production, and where the plant has a meter grid export, consumption
and grid import, and where it has batteries their charge and discharge.

What is asked for, in which order: ``history_plan.py``.

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
``api/fusionsolar/history.collect_time`` expects it.

What the answers become (the rows of the statistics): ``history_rows.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta

from homeassistant.core import HomeAssistant

from ..api import ApiPermissionError, ApiRateLimitedError, ApiResponseError
from ..api.fusionsolar.client import interface_name
from ..api.fusionsolar.const import BATTERY_TYPES, METER_TYPES, Path
from ..api.fusionsolar.flow_control import HISTORY_SPACING, batches
from ..api.fusionsolar.history import Period, PlantEnergy
from ..const import LOGGER
from ..history_source import HistoryChunk, HistorySource
from ..statistics import EnergyFlow, HistorySeries, SeriesEnergy
from .const import VENDOR
from .coordinator import FusionSolarInventoryCoordinator
from .history_budget import (
    LONGEST_WAIT,
    MONTH_REFRESH,
    NEWEST_HOURS_FRESH,
    live_interval,
)
from .history_plan import DAYS, HOUR_KINDS, HOURS, SPARE_HOURS, newest_from, plan
from .history_rows import (
    BATTERY_FLOWS,
    HOURLY_FLOWS,
    METER_FLOWS,
    BatteryGroup,
    FusionSolarHistoryAnswer,
    async_hourly_days,
    battery_days,
    daily_runs,
    day_values,
    hour_parts,
)
from .plant_time import DAY, FusionSolarPlantCalendar


class _NotNowError(Exception):
    """A request for the newest data would wait long: the next round asks again."""


class FusionSolarHistory(HistorySource):
    """The history of a FusionSolar account's plants in scope."""

    vendor = VENDOR
    call_spacing = HISTORY_SPACING
    # Devices upload every five minutes: an hour is complete ten minutes later.
    live_delay = timedelta(minutes=10)
    # Once a day, the last two days again: each day is read once more
    # between one and two days after it ended (late uploads of devices that
    # were offline, corrections).
    trailing_window = timedelta(hours=48)
    trailing_interval = timedelta(hours=24)

    def __init__(
        self, hass: HomeAssistant, inventory: FusionSolarInventoryCoordinator
    ) -> None:
        """Serve the history of the plants in scope of ``inventory``."""
        self.hass = hass
        self._inventory = inventory
        # The inventory's client and account: the plants' budget and calendars.
        self._client = inventory.client
        self._account = inventory.account
        self.live_interval = live_interval(self._client.budget.size)
        self._answers: dict[tuple[str, str, date], FusionSolarHistoryAnswer] = {}
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
        """Return the days of each month touched, then each day's hours."""
        return plan(
            start,
            end,
            self._client.now(),
            sorted(self._inventory.plants),
            self._calendar,
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
                answer = self._answers[key] = FusionSolarHistoryAnswer()
            newest = last >= newest_from(codes, self._client.now(), self._calendar)
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
        answer: FusionSolarHistoryAnswer,
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
        answer: FusionSolarHistoryAnswer,
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
        self, codes: Sequence[str], day: date, answer: FusionSolarHistoryAnswer
    ) -> list[SeriesEnergy]:
        parts = []
        for code in codes:
            parts.extend(
                hour_parts(
                    self._calendar(code),
                    day,
                    (answer.plants or {}).get(code, ()),
                    {flow: self._series(code, flow) for flow in self._flows(code)},
                )
            )
        return parts

    # Days -----------------------------------------------------------------------

    def _battery_groups(self, codes: Sequence[str]) -> list[BatteryGroup]:
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
        self,
        answer: FusionSolarHistoryAnswer,
        codes: Sequence[str],
        day: date,
        *,
        newest: bool,
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

    async def _async_day_parts(
        self,
        codes: Sequence[str],
        first: date,
        last: date,
        answer: FusionSolarHistoryAnswer,
    ) -> list[SeriesEnergy]:
        """Return the daily rows of the days from ``first`` to ``last``."""
        parts: list[SeriesEnergy] = []
        for code in codes:
            calendar = self._calendar(code)
            flows = self._flows(code)
            battery = None
            if BATTERY_FLOWS[0] in flows:
                devices = {
                    device.id
                    for device in self._inventory.data.devices
                    if device.plant_code == code and device.type_id in BATTERY_TYPES
                }
                battery = battery_days(calendar, devices, answer.batteries)
            values = day_values(
                calendar,
                flows,
                (answer.plants or {}).get(code, ()),
                battery,
                first,
                last,
            )
            for flow in flows:
                series = self._series(code, flow)
                days = values[flow]
                if flow in HOURLY_FLOWS:
                    for day in await async_hourly_days(
                        self.hass, calendar, series.statistic_id, days
                    ):
                        del days[day]
                parts.extend(daily_runs(series, calendar, days))
        return parts

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
