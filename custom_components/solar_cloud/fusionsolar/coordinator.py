"""The coordinators of a FusionSolar account, one per cadence.

The inventory (plants and devices) is read daily. Real-time data, alarms and
control settings are read by pollers (``api/fusionsolar/polling.py``) that
fit their calls into the account's call budget; their coordinators run them
when they say they can do something next, not at a fixed interval.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import math
from typing import Any, ClassVar, override

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from ..api import ApiPermissionError, ApiRateLimitedError
from ..api.fusionsolar import FusionSolarClient
from ..api.fusionsolar.const import Path
from ..api.fusionsolar.errors import interface_name
from ..api.fusionsolar.models import (
    Alarm,
    BatteryModeSettings,
    Device,
    DeviceKpi,
    Plant,
    PlantKpi,
    PlantsAndDevices,
    PowerControlSettings,
)
from ..api.fusionsolar.polling import (
    AlarmPoller,
    ControlStatePoller,
    Poller,
    Reading,
    async_load_inventory,
)
from ..api.fusionsolar.real_time_poller import RealTimePoller
from ..coordinator import SolarCloudCoordinator
from ..runtime import SolarCloudConfigEntry
from .connection import FusionSolarAccountState
from .const import (
    ALARM_STALE_AFTER,
    CONTROL_STALE_AFTER,
    INVENTORY_INTERVAL,
    STALE_AFTER,
)
from .devices import exposed
from .rights import FusionSolarMissingRights

# A plant list a config flow read this recently serves the setup that follows.
FLOW_LISTING_FRESH = timedelta(minutes=10)
# The soonest a refused inventory is asked for again.
_INVENTORY_RETRY = timedelta(minutes=1)


_IDLE = timedelta(hours=1)
"""How long to sleep when a poller has nothing in scope."""


class FusionSolarInventoryCoordinator(SolarCloudCoordinator[PlantsAndDevices]):
    """The account's plants and the devices of the plants in scope, daily.

    After a reload or a restart it starts from the inventory the account read
    last, if that is recent and covers the plants in scope, and reads it
    again when it is due. If Huawei refuses the lists at setup (a call too
    many: it then refuses them for up to a day), it starts from the last
    inventory of any age and reads it again when the budget allows; the
    account's other calls go on (a refusal of the whole account holds it
    only where nothing was kept: ``async_load_inventory``).
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SolarCloudConfigEntry,
        client: FusionSolarClient,
        *,
        account: FusionSolarAccountState,
        include: Collection[str] | None,
        rights: FusionSolarMissingRights,
    ) -> None:
        """Read the inventory of ``include`` (None: every plant) once a day."""
        super().__init__(
            hass,
            entry,
            name="inventory",
            update_interval=INVENTORY_INTERVAL,
            expected_delay=2 * INVENTORY_INTERVAL,
        )
        self.client = client
        self.account = account
        self.include = None if include is None else frozenset(include)
        self._rights = rights
        self._started = False

    @property
    def plants(self) -> dict[str, Plant]:
        """Return the plants in scope."""
        include = self.include
        return {
            plant.code: plant
            for plant in self.data.plants
            if include is None or plant.code in include
        }

    @property
    def devices(self) -> dict[int, Device]:
        """Return the devices shown in Home Assistant (of the plants in scope)."""
        plants = self.plants
        shown = (d for d in self.data.devices if exposed(d) and d.plant_code in plants)
        return {device.id: device for device in shown}

    def plants_with(self, types: frozenset[int]) -> list[str]:
        """Return the plants in scope that have a device of these types."""
        plants = self.plants
        return sorted(
            {
                device.plant_code
                for device in self.data.devices
                if device.type_id in types and device.plant_code in plants
            }
        )

    def _kept(self) -> tuple[PlantsAndDevices, datetime] | None:
        """Return the account's inventory and when it was read, if it will do."""
        account = self.account
        if account.inventory is None or account.inventory_at is None:
            return None
        if dt_util.utcnow() - account.inventory_at >= INVENTORY_INTERVAL:
            return None
        kept = account.inventory_include
        if kept is not None and (self.include is None or not self.include <= kept):
            return None
        return account.inventory, account.inventory_at

    async def _async_fetch(self) -> PlantsAndDevices:
        started, self._started = self._started, True
        if not started and (kept := self._kept()) is not None:
            inventory, read_at = kept
            # Read it again when it is due, not a day after the reload.
            self.update_interval = max(
                read_at + INVENTORY_INTERVAL - dt_util.utcnow(), _INVENTORY_RETRY
            )
            return inventory
        listed, self.account.flow_plants = self.account.flow_plants, None
        plants = (
            listed.value
            if listed is not None and dt_util.utcnow() - listed.at < FLOW_LISTING_FRESH
            else None
        )
        last = None if started else self.account.inventory
        try:
            inventory = await async_load_inventory(
                self.client, self.include, plants=plants, hold_account=last is None
            )
        except ApiPermissionError as err:
            self._rights.report(err)
            raise
        except ApiRateLimitedError as err:
            self.update_interval = max(
                timedelta(seconds=err.retry_after or 0), _INVENTORY_RETRY
            )
            if last is None:
                raise
            self.client.budget.size = last.size
            self.logger.info(
                "%s: the plant or device list was refused (%s); starting with "
                "the last one, read %s",
                self.name,
                err,
                self.account.inventory_at,
            )
            return last
        self.update_interval = INVENTORY_INTERVAL
        self.account.keep_inventory(inventory, self.include, dt_util.utcnow())
        self._rights.answered(_inventory_interfaces(inventory, self.include, plants))
        return inventory


