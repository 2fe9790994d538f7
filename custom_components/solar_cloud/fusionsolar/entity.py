"""The base of FusionSolar entities: each judges the age of its own data."""

from __future__ import annotations

from abc import abstractmethod
from datetime import timedelta
from typing import Any, override

from homeassistant.util import dt as dt_util

from ..api.fusionsolar.polling import Reading
from ..coordinator import SolarCloudCoordinator
from ..entity import SolarCloudEntity


class FusionSolarEntity[CoordinatorT: SolarCloudCoordinator[Any]](
    SolarCloudEntity[CoordinatorT]
):
    """An entity that shows its data until it is older than ``stale_after``.

    The pollers refresh plants and devices batch by batch; one late batch
    must not blank the others, so freshness is judged per plant or device.
    """

    stale_after: timedelta

    @abstractmethod
    def _reading(self) -> Reading[Any] | None:
        """Return this entity's data and when it arrived."""

    @property
    @override
    def available(self) -> bool:
        """Return whether the data is there and fresh enough."""
        reading = self._reading() if self.coordinator.data is not None else None
        return reading is not None and dt_util.utcnow() - reading.at < self.stale_after
