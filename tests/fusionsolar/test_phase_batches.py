"""Batches composed by upload phase: which devices or plants one call reads.

More than 100 sources of a kind need several calls per upload cycle; each
call is best made right after the uploads of its sources, so a batch should
hold sources whose loggers upload at nearby moments (an arc of the 5-minute
circle), not sources that happen to have nearby ids.
"""

from __future__ import annotations

from datetime import timedelta
import itertools

import aiohttp

from custom_components.solar_cloud.api.fusionsolar import FusionSolarClient
from custom_components.solar_cloud.api.fusionsolar.const import MAX_BATCH
from custom_components.solar_cloud.api.fusionsolar.flow_control import batches
from custom_components.solar_cloud.api.fusionsolar.models import Device
from custom_components.solar_cloud.api.fusionsolar.phase_batches import (
    batch_wait,
    compose_batches,
)
from custom_components.solar_cloud.api.fusionsolar.polling import REAL_TIME_PERIOD
from custom_components.solar_cloud.api.fusionsolar.real_time_poller import (
    RealTimePoller,
)

from ..simulator.core import StartSimulator
from .upload_day import START, ManualClock, run_upload_day

PERIOD = REAL_TIME_PERIOD.total_seconds()


def _phase(number: int) -> float:
    """Return a phase 20..200 s that neighbouring numbers do not share."""
    return 20.0 + (number * 37) % 180


def _is_arc(phases: list[float], others: list[float]) -> bool:
    """Return whether no phase of ``others`` lies between two of ``phases``.

    On the circle: some gap of ``phases`` holds every one of ``others``.
    """
    ordered = sorted(phases)
    gaps = [
        *itertools.pairwise(ordered),
        (ordered[-1], ordered[0] + PERIOD),
    ]
    return any(
        all(
            low < other % PERIOD < high or low < other + PERIOD < high
            for other in others
        )
        for low, high in gaps
    )


def test_batches_become_arcs_of_the_circle() -> None:
    """150 sources mixed by id: two batches, each a contiguous arc, less wait."""
    current = batches(list(range(150)))
    readies = {number: _phase(number) for number in range(150)}

    composed = compose_batches(current, readies, period=REAL_TIME_PERIOD)

    assert composed is not None
    assert sorted(key for batch in composed for key in batch) == list(range(150))
    assert all(0 < len(batch) <= MAX_BATCH for batch in composed)
    first, second = ([readies[key] for key in batch] for batch in composed)
    assert _is_arc(first, second)
    assert _is_arc(second, first)
    before = sum(batch_wait(b, readies, REAL_TIME_PERIOD) for b in current)
    after = sum(batch_wait(b, readies, REAL_TIME_PERIOD) for b in composed)
    # Two arcs of 90 s wait about half as long as two batches of 180 s.
    assert after < 0.6 * before
    # Already arcs: nothing to gain, nothing changes.
    assert compose_batches(composed, readies, period=REAL_TIME_PERIOD) is None


def test_arcs_wrap_around_the_five_minute_mark() -> None:
    """Loggers just before and just after the mark belong to one arc."""
    readies = {n: (285.0 + 0.3 * n) % PERIOD for n in range(100)} | {
        n: 140.0 + 0.3 * (n - 100) for n in range(100, 200)
    }
    current = [tuple(range(0, 200, 2)), tuple(range(1, 200, 2))]

    composed = compose_batches(current, readies, period=REAL_TIME_PERIOD)

    assert composed is not None
    assert sorted(composed, key=len) == [
        tuple(range(100)),
        tuple(range(100, 200)),
    ] or {frozenset(batch) for batch in composed} == {
        frozenset(range(100)),
        frozenset(range(100, 200)),
    }
    # Each batch waits for its own cluster only (30 s wide, not 175 s).
    for batch in composed:
        assert batch_wait(batch, readies, REAL_TIME_PERIOD) / len(batch) < 16


