"""What an SMA account can see: plants, their devices, consent and control.

Read hourly (every 30 minutes while the owner's consent is pending). An
empty plant list is how SMA says that no owner consented (yet), so then the
consent's state decides what the user is told.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import override

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from ..api import ApiAuthenticationError, SolarCloudApiError
from ..api.sma import FEED_IN_LIMIT, ConsentState, Device, Plant, SmaClient
from ..const import LOGGER, Vendor
from ..coordinator import SolarCloudCoordinator
from ..entity import async_remove_stale_devices, device_identifier
from ..issues import async_create_issue, async_delete_issue
from ..runtime import SolarCloudConfigEntry
from .concurrency import gather_all
from .const import (
    CONF_FLOW,
    CONF_LOGIN_HINT,
    CONSENT_INTERVAL,
    INVENTORY_INTERVAL,
    SmaFlow,
)

ISSUE_CONSENT_PENDING = "sma_consent_pending"
ISSUE_CONSENT_REFUSED = "sma_consent_refused"
ISSUE_NO_PLANTS = "sma_no_plants"


@dataclass(frozen=True, kw_only=True)
class SmaDevice:
    """A device of a plant and the measurement sets it reports."""

    key: str
    """The device's key in Home Assistant: plant key and SMA device id."""
    device: Device
    sets: frozenset[str]


@dataclass(frozen=True, kw_only=True)
class SmaPlant:
    """A plant, its active devices and whether it takes a feed-in limit."""

    key: str
    """The plant's key in Home Assistant: its first SMA id, kept when moved."""
    plant: Plant
    devices: tuple[SmaDevice, ...] = ()
    feed_in_control: bool = False


@dataclass(frozen=True, kw_only=True)
class Inventory:
    """The plants an account sees, and its consent state when it sees none."""

    plants: Mapping[str, SmaPlant] = field(default_factory=dict)
    consent: ConsentState | None = None

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
        """Return the keys of every plant and device."""
        return {
            key
            for plant in self.plants.values()
            for key in (plant.key, *(device.key for device in plant.devices))
        }


