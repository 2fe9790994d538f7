"""Meters' upload periods and the reads they leave out, on the pure schedule.

Meters here are lists of upload moments (a period, a delay, seeded jitter,
late and missing uploads, a period that changes); the schedule is read
whenever it plans, and each read shows every meter's last upload, as
``GET /Devices`` does with ``ValueDate``.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
import random

import pytest

from custom_components.solar_cloud.api.smartme.polling import (
    GUARD,
    MAX_CREDIT,
    PROBE,
    QUIET_READ,
    DeviceListSchedule,
    UploadPeriod,
)

from ..const import MINUTE
from .const import NOW

LATENCY = timedelta(seconds=0.3)
"""How long a read takes."""


@dataclass
class Meter:
    """When a simulated meter uploads."""

    uploads: list[datetime] = field(default_factory=list)

    def last(self, now: datetime) -> datetime | None:
        """Return the meter's last upload by ``now`` (what the list shows)."""
        index = bisect_right(self.uploads, now)
        return self.uploads[index - 1] if index else None


def _meter(
    *segments: tuple[timedelta, timedelta],
    delay: float = 20.0,
    jitter: float = 6.0,
    late: frozenset[int] = frozenset(),
    late_by: float = 30.0,
    missing: frozenset[int] = frozenset(),
    seed: int = 1,
) -> Meter:
    """Return a meter that uploads every period of each (period, length) segment.

    Upload ``i`` comes ``delay`` into its period plus up to ``jitter``
    seconds; those in ``late`` come ``late_by`` later, those in
    ``missing`` never.
    """
    draws = random.Random(seed)
    moments: list[datetime] = []
    # The last period goes on for a day: beyond any run.
    segments = (*segments[:-1], (segments[-1][0], timedelta(days=1)))
    start = NOW - 2 * MINUTE  # uploads before the first read
    index = 0
    for period, length in segments:
        at = start
        while at < start + length:
            moment = at + timedelta(seconds=delay + draws.uniform(0, jitter))
            if index in late:
                moment += timedelta(seconds=late_by)
            if index not in missing:
                moments.append(moment)
            index += 1
            at += period
        start = at
    return Meter(sorted(moments))


@dataclass
class Run:
    """What driving a schedule did."""

    schedule: DeviceListSchedule
    reads: list[datetime]
    periods: list[tuple[datetime, dict[str, timedelta | None]]]
    """After each read: every meter's period."""

    def reads_in(self, start: timedelta, end: timedelta) -> list[datetime]:
        """Return the reads from ``start`` to ``end`` after the first."""
        return [read for read in self.reads if NOW + start <= read < NOW + end]

    def lag(self, meter: Meter, upload: datetime) -> timedelta:
        """Return how long after ``upload`` a read showed it first."""
        read = next(read for read in self.reads if read >= upload)
        return read - upload


def _drive(
    meters: dict[str, Meter],
    until: timedelta,
    interval: timedelta = MINUTE,
    schedule: DeviceListSchedule | None = None,
) -> Run:
    """Read whenever the schedule plans, for ``until`` from :data:`NOW`."""
    schedule = schedule or DeviceListSchedule(interval)
    run = Run(schedule, [], [])
    now = NOW
    while now < NOW + until:
        stamps = {key: meter.last(now) for key, meter in meters.items()}
        schedule.observe(stamps, now + LATENCY)
        run.reads.append(now)
        run.periods.append(
            (now, {key: rhythm.period for key, rhythm in schedule.periods.items()})
        )
        planned = schedule.next_read(now + LATENCY, now)
        assert planned > now
        now = planned
    return run


def _lags(run: Run, meter: Meter, since: timedelta) -> list[float]:
    """Return the seconds from each upload after ``since`` to the read showing it."""
    end = run.reads[-1]
    return [
        run.lag(meter, upload).total_seconds()
        for upload in meter.uploads
        if NOW + since <= upload <= end
    ]


def test_steady_five_minute_meter_is_read_once_a_period() -> None:
    """A meter that uploads every 5 minutes: one read a period, right after it."""
    meter = _meter((5 * MINUTE, timedelta(hours=3)))
    run = _drive({"a": meter}, timedelta(hours=3))

    assert run.schedule.periods["a"].period == 5 * MINUTE
    # Learnt within four uploads (read every minute meanwhile).
    learnt = next(at for at, periods in run.periods if periods["a"] is not None)
    assert learnt - NOW <= 25 * MINUTE
    # Then 12 reads an hour, and one more that checks for faster uploads.
    assert 12 <= len(run.reads_in(timedelta(hours=2), timedelta(hours=3))) <= 13
    # Every upload read within the jitter, the guard and a read's latency.
    most = 6 + GUARD.total_seconds() + 1
    assert max(_lags(run, meter, timedelta(hours=1))) <= most


