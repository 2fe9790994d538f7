"""Benchmark FusionSolar real-time freshness: upload -> value seen, calls, refusals.

The client and its pollers run against the FusionSolar simulator over real
HTTP on 127.0.0.1 (a free port), on a simulated clock that jumps from one
wake-up to the next, so 24 simulated hours take seconds to minutes. The
simulated cloud uploads every plant's data every 5 minutes at the plant's own
moment (20..200 s after the 5-minute mark, devices up to 8 s apart, plant
KPIs 10 s after them, up to 6 s jitter, 2 % of uploads 40..150 s late),
enforces Huawei's flow control on its own (407 beyond it) and records every
upload, so each reading is matched with the upload it shows.

BEFORE: a period after each call, calls counted at their send with a 5 s
margin (the scheduling before upload phases were learnt). AFTER: calls locked
to the learnt upload phases, counted when their answer came, 1 s margin.

    scripts/bench fusionsolar [--plants 1,10,150] [--hours 24] [--seed 1]
        [--policy before,after]

Capture: uploads seen / uploads made (after the first hour, which both
policies spend learning or settling). Lag: upload -> the reading that first
shows it.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import timedelta
from pathlib import Path
import sys
import time

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PERIOD = 300.0
"""Seconds between two uploads of a source."""


def _bound(margin: float) -> str:
    """Return the capture bound of calls held a window + ``margin`` apart."""
    return f"{100 * PERIOD / (PERIOD + margin):.2f} %"


async def _run(
    plants: int, hours: float, seed: int, policies: tuple[bool, ...]
) -> None:
    from tests.fusionsolar.upload_day import run_upload_day  # noqa: PLC0415
    from tests.simulator.fusionsolar import UploadSchedule  # noqa: PLC0415

    print(f"\n{plants} plant(s), {hours:g} simulated hours")
    header = (
        f"  {'policy':6} {'quantity':13} {'capture':>8} {'seen/uploads':>13}"
        f" {'median':>7} {'p95':>7} {'max':>7}"
    )
    print(header)
    for lock in policies:
        started = time.monotonic()
        day = await run_upload_day(
            plants=plants,
            duration=timedelta(hours=hours),
            lock_to_uploads=lock,
            schedule=UploadSchedule(seed=seed),
        )
        elapsed = time.monotonic() - started
        policy = "AFTER" if lock else "BEFORE"
        for name, quantity in [*day.quantities.items(), ("all", day.overall)]:
            print(
                f"  {policy:6} {name:13} {quantity.capture:7.2f}%"
                f" {f'{quantity.seen}/{quantity.uploads}':>13}"
                f" {quantity.lag(0.5):6.1f}s {quantity.lag(0.95):6.1f}s"
                f" {max(quantity.lags, default=float('nan')):6.1f}s"
            )
        calls = ", ".join(
            f"{endpoint} {count}" for endpoint, count in sorted(day.calls.items())
        )
        print(f"  {policy:6} calls: {calls}; refused (407): {day.refused}")
        print(f"  {policy:6} run took {elapsed:.1f} s of wall time")
    print(
        "  bound: calls held a 5-minute window + m apart see at most 300/(300+m)"
        f" of the uploads without ever letting one go: m = 5 s {_bound(5)},"
        f" m = 1 s {_bound(1)}"
    )


def main() -> None:
    """Parse the arguments and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plants", default="1,10,150")
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--policy",
        default="before,after",
        help="which schedules to run: before, after or both (before,after)",
    )
    args = parser.parse_args()
    names = {"before": False, "after": True}
    policies = tuple(names[name] for name in args.policy.split(","))
    print(
        "FusionSolar freshness against the simulator (real HTTP on 127.0.0.1,"
        " simulated clock)"
    )
    for plants in (int(value) for value in args.plants.split(",")):
        asyncio.run(_run(plants, args.hours, args.seed, policies))


if __name__ == "__main__":
    main()
