"""What an SMA account shows in Home Assistant: its plants and their devices.

The inventory coordinator (``coordinator.py``) reads them; devices
(``devices.py``), entities and the measurement coordinators are made from
them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import tzinfo

from ..api.sma import ConsentState, Device, Plant, PlantKind, SetType

DEVICE_SETS = frozenset(SetType)
"""The device sets that become sensors; the others are not read."""


@dataclass(frozen=True, kw_only=True)
class SmaDevice:
    """A device of a plant and the measurement sets it reports."""

    key: str
    """The device's key in Home Assistant: plant key and SMA device id."""
    details: Device
    sets: frozenset[str]


@dataclass(frozen=True, kw_only=True)
class SmaPlant:
    """A plant, its active devices and whether it takes a feed-in limit."""

    key: str
    """The plant's key in Home Assistant: its first SMA id, kept when moved."""
    details: Plant
    devices: tuple[SmaDevice, ...] = ()
    feed_in_control: bool = False

    @property
    def name(self) -> str:
        """Return the plant's name at SMA."""
        return self.details.name

    @property
    def kind(self) -> PlantKind:
        """Return the plant's portal backend."""
        return self.details.kind

    @property
    def zone(self) -> tzinfo:
        """Return the plant's time zone."""
        return self.details.zone

    @property
    def shown_devices(self) -> tuple[SmaDevice, ...]:
        """Return the devices that get entities: those reporting a set we read.

        A device without one (an EDMM, a gas meter the API shows no values
        of) would be a Home Assistant device with nothing on it.
        """
        return tuple(device for device in self.devices if device.sets & DEVICE_SETS)


@dataclass(frozen=True, kw_only=True)
class SmaAccountPlants:
    """The plants an account sees, and its consent state when it sees none."""

    plants: Mapping[str, SmaPlant] = field(default_factory=dict)
    consent: ConsentState | None = None
    shown_elsewhere: Mapping[str, str] = field(default_factory=dict)
    """Plants SMA lists that another account shows: key -> its entry id."""

    @property
    def shape(
        self,
    ) -> frozenset[tuple[str, bool, frozenset[tuple[str, frozenset[str]]]]]:
        """Return what decides the entities: plants, devices, sets, control."""
        return frozenset(
            (
                plant.key,
                plant.feed_in_control,
                frozenset((device.key, device.sets) for device in plant.devices),
            )
            for plant in self.plants.values()
        )

    def device_keys(self) -> set[str]:
        """Return the keys of every plant, and of every device that has entities."""
        return {
            key
            for plant in self.plants.values()
            for key in (plant.key, *(device.key for device in plant.shown_devices))
        }
