"""The smart-me coordinators: the account's device list, and one per device.

The account coordinator polls ``GET /Devices`` and hands each device's values
to that device's coordinator. Realtime pushes go straight to the device's
coordinator, so a push wakes only that device's entities, whatever the size
of the account. While every device pushes (in a unit already calibrated),
the list is polled only as a safety net (every 15 minutes); as soon as one
stops, polling resumes at the configured interval, locked to the meters'
upload moments (``api/smartme/polling.py``): each poll shortly after the
meters' usual upload, on the clock, and none while no meter can have
uploaded (meters that upload every 5 or 15 minutes).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from typing import Any, ClassVar, override

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util

from ..account_backoff import account_backoff
from ..api import ApiPermissionError, ApiResponseError
from ..api.smartme import (
    SCALED_FIELDS,
    Device,
    DeviceAction,
    DeviceEnergyType,
    MeterReading,
    RealtimeDeviceData,
    SmartMeClient,
    push_changes,
)
from ..api.smartme.polling import DeviceListSchedule
from ..const import LOGGER
from ..coordinator import SolarCloudCoordinator
from ..entity import async_remove_stale_devices
from ..runtime import SolarCloudConfigEntry
from .calibration import SmartMePushCalibration
from .const import PUSH_CHECK_INTERVAL, PUSH_WINDOW, SAFETY_POLL_INTERVAL


@dataclass(frozen=True, kw_only=True)
class SmartMeAccount:
    """The devices of the account and the actions each offers."""

    devices: dict[str, Device]
    actions: dict[str, tuple[DeviceAction, ...]]


def merge_reading(
    current: MeterReading | None, polled: MeterReading, *, calibrated: bool = True
) -> MeterReading | None:
    """Return the reading to show after a poll, None to keep the current one.

    A poll older than what pushes already showed is ignored; a newer one keeps
    the values only pushes carry (frequency) rather than blanking them. Until
    the device's pushes are ``calibrated`` they leave power and energy to
    polls: an older poll still brings those (counters never going back).
    """
    if current is None:
        return polled
    if (
        polled.timestamp is not None
        and current.timestamp is not None
        and polled.timestamp < current.timestamp
    ):
        return None if calibrated else _polled_scaled_values(current, polled)
    kept = {
        item.name: getattr(current, item.name)
        for item in fields(MeterReading)
        if getattr(polled, item.name) is None
        and getattr(current, item.name) is not None
    }
    merged = replace(polled, **kept) if kept else polled
    return None if merged == current else merged


def _polled_scaled_values(
    current: MeterReading, polled: MeterReading
) -> MeterReading | None:
    changes: dict[str, Any] = {}
    for name in SCALED_FIELDS:
        value = getattr(polled, name)
        shown = getattr(current, name)
        if value is None or value == shown:
            continue
        if name.startswith("energy") and shown is not None and value < shown:
            continue
        changes[name] = value
    return replace(current, **changes) if changes else None


class SmartMeDeviceCoordinator(SolarCloudCoordinator[MeterReading]):
    """The values of one device, from polls and pushes.

    It does not poll on its own; a refresh (``homeassistant.update_entity``)
    reads just this device. Its data is as recent as the last poll of the
    device list or the last push, whichever came later.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SolarCloudConfigEntry,
        client: SmartMeClient,
        account: SmartMeAccountCoordinator,
        device: Device,
    ) -> None:
        """Start with the device as the list showed it."""
        super().__init__(
            hass,
            entry,
            name=device.name,
            update_interval=None,
            expected_delay=account.expected_delay,
        )
        self.client = client
        self.account = account
        self.device = device
        self.scale = account.calibration.scale(device.id)
        self.last_push: datetime | None = None
        self.data = device.reading
        self.changed: frozenset[str] | None = None
        """While listeners are told of a push: the fields of the reading it
        changed. None: anything may have changed, availability too."""

    @override
    async def _async_fetch(self) -> MeterReading:
        device = await self.client.device(self.device.id)
        self.device = device
        return (
            merge_reading(self.data, device.reading, calibrated=self.scale.calibrated)
            or self.data
        )

    @property
    @override
    def data_time(self) -> datetime | None:
        """Return when the device list was read or the device pushed, the later."""
        # Asked on every push by every entity of the device: kept cheap.
        latest = super().data_time
        for at in (self.account.data_time, self.last_push):
            if at is not None and (latest is None or at > latest):
                latest = at
        return latest

    @callback
    def async_apply_polled(self, device: Device) -> None:
        """Show what the device list says, unless pushes showed newer values."""
        self.device = device
        reading = merge_reading(
            self.data, device.reading, calibrated=self.scale.calibrated
        )
        if reading is not None:
            self.async_set_updated_data(reading)

    @callback
    def async_apply_push(self, push: RealtimeDeviceData) -> bool:
        """Show a push if it is newer than what is shown; return whether it was."""
        # Against the last poll: the shown reading carries a push's time, not
        # the time its counters were measured.
        if self.scale.energy_factor is None and self.scale.calibrate(
            push, self.device.reading
        ):
            LOGGER.debug(
                "%s pushes energy x %s kWh", self.name, self.scale.energy_factor
            )
            self.account.calibration.async_schedule_save()
        now = dt_util.utcnow()
        shown = self.data
        changes = push_changes(shown, push, self.scale, now=now)
        if changes is None:
            return False
        # A device that was fresh stays so: only what the push changed is news.
        if self.is_current(self.data_time):
            self.changed = frozenset(
                name for name, value in changes.items() if getattr(shown, name) != value
            )
        self.last_push = now
        reading = replace(shown, **changes)
        try:
            self.async_set_updated_data(reading)
        finally:
            self.changed = None
        return True

    @property
    def pushing(self) -> bool:
        """Return whether pushes bring this device's values.

        Until its unit is calibrated, power and energy come from polls only:
        the device does not let polling back off.
        """
        return (
            self.scale.calibrated
            and self.last_push is not None
            and dt_util.utcnow() - self.last_push < PUSH_WINDOW
        )


