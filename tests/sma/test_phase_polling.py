"""Polls locked to a plant's upload phase, against the simulator over HTTP.

The ennexOS plant "Site 1" shows each 5-minute interval about 95 s after it
ends (seeded jitter, now and then one two minutes late, in order); Home
Assistant's clock moves in 5-second steps.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.solar_cloud.sma.coordinator import (
    SmaDeviceCoordinator,
    SmaPlantCoordinator,
)

from ..common import async_advance
from ..simulator.sma import DEMO_OWNER, SmaSimulator, Upload
from .const import FIVE

SITE = "7190000"
STEP = timedelta(seconds=5)
UPLOAD = Upload(
    delay=timedelta(seconds=95),
    jitter=timedelta(seconds=10),
    late_share=0.05,
    late_by=timedelta(minutes=2),
    seed=3,
)


def _interval_ends(start: datetime, end: datetime, step: timedelta) -> list[datetime]:
    first = start - (start - datetime(2026, 1, 1, tzinfo=UTC)) % step + step
    ends = []
    while first < end:
        ends.append(first)
        first += step
    return ends


def test_intervals_appear_after_their_upload_in_order() -> None:
    """The simulator shows an interval only once uploaded, never before the last."""
    sim = SmaSimulator()
    plant = sim.plants["13"]
    plant.upload = UPLOAD
    plant.resolution = FIVE
    start = datetime(2026, 6, 21, 10, tzinfo=UTC)
    ends = _interval_ends(start, start + timedelta(days=1), FIVE)
    visible = [plant.visible_at(end) for end in ends]
    assert visible == sorted(visible)
    delays = [
        (seen - end).total_seconds() for end, seen in zip(ends, visible, strict=True)
    ]
    assert min(delays) >= 95
    assert sum(delay > 95 + 10 for delay in delays) >= 0.03 * len(ends)
    assert max(delays) <= 95 + 10 + 120
    # What the answers hold follows: the newest interval visible at a moment.
    for end, seen in zip(ends[:50], visible[:50], strict=True):
        sim.clock.offset = seen - datetime.now(UTC)
        assert plant.available_until(sim.clock) >= end
        sim.clock.offset -= timedelta(seconds=1)
        assert plant.available_until(sim.clock) < end
    sim.clock.offset = timedelta()


@pytest.mark.freeze_time("2026-06-21T10:02:13+00:00")
@pytest.mark.parametrize("owner", [DEMO_OWNER])
async def test_polls_follow_the_upload_phase(
    hass: HomeAssistant,
    custom_entry: MockConfigEntry,
    sim: SmaSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Each interval is read within seconds of appearing, about once each, no 429."""
    sim.plants[SITE].upload = UPLOAD
    assert await hass.config_entries.async_setup(custom_entry.entry_id)
    start = datetime.now(UTC)
    coordinators = custom_entry.runtime_data.plants[SITE]
    assert isinstance(coordinators.energy, SmaPlantCoordinator)
    assert isinstance(coordinators.devices, SmaDeviceCoordinator)
    sim.log.clear()

    await async_advance(hass, freezer, timedelta(hours=4), step=STEP)

    assert sim.log.count(status=429) == 0
    plant = sim.plants[SITE]
    days = [
        request.at
        for request in sim.log.of("energy_balance")
        if request.path.endswith(f"/plants/{SITE}/measurements/sets/EnergyBalance/Day")
    ]
    # About one poll per interval: 48 intervals, a few looks again.
    # About one poll per interval: 48 intervals; looks again while learning
    # (the first hour) and up to three for each late one (1 in 20 here).
    assert 48 <= len(days) <= 48 * 1.35
    # From the second hour on, every interval is read within 30 s of appearing
    # (the clock's 5-second steps included), a late one within 90 s (looked
    # for again after 20, 40, 80 s).
    on_phase, late = [], []
    for end in _interval_ends(start + timedelta(hours=1), days[-1], FIVE):
        appeared = plant.visible_at(end)
        read = min(moment for moment in days if moment >= appeared)
        lag = (read - appeared).total_seconds()
        (late if appeared - end > timedelta(seconds=105) else on_phase).append(lag)
    assert late
    assert max(on_phase) <= 30
    assert sorted(on_phase)[len(on_phase) // 2] <= 20
    assert max(late) <= 90
    # Never faster than the simulator's step allows and no burst of looks.
    assert min(later - earlier for earlier, later in pairwise(days)) >= STEP
    schedule = coordinators.energy.schedule
    assert schedule.settled
    assert schedule.delay is not None
    assert 95 <= schedule.delay <= 95 + 10 + 20
    # The devices follow the plant's phase, on the quarter hours.
    devices = [
        request.at
        for request in sim.log.of("device_measurements")
        if "/devices/11260000/measurements/sets/PowerAc/" in request.path
    ]
    quarter = timedelta(minutes=15)
    for end in _interval_ends(start + timedelta(hours=1), devices[-1], quarter):
        appeared = plant.visible_at(end)
        read = min(moment for moment in devices if moment >= appeared)
        bound = 60 if appeared - end <= timedelta(seconds=105) else 150
        assert (read - appeared).total_seconds() <= bound, end
    # 16 quarter hours; looks again while learning and for the late ones.
    assert len(devices) <= 16 + 6
