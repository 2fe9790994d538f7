"""A plant's lifetime energy counters between reads of SMA's Total period.

The lifetime counters are the Total period's sum when it was read plus what
today's energy grew since: the Total is read at the plant's midnight, the
Day (read every poll) moves the counters in between. The Total changes
otherwise only by data that comes late (a classic plant's last two hours of
the day, after midnight: read hourly while it may) and by SMA's corrections
(read again twelve hours after). What the sensors show of the counters is the
counter policy's to decide (``counter.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from types import MappingProxyType

from ..api.sma import ENERGY_FLOWS, MeasurementField, MeasurementSet
from .const import LIFETIME_INTERVAL, LIFETIME_RECHECK

type Energy = Mapping[MeasurementField, float]
"""Energy (Wh) per flow."""


class LifetimeBase:
    """The lifetime totals as SMA's Total gave them, and today's energy then."""

    def __init__(self, late: timedelta) -> None:
        """Start without a Total; ``late``: how late the plant's data may come."""
        self.late = late
        self.totals: Energy = MappingProxyType({})
        """The lifetime totals (Wh) as the Total period last gave them."""
        self.today: Energy = MappingProxyType({})
        """Today's energy (Wh) when the Total period was last read."""
        self.day: date | None = None
        self.read: datetime | None = None

    def due(self, local_now: datetime) -> bool:
        """Return whether the Total is to be read again (``local_now``: plant time)."""
        if self.day != local_now.date() or self.read is None:
            return True
        midnight = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
        late_data = local_now - midnight < self.late
        return local_now - self.read >= (
            LIFETIME_INTERVAL if late_data else LIFETIME_RECHECK
        )

    def take(
        self, total: MeasurementSet, energy_today: Energy, local_now: datetime
    ) -> None:
        """Take a Total read at ``local_now``, today's energy being ``energy_today``."""
        self.totals = {
            key: value
            for key in ENERGY_FLOWS
            if (value := total.total(key)) is not None
        }
        self.today = energy_today
        self.day = local_now.date()
        self.read = local_now

    def lifetime(self, energy_today: Energy) -> dict[MeasurementField, float]:
        """Return the lifetime counters now that today's energy is ``energy_today``."""
        return {
            key: value + energy_today.get(key, 0.0) - self.today.get(key, 0.0)
            for key, value in self.totals.items()
        }
