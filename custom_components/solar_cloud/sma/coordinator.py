"""The coordinators of an SMA account.

- ``SmaInventoryCoordinator``: what the account can see (plants, their
  devices, consent and control), read hourly (every 30 minutes while the
  owner's consent is pending). An empty plant list is how SMA says that no
  owner consented (yet), so then the consent's state decides what the user
  is told.
- ``SmaPlantCoordinator``: a plant's EnergyBalance.
- ``SmaDeviceCoordinator``: the measurement sets of a plant's devices.

The measurement coordinators poll locked to the plant's upload phase
(``polling.py`` says when); the plants and devices they read are the
inventory's (``plants.py``), the lifetime counters' base is ``lifetime.py``'s.
Every coordinator of an account spends its client's call budget
(``polling.CallPlan``): polls wait for room in it, and with more plants
than it serves each reads every few intervals.
"""

from __future__ import annotations

from abc import abstractmethod
import asyncio
from collections.abc import Awaitable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import ClassVar, override

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from ..account_backoff import account_backoff
from ..api import ApiAuthenticationError, SolarCloudApiError
from ..api.appearance import AppearanceSchedule
from ..api.sma import (
    ENERGY_FLOWS,
    FEED_IN_LIMIT,
    ConsentState,
    Device,
    MeasurementField,
    MeasurementPoint,
    MeasurementSet,
    Period,
    Plant,
    SmaClient,
)
from ..const import LOGGER
from ..coordinator import SolarCloudCoordinator
from ..entity import async_remove_stale_devices
from ..issues import async_create_issue, async_delete_issue
from ..runtime import SolarCloudConfigEntry, account_log_name
from .const import (
    CONF_FLOW,
    CONF_LOGIN_HINT,
    CONSENT_INTERVAL,
    DEVICE_INTERVAL,
    DEVICE_RETRY,
    INVENTORY_INTERVAL,
    LATE_DATA,
    PLANT_INTERVAL,
    SmaFlow,
)
from .lifetime import LifetimeBase
from .plants import (
    DEVICE_SETS,
    SmaAccountPlants,
    SmaDevice,
    SmaPlant,
    async_shown_elsewhere,
)
from .polling import (
    CALL_WINDOW,
    CallPlan,
    Demand,
    DeviceData,
    SetRead,
    Slot,
    expected_delay,
    follow_phase,
    newest_of_all,
    second_look,
    skip_gone_days,
    wait_for_balance,
)


