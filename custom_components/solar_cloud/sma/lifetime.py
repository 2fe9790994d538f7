"""A plant's lifetime energy counters between reads of SMA's Total period.

The lifetime counters are the Total period's sum when it was read plus what
today's energy grew since: the Total is read again hourly and at the plant's
midnight, the Day (read every poll) moves the counters in between. What the
sensors show of them is the counter policy's to decide (``counter.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from types import MappingProxyType

from ..api.sma import ENERGY_FLOWS, MeasurementField, MeasurementSet
from .const import LIFETIME_INTERVAL

type Energy = Mapping[MeasurementField, float]
"""Energy (Wh) per flow."""


class LifetimeBase:
    """The lifetime totals as SMA's Total gave them, and today's energy then."""

    def __init__(self) -> None:
        """Start without a Total: the first poll reads it."""
        self.totals: Energy = MappingProxyType({})
        """The lifetime totals (Wh) as the Total period last gave them."""
        self.today: Energy = MappingProxyType({})
        """Today's energy (Wh) when the Total period was last read."""
        self.day: date | None = None
        self.read: datetime | None = None

    def due(self, today: date, now: datetime) -> bool:
        """Return whether the Total is to be read again (a new day, or hourly)."""
        return (
            self.day != today
            or self.read is None
            or now - self.read >= LIFETIME_INTERVAL
        )

    def take(
        self, total: MeasurementSet, energy_today: Energy, today: date, now: datetime
    ) -> None:
        """Take a Total read at ``now``, when today's energy was ``energy_today``."""
        self.totals = {
            key: value
            for key in ENERGY_FLOWS
            if (value := total.total(key)) is not None
        }
        self.today = energy_today
        self.day = today
        self.read = now

    def lifetime(self, energy_today: Energy) -> dict[MeasurementField, float]:
        """Return the lifetime counters now that today's energy is ``energy_today``."""
        return {
            key: value + energy_today.get(key, 0.0) - self.today.get(key, 0.0)
            for key, value in self.totals.items()
        }