def test_fifteen_minute_meter_and_a_longer_interval() -> None:
    """A 15-minute meter with 5-minute polls: read right after its upload."""
    meter = _meter((15 * MINUTE, timedelta(hours=4)), delay=400)
    run = _drive({"a": meter}, timedelta(hours=4), interval=5 * MINUTE)

    assert run.schedule.periods["a"].period == 15 * MINUTE
    assert 4 <= len(run.reads_in(timedelta(hours=3), timedelta(hours=4))) <= 5
    # Not on the 5-minute grid of the reads: the minute after the upload.
    assert max(_lags(run, meter, timedelta(hours=2))) <= 6 + GUARD.total_seconds() + 1


def test_jitter_late_and_missing_uploads_keep_the_period() -> None:
    """Jitter, uploads 30 s late and uploads that never come: the period stays."""
    meter = _meter(
        (5 * MINUTE, timedelta(hours=6)),
        jitter=12,
        late=frozenset(range(9, 72, 9)),
        missing=frozenset({20, 41, 42, 60}),
        seed=7,
    )
    run = _drive({"a": meter}, timedelta(hours=6))

    learnt = next(at for at, periods in run.periods if periods["a"] is not None)
    assert learnt - NOW <= 30 * MINUTE
    assert all(
        periods["a"] == 5 * MINUTE for at, periods in run.periods if at >= learnt
    )
    # A late upload is read a minute later (the retry), the others at once.
    lags = _lags(run, meter, timedelta(hours=1))
    assert max(lags) <= 60 + 30 + GUARD.total_seconds()
    # (7 of the uploads are late, one of them before the first hour ends.)
    assert sum(lag > 12 + GUARD.total_seconds() + 1 for lag in lags) <= 6
    # Still about a read per period (retries, two uploads missed in a row).
    assert len(run.reads_in(timedelta(hours=1), timedelta(hours=6))) <= 5 * 12 + 30


@pytest.mark.parametrize(
    ("before", "after", "relearnt_within"),
    [
        (5 * MINUTE, MINUTE, PROBE + 10 * MINUTE),
        (MINUTE, 5 * MINUTE, 30 * MINUTE),
        (5 * MINUTE, 15 * MINUTE, 90 * MINUTE),
    ],
    ids=["5_to_1", "1_to_5", "5_to_15"],
)
def test_a_period_that_changes_is_learnt_again(
    before: timedelta, after: timedelta, relearnt_within: timedelta
) -> None:
    """Uploads more often (a read in a skip sees one) or less often (missed)."""
    change = timedelta(hours=2)
    meter = _meter((before, change), (after, timedelta(hours=5)), delay=10)
    run = _drive({"a": meter}, change + timedelta(hours=4))

    assert run.schedule.periods["a"].period == after
    relearnt = next(
        at for at, periods in run.periods if at > NOW + change and periods["a"] == after
    )
    assert relearnt - (NOW + change) <= relearnt_within
    # Read right after the uploads again.
    since = relearnt - NOW + after
    assert max(_lags(run, meter, since)) <= 6 + GUARD.total_seconds() + 1


def test_mixed_meters_keep_the_fast_cadence() -> None:
    """A meter that uploads every minute and one every 5: a read every minute."""
    fast = _meter((MINUTE, timedelta(hours=2)), delay=20)
    slow = _meter((5 * MINUTE, timedelta(hours=2)), delay=80, seed=2)
    run = _drive({"fast": fast, "slow": slow}, timedelta(hours=2))

    assert run.schedule.periods["slow"].period == 5 * MINUTE
    reads = run.reads_in(timedelta(hours=1), timedelta(hours=2))
    assert len(reads) == 60
    # A minute apart (the read moment may move by a second or so).
    assert all(
        MINUTE - MAX_CREDIT <= b - a <= MINUTE + MAX_CREDIT for a, b in pairwise(reads)
    )
    assert max(_lags(run, fast, timedelta(hours=1))) <= 6 + GUARD.total_seconds() + 1


def test_slow_meters_at_different_moments_are_each_read_after_theirs() -> None:
    """Two 5-minute meters in different minutes: two reads a period, each right after."""
    first = _meter((5 * MINUTE, timedelta(hours=3)), delay=20)
    second = _meter((5 * MINUTE, timedelta(hours=3)), delay=200, seed=3)
    run = _drive({"first": first, "second": second}, timedelta(hours=3))

    assert 24 <= len(run.reads_in(timedelta(hours=2), timedelta(hours=3))) <= 25
    for meter in (first, second):
        assert (
            max(_lags(run, meter, timedelta(hours=1))) <= 6 + GUARD.total_seconds() + 1
        )


@pytest.mark.parametrize("interval", [60, 90, 120, 300, 600])
def test_never_faster_than_the_interval(interval: int) -> None:
    """However the meters upload, reads keep the configured interval."""
    spacing = timedelta(seconds=interval)
    meters = {
        "one": _meter((MINUTE, timedelta(hours=1)), (5 * MINUTE, timedelta(hours=3))),
        "five": _meter((5 * MINUTE, timedelta(hours=4)), delay=130, seed=4),
        "fifteen": _meter((15 * MINUTE, timedelta(hours=4)), delay=500, seed=5),
    }
    run = _drive(meters, timedelta(hours=4), interval=spacing)

    gaps = [later - earlier for earlier, later in pairwise(run.reads)]
    assert min(gaps) >= spacing - MAX_CREDIT
    assert sum(gaps, timedelta()) / len(gaps) >= spacing


