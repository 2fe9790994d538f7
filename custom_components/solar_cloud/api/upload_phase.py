"""When a cloud's values change: learning each source's upload phase.

A cloud that refreshes a source (a device, a plant) every ``period`` does so
at the source's own moment of the period (its *phase*: the logger uploads
some seconds after the 5-minute mark, with jitter, now and then late, and
its clock may drift). A poll shortly after that moment shows the value with
the least delay; a poll just before it shows the old value for a whole
period more.

What can be learnt from the data alone: two readings of a source at ``a``
and ``b`` that differ mean an upload in ``(a, b]``. When ``b - a`` is a
period or more the pair says nothing about the phase (every such interval
holds an upload), so phases are learnt from readings less than a period
apart: the pollers make them with calls the budget has to spare (a *probe*
before the expected upload, or a retry after a late one). Each such
difference becomes two observations of the phase's distribution, "not yet
at ``a``" and "done by ``b``", at their offsets within the period; the
distribution function is fitted to them by isotonic regression (pool
adjacent violators), the newest observations weighing most, and a source is
*ready* at the offset by which its upload has come in ``quantile`` of the
cycles. Late uploads are outliers the fit outweighs; a drifting phase moves
the fit as old observations fade; an irregular source never gets a narrow
distribution and is polled as if unknown.

Nothing here does I/O or reads the clock; offsets are seconds since the
start of the period, counted from the Unix epoch (so the 5-minute marks of
the wall clock are offset 0).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import math

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

QUANTILE = 0.9
"""A source is ready once its upload has come in this share of cycles."""
KEEP = 12
"""How many phase observations (value changes) a source keeps."""
FADE = 0.85
"""The weight of an observation relative to the next newer one."""


def offset_of(at: datetime, period: timedelta) -> float:
    """Return the seconds of ``at`` since the start of its period."""
    return (at - EPOCH).total_seconds() % period.total_seconds()


def next_at_offset(after: datetime, offset: float, period: timedelta) -> datetime:
    """Return the first time later than ``after`` that is ``offset`` into a period."""
    seconds = period.total_seconds()
    ahead = (offset - offset_of(after, period)) % seconds
    return after + timedelta(seconds=ahead or seconds)


def _unwrap(value: float, center: float, period: float) -> float:
    """Return ``value`` moved by whole periods into (center - P/2, center + P/2]."""
    return value - period * math.floor((value - center + period / 2) / period)


def _isotonic(
    points: Sequence[tuple[float, float, float]],
) -> list[tuple[float, float]]:
    """Fit a non-decreasing step function to (position, value, weight) points.

    Returns (position, fitted value) for every point, sorted by position
    (pool adjacent violators).
    """
    ordered = sorted(points)
    blocks: list[list[float]] = []  # [weighted sum, weight, count]
    for _, value, weight in ordered:
        blocks.append([value * weight, weight, 1])
        while len(blocks) > 1 and (
            blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]
        ):
            total, mass, count = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += mass
            blocks[-1][2] += count
    fitted: list[float] = []
    for total, mass, count in blocks:
        fitted.extend([total / mass] * int(count))
    return [(point[0], value) for point, value in zip(ordered, fitted, strict=True)]


@dataclass(kw_only=True)
class _Member:
    """The last reading of one source of a clock."""

    value: object
    at: datetime
    changed: bool = False
    last_change: datetime | None = None


class UploadClock:
    """What the readings of the sources that upload together tell of their phase.

    Sources that one logger uploads (the devices of a plant) share a clock:
    each of them adds what its own readings tell.
    """

    def __init__(self, period: timedelta) -> None:
        """Learn sources refreshed every ``period``."""
        self.period = period
        self._members: dict[Hashable, _Member] = {}
        self._brackets: deque[tuple[float, float]] = deque(maxlen=KEEP)
        """(offset of b, b - a) of each change seen between readings a and b."""
        self._ready: float | None = None
        self._unsure: float | None = None
        self._fitted = True

    @property
    def observations(self) -> int:
        """Return how many changes within less than a period it keeps."""
        return len(self._brackets)

    @property
    def changed(self) -> bool:
        """Return whether a source's last reading differed from the one before."""
        return any(member.changed for member in self._members.values())

    def observe(
        self,
        value: object,
        at: datetime,
        source: Hashable = None,
        *,
        learn: bool = True,
    ) -> bool:
        """Take a reading of ``source``; return whether it differs from the one before.

        ``learn`` False: the reading tells nothing of the phase (a retry
        after a late upload: the late upload is no sample of the phase).
        """
        last = self._members.get(source)
        if last is None:
            self._members[source] = _Member(value=value, at=at)
            return False
        if at <= last.at:
            return False
        changed = value != last.value
        gap = (at - last.at).total_seconds()
        last.value, last.at, last.changed = value, at, changed
        if changed:
            last.last_change = at
            if learn and gap < self.period.total_seconds():
                self._brackets.append((offset_of(at, self.period), gap))
                self._fitted = False
        return changed

    def uploaded(self, at: datetime, source: Hashable = None) -> bool:
        """Take the moment an upload of ``source`` is stamped with; return whether new.

        For a cloud that stamps each upload with its time (smart-me's
        ``ValueDate``): the stamp is the phase itself, not a bracket that
        readings less than a period apart must narrow down. A stamp seen
        before (or older) tells nothing new.
        """
        last = self._members.get(source)
        if last is not None and at <= last.at:
            last.changed = False
            return False
        self._members[source] = _Member(
            value=at, at=at, changed=last is not None, last_change=at
        )
        self._brackets.append((offset_of(at, self.period), 0.0))
        self._fitted = False
        return True

    def late(self, at: datetime, source: Hashable = None) -> bool:
        """Return whether the upload of ``source`` is overdue at ``at``.

        Overdue: no change for about a period, though there was one within
        the two periods before (a source whose values stand still, an
        inverter at night, is not late).
        """
        member = self._members.get(source)
        if member is None or member.changed or member.last_change is None:
            return False
        since = at - member.last_change
        return self.period * 0.9 <= since <= 2 * self.period

    def _fit(self) -> None:
        self._fitted = True
        self._ready = self._unsure = None
        if len(self._brackets) < 2:
            return
        period = self.period.total_seconds()
        weights = [FADE**age for age in range(len(self._brackets) - 1, -1, -1)]
        if all(gap == 0.0 for _, gap in self._brackets):
            self._fit_stamps(weights, period)
            return
        # Centre the fit where most changes agree the upload lies: every
        # other bracket then unwraps on the right side of it.
        center = max(
            (b for b, _ in self._brackets),
            key=lambda x: sum(
                w
                for w, (b, gap) in zip(weights, self._brackets, strict=True)
                if (x - b) % period == 0 or (x - b) % period > period - gap
            ),
        )
        points: list[tuple[float, float, float]] = []
        for weight, (b, gap) in zip(weights, self._brackets, strict=True):
            done = _unwrap(b, center, period)
            points += [(done - gap, 0.0, weight), (done, 1.0, weight)]
        fitted = _isotonic(points)
        ready = next((x for x, value in fitted if value >= QUANTILE), None)
        if ready is None:
            return
        before = [x for x, value in fitted if x < ready and value <= 1 - QUANTILE]
        self._ready = ready % period
        self._unsure = ready - max(before, default=ready - period)

    def _fit_stamps(self, weights: Sequence[float], period: float) -> None:
        """Fit the phase to exact upload moments (:meth:`uploaded`).

        Known moments need no isotonic fit: the ready offset is their
        weighted ``QUANTILE``, counted around their circular mean (so that a
        phase near the period's end does not split in two, and a late upload
        does not move the centre), the doubt the spread of the middle
        between ``1 - QUANTILE`` and ``QUANTILE``.
        """
        turn = 2 * math.pi / period
        sine = sum(
            w * math.sin(b * turn)
            for w, (b, _) in zip(weights, self._brackets, strict=True)
        )
        cosine = sum(
            w * math.cos(b * turn)
            for w, (b, _) in zip(weights, self._brackets, strict=True)
        )
        center = math.atan2(sine, cosine) / turn
        moments = sorted(
            (_unwrap(b, center, period), weight)
            for weight, (b, _) in zip(weights, self._brackets, strict=True)
        )
        total = sum(weights)
        share, low = 0.0, None
        for moment, weight in moments:
            share += weight / total
            if low is None and share > 1 - QUANTILE:
                low = moment
            if share >= QUANTILE - 1e-9:
                break
        self._ready = moment % period
        self._unsure = moment - (moment if low is None else low)

    def ready(self) -> float | None:
        """Return the offset by which the upload has usually come (None: unknown)."""
        if not self._fitted:
            self._fit()
        return self._ready

    def unsure(self) -> float | None:
        """Return how long before :meth:`ready` the upload may already come (s).

        The time from the last reading known to precede the upload to
        :meth:`ready`: what a probe in between can narrow down.
        """
        if not self._fitted:
            self._fit()
        return self._unsure


