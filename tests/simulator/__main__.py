"""Serve every vendor simulator on fixed localhost ports until interrupted.

python -m tests.simulator [--host 127.0.0.1]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from .core import RunningSimulator, start_simulator
from .registry import DEMO_SIMULATORS


async def serve(host: str) -> None:
    """Start all simulators and wait forever."""
    running: list[RunningSimulator] = []
    try:
        for vendor, demo in DEMO_SIMULATORS.items():
            served = await start_simulator(demo.create(), host=host, port=demo.port)
            running.append(served)
            print(f"{vendor} simulator: {served.base_url}", flush=True)  # noqa: T201
        if not running:
            print("No vendor simulators are registered yet.", flush=True)  # noqa: T201
        await asyncio.Event().wait()
    finally:
        for served in running:
            await served.stop()


def main() -> None:
    """Parse the arguments and serve."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host))


if __name__ == "__main__":
    main()