def test_quiet_meters_are_read_every_quarter_hour() -> None:
    """Meters that stopped uploading hours ago do not keep the reads coming."""
    meter = Meter([NOW - timedelta(hours=3)])
    run = _drive({"off": meter}, timedelta(hours=2))

    gaps = {later - earlier for earlier, later in pairwise(run.reads)}
    assert gaps == {QUIET_READ}
    assert run.schedule.longest_gap(run.reads[-1]) == QUIET_READ


def test_the_longest_gap_follows_the_fastest_meter() -> None:
    """What the coordinator keeps data current over: two of these gaps."""
    meters = {
        "five": _meter((5 * MINUTE, timedelta(hours=2))),
        "fifteen": _meter((15 * MINUTE, timedelta(hours=2)), seed=2),
    }
    schedule = DeviceListSchedule(MINUTE)
    assert schedule.longest_gap(NOW) == MINUTE  # nothing known
    run = _drive(meters, timedelta(minutes=20), schedule=schedule)
    # The 15-minute meter is still being learnt: every minute.
    assert run.schedule.longest_gap(run.reads[-1]) == MINUTE
    run = _drive(meters, timedelta(hours=2), schedule=schedule)
    assert run.schedule.longest_gap(run.reads[-1]) == 6 * MINUTE
    unlearnt = DeviceListSchedule(MINUTE, learn_periods=False)
    run = _drive(meters, timedelta(hours=2), schedule=unlearnt)
    assert run.schedule.longest_gap(run.reads[-1]) == MINUTE
    assert len(run.reads) >= 119


def test_gaps_seen_across_a_long_read_gap_teach_nothing() -> None:
    """Reads 15 minutes apart (pushes on) cannot tell a meter's period."""
    period = UploadPeriod()
    at = NOW
    for _ in range(8):
        period.take(at - timedelta(seconds=10), at, MINUTE)
        at += 15 * MINUTE
    assert period.period is None
    # Read every minute, the same meter shows its one-minute uploads.
    for _ in range(5):
        period.take(at - timedelta(seconds=10), at, MINUTE)
        at += MINUTE
    assert period.period == MINUTE
    assert period.wants(at, MINUTE)


def _stamps(
    period: UploadPeriod, stamps: list[datetime], until: datetime
) -> list[timedelta | None]:
    """Read every minute from the first stamp to ``until``, showing ``stamps``.

    Returns the period after each read.
    """
    periods = []
    at = stamps[0]
    while at <= until:
        shown = max(stamp for stamp in stamps if stamp <= at)
        period.take(shown, at, MINUTE)
        periods.append(period.period)
        at += MINUTE
    return periods


def test_an_upload_a_minute_late_keeps_the_period() -> None:
    """A gap a minute too long, then one a minute too short: one late upload."""
    period = UploadPeriod()
    stamps = [NOW + index * 5 * MINUTE for index in range(12)]
    stamps[6] += timedelta(seconds=70)
    periods = _stamps(period, stamps, stamps[-1])
    learnt = periods.index(5 * MINUTE)
    assert learnt < 20
    assert set(periods[learnt:]) == {5 * MINUTE}


def test_uploads_less_often_than_a_known_short_period_forget_it() -> None:
    """Gaps that are each a little over two periods are no late uploads."""
    period = UploadPeriod()
    at = NOW
    for _ in range(4):  # learnt at 2 minutes: reads every 2 minutes
        period.take(at - timedelta(seconds=10), at, 2 * MINUTE)
        at += 2 * MINUTE
    assert period.period == 2 * MINUTE
    stamp = period.stamp
    assert stamp is not None
    # Now every 5 minutes: the first gap could be a late upload...
    stamp += 5 * MINUTE
    period.take(stamp, stamp + timedelta(seconds=30), 2 * MINUTE)
    assert period.period == 2 * MINUTE
    # ... but the next is not as much sooner.
    stamp += 5 * MINUTE
    period.take(stamp, stamp + timedelta(seconds=30), 2 * MINUTE)
    assert period.period is None


def test_an_upload_sooner_than_the_period_forgets_it() -> None:
    """An upload half a period after the last: the meter uploads more often."""
    period = UploadPeriod()
    stamps = [NOW + index * 5 * MINUTE for index in range(6)]
    _stamps(period, stamps, stamps[-1])
    assert period.period == 5 * MINUTE
    assert period.expected is not None
    assert not period.wants(stamps[-1] + 2 * MINUTE, MINUTE)
    period.take(stamps[-1] + timedelta(seconds=150), stamps[-1] + 3 * MINUTE, MINUTE)
    assert period.period is None
    assert period.expected is None
    assert period.wants(stamps[-1] + 4 * MINUTE, MINUTE)
