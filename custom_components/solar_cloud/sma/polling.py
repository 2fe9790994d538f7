"""When an SMA plant's measurements are polled.

Each interval SMA serves carries its end time, so when a plant's intervals
appear at SMA is learnt from the data (``api/appearance.py``), and each
poll is set on the absolute time the next interval is expected, not an
interval after the last poll. The measurement coordinators
(``coordinator.py``) read; this module says when, and what a poll may
leave out:

- the plant balance reads the Day of the plant's date, so it does not wait
  for an interval of a day that is over when it polls (:func:`skip_gone_days`);
- the devices' intervals come with the plant's upload: they follow the
  phase the balance learnt (:func:`follow_phase`), a little later;
- a device poll the balance shows cannot find its interval yet is not
  made: it waits for the balance's next look (:func:`wait_for_balance`);
- a second look for a late interval reads only the sets still without it
  (:func:`second_look`);
- the plants of one client share its call budget (:class:`CallPlan`): more
  plants than it serves are read every few intervals, spread over the
  windows, and set up in batches.

What the polls return is here too (:class:`PlantData`, ``DeviceData``), and
how a poll's calls run together (:func:`gather_all`).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from math import gcd, lcm

from ..api.appearance import AppearanceSchedule
from ..api.sma import MeasurementField, MeasurementPoint, MeasurementSet, PlantKind
from .const import DEVICE_MARGIN, EXPECTED_DELAY

CALL_BUDGET = 80
"""Calls one client may make in a window (``CALL_WINDOW``), tokens included.

SMA limits each client (credential) with a token bucket refilled over five
minutes (since 1 July 2025) and does not publish its size; it answers 429,
without Retry-After, when the bucket is empty. 80 leaves a fifth of the 100
the simulator models for what is not planned: the hourly plant list, the
history import, actions and flows."""
CALL_WINDOW = timedelta(minutes=5)
"""The window SMA's bucket refills over (also the shortest interval)."""
TOKEN_CALLS = 2
"""Token calls a window may hold: a token lives five minutes, renewed a
little early."""
SECOND_LOOKS = 0.1
"""The share of a window the plan leaves for second looks at late intervals
and the lifetime totals."""
MAX_STRIDE = 12
"""Read a plant at least hourly (every 12th 5-minute interval)."""
EXPECTED_SETS = 2
"""The sets a plant's device poll is expected to read before its devices are
read (an inverter's PV and AC): the plan leaves room for them from the start."""
BATCH_GAP = timedelta(seconds=30)
"""The least time between two batches of a large account's devices."""
CALL_SPAN = CALL_WINDOW + timedelta(seconds=30)
"""How long a poll's calls count against a window: they reach SMA during
the poll, up to this much after the poll was admitted."""


@dataclass(frozen=True, kw_only=True)
class PlantData:
    """A plant's newest interval and its energy counters (Wh)."""

    latest: MeasurementPoint | None
    today: Mapping[MeasurementField, float] = field(default_factory=dict)
    lifetime: Mapping[MeasurementField, float] = field(default_factory=dict)
    fields: frozenset[str] = frozenset()
    """Every field the plant reports (today or over its lifetime)."""
    resolution: timedelta | None = None
    day: date | None = None
    """The plant-local day of ``answer``."""
    answer: MeasurementSet | None = None
    """The day's EnergyBalance as read (the history import reuses it)."""


type DeviceData = dict[str, dict[str, MeasurementPoint]]
"""Device key -> measurement set -> the newest interval."""
type SetRead = tuple[str, str, str]
"""Device key, SMA device id and measurement set of one call."""


