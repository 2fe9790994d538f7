"""Pytest fixtures that serve simulators to a test (a pytest plugin)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from .core import RunningSimulator, StartSimulator, VendorSimulator, start_simulator


@pytest.fixture
async def start_vendor_simulator(socket_enabled: None) -> AsyncIterator[StartSimulator]:
    """Return a function that serves a simulator until the test ends."""
    running: list[RunningSimulator] = []

    async def start(simulator: VendorSimulator) -> RunningSimulator:
        served = await start_simulator(simulator)
        running.append(served)
        return served

    yield start
    for served in running:
        await served.stop()
