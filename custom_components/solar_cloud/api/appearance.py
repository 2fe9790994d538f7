"""When a cloud's next interval appears, learnt from the intervals polls saw.

A cloud that serves data in intervals (SMA: 5 or 15 minutes, each stamped
with its end) shows an interval some time after it ends: the logger uploads,
the cloud processes. That delay is the source's phase. Polling at a fixed
interval counted from setup sweeps the whole interval in lag; polling just
after the expected appearance shows each interval almost as soon as it
exists, with the same number of calls.

:class:`AppearanceSchedule` learns the delay of one source from what each
poll saw (the newest interval end) and says when to poll next, on absolute
times (interval end + delay + guard), so no drift accumulates:

- a poll that finds the awaited interval bounds the delay from above: the
  schedule moves earlier, fast while learning (until a poll misses), then
  creeping; after a run of hits it probes again, so that a phase that moved
  earlier is found (after RELEARN_FIRST hits, then twice as many each time a
  probe found the phase where it was, up to RELEARN: each probe costs a miss);
- a poll that misses it bounds the delay from below: the source is asked
  again after 20 s, then where the last late interval was found (then
  doubling, never slower than its cadence); an interval found at the first
  look again moves the schedule later by up to a step, one found later (a
  late upload) does not move it, and two late in a row (the phase moved)
  move it to where they appeared and start learning anew. Just after a miss
  moved the schedule later, the next miss is taken for a late interval and
  looked for where the last one was found at once.

No Home Assistant import: coordinators turn :meth:`next_poll` into their
update interval, tests and benchmarks drive it directly.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

GUARD = timedelta(seconds=2)
"""Poll this long after the expected appearance (timer and clock slack)."""
RETRY = timedelta(seconds=20)
"""The first look again after a poll that missed the awaited interval."""
LATER = 20.0
"""Seconds the schedule moves later after an interval needed a second look."""
EARLIER = 0.1
"""Seconds the schedule creeps earlier per hit."""
RELEARN = 144
"""Hits in a row after which the schedule probes for an earlier phase, at most."""
RELEARN_FIRST = 24
"""Hits in a row before the first probe once settled; each probe that finds
the phase where it was doubles it (up to RELEARN), one that finds an earlier
phase starts again from here."""
GRID = datetime(2000, 1, 1, tzinfo=UTC)
"""Where the cadences' intervals are counted from (whole hours)."""


