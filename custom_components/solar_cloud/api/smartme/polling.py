"""When to read smart-me's device list: shortly after the meters upload.

smart-me meters upload about once a minute, each at a moment of its own
within the minute, and ``GET /Devices`` shows each meter's values as of its
last upload, stamped with that moment (``ValueDate``). A list read every N
seconds counted from the last read sweeps through the minute and shows a
value up to a minute after it arrived; one read shortly after the meters'
usual moment shows it within seconds, with the same number of calls.

:class:`DeviceListSchedule` learns each meter's moment from the stamps the
reads see (``upload_phase.UploadClock``, one per meter), picks the one read
moment that makes the meters' mean wait least (``upload_phase.poll_offset``)
and plans every read on absolute times: a whole number of upload periods
after the read before, never sooner than the configured interval, so no
delay accumulates. A late upload does not move the read moment (the meter
keeps its moment for a while); a meter whose moments spread over much of
the minute for long (irregular uploads) or that went silent has none; until
any meter's moment is known, reads follow each other at the interval, on
the clock. The moment moves only when that pays (see
:meth:`DeviceListSchedule._worth_moving`).

Meters that upload less often (every 5 or 15 minutes) are not read every
minute for nothing: each meter's upload period is learnt from the gaps
between its stamps (:class:`UploadPeriod`), and a planned read whose minute
no meter's next upload can fall in is left out, so the list is read in the
minute after an upload of some meter, a retry a minute later when that
upload is late (:data:`RETRIES`). One read in the middle of a long skip an
hour (:data:`PROBE`) checks that no meter uploads more often than learnt.
A meter whose stamps contradict its period (an upload sooner than it
allows, half of its expected uploads missed) is learnt again, read every
minute meanwhile; so is every meter until its period is known; a meter
that has not uploaded for hours (:data:`QUIET`) wants no read of its own. The fastest meter
sets the cadence: with one meter that uploads every minute, nothing is left
out.

No Home Assistant import: the account coordinator turns :meth:`next_read`
into its update interval; tests and the benchmark drive it directly.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from datetime import datetime, timedelta
import math
import statistics

from ..upload_phase import UploadClock, next_at_offset, poll_offset

UPLOAD_PERIOD = timedelta(minutes=1)
"""How often a smart-me meter uploads at most: the cycle of the read moment."""
GUARD = timedelta(seconds=5)
"""How long after the meters' learnt moment the list is read (the tail of
their jitter, the cloud's processing, timer slack)."""
IRREGULAR = 15.0
"""Seconds of doubt about a meter's moment beyond which it is not sure."""
SETTLE = 0.5
"""Seconds of the meters' mean wait a free move of the read moment must save."""
MOVE_GAIN = 5.0
"""Seconds of the meters' mean wait a move that costs uploads must save."""
MIN_STAMPS = 4
"""Uploads seen before a meter's moment counts."""
KEEP_SURE = timedelta(minutes=15)
"""How long a meter keeps its moment while its uploads leave it unsure."""
SILENT = timedelta(minutes=5)
"""A meter whose last upload is older than this does not move the read moment."""
ON_TIME = timedelta(seconds=5)
"""A read that starts this long before its planned moment is not the planned one."""
MAX_CREDIT = timedelta(seconds=10)
"""How much sooner than a period after the read before a read may go, at
most: what reads later than a period after theirs saved before (so that a
read moment that jitters does not let an upload go each time it moves
earlier, and reads never come more often than a period on average)."""
PERIOD_TOLERANCE = timedelta(seconds=45)
"""How far a gap between two stamps may be from a whole number of periods
(the jitter of both uploads, a late one)."""
MIN_GAPS = 3
"""Gaps between uploads that agree before a meter's period counts."""
MAX_PERIOD = timedelta(hours=1)
"""The longest upload period learnt."""
RETRIES = 1
"""Reads after a meter's expected upload that look for it (a late upload)
before it counts as missed."""
MISSED = 3
"""Uploads missed among a meter's last :data:`EXPECTED` expected ones after
which its period is learnt again (it uploads less often now, or stopped)."""
EXPECTED = 6
"""How many of a meter's expected uploads :data:`MISSED` counts in."""
LATE_STAMP = timedelta(seconds=45)
"""How late a meter's last upload may have been for its next to be
expected at its usual second nonetheless."""
PROBE = timedelta(hours=1)
"""How often a read in the middle of a long skip checks that no meter
uploads more often than learnt."""
QUIET = 2 * MAX_PERIOD
"""A meter whose last upload is older than this wants no read of its own."""
QUIET_READ = timedelta(minutes=15)
"""How often the list is read while no meter uploads."""


