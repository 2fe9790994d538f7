"""Learning when a source's intervals appear, and polling just after.

A simulated source (the phase a data logger uploads on: a delay after each
interval's end, jitter, the occasional late interval, uploads in order) is
polled when :class:`AppearanceSchedule` says, for a simulated day.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise
import random
import statistics

import pytest

from custom_components.solar_cloud.api.appearance import (
    GUARD,
    LATER,
    RELEARN,
    RETRY,
    AppearanceSchedule,
)

from ..const import DAY
from .const import FIVE

START = datetime(2026, 6, 21, 22, 0, 17, tzinfo=UTC)
ORIGIN = datetime(2026, 6, 21, 22, 0, tzinfo=UTC)


@dataclass
class Source:
    """Intervals of ``cadence`` that appear ``delay(index)`` seconds after their end."""

    cadence: timedelta
    delay: Callable[[int], float]
    origin: datetime = ORIGIN
    visible: list[datetime] = field(default_factory=list)

    def end(self, index: int) -> datetime:
        """Return the end of interval ``index``."""
        return self.origin + self.cadence * index

    def appears(self, index: int) -> datetime:
        """Return when interval ``index`` appears: never before the one before it."""
        while len(self.visible) <= index:
            at = self.end(len(self.visible)) + timedelta(
                seconds=self.delay(len(self.visible))
            )
            self.visible.append(max(at, self.visible[-1]) if self.visible else at)
        return self.visible[index]

    def newest(self, now: datetime) -> datetime | None:
        """Return the end of the newest interval visible at ``now``."""
        index = int((now - self.origin) / self.cadence)
        while index >= 0 and self.appears(index) > now:
            index -= 1
        return self.end(index) if index >= 0 else None


@dataclass
class Run:
    """What the polls of a simulated stretch saw."""

    polls: list[datetime]
    lags: dict[int, float]
    """Interval -> seconds from appearing to being seen."""
    schedule: AppearanceSchedule

    def lags_after(self, source: Source, moment: datetime) -> list[float]:
        """Return the lags of the intervals ending after ``moment``."""
        return sorted(
            lag for index, lag in self.lags.items() if source.end(index) > moment
        )


def poll(
    source: Source,
    length: timedelta = DAY,
    schedule: AppearanceSchedule | None = None,
) -> Run:
    """Poll ``source`` when the schedule says, from START for ``length``."""
    schedule = schedule or AppearanceSchedule(source.cadence)
    now, polls, lags = START, [], {}
    while now < START + length:
        polls.append(now)
        newest = source.newest(now)
        if newest is not None:
            index = round((newest - source.origin) / source.cadence)
            while index >= 0 and index not in lags:
                lags[index] = (now - source.appears(index)).total_seconds()
                index -= 1
        schedule.observe(now, newest)
        later = schedule.next_poll(now)
        assert later > now
        now = later
    return Run(polls, lags, schedule)


def jittered(base: float, jitter: float, seed: int = 7) -> Callable[[int], float]:
    """Return delays of ``base`` plus up to ``jitter`` seconds, seeded."""
    draws = random.Random(seed)
    cache: dict[int, float] = {}

    def delay(index: int) -> float:
        if index not in cache:
            cache[index] = base + draws.random() * jitter
        return cache[index]

    return delay


def test_on_time_source_is_polled_once_per_interval_without_drift() -> None:
    """Intervals there the moment they end: one poll each, at end + guard, all day."""
    source = Source(FIVE, lambda _: 0.0)
    run = poll(source)

    settled = [moment for moment in run.polls if moment > START + timedelta(hours=1)]
    for moment in settled:
        assert (moment - GUARD - source.origin) % FIVE == timedelta(), moment
    # 288 intervals a day, one poll each: the phase does not slip.
    assert len(run.polls) <= 288 + 4
    assert len(settled) == len(
        [i for i in range(300) if START + timedelta(hours=1) < source.end(i) + GUARD]
    ) - len([i for i in range(300) if source.end(i) + GUARD >= START + DAY])
    assert run.schedule.retries == 0
    assert max(run.lags_after(source, START + timedelta(hours=1))) == pytest.approx(
        GUARD.total_seconds()
    )


def test_steady_phase_is_learnt() -> None:
    """A logger 95-105 s late: polls follow within seconds, few second looks."""
    source = Source(FIVE, jittered(95, 10))
    run = poll(source)

    lags = run.lags_after(source, START + timedelta(hours=2))
    assert statistics.median(lags) <= 20
    assert lags[int(0.95 * len(lags))] <= 35
    # Every interval seen, at about one poll per interval.
    assert set(run.lags) == set(range(min(run.lags), max(run.lags) + 1))
    assert len(run.polls) <= 288 * 1.06
    assert 95 <= run.schedule.delay <= 105 + LATER  # type: ignore[operator]


def test_phase_drifting_later_and_jumping_earlier_is_followed() -> None:
    """The delay grows 0.2 s per interval, then jumps 60 s earlier at noon."""

    def delay(index: int) -> float:
        base = 60 + 0.2 * index
        return base - 60 if index >= 160 else base

    source = Source(FIVE, lambda index: delay(index) + jittered(0, 5)(index))
    run = poll(source, 2 * DAY)

    # Before the jump the schedule moves later with the phase ...
    before = [
        lag
        for index, lag in run.lags.items()
        if 24 <= index < 160  # from two hours on
    ]
    assert statistics.median(before) <= 30
    # ... polls a minute late until its next probe for an earlier phase
    # (after RELEARN hits in a row: probing costs a call each time) ...
    jump = source.end(160)
    probe = jump + RELEARN * FIVE + timedelta(hours=1)
    meanwhile = [
        lag
        for index, lag in run.lags.items()
        if jump + timedelta(hours=1) < source.end(index) < probe
    ]
    assert max(meanwhile) <= 60 + 5 + LATER
    # ... and then finds the earlier phase.
    after = run.lags_after(source, probe)
    assert statistics.median(after) <= 30
    assert len(run.polls) <= 2 * 288 * 1.1


def test_late_intervals_do_not_move_the_phase() -> None:
    """One interval in 20 comes two minutes late: it is found, the phase stays."""
    on_time = jittered(95, 10)

    def delay(index: int) -> float:
        return on_time(index) + (120 if index % 20 == 7 else 0)

    source = Source(FIVE, delay)
    run = poll(source)

    # Every interval is seen, the late ones within the retries' reach.
    assert set(run.lags) == set(range(min(run.lags), max(run.lags) + 1))
    late = [lag for index, lag in run.lags.items() if index % 20 == 7 and index > 24]
    assert max(late) <= 100
    on_phase = [
        lag for index, lag in run.lags.items() if index % 20 != 7 and index > 24
    ]
    assert statistics.median(on_phase) <= 25
    # A late interval is looked for again after 20 s, then where the last
    # late one was found: two looks each, not one per doubling (20, 40, 80 s).
    late_count = len([index for index in run.lags if index % 20 == 7])
    assert run.schedule.retries <= 2 * late_count
    assert len(run.polls) <= 288 * 1.11


def test_two_late_intervals_in_a_row_move_the_phase() -> None:
    """From interval 100 on the logger is two minutes later: the schedule follows."""
    source = Source(FIVE, lambda index: 30.0 if index < 100 else 150.0)
    run = poll(source)

    assert run.schedule.delay is not None
    assert 140 <= run.schedule.delay <= 150 + LATER
    after = run.lags_after(source, source.end(110))
    assert statistics.median(after) <= 15
    assert max(after) <= 25


def test_classic_plant_two_hours_late() -> None:
    """15-minute intervals processed two hours late: learnt from the first poll."""
    quarter = timedelta(minutes=15)
    source = Source(quarter, jittered(7200, 30))
    run = poll(source)

    lags = run.lags_after(source, START + timedelta(hours=4))
    assert statistics.median(lags) <= 45
    assert len(run.polls) <= 96 * 1.15


def test_silent_source_is_asked_no_more_often_than_its_cadence() -> None:
    """A logger that stopped: second looks slow down to one per cadence."""
    source = Source(FIVE, lambda index: 30.0 if index < 20 else 10 * 86400.0)
    run = poll(source)

    late = [moment for moment in run.polls if moment > source.end(20)]
    gaps = [later - earlier for earlier, later in pairwise(late)]
    assert gaps[0] < FIVE
    assert all(gap == FIVE for gap in gaps[5:])
    assert len(run.polls) <= 288 + 20


def test_skip_and_unknown_phase() -> None:
    """Before any interval is seen, poll at the cadence; a skipped one is not awaited."""
    schedule = AppearanceSchedule(FIVE)
    assert schedule.expected is None
    assert schedule.next_poll(START) == START + FIVE
    schedule.skip()
    schedule.observe(START, None)
    assert schedule.expected is None
    assert schedule.due is None

    end = START.replace(second=0)
    schedule.observe(START, end)
    assert schedule.expected == end + FIVE
    assert schedule.next_poll(START) == end + FIVE + timedelta(seconds=17) + GUARD
    schedule.skip()
    assert schedule.expected == end + 2 * FIVE
    # A poll that finds nothing new before the interval is due is no miss.
    schedule.observe(START + timedelta(minutes=1), end)
    assert schedule.misses == 0
    due = schedule.due
    assert due is not None
    schedule.observe(due + GUARD, end)
    assert schedule.misses == 1
    assert schedule.next_poll(due + GUARD) == due + GUARD + RETRY


def test_cadence_of_several_intervals_awaits_its_own() -> None:
    """15-minute polls of 5-minute data await the quarter hours, not any newer one."""
    quarter = timedelta(minutes=15)
    schedule = AppearanceSchedule(quarter)
    end = ORIGIN + timedelta(minutes=5)
    # The first poll saw 22:05: the schedule awaits 22:15 (the quarter hours).
    schedule.observe(end + timedelta(seconds=40), end)
    assert schedule.expected == ORIGIN + quarter
    due = schedule.due
    assert due is not None
    # At its time only 22:10 is there: not what was awaited, a miss.
    schedule.observe(due + GUARD, ORIGIN + timedelta(minutes=10))
    assert schedule.misses == 1
    assert schedule.expected == ORIGIN + quarter
    # Found at the next look: the newest interval is on the quarter hour.
    schedule.observe(due + GUARD + RETRY, ORIGIN + quarter)
    assert schedule.misses == 0
    assert schedule.expected == ORIGIN + quarter + quarter
