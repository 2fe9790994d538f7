"""Learning upload phases from the values themselves (api/upload_phase.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
import random

import pytest

from custom_components.solar_cloud.api.upload_phase import (
    UploadClock,
    dither,
    next_at_offset,
    offset_of,
    plan_poll,
    poll_offset,
)

PERIOD = timedelta(minutes=5)
T0 = datetime(2026, 6, 21, tzinfo=UTC)
"""A 5-minute mark."""


def _uploads(
    offset: Callable[[int], float],
) -> Callable[[datetime], int]:
    """Return what a source shows at a time: the number of its last upload."""

    def value(at: datetime) -> int:
        seconds = (at - T0).total_seconds()
        cycle = int(seconds // 300) + 1
        while T0 + timedelta(seconds=cycle * 300 + offset(cycle)) > at:
            cycle -= 1
        return cycle

    return value


def _learn(
    clock: UploadClock,
    value: Callable[[datetime], int],
    cycles: range,
    main_offset: Callable[[], float],
) -> None:
    """Read every cycle at the clock's ready offset, with a probe before it."""
    for cycle in cycles:
        main = T0 + timedelta(seconds=cycle * 300 + main_offset())
        ready = clock.ready()
        unsure = clock.unsure() or 0.0
        if ready is None:
            ahead = dither(cycle, 15, 285)
        elif unsure > 20:
            ahead = (main_offset() - (ready - unsure / 2)) % 300
        else:
            ahead = dither(cycle, 5, 65)
        probe = main - timedelta(seconds=ahead)
        clock.observe(value(probe), probe)
        clock.observe(value(main), main)


def test_steady_uploads_are_located_within_seconds() -> None:
    """Uploads at 130..136 s: ready within seconds of them, in 20 cycles."""
    rng = random.Random(3)
    jitter = {cycle: rng.uniform(0, 6) for cycle in range(-2, 200)}
    value = _uploads(lambda cycle: 130 + jitter[cycle])
    clock = UploadClock(PERIOD)
    assert clock.ready() is None

    def main_offset() -> float:
        ready = clock.ready()
        return 0.0 if ready is None else ready + 5

    _learn(clock, value, range(20), main_offset)
    ready = clock.ready()
    assert ready is not None
    assert 130 <= ready <= 145
    unsure = clock.unsure()
    assert unsure is not None
    assert unsure <= 30
    assert clock.observations == 12  # the clock keeps the newest only


def test_drifting_uploads_are_followed() -> None:
    """A logger whose clock runs 0.5 s fast a cycle: the estimate moves along."""
    value = _uploads(lambda cycle: 100 + 0.5 * cycle)
    clock = UploadClock(PERIOD)

    def main_offset() -> float:
        ready = clock.ready()
        return 0.0 if ready is None else ready + 5

    _learn(clock, value, range(120), main_offset)
    ready = clock.ready()
    assert ready is not None
    # The upload is at 160 s by now (100 + 0.5 * 120).
    assert 150 <= ready <= 175


def test_late_upload_does_not_break_the_lock() -> None:
    """One upload 100 s late is an outlier: the phase stays where it was."""
    value = _uploads(lambda cycle: 130 + (100 if cycle == 14 else 0))
    clock = UploadClock(PERIOD)

    def main_offset() -> float:
        ready = clock.ready()
        return 0.0 if ready is None else ready + 5

    _learn(clock, value, range(14), main_offset)
    before = clock.ready()
    assert before is not None
    _learn(clock, value, range(14, 18), main_offset)
    after = clock.ready()
    assert after is not None
    assert abs(after - before) <= 10
    assert 125 <= after <= 140


def test_irregular_uploads_stay_unsure() -> None:
    """Uploads at any moment of the cycle: no narrow phase is claimed."""
    rng = random.Random(5)
    moments = {cycle: rng.uniform(0, 299) for cycle in range(-2, 100)}
    value = _uploads(lambda cycle: moments[cycle])
    clock = UploadClock(PERIOD)
    for cycle in range(40):
        for seconds in (dither(cycle, 0, 150), 150 + dither(cycle + 7, 0, 150)):
            at = T0 + timedelta(seconds=cycle * 300 + seconds)
            clock.observe(value(at), at)
    unsure = clock.unsure()
    assert clock.ready() is None or (unsure is not None and unsure > 30)


def test_readings_a_period_apart_tell_nothing() -> None:
    """Every interval of a period holds an upload: no phase from such pairs."""
    value = _uploads(lambda _: 100)
    clock = UploadClock(PERIOD)
    for cycle in range(20):
        at = T0 + timedelta(seconds=cycle * 301)
        assert clock.observe(value(at), at) is (cycle > 0)
    assert clock.observations == 0
    assert clock.ready() is None
    # Older or repeated readings are ignored; learn=False keeps no sample.
    assert clock.observe(0, T0) is False
    late = T0 + timedelta(seconds=20 * 301 + 10)
    assert clock.observe(-1, late, learn=False) is True
    assert clock.observations == 0


def test_late_uploads_are_told_from_still_values() -> None:
    """Late: a source that changed lately stands still for a period."""
    clock = UploadClock(PERIOD)
    assert not clock.late(T0)
    clock.observe(1, T0)
    clock.observe(2, T0 + timedelta(seconds=300))
    assert clock.changed
    assert not clock.late(T0 + timedelta(seconds=300))
    clock.observe(2, T0 + timedelta(seconds=600))
    assert clock.late(T0 + timedelta(seconds=600))
    # An inverter at night: unchanged for hours is not late.
    clock.observe(2, T0 + timedelta(hours=2))
    assert not clock.late(T0 + timedelta(hours=2))
    assert not clock.changed


