"""The coordinators of an SMA account.

- ``SmaInventoryCoordinator``: what the account can see (plants, their
  devices, consent and control), read hourly (every 30 minutes while the
  owner's consent is pending). An empty plant list is how SMA says that no
  owner consented (yet), so then the consent's state decides what the user
  is told. The reading is ``plants.SmaAccountReader``'s; the coordinator
  decides when.
- ``SmaMeasurementCoordinator``: the base of the two below, of one plant.
- ``SmaPlantCoordinator``: a plant's EnergyBalance (``polling.PlantData``).
- ``SmaDeviceCoordinator``: the measurement sets of a plant's devices
  (``polling.DeviceData``).

The measurement coordinators poll locked to the plant's upload phase
(``polling.py`` says when, and holds what they return); the plants and
devices they read are the inventory's (``plants.py``), the lifetime
counters' base is ``lifetime.py``'s.
Every coordinator of an account spends its client's call budget
(``polling.CallPlan``): polls wait for room in it, and with more plants
than it serves each reads every few intervals.

Over 500 lines on purpose: the map's one file of a vendor's coordinators
(CONTRIBUTING.md); what the coordinators use has its own module
(``plants.py`` reads, ``polling.py`` schedules, ``lifetime.py`` counts).
"""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime, timedelta
from functools import cached_property
from typing import ClassVar, override

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from ..account_backoff import account_backoff
from ..api.appearance import AppearanceSchedule
from ..api.sma import (
    ENERGY_FLOWS,
    ConsentState,
    MeasurementField,
    MeasurementSet,
    Period,
    SmaClient,
)
from ..coordinator import SolarCloudCoordinator
from ..entity import async_remove_stale_devices
from ..runtime import SolarCloudConfigEntry
from .const import (
    CONSENT_INTERVAL,
    DEVICE_INTERVAL,
    DEVICE_RETRY,
    INVENTORY_INTERVAL,
    LATE_DATA,
    PLANT_INTERVAL,
)
from .lifetime import LifetimeBase
from .plants import (
    DEVICE_SETS,
    ReadBudget,
    SmaAccountPlants,
    SmaAccountReader,
    SmaPlant,
)
from .polling import (
    BATCH_GAP,
    CALL_WINDOW,
    EXPECTED_SETS,
    CallPlan,
    Demand,
    DeviceData,
    PlantData,
    SetRead,
    Slot,
    expected_delay,
    follow_phase,
    gather_all,
    newest_of_all,
    second_look,
    skip_gone_days,
    wait_for_balance,
)

# What the account sees -------------------------------------------------------


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
        self.reader = SmaAccountReader(hass, entry, client)
        self._interval: timedelta | None = None
        """The update interval a read held for the budget replaced."""

    @override
    async def _async_fetch(self) -> SmaAccountPlants:
        # Not planned (one call per plant, hourly): it waits for room in the
        # client's budget like the measurement polls, counting on as many
        # calls as the last read made. An account too large for one window
        # reads its plants' devices in batches, as the budget makes room.
        now = dt_util.utcnow()
        if self._interval is not None:
            self.update_interval, self._interval = self._interval, None
        if self.plan is None:
            inventory = await self.reader.async_read(self.data)
        elif self.data is not None and self._held(self.plan, now):
            return self.data
        else:
            inventory = await self._async_read_planned(self.plan, now)
        if inventory.consent is ConsentState.PENDING:
            self.update_interval = CONSENT_INTERVAL
            return inventory
        if self.reader.reading and self.plan is not None:
            # The next batch when the window has room for it.
            moment = self.plan.free_at(now, self.reader.next_calls)
            self.poll_at(max(moment, now + BATCH_GAP), now)
            return inventory
        if not inventory.unread:
            async_remove_stale_devices(
                self.hass, self.config_entry, inventory.device_keys()
            )
        self.update_interval = INVENTORY_INTERVAL
        return inventory

    def _held(self, plan: CallPlan, now: datetime) -> bool:
        """Return whether the read waits for room in the client's budget."""
        reader = self.reader
        if reader.reading:
            if self._room(plan, now) >= reader.next_calls:
                return False
            # As soon as the window has room (like a held poll), else again
            # a little later (the balances' first polls still to come).
            later = plan.free_at(now, reader.next_calls + sum(plan.waiting.values()))
            self.poll_at(later if later > now else now + BATCH_GAP, now)
            return True
        if (later := plan.free_at(now, reader.next_calls)) <= now:
            return False
        self._interval, self.update_interval = self.update_interval, later - now
        return True

    async def _async_read_planned(
        self, plan: CallPlan, now: datetime
    ) -> SmaAccountPlants:
        """Read within the client's budget.

        Its calls are counted before they are made (the measurement polls
        that run meanwhile see them), then corrected to those made.
        """
        reader, room = self.reader, self._room(plan, now)
        counted = max(room, reader.next_calls)
        plan.admit(now, counted, force=True)
        try:
            if reader.reading and self.data is not None:
                return await reader.async_read_more(room)
            return await reader.async_read(
                self.data,
                ReadBudget(room=room, whole=max(room, reader.next_calls))
                if self.data is not None
                else ReadBudget(
                    room=room,
                    whole=plan.ceiling,
                    per_plant=SmaPlantCoordinator.first_calls,
                ),
            )
        finally:
            plan.settle(now, counted, reader.calls)

    def _room(self, plan: CallPlan, now: datetime) -> int:
        """Return the calls a read of devices may make now.

        Plants first: the first polls still to come (power) keep their
        room; plants already read keep a window's spare calls for their
        polls' second looks.
        """
        room = plan.room(now) - sum(plan.waiting.values())
        if self.data is not None and not self.data.unread:
            room = min(room, plan.spare)
        return max(room, 0)


# The measurements of one plant -----------------------------------------------


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
        if self.plan is not None and self.follows is None:
            # Plants first: a balance's first poll keeps its room from reads
            # of more devices.
            self.plan.waiting[self.plan_key] = self.demand.first
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
            self.plan.waiting.pop(self.plan_key, None)
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
    first_calls = 2
    """The calls of a first poll: the day and the lifetime totals."""

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

    @classmethod
    def expected_demand(cls, plant: SmaPlant) -> Demand:
        """Return what the devices of a plant not read yet are expected to ask.

        An inverter's two sets: planned for before its devices are read.
        """
        return Demand(
            key=f"{plant.key} {cls.kind_of_data}",
            plant=plant.key,
            period=max(PLANT_INTERVAL[plant.kind], cls.slowest_interval) // CALL_WINDOW,
            calls=EXPECTED_SETS,
            first=EXPECTED_SETS,
            follows=f"{plant.key} {SmaPlantCoordinator.kind_of_data}",
        )

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