def test_unknown_phases_stay_and_each_arc_keeps_its_batch() -> None:
    """A batch keeps most of what it held; sources of unknown phase stay put."""
    current = [tuple(range(100)), tuple(range(100, 150))]
    # The first batch mostly uploads late in the cycle, the second early;
    # twenty of the first upload early too.
    readies = (
        {n: 150.0 + 0.5 * n for n in range(10, 80)}
        | {n: 20.0 + n - 80 for n in range(80, 100)}
        | {n: 20.0 + 0.9 * (n - 100) for n in range(100, 150)}
    )
    unknown = set(range(10))

    composed = compose_batches(current, readies, period=REAL_TIME_PERIOD)

    assert composed is not None
    assert set(composed[0]) == unknown | set(range(10, 80))
    assert set(composed[1]) == set(range(80, 150))
    # Fewer than half known: too little to go by.
    assert (
        compose_batches(
            current,
            {n: readies[n] for n in range(80, 150)},
            period=REAL_TIME_PERIOD,
        )
        is None
    )
    # One batch: nothing to compose.
    assert compose_batches([tuple(range(50))], readies, period=REAL_TIME_PERIOD) is None


def test_a_full_arc_sends_the_unknown_elsewhere() -> None:
    """Sources of unknown phase move only when their batch's new arc fills it."""
    current = [tuple(range(100)), tuple(range(100, 150))]
    # Ninety of the first batch and ten of the second upload together.
    readies = {n: 200.0 + 0.1 * n for n in range(10, 110)} | {
        n: 20.0 + n - 110 for n in range(110, 150)
    }

    composed = compose_batches(current, readies, period=REAL_TIME_PERIOD)

    assert composed is not None
    assert set(composed[0]) == set(range(10, 110))
    assert set(composed[1]) == set(range(10)) | set(range(110, 150))
    # A batch of no known phase waits for nothing known.
    assert batch_wait(tuple(range(10)), readies, REAL_TIME_PERIOD) == 0


def test_many_batches_split_in_equal_arcs() -> None:
    """A thousand sources (ten batches): equal arcs, each within the limit."""
    current = batches(list(range(1000)))
    readies = {number: _phase(number) + number / 1000 for number in range(1000)}

    composed = compose_batches(current, readies, period=REAL_TIME_PERIOD)

    assert composed is not None
    assert sorted(key for batch in composed for key in batch) == list(range(1000))
    assert all(len(batch) == MAX_BATCH for batch in composed)
    before = sum(batch_wait(b, readies, REAL_TIME_PERIOD) for b in current)
    after = sum(batch_wait(b, readies, REAL_TIME_PERIOD) for b in composed)
    assert after < 0.2 * before


def _learn(poller: RealTimePoller, code: str, phase: float) -> None:
    """Teach a plant's clock its phase: readings just before and after it."""
    for cycle in range(3):
        start = START + timedelta(seconds=cycle * PERIOD)
        for value, seconds in ((cycle, phase - 8), (cycle + 1, phase + 1)):
            poller._observe(
                ("plant", code), value, start + timedelta(seconds=seconds), learn=True
            )