async def gather_all[T](calls: Iterable[Awaitable[T]]) -> list[T]:
    """Return the results of ``calls``, run concurrently, in order.

    Unlike a plain gather, a failing call leaves no sibling running behind:
    all finish first, then the first error is raised.
    """
    results = await asyncio.gather(*calls, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results  # type: ignore[return-value]


# What the account sees -------------------------------------------------------

ISSUE_CONSENT_PENDING = "sma_consent_pending"
ISSUE_CONSENT_REFUSED = "sma_consent_refused"
ISSUE_NO_PLANTS = "sma_no_plants"


class SmaInventoryCoordinator(SolarCloudCoordinator[SmaAccountPlants]):
    """Read the account's plants, devices, consent and GridControl eligibility."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SolarCloudConfigEntry,
        client: SmaClient,
        *,
        plan: CallPlan | None = None,
    ) -> None:
        """Read hourly; ``plan``: the client's call budget, told what it cost."""
        super().__init__(hass, entry, name="plants", update_interval=INVENTORY_INTERVAL)
        self.client = client
        self.plan = plan
        self.calls = 0
        """Calls of the running (or last) read."""
        self._admitted = 0
        self._interval: timedelta | None = None
        """The update interval a read held for the budget replaced."""
        self._sets: dict[str, frozenset[str]] = {}
        self._eligible: dict[str, frozenset[str]] = {}
        self._known: set[str] = set()

    @override
    async def _async_fetch(self) -> SmaAccountPlants:
        # Not planned (one call per plant, hourly): it waits for room in the
        # client's budget like the measurement polls, counting on as many
        # calls as the last read made.
        now = dt_util.utcnow()
        if self._interval is not None:
            self.update_interval, self._interval = self._interval, None
        if self.plan is not None and self.data is not None:
            if (later := self.plan.admit(now, self.calls)) is not None:
                self._interval, self.update_interval = self.update_interval, later - now
                return self.data
            self._admitted = self.calls
        self.calls = 0
        try:
            return await self._async_read()
        finally:
            if self.plan is not None and self.calls > self._admitted:
                self.plan.admit(now, self.calls - self._admitted, force=True)
            self._admitted = 0

    async def _async_read(self) -> SmaAccountPlants:
        self.calls += 1
        listed = await self._async_keyed(await self.client.plants())
        if not listed:
            return await self._async_without_plants()
        # A plant another account shows stays there; this account shows the
        # rest, possibly none: that is no reason to sign in again.
        elsewhere = async_shown_elsewhere(self.hass, self.config_entry, listed)
        plants = {key: plant for key, plant in listed.items() if key not in elsewhere}
        self.calls += len(plants)
        devices = await gather_all(self.client.devices(key) for key in plants)
        await self._async_read_sets(
            [device for found in devices for device in found if device.active]
        )
        if plants:
            await self._async_read_eligibility(plants)
        inventory = SmaAccountPlants(
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
                        for device in found
                        if device.active
                    ),
                    feed_in_control=FEED_IN_LIMIT
                    in self._eligible.get(plant.plant_id, frozenset()),
                )
                for (key, plant), found in zip(plants.items(), devices, strict=True)
            },
            shown_elsewhere={key: other.entry_id for key, other in elsewhere.items()},
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
        missing = [device for device in devices if device.device_id not in self._sets]
        self.calls += len(missing)
        found = await gather_all(
            self.client.measurement_sets(device.device_id) for device in missing
        )
        for device, sets in zip(missing, found, strict=True):
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

    async def _async_without_plants(self) -> SmaAccountPlants:
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
        self.calls += 1
        status = await self.client.consent_status(owner)
        if status.state is ConsentState.PENDING:
            if self.data is None or self.data.consent is not ConsentState.PENDING:
                LOGGER.info(
                    "%s waits for the plant owner to approve SMA's consent request",
                    account_log_name(entry),
                )
            async_create_issue(
                self.hass, entry, ISSUE_CONSENT_PENDING, placeholders={"owner": owner}
            )
            self.update_interval = CONSENT_INTERVAL
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


# The measurements of one plant -----------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PlantData:
    """A plant's newest interval and its energy counters (Wh)."""

    latest: MeasurementPoint | None
    today: Mapping[MeasurementField, float] = field(default_factory=dict)
    lifetime: Mapping[MeasurementField, float] = field(default_factory=dict)
    fields: frozenset[str] = frozenset()
    """Every field the plant reports (today or over its lifetime)."""
    resolution: timedelta | None = None
    day: date | None = None
    """The plant-local day of ``answer``."""
    answer: MeasurementSet | None = None
    """The day's EnergyBalance as read (the history import reuses it)."""


