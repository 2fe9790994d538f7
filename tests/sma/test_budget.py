"""SMA's call budget: a simulated day of two accounts on one client.

SMA limits each client with a token bucket over five minutes and bills per
plant; the integration asks each plant no more often than it has new data.
The clock moves in 5-minute steps half a minute after the intervals end:
the simulator's plants show each interval at once, so each poll, locked to
that phase, comes at the step after the interval ended.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from itertools import pairwise
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.solar_cloud.api.appearance import RELEARN, RELEARN_FIRST

from ..common import async_advance
from ..const import DAY
from ..simulator.sma import CLASSIC_PLANT, DEMO_OWNER, MIGRATING_PLANT, SmaSimulator

_LOGGER = logging.getLogger(__name__)
pytestmark = pytest.mark.usefixtures("loop_debug_off")


def _probes(cadence: timedelta) -> int:
    """Return how many probes for an earlier phase a day of hits may bring."""
    hits, every, probes = DAY / cadence, RELEARN_FIRST, 0
    while hits > 0:
        hits, every, probes = hits - every, min(2 * every, RELEARN), probes + 1
    return probes


@pytest.mark.freeze_time("2026-06-21T22:00:30+00:00")
async def test_a_day_within_the_budget(
    hass: HomeAssistant,
    custom_entry: MockConfigEntry,
    demo_owner_entry: MockConfigEntry,
    sim: SmaSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Sandbox owner (4 plants, 11 devices) and demo owner (3 plants): no 429."""
    assert await hass.config_entries.async_setup(custom_entry.entry_id)
    # A second owner consents to the same client: the client's token now reads
    # both owners' plants; each plant shows in one account.
    sim.grant_consent(DEMO_OWNER)
    second = demo_owner_entry
    second.add_to_hass(hass)
    assert await hass.config_entries.async_setup(second.entry_id)
    await hass.async_block_till_done()
    assert set(custom_entry.runtime_data.plants) == {"13", "24", "35", "46"}
    assert set(second.runtime_data.plants) == {
        "7190000",
        CLASSIC_PLANT,
        MIGRATING_PLANT,
    }
    sim.log.clear()

    await async_advance(hass, freezer, DAY, step=timedelta(minutes=5))

    assert custom_entry.state is second.state is ConfigEntryState.LOADED
    assert set(custom_entry.runtime_data.plants) == {"13", "24", "35", "46"}
    assert sim.log.count(status=429) == 0
    assert sim.log.count(status=401) == 0
    counts = sim.log.counts()
    per_plant = Counter(
        (r.path.split("/")[4], r.path.rsplit("/", 1)[1])
        for r in sim.log.of("energy_balance")
    )
    _LOGGER.info("SMA calls in a day: %s", dict(sorted(counts.items())))
    _LOGGER.info(
        "EnergyBalance per plant and period: %s", dict(sorted(per_plant.items()))
    )

    # ennexOS with 5-minute data: once per interval (the one ending at
    # midnight is only in yesterday's answer, so it is not waited for); the
    # lifetime base (read at setup) at the plant's midnight and twelve hours after
    # (the calls the second looks take).
    assert 286 <= per_plant["7190000", "Day"] <= 288
    assert 1 <= per_plant["7190000", "Total"] <= 3
    # Classic plants and the sandbox's 15-minute plants: every 15 minutes.
    for plant in (CLASSIC_PLANT, "13", "24", "35", "46"):
        assert 95 <= per_plant[plant, "Day"] <= 99, plant
        # Classic plants also hourly while yesterday's late data comes in.
        assert 1 <= per_plant[plant, "Total"] <= 5, plant
    # Never more often than new data can exist.
    for plant, cadence in (("7190000", 5), (CLASSIC_PLANT, 15), ("13", 15)):
        times = [
            r.at
            for r in sim.log.of("energy_balance")
            if r.path.endswith(f"/plants/{plant}/measurements/sets/EnergyBalance/Day")
        ]
        gaps = [later - earlier for earlier, later in pairwise(times)]
        # Polls come on the plant's phase: a cadence apart, no drift. Only
        # while learning the phase (the first hours) does a poll come early,
        # miss the interval and look again; only the interval closing the
        # plant's day (in yesterday's answer) is not waited for.
        cadence_gap = timedelta(minutes=cadence)
        settled = [
            gap
            for gap, later in zip(gaps, times[1:], strict=True)
            if later - times[0] > timedelta(hours=4)
        ]
        # The exceptions are the schedule's own probes for an earlier phase
        # (after RELEARN_FIRST hits in a row, then twice as many each time up
        # to RELEARN: a poll early, then back on the phase).
        probes = _probes(cadence_gap)
        second = timedelta(seconds=1)
        assert sum(gap < cadence_gap - second for gap in settled) <= 2 * probes, plant
        assert sum(gap > cadence_gap + second for gap in settled) <= 1 + probes, plant
    # Plants, devices and eligibility hourly; measurement-set lists never again.
    assert counts["plants"] == 48
    assert counts["eligibility"] == 48
    assert counts["device_sets"] == 0
    # A token per 5 minutes and account at most (they live 300 s).
    assert counts["oauth_token"] <= 2 * 288
