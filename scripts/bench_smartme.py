"""Benchmark the smart-me realtime webhook: pushes/s and push -> state latency.

A real Home Assistant (booted from a temporary configuration directory, its
HTTP server on 127.0.0.1) runs the integration against the smart-me simulator
with 100 meters; the entry is added through the config flow and registers its
webhook at the simulator. A separate process, pinned to another core, then
POSTs protobuf DeviceDataArray pushes to the registered URL, as smart-me does:

1. at a steady 1,000 pushes/s (open loop), for the latency at that rate;
2. as fast as the webhook answers (closed loop, several connections), for
   the rate it sustains;
3. ``--measure`` pushes one after the other with the collector off and
   tracemalloc on: what a push leaves for the garbage collector (bytes,
   blocks, objects in reference cycles and their types) and how many states
   it writes; then as many decoded and applied in process, without HTTP: the
   CPU time and the tracemalloc peak of one push.

Each push carries a sequence number in a voltage value; Home Assistant's side
records when the state with that number is written, the pusher when it sent
the push (both on CLOCK_MONOTONIC), so latency is push sent -> state written.
The state is seen as an automation sees it (``async_track_state_change_event``
on the watched entities); ``--listen-all`` listens to every state change
instead, as the recorder does: Home Assistant then makes an Event of every
state written, and each Event is a reference cycle with its Context that only
the garbage collector frees. Home Assistant runs on one core (CPU 0); the
garbage collections during the pushes are counted by generation.

    scripts/bench smartme [--devices 100] [--rate 1000] [--seconds 5]
        [--pushes 10000] [--measure 1000] [--listen-all]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
from collections import Counter
import contextlib
from datetime import UTC, datetime, timedelta
import gc
import json
import logging
import os
from pathlib import Path
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MARKER = 100_000.0
"""Voltage L1 carries MARKER + sequence number, to find each push's state."""
VOLTAGE_L1 = "1-0:32.7.0*255"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# The pusher (a separate process) --------------------------------------------


def _payloads(
    devices: list[tuple[str, float]], first: int, count: int, start: datetime
) -> list[bytes]:
    """Return pushes ``first`` to ``first + count``, one device after the other."""
    from custom_components.solar_cloud.api.smartme.realtime import (  # noqa: PLC0415
        RealtimeDeviceData,
        encode_realtime,
    )

    payloads = []
    for seq in range(first, first + count):
        device_id, counter_kwh = devices[seq % len(devices)]
        values = {
            "1-0:1.8.0*255": (counter_kwh + seq / 1000) * 1000,  # Wh
            "1-0:2.8.0*255": 1277808.0,
            "1-0:1.7.0*255": 5000.0 + seq % 100,
            "1-0:2.7.0*255": 0.0,
            VOLTAGE_L1: MARKER + seq,
            "1-0:52.7.0*255": 229.0,
            "1-0:72.7.0*255": 230.0,
            "1-0:14.7.0*255": 50.0,
        }
        payloads.append(
            encode_realtime(
                [
                    RealtimeDeviceData(
                        device_id=device_id,
                        timestamp=start + timedelta(milliseconds=seq),
                        values=values,
                    )
                ]
            )
        )
    return payloads


