"""The base of SMA plant entities: on the plant's device, fed by its EnergyBalance."""

from __future__ import annotations

from homeassistant.helpers.entity import EntityDescription

from ..entity import SolarCloudEntity
from .coordinator import SmaPlantCoordinator


class SmaPlantEntity(SolarCloudEntity[SmaPlantCoordinator]):
    """An entity of one plant (its sensors and feed-in limits).

    The devices' sensors are ``sensor.SmaDeviceSensor``: their coordinator
    serves every device of the plant, so each names its own device.
    """

    def __init__(
        self, coordinator: SmaPlantCoordinator, description: EntityDescription
    ) -> None:
        """Initialize the entity of the coordinator's plant."""
        super().__init__(coordinator, description, device_key=coordinator.plant.key)
