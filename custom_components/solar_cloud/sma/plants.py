"""What an SMA account shows in Home Assistant: its plants and their devices.

:class:`SmaAccountReader` reads them (the plant list, plants moved to a new
id, each device's measurement sets, GridControl eligibility) and, when SMA
lists no plant, tells the user why (consent pending or refused, no plant:
repair issues); the inventory coordinator (``coordinator.py``) decides when
and spends the call budget. Devices (``devices.py``), entities and the
measurement coordinators are made from them. A plant another account
already shows is not shown again (:func:`async_shown_elsewhere`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import tzinfo

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr

from ..api import ApiAuthenticationError, SolarCloudApiError
from ..api.sma import (
    FEED_IN_LIMIT,
    ConsentState,
    Device,
    Plant,
    PlantKind,
    SetType,
    SmaClient,
)
from ..const import LOGGER, Vendor
from ..entity import device_identifier
from ..issues import async_create_issue, async_delete_issue
from ..runtime import SolarCloudConfigEntry, account_log_name
from .const import CONF_FLOW, CONF_LOGIN_HINT, SmaFlow
from .polling import gather_all

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
    unread: frozenset[str] = frozenset()
    """Plants whose devices have not been read yet (no devices so far): a
    large account's devices are read in batches its call budget takes."""

    @property
    def shape(self) -> dict[str, PlantShape]:
        """Return what decides the entities: plants, control, devices and sets.

        A plant whose devices are unread has None for them.
        """
        return {
            plant.key: (
                plant.feed_in_control,
                None
                if plant.key in self.unread
                else frozenset((device.key, device.sets) for device in plant.devices),
            )
            for plant in self.plants.values()
        }

    def reshaped(self, shape: Mapping[str, PlantShape]) -> bool:
        """Return whether the entities differ from those of ``shape``.

        Devices read since (a large account's batches) change nothing: they
        are added as they come.
        """
        now = self.shape
        return now.keys() != shape.keys() or any(
            control != shape[key][0]
            or (devices is not None and shape[key][1] not in (None, devices))
            for key, (control, devices) in now.items()
        )

    def device_keys(self) -> set[str]:
        """Return the keys of every plant, and of every device that has entities."""
        return {
            key
            for plant in self.plants.values()
            for key in (plant.key, *(device.key for device in plant.shown_devices))
        }


type PlantShape = tuple[bool, frozenset[tuple[str, frozenset[str]]] | None]
"""A plant's feed-in control and its devices' keys and sets (None: unread)."""


@dataclass(frozen=True)
class ReadBudget:
    """The calls a read of the account may make (``polling.CallPlan``).

    The whole read goes at once when it fits ``whole``; a larger one reads
    the plant list and as many plants' devices as ``room`` takes, the rest
    in later reads (``SmaAccountReader.reading``).
    """

    room: int
    whole: int
    """The most calls a read makes at once (at setup a window's: a small
    account is read whole even right after another setup)."""
    per_plant: int = 0
    """Calls of the room each plant keeps (at setup: its first poll, so
    that power is shown before the devices are read)."""


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


# Reading what the account sees ------------------------------------------------

ISSUE_CONSENT_PENDING = "sma_consent_pending"
ISSUE_CONSENT_REFUSED = "sma_consent_refused"
ISSUE_NO_PLANTS = "sma_no_plants"


