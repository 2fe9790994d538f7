"""A simulated day of polling: no call refused, no data older than ten minutes.

The client, its budget and the pollers run against the simulator (which
enforces Huawei's documented flow control on its own) over real HTTP; the
clock, shared by both sides, jumps from one wake-up to the next.
``test_day_in_home_assistant`` (test_setup.py) runs the same through the full
Home Assistant stack.
"""

from __future__ import annotations

from datetime import timedelta
import logging

import aiohttp
import pytest

from custom_components.solar_cloud.api.fusionsolar import FusionSolarClient

from ..simulator.core import StartSimulator
from ..simulator.fusionsolar import FusionSolarSimulator, scaled_account
from .budget_day import run_day
from .upload_day import START, ManualClock

_LOGGER = logging.getLogger(__name__)
pytestmark = pytest.mark.usefixtures("loop_debug_off")


@pytest.mark.parametrize(
    ("plants", "real_time_calls_per_cycle"), [(1, 4), (10, 4), (150, 8)]
)
async def test_a_day_without_refused_calls(
    start_vendor_simulator: StartSimulator,
    session: aiohttp.ClientSession,
    plants: int,
    real_time_calls_per_cycle: int,
) -> None:
    """Every plant and device refreshed about every five minutes, none refused."""
    clock = ManualClock(START)
    sim = FusionSolarSimulator([scaled_account("user", "pw", plants)])
    sim.clock = clock
    cloud = await start_vendor_simulator(sim)
    client = FusionSolarClient(
        session,
        cloud.base_url,
        username="user",
        password="pw",
        clock=clock.now,
        sleep=clock.sleep,
    )
    report = await run_day(client, sim, clock)
    _LOGGER.warning("%d plants: %s", plants, report)

    assert report.refused == 0
    assert report.max_plant_age <= timedelta(minutes=10)
    assert report.max_device_age <= timedelta(minutes=10)
    assert report.devices == plants * 3  # the Dongles have no real-time data
    # About one refresh per five minutes, every batch, all day.
    cycles = report.calls["getStationRealKpi"] + report.calls["getDevRealKpi"]
    assert cycles >= 280 * real_time_calls_per_cycle
    assert report.calls["login"] <= 2
    assert report.calls["getAlarmList"] >= 48 * max(1, plants // 100)