async def gather_all[T](calls: Iterable[Awaitable[T]]) -> list[T]:
    """Return the results of ``calls``, run concurrently, in order.

    Unlike a plain gather, a failing call leaves no sibling running behind:
    all finish first, then the first error is raised.
    """
    results = await asyncio.gather(*calls, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results  # type: ignore[return-value]


def expected_delay(
    kind: PlantKind, resolution: timedelta | None, cadence: timedelta = timedelta()
) -> timedelta:
    """Return how old a plant's newest data may be before it counts as gone.

    Read every few intervals (a client with more plants than its budget
    serves), data grows older between polls: two polls may pass.
    """
    return max(EXPECTED_DELAY[kind], 3 * (resolution or timedelta()), 2 * cadence)


def skip_gone_days(schedule: AppearanceSchedule, zone: tzinfo, now: datetime) -> None:
    """Skip the intervals the next balance poll's answer cannot hold.

    A poll reads the Day of the plant's date when it comes, and SMA's Day
    holds the intervals ending in it (the one ending at midnight closes the
    day before): an interval of a day that is over by then, such as the last
    ones of a classic plant that come two hours late, is not in it, and is
    not waited for.
    """
    for _ in range(int(timedelta(days=1) / schedule.cadence)):
        if (expected := schedule.expected) is None:
            return
        poll = schedule.next_poll(now)
        ends_in = (expected - timedelta(microseconds=1)).astimezone(zone).date()
        if ends_in >= poll.astimezone(zone).date():
            return
        schedule.skip()


def follow_phase(
    schedule: AppearanceSchedule, phase: AppearanceSchedule | None
) -> None:
    """Take the plant balance's phase once that has been learnt.

    The balance, read three times as often, learns the phase sooner and
    follows it closer. A little later than the balance: a device poll reads
    several sets, and missing an interval costs them all again; the balance
    has found most late intervals by then.
    """
    if phase is not None and phase.settled and phase.delay is not None:
        schedule.delay = phase.delay + DEVICE_MARGIN.total_seconds()


def wait_for_balance(
    schedule: AppearanceSchedule, phase: AppearanceSchedule | None, now: datetime
) -> datetime | None:
    """Return when to look instead, while the balance has not seen the interval.

    The devices' intervals come with the plant's upload: while the balance
    (polled on the same phase, earlier) has not found the interval the
    devices await, a device poll would find none either and cost every set.
    It waits until a little after the balance's next look, for a cadence at
    most: a balance that stopped (errors) holds no device back for longer.
    """
    if (
        phase is None
        or phase.latest is None
        or (expected := schedule.expected) is None
        or (due := schedule.due) is None
        or phase.latest >= expected
        or now >= due + schedule.cadence
    ):
        return None
    return min(phase.next_poll(now), due + schedule.cadence) + DEVICE_MARGIN


def second_look(
    reads: list[SetRead],
    data: DeviceData | None,
    schedule: AppearanceSchedule,
    now: datetime,
) -> list[SetRead]:
    """Return the reads of a poll: after a miss, only the sets without the interval."""
    if (
        not schedule.misses
        or not data
        or (expected := schedule.expected) is None
        or now >= expected + schedule.cadence
    ):
        return reads
    return [
        read
        for read in reads
        if (point := data.get(read[0], {}).get(read[2])) is None
        or point.time < expected
    ] or reads


def newest_of_all(data: DeviceData, cadence: timedelta) -> datetime | None:
    """Return the newest interval every set has (a set without it is read again).

    A set that stays behind by more than a cadence (a device that stopped
    reporting) does not hold the others back.
    """
    times = [point.time for sets in data.values() for point in sets.values()]
    if not times:
        return None
    current = max(times) - cadence
    return min(moment for moment in times if moment > current)


# The client's call budget ------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Demand:
    """What one measurement coordinator asks of its client's call budget."""

    key: str
    """The coordinator (plant key and what it reads)."""
    plant: str
    period: int
    """Windows (``CALL_WINDOW``) between its polls at the plant's own cadence."""
    calls: int
    """Calls of one poll."""
    first: int
    """Calls of its first poll (the plant balance also reads the lifetime totals)."""
    follows: str | None = None
    """The coordinator whose intervals it reads too (devices: the balance's)."""


@dataclass(frozen=True)
class Slot:
    """Which of a plant's intervals a coordinator reads.

    Every ``stride``-th, starting ``offset`` windows after the whole hour.
    """

    stride: int = 1
    offset: int = 0


class CallPlan:
    """The measurement polls of every plant one SMA client reads, within its budget.

    SMA limits each client (credential) with a token bucket over five
    minutes; all accounts of one client share it. Plants within the budget
    are polled as always: every interval, at their upload phase. When the
    polls would come to more calls in a window than the budget allows, each
    coordinator reads every ``stride``-th interval, the plants spread over
    the windows (``offset``): the plant balance reads the whole day and the
    devices their recent intervals, so the intervals in between are still
    captured, only later. Set up, the first polls come in batches the budget
    takes (:meth:`first_polls`), and a poll that would still pass the budget
    (a second look, the lifetime totals at midnight, another account's
    polls) waits until the window has room (:meth:`admit`).
    """

    def __init__(self, budget: int = CALL_BUDGET) -> None:
        """Plan for ``budget`` calls per window (tokens included)."""
        self.ceiling = budget - TOKEN_CALLS
        """Measurement calls a window may hold: the budget less the tokens."""
        self.allowance = int(self.ceiling * (1 - SECOND_LOOKS))
        """What the planned polls may take of a window: room for second looks."""
        self.stride = 1
        self._demands: dict[str, list[Demand]] = {}
        self._slots: dict[str, Slot] = {}
        self._calls: deque[tuple[datetime, int]] = deque()
        self.waiting: dict[str, int] = {}
        """The calls of the balances' first polls still to come: reading more
        of an account's devices waits for them (power first)."""

    @property
    def demands(self) -> list[Demand]:
        """Return every coordinator's demand, plant by plant, the balance first."""
        return sorted(
            (demand for demands in self._demands.values() for demand in demands),
            key=lambda demand: (demand.plant, demand.follows is not None, demand.key),
        )

    def register(self, owner: str, demands: list[Demand]) -> None:
        """Plan anew with an account's coordinators (``owner``: its entry)."""
        self._demands[owner] = demands
        self._plan()

    def unregister(self, owner: str) -> None:
        """Plan anew without an account's coordinators."""
        if (demands := self._demands.pop(owner, None)) is not None:
            for demand in demands:
                self.waiting.pop(demand.key, None)
            self._plan()

    def slot(self, key: str) -> Slot:
        """Return which intervals a coordinator reads."""
        return self._slots.get(key, Slot())

    def _plan(self) -> None:
        demands = self.demands
        self.stride, self._slots = 1, {}
        if peak(demands, self._slots) <= self.allowance:
            return
        for stride in range(1, MAX_STRIDE + 1):
            self.stride, self._slots = stride, spread(demands, stride)
            if peak(demands, self._slots) <= self.allowance:
                return

    def _used(self, now: datetime) -> int:
        while self._calls and self._calls[0][0] <= now - CALL_SPAN:
            self._calls.popleft()
        return sum(calls for _, calls in self._calls)

    def room(self, now: datetime) -> int:
        """Return the calls the window has room for now."""
        return max(0, self.ceiling - self._used(now))

    @property
    def spare(self) -> int:
        """Return what a window keeps from the planned polls (second looks)."""
        return self.ceiling - self.allowance

    def settle(self, now: datetime, counted: int, made: int) -> None:
        """Correct calls counted at ``now`` before they were made to those made."""
        for index in range(len(self._calls) - 1, -1, -1):
            if self._calls[index] == (now, counted):
                self._calls[index] = (now, made)
                return

    def free_at(self, now: datetime, calls: int) -> datetime:
        """Return when the window has room for ``calls`` (now, or later)."""
        used = self._used(now)
        if used + calls <= self.ceiling or calls > self.ceiling:
            return now
        for moment, made in self._calls:
            used -= made
            if used + calls <= self.ceiling:
                return moment + CALL_SPAN
        return now + CALL_SPAN  # pragma: no cover - the loop always returns

    def admit(
        self, now: datetime, calls: int, *, force: bool = False
    ) -> datetime | None:
        """Return None and count a poll's calls, or when the window has room for them.

        ``force``: count them and go (a first poll, which has no data to keep).
        """
        if not force and (moment := self.free_at(now, calls)) > now:
            return moment
        self._calls.append((now, calls))
        return None

    def first_polls(self, demands: list[Demand], now: datetime) -> dict[str, int]:
        """Return the window after setup in which each coordinator polls first.

        Windows are ``CALL_SPAN`` apart.

        All at once while one window takes them (any account within the
        budget), even when calls were just made: a reload shortly after a
        setup reads again what was shown a moment ago, and its entities
        waiting a whole window for it would be worse than a burst the
        runtime guard (``admit``) then makes the next polls wait for.
        Otherwise the balances first (power is shown soonest), in batches
        that leave room for the polls of the plants already started.
        """
        if sum(demand.first for demand in demands) <= self.ceiling:
            return dict.fromkeys((demand.key for demand in demands), 0)
        room = self.ceiling - self._used(now)
        starts: dict[str, int] = {}
        window, started, placed = 0, 0.0, 0
        for demand in sorted(demands, key=lambda d: (d.follows is not None, d.plant)):
            # A window takes what fits, a later one at least one poll.
            while demand.first > room and (placed or not window):
                window, placed = window + 1, 0
                room = int(self.ceiling - started)
            starts[demand.key] = window
            room -= demand.first
            placed += 1
            started += demand.calls / (demand.period * self.slot(demand.key).stride)
        return starts


def peak(demands: list[Demand], slots: dict[str, Slot]) -> int:
    """Return the most calls the planned polls put in one window."""
    return max(_loads(demands, slots), default=0)


def _period(demand: Demand, slots: dict[str, Slot]) -> int:
    return demand.period * slots.get(demand.key, Slot()).stride


def _loads(demands: list[Demand], slots: dict[str, Slot]) -> list[int]:
    """Return the planned calls of each window of the plan's repeating cycle."""
    cycle = lcm(*(_period(demand, slots) for demand in demands))
    loads = [0] * cycle
    for demand in demands:
        period, offset = _period(demand, slots), slots.get(demand.key, Slot()).offset
        for window in range(offset, cycle, period):
            loads[window] += demand.calls
    return loads


def spread(demands: list[Demand], stride: int) -> dict[str, Slot]:
    """Return slots that read every ``stride``-th interval, plants spread evenly.

    Plant by plant, the offsets that keep the fullest window lowest; a
    coordinator that follows another (the devices their balance) reads
    intervals the other reads too, so that it finds them there.
    """
    cycle = lcm(*(demand.period * stride for demand in demands))
    loads = [0] * cycle
    slots: dict[str, Slot] = {}
    by_plant: dict[str, list[Demand]] = {}
    for demand in demands:
        by_plant.setdefault(demand.plant, []).append(demand)
    for plant_demands in by_plant.values():
        best: tuple[tuple[int, int], dict[str, int]] | None = None
        for offsets in _choices(plant_demands, stride):
            added = list(loads)
            for demand in plant_demands:
                for window in range(offsets[demand.key], cycle, demand.period * stride):
                    added[window] += demand.calls
            score = (max(added), sum(load * load for load in added))
            if best is None or score < best[0]:
                best = (score, offsets)
        assert best is not None  # noqa: S101 - a plant has a coordinator
        for demand in plant_demands:
            offset = best[1][demand.key]
            slots[demand.key] = Slot(stride, offset)
            for window in range(offset, cycle, demand.period * stride):
                loads[window] += demand.calls
    return slots


def _choices(demands: list[Demand], stride: int) -> list[dict[str, int]]:
    """Return the offsets a plant's coordinators may take together."""
    choices: list[dict[str, int]] = [{}]
    periods = {demand.key: demand.period * stride for demand in demands}
    for demand in demands:
        period = periods[demand.key]
        leader = demand.follows if demand.follows in periods else None
        choices = [
            {**chosen, demand.key: offset}
            for chosen in choices
            for offset in range(period)
            if leader is None
            or offset % gcd(period, periods[leader])
            == chosen[leader] % gcd(period, periods[leader])
        ]
    return choices