def poll_offset(readies: Sequence[float], period: timedelta) -> float | None:
    """Return the offset at which one call serves sources ready at ``readies`` best.

    One call reads a whole batch; each source waits from its ready offset to
    the call's (a period less a little for one ready just after it). The
    offset chosen is the ready offset that makes the mean wait least: right
    after the last of the densest group, so that no source just misses it.
    """
    if not readies:
        return None
    seconds = period.total_seconds()
    best, best_cost = readies[0], math.inf
    for candidate in sorted(set(readies)):
        cost = sum((candidate - ready) % seconds for ready in readies)
        if cost < best_cost:
            best, best_cost = candidate, cost
    return best


def plan_poll(
    *,
    offset: float,
    earliest: datetime,
    after: datetime,
    period: timedelta,
    max_lag: timedelta,
    latest: datetime | None = None,
) -> tuple[datetime, bool]:
    """Return when to make the next call that reads values due at ``offset``.

    ``earliest``: the soonest the budget allows it; ``after``: the last call.
    The call goes at the next time at ``offset`` if the budget allows; else
    as soon as allowed, as long as that is at most ``max_lag`` after it;
    else at ``offset`` one period later: that upload is let go, and the
    delay starts small again. (With calls held a little more than a period
    apart, the delay grows by that little every cycle.) An upload is not
    let go if that would put the call after ``latest`` (values would turn
    stale). Also returns whether an upload is let go.
    """
    due = next_at_offset(after, offset, period)
    if earliest <= due:
        return due, False
    if earliest - due <= max_lag:
        return earliest, False
    while due < earliest:
        due += period
    if latest is not None and due > latest:
        return earliest, False
    return due, True


def dither(count: int, low: float, high: float) -> float:
    """Return the ``count``-th of a sequence that covers (low, high) evenly."""
    golden = (math.sqrt(5) - 1) / 2
    return low + (count * golden % 1.0) * (high - low)
