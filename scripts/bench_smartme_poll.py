"""Benchmark smart-me polling freshness: meter upload -> HA state, capture, calls.

The smart-me simulator serves meters that upload once a minute (or every 5
or 15 minutes: ``--periods``; ``1+5`` mixes them, meter by meter), each at a
moment of its own (a seeded delay into its period, up to 8 s of jitter, 2 %
of the uploads 25 s late), over real HTTP on 127.0.0.1; ``GET /Devices``
shows each meter's values as of its last upload, stamped with its
``ValueDate``. Home Assistant's own ``DataUpdateCoordinator`` machinery runs
the integration's account coordinator with pushes off (as when the realtime
webhook is off or silent), polling every 60 s, on a simulated clock: the
event loop's clock, ``utcnow`` and the simulator's clock are one virtual
time that jumps to the next timer when nothing else is left to run, and
moves by a fixed latency per HTTP call. Home Assistant schedules each refresh
as it does (whole loop seconds plus the coordinator's fraction, counted from
the end of the previous refresh); the fraction, random in Home Assistant, is
drawn from the seed, so that a run repeats exactly.

For each meter count and set of periods it runs 24 simulated hours three
times per seed: INTERVAL (a poll every interval counted from the end of the
last, as before the lock), LOCKED (polls shortly after the meters' learnt
upload moment, on the clock, one every interval, as before the meters'
periods were learnt) and AFTER (the same, leaving out the polls no meter's
upload can have come by), and prints per run

- capture: the share of the uploads made in the window (after the first
  hour) whose values reached a device coordinator (became HA state);
- lag from the upload to the device coordinator holding it (median, p95);
- calls of ``GET /Devices``.

    scripts/bench smartme_poll [--meters 1 10] [--periods 1 5 15 1+5]
                               [--hours 24] [--seeds 1 2 3]
                               [--latency 0.3] [--interval 60]
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import logging
from pathlib import Path
import random
import statistics
import sys
import time
from typing import Any

from bench_clock import VirtualTime, drive

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

START = datetime(2026, 6, 21, 22, 7, 31, 400000, tzinfo=UTC)
"""Setup's moment: not on a minute (before the lock, the lag depends on it)."""
WARMUP = timedelta(hours=1)
"""Uploads in the first hour are not counted (learning, setup)."""


POLICIES = ("INTERVAL", "LOCKED", "AFTER")
"""Every interval from the last poll; locked to the uploads; and leaving
out the polls that cannot show news."""


@dataclass
class Result:
    """One run's figures."""

    label: str
    meters: int
    periods: str
    seed: int
    capture: float
    lags: list[float]
    calls: int
    seconds: float

    def lag(self, share: float) -> float:
        """Return the lag at a share of the sorted lags (s)."""
        lags = sorted(self.lags) or [float("nan")]
        return lags[min(len(lags) - 1, int(share * len(lags)))]


def _meters(count: int, seed: int, periods: str) -> list[Any]:
    """Return ``count`` meters; meter i uploads every ``periods``' i-th minutes.

    ``periods``: minutes, ``+``-separated (``1+5``: every other meter every
    5 minutes). Each meter's delay is seeded, spread over its period.
    """
    from tests.simulator.smartme import bench_devices  # noqa: PLC0415
    from tests.simulator.upload import Upload  # noqa: PLC0415

    minutes = [int(part) for part in periods.split("+")]
    draws = random.Random(seed)
    meters = bench_devices(count)
    for index, meter in enumerate(meters):
        period = minutes[index % len(minutes)]
        meter.upload_interval = timedelta(minutes=period)
        meter.upload = Upload(
            delay=timedelta(seconds=draws.uniform(0, 60) * period),
            jitter=timedelta(seconds=8),
            late_share=0.02,
            late_by=timedelta(seconds=25),
            seed=seed * 1000 + index,
        )
    return meters