class SmartMeAccountCoordinator(SolarCloudCoordinator[SmartMeAccount]):
    """Poll the device list; keep one coordinator per device."""

    phase_locked: ClassVar[bool] = True
    """Poll shortly after the meters' uploads (False: every interval from the
    end of the last poll, as before; kept for ``scripts/bench smartme_poll``'s
    comparison)."""
    learn_periods: ClassVar[bool] = True
    """Leave out polls while no meter can have uploaded (False: a poll at
    every locked moment, as before meters' periods were learnt; kept for the
    benchmark's comparison)."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SolarCloudConfigEntry,
        client: SmartMeClient,
        *,
        poll_interval: timedelta,
        calibration: SmartMePushCalibration,
    ) -> None:
        """Poll every ``poll_interval`` until pushes arrive."""
        self._least_delay = max(poll_interval * 5, timedelta(minutes=10))
        super().__init__(
            hass,
            entry,
            name="devices",
            update_interval=poll_interval,
            expected_delay=self._least_delay,
        )
        self.client = client
        self.poll_interval = poll_interval
        self.calibration = calibration
        self.schedule = DeviceListSchedule(
            poll_interval, learn_periods=self.learn_periods
        )
        """When the meters upload, and when to poll while they do not push."""
        self.backed_off = False
        """Whether every device pushes: the list is polled as a safety net only."""
        self.device_coordinators: dict[str, SmartMeDeviceCoordinator] = {}
        self._actions: dict[str, tuple[DeviceAction, ...]] = {}
        self._no_actions = account_backoff(hass, entry).unsupported("smartme_actions")
        """Meters smart-me answered 404 to for their actions: asked again in
        hours (over reloads too)."""

    @override
    async def _async_fetch(self) -> SmartMeAccount:
        started = dt_util.utcnow()
        devices = {device.id: device for device in await self.client.devices()}
        self.schedule.observe(
            {key: device.reading.timestamp for key, device in devices.items()},
            dt_util.utcnow(),
        )
        # Polls as far apart as the slowest cadence the meters allow: data
        # stays current over two of them.
        self.expected_delay = max(
            self._least_delay, 2 * self.schedule.longest_gap(dt_util.utcnow())
        )
        for device_id, device in devices.items():
            if device_id not in self._actions or self._no_actions.due(device_id):
                self._actions[device_id] = await self._async_actions(device)
            if (coordinator := self.device_coordinators.get(device_id)) is None:
                self.device_coordinators[device_id] = SmartMeDeviceCoordinator(
                    self.hass, self.config_entry, self.client, self, device
                )
            else:
                coordinator.expected_delay = self.expected_delay
                coordinator.async_apply_polled(device)
        for device_id in set(self.device_coordinators) - set(devices):
            del self.device_coordinators[device_id]
            self._actions.pop(device_id, None)
        self.calibration.async_keep_only(devices)
        async_remove_stale_devices(self.hass, self.config_entry, set(devices))
        self.async_check_pushing(refresh=False)
        if not self.backed_off:
            self._async_plan_poll(started)
        return SmartMeAccount(
            devices=devices, actions={key: self._actions[key] for key in devices}
        )

    async def _async_actions(self, device: Device) -> tuple[DeviceAction, ...]:
        """Return what a meter can switch; nothing if smart-me won't say."""
        if device.energy_type is not DeviceEnergyType.ELECTRICITY:
            return ()
        try:
            actions = await self._no_actions.async_call(
                device.id,
                f"smart-me actions of {device.name}",
                lambda: self.client.actions(device.id),
            )
        except (ApiPermissionError, ApiResponseError) as err:
            LOGGER.debug("No actions for %s: %s", device.name, err)
            return ()
        return () if actions is None else tuple(actions)

    @property
    def poll_period(self) -> timedelta:
        """Return how often the device list is polled now."""
        if self.backed_off:
            return SAFETY_POLL_INTERVAL
        return self.schedule.period if self.phase_locked else self.poll_interval

    @callback
    def _async_plan_poll(self, started: datetime) -> None:
        """Set the next poll's time: shortly after the meters' next upload."""
        if not self.phase_locked:
            self.update_interval = self.poll_interval
            return
        now = dt_util.utcnow()
        due = self.schedule.next_read(now, started)
        self.poll_at(due, now)

    @callback
    def async_check_pushing(self, *, refresh: bool = True) -> None:
        """Poll as a safety net only while every device pushes.

        When pushes stop, poll at once (``refresh``): the next safety poll
        may be far away.
        """
        pushing = bool(self.device_coordinators) and all(
            coordinator.pushing for coordinator in self.device_coordinators.values()
        )
        if pushing == self.backed_off:
            return
        LOGGER.debug(
            "%s: %s",
            self.name,
            "pushes arrive, polling backs off" if pushing else "polling resumes",
        )
        self.backed_off = pushing
        self.update_interval = SAFETY_POLL_INTERVAL if pushing else self.poll_interval
        if refresh and not pushing:
            self.config_entry.async_create_background_task(
                self.hass, self.async_request_refresh(), f"{self.name} resume polling"
            )

    @callback
    def async_watch_pushes(self) -> None:
        """Check every minute whether pushes stopped."""

        @callback
        def _check(now: datetime) -> None:
            if self.backed_off:
                self.async_check_pushing()

        self.config_entry.async_on_unload(
            async_track_time_interval(self.hass, _check, PUSH_CHECK_INTERVAL)
        )

    @callback
    def async_note_push(self) -> None:
        """Back off polling once pushes cover every device."""
        if not self.backed_off:
            self.async_check_pushing()
