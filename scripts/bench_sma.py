"""Benchmark SMA data freshness: upload -> coordinator lag, capture, calls.

The SMA simulator serves plants whose intervals appear some time after they
end (a seeded delay per plant, jitter, 2 % of the intervals two minutes late,
uploads in order; classic plants two hours late), over real HTTP on
127.0.0.1. Home Assistant's own ``DataUpdateCoordinator`` machinery runs the
integration's plant and device coordinators (one pair per plant, as setup
makes them) on a simulated clock: the event loop's clock, ``utcnow`` and the
simulator's clock are one virtual time that jumps to the next timer when
nothing else is left to run, and moves by a fixed latency per HTTP call.
Home Assistant schedules each refresh as it does (whole loop seconds plus
the coordinator's fraction, counted from the end of the previous refresh).

For each plant count (mixed: two ennexOS plants with 5-minute data to one
classic plant with 15-minute data, one inverter each with two measurement
sets) it runs 24 simulated hours twice: BEFORE (a fixed interval counted
from the last poll, as before phase locking) and AFTER (polls locked to each
plant's learnt upload phase), and prints per quantity

- capture: the share of the intervals due in the window (one per cadence:
  5 or 15 minutes for the plant balance, 15 minutes for device sets) that
  reached the coordinator's data;
- lag from the interval appearing at SMA to the coordinator having it
  (median, p95, max);
- calls per endpoint, refused (429) calls, the most calls in any five
  minutes (tokens included) and failed refreshes (connection errors).

Setup goes through the account's call plan (``sma/polling.py``
``CallPlan``) as Home Assistant's does (``sma.async_start_account``),
within SMA's limit: the plant list, each plant's devices as the budget
allows, the first polls in batches; more plants than the client's budget
serves are read every few intervals. Each run also prints setup's calls,
the most calls in any five minutes until every plant and device was
read, and when they were. ``--no-plan`` reads every plant's devices at once
(SMA's limit lifted for that read), polls every plant at its own cadence
and starts all at once, as before the plan.

    scripts/bench sma [--plants 1 10 150] [--hours 24] [--latency 0.3]
                      [--rate-limit CALLS_PER_5_MIN] [--seed N]
                      [--after-only] [--no-plan]
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
import logging
from pathlib import Path
import random
import statistics
import sys
import time
from types import SimpleNamespace
from typing import Any

from bench_clock import VirtualTime, drive

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

START = datetime(2026, 6, 21, 22, 7, 31, tzinfo=UTC)
"""Setup's moment: not on an interval end (before phase locking, a plant's
lag depends on where setup fell in its upload phase)."""
OWNER = "bench@example.com"
WARMUP = timedelta(hours=1)
"""Intervals ending in the first hour are not counted (learning, setup)."""


@dataclass
class Seen:
    """When each interval of one quantity first reached a coordinator."""

    cadence: timedelta
    first: dict[datetime, datetime] = field(default_factory=dict)


@dataclass
class Shown:
    """How setup went (the planned runs): calls, and when data was shown."""

    setup_calls: int = 0
    """Calls made until Home Assistant's setup returned."""
    setup_seconds: float = 0.0
    """Simulated seconds setup took."""
    busiest: int = 0
    """The most calls in any five minutes until everything was shown."""
    power: float | None = None
    """Seconds until every plant's balance (power, energy) was read."""
    everything: float | None = None
    """Seconds until every plant and every device was read."""


@dataclass
class Result:
    """One run's figures."""

    label: str
    plants: int
    capture: dict[str, float]
    lags: dict[str, list[float]]
    calls: Counter[str]
    refused: int
    seconds: float
    retries: int = 0
    busiest: int = 0
    """The most calls in any five minutes."""
    failed: int = 0
    """Refreshes that failed (a connection error, a refusal)."""
    stride: int = 1
    shown: Shown | None = None


