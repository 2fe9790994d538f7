"""The base of smart-me entities: one device, fed by its own coordinator."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import override

from homeassistant.core import callback
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..const import CONF_VENDOR
from ..entity import NewEntities, SolarCloudEntity, async_add_as_they_appear
from ..runtime import SolarCloudConfigEntry
from .coordinator import SmartMeDeviceCoordinator
from .data import smartme_data
from .devices import device_info


class SmartMeEntity(SolarCloudEntity[SmartMeDeviceCoordinator]):
    """An entity of one smart-me device.

    Pushes update a device many times a minute; an entity writes its state
    only when what it shows changed, and an entity that shows one field of
    the reading (``_reads``) does not even look when a push left it alone.
    """

    _reads: str | None = None
    """The field of the reading the entity shows; None: it may show anything."""

    def __init__(
        self, coordinator: SmartMeDeviceCoordinator, description: EntityDescription
    ) -> None:
        """Initialize the entity of the coordinator's device."""
        device = coordinator.device
        super().__init__(
            coordinator,
            description,
            device_key=device.id,
            device_info=device_info(coordinator.config_entry.data[CONF_VENDOR], device),
        )
        self._shown: object = None

    def _current(self) -> object:
        """Return what the entity would show now (compared between updates)."""
        raise NotImplementedError

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        if (
            self._reads is not None
            and (changed := self.coordinator.changed) is not None
            and self._reads not in changed
        ):
            return
        shown = (self.available, self._current())
        if shown != self._shown:
            self._shown = shown
            self.async_write_ha_state()


def async_add_device_entities[DescriptionT: EntityDescription](
    entry: SolarCloudConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    descriptions: Iterable[DescriptionT],
    exists: Callable[[SmartMeDeviceCoordinator, DescriptionT], bool],
    create: Callable[[SmartMeDeviceCoordinator, DescriptionT], Entity],
) -> None:
    """Add the entity of each description a device has (``exists``).

    Devices that appear later get theirs when the account coordinator lists
    them.
    """
    account = smartme_data(entry).account

    def build(new: NewEntities) -> list[Entity]:
        return [
            create(coordinator, description)
            for coordinator in account.device_coordinators.values()
            for description in descriptions
            if exists(coordinator, description)
            and new.want(coordinator.device.id, description.key)
        ]

    async_add_as_they_appear(entry, async_add_entities, build, account)
