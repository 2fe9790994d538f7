"""What FusionSolar's history import asks for, and in which order.

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

The last three plant-local days are the newest data (the newest hours and
the trailing window); older days wait for the backlog's share of the calls.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta, timezone
from typing import Final

from ..api.fusionsolar.flow_control import batches
from ..history_source import HistoryChunk
from .plant_time import DAY, FusionSolarPlantCalendar

DAYS: Final = "days"
HOURS: Final = "hours"
SPARE_HOURS: Final = "spare_hours"
"""Hours of an older day, for the newest data's rounds: only if the budget
allows at once (after Home Assistant was down for days)."""
HOUR_KINDS: Final = (HOURS, SPARE_HOURS)
NEWEST_DAYS: Final = 3
"""Today, yesterday and the day before (the trailing window): the newest data."""

type CalendarOf = Callable[[str], FusionSolarPlantCalendar]
"""A plant's calendar, by plant code."""


def plan(
    start: datetime,
    end: datetime,
    now: datetime,
    plant_codes: Sequence[str],
    calendar_of: CalendarOf,
) -> list[HistoryChunk]:
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
    newest_round = end > now
    for batch in batches(plant_codes):
        days: set[date] = set()
        for code in batch:
            calendar = calendar_of(code)
            day = calendar.local_date(start)
            last = calendar.local_date(end - timedelta(microseconds=1))
            while day <= last:
                days.add(day)
                day += DAY
        by_month: dict[date, list[date]] = {}
        for day in sorted(days):
            by_month.setdefault(day.replace(day=1), []).append(day)
        first_calendar = calendar_of(batch[0])
        months.extend(
            _chunk(DAYS, batch, first_calendar, month_days[0], month_days[-1] + DAY)
            for month_days in by_month.values()
        )
        oldest_newest = newest_from(batch, now, calendar_of)
        hours.extend(
            _chunk(
                SPARE_HOURS if newest_round and day < oldest_newest else HOURS,
                batch,
                first_calendar,
                day,
                day + DAY,
            )
            for day in sorted(days, reverse=True)
        )
    return months + hours


def newest_from(codes: Sequence[str], now: datetime, calendar_of: CalendarOf) -> date:
    """Return the first day of the newest data (the earliest of the plants)."""
    return min(
        calendar_of(code).local_date(now) - (NEWEST_DAYS - 1) * DAY for code in codes
    )


def _chunk(
    kind: str,
    batch: Sequence[str],
    calendar: FusionSolarPlantCalendar,
    first: date,
    end: date,
) -> HistoryChunk:
    return HistoryChunk(
        unit=",".join(batch),
        kind=kind,
        start=_local_start(calendar, first),
        end=_local_start(calendar, end),
    )


def _local_start(calendar: FusionSolarPlantCalendar, day: date) -> datetime:
    """Return a plant-local midnight in the plant's offset: ``.date()`` is ``day``."""
    return calendar.midnight(day).astimezone(timezone(calendar.offset_on(day)))
