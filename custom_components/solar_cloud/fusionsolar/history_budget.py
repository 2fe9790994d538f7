"""How the history import shares the history interfaces' daily calls.

getKpiStationHour and getKpiStationDay allow ROUNDUP(plants/100) + 24 calls
a day per account, getDevKpiDay the sum over device types of
ROUNDUP(devices/100) + 24; the account's :class:`CallBudget` makes sure no call
beyond that ever goes out. Within it, the newest data comes first: requests for
the last three plant-local days (today, yesterday and the day before: the
newest hours and the trailing window) may use every call, requests for older
days (the backfill, older days asked for by the action) only what the newest
data leaves over. Those are counted a second time in a budget of their own, the
*backlog budget*, whose limits are the documented ones minus a reserve.

With B plant batches (ROUNDUP(plants/100)), the newest hours need per day on
getKpiStationHour (one call per batch and plant-local day):

- ``24 h / live interval`` rounds of today's hours,
- one round of yesterday's last hours, after the plant's midnight,
- the trailing window, once a day: the day before yesterday, yesterday, and
  today if the newest round is more than 90 minutes old,
- and one call to spare (hours missed while Home Assistant was down).

So the reserve is B x (24 h / interval + 4) + 1 and the backlog gets the rest:
one plant batch, hours every 2 hours: 12 + 4 + 1 = 17 of 25 calls are kept,
8 refine one older day each. The live interval is the shortest of 2, 3, 4, 6,
8, 12 or 24 hours that leaves the backlog at least one call.

The days interfaces (one call per plant batch for a month of days, and one per
batch of batteries of a type) serve today's days every six hours, yesterday's
after midnight (on the 1st in the month before: a second call), and the
trailing window (on the 1st and 2nd: two months): 8 rounds, plus one to spare.

A request for the newest data that would still wait more than
:data:`LONGEST_WAIT` is left to the next round of them, which asks again: the
importer holds everything back while its first request waits. So are the
hours of older days such a round touches after Home Assistant was down for
days: those days stay daily unless the backlog has a call for them at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
import math
from types import MappingProxyType
from typing import Final

from ..api.fusionsolar.const import BATTERY_TYPES, MAX_BATCH, Path
from ..api.fusionsolar.flow_control import LIMITS, AccountSize, CallBudget, Limit

LIVE_INTERVALS: Final = tuple(timedelta(hours=h) for h in (2, 3, 4, 6, 8, 12, 24))
MONTH_REFRESH: Final = timedelta(hours=6)
"""How often the days of the current month are read again."""
NEWEST_HOURS_FRESH: Final = timedelta(minutes=90)
"""Hours read this recently are not read again (shorter than the live interval)."""
LONGEST_WAIT: Final = timedelta(minutes=5)
"""A request for the newest data that would wait longer is left to the next round."""

_EXTRA_HOUR_ROUNDS: Final = 4
_MONTH_ROUNDS: Final = round(timedelta(days=1) / MONTH_REFRESH) + 4
_SPARE: Final = 1
_DAY: Final = timedelta(days=1)


def _daily(path: Path, size: AccountSize) -> int:
    return LIMITS[path].calls(size)


def _hour_reserve(size: AccountSize, interval: timedelta) -> int:
    rounds = round(_DAY / interval) + _EXTRA_HOUR_ROUNDS
    return size.plant_batches * rounds + _SPARE


def live_interval(size: AccountSize) -> timedelta:
    """Return how often today's hours are read, for an account of this size."""
    allowed = _daily(Path.STATION_KPI_HOUR, size)
    for interval in LIVE_INTERVALS:
        if _hour_reserve(size, interval) < allowed:
            return interval
    return LIVE_INTERVALS[-1]


def battery_batches(size: AccountSize) -> int:
    """Return the getDevKpiDay calls one round of months takes (at most)."""
    return sum(
        math.ceil(count / MAX_BATCH) + size.plant_batches - 1
        for type_id, count in size.devices.items()
        if type_id in BATTERY_TYPES and count
    )


def hour_reserve(size: AccountSize) -> int:
    """Return the getKpiStationHour calls a day kept for the newest hours."""
    return _hour_reserve(size, live_interval(size))


def day_reserve(size: AccountSize) -> int:
    """Return the getKpiStationDay calls a day kept for the newest days."""
    return size.plant_batches * _MONTH_ROUNDS + _SPARE


def device_day_reserve(size: AccountSize) -> int:
    """Return the getDevKpiDay calls a day kept for the newest days."""
    return battery_batches(size) * _MONTH_ROUNDS + _SPARE


def _backlog(path: Path, reserve: Callable[[AccountSize], int]) -> Limit:
    limit = LIMITS[path]
    return Limit(
        window=limit.window, calls=lambda size: limit.calls(size) - reserve(size)
    )


BACKLOG_LIMITS: Final[Mapping[Path, Limit]] = MappingProxyType(
    {
        Path.STATION_KPI_HOUR: _backlog(Path.STATION_KPI_HOUR, hour_reserve),
        Path.STATION_KPI_DAY: _backlog(Path.STATION_KPI_DAY, day_reserve),
        Path.DEV_KPI_DAY: _backlog(Path.DEV_KPI_DAY, device_day_reserve),
    }
)
"""What requests for days before the newest three may use (a budget of their own)."""


def backlog_budget() -> CallBudget:
    """Return an empty backlog budget."""
    return CallBudget(BACKLOG_LIMITS)
