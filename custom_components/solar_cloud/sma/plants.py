"""What an SMA account shows in Home Assistant: its plants and their devices.

The inventory coordinator (``coordinator.py``) reads them; devices
(``devices.py``), entities and the measurement coordinators are made from
them. A plant another account already shows is not shown again
(:func:`async_shown_elsewhere`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import tzinfo

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr

from ..api.sma import ConsentState, Device, Plant, PlantKind, SetType
from ..const import Vendor
from ..entity import device_identifier
from ..issues import async_create_issue, async_delete_issue
from ..runtime import SolarCloudConfigEntry

DEVICE_SETS = frozenset(SetType)
"""The device sets that become sensors; the others are not read."""
ISSUE_SHOWN_ELSEWHERE = "sma_plants_shown_elsewhere"


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


@callback
def async_shown_elsewhere(
    hass: HomeAssistant, entry: SolarCloudConfigEntry, listed: Mapping[str, Plant]
) -> dict[str, ConfigEntry]:
    """Return the listed plants other accounts show, by key, and tell the user.

    The custom flow's token is the client's: it reads the plants of every
    owner who consented to the client, not only this account's owner, and
    SMA does not say whose a plant is; a code-flow account of the same
    owner reads them too. Each plant is shown once, by the account that
    showed it first. The repair issue lists the others (or is resolved).
    """
    elsewhere = {
        key: other
        for key in listed
        if (other := _shown_by(hass, entry, key)) is not None
    }
    if not elsewhere:
        async_delete_issue(hass, entry, ISSUE_SHOWN_ELSEWHERE)
        return elsewhere
    async_create_issue(
        hass,
        entry,
        ISSUE_SHOWN_ELSEWHERE,
        placeholders={
            "plants": "; ".join(
                f"{listed[key].name} ({key}): {other.title}"
                for key, other in sorted(elsewhere.items())
            )
        },
    )
    return elsewhere


def _shown_by(
    hass: HomeAssistant, entry: SolarCloudConfigEntry, key: str
) -> ConfigEntry | None:
    """Return the other account that already shows this plant, if one does."""
    for device in dr.async_get(hass).async_get_devices(
        identifiers={device_identifier(Vendor.SMA, key)}
    ):
        if device.config_entry_id != entry.entry_id and (
            other := hass.config_entries.async_get_entry(device.config_entry_id)
        ):
            return other
    return None
