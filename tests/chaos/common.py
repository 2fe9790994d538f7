"""Helpers the vendors' chaos cases share."""

from __future__ import annotations

from collections.abc import Callable

from ..simulator.core import VendorSimulator
from .harness import Chaos

type NewChaos = Callable[..., Chaos]
"""The ``new_chaos`` fixture: a loaded entry under fault (keywords of Chaos)."""


def vendor_sim[S: VendorSimulator](chaos: Chaos, kind: type[S]) -> S:
    """Return the case's simulator as the vendor's own class."""
    assert isinstance(chaos.sim, kind)
    return chaos.sim
