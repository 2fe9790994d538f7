"""The base of FusionSolar entities: each shows the data of its plant or device."""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime
from typing import TYPE_CHECKING, Any, override

from homeassistant.helpers.entity import EntityDescription

from ..api.fusionsolar.polling import Reading
from ..controls import PendingChange
from ..coordinator import SolarCloudCoordinator
from ..entity import SolarCloudEntity

if TYPE_CHECKING:
    from .data import FusionSolarData


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


class FusionSolarControlEntity[CoordinatorT: SolarCloudCoordinator[Any]](
    FusionSolarEntity[CoordinatorT]
):
    """A control of a plant, changed by control tasks (``controls.py``).

    A change the plant has not confirmed yet shows in the state attributes.
    """

    def __init__(
        self,
        data: FusionSolarData,
        coordinator: CoordinatorT,
        description: EntityDescription,
        *,
        device_key: str,
    ) -> None:
        """Initialize the control of the plant ``device_key``."""
        super().__init__(coordinator, description, device_key=device_key)
        self._data = data

    @abstractmethod
    def _pending(self) -> PendingChange[Any] | None:
        """Return the change of this control the plant has not confirmed."""

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any] | None:
        pending = self._pending()
        return None if pending is None else pending.attributes()
