"""When a plant's days begin: its UTC offset, learned from the cloud's history.

FusionSolar names no time zone for a plant, yet cuts its history into
plant-local hours, days, months and years and resets the day counters at the
plant's midnight. A day bucket of a history answer starts at the plant-local
midnight (its ``collectTime``), so each one tells the plant's UTC offset on
that day. A :class:`FusionSolarPlantCalendar` keeps what the answers told, as runs of
days with the same offset (a handful a year: daylight saving time changes
twice), and answers:

- the midnight that starts a plant-local day: exact for days the cloud
  answered for, else from the offset of the nearest day it did;
- the plant's time zone now: the offset learned last, else the offset of the
  plant's grid connection date (``gridConnectionDate`` carries one), else
  Home Assistant's time zone.

The learned offset is a fixed one, not a zone with daylight-saving rules.
After a change it is an hour off until the cloud answered for a day after it;
the current month's days are read several times a day, so that is a matter
of hours, and the counter policy's grace after midnight (two hours) absorbs an
hour's error of a daily counter's reset.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Any, Final, Self, override

from homeassistant.util import dt as dt_util

from ..api.fusionsolar.values import as_dict, as_int, as_list, as_str

DAY: Final = timedelta(days=1)
_WEST_MOST: Final = timedelta(hours=-10)
"""Offsets run from here to 14 hours later (UTC-10 .. UTC+13:59), the range
``api/fusionsolar/history.collect_time`` asks dates for in."""


def midnight_offset(midnight: datetime) -> tuple[date, timedelta]:
    """Return the plant-local date a local midnight starts, and the plant's offset.

    A midnight at 22:00 UTC is that of UTC+2 (the next date), one at 05:00 UTC
    that of UTC-5. Taken between UTC-10 and UTC+13:59.
    """
    utc = midnight.astimezone(UTC)
    offset = -timedelta(hours=utc.hour, minutes=utc.minute)
    if offset < _WEST_MOST:
        offset += DAY
    return (utc + offset).date(), offset


@dataclass(frozen=True, kw_only=True)
class _Run:
    """Days from ``first`` to ``last`` (plant-local) that share one UTC offset."""

    first: date
    last: date
    offset: timedelta

    def distance(self, day: date) -> int:
        if day < self.first:
            return (self.first - day).days
        return max(0, (day - self.last).days)


class FusionSolarPlantCalendar:
    """What the cloud told of a plant's local days (see the module docstring)."""

    def __init__(self) -> None:
        """Start knowing nothing."""
        self._runs: list[_Run] = []
        self.fallback: tzinfo | None = None
        """The zone to assume before the cloud told one (the grid connection's offset)."""
        self.first_data: date | None = None
        """The first plant-local day the cloud keeps data of, where known."""

    # Learning -----------------------------------------------------------------

    def learn(self, midnight: datetime) -> bool:
        """Take a day bucket's start as a local midnight; return whether it was news."""
        day, offset = midnight_offset(midnight)
        if self._run_of(day) is not None and self.offset_on(day) == offset:
            return False
        runs: list[_Run] = [_Run(first=day, last=day, offset=offset)]
        for run in self._runs:
            if run.first <= day <= run.last:
                # The cloud says otherwise now: the day leaves its run.
                if run.first < day:
                    runs.append(
                        _Run(first=run.first, last=day - DAY, offset=run.offset)
                    )
                if day < run.last:
                    runs.append(_Run(first=day + DAY, last=run.last, offset=run.offset))
            else:
                runs.append(run)
        runs.sort(key=lambda run: run.first)
        merged: list[_Run] = []
        for run in runs:
            # Days between two runs of one offset have it too: a change and
            # its return would both have to fall in the gap.
            if merged and merged[-1].offset == run.offset:
                merged[-1] = _Run(
                    first=merged[-1].first, last=run.last, offset=run.offset
                )
            else:
                merged.append(run)
        self._runs = merged
        return True

    # Asking -------------------------------------------------------------------

    def _run_of(self, day: date) -> _Run | None:
        return next((run for run in self._runs if run.first <= day <= run.last), None)

    def is_known(self, day: date) -> bool:
        """Return whether the cloud told when this day starts."""
        return self._run_of(day) is not None

    def offset_on(self, day: date) -> timedelta:
        """Return the plant's UTC offset at the start of a local day."""
        if self._runs:
            run = min(self._runs, key=lambda run: run.distance(day))
            return run.offset
        zone = self.fallback or dt_util.get_default_time_zone()
        return zone.utcoffset(datetime.combine(day, time())) or timedelta()

    def midnight(self, day: date) -> datetime:
        """Return the start (UTC) of a plant-local day."""
        return datetime.combine(day, time(), timezone(self.offset_on(day))).astimezone(
            UTC
        )

    def local_date(self, at: datetime) -> date:
        """Return the plant-local date of an instant."""
        day = (at.astimezone(UTC) + self.offset_on(at.date())).date()
        if at < self.midnight(day):
            return day - DAY
        if at >= self.midnight(day + DAY):
            return day + DAY
        return day

    def zone(self) -> tzinfo:
        """Return the plant's time zone as far as it is known now."""
        if self._runs:
            return timezone(self._runs[-1].offset)
        return self.fallback or dt_util.get_default_time_zone()

    def diagnostics(self) -> dict[str, Any]:
        """Return what was learned and the zone counters use now."""
        return {"zone": str(self.zone()), **self.as_dict()}

    # Storage ------------------------------------------------------------------

    @property
    def learned(self) -> bool:
        """Return whether the cloud told anything (worth keeping)."""
        return bool(self._runs) or self.first_data is not None

    def as_dict(self) -> dict[str, Any]:
        """Return what was learned as plain data (:meth:`from_dict` reads it back)."""
        return {
            "runs": [
                [
                    run.first.isoformat(),
                    run.last.isoformat(),
                    int(run.offset.total_seconds() // 60),
                ]
                for run in self._runs
            ],
            "first_data": self.first_data.isoformat() if self.first_data else None,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        """Read what :meth:`as_dict` returned; leave out what does not parse."""
        calendar = cls()
        for item in as_list(as_dict(data).get("runs")):
            values = as_list(item)
            if len(values) != 3:
                continue
            first, last = _date(values[0]), _date(values[1])
            minutes = as_int(values[2])
            if (
                first is None
                or last is None
                or minutes is None
                or first > last
                or abs(minutes) > 24 * 60
            ):
                continue
            calendar._runs.append(
                _Run(first=first, last=last, offset=timedelta(minutes=minutes))
            )
        calendar._runs.sort(key=lambda run: run.first)
        calendar.first_data = _date(as_dict(data).get("first_data"))
        return calendar


def _date(value: Any) -> date | None:
    if (text := as_str(value)) is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


class FusionSolarPlantTimeZone(tzinfo):
    """A plant's zone that follows what its calendar learns.

    Counters are built once; this lets them use the offset learned later
    without being rebuilt.
    """

    def __init__(self, calendar: FusionSolarPlantCalendar) -> None:
        """Follow ``calendar``."""
        super().__init__()
        self._calendar = calendar

    @override
    def utcoffset(self, dt: datetime | None) -> timedelta:
        zone = self._calendar.zone()
        naive = (dt or datetime.now()).replace(tzinfo=None)  # noqa: DTZ005
        return zone.utcoffset(naive) or timedelta()

    @override
    def dst(self, dt: datetime | None) -> timedelta:
        return timedelta()

    @override
    def tzname(self, dt: datetime | None) -> str:
        return f"UTC{_offset_text(self.utcoffset(dt))}"

    @override
    def fromutc(self, dt: datetime) -> datetime:
        local = dt.replace(tzinfo=UTC).astimezone(self._calendar.zone())
        return local.replace(tzinfo=self)


def _offset_text(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