class SmaInventoryCoordinator(SolarCloudCoordinator[Inventory]):
    """Read the account's plants, devices, consent and GridControl eligibility."""

    def __init__(
        self, hass: HomeAssistant, entry: SolarCloudConfigEntry, client: SmaClient
    ) -> None:
        """Read hourly."""
        super().__init__(hass, entry, name="plants", update_interval=INVENTORY_INTERVAL)
        self.client = client
        self._sets: dict[str, frozenset[str]] = {}
        self._eligible: dict[str, frozenset[str]] = {}
        self._known: set[str] = set()

    @override
    async def _async_fetch(self) -> Inventory:
        plants = {
            key: plant
            for key, plant in (
                await self._async_keyed(await self.client.plants())
            ).items()
            if not self._shown_elsewhere(key)
        }
        if not plants:
            return await self._async_without_plants()
        devices = await gather_all(self.client.devices(key) for key in plants)
        await self._async_read_sets(
            [device for found in devices for device in found if device.active]
        )
        await self._async_read_eligibility(plants)
        inventory = Inventory(
            plants={
                key: SmaPlant(
                    key=key,
                    plant=plant,
                    devices=tuple(
                        SmaDevice(
                            key=f"{key}_{device.device_id}",
                            device=device,
                            sets=self._sets[device.device_id],
                        )
                        for device in found
                        if device.active
                    ),
                    feed_in_control=FEED_IN_LIMIT
                    in self._eligible.get(plant.plant_id, frozenset()),
                )
                for (key, plant), found in zip(plants.items(), devices, strict=True)
            }
        )
        for issue in (ISSUE_CONSENT_PENDING, ISSUE_CONSENT_REFUSED, ISSUE_NO_PLANTS):
            async_delete_issue(self.hass, self.config_entry, issue)
        async_remove_stale_devices(
            self.hass, self.config_entry, inventory.device_keys()
        )
        self.update_interval = INVENTORY_INTERVAL
        return inventory

    async def _async_keyed(self, listed: list[Plant]) -> dict[str, Plant]:
        """Return the plants by key: the id Home Assistant first knew them by."""
        moved_from = {new: old for old, new in self.client.plant_migrations.items()}
        plants = {
            moved_from.get(plant.plant_id, plant.plant_id): plant for plant in listed
        }
        by_id = {plant.plant_id: key for key, plant in plants.items()}
        for key in self._known - plants.keys():
            # SMA may list a moved plant under its new id only; asking for the
            # old id answers 308, which teaches the client the move.
            try:
                await self.client.plant(key)
            except SolarCloudApiError:
                continue
            new_id = self.client.plant_migrations.get(key)
            if new_id is not None and (listed_key := by_id.get(new_id)) in plants:
                plants[key] = plants.pop(listed_key)
        self._known = set(plants)
        return plants

    def _shown_elsewhere(self, key: str) -> bool:
        """Return whether another account already shows this plant.

        The custom flow's token is the client's: it reads the plants of every
        owner who consented to the client, not only this account's owner, and
        SMA does not say whose a plant is. Each plant is shown once, by the
        account that showed it first.
        """
        return any(
            device.config_entry_id != self.config_entry.entry_id
            for device in dr.async_get(self.hass).async_get_devices(
                identifiers={device_identifier(Vendor.SMA, key)}
            )
        )

    async def _async_read_sets(self, devices: list[Device]) -> None:
        # Which sets a device reports changes with its hardware, not by the
        # hour: each device is asked once per setup.
        missing = [device for device in devices if device.device_id not in self._sets]
        found = await gather_all(
            self.client.measurement_sets(device.device_id) for device in missing
        )
        for device, sets in zip(missing, found, strict=True):
            self._sets[device.device_id] = sets

    async def _async_read_eligibility(self, plants: Mapping[str, Plant]) -> None:
        try:
            self._eligible = await self.client.eligible_commands(
                [plant.plant_id for plant in plants.values()]
            )
        except SolarCloudApiError as err:
            # GridControl is a separate licence with a host SMA does not
            # publish: without it, plants simply get no feed-in control.
            LOGGER.debug("SMA GridControl eligibility unknown: %s", err)

    async def _async_without_plants(self) -> Inventory:
        """Tell why SMA shows no plant: waiting for the owner, or ask again.

        Nothing recorded is deleted: the devices stay, and a reauth flow asks
        the owner again (custom flow) or signs in again (code flow).
        """
        entry = self.config_entry
        if entry.data[CONF_FLOW] != SmaFlow.CUSTOM:
            async_create_issue(self.hass, entry, ISSUE_NO_PLANTS)
            raise ApiAuthenticationError(
                "SMA shows no plant to this sign-in", reason="sma_no_plants"
            )
        owner = entry.data[CONF_LOGIN_HINT]
        status = await self.client.consent_status(owner)
        if status.state is ConsentState.PENDING:
            if self.data is None or self.data.consent is not ConsentState.PENDING:
                LOGGER.info("Waiting for %s to approve SMA's consent request", owner)
            async_create_issue(
                self.hass, entry, ISSUE_CONSENT_PENDING, placeholders={"owner": owner}
            )
            self.update_interval = CONSENT_INTERVAL
            return Inventory(consent=status.state)
        async_delete_issue(self.hass, entry, ISSUE_CONSENT_PENDING)
        if status.state is ConsentState.ACCEPTED:
            async_create_issue(self.hass, entry, ISSUE_NO_PLANTS)
            raise ApiAuthenticationError(
                f"{owner} consented, but SMA shows no plant", reason="sma_no_plants"
            )
        async_create_issue(
            self.hass,
            entry,
            ISSUE_CONSENT_REFUSED,
            placeholders={"owner": owner, "state": status.state.value},
        )
        raise ApiAuthenticationError(
            f"{owner} has not given consent (state {status.state})",
            reason="sma_consent_refused",
        )