class AppearanceSchedule:
    """Learn when a source's intervals appear, and when to poll for the next."""

    def __init__(
        self,
        cadence: timedelta,
        *,
        guard: timedelta = GUARD,
        retry: timedelta = RETRY,
    ) -> None:
        """Await a new interval every ``cadence`` (a multiple of its resolution)."""
        self.cadence = cadence
        self.guard = guard
        self.retry = retry
        self.latest: datetime | None = None
        """The end of the newest interval seen."""
        self.delay: float | None = None
        """Seconds after its end at which an interval is expected to be there."""
        self.settled = False
        """Whether a miss has shown where the delay lies (until then: learning)."""
        self.probe = cadence.total_seconds() / 4
        """Seconds the schedule moves earlier per hit while learning."""
        self.misses = 0
        """Polls since the awaited interval was due that did not find it."""
        self.hits = 0
        """Intervals in a row found at the first poll."""
        self.late_bound: float | None = None
        """Where the previous interval was found, if it too needed a second look."""
        self.missed_at: float | None = None
        """Seconds after its end at which the awaited interval was last missed."""
        self.first_missed: datetime | None = None
        """When the awaited interval was first missed."""
        self.late_after: float | None = None
        """Seconds after its first miss at which the last late interval (one
        not there at the first look again either) was found."""
        self.since_spread: int | None = None
        """Hits since a miss within the phase's spread last moved it later
        (None: not since the schedule settled)."""
        self.relearn = RELEARN_FIRST
        """Hits in a row after which the next probe for an earlier phase comes."""
        self.probed_from: float | None = None
        """The delay a running probe for an earlier phase started from."""
        self.offset = timedelta()
        """Where this source's cadence starts after the grid's whole hours: a
        cadence of several intervals awaits every n-th, and sources that
        share a call budget await different ones."""
        self.polls = 0
        self.retries = 0

    @property
    def expected(self) -> datetime | None:
        """Return the end of the interval awaited next."""
        return None if self.latest is None else self.latest + self.cadence

    @property
    def due(self) -> datetime | None:
        """Return when the awaited interval should be there (no guard)."""
        if (expected := self.expected) is None or self.delay is None:
            return None
        return expected + timedelta(seconds=self.delay)

    def skip(self) -> None:
        """Await the interval after the expected one (it will not be shown)."""
        if self.latest is not None:
            self.latest += self.cadence
            self.misses = 0

    def observe(self, now: datetime, latest: datetime | None) -> None:
        """Learn from a poll at ``now`` whose newest interval ended at ``latest``."""
        self.polls += 1
        due = self.due
        if latest is None or (self.latest is not None and latest <= self.latest):
            self._miss(now, due)
            return
        if (expected := self.expected) is not None and latest < expected:
            # Newer, but not the awaited interval (a cadence of several).
            self._miss(now, due)
            return
        seen = (now - latest).total_seconds()
        if self.misses and self._found_late(now):
            self.late_after = self._found_after(now)
        if self.delay is None or self.latest is None:
            self.delay = max(0.0, seen)
        elif self.misses == 0:
            self.delay = self._hit(self.delay, seen)
        else:
            self.delay = self._late(self.delay, seen, now)
        self.latest = self._on_grid(latest)
        self.misses = 0

    def _on_grid(self, end: datetime) -> datetime:
        """Return the cadence's interval end at or before ``end``.

        A cadence of several intervals (15 minutes of 5-minute data) awaits
        the quarter hours, whichever interval a poll happened to see first.
        """
        return end - (end - GRID - self.offset) % self.cadence

    def _miss(self, now: datetime, due: datetime | None) -> None:
        """Count a poll that did not find the awaited interval when it was due."""
        if due is not None and now >= due:
            if not self.misses:
                self.first_missed = now
            self.misses += 1
            self.retries += 1
            self.missed_at = (now - due).total_seconds() + (self.delay or 0.0)

    def _hit(self, delay: float, seen: float) -> float:
        """Return the delay after the awaited interval was there at once."""
        self.late_bound = None
        if self.settled:
            self.hits += 1
            if self.since_spread is not None:
                self.since_spread += 1
            if self.hits >= self.relearn:
                # A long run without a miss: look for an earlier phase.
                self.settled, self.probe = False, LATER
                self.probed_from = delay
            return max(0.0, min(delay, seen) - EARLIER)
        return max(0.0, min(delay, seen) - self.probe)

    def _found_after(self, now: datetime) -> float:
        """Return the seconds from the first miss of the awaited interval to ``now``."""
        missed = self.first_missed
        return 0.0 if missed is None else (now - missed).total_seconds()

    def _found_late(self, now: datetime) -> bool:
        """Return whether an interval found now was not there at the first look again."""
        return self._found_after(now) > 1.5 * self.retry.total_seconds()

    def _late(self, delay: float, seen: float, now: datetime) -> float:
        """Return the delay after the awaited interval needed another look."""
        self.hits = 0
        bound, self.late_bound = self.late_bound, seen
        missed = self.missed_at if self.missed_at is not None else delay
        if not self.settled:
            # It lies between the last miss and the hit: start low, as a miss
            # costs a call and moves the schedule up at once, while a schedule
            # too late only creeps back. Found only after several looks it may
            # have been a late one: keep learning, in smaller steps.
            self.settled = self.misses == 1
            self.since_spread = None
            if self.settled and (start := self.probed_from) is not None:
                # A probe ended: the phase was where it was (probe less
                # often) or earlier (probe soon again, it may move on).
                moved = min(seen, missed + LATER) < start - LATER
                self.relearn = (
                    RELEARN_FIRST if moved else min(2 * self.relearn, RELEARN)
                )
                self.probed_from = None
            self.probe = LATER
            return min(seen, missed + LATER)
        if bound is not None:
            # Two intervals in a row came late: the phase moved; find it anew.
            self.settled, self.probe = False, LATER
            return max(delay, min(seen, bound))
        if not self._found_late(now):
            # Found at the first look again: the phase's own spread.
            self.since_spread = 0
            return max(delay, min(delay + LATER, seen))
        # One interval far later than the others: it does not move the phase.
        return delay

    @property
    def _late_expected(self) -> bool:
        """Return whether a miss now is more likely a late interval than spread.

        Just after a miss in the spread moved the schedule later, the
        schedule has crept back less than half a step: a miss is a late one.
        """
        return (
            self.settled
            and self.since_spread is not None
            and self.since_spread * EARLIER < LATER / 2
        )

    def next_poll(self, now: datetime) -> datetime:
        """Return when to poll next (aware, as ``now``)."""
        if (due := self.due) is None:
            return now + self.cadence
        target = due + self.guard
        if target > now:
            return target
        if (
            self.late_after is not None
            and self.first_missed is not None
            and (late := self.first_missed + timedelta(seconds=self.late_after)) > now
            and (self.misses > 1 or self._late_expected)
        ):
            # Not there at the first look again either (or a miss in the
            # spread is unlikely): a late one. Look where the last late one
            # was found, not at every doubling on the way.
            return min(late, now + self.cadence)
        wait = min(self.retry * (1 << min(max(0, self.misses - 1), 16)), self.cadence)
        return now + wait