def test_offsets() -> None:
    """Offsets count from the 5-minute marks of the epoch."""
    assert offset_of(T0 + timedelta(seconds=130), PERIOD) == 130
    assert next_at_offset(T0, 130, PERIOD) == T0 + timedelta(seconds=130)
    assert next_at_offset(T0 + timedelta(seconds=130), 130, PERIOD) == T0 + (
        timedelta(seconds=430)
    )


@pytest.mark.parametrize(
    ("earliest", "expected", "skipped"),
    [
        (100, 135, False),  # the budget allows the planned moment
        (140, 140, False),  # 5 s late: go as soon as allowed
        (135 + 61, 435, True),  # more than max_lag late: let that upload go
    ],
)
def test_plan_poll(earliest: float, expected: float, *, skipped: bool) -> None:
    """At the offset if allowed; late up to max_lag; else one period on."""
    when, let_go = plan_poll(
        offset=135,
        earliest=T0 + timedelta(seconds=earliest),
        after=T0 + timedelta(seconds=10),
        period=PERIOD,
        max_lag=timedelta(seconds=60),
    )
    assert when == T0 + timedelta(seconds=expected)
    assert let_go is skipped


def test_plan_poll_keeps_values_fresh() -> None:
    """An upload is not let go if the next call would come two periods later."""
    when, let_go = plan_poll(
        offset=135,
        earliest=T0 + timedelta(seconds=500),
        after=T0 + timedelta(seconds=136),
        period=PERIOD,
        max_lag=timedelta(seconds=60),
        latest=T0 + timedelta(seconds=136 + 570),
    )
    # 65 s late; letting the upload go would put the call at 735 s.
    assert when == T0 + timedelta(seconds=500)
    assert not let_go


def test_poll_offset_serves_a_batch() -> None:
    """One call for sources ready at different moments: after the densest group."""
    assert poll_offset([], PERIOD) is None
    assert poll_offset([40, 50, 60, 250], PERIOD) == 60
    # Across the 5-minute mark.
    assert poll_offset([290, 295, 5], PERIOD) == 5


# Stamped uploads (a cloud that says when each upload came: smart-me) -------


def _stamps(
    clock: UploadClock, offsets: list[float], *, period: float = 60.0
) -> list[tuple[float | None, float | None]]:
    """Feed one stamp per period at ``offsets``; return (ready, unsure) after each."""
    fits = []
    for cycle, offset in enumerate(offsets):
        clock.uploaded(T0 + timedelta(seconds=cycle * period + offset), "meter")
        fits.append((clock.ready(), clock.unsure()))
    return fits


def test_stamps_give_the_phase_at_once() -> None:
    """Two stamps are enough; the ready offset covers the jitter seen."""
    clock = UploadClock(timedelta(minutes=1))
    draws = random.Random(7)
    fits = _stamps(clock, [20 + draws.uniform(0, 6) for _ in range(30)])
    assert fits[0] == (None, None)
    ready, unsure = fits[-1]
    assert ready is not None
    assert unsure is not None
    assert 24 <= ready <= 26
    assert unsure <= 6


def test_a_stamp_seen_again_teaches_nothing() -> None:
    """The same upload read twice (or an older one) is no new observation."""
    clock = UploadClock(timedelta(minutes=1))
    assert clock.uploaded(T0 + timedelta(seconds=10))
    assert not clock.uploaded(T0 + timedelta(seconds=10))
    assert not clock.uploaded(T0 + timedelta(seconds=5))
    assert clock.observations == 1
    assert not clock.changed


def test_stamps_around_the_period_end_stay_together() -> None:
    """Uploads at 58..62 s (either side of the minute) are one phase, not two."""
    clock = UploadClock(timedelta(minutes=1))
    draws = random.Random(3)
    fits = _stamps(clock, [58 + draws.uniform(0, 4) for _ in range(20)])
    ready, unsure = fits[-1]
    assert ready is not None
    assert unsure is not None
    assert ready <= 2.5 or ready >= 59.5
    assert unsure <= 4


def test_a_late_stamp_makes_the_phase_unsure_for_a_while() -> None:
    """A late upload widens the doubt (a schedule ignores it), then fades."""
    clock = UploadClock(timedelta(minutes=1))
    offsets = [20.0 + (cycle % 3) for cycle in range(12)]
    _stamps(clock, offsets)
    assert (clock.unsure() or 0.0) <= 3
    clock.uploaded(T0 + timedelta(seconds=12 * 60 + 45), "meter")
    assert (clock.unsure() or 0.0) > 20
    for cycle in range(13, 30):
        clock.uploaded(T0 + timedelta(seconds=cycle * 60 + 21), "meter")
    assert (clock.unsure() or 0.0) <= 3
    assert clock.ready() == pytest.approx(22, abs=1)


def test_stamps_spread_over_the_period_stay_unsure() -> None:
    """An irregular source never gets a narrow phase."""
    clock = UploadClock(timedelta(minutes=1))
    draws = random.Random(11)
    fits = _stamps(clock, [draws.uniform(0, 60) for _ in range(300)])
    doubts = [unsure for _, unsure in fits[12:] if unsure is not None]
    assert min(doubts) > 12
    assert sum(doubt > 15 for doubt in doubts) >= 0.99 * len(doubts)
