"""The Northbound API's flow control, as data, and the call budget that obeys it.

Huawei limits how often each northbound user may call each interface, per
window, as a function of how many plants and devices the user manages
("traffic limiting" in the Northbound reference); a call beyond the limit is
refused with failCode 407. :data:`LIMITS` holds those rules. A
:class:`CallBudget` per account records every call and answers when the next
call of an interface may go out; the client asks it before every call, and
the pollers plan their calls with it, so that no call is ever refused.

The budget treats every window as sliding: a sequence of calls that keeps to
a sliding window also keeps to any fixed window of the same length.

When a call counts. The server counts a call at some moment between our
sending it and our receiving its answer; nothing else is known of that
moment. So a call is recorded when it is sent (a reservation: a call still in
flight counts for the calls planned beside it) and, once its answer has come
(or the attempt ended), its record moves to that moment
(:meth:`CallBudget.settle`). Two calls the server counted at ``c1`` and
``c2``, the first answered at ``r1`` and the second sent at ``s2``, satisfy
``c2 - c1 >= s2 - r1``, because ``c1 <= r1`` and ``s2 <= c2``; the budget
keeps ``s2 - r1 >= window + SAFETY_MARGIN``, so the server sees its calls at
least a window apart however long each took, whether it counts on arrival,
when it answers, or anywhere in between. The only difference left is that of
clock granularity (a server that keeps seconds can see two moments up to a
second closer than they were), which is what :data:`SAFETY_MARGIN` (1 s)
covers. A margin counted from the *send* of the previous call, as before,
would have had to cover the whole time the call took, and still failed for a
slow answer; counted from the answer it is tight: a call every
``window + margin + round trip``, about 301 s for the 5-minute interfaces.
The tests' simulator counts on arrival, on a clock of its own
(``tests/simulator/fusionsolar/session.py``), and refuses nothing.

Nothing here does I/O or reads the clock: every method takes ``now``. A
budget turns into plain data and back (:meth:`CallBudget.as_dict`,
:meth:`CallBudget.from_dict`) so that it can outlive the process: Huawei's
windows do not restart with Home Assistant.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import math
from types import MappingProxyType
from typing import Any

from .const import MAX_BATCH, Path
from .values import as_datetime_iso, as_dict, as_list

SAFETY_MARGIN = timedelta(seconds=1)
"""Covers clock granularity; see the module's docstring."""


@dataclass(frozen=True, kw_only=True)
class AccountSize:
    """What the limits of an account depend on: its plants and devices."""

    plants: int = 1
    devices: Mapping[int, int] = field(default_factory=dict)
    """Devices per ``devTypeId``."""

    @property
    def plant_batches(self) -> int:
        """Return ROUNDUP(plants / 100), at least 1."""
        return max(1, math.ceil(self.plants / MAX_BATCH))

    @property
    def device_batches(self) -> int:
        """Return the sum over device types of ROUNDUP(devices / 100), at least 1."""
        return max(
            1, sum(math.ceil(count / MAX_BATCH) for count in self.devices.values())
        )


@dataclass(frozen=True, kw_only=True)
class Limit:
    """How many calls of one interface an account may make per window."""

    window: timedelta
    calls: Callable[[AccountSize], int]
    spacing: timedelta = timedelta()
    """Least time between two calls ("one concurrent request per minute")."""
    documented: bool = True
    """False: Huawei publishes no limit; this one is our own, kept low."""


_MINUTE = timedelta(minutes=1)
_FIVE_MINUTES = timedelta(minutes=5)
_DAY = timedelta(days=1)

HISTORY_SPACING = _MINUTE + timedelta(seconds=5)
"""How far apart the history importer sends its calls: the history interfaces'
one call a minute (below), a little wider than the budget's margin, so the
budget never holds one of them back."""