@dataclass(eq=False)
class SmaAccountReader:
    """Read the account's plants, devices, consent and GridControl eligibility.

    The inventory coordinator decides when and how many calls a read may
    make (``ReadBudget``); this reads, and keeps between reads what does not
    change by the hour: the sets each device reports and the id Home
    Assistant first knew each plant by. A plant's devices cost a call (and
    one per device new to it); more than a window takes are read in batches
    (``async_read_more``), the plants not read yet first.
    """

    hass: HomeAssistant
    entry: SolarCloudConfigEntry
    client: SmaClient
    calls: int = field(default=0, init=False)
    """Calls of the running (or last) read."""
    _sets: dict[str, frozenset[str]] = field(default_factory=dict, init=False)
    _eligible: dict[str, frozenset[str]] = field(default_factory=dict, init=False)
    _known: set[str] = field(default_factory=set, init=False)
    _plants: dict[str, Plant] = field(default_factory=dict, init=False)
    """The plants this account shows, by key, as the plant list last said."""
    _elsewhere: dict[str, str] = field(default_factory=dict, init=False)
    _devices: dict[str, tuple[Device, ...]] = field(default_factory=dict, init=False)
    """Each plant's active devices, as last read."""
    _due: list[str] = field(default_factory=list, init=False)
    """Plants whose devices this round has still to read, in turn."""
    _listed: dict[str, tuple[Device, ...]] = field(default_factory=dict, init=False)
    """Devices read this round whose sets are still to read."""
    _batched: bool = field(default=False, init=False)
    """The last read was too large for one window: read in batches."""

    @property
    def reading(self) -> bool:
        """Return whether plants' devices are left for later reads."""
        return bool(self._due)

    @property
    def next_calls(self) -> int:
        """Return the calls the next read makes at least (to wait for room).

        A whole read as many as the last; a batched one the plant list, the
        eligibility and one plant's devices; a read of more devices the next
        plant's.
        """
        if self._due:
            return self._cost(self._due[0])
        return 3 if self._batched else self.calls

    async def async_read(
        self, last: SmaAccountPlants | None, budget: ReadBudget | None = None
    ) -> SmaAccountPlants:
        """Return what the account sees now; ``last``: what it saw before.

        Without a ``budget``, every plant's devices at once.
        """
        self.calls = 1
        listed = await self._async_keyed(await self.client.plants())
        if not listed:
            self._due, self._listed = [], {}
            return await self._async_without_plants(last)
        # A plant another account shows stays there; this account shows the
        # rest, possibly none: that is no reason to sign in again.
        elsewhere = async_shown_elsewhere(self.hass, self.entry, listed)
        self._elsewhere = {key: other.entry_id for key, other in elsewhere.items()}
        self._plants = {
            key: plant for key, plant in listed.items() if key not in elsewhere
        }
        self._devices = {
            key: devices
            for key, devices in self._devices.items()
            if key in self._plants
        }
        # The plants never read first, then the others in turn.
        self._due = sorted(self._plants, key=lambda key: key in self._devices)
        self._listed = {}
        if self._plants:
            await self._async_read_eligibility(self._plants)
        whole = self.calls + sum(self._cost(key) for key in self._due)
        self._batched = budget is not None and whole > budget.whole
        await self._async_read_devices(
            budget.room - budget.per_plant * len(self._plants)
            if budget is not None and self._batched
            else None
        )
        for issue in (ISSUE_CONSENT_PENDING, ISSUE_CONSENT_REFUSED, ISSUE_NO_PLANTS):
            async_delete_issue(self.hass, self.entry, issue)
        return self._inventory()

    async def async_read_more(self, budget: int) -> SmaAccountPlants:
        """Read the devices of the next plants ``budget`` calls take."""
        self.calls = 0
        await self._async_read_devices(budget)
        return self._inventory()

    def _cost(self, key: str) -> int:
        """Return the calls a plant's devices take: its list and new sets."""
        known = self._listed.get(key, self._devices.get(key))
        if known is None:
            return 2  # the list and (likely) one device's sets
        new = sum(1 for device in known if device.device_id not in self._sets)
        return new + (key not in self._listed)

    async def _async_read_devices(self, budget: int | None) -> None:
        """Read the due plants' devices and their new sets, within ``budget``.

        Lists first, then the sets of what they showed; what a batch leaves
        (sets that did not fit) the next read finishes before new lists.
        """
        while self._due:
            left = None if budget is None else budget - self.calls
            if left is not None and left <= 0:
                return
            pending = [
                device
                for key in self._due
                for device in self._listed.get(key, ())
                if device.device_id not in self._sets
            ][:left]
            if pending:
                await self._async_read_sets(pending)
                self._finish_listed()
                continue
            self._finish_listed()
            batch: list[str] = []
            # Every plant listed so far is complete (no sets pending).
            for key in self._due:
                # A batch takes what fits; its first plant's list at least
                # (the sets that do not fit come next time).
                if left is not None and batch and self._cost(key) > left:
                    break
                batch.append(key)
                if left is not None:
                    left -= self._cost(key)
            if not batch:
                return
            self.calls += len(batch)
            found = await gather_all(self.client.devices(key) for key in batch)
            for key, devices in zip(batch, found, strict=True):
                self._listed[key] = tuple(device for device in devices if device.active)

    def _finish_listed(self) -> None:
        """Take the listed plants whose every device's sets are known."""
        for key, devices in list(self._listed.items()):
            if all(device.device_id in self._sets for device in devices):
                self._devices[key] = self._listed.pop(key)
                self._due.remove(key)

    def _inventory(self) -> SmaAccountPlants:
        return SmaAccountPlants(
            plants={
                key: SmaPlant(
                    key=key,
                    details=plant,
                    devices=tuple(
                        SmaDevice(
                            key=f"{key}_{device.device_id}",
                            details=device,
                            sets=self._sets[device.device_id],
                        )
                        for device in self._devices.get(key, ())
                    ),
                    feed_in_control=FEED_IN_LIMIT
                    in self._eligible.get(plant.plant_id, frozenset()),
                )
                for key, plant in self._plants.items()
            },
            shown_elsewhere=self._elsewhere,
            unread=frozenset(self._plants.keys() - self._devices.keys()),
        )

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
            self.calls += 1
            try:
                await self.client.plant(key)
            except SolarCloudApiError:
                continue
            new_id = self.client.plant_migrations.get(key)
            if new_id is not None and (listed_key := by_id.get(new_id)) in plants:
                plants[key] = plants.pop(listed_key)
        self._known = set(plants)
        return plants

    async def _async_read_sets(self, devices: list[Device]) -> None:
        # Which sets a device reports changes with its hardware, not by the
        # hour: each device is asked once per setup.
        self.calls += len(devices)
        found = await gather_all(
            self.client.measurement_sets(device.device_id) for device in devices
        )
        for device, sets in zip(devices, found, strict=True):
            self._sets[device.device_id] = sets

    async def _async_read_eligibility(self, plants: Mapping[str, Plant]) -> None:
        self.calls += 1
        try:
            self._eligible = await self.client.eligible_commands(
                [plant.plant_id for plant in plants.values()]
            )
        except SolarCloudApiError as err:
            # GridControl is a separate licence with a host SMA does not
            # publish: without it, plants simply get no feed-in control.
            LOGGER.debug("SMA GridControl eligibility unknown: %s", err)

    async def _async_without_plants(
        self, last: SmaAccountPlants | None
    ) -> SmaAccountPlants:
        """Tell why SMA shows no plant: waiting for the owner, or ask again.

        Nothing recorded is deleted: the devices stay, and a reauth flow asks
        the owner again (custom flow) or signs in again (code flow).
        """
        entry = self.entry
        if entry.data[CONF_FLOW] != SmaFlow.CUSTOM:
            async_create_issue(self.hass, entry, ISSUE_NO_PLANTS)
            raise ApiAuthenticationError(
                "SMA shows no plant to this sign-in", reason="sma_no_plants"
            )
        owner = entry.data[CONF_LOGIN_HINT]
        self.calls += 1
        status = await self.client.consent_status(owner)
        if status.state is ConsentState.PENDING:
            if last is None or last.consent is not ConsentState.PENDING:
                LOGGER.info(
                    "%s waits for the plant owner to approve SMA's consent request",
                    account_log_name(entry),
                )
            async_create_issue(
                self.hass, entry, ISSUE_CONSENT_PENDING, placeholders={"owner": owner}
            )
            return SmaAccountPlants(consent=status.state)
        async_delete_issue(self.hass, entry, ISSUE_CONSENT_PENDING)
        if status.state is ConsentState.ACCEPTED:
            async_create_issue(self.hass, entry, ISSUE_NO_PLANTS)
            raise ApiAuthenticationError(
                f"The owner of {account_log_name(entry)} consented, but SMA shows "
                "no plant",
                reason="sma_no_plants",
            )
        async_create_issue(
            self.hass,
            entry,
            ISSUE_CONSENT_REFUSED,
            placeholders={"owner": owner, "state": status.state.value},
        )
        # Not the owner's e-mail: this message is logged and in diagnostics.
        raise ApiAuthenticationError(
            f"The owner of {account_log_name(entry)} has not given consent "
            f"(state {status.state})",
            reason="sma_consent_refused",
        )
