"""When to probe a batch: spare calls that teach its sources' upload phases.

A real-time batch is read once per upload cycle, at the moment its sources'
values are usually there (``real_time_poller``). That moment is learnt from
readings less than a period apart (``api/upload_phase.py``), which only
calls the budget has to spare can make: a *probe* reads the batch some time
before its next call. :func:`plan_probe` chooses the moment:

- while the batch's phase is unknown, a moment of the cycle before the call
  that moves from one cycle to the next (``upload_phase.dither``);
- while a source's phase is doubtful (its upload lies in an interval wider
  than :data:`SURE` seconds, :func:`doubtful_phases`), the moment that halves
  the most doubt of the batch's sources (:func:`bisecting_probe`);
- once all are sure, every :data:`PROBE_EVERY` cycles only, up to a minute
  before the earliest of its sources, to follow a drift.

Whether a probe may go at all (a call to spare, the batch's turn among those
of its interface, a retry after a late upload) is the poller's. Nothing here
does I/O or reads the clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from ..upload_phase import UploadClock, dither, next_at_offset

EARLIEST = timedelta(microseconds=1)
"""So that a probe may go at its soonest moment itself."""
PROBE_EVERY = 12
"""Cycles between two probes of a batch whose phase is known."""
SURE = 20.0
"""Doubt (s) about a phase below which it is probed every PROBE_EVERY cycles only."""


def doubtful_phases(clocks: Iterable[UploadClock]) -> list[tuple[float, float]]:
    """Return where each doubtful upload may lie: (start, width) in the period (s).

    One entry per clock given (a clock given twice weighs twice); a phase
    unknown or doubtful by :data:`SURE` seconds or less has none.
    """
    return [
        (ready - width, width)
        for clock in clocks
        if (ready := clock.ready()) is not None
        and (width := clock.unsure() or 0.0) > SURE
    ]


def bisecting_probe(
    doubts: Sequence[tuple[float, float]],
    soonest: datetime,
    before: datetime,
    period: timedelta,
) -> datetime | None:
    """Return a probe that halves the doubtful phases, if one is before ``before``.

    Each source's upload lies in an interval (ready - unsure, ready]; a
    reading inside it halves it, whichever way the value went. One
    probe reads every source of the batch, so it goes where it cuts the
    most doubt: at the middle of one source's interval, the one whose
    middle also falls into most of the others', and at ``soonest`` or after.
    """
    seconds = period.total_seconds()

    def cut(offset: float) -> float:
        """Return the doubt (s) a reading at ``offset`` takes away."""
        return sum(
            min(inside, width - inside)
            for low, width in doubts
            if (inside := (offset - low) % seconds) < width
        )

    middles = sorted(
        ((low + width / 2) % seconds for low, width in doubts),
        key=cut,
        reverse=True,
    )
    for middle in middles:
        probe = next_at_offset(soonest - EARLIEST, middle, period)
        if probe < before:
            return probe
    return None


def plan_probe(
    count: int,
    offset: float | None,
    *,
    soonest: datetime,
    main: datetime,
    guard: timedelta,
    period: timedelta,
    doubts: Sequence[tuple[float, float]],
    readies: Sequence[float],
) -> datetime | None:
    """Return when to probe a batch before its next call (None: not this cycle).

    ``count``: the batch's cycles so far; ``offset``: where in the period
    the batch is read (None: not known yet); ``soonest``: the soonest the
    budget allows a call; ``main``: the batch's next call, which a probe
    precedes by more than ``guard``; ``doubts`` (:func:`doubtful_phases`)
    and ``readies`` (ready offsets, s): the batch's sources'.
    """
    seconds = period.total_seconds()
    if offset is None:
        probe = main - timedelta(seconds=dither(count, 15, seconds - 15))
    elif (
        bisecting := bisecting_probe(doubts, soonest, main - guard, period)
    ) is not None:
        probe = bisecting
    elif count % PROBE_EVERY:
        return None
    else:
        width = max(((offset - ready) % seconds for ready in readies), default=0.0)
        ahead = dither(count, 5, min(seconds - 20, width + 60))
        probe = main - timedelta(seconds=ahead)
    return probe if soonest <= probe < main - guard else None