async def _pusher(args: argparse.Namespace) -> None:
    import aiohttp  # noqa: PLC0415

    total = args.warmup + args.rate * args.seconds + args.pushes + args.measure
    start = datetime.now(UTC) + timedelta(seconds=1)
    payloads = _payloads(json.loads(args.devices_json), 0, total, start)
    headers = {
        "Authorization": "Basic "
        + base64.b64encode(f"{args.username}:{args.password}".encode()).decode(),
        "Content-Type": "application/octet-stream",
    }
    sent: dict[int, float] = {}
    failures: list[int] = []
    connector = aiohttp.TCPConnector(limit=args.concurrency * 4)
    async with aiohttp.ClientSession(connector=connector) as session:
        if args.measure_only:
            # One push after the other, numbered after the timed ones.
            first = args.warmup + args.rate * args.seconds + args.pushes
            for seq in range(first, first + args.measure):
                async with session.post(
                    args.url, data=payloads[seq], headers=headers
                ) as response:
                    await response.read()
            return

        async def post(seq: int) -> None:
            sent[seq] = time.monotonic()
            async with session.post(
                args.url, data=payloads[seq], headers=headers
            ) as response:
                await response.read()
                if response.status != 200:
                    failures.append(response.status)

        seq = 0
        for _ in range(args.warmup):
            await post(seq)
            seq += 1
        # 1. Open loop at the target rate.
        rate_first = seq
        count = args.rate * args.seconds
        started = time.monotonic()
        in_flight: set[asyncio.Task[None]] = set()
        for index in range(count):
            delay = started + index / args.rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(post(seq))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
            seq += 1
        await asyncio.gather(*in_flight)
        rate_elapsed = time.monotonic() - started
        # 2. Closed loop: as fast as the webhook answers.
        max_first = seq
        queue = iter(range(seq, seq + args.pushes))

        async def worker() -> None:
            for item in queue:
                await post(item)

        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(args.concurrency)))
        max_elapsed = time.monotonic() - started
    json.dump(
        {
            "sent": sent,
            "failures": failures,
            "rate": [rate_first, max_first, rate_elapsed],
            "max": [max_first, max_first + args.pushes, max_elapsed],
        },
        sys.stdout,
    )


# Home Assistant's side ----------------------------------------------------------


async def _home_assistant(args: argparse.Namespace) -> None:
    # Imported before Home Assistant starts, so its loader finds this copy.
    import custom_components.solar_cloud  # noqa: F401, PLC0415
    from tests.simulator.core import start_simulator  # noqa: PLC0415
    from tests.simulator.smartme import SmartMeSimulator, bench_devices  # noqa: PLC0415

    simulator = SmartMeSimulator(devices=bench_devices(args.devices))
    served = await start_simulator(simulator)
    port = _free_port()
    # Home Assistant as its own tests run it (registries in memory), with its
    # HTTP server on a real port: the push path is the production one.
    with tempfile.TemporaryDirectory() as config_dir:
        await _bench_in(config_dir, args, simulator, served, port)