def _plants(count: int, seed: int) -> list[Any]:
    from tests.simulator.sma import SimPlant, Upload, string_inverter  # noqa: PLC0415

    draws = random.Random(seed)
    plants = []
    for index in range(count):
        classic = index % 3 == 2
        plant_id = (
            f"{index:08x}-0000-4000-8000-{draws.getrandbits(48):012x}"
            if classic
            else str(8_000_000 + index)
        )
        base = draws.uniform(30, 240) + (7200 if classic else 0)
        plants.append(
            SimPlant(
                plant_id=plant_id,
                name=f"Bench {index}",
                timezone=draws.choice(
                    ["Europe/Berlin", "Europe/Lisbon", "America/New_York"]
                ),
                peak_power=8000.0,
                commissioned=date(2026, 6, 1),
                resolution=timedelta(minutes=15 if classic else 5),
                upload=Upload(
                    delay=timedelta(seconds=base),
                    jitter=timedelta(seconds=20),
                    late_share=0.02,
                    late_by=timedelta(minutes=2),
                    seed=seed * 1000 + index,
                ),
                devices=[string_inverter(index, ids_from=100_000)],
            )
        )
    return plants


async def _run(
    count: int,
    *,
    locked: bool,
    hours: float,
    latency: float,
    seed: int,
    rate_limit: float | None = None,
    planned: bool = True,
) -> Result:
    import aiohttp  # noqa: PLC0415
    from homeassistant.config_entries import ConfigEntryState  # noqa: PLC0415
    from homeassistant.const import CONF_CLIENT_ID, CONF_CLIENT_SECRET, CONF_URL  # noqa: PLC0415
    from homeassistant.core import callback  # noqa: PLC0415
    from homeassistant.helpers.dispatcher import async_dispatcher_connect  # noqa: PLC0415
    from homeassistant.util import dt as dt_util  # noqa: PLC0415
    from pytest_homeassistant_custom_component.common import (  # noqa: PLC0415
        MockConfigEntry,
        async_test_home_assistant,
    )

    from custom_components.solar_cloud.api.sma import (  # noqa: PLC0415
        SmaClient,
        SmaClientCredentials,
        SmaEndpoints,
        SmaEnvironment,
        client as client_module,
        token as token_module,
    )
    from custom_components.solar_cloud.const import CONF_VENDOR, DOMAIN, Vendor  # noqa: PLC0415
    from custom_components.solar_cloud.sma import (  # noqa: PLC0415
        async_start_account,
        coordinator as sma_coordinator,
    )
    from custom_components.solar_cloud.sma.const import (  # noqa: PLC0415
        CONF_ENVIRONMENT,
        CONF_FLOW,
        CONF_GRIDCONTROL_URL,
        CONF_LOGIN_HINT,
    )
    from custom_components.solar_cloud.sma.data import signal_devices_added  # noqa: PLC0415
    from custom_components.solar_cloud.sma.polling import CallPlan  # noqa: PLC0415
    from tests.simulator.core import start_simulator  # noqa: PLC0415
    from tests.simulator.sma import CUSTOM_CLIENT, SmaSimulator  # noqa: PLC0415

    # Home Assistant gives each coordinator a random fraction of a second to
    # refresh at: seeded, a run is repeatable.
    random.seed(seed)
    clock = VirtualTime(START)
    shim = SimpleNamespace(time=clock.time, monotonic=clock.monotonic)
    token_module.time = shim  # type: ignore[attr-defined]
    client_module.time = shim  # type: ignore[attr-defined]
    real_utcnow = dt_util.utcnow
    dt_util.utcnow = clock.now  # type: ignore[assignment]
    sma_coordinator.SmaMeasurementCoordinator.phase_locked = locked

    simulator = SmaSimulator()
    simulator.plants.clear()
    simulator.owners.clear()
    simulator.clock.now = clock.now  # type: ignore[method-assign]
    sim_plants = {plant.plant_id: plant for plant in _plants(count, seed)}
    for plant in sim_plants.values():
        simulator.add_plant(plant, owner=OWNER)
    simulator.grant_consent(OWNER)
    running = await start_simulator(simulator)

    seen: dict[tuple[str, str], Seen] = {}
    started = time.monotonic()
    loop = asyncio.get_running_loop()
    real_time = loop.time
    loop.time = clock.monotonic  # type: ignore[method-assign]
    try:
        async with async_test_home_assistant() as hass:

            async def on_request_end(*_: Any) -> None:
                clock.elapsed += latency

            trace = aiohttp.TraceConfig()
            trace.on_request_end.append(on_request_end)
            session = aiohttp.ClientSession(trace_configs=[trace])
            endpoints = SmaEndpoints.for_environment(
                SmaEnvironment.CUSTOM, url=f"{running.base_url}/"
            )
            tokens = SmaClientCredentials(session, endpoints, *CUSTOM_CLIENT)
            client = SmaClient(session, endpoints, tokens)
            entry = MockConfigEntry(
                domain=DOMAIN,
                title=OWNER,
                data={
                    CONF_VENDOR: Vendor.SMA,
                    CONF_FLOW: "custom",
                    CONF_ENVIRONMENT: "custom",
                    CONF_URL: running.base_url,
                    CONF_GRIDCONTROL_URL: None,
                    CONF_CLIENT_ID: CUSTOM_CLIENT[0],
                    CONF_CLIENT_SECRET: CUSTOM_CLIENT[1],
                    CONF_LOGIN_HINT: OWNER,
                },
            )
            entry.add_to_hass(hass)
            if rate_limit:
                simulator.rate_limit = rate_limit
            plan = CallPlan() if planned else None
            failed: list[Any] = []
            shown = Shown()
            if plan is None:
                # As before the plan: the plant list with every device at
                # once (SMA's limit lifted for it), then every coordinator
                # at once and each on its own.
                limit = simulator.rate_limit
                simulator.rate_limit = 1e9
                coordinators = await _coordinators(hass, entry, client)
                simulator.buckets.clear()
                simulator.rate_limit = limit
                simulator.log.clear()
                for coordinator in coordinators:
                    _listen(coordinator, seen, clock, sma_coordinator, failed)
                await asyncio.gather(*(c.async_refresh() for c in coordinators))
            else:
                # As setup does, within SMA's limit: the plant list, the
                # devices as the budget allows, the first polls in batches.
                entry.mock_state(hass, ConfigEntryState.SETUP_IN_PROGRESS)
                data = await async_start_account(hass, entry, client, tokens, plan)
                entry.mock_state(hass, ConfigEntryState.LOADED)
                shown.setup_calls = len(simulator.log.requests)
                shown.setup_seconds = clock.elapsed
                coordinators = data.coordinators[1:]
                for coordinator in coordinators:
                    _listen(coordinator, seen, clock, sma_coordinator, failed)
                async_dispatcher_connect(
                    hass,
                    signal_devices_added(entry),
                    callback(
                        lambda c: _listen(c, seen, clock, sma_coordinator, failed)
                    ),
                )
                await _watch_setup(hass, clock, data, shown, hours)
                shown.busiest = _busiest(simulator.log.requests)
                coordinators = data.coordinators[1:]
            await drive(hass, clock, hours * 3600)
            for coordinator in coordinators:
                await coordinator.async_shutdown()
            # Polls that looked again for an interval not there yet.
            retries = sum(c.schedule.retries for c in coordinators) if locked else 0
            await session.close()
            capture, lags = _figures(seen, sim_plants, clock, hours)
            calls = simulator.log.counts()
            refused = simulator.log.count(status=429)
            busiest = _busiest(simulator.log.requests)
            await hass.async_stop(force=True)
    finally:
        loop.time = real_time  # type: ignore[method-assign]
        dt_util.utcnow = real_utcnow
        await running.stop()
    return Result(
        label="AFTER" if locked else "BEFORE",
        plants=count,
        capture=capture,
        lags=lags,
        calls=calls,
        refused=refused,
        seconds=time.monotonic() - started,
        retries=retries,
        busiest=busiest,
        failed=len(failed),
        stride=plan.stride if plan is not None else 1,
        shown=shown if plan is not None else None,
    )


