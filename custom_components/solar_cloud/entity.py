"""The base entity and device helpers of all vendors."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from datetime import datetime
from typing import Any, override

from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import CONF_VENDOR, DOMAIN, LOGGER, VENDOR_NAMES, Vendor
from .coordinator import SolarCloudCoordinator
from .runtime import SolarCloudConfigEntry


def account_device_key(entry: SolarCloudConfigEntry) -> str:
    """Return the device key of the account itself (its service device)."""
    return f"account_{entry.entry_id}"


def account_device_info(entry: SolarCloudConfigEntry) -> DeviceInfo:
    """Return the device of the account: what belongs to no plant or meter."""
    vendor = Vendor(entry.data[CONF_VENDOR])
    return DeviceInfo(
        identifiers={device_identifier(vendor, account_device_key(entry))},
        name=entry.title
        if entry.title.startswith(f"{VENDOR_NAMES[vendor]} ")
        else f"{VENDOR_NAMES[vendor]} {entry.title}",
        manufacturer=VENDOR_NAMES[vendor],
        model="Cloud account",
        entry_type=DeviceEntryType.SERVICE,
    )


def device_identifier(vendor: str, device_key: str) -> tuple[str, str]:
    """Return the device registry identifier of a vendor's plant or device.

    ``device_key`` is the vendor's stable id (plant code, device id, serial).
    """
    return (DOMAIN, f"{vendor}_{device_key}")


class SolarCloudEntity[CoordinatorT: SolarCloudCoordinator[Any]](
    CoordinatorEntity[CoordinatorT]
):
    """An entity of one plant or device, fed by one coordinator.

    It is available while the data it shows is current: younger than the
    coordinator's expected delay (see ``SolarCloudCoordinator``).
    """

    _attr_has_entity_name = True

    def __init__(
        self,
        coordinator: CoordinatorT,
        description: EntityDescription,
        *,
        device_key: str,
        device_info: DeviceInfo | None = None,
    ) -> None:
        """Initialize the entity of the device ``device_key``.

        Pass ``device_info`` from the entity that describes the device fully;
        the others only name the device they belong to.
        """
        super().__init__(coordinator)
        vendor = coordinator.config_entry.data[CONF_VENDOR]
        self.entity_description = description
        self.device_key = device_key
        self._attr_unique_id = f"{vendor}_{device_key}_{description.key}"
        self._attr_device_info = device_info or DeviceInfo(
            identifiers={device_identifier(vendor, device_key)}
        )

    def _data_time(self) -> datetime | None:
        """Return the time of the data this entity shows (None: it has none).

        The coordinator's last good update; a vendor whose data carries its
        own times per plant, device or value returns the time of its item.
        """
        return self.coordinator.data_time

    @property
    @override
    def available(self) -> bool:
        """Return whether the entity's data is younger than the expected delay."""
        return self.coordinator.is_current(self._data_time())


@callback
def async_register_device(
    hass: HomeAssistant, entry: SolarCloudConfigEntry, device_info: DeviceInfo
) -> dr.DeviceEntry:
    """Register a device now, so that its children can name it as via_device_id.

    Home Assistant links a child device to its parent by the parent's registry
    id, which exists only once the parent is registered.
    """
    return dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, **device_info
    )


@callback
def async_remove_stale_devices(
    hass: HomeAssistant, entry: SolarCloudConfigEntry, device_keys: set[str]
) -> None:
    """Remove the entry's devices whose vendor key is no longer reported."""
    vendor = entry.data[CONF_VENDOR]
    current = {
        device_identifier(vendor, key)
        for key in (*device_keys, account_device_key(entry))
    }
    device_registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(device_registry, entry.entry_id):
        if device.identifiers.isdisjoint(current):
            LOGGER.info("Removing %s: the account no longer reports it", device.name)
            device_registry.async_remove_device(device.id)


class NewEntities:
    """Which entities a platform has added: one per device and description key.

    The device registry is the memory of what exists: when a device is removed
    from it (the account stopped reporting it, or the user deleted it), its
    entities are forgotten here too, so that they are added again if the
    device comes back.
    """

    def __init__(self) -> None:
        """Start with none."""
        self._added: set[tuple[str, str]] = set()

    def want(self, device_key: str, key: str) -> bool:
        """Return True the first time an entity of ``device_key`` and ``key`` is asked for."""
        if (device_key, key) in self._added:
            return False
        self._added.add((device_key, key))
        return True

    def forget(self, device_keys: Collection[str]) -> None:
        """Forget the entities of these devices: if they return, add them again."""
        self._added = {pair for pair in self._added if pair[0] not in device_keys}


@callback
def async_add_as_they_appear(
    entry: SolarCloudConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    build: Callable[[NewEntities], Iterable[Entity]],
    coordinator: SolarCloudCoordinator[Any],
    *others: SolarCloudCoordinator[Any],
) -> None:
    """Add the entities ``build`` makes now, and again whenever a coordinator updates.

    ``build`` creates only the entities ``NewEntities.want`` agrees to, so plants
    and devices that appear later get theirs and nothing is added twice; a
    device removed from the registry gets its entities again when it returns.
    """
    new = NewEntities()
    prefix = f"{entry.data[CONF_VENDOR]}_"

    @callback
    def add_new() -> None:
        if entities := list(build(new)):
            async_add_entities(entities)

    @callback
    def device_removed(event: Event[dr.EventDeviceRegistryUpdatedData]) -> None:
        if event.data["action"] != "remove":
            return
        device = event.data["device"]
        if device.get("config_entry_id") != entry.entry_id:
            return
        new.forget(
            {
                identifier.removeprefix(prefix)
                for domain, identifier in device["identifiers"]
                if domain == DOMAIN and identifier.startswith(prefix)
            }
        )

    add_new()
    for each in (coordinator, *others):
        entry.async_on_unload(each.async_add_listener(add_new))
    entry.async_on_unload(
        coordinator.hass.bus.async_listen(
            dr.EVENT_DEVICE_REGISTRY_UPDATED, device_removed
        )
    )