async def _bench_in(
    config_dir: str,
    args: argparse.Namespace,
    simulator: Any,
    served: Any,
    port: int,
) -> None:
    from homeassistant import loader  # noqa: PLC0415
    from homeassistant.const import (  # noqa: PLC0415
        CONF_API_KEY,
        CONF_URL,
        EVENT_HOMEASSISTANT_START,
        EVENT_STATE_CHANGED,
    )
    from homeassistant.core import Event, callback  # noqa: PLC0415
    from homeassistant.helpers import entity_registry as er  # noqa: PLC0415
    from homeassistant.helpers.event import async_track_state_change_event  # noqa: PLC0415
    from homeassistant.setup import async_setup_component  # noqa: PLC0415
    from pytest_homeassistant_custom_component.common import async_test_home_assistant  # noqa: PLC0415

    async with async_test_home_assistant(config_dir=config_dir) as hass:
        hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)
        http = {"server_host": ["127.0.0.1"], "server_port": port}
        assert await async_setup_component(hass, "http", {"http": http})
        # The test instance is "running" already: start the server as at boot.
        hass.bus.async_fire(EVENT_HOMEASSISTANT_START)
        await hass.async_block_till_done()
        for dependency in ("application_credentials", "webhook"):
            assert await async_setup_component(hass, dependency, {})
        await hass.config.async_update(external_url=f"http://127.0.0.1:{port}")
        logging.getLogger().setLevel(logging.WARNING)

        flow = hass.config_entries.flow
        result = await flow.async_init("solar_cloud", context={"source": "user"})
        result = await flow.async_configure(
            result["flow_id"], {"next_step_id": "smartme"}
        )
        result = await flow.async_configure(
            result["flow_id"], {"next_step_id": "smartme_apikey"}
        )
        result = await flow.async_configure(
            result["flow_id"],
            {CONF_API_KEY: "key-123", "advanced": {CONF_URL: served.base_url}},
        )
        result = await flow.async_configure(result["flow_id"], {"realtime": True})
        entry = result["result"]
        await hass.async_block_till_done(wait_background_tasks=True)
        [registration] = simulator.registrations.values()
        stats = entry.runtime_data.realtime.webhook.stats

        registry = er.async_get(hass)
        watched = {
            item.entity_id
            for item in er.async_entries_for_config_entry(registry, entry.entry_id)
            if item.unique_id.endswith("_voltage_l1")
        }
        assert len(watched) == args.devices, watched
        written: dict[int, float] = {}

        @callback
        def _state_changed(event: Event[Any]) -> None:
            if event.data["entity_id"] in watched and (
                state := event.data["new_state"]
            ):
                with contextlib.suppress(ValueError):
                    written[int(float(state.state) - MARKER)] = time.monotonic()

        if args.listen_all:
            # Like the recorder: an Event for every state written.
            hass.bus.async_listen(EVENT_STATE_CHANGED, _state_changed)
        else:
            # Like an automation: Events only for the watched entities.
            async_track_state_change_event(hass, watched, _state_changed)
        # Let start-up housekeeping pass (the registries of ~3,000 new
        # entities are written 10 s after they change): steady state is measured.
        await asyncio.sleep(args.settle)
        # Python's first full collection after start-up walks every object
        # the start created (~150 ms here): a one-off that would otherwise
        # land in the measurement. Later ones are reported below.
        gc.collect()
        gc_watch = GcWatch()

        devices = [
            [device.id, device.raw["CounterReadingImport"]]
            for device in simulator.devices.values()
        ]
        command = [
            sys.executable,
            __file__,
            "--pusher",
            "--url",
            registration["ApiUrl"],
            "--username",
            registration["BasicAuthUsername"],
            "--password",
            registration["BasicAuthPassword"],
            "--devices-json",
            json.dumps(devices),
            *args.forwarded,
        ]
        args.load = [os.getloadavg()[0]]
        process = await asyncio.create_subprocess_exec(
            *command, stdout=subprocess.PIPE, preexec_fn=_pin_pusher
        )
        stdout, _ = await process.communicate()
        await hass.async_block_till_done()
        gc_watch.stop()
        args.load.append(os.getloadavg()[0])
        report = json.loads(stdout)
        writes = _count_writes(hass)
        allocations = await _measure_allocations(hass, args, command)
        allocations["writes"] = writes[0]
        allocations.update(_measure_in_process(args, entry, devices))
        await hass.config_entries.async_unload(entry.entry_id)
        await served.stop()
    _report(args, report, written, hass_pushes=stats, gc_watch=gc_watch)
    _report_allocations(args, allocations)


async def _measure_allocations(
    hass: Any, args: argparse.Namespace, command: list[str]
) -> dict[str, Any]:
    """Push ``--measure`` times, one after the other, under tracemalloc.

    With the collector off, what the pushes leave in memory is what reference
    counting did not free: garbage in reference cycles, which only the
    collector frees (and whose growth triggers it), plus anything kept.
    """
    command = [*command, "--measure-only"]
    gc.collect()
    gc.disable()
    cpu = time.process_time()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    process = await asyncio.create_subprocess_exec(
        *command, stdout=subprocess.PIPE, preexec_fn=_pin_pusher
    )
    await process.communicate()
    await hass.async_block_till_done()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    cpu = time.process_time() - cpu
    gc.set_debug(gc.DEBUG_SAVEALL)
    unreachable = gc.collect()
    garbage = Counter(type(item).__qualname__ for item in gc.garbage)
    gc.garbage.clear()
    gc.set_debug(0)
    gc.enable()
    left = [
        stat
        for stat in after.compare_to(before, "filename")
        if stat.size_diff > 0 or stat.count_diff > 0
    ]
    return {
        "bytes": sum(stat.size_diff for stat in left),
        "blocks": sum(stat.count_diff for stat in left),
        "unreachable": unreachable,
        "garbage": garbage.most_common(8),
        "cpu": cpu,
    }