async def _run(
    count: int,
    *,
    policy: str,
    periods: str,
    hours: float,
    latency: float,
    seed: int,
    interval: float,
) -> Result:
    import aiohttp  # noqa: PLC0415
    from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_WEBHOOK_ID  # noqa: PLC0415
    from homeassistant.util import dt as dt_util  # noqa: PLC0415
    from pytest_homeassistant_custom_component.common import (  # noqa: PLC0415
        MockConfigEntry,
        async_test_home_assistant,
    )

    from custom_components.solar_cloud.api.smartme import ApiKeyAuth, SmartMeClient  # noqa: PLC0415
    from custom_components.solar_cloud.const import CONF_VENDOR, DOMAIN, Vendor  # noqa: PLC0415
    from custom_components.solar_cloud.smartme.calibration import SmartMePushCalibration  # noqa: PLC0415
    from custom_components.solar_cloud.smartme.const import (  # noqa: PLC0415
        CONF_AUTH_TYPE,
        CONF_REALTIME,
        CONF_SCAN_INTERVAL,
        SmartMeAuthType,
    )
    from custom_components.solar_cloud.smartme.coordinator import (  # noqa: PLC0415
        SmartMeAccountCoordinator,
    )
    from tests.simulator.core import start_simulator  # noqa: PLC0415
    from tests.simulator.smartme import SmartMeSimulator  # noqa: PLC0415

    # Home Assistant gives each coordinator a random fraction of a second to
    # refresh at (DataUpdateCoordinator draws it from the random module):
    # seeded, a run is repeatable. It matters: with 10 meters every 15
    # minutes the lags fall into two groups, and the fraction decides on
    # which side of the gap between them the median falls.
    random.seed(seed)
    clock = VirtualTime(START)
    real_utcnow = dt_util.utcnow
    dt_util.utcnow = clock.now  # type: ignore[assignment]
    SmartMeAccountCoordinator.phase_locked = policy != "INTERVAL"
    SmartMeAccountCoordinator.learn_periods = policy == "AFTER"

    meters = _meters(count, seed, periods)
    simulator = SmartMeSimulator(devices=meters)
    simulator.clock.now = clock.now  # type: ignore[method-assign]
    running = await start_simulator(simulator)
    first_seen: dict[tuple[str, datetime], datetime] = {}
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
            client = SmartMeClient(
                session, ApiKeyAuth("key-123"), base_url=running.base_url
            )
            entry = MockConfigEntry(
                domain=DOMAIN,
                title="bench@example.com",
                unique_id="12345",
                data={
                    CONF_VENDOR: Vendor.SMARTME,
                    CONF_URL: running.base_url,
                    CONF_AUTH_TYPE: SmartMeAuthType.API_KEY,
                    CONF_API_KEY: "key-123",
                    CONF_WEBHOOK_ID: "bench",
                },
                options={CONF_REALTIME: False, CONF_SCAN_INTERVAL: interval},
            )
            entry.add_to_hass(hass)
            calibration = SmartMePushCalibration(hass, entry.entry_id)
            account = SmartMeAccountCoordinator(
                hass,
                entry,
                client,
                poll_interval=timedelta(seconds=interval),
                calibration=calibration,
            )
            await account.async_refresh()
            for device_id, coordinator in account.device_coordinators.items():
                _listen(device_id, coordinator, first_seen, clock)
            # The account coordinator schedules itself while it has listeners.
            unlisten = account.async_add_listener(lambda: None)
            simulator.log.clear()
            await drive(hass, clock, hours * 3600)
            unlisten()
            await account.async_shutdown()
            await session.close()
            calls = simulator.log.count("devices")
            await hass.async_stop(force=True)
    finally:
        loop.time = real_time  # type: ignore[method-assign]
        dt_util.utcnow = real_utcnow
        await running.stop()
    capture, lags = _figures(meters, first_seen, hours)
    return Result(
        label=policy,
        meters=count,
        periods=periods,
        seed=seed,
        capture=capture,
        lags=lags,
        calls=calls,
        seconds=time.monotonic() - started,
    )


def _listen(
    device_id: str,
    coordinator: Any,
    first_seen: dict[tuple[str, datetime], datetime],
    clock: VirtualTime,
) -> None:
    def update() -> None:
        if (stamp := coordinator.data.timestamp) is not None:
            first_seen.setdefault((device_id, stamp), clock.now())

    update()
    coordinator.async_add_listener(update)


def _figures(
    meters: list[Any],
    first_seen: dict[tuple[str, datetime], datetime],
    hours: float,
) -> tuple[float, list[float]]:
    """Return capture (%) and lags (s) of the uploads after the warm-up.

    The window ends two minutes before the run: an upload in the last
    minutes may not have been polled yet by either policy.
    """
    window_start = START + WARMUP
    window_end = START + timedelta(hours=hours) - timedelta(minutes=2)
    made = seen = 0
    lags: list[float] = []
    for meter in meters:
        for upload in meter.uploads(window_start, window_end):
            made += 1
            if (first := first_seen.get((meter.id, upload))) is not None:
                seen += 1
                lags.append((first - upload).total_seconds())
    return (100 * seen / made if made else float("nan")), lags


def _line(result: Result) -> str:
    return (
        f"  {result.label:8} {result.meters:>3} meters  {result.periods:>4} min"
        f"  seed {result.seed}  "
        f"capture {result.capture:6.2f} %  lag median {result.lag(0.5):5.1f} s  "
        f"p95 {result.lag(0.95):5.1f} s  max {max(result.lags, default=0):5.1f} s  "
        f"GET /Devices {result.calls:5d}  (ran {result.seconds:.0f} s)"
    )


async def _main(args: argparse.Namespace) -> None:
    results: list[Result] = []
    cases = [
        (count, periods)
        for periods in args.periods
        for count in args.meters
        # A mix needs a meter of each period.
        if count >= len(periods.split("+"))
    ]
    for count, periods in cases:
        for seed in args.seeds:
            for policy in POLICIES:
                result = await _run(
                    count,
                    policy=policy,
                    periods=periods,
                    hours=args.hours,
                    latency=args.latency,
                    seed=seed,
                    interval=args.interval,
                )
                results.append(result)
                print(_line(result), flush=True)
    print(
        f"\nmedian of the seeds ({args.hours:g} simulated hours, poll interval"
        f" {args.interval:g} s)"
    )
    print(
        "| meters | upload every (min) | policy | capture | median lag | p95 lag"
        " | GET /Devices per day |"
    )
    print("|---|---|---|---|---|---|---|")
    for count, periods in cases:
        for label in POLICIES:
            runs = [
                r
                for r in results
                if r.meters == count and r.periods == periods and r.label == label
            ]
            per_day = statistics.median(r.calls * 24 / args.hours for r in runs)
            print(
                f"| {count} | {periods} | {label.lower()} |"
                f" {statistics.median(r.capture for r in runs):.2f} % |"
                f" {statistics.median(r.lag(0.5) for r in runs):.1f} s |"
                f" {statistics.median(r.lag(0.95) for r in runs):.1f} s |"
                f" {per_day:,.0f} |"
            )


def main() -> None:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--meters", type=int, nargs="+", default=[1, 10])
    parser.add_argument(
        "--periods",
        nargs="+",
        default=["1", "5", "15", "1+5"],
        help="the meters' upload periods in minutes (1+5: mixed)",
    )
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument(
        "--latency", type=float, default=0.3, help="simulated seconds per HTTP call"
    )
    parser.add_argument(
        "--interval", type=float, default=60.0, help="the poll interval option (s)"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(_main(args))


if __name__ == "__main__":
    main()