def _inventory_interfaces(
    inventory: PlantsAndDevices,
    include: frozenset[str] | None,
    listed: Sequence[Plant] | None,
) -> set[str]:
    """Return the interfaces a successful inventory read had answered."""
    answered = set()
    if listed is None:
        # The plant list, or its older form where the list is refused.
        answered |= {interface_name(Path.STATIONS), interface_name(Path.STATION_LIST)}
    if any(include is None or plant.code in include for plant in inventory.plants):
        answered.add(interface_name(Path.DEV_LIST))
    return answered


class FusionSolarPollingCoordinator[PollerT: Poller, DataT](
    SolarCloudCoordinator[DataT]
):
    """Runs a poller whenever it can do something, and hands out what it has.

    A round in which every call failed fails the refresh; data already there
    stays, each plant's and device's until it is older than the expected
    delay (``FusionSolarEntity``). A round refused for the whole account
    holds the account: the poller opens its window (``Poller.async_poll``).
    """

    kind_of_data: ClassVar[str]
    """What the coordinator reads, for its name."""
    stale_after: ClassVar[timedelta]
    """The expected delay of its data."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SolarCloudConfigEntry,
        poller: PollerT,
        rights: FusionSolarMissingRights,
    ) -> None:
        """Drive ``poller``; refused and answered interfaces go to ``rights``."""
        super().__init__(
            hass,
            entry,
            name=self.kind_of_data,
            update_interval=timedelta(seconds=1),
            expected_delay=self.stale_after,
            always_update=True,
        )
        self.poller = poller
        self._rights = rights

    @abstractmethod
    def _snapshot(self) -> DataT:
        """Return the poller's data."""

    async def _async_fetch(self) -> DataT:
        try:
            outcome = await self.poller.async_poll()
        finally:
            self._plan_next_refresh()
        for _, error in outcome.errors:
            if isinstance(error, ApiPermissionError):
                self._rights.report(error)
        self._rights.answered(interface_name(job.path) for job in outcome.answered)
        if outcome.failed:
            raise outcome.errors[0][1]
        return self._snapshot()

    def _plan_next_refresh(self) -> None:
        """Wake when the poller can call next.

        Data turning stale needs no wake: the base coordinator tells the
        entities when it does.
        """
        now = dt_util.utcnow()
        if (wake := self.poller.next_wake()) is None:
            self.update_interval = _IDLE
            return
        # Home Assistant schedules on whole seconds of the loop clock.
        seconds = math.ceil((wake - now).total_seconds()) + 1
        self.update_interval = timedelta(seconds=max(1, seconds))


