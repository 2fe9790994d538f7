"""Drive an account's pollers through a simulated day, as the coordinators do.

Shared by the budget tests: the client and pollers run against the simulator
over real HTTP, on a clock of their own (``upload_day.ManualClock``, shared by
both sides) that jumps from one wake-up to the next.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from custom_components.solar_cloud.api.fusionsolar import FusionSolarClient
from custom_components.solar_cloud.api.fusionsolar.const import REAL_TIME_TYPES
from custom_components.solar_cloud.api.fusionsolar.polling import (
    AlarmPoller,
    async_load_inventory,
)
from custom_components.solar_cloud.api.fusionsolar.real_time_poller import (
    RealTimePoller,
)

from ..const import DAY
from ..simulator.fusionsolar import FusionSolarSimulator
from .upload_day import ManualClock


@dataclass(frozen=True, kw_only=True)
class DayReport:
    """What a simulated day cost and how fresh the data stayed."""

    calls: Counter[str]
    refused: int
    max_plant_age: timedelta
    max_device_age: timedelta
    plants: int
    devices: int


async def run_day(
    client: FusionSolarClient,
    sim: FusionSolarSimulator,
    clock: ManualClock,
    *,
    duration: timedelta = DAY,
) -> DayReport:
    """Poll for ``duration`` and report calls per interface and the worst data age.

    The age of every plant's and device's data is taken at every wake-up,
    before polling: the moment it is oldest.
    """
    real_time = RealTimePoller(client)
    alarms = AlarmPoller(client)
    start = client.now()
    end = start + duration
    next_inventory = start
    max_plant_age = max_device_age = timedelta()
    codes: list[str] = []
    device_ids: list[int] = []
    sim.log.clear()
    while True:
        now = client.now()
        if now >= next_inventory:
            inventory = await async_load_inventory(client)
            codes = [plant.code for plant in inventory.plants]
            device_ids = [
                device.id
                for device in inventory.devices
                if device.type_id in REAL_TIME_TYPES
            ]
            real_time.set_scope(codes, inventory.devices)
            alarms.set_scope(codes)
            next_inventory = now + DAY
        # Data not there yet is as old as the time since polling started.
        for code in codes:
            reading = real_time.plants.get(code)
            max_plant_age = max(max_plant_age, now - (reading.at if reading else start))
        for device in device_ids:
            reading = real_time.devices.get(device)
            max_device_age = max(
                max_device_age, now - (reading.at if reading else start)
            )
        await real_time.async_poll()
        await alarms.async_poll()
        wakes = [real_time.next_wake(), alarms.next_wake(), next_inventory]
        wake = min(w for w in wakes if w is not None)
        if wake > end:
            break
        clock.current = wake
    assert set(real_time.plants) == set(codes), "a plant got no data"
    assert set(real_time.devices) == set(device_ids), "a device got no data"
    return DayReport(
        calls=sim.log.counts(),
        refused=sim.refused_calls(),
        max_plant_age=max_plant_age,
        max_device_age=max_device_age,
        plants=len(codes),
        devices=len(device_ids),
    )