LIMITS: Mapping[Path, Limit] = MappingProxyType(
    {
        Path.LOGIN: Limit(window=timedelta(minutes=10), calls=lambda _: 5),
        Path.LOGOUT: Limit(window=timedelta(minutes=10), calls=lambda _: 5),
        Path.STATION_LIST: Limit(window=_DAY, calls=lambda _: 24, spacing=_MINUTE),
        # The paged successor of getStationList; its limit is not in the
        # reference we have, so it is held to the plant-based daily rule of
        # the other list interfaces.
        Path.STATIONS: Limit(
            window=_DAY, calls=lambda s: s.plant_batches + 24, spacing=_MINUTE
        ),
        Path.STATION_REAL_KPI: Limit(
            window=_FIVE_MINUTES, calls=lambda s: s.plant_batches, spacing=_MINUTE
        ),
        Path.DEV_LIST: Limit(
            window=_DAY, calls=lambda s: s.plant_batches + 24, spacing=_MINUTE
        ),
        Path.DEV_REAL_KPI: Limit(
            window=_FIVE_MINUTES, calls=lambda s: s.device_batches
        ),
        # History: "Roundup(plants/100) + 24" and "Σ Roundup(devices of a
        # type/100) + 24" per day, one call per minute, each interface counted
        # on its own.
        **dict.fromkeys(
            (
                Path.STATION_KPI_HOUR,
                Path.STATION_KPI_DAY,
                Path.STATION_KPI_MONTH,
                Path.STATION_KPI_YEAR,
            ),
            Limit(window=_DAY, calls=lambda s: s.plant_batches + 24, spacing=_MINUTE),
        ),
        **dict.fromkeys(
            (Path.DEV_KPI_DAY, Path.DEV_KPI_MONTH, Path.DEV_KPI_YEAR),
            Limit(window=_DAY, calls=lambda s: s.device_batches + 24, spacing=_MINUTE),
        ),
        # Newer references: the larger of the plant- and the device-based count.
        Path.ALARM_LIST: Limit(
            window=timedelta(minutes=30),
            calls=lambda s: max(s.plant_batches, s.device_batches),
        ),
        # Huawei documents no numbers for the configuration and control
        # interfaces, only "do not call repeatedly before a task is complete".
        **dict.fromkeys(
            (
                Path.BATTERY_MODE,
                Path.POWER_CONTROL_MODE,
                Path.CHARGE_DISCHARGE_STATUS,
            ),
            Limit(window=_FIVE_MINUTES, calls=lambda _: 10, documented=False),
        ),
        **dict.fromkeys(
            (
                Path.BATTERY_MODE_TASK,
                Path.BATTERY_CONFIG_TASK,
                Path.POWER_CONTROL_TASK,
                Path.CHARGE_DISCHARGE_TASK,
            ),
            Limit(window=_FIVE_MINUTES, calls=lambda _: 5, documented=False),
        ),
        **dict.fromkeys(
            (
                Path.BATTERY_MODE_TASK_INFO,
                Path.BATTERY_CONFIG_TASK_INFO,
                Path.POWER_CONTROL_TASK_INFO,
            ),
            Limit(window=_FIVE_MINUTES, calls=lambda _: 30, documented=False),
        ),
    }
)


