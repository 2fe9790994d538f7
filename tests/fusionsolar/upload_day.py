"""A simulated day of real-time polling against a cloud that uploads on its own phases.

Shared by the tests and ``scripts/bench fusionsolar``: the client and the
pollers run against the simulator over real HTTP on 127.0.0.1, on a clock of
their own that jumps from one wake-up to the next (so a day takes seconds);
the simulator's values change only at each source's uploads
(``tests/simulator/fusionsolar/uploads.py``), and every reading is matched
with the upload it shows: how many uploads were seen, and how long after
they happened.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import json
import statistics

import aiohttp

from custom_components.solar_cloud.api.fusionsolar import FusionSolarClient
from custom_components.solar_cloud.api.fusionsolar.flow_control import CallBudget
from custom_components.solar_cloud.api.fusionsolar.polling import (
    REAL_TIME_PERIOD,
    AlarmPoller,
    async_load_inventory,
)
from custom_components.solar_cloud.api.fusionsolar.real_time_poller import (
    RealTimePoller,
)

from ..simulator.core import Clock, StartSimulator, start_simulator
from ..simulator.fusionsolar import FusionSolarSimulator, UploadSchedule, scaled_account

START = datetime(2026, 6, 21, 0, 0, tzinfo=UTC)
QUANTITIES = {38: "inverter", 39: "battery", 47: "power sensor"}


class ManualClock(Clock):
    """A clock that stands still until it is moved (shared by both sides)."""

    def __init__(self, start: datetime) -> None:
        """Start at ``start``."""
        super().__init__()
        self.current = start

    def now(self) -> datetime:
        """Return the simulated time."""
        return self.current

    async def sleep(self, seconds: float) -> None:
        """Move on ``seconds`` (the client's waits for its budget)."""
        self.current += timedelta(seconds=seconds)


class SendTimeBudget(CallBudget):
    """The budget as it was before answers were counted: at the send, 5 s margin."""

    def __init__(self) -> None:
        """Count every call when it is sent, with the old margin."""
        super().__init__(margin=timedelta(seconds=5))

    def settle(self, path: object, sent: datetime, at: datetime) -> datetime:
        """Keep the call at its send time."""
        return sent


@dataclass(kw_only=True)
class Quantity:
    """How the uploads of one kind of source reached the client."""

    uploads: int = 0
    seen: int = 0
    lags: list[float] = field(default_factory=list)

    @property
    def capture(self) -> float:
        """Return the share of uploads seen (%)."""
        return 100 * self.seen / self.uploads if self.uploads else 0.0

    def lag(self, fraction: float) -> float:
        """Return a percentile of the delay upload -> reading (s)."""
        if not self.lags:
            return float("nan")
        if fraction == 0.5:
            return statistics.median(self.lags)
        ordered = sorted(self.lags)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


@dataclass(kw_only=True)
class UploadDay:
    """What a simulated day of polling saw and cost."""

    quantities: dict[str, Quantity]
    calls: Counter[str]
    refused: int
    polls: dict[str, list[datetime]]
    """When each real-time batch (by its first plant or device) was read."""
    poller: RealTimePoller

    @property
    def overall(self) -> Quantity:
        """Return the figures of all quantities together."""
        total = Quantity()
        for quantity in self.quantities.values():
            total.uploads += quantity.uploads
            total.seen += quantity.seen
            total.lags += quantity.lags
        return total


async def run_upload_day(
    *,
    plants: int,
    duration: timedelta = timedelta(days=1),
    lock_to_uploads: bool = True,
    schedule: UploadSchedule | None = None,
    warm_up: timedelta = timedelta(hours=1),
    start: StartSimulator | None = None,
) -> UploadDay:
    """Poll ``plants`` plants for ``duration``; measure after ``warm_up``.

    ``lock_to_uploads`` False runs the scheduling of before (a period after
    each call, a budget that counts calls at their send with a 5 s margin).
    ``start`` serves the simulator (tests: ``start_vendor_simulator``, which
    also stops it); without it the simulator is served and stopped here.
    """
    clock = ManualClock(START)
    sim = FusionSolarSimulator([scaled_account("user", "pw", plants)])
    sim.clock = clock
    sim.uploads = schedule or UploadSchedule(seed=1)
    served = await (start or start_simulator)(sim)
    try:
        async with aiohttp.ClientSession(
            cookie_jar=aiohttp.DummyCookieJar()
        ) as session:
            client = FusionSolarClient(
                session,
                served.base_url,
                username="user",
                password="pw",
                clock=clock.now,
                sleep=clock.sleep,
                budget=CallBudget() if lock_to_uploads else SendTimeBudget(),
            )
            return await _poll_day(
                client,
                sim,
                clock,
                duration=duration,
                warm_up=warm_up,
                lock_to_uploads=lock_to_uploads,
            )
    finally:
        if start is None:
            await served.stop()


async def _poll_day(
    client: FusionSolarClient,
    sim: FusionSolarSimulator,
    clock: ManualClock,
    *,
    duration: timedelta,
    warm_up: timedelta,
    lock_to_uploads: bool,
) -> UploadDay:
    uploads = sim.uploads
    assert uploads is not None
    inventory = await async_load_inventory(client)
    codes = [plant.code for plant in inventory.plants]
    real_time = RealTimePoller(client, lock_to_uploads=lock_to_uploads)
    real_time.set_scope(codes, inventory.devices)
    alarms = AlarmPoller(client)
    alarms.set_scope(codes)
    kinds = {
        str(device.id): QUANTITIES[device.type_id]
        for device in inventory.devices
        if device.type_id in QUANTITIES
    }
    kinds |= dict.fromkeys(codes, "plant")
    end = START + duration
    seen: dict[tuple[str, int], float] = {}
    last: dict[str, datetime] = {}
    while clock.now() < end:
        await real_time.async_poll()
        await alarms.async_poll()
        readings = [(c, r.at) for c, r in real_time.plants.items()] + [
            (str(i), r.at) for i, r in real_time.devices.items()
        ]
        for key, at in readings:
            if last.get(key) == at:
                continue
            last[key] = at
            upload = uploads.latest(key, at)
            if upload is not None and (key, upload.cycle) not in seen:
                seen[key, upload.cycle] = (at - upload.at).total_seconds()
        wakes = [w for w in (real_time.next_wake(), alarms.next_wake()) if w]
        clock.current = max(clock.now(), min(wakes))
    quantities = {kind: Quantity() for kind in dict.fromkeys(kinds.values())}
    for key, kind in kinds.items():
        quantity = quantities[kind]
        # The last upload may come too late to be read before the end.
        for upload in uploads.between(key, START + warm_up, end - REAL_TIME_PERIOD):
            quantity.uploads += 1
            if (lag := seen.get((key, upload.cycle))) is not None:
                quantity.seen += 1
                quantity.lags.append(lag)
    return UploadDay(
        quantities=quantities,
        calls=sim.log.counts(),
        refused=sim.refused_calls(),
        polls=_polls(sim),
        poller=real_time,
    )


def _polls(sim: FusionSolarSimulator) -> dict[str, list[datetime]]:
    """Return when each real-time batch (by its first plant or device) was read."""
    polls: dict[str, list[datetime]] = {}
    for endpoint, field_name in (
        ("getStationRealKpi", "stationCodes"),
        ("getDevRealKpi", "devIds"),
    ):
        for request in sim.log.of(endpoint):
            if request.status == 200:
                batch = json.loads(request.body)[field_name].split(",")[0]
                polls.setdefault(batch, []).append(request.at)
    return polls
