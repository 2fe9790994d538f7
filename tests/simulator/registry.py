"""Which vendor simulators ``python -m tests.simulator`` serves, and where.

Vendor slices add their simulator here. The ports are fixed so that the
development configuration (``scripts/develop``) can point at them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .core import VendorSimulator
from .fusionsolar import create_demo as fusionsolar_demo
from .sma import demo_simulator as sma_demo
from .smartme import demo_simulator as smartme_demo


@dataclass(frozen=True, kw_only=True)
class DemoSimulator:
    """A simulator as the demo serves it."""

    port: int
    create: Callable[[], VendorSimulator]
    """Build the simulator with its demo accounts."""


DEMO_SIMULATORS: dict[str, DemoSimulator] = {
    "sma": DemoSimulator(port=8701, create=sma_demo),
    "smartme": DemoSimulator(port=8702, create=smartme_demo),
    "fusionsolar": DemoSimulator(port=8703, create=fusionsolar_demo),
}