def _busiest(requests: list[Any]) -> int:
    """Return the most requests in any five minutes."""
    times = sorted(request.at for request in requests)
    most, first = 0, 0
    for last, moment in enumerate(times):
        while times[first] <= moment - timedelta(minutes=5):
            first += 1
        most = max(most, last - first + 1)
    return most


async def _watch_setup(
    hass: Any, clock: VirtualTime, data: Any, shown: Shown, hours: float
) -> None:
    """Run the clock until every plant and device was read (or ``hours`` pass).

    Read, not showing an interval: a classic plant's day has none for two
    hours after midnight.
    """
    start = clock.elapsed
    while clock.elapsed < hours * 3600:
        inventory = data.inventory.data
        if shown.power is None and all(_polled(c.energy) for c in data.plants.values()):
            shown.power = clock.elapsed - start
        if not inventory.unread and all(
            _polled(c.energy)
            and (not inventory.plants[key].shown_devices or _polled(c.devices))
            for key, c in data.plants.items()
        ):
            shown.everything = clock.elapsed - start
            return
        await drive(hass, clock, clock.elapsed + 60)


def _polled(coordinator: Any) -> bool:
    return coordinator is not None and coordinator.last_update_success_time is not None


async def _coordinators(hass: Any, entry: Any, client: Any) -> list[Any]:
    """Return each plant's balance and device coordinators, as before the plan."""
    from custom_components.solar_cloud.sma import (  # noqa: PLC0415
        coordinator as sma_coordinator,
        plants as sma_plants,
    )

    coordinators: list[Any] = []
    for plant in await client.plants():
        devices = []
        for device in await client.devices(plant.plant_id):
            sets = await client.measurement_sets(device.device_id)
            devices.append(
                sma_plants.SmaDevice(
                    key=f"{plant.plant_id}_{device.device_id}",
                    details=device,
                    sets=sets,
                )
            )
        sma_plant = sma_plants.SmaPlant(
            key=plant.plant_id, details=plant, devices=tuple(devices)
        )
        # The devices follow the balance's phase.
        energy = sma_coordinator.SmaPlantCoordinator(hass, entry, client, sma_plant)
        coordinators.append(energy)
        coordinators.append(
            sma_coordinator.SmaDeviceCoordinator(
                hass, entry, client, sma_plant, phase=energy.schedule
            )
        )
    return coordinators