def _residue(gap: float, period: float) -> float:
    """Return how much longer ``gap`` is than the nearest whole ``period``s (s)."""
    return gap - max(1, round(gap / period)) * period


def _fits(gap: float, period: float) -> bool:
    """Return whether ``gap`` (s) is about a whole number of ``period`` (s)."""
    return abs(_residue(gap, period)) <= PERIOD_TOLERANCE.total_seconds()


class UploadPeriod:
    """How often one meter uploads, learnt from its stamps, and when next.

    While unknown, the gaps between stamps that reads a read period apart
    saw come in are collected (a longer read gap may hide uploads); a
    period counts once :data:`MIN_GAPS` of them agree, in whole minutes. A
    known period is only checked: a gap that is a whole number of periods
    (a missed upload, jitter) fits; a longer one waits for the next, which
    must be as much shorter (a late upload, and the next on time); a
    shorter one (the
    meter uploads more often now) or :data:`MISSED` of the last
    :data:`EXPECTED` expected uploads missed (less often) let the period be
    learnt again.
    """

    def __init__(self) -> None:
        """Start without a period."""
        self.period: timedelta | None = None
        self.stamp: datetime | None = None
        """The meter's last upload seen."""
        self.expected: datetime | None = None
        """When its next upload has usually come (None: not known)."""
        self._read: datetime | None = None
        self._gaps: deque[float] = deque(maxlen=MIN_GAPS)
        self._over: float | None = None
        self._misses = 0
        self._came: deque[bool] = deque(maxlen=EXPECTED)
        """Whether each of the last expected uploads came."""
        self._early = GUARD / 2
        """How long before :attr:`expected` a read may already show it."""

    def take(
        self,
        stamp: datetime,
        now: datetime,
        spacing: timedelta,
        ready: float | None = None,
        spread: float = 0.0,
    ) -> None:
        """Take a read at ``now`` that showed ``stamp``.

        ``spacing``: the time between two planned reads; ``ready``: the
        second of the minute by which the meter's uploads have usually come
        (None: not known), ``spread``: how many seconds before it they may
        already come.
        """
        last, read, self._read = self.stamp, self._read, now
        self._early = max(GUARD / 2, timedelta(seconds=spread))
        if last is None or read is None:
            self.stamp = stamp
            self._expect(ready)
            return
        if stamp <= last:
            self._note_nothing_new(now)
            return
        gap = (stamp - last).total_seconds()
        self.stamp = stamp
        self._misses = 0
        if self.period is None:
            if stamp - read <= spacing + PERIOD_TOLERANCE:
                self._gaps.append(gap)
                self._learn()
        else:
            self._came.append(True)
            self._check(gap, self.period.total_seconds())
        self._expect(ready)

    def quiet(self, at: datetime) -> bool:
        """Return whether the meter has not uploaded for long (it is off)."""
        return self.stamp is not None and at - self.stamp > QUIET

    @property
    def wanted_from(self) -> datetime | None:
        """Return from when a read may show the next upload (None: not known)."""
        return None if self.expected is None else self.expected - self._early

    def wants(self, at: datetime, spacing: timedelta) -> bool:
        """Return whether a read at ``at`` may show an upload not yet seen."""
        if self.quiet(at):
            return False
        if self.period is None or self.period <= spacing or self.expected is None:
            return True
        return at >= self.expected - self._early  # the read may show it

    def _learn(self) -> None:
        if len(self._gaps) < MIN_GAPS:
            return
        minutes = max(1, round(statistics.median(self._gaps) / 60))
        period = min(UPLOAD_PERIOD * minutes, MAX_PERIOD)
        if all(_fits(gap, period.total_seconds()) for gap in self._gaps):
            self.period = period
            self._gaps.clear()

    def _check(self, gap: float, period: float) -> None:
        """Check a gap between two uploads against the known period (s)."""
        residue = _residue(gap, period)
        over, self._over = self._over, None
        tolerance = PERIOD_TOLERANCE.total_seconds()
        if over is not None:
            # After a late upload the next comes on time: as much sooner.
            if residue >= 0 or abs(over + residue) > tolerance:
                self.forget()
            return
        if abs(residue) <= tolerance:
            return
        if residue > 0:
            self._over = residue  # late: the next gap must make up for it
        else:
            self.forget()  # sooner than the period allows

    def _note_nothing_new(self, now: datetime) -> None:
        """A read at ``now`` showed no upload: count it if one was expected."""
        if self.period is None or self.expected is None:
            return
        if now < self.expected - self._early:
            return
        self._misses += 1
        if self._misses <= RETRIES:
            return
        self._misses = 0
        self._came.append(False)
        if self._came.count(False) >= MISSED:
            self.forget()
        else:
            self.expected += self.period

    def _expect(self, ready: float | None) -> None:
        """Expect the next upload a period after the last, at its usual second.

        The usual second nearest a period after the last upload, looking
        further back than ahead: the last upload may have been late (the
        next is not), rarely early.
        """
        if self.period is None or self.stamp is None:
            self.expected = None
            return
        nominal = self.stamp + self.period
        self.expected = (
            nominal
            if ready is None
            else next_at_offset(nominal - LATE_STAMP, ready, UPLOAD_PERIOD)
        )

    def forget(self) -> None:
        """Learn the period again."""
        self.period = self.expected = self._over = None
        self._gaps.clear()
        self._came.clear()
        self._misses = 0


