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
  (:func:`second_look`).
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from ..api.appearance import AppearanceSchedule
from ..api.sma import MeasurementPoint, PlantKind
from .const import DEVICE_MARGIN, EXPECTED_DELAY

type DeviceData = dict[str, dict[str, MeasurementPoint]]
"""Device key -> measurement set -> the newest interval."""
type SetRead = tuple[str, str, str]
"""Device key, SMA device id and measurement set of one call."""


def expected_delay(kind: PlantKind, resolution: timedelta | None) -> timedelta:
    """Return how old a plant's newest data may be before it counts as gone."""
    return max(EXPECTED_DELAY[kind], 3 * (resolution or timedelta()))


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