def _listen(
    coordinator: Any,
    seen: dict[tuple[str, str], Seen],
    clock: VirtualTime,
    mod: Any,
    failed: list[Any],
) -> None:
    plant_id = coordinator.plant.key

    def failure() -> None:
        if not coordinator.last_update_success:
            failed.append(coordinator.last_exception)

    coordinator.async_add_listener(failure)

    def record(quantity: str, cadence: timedelta, moment: datetime) -> None:
        series = seen.setdefault((plant_id, quantity), Seen(cadence))
        series.first.setdefault(moment, clock.now())

    if isinstance(coordinator, mod.SmaPlantCoordinator):

        def plant_update() -> None:
            data = coordinator.data
            if data is not None and data.latest is not None:
                record("plant balance", coordinator.cadence, data.latest.time)

        coordinator.async_add_listener(plant_update)
        return

    def device_update() -> None:
        for sets in (coordinator.data or {}).values():
            for set_type, point in sets.items():
                record(f"device {set_type}", coordinator.cadence, point.time)

    coordinator.async_add_listener(device_update)


def _figures(
    seen: dict[tuple[str, str], Seen],
    plants: dict[str, Any],
    clock: VirtualTime,
    hours: float,
) -> tuple[dict[str, float], dict[str, list[float]]]:
    """Return capture (%) and lags (s) per quantity.

    The window is cut into the coordinator's cadence (5 or 15 minutes,
    whole quarter hours): a slot counts as captured when an interval ending
    in it reached the coordinator; its lag runs from the slot's last
    interval appearing at SMA to the coordinator holding it or a newer one.
    """
    del clock
    captured: Counter[str] = Counter()
    due: Counter[str] = Counter()
    lags: dict[str, list[float]] = defaultdict(list)
    window_start = START + WARMUP
    end = START + timedelta(hours=hours)
    for (plant_id, quantity), series in seen.items():
        plant = plants[plant_id]
        kind = "classic" if plant.resolution > timedelta(minutes=5) else "ennexOS"
        name = f"{quantity} ({kind})"
        cadence, step = series.cadence, plant.resolution
        held = sorted(series.first.items())
        moment = window_start.replace(minute=0, second=0) + cadence
        while moment <= end:
            visible = plant.visible_at(moment)
            if window_start <= visible <= end - cadence:
                due[name] += 1
                ends = {moment - step * back for back in range(int(cadence / step))}
                if ends & series.first.keys():
                    captured[name] += 1
                firsts = [first for interval, first in held if interval >= moment]
                if firsts:
                    lags[name].append((min(firsts) - visible).total_seconds())
            moment += cadence
    capture = {name: 100 * captured[name] / due[name] for name in due if due[name]}
    return capture, dict(lags)


