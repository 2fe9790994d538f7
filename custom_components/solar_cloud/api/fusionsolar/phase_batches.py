"""Which sources share a batch: contiguous arcs of the upload phases.

Where one interface needs several calls per upload cycle for one kind of
source (more than 100 devices of a type, or more than 100 plants), the
number of calls per window is fixed by Huawei's budget; what can be chosen
is which sources each call reads. One call is best made right after the last
upload of its sources, and every source waits from its own upload to the
call: a batch of sources whose loggers upload at nearby moments of the
5-minute cycle (a contiguous arc of the circle) waits least. Batches made by
device id mix moments from all over the cycle, and every call then waits for
the last of them.

:func:`compose_batches` splits the sources whose phase is known into as many
arcs as there are batches (at most :data:`~.const.MAX_BATCH` each), so that
the total wait is least, and hands each arc to the batch that already holds
most of it, so that what a poller keeps per batch (its due time, its probes)
still belongs to about the same sources. Sources of unknown phase stay in
their batch where there is room. Nothing here does I/O or reads the clock.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from datetime import timedelta
import itertools
import math

from ..upload_phase import poll_offset
from .const import MAX_BATCH

GAIN = 5.0
"""Seconds of mean wait per source a new composition must save to be taken."""
CUTS = 3
"""How many of the largest gaps between phases are tried as an arc's start."""
MAX_STEPS = 500_000
"""Beyond this many steps of the exact split, arcs of equal size are taken."""


def batch_wait[K: Hashable](
    batch: Sequence[K], readies: Mapping[K, float], period: timedelta
) -> float:
    """Return the total wait (s) of a batch's known sources, read at its best offset."""
    known = [readies[key] for key in batch if key in readies]
    offset = poll_offset(known, period)
    if offset is None:
        return 0.0
    seconds = period.total_seconds()
    return sum((offset - ready) % seconds for ready in known)


def compose_batches[K: Hashable](
    current: Sequence[Sequence[K]],
    readies: Mapping[K, float],
    *,
    period: timedelta,
    size: int = MAX_BATCH,
    gain: float = GAIN,
) -> list[tuple[K, ...]] | None:
    """Return the batches recomposed by phase, or None if ``current`` is as good.

    ``current``: the batches (each call's sources) as they are;
    ``readies``: the ready offset (s into the period) of each source whose
    phase is known. Returns as many batches as ``current``, the i-th holding
    most of what the i-th held; None if fewer than half the sources have a
    known phase, or if the new batches would save less than ``gain`` seconds
    of mean wait per known source.
    """
    count = len(current)
    members = [key for batch in current for key in batch]
    known = sorted(
        ((readies[key], key) for key in members if key in readies),
        key=lambda item: item[0],
    )
    if count < 2 or len(known) < max(count, len(members) / 2):
        return None
    arcs = _arcs(known, count, size, period.total_seconds())
    composed = _assign(arcs, current, set(readies), size)
    before = sum(batch_wait(batch, readies, period) for batch in current)
    after = sum(batch_wait(batch, readies, period) for batch in composed)
    if after > before - gain * len(known):
        return None
    return composed


def _arcs[K: Hashable](
    known: Sequence[tuple[float, K]], count: int, size: int, period: float
) -> list[list[K]]:
    """Split sources sorted by phase into ``count`` arcs of least total wait.

    Each arc is read right after its last source; a cut between two arcs
    belongs in a wide gap between phases, so the arcs are tried from the
    :data:`CUTS` widest gaps on (the circle must be cut somewhere).
    """
    total = len(known)
    gaps = sorted(
        range(total),
        key=lambda i: -((known[(i + 1) % total][0] - known[i][0]) % period),
    )
    starts = [(gap + 1) % total for gap in gaps[:CUTS]]
    exact = len(starts) * count * total * min(size, total) <= MAX_STEPS
    candidates: list[tuple[float, list[list[K]]]] = []
    for start in starts if exact else starts[:1]:
        order = [*known[start:], *known[:start]]
        times = [0.0]
        for (before, _), (ready, _) in itertools.pairwise(order):
            times.append(times[-1] + (ready - before) % period)
        cuts = (
            _best_cuts(times, count, size)
            if exact
            else [round(i * total / count) for i in range(count + 1)]
        )
        cost = sum(
            times[cuts[i + 1] - 1] * (cuts[i + 1] - cuts[i])
            - sum(times[cuts[i] : cuts[i + 1]])
            for i in range(count)
        )
        arcs = [[key for _, key in order[cuts[i] : cuts[i + 1]]] for i in range(count)]
        candidates.append((float(cost), arcs))
    return min(candidates, key=lambda candidate: candidate[0])[1]


def _best_cuts(times: Sequence[float], count: int, size: int) -> list[int]:
    """Return the boundaries of ``count`` non-empty runs of at most ``size``.

    ``times`` ascend; a run [i, j) costs the sum of ``times[j - 1] - t``
    over its times (dynamic programming over the boundaries).
    """
    total = len(times)
    prefix = [0.0]
    for time in times:
        prefix.append(prefix[-1] + time)
    cost = [[math.inf] * (total + 1) for _ in range(count + 1)]
    back = [[0] * (total + 1) for _ in range(count + 1)]
    cost[0][0] = 0.0
    for runs in range(1, count + 1):
        for end in range(runs, total + 1):
            last = times[end - 1]
            for begin in range(max(runs - 1, end - size), end):
                if (before := cost[runs - 1][begin]) == math.inf:
                    continue
                run = last * (end - begin) - (prefix[end] - prefix[begin])
                if before + run < cost[runs][end]:
                    cost[runs][end] = before + run
                    back[runs][end] = begin
    cuts = [total]
    for runs in range(count, 0, -1):
        cuts.append(back[runs][cuts[-1]])
    return cuts[::-1]


def _assign[K: Hashable](
    arcs: Sequence[Sequence[K]],
    current: Sequence[Sequence[K]],
    known: set[K],
    size: int,
) -> list[tuple[K, ...]]:
    """Hand each arc to the batch holding most of it; keep the unknown in place."""
    held = [set(batch) for batch in current]
    pairs = sorted(
        (
            (-len(held[slot].intersection(arc)), index, slot)
            for index, arc in enumerate(arcs)
            for slot in range(len(current))
        ),
    )
    slots: list[list[K] | None] = [None] * len(current)
    placed: set[int] = set()
    for _, index, slot in pairs:
        if index not in placed and slots[slot] is None:
            slots[slot] = list(arcs[index])
            placed.add(index)
    batches = [slot or [] for slot in slots]
    overflow: list[K] = []
    for batch, before in zip(batches, current, strict=True):
        for key in before:
            if key in known:
                continue
            if len(batch) < size:
                batch.append(key)
            else:
                overflow.append(key)
    for key in overflow:
        min(batches, key=len).append(key)
    return [tuple(batch) for batch in batches]