class SmaMeasurementCoordinator[DataT](SolarCloudCoordinator[DataT]):
    """A coordinator of one plant, knowing how late its data may be."""

    kind_of_data: ClassVar[str]
    """What the coordinator reads, for its name."""
    slowest_interval: ClassVar[timedelta] = timedelta()
    """Poll no more often than this, whatever the plant's cadence."""
    phase_locked: ClassVar[bool] = True
    """Poll when the next interval is expected (False: every cadence from
    the last poll, as before; kept for ``scripts/bench sma``'s comparison)."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SolarCloudConfigEntry,
        client: SmaClient,
        plant: SmaPlant,
        *,
        plan: CallPlan | None = None,
    ) -> None:
        """Read one plant at its own cadence; ``plan``: its client's call budget."""
        self.client = client
        self.plant = plant
        self.plan = plan
        self.plan_key = f"{plant.key} {self.kind_of_data}"
        self.follows: str | None = None
        """The coordinator whose intervals this one reads too."""
        self.resolution: timedelta | None = None
        self.schedule = AppearanceSchedule(self.cadence)
        """When the plant's intervals appear, learnt from the polls."""
        super().__init__(
            hass,
            entry,
            name=f"{plant.name} {self.kind_of_data}",
            update_interval=self.cadence,
            expected_delay=expected_delay(plant.kind, None),
            # The same data grows older: its entities decide anew each time
            # whether it is still current.
            always_update=True,
        )

    def _learn_resolution(self, resolution: timedelta | None) -> None:
        """Take the plant's interval length: longer intervals may be older."""
        self.resolution = resolution
        self.expected_delay = expected_delay(self.plant.kind, resolution, self.cadence)

    @property
    def slot(self) -> Slot:
        """Return which of the plant's intervals the client's budget lets it read."""
        return Slot() if self.plan is None else self.plan.slot(self.plan_key)

    @property
    def cadence(self) -> timedelta:
        """Return how often a new interval is read: never more often than it exists."""
        return self.slot.stride * max(
            PLANT_INTERVAL[self.plant.kind],
            self.slowest_interval,
            self.resolution or timedelta(),
        )

    @property
    def demand(self) -> Demand:
        """Return what the coordinator asks of its client's call budget."""
        return Demand(
            key=self.plan_key,
            plant=self.plant.key,
            period=max(PLANT_INTERVAL[self.plant.kind], self.slowest_interval)
            // CALL_WINDOW,
            calls=self.calls_per_poll,
            first=self.calls_per_poll + self.first_extra_calls,
            follows=self.follows,
        )

    first_extra_calls: ClassVar[int] = 0
    """Calls a first poll makes on top of a poll's."""

    @property
    def calls_per_poll(self) -> int:
        """Return the calls of one poll."""
        return 1

    @abstractmethod
    def _no_data(self) -> DataT:
        """Return the data of a coordinator that has not polled yet."""

    def start_later(self, delay: timedelta) -> None:
        """Poll first after ``delay`` (the budget is taken), with no data until then."""
        now = dt_util.utcnow()
        self.poll_at(now + delay, now)
        # Home Assistant's own way to set data and (re)schedule the refresh,
        # whether or not entities listen yet; nothing was read.
        self.async_set_updated_data(self._no_data())
        self.last_update_success_time = None

    def _held_for_budget(self, calls: int, now: datetime) -> bool:
        """Return whether a poll of ``calls`` waits for room in the client's budget."""
        if self.plan is None or not self.phase_locked:
            return False
        later = self.plan.admit(now, calls, force=self.data is None)
        if later is None:
            return False
        self.poll_at(later, now)
        return True

    def _lock_phase(self, latest: datetime | None) -> None:
        """Learn from the newest interval read, and set the next poll's time."""
        schedule = self.schedule
        schedule.cadence = self.cadence
        schedule.offset = self.slot.offset * CALL_WINDOW
        self.expected_delay = expected_delay(
            self.plant.kind, self.resolution, self.cadence
        )
        now = dt_util.utcnow()
        schedule.observe(now, latest)
        self._adjust_schedule(schedule)
        if not self.phase_locked:
            self.update_interval = self.cadence
            return
        self.poll_at(schedule.next_poll(now), now)

    def _adjust_schedule(self, schedule: AppearanceSchedule) -> None:
        """Adjust the schedule to what the reads can show (subclasses)."""


class SmaPlantCoordinator(SmaMeasurementCoordinator[PlantData]):
    """A plant's EnergyBalance: current power, today's and lifetime energy.

    One call per poll (the day's intervals), plus the lifetime totals at the
    plant's midnight and now and then (``lifetime.py``).
    """

    kind_of_data = "energy balance"
    first_extra_calls = 1
    """The lifetime totals."""

    @cached_property
    def _base(self) -> LifetimeBase:
        """The lifetime totals, read on the first poll."""
        return LifetimeBase(LATE_DATA[self.plant.kind])

    @override
    async def _async_fetch(self) -> PlantData:
        # A failed read polls again at the cadence, not at a retry's pace.
        self.update_interval = self.cadence
        plant = self.plant.details
        now = dt_util.utcnow()
        local_now = now.astimezone(plant.zone)
        today = local_now.date()
        calls = 2 if self._base.due(local_now) else 1
        if self._held_for_budget(calls, now):
            return self.data
        day = await self.client.energy_balance(plant, Period.DAY, day=today)
        ceiling = 2 * plant.peak_power if plant.peak_power else None
        energy_today = {
            key: energy
            for key in ENERGY_FLOWS
            if (
                energy := day.energy(
                    key,
                    ceiling=ceiling if key is MeasurementField.PV_GENERATION else None,
                )
            )
            is not None
        }
        if self._base.due(local_now):
            total = await self.client.energy_balance(plant, Period.TOTAL)
            self._base.take(total, energy_today, local_now)
        lifetime = self._base.lifetime(energy_today)
        self._learn_resolution(day.resolution)
        # Just after midnight the new day has no interval yet: the last
        # one of yesterday is still the newest.
        latest = day.latest or (self.data.latest if self.data else None)
        self._lock_phase(latest.time if latest else None)
        return PlantData(
            latest=latest,
            today={
                key: energy_today.get(key, 0.0)
                for key in ENERGY_FLOWS
                if key in lifetime or key in energy_today
            },
            lifetime=lifetime,
            fields=day.fields | frozenset(lifetime),
            resolution=day.resolution,
            day=today,
            answer=day,
        )

    @override
    def _no_data(self) -> PlantData:
        return PlantData(latest=None)

    @override
    def _adjust_schedule(self, schedule: AppearanceSchedule) -> None:
        skip_gone_days(schedule, self.plant.zone, dt_util.utcnow())