def _measure_in_process(
    args: argparse.Namespace, entry: Any, devices: list[tuple[str, float]]
) -> dict[str, float]:
    """Decode and apply ``--measure`` pushes in process, without HTTP.

    First for the CPU time (the least of five rounds: the machine is shared),
    then under tracemalloc for the most memory one push holds at once (its
    peak above what was in use before it).
    """
    from custom_components.solar_cloud.api.smartme import decode_realtime  # noqa: PLC0415

    webhook = entry.runtime_data.realtime.webhook
    count = args.measure
    first = args.warmup + args.rate * args.seconds + args.pushes + count
    start = datetime.now(UTC) + timedelta(seconds=60)
    bodies = _payloads(devices, first, 6 * count, start)
    gc.collect()
    rounds = []
    for offset in range(0, 5 * count, count):
        cpu = time.process_time()
        for body in bodies[offset : offset + count]:
            webhook.apply(decode_realtime(body))
        rounds.append(time.process_time() - cpu)
    peaks = 0
    tracemalloc.start()
    for body in bodies[5 * count :]:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        webhook.apply(decode_realtime(body))
        peaks += tracemalloc.get_traced_memory()[1] - before
    tracemalloc.stop()
    return {"direct_cpu": min(rounds), "direct_peak": peaks}


def _count_writes(hass: Any) -> list[int]:
    """Count every state written, without making an Event of it."""
    from homeassistant.const import EVENT_STATE_CHANGED  # noqa: PLC0415
    from homeassistant.core import callback  # noqa: PLC0415

    count = [0]

    @callback
    def _filter(_data: Any) -> bool:
        count[0] += 1
        return False  # the bus creates no Event when every filter says no

    hass.bus.async_listen(EVENT_STATE_CHANGED, callback(lambda _: None), _filter)
    return count


class GcWatch:
    """Count the garbage collections by generation; keep those over 5 ms."""

    def __init__(self) -> None:
        """Start watching."""
        self.counts = [0, 0, 0]
        self.total_ms = [0.0, 0.0, 0.0]
        self.pauses: list[tuple[int, float]] = []
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.monotonic()
            return
        took = (time.monotonic() - self._started) * 1000
        generation = info["generation"]
        self.counts[generation] += 1
        self.total_ms[generation] += took
        if took > 5:
            self.pauses.append((generation, round(took, 1)))

    def stop(self) -> None:
        """Stop watching."""
        gc.callbacks.remove(self._callback)


def _pin_pusher() -> None:
    cores = os.sched_getaffinity(0) | set(range(os.cpu_count() or 1))
    others = cores - {0}
    os.sched_setaffinity(0, others or cores)