async def test_recomposition_keeps_keys_due_times_and_budget(
    session: aiohttp.ClientSession,
) -> None:
    """Batches change members, not keys: each keeps its due time and probes."""
    clock = ManualClock(START)
    client = FusionSolarClient(
        session,
        "http://127.0.0.1:9",
        username="user",
        password="pw",
        clock=clock.now,
        sleep=clock.sleep,
    )
    poller = RealTimePoller(client)
    codes = [f"NE={50_000_000 + n}" for n in range(1, 151)]
    devices = [
        Device(id=2_000_000_000 + n * 10, name="Inverter", plant_code=code, type_id=38)
        for n, code in enumerate(codes, start=1)
    ]
    poller.set_scope(codes, devices)
    keys = [job.key for job in poller.jobs]
    assert keys == [
        ("plants", 0),
        ("plants", 1),
        ("devices", 38, 0),
        ("devices", 38, 1),
    ]
    by_id = dict(poller._device_batches)
    for n, code in enumerate(codes, start=1):
        _learn(poller, code, _phase(n))
    due = {key: START + timedelta(seconds=30 * i) for i, key in enumerate(keys)}
    poller._next_due |= due
    poller._probes |= dict.fromkeys(keys, 3)

    clock.current = START + timedelta(minutes=20)
    poller._compose()

    assert [job.key for job in poller.jobs] == keys
    assert poller._next_due == due
    assert poller._probes == dict.fromkeys(keys, 3)
    assert poller._device_batches != by_id
    phases = {
        device.id: _phase(number) for number, device in enumerate(devices, start=1)
    }
    first, second = (
        [phases[i] for i in poller._device_batches["devices", 38, slot][1]]
        for slot in (0, 1)
    )
    assert _is_arc(first, second)
    plant_phases = {code: _phase(n) for n, code in enumerate(codes, start=1)}
    plants_first, plants_second = (
        [plant_phases[c] for c in poller._plant_batches["plants", slot]]
        for slot in (0, 1)
    )
    assert _is_arc(plants_first, plants_second)
    assert sorted(c for b in poller._plant_batches.values() for c in b) == codes

    # The daily inventory reload with the same devices keeps the composition;
    # a device that leaves is dropped without mixing the batches by id again.
    composed = dict(poller._device_batches)
    poller.set_scope(codes, devices)
    assert poller._device_batches == composed
    poller.set_scope(codes, devices[1:])
    gone = devices[0].id
    assert poller._device_batches == {
        key: (type_id, tuple(i for i in ids if i != gone))
        for key, (type_id, ids) in composed.items()
    }
    # One that comes joins the smaller batch.
    smaller = min(
        poller._device_batches, key=lambda k: len(poller._device_batches[k][1])
    )
    poller.set_scope(codes, devices)
    assert gone in poller._device_batches[smaller][1]
    assert sorted(i for _, ids in poller._device_batches.values() for i in ids) == [
        device.id for device in devices
    ]
    assert [job.key for job in poller.jobs] == keys


async def test_many_plants_composed_by_phase_never_refused(
    start_vendor_simulator: StartSimulator,
) -> None:
    """150 plants, two batches per device type: composed by phase, none refused.

    Batches are recomposed as phases are learnt, within Huawei's budget
    (ROUNDUP(150 / 100) calls per device type and per plant batch in five
    minutes, which the simulator enforces).
    """
    hours = 4
    day = await run_upload_day(
        plants=150,
        duration=timedelta(hours=hours),
        warm_up=timedelta(hours=2),
        start=start_vendor_simulator,
    )

    assert day.refused == 0
    # Four device types (the Dongles count too): 8 calls per window.
    assert day.calls["getDevRealKpi"] <= hours * 12 * 8
    assert day.calls["getStationRealKpi"] <= hours * 12 * 2
    assert day.overall.capture >= 95
    poller = day.poller
    assert [job.key for job in poller.jobs][:2] == [("plants", 0), ("plants", 1)]
    inverters = [
        ids for type_id, ids in poller._device_batches.values() if type_id == 38
    ]
    assert len(inverters) == 2
    assert inverters != batches(sorted(i for ids in inverters for i in ids))
    readies = {
        i: ready
        for ids in inverters
        for i in ids
        if (ready := poller._ready(("device", i))) is not None
    }
    assert len(readies) >= 100
    by_id = batches(sorted(readies))
    waits = [
        sum(batch_wait(batch, readies, REAL_TIME_PERIOD) for batch in composition)
        for composition in (inverters, by_id)
    ]
    # Read by phase, the learnt wait is well below that of batches by id.
    assert waits[0] < 0.75 * waits[1]
