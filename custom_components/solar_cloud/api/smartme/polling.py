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

No Home Assistant import: the account coordinator turns :meth:`next_read`
into its update interval; tests and the benchmark drive it directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
import math

from ..upload_phase import UploadClock, next_at_offset, poll_offset

UPLOAD_PERIOD = timedelta(minutes=1)
"""How often a smart-me meter uploads."""
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


def read_period(interval: timedelta) -> timedelta:
    """Return the time between two planned reads for a configured ``interval``.

    A whole number of upload periods, at least one (reading more often shows
    nothing new) and never shorter than ``interval`` (no more calls).
    """
    periods = max(1, math.ceil(interval / UPLOAD_PERIOD - 1e-9))
    return UPLOAD_PERIOD * periods


class DeviceListSchedule:
    """The meters' upload moments, and when to read the device list next."""

    def __init__(self, interval: timedelta) -> None:
        """Read about every ``interval`` (see :func:`read_period`)."""
        self.period = read_period(interval)
        self.clocks: dict[str, UploadClock] = {}
        """Each meter's upload moment, learnt from its stamps."""
        self._last: dict[str, datetime] = {}
        self._sure: dict[str, tuple[float, datetime]] = {}
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
        # A meter unsure for a while (a late upload) keeps its moment; one
        # unsure for long (irregular) or silent has none.
        readies = [
            ready
            for meter, (ready, since) in self._sure.items()
            if now - since < KEEP_SURE
            and now - self._last.get(meter, now - SILENT) < SILENT
        ]
        if (ready := poll_offset(readies, UPLOAD_PERIOD)) is None:
            return  # keep the last moment while the meters contradict it
        seconds = UPLOAD_PERIOD.total_seconds()
        best = (ready + GUARD.total_seconds()) % seconds
        if self.offset is None or self._worth_moving(self.offset, best, readies):
            self.offset = best

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
        self.planned = due
        return due