class SmaDeviceCoordinator(SmaMeasurementCoordinator[DeviceData]):
    """The newest interval of each measurement set of a plant's devices."""

    kind_of_data = "devices"
    slowest_interval = DEVICE_INTERVAL

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SolarCloudConfigEntry,
        client: SmaClient,
        plant: SmaPlant,
        *,
        phase: AppearanceSchedule | None = None,
        plan: CallPlan | None = None,
    ) -> None:
        """Read a plant's devices; ``phase``: the plant's balance's schedule.

        The devices' intervals come with the plant's upload: the balance,
        read three times as often, learns its phase sooner and follows it
        closer, so the devices are polled on it once it is known.
        """
        super().__init__(hass, entry, client, plant, plan=plan)
        self.follows = f"{plant.key} {SmaPlantCoordinator.kind_of_data}"
        self.not_supported = account_backoff(hass, entry).unsupported("sma_device_sets")
        """Sets SMA answered 404 to: left for hours (over reloads too), the
        other sets still read."""
        self.phase = phase
        self.schedule.retry = DEVICE_RETRY

    @override
    def _no_data(self) -> DeviceData:
        return {}

    @override
    def _adjust_schedule(self, schedule: AppearanceSchedule) -> None:
        follow_phase(schedule, self.phase)

    @property
    @override
    def calls_per_poll(self) -> int:
        return len(self.reads)

    @property
    def reads(self) -> list[SetRead]:
        """Return (device key, SMA device id, set) of every set to read."""
        return [
            (device.key, device.details.device_id, set_type)
            for device in self.plant.devices
            for set_type in sorted(device.sets & DEVICE_SETS)
        ]

    async def _async_read(self, device_id: str, set_type: str) -> MeasurementSet | None:
        """Return a device's newest intervals of a set; None while SMA won't serve it."""
        return await self.not_supported.async_call(
            (device_id, set_type),
            f"SMA set {set_type} of device {device_id}",
            lambda: self.client.device_measurements(
                device_id, set_type, Period.RECENT, zone=self.plant.zone
            ),
        )

    def _reads_now(self, now: datetime) -> list[SetRead] | None:
        """Return the sets a poll now reads; None: it waits (balance, budget)."""
        reads = self.reads
        if self.phase_locked and self.data is not None:
            if (
                instead := wait_for_balance(self.schedule, self.phase, now)
            ) is not None:
                self.poll_at(instead, now)
                return None
            reads = second_look(reads, self.data, self.schedule, now)
        if self._held_for_budget(len(reads), now):
            return None
        return reads

    @override
    async def _async_fetch(self) -> DeviceData:
        self.update_interval = self.cadence
        if (reads := self._reads_now(dt_util.utcnow())) is None:
            return self.data
        found = await gather_all(
            self._async_read(device_id, set_type) for _, device_id, set_type in reads
        )
        data: DeviceData = {}
        for (key, _, set_type), measurements in zip(reads, found, strict=True):
            if measurements is not None and measurements.resolution is not None:
                self._learn_resolution(measurements.resolution)
            if measurements is not None and (point := measurements.latest) is not None:
                data.setdefault(key, {})[set_type] = point
            elif self.data and set_type in self.data.get(key, {}):
                data.setdefault(key, {})[set_type] = self.data[key][set_type]
        if self.data:
            # Sets not read again (a second look for a late interval) keep theirs.
            for key, _, set_type in self.reads:
                if (point := self.data.get(key, {}).get(set_type)) is not None:
                    data.setdefault(key, {}).setdefault(set_type, point)
        self._lock_phase(newest_of_all(data, self.cadence))
        return data