def _report(
    args: argparse.Namespace,
    report: dict[str, Any],
    written: dict[int, float],
    hass_pushes: Any,
    gc_watch: GcWatch,
) -> None:
    sent = {int(seq): at for seq, at in report["sent"].items()}
    figures: dict[str, tuple[float, float]] = {}
    listening = "every state change" if args.listen_all else "the watched entities"
    print(
        f"smart-me realtime webhook, {args.devices} devices, Home Assistant on"
        f" CPU 0, listening to {listening}"
    )
    print(
        "  machine load (1 min) before and after pushing:"
        f" {args.load[0]:.1f}, {args.load[1]:.1f} (2 cores; other work slows it)"
    )
    print(
        f"  pushes applied: {hass_pushes.applied}, refused: {len(report['failures'])}"
    )
    pushed = len(report["sent"])
    print(
        "  garbage collections while pushing, by generation: "
        + ", ".join(
            f"gen {generation}: {count} ({ms:.0f} ms)"
            for generation, (count, ms) in enumerate(
                zip(gc_watch.counts, gc_watch.total_ms, strict=True)
            )
        )
        + f", per 1,000 pushes {1000 * sum(gc_watch.counts) / pushed:.1f}"
    )
    print(f"  of them over 5 ms (generation, ms): {gc_watch.pauses}")
    for name in ("rate", "max"):
        first, last, elapsed = report[name]
        latencies = [
            (written[seq] - sent[seq]) * 1000
            for seq in range(int(first), int(last))
            if seq in written
        ]
        count = int(last) - int(first)
        states = [
            written[seq] for seq in range(int(first), int(last)) if seq in written
        ]
        wall = (
            (max(states) - min(sent[s] for s in range(int(first), int(last))))
            if states
            else 0
        )
        rate = len(latencies) / wall if wall else 0.0
        title = (
            f"steady {args.rate} pushes/s for {args.seconds} s"
            if name == "rate"
            else f"as fast as possible, {args.concurrency} connections"
        )
        print(f"  {title}:")
        print(
            f"    {count} pushes, {len(latencies)} states written in {wall:.2f} s"
            f" = {rate:,.0f} pushes/s (pusher side {count / elapsed:,.0f}/s)"
        )
        p99 = _percentile(latencies, 0.99) if latencies else float("inf")
        figures[name] = (rate, p99)
        if latencies:
            print(
                f"    push -> state latency: p50 {statistics.median(latencies):.2f} ms,"
                f" p99 {p99:.2f} ms,"
                f" max {max(latencies):.2f} ms"
            )
    sustained = figures["max"][0]
    p99 = figures["rate"][1]
    verdict = "met" if sustained >= 1000 and p99 < 10 else "NOT met"
    print(
        f"  targets (>= 1,000 pushes/s, p99 < 10 ms at {args.rate}/s): {verdict}"
        f" ({sustained:,.0f} pushes/s, p99 {p99:.2f} ms)"
    )


def _report_allocations(args: argparse.Namespace, found: dict[str, Any]) -> None:
    count = args.measure
    print(f"  {count} pushes one at a time, collector off, under tracemalloc:")
    print(
        f"    left in memory per push: {found['bytes'] / count:,.0f} bytes"
        f" in {found['blocks'] / count:,.1f} blocks;"
        f" unreachable objects per push (cycles): {found['unreachable'] / count:.1f}"
    )
    print(
        "    most frequent garbage: "
        + ", ".join(f"{name} {n / count:.1f}" for name, n in found["garbage"])
    )
    print(
        f"    states written per push: {found['writes'] / count:.2f};"
        f" CPU per push (with tracemalloc): {1000 * found['cpu'] / count:.2f} ms"
    )
    print(
        f"  {count} pushes decoded and applied in process (no HTTP):"
        f" CPU per push {1e6 * found['direct_cpu'] / count:.0f} µs (least of 5"
        " rounds);"
        f" peak per push (tracemalloc) {found['direct_peak'] / count:,.0f} bytes"
    )


def main() -> None:
    """Parse the arguments and run one side of the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--pushes", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--settle", type=float, default=12.0)
    parser.add_argument(
        "--measure",
        type=int,
        default=1000,
        help="pushes (one at a time) measured with tracemalloc after the timed ones",
    )
    parser.add_argument(
        "--listen-all",
        action="store_true",
        help="detect the states by listening to every state change (as the"
        " recorder does) instead of to the watched entities only",
    )
    parser.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--pusher", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--username", help=argparse.SUPPRESS)
    parser.add_argument("--password", help=argparse.SUPPRESS)
    parser.add_argument("--devices-json", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pusher:
        asyncio.run(_pusher(args))
        return
    args.forwarded = [
        f"--rate={args.rate}",
        f"--seconds={args.seconds}",
        f"--pushes={args.pushes}",
        f"--concurrency={args.concurrency}",
        f"--warmup={args.warmup}",
        f"--measure={args.measure}",
    ]
    os.sched_setaffinity(0, {0})
    asyncio.run(_home_assistant(args))


if __name__ == "__main__":
    main()