@dataclass(frozen=True, kw_only=True)
class FusionSolarRealTimeData:
    """Real-time KPIs of plants and devices, each with when it arrived."""

    plants: dict[str, Reading[PlantKpi]] = field(default_factory=dict)
    devices: dict[int, Reading[DeviceKpi]] = field(default_factory=dict)


class FusionSolarRealTimeCoordinator(
    FusionSolarPollingCoordinator[RealTimePoller, FusionSolarRealTimeData]
):
    """Real-time data of every plant and device, every five minutes."""

    kind_of_data = "real-time data"
    stale_after = STALE_AFTER

    @override
    def _snapshot(self) -> FusionSolarRealTimeData:
        return FusionSolarRealTimeData(
            plants=dict(self.poller.plants), devices=dict(self.poller.devices)
        )


class FusionSolarAlarmCoordinator(
    FusionSolarPollingCoordinator[AlarmPoller, dict[str, Reading[tuple[Alarm, ...]]]]
):
    """Alarms of every plant, every 30 minutes."""

    kind_of_data = "alarms"
    stale_after = ALARM_STALE_AFTER

    @override
    def _snapshot(self) -> dict[str, Reading[tuple[Alarm, ...]]]:
        return dict(self.poller.alarms)


@dataclass(frozen=True, kw_only=True)
class FusionSolarControlStateData:
    """The plants' control settings, each with when it was read or confirmed."""

    battery_modes: dict[str, Reading[BatteryModeSettings]] = field(default_factory=dict)
    power_controls: dict[str, Reading[PowerControlSettings]] = field(
        default_factory=dict
    )
    last_time_of_use: dict[str, BatteryModeSettings] = field(default_factory=dict)
    """The time-of-use settings each plant last had (to switch back to)."""
    last_limit: dict[str, PowerControlSettings] = field(default_factory=dict)
    """The kW feed-in limit each plant last had (to limit again)."""

    def diagnostics(self) -> dict[str, dict[str, Any]]:
        """Return each plant's settings."""
        return {
            code: {
                "battery_mode": _value(self.battery_modes.get(code)),
                "power_control": _value(self.power_controls.get(code)),
            }
            for code in set(self.battery_modes) | set(self.power_controls)
        }


def _value[T](reading: Reading[T] | None) -> T | None:
    return None if reading is None else reading.value


class FusionSolarControlStateCoordinator(
    FusionSolarPollingCoordinator[ControlStatePoller, FusionSolarControlStateData]
):
    """Battery working mode and feed-in control of the plants, on demand."""

    kind_of_data = "control settings"
    stale_after = CONTROL_STALE_AFTER

    @override
    def _snapshot(self) -> FusionSolarControlStateData:
        return FusionSolarControlStateData(
            battery_modes=dict(self.poller.battery_modes),
            power_controls=dict(self.poller.power_controls),
            last_time_of_use=dict(self.poller.last_time_of_use),
            last_limit=dict(self.poller.last_limit),
        )

    async def async_refresh_plant(self, plant_code: str) -> None:
        """Read a plant's settings again now (after a task)."""
        self.poller.refresh_plant(plant_code)
        await self.async_refresh()

    def confirm_battery_mode(
        self, plant_code: str, settings: BatteryModeSettings
    ) -> None:
        """Show a battery mode the plant confirmed."""
        self.poller.set_battery_mode(plant_code, settings)
        self.publish()

    def confirm_power_control(
        self, plant_code: str, settings: PowerControlSettings
    ) -> None:
        """Show a feed-in control the plant confirmed."""
        self.poller.set_power_control(plant_code, settings)
        self.publish()

    def publish(self) -> None:
        """Hand what the poller knows to the entities (after a task)."""
        self.async_set_updated_data(self._snapshot())