class CallBudget:
    """The calls an account made, and when it may make the next ones.

    One budget per account, shared by everything that calls for it.
    """

    def __init__(
        self,
        limits: Mapping[Path, Limit] = LIMITS,
        *,
        size: AccountSize | None = None,
        margin: timedelta = SAFETY_MARGIN,
    ) -> None:
        """Start with no calls made and the smallest account size."""
        self._limits = limits
        self._margin = margin
        self.size = size or AccountSize()
        self._calls: dict[Path, deque[datetime]] = {}
        self._blocked_until: dict[Path, datetime] = {}
        self.on_change: Callable[[], None] | None = None
        """Called after each change (a call counted, taken back, refused)."""

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    def limit(self, path: Path) -> Limit:
        """Return the limit of an interface."""
        return self._limits[path]

    def allowed(self, path: Path) -> int:
        """Return how many calls of ``path`` the account may make per window."""
        return max(1, self._limits[path].calls(self.size))

    def _recent(self, path: Path, now: datetime) -> list[datetime]:
        limit = self._limits[path]
        horizon = now - max(limit.window, limit.spacing) - self._margin
        return [at for at in self._calls.get(path, ()) if horizon < at <= now]

    def next_slot(self, path: Path, now: datetime) -> datetime:
        """Return the earliest time (``now`` or later) a call of ``path`` may go out."""
        limit = self._limits[path]
        calls = self._recent(path, now)
        slot = max(now, self._blocked_until.get(path, now))
        if calls and limit.spacing:
            slot = max(slot, calls[-1] + limit.spacing + self._margin)
        allowed = self.allowed(path)
        if len(calls) >= allowed:
            slot = max(slot, calls[-allowed] + limit.window + self._margin)
        return slot

    def record(self, path: Path, at: datetime) -> None:
        """Count a call of ``path`` made at ``at``."""
        limit = self._limits[path]
        calls = self._calls.setdefault(path, deque())
        horizon = at - max(limit.window, limit.spacing) - self._margin
        while calls and calls[0] <= horizon:
            calls.popleft()
        calls.append(at)
        self._changed()

    def settle(self, path: Path, sent: datetime, at: datetime) -> datetime:
        """Move the call sent at ``sent`` to ``at``, when its answer came.

        Returns the time the call is now counted at (``at``; ``sent`` if the
        call is not known, e.g. taken back meanwhile).
        """
        calls = self._calls.get(path)
        if calls is None or sent not in calls or at <= sent:
            return sent
        calls.remove(sent)
        # Keep the calls in order: a later call may have been settled first.
        index = len(calls)
        while index and calls[index - 1] > at:
            index -= 1
        calls.insert(index, at)
        self._changed()
        return at

    def fits(self, path: Path, times: Iterable[datetime]) -> bool:
        """Return whether calls of ``path`` at ``times`` would all be allowed.

        Nothing is recorded: the pollers ask whether an extra call now
        leaves room for the calls they plan next.
        """
        trial = CallBudget(self._limits, size=self.size, margin=self._margin)
        trial._calls[path] = deque(self._calls.get(path, ()))
        if path in self._blocked_until:
            trial._blocked_until[path] = self._blocked_until[path]
        for at in sorted(times):
            if trial.next_slot(path, at) > at:
                return False
            trial.record(path, at)
        return True

    def release(self, path: Path, at: datetime) -> None:
        """Take back the call made at ``at``: the server did not count it.

        A call refused for an expired session (305) did not reach the
        interface; repeating it after logging in again must not wait.
        """
        calls = self._calls.get(path)
        if calls is not None and at in calls:
            calls.remove(at)
            self._changed()

    def refused(self, path: Path, at: datetime) -> datetime:
        """Back ``path`` off after the server refused a call at ``at``.

        The server counts calls this budget does not know of (made before a
        restart, or by another program with the same account). Its window,
        fixed or sliding, has reset one window after the refusal at the
        latest. Returns when calls may resume.
        """
        until = at + self._limits[path].window + self._margin
        self._blocked_until[path] = max(self._blocked_until.get(path, at), until)
        self._changed()
        return until

    def absorb(self, other: CallBudget) -> None:
        """Count the calls and back-offs another budget saw.

        A config flow lists the plants before it knows the account's id, so it
        cannot use the account's budget; the entry set up right after must
        still know of that call. After a restart, the account absorbs what
        was stored of it. ``other`` must hold other calls than this budget.
        """
        if other is self:
            return
        # Every call counts, even two made in the same instant.
        for path, calls in other._calls.items():
            self._calls[path] = deque(sorted([*self._calls.get(path, ()), *calls]))
        for path, until in other._blocked_until.items():
            self._blocked_until[path] = max(self._blocked_until.get(path, until), until)
        if other._calls or other._blocked_until:
            self._changed()

    def calls_made(self, path: Path, now: datetime) -> int:
        """Return how many calls of ``path`` count in the current window."""
        limit = self._limits[path]
        return sum(1 for at in self._recent(path, now) if at > now - limit.window)

    # Storage ------------------------------------------------------------------

    def as_dict(self, now: datetime) -> dict[str, Any]:
        """Return, as plain data, the calls that still count and the back-offs."""
        calls = {
            path.name.lower(): [at.isoformat() for at in recent]
            for path in self._calls
            if (recent := self._recent(path, now))
        }
        blocked = {
            path.name.lower(): until.isoformat()
            for path, until in self._blocked_until.items()
            if until > now
        }
        return {"calls": calls, "blocked_until": blocked}

    @classmethod
    def from_dict(
        cls,
        data: Any,
        now: datetime,
        *,
        limits: Mapping[Path, Limit] = LIMITS,
        margin: timedelta = SAFETY_MARGIN,
    ) -> CallBudget:
        """Return a budget holding what :meth:`as_dict` gave, as far as it counts now.

        ``data`` may be anything: what cannot be read is left out, and so are
        calls outside their window (or after ``now``: the clock went back)
        and back-offs that ended. A back-off ends one window from ``now`` at
        the latest, whatever was stored.
        """
        budget = cls(limits, margin=margin)
        for path, values in _by_path(as_dict(data).get("calls"), limits):
            limit = limits[path]
            horizon = now - max(limit.window, limit.spacing) - margin
            calls = sorted(
                at
                for value in as_list(values)
                if (at := as_datetime_iso(value)) is not None and horizon < at <= now
            )
            if calls:
                budget._calls[path] = deque(calls)
        for path, value in _by_path(as_dict(data).get("blocked_until"), limits):
            until = as_datetime_iso(value)
            if until is not None and until > now:
                latest = now + limits[path].window + margin
                budget._blocked_until[path] = min(until, latest)
        return budget


def _by_path(data: Any, limits: Mapping[Path, Limit]) -> list[tuple[Path, Any]]:
    """Return the items of a stored mapping whose keys name known interfaces."""
    names = {path.name.lower(): path for path in limits}
    return [(names[key], value) for key, value in as_dict(data).items() if key in names]


# Planning -------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Job:
    """A call that should be made every ``period``: one batch of one interface."""

    key: Hashable
    path: Path
    period: timedelta


def due_jobs(
    jobs: Iterable[Job], next_due: Mapping[Hashable, datetime], now: datetime
) -> list[Job]:
    """Return the jobs due at ``now``, the longest overdue first.

    A job that never ran is due at once.
    """
    due = [job for job in jobs if next_due.get(job.key, now) <= now]
    return sorted(due, key=lambda job: next_due.get(job.key, now))


def next_wake(
    jobs: Sequence[Job],
    next_due: Mapping[Hashable, datetime],
    budget: CallBudget,
    now: datetime,
) -> datetime | None:
    """Return when the next job can run: due, and allowed by the budget.

    None if there are no jobs.
    """
    wakes = [
        max(next_due.get(job.key, now), budget.next_slot(job.path, now)) for job in jobs
    ]
    return min(wakes, default=None)


def batches[T](items: Sequence[T], size: int = MAX_BATCH) -> list[tuple[T, ...]]:
    """Split ``items`` into batches of at most ``size`` (the API's maximum)."""
    return [tuple(items[i : i + size]) for i in range(0, len(items), size)]
