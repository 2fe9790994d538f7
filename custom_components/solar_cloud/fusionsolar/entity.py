"""The base of FusionSolar entities: each shows the data of its plant or device."""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime
from typing import Any, override

from ..api.fusionsolar.polling import Reading
from ..coordinator import SolarCloudCoordinator
from ..entity import SolarCloudEntity


class FusionSolarEntity[CoordinatorT: SolarCloudCoordinator[Any]](
    SolarCloudEntity[CoordinatorT]
):
    """An entity whose data is as recent as its own plant's or device's reading.

    The pollers refresh plants and devices batch by batch; one late batch
    must not blank the others, so freshness is judged per plant or device
    (against the coordinator's expected delay).
    """

    @abstractmethod
    def _reading(self) -> Reading[Any] | None:
        """Return this entity's data and when it arrived."""

    @override
    def _data_time(self) -> datetime | None:
        reading = self._reading() if self.coordinator.data is not None else None
        return None if reading is None else reading.at