def _line(result: Result) -> list[str]:
    lines = []
    for name in sorted(result.capture):
        lags = sorted(result.lags.get(name, [0.0]))
        lines.append(
            f"  {result.label:6} {result.plants:>4} plants  {name:34} "
            f"capture {result.capture[name]:6.2f} %  lag median "
            f"{statistics.median(lags):6.0f} s  p95 "
            f"{lags[min(len(lags) - 1, int(0.95 * len(lags)))]:6.0f} s  "
            f"max {lags[-1]:6.0f} s"
        )
    calls = ", ".join(f"{k} {v}" for k, v in sorted(result.calls.items()))
    lines.append(
        f"  {result.label:6} {result.plants:>4} plants  calls: {calls}; "
        f"refused (429): {result.refused}; most in 5 min: {result.busiest}; "
        f"failed refreshes: {result.failed}; read every {result.stride} "
        f"interval(s); second looks: {result.retries}; ran {result.seconds:.0f} s"
    )
    if (shown := result.shown) is not None:

        def minutes(seconds: float | None) -> str:
            return "never" if seconds is None else f"{seconds / 60:.1f} min"

        lines.append(
            f"  {result.label:6} {result.plants:>4} plants  setup: "
            f"{shown.setup_calls} calls in {shown.setup_seconds:.0f} s; most in "
            f"5 min until all shown: {shown.busiest}; every plant's balance read after "
            f"{minutes(shown.power)}, every plant and device read after "
            f"{minutes(shown.everything)}"
        )
    return lines


async def _main(args: argparse.Namespace) -> None:
    for count in args.plants:
        for locked in (True,) if args.after_only else (False, True):
            result = await _run(
                count,
                locked=locked,
                hours=args.hours,
                latency=args.latency,
                seed=args.seed,
                rate_limit=args.rate_limit,
                planned=not args.no_plan,
            )
            print("\n".join(_line(result)), flush=True)


def main() -> None:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plants", type=int, nargs="+", default=[1, 10, 150])
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument(
        "--latency", type=float, default=0.3, help="simulated seconds per HTTP call"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--rate-limit",
        type=float,
        default=None,
        help="calls per 5 minutes per client (default: the simulator's, 100)",
    )
    parser.add_argument(
        "--after-only", action="store_true", help="skip the fixed-interval run"
    )
    parser.add_argument(
        "--no-plan",
        action="store_true",
        help="no call plan: every plant at its own cadence, all started at once",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(_main(args))


if __name__ == "__main__":
    main()
