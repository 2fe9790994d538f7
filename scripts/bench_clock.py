"""The simulated clock the polling benchmarks run Home Assistant on.

One time for the loop, ``utcnow``, tokens and the simulator; the loop jumps
to its next timer whenever nothing else is left to run, so a simulated day
takes seconds. Shared by ``bench_sma.py`` and ``bench_smartme_poll.py``.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

LOOP_START = 10_000.0
"""The loop clock at the simulated start."""


class VirtualTime:
    """One simulated time for the loop, ``utcnow``, tokens and the simulator."""

    def __init__(self, start: datetime) -> None:
        """Start at ``start``."""
        self.start = start
        self.elapsed = 0.0

    def now(self) -> datetime:
        """Return the simulated wall time (aware, UTC)."""
        return self.start + timedelta(seconds=self.elapsed)

    def monotonic(self) -> float:
        """Return the simulated loop clock."""
        return LOOP_START + self.elapsed

    def time(self) -> float:
        """Return the simulated POSIX time."""
        return self.start.timestamp() + self.elapsed


async def drive(hass: Any, clock: VirtualTime, end: float) -> None:
    """Run the loop, jumping to its next timer whenever nothing else is left."""
    loop = asyncio.get_running_loop()
    while clock.elapsed < end:
        await hass.async_block_till_done(wait_background_tasks=True)
        timers = [
            handle.when()
            for handle in loop._scheduled  # type: ignore[attr-defined]  # noqa: SLF001
            if not handle.cancelled()
        ]
        if not timers:
            return
        clock.elapsed = max(clock.elapsed, min(min(timers) - LOOP_START, end))
        await asyncio.sleep(0)