def read_period(interval: timedelta) -> timedelta:
    """Return the time between two planned reads for a configured ``interval``.

    A whole number of upload periods, at least one (reading more often shows
    nothing new) and never shorter than ``interval`` (no more calls).
    """
    periods = max(1, math.ceil(interval / UPLOAD_PERIOD - 1e-9))
    return UPLOAD_PERIOD * periods


class DeviceListSchedule:
    """The meters' upload moments, and when to read the device list next."""

    def __init__(self, interval: timedelta, *, learn_periods: bool = True) -> None:
        """Read about every ``interval`` (see :func:`read_period`).

        ``learn_periods`` False: read at every planned moment, whatever the
        meters' upload periods (kept for ``scripts/bench smartme_poll``'s
        comparison).
        """
        self.period = read_period(interval)
        self.learn_periods = learn_periods
        self.clocks: dict[str, UploadClock] = {}
        """Each meter's upload moment, learnt from its stamps."""
        self.periods: dict[str, UploadPeriod] = {}
        """Each meter's upload period, learnt from its stamps."""
        self.probed: datetime | None = None
        """When a read last checked a long skip (None: none skipped yet)."""
        self._last: dict[str, datetime] = {}
        self._sure: dict[str, tuple[float, datetime]] = {}
        self._spread: dict[str, float] = {}
        """How long before its ready moment each meter's uploads may come (s)."""
        """Each meter's last ready moment while it was sure, and when."""
        self.offset: float | None = None
        """Seconds into the upload period at which the list is read (None:
        not known yet)."""
        self.planned: datetime | None = None
        """When the next read is planned."""
        self.credit = timedelta()
        """How much later than a period apart the planned reads went so far
        (up to :data:`MAX_CREDIT`)."""

    def observe(self, stamps: Mapping[str, datetime | None], now: datetime) -> None:
        """Learn from a read at ``now``: each meter's ``ValueDate`` (None: none)."""
        self.clocks = {key: c for key, c in self.clocks.items() if key in stamps}
        self._last = {key: at for key, at in self._last.items() if key in stamps}
        self._sure = {key: sure for key, sure in self._sure.items() if key in stamps}
        self._spread = {key: s for key, s in self._spread.items() if key in stamps}
        self.periods = {key: p for key, p in self.periods.items() if key in stamps}
        for meter, stamp in stamps.items():
            # A stamp from the future (a meter's clock ahead) says nothing.
            if stamp is None or stamp > now:
                continue
            clock = self.clocks.get(meter)
            if clock is None:
                clock = self.clocks[meter] = UploadClock(UPLOAD_PERIOD)
            if clock.uploaded(stamp):
                self._last[meter] = stamp
            if (
                clock.observations >= MIN_STAMPS
                and (ready := clock.ready()) is not None
                and (clock.unsure() or 0.0) <= IRREGULAR
            ):
                self._sure[meter] = (ready, now)
                self._spread[meter] = clock.unsure() or 0.0
            # A late upload leaves the meter unsure: it keeps its moment.
            sure = self._sure.get(meter)
            if sure is not None and now - sure[1] < KEEP_SURE:
                self.periods.setdefault(meter, UploadPeriod()).take(
                    stamp, now, self.period, sure[0], self._spread[meter]
                )
            else:
                self.periods.setdefault(meter, UploadPeriod()).take(
                    stamp, now, self.period
                )
        # A meter unsure for a while (a late upload) keeps its moment; one
        # unsure for long (irregular) or silent has none.
        readies = [
            ready
            for meter, (ready, since) in self._sure.items()
            if now - since < KEEP_SURE
            and now - self._last.get(meter, now - (silent := self._silent(meter)))
            < silent
        ]
        if (ready := poll_offset(readies, UPLOAD_PERIOD)) is None:
            return  # keep the last moment while the meters contradict it
        seconds = UPLOAD_PERIOD.total_seconds()
        best = (ready + GUARD.total_seconds()) % seconds
        if self.offset is None or self._worth_moving(self.offset, best, readies):
            self.offset = best

    def _silent(self, meter: str) -> timedelta:
        """Return how long without an upload makes ``meter`` silent.

        :data:`SILENT` for a meter that uploads every minute (or whose
        period is not known), as many of its periods for a slower one.
        """
        rhythm = self.periods.get(meter)
        if rhythm is None or rhythm.period is None:
            return SILENT
        return SILENT * max(1.0, rhythm.period / UPLOAD_PERIOD)

    def longest_gap(self, now: datetime) -> timedelta:
        """Return the longest time the planned reads may leave between them now.

        A read period while any meter's period is unknown; else the fastest
        meter's period and a retry (:data:`QUIET_READ` while every meter is
        quiet).
        """
        if not self.learn_periods or not self.periods:
            return self.period
        periods = [
            rhythm.period for rhythm in self.periods.values() if not rhythm.quiet(now)
        ]
        if not periods:
            return max(self.period, QUIET_READ)
        known = [period for period in periods if period is not None]
        if len(known) < len(periods):
            return self.period
        return max(self.period, min(known)) + self.period

    def _worth_moving(self, current: float, best: float, readies: list[float]) -> bool:
        """Return whether reading at ``best`` instead of ``current`` pays.

        A read at least half the guard after a meter's ready moment serves
        it (the guard is a margin, not a must: a moment that jitters by a
        second does not move the reads each time); one sooner makes it wait
        a period. Moving earlier (within the credit) or later past no
        meter's moment costs nothing; moving later past meters' moments
        costs each of them an upload (two come between the reads): only a
        clear gain in the meters' mean wait is worth that.
        """
        seconds = UPLOAD_PERIOD.total_seconds()
        served = [(ready + GUARD.total_seconds() / 2) % seconds for ready in readies]

        def mean_wait(offset: float) -> float:
            return sum((offset - point) % seconds for point in served) / len(served)

        gain = mean_wait(current) - mean_wait(best)
        later = (best - current) % seconds
        passed = any(0 < (point - current) % seconds <= later for point in served)
        free = seconds - later <= self.credit.total_seconds() or not passed
        return gain > (SETTLE if free else MOVE_GAIN)

    def next_read(self, now: datetime, started: datetime | None = None) -> datetime:
        """Return when to read next after a read that started at ``started``.

        A read that went at its planned moment (or late, within a period)
        is followed a period after that moment (not after it ended: no
        drift); another one (the first, a refresh asked for) a period after
        it started. Either way at the learnt moment of the upload period,
        not sooner than a period after the read before (less the
        :attr:`credit`).
        """
        started = started or now
        planned = self.planned
        anchor = (
            planned
            if planned is not None
            and planned - ON_TIME <= started < planned + self.period
            else started
        )
        due = anchor + self.period
        if self.offset is not None:
            # The first moment at the offset that the credit allows.
            earliest = due - self.credit
            due = next_at_offset(
                earliest - timedelta(milliseconds=1), self.offset, UPLOAD_PERIOD
            )
            self.credit = min(MAX_CREDIT, self.credit + (due - anchor - self.period))
        while due <= now:
            due += self.period
        self.planned = due = self._skip(due, now)
        return due

    def _skip(self, due: datetime, now: datetime) -> datetime:
        """Return the first read from ``due`` on that may show news.

        When no meter's next upload can have come by ``due``, the read goes
        in the first minute one can have (at the same moment of the minute:
        later than ``due``, so never sooner than the interval allows); one in
        the middle of a long skip, an hour after the last, checks that no
        meter uploads more often than learnt.
        """
        if not self.learn_periods or not self.periods:
            return due
        rhythms = self.periods.values()
        if any(rhythm.wants(due, self.period) for rhythm in rhythms):
            return due
        expected = [
            wanted
            for rhythm in rhythms
            if (wanted := rhythm.wanted_from) is not None and not rhythm.quiet(due)
        ]
        if not expected:  # every meter quiet
            return due + max(timedelta(), QUIET_READ - self.period)
        minutes = math.ceil((min(expected) - due) / UPLOAD_PERIOD)
        wanted = due + UPLOAD_PERIOD * minutes
        if minutes < 2:
            return wanted
        if self.probed is None:
            self.probed = now
        elif now - self.probed >= PROBE:
            probe = due + UPLOAD_PERIOD * (minutes // 2)
            if wanted - probe >= self.period:
                self.probed = now
                return probe
        return wanted
