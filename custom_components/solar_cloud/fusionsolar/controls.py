"""Control tasks: deliver, follow in the background, then show what the plant confirmed.

FusionSolar runs a setting change as an asynchronous task: it is delivered,
reported RUNNING while the plant's controller applies it, then SUCCESS or
FAIL (FAILURE, TIMEOUT, BUSY, INVALID or EXCEPTION). A change returns once
the task is delivered; the entities show it as pending (``..controls``) while
the task is followed in the background, by short jobs on Home Assistant's
clock. Huawei asks not to deliver another task for the plant, nor to ask
about the task over and over, before it is done; so one task per plant and
kind runs at a time, and its state is asked with a growing pause. A failed
query is asked again after a longer pause; when the outcome cannot be
learned, the plant's settings are read again and shown.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import partial
from typing import Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, ServiceResponse, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import async_call_later
from homeassistant.util import dt as dt_util

from ..actions import invalid
from ..api.errors import ApiRateLimitedError, SolarCloudApiError
from ..api.fusionsolar import FusionSolarClient
from ..api.fusionsolar.const import (
    BatteryMode,
    ChargeDischargeSwitch,
    TaskFailure,
    TaskStatus,
)
from ..api.fusionsolar.models import (
    SETTINGS_OF_TASK,
    BatteryConfiguration,
    BatteryModeSettings,
    ControlSettings,
    PowerControlSettings,
    TaskDelivery,
    TaskInfo,
    TaskType,
)
from ..api.fusionsolar.values import as_datetime_iso, as_dict
from ..const import DOMAIN, LOGGER
from ..controls import PendingChange, PendingControls
from ..error_mapping import translate_action_errors
from ..runtime import SolarCloudConfigEntry
from .connection import FusionSolarAccountState
from .const import VENDOR
from .coordinator import FusionSolarControlStateCoordinator

TASK_POLL_DELAYS: tuple[float, ...] = (5, 10, 15, 30, 60, 60, 60, 60, 60, 60, 60, 60)
"""Seconds between asking about a running task: nine minutes in all."""
TASK_RETRY_DELAYS: tuple[float, ...] = (30, 60, 120)
"""Seconds before asking again after a failed task query; then it is given up."""
WAIT_AT_MOST = sum(TASK_POLL_DELAYS) + sum(TASK_RETRY_DELAYS)
"""The longest a task is followed, and an action with ``wait: true`` waits
(seconds, 12½ minutes): the queries' pauses and those after failed queries."""

_FAILURES: dict[str, str] = {
    TaskFailure.TIMEOUT: "fusionsolar_task_timeout",
    TaskFailure.BUSY: "fusionsolar_task_busy",
    TaskFailure.INVALID: "fusionsolar_task_invalid",
}


class ControlState(StrEnum):
    """Where a change stands, as the actions answer it (documented names)."""

    PENDING = "pending"
    CONFIRMED = "confirmed"


_SHOWN_BY: dict[TaskType, tuple[str, str]] = {
    TaskType.BATTERY_MODE: ("select", "battery_working_mode"),
    TaskType.FEED_IN: ("select", "feed_in_control"),
}
"""The entity (platform, key) whose logbook tells of a failed task of the kind."""


def _failure(reason: str | None, plant: str) -> HomeAssistantError:
    key = _FAILURES.get(reason or "", "fusionsolar_task_failed")
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={
            "plant": plant,
            "reason": reason or TaskFailure.FAILURE,
        },
    )


def pending_key(kind: TaskType, plant: str) -> str:
    """Return the key of a plant's pending change of this kind."""
    return f"{plant}_{kind}"


@dataclass(kw_only=True)
class _Task:
    """A delivered task being followed."""

    kind: TaskType
    plant: str
    task_id: str
    requested: str
    """What was asked for, as the user reads it in the logbook."""
    change: PendingChange[ControlSettings]
    follow: Callable[[str], Awaitable[TaskInfo]]
    done: asyncio.Future[TaskInfo]
    step: int = 0
    errors: int = 0
    cancel: CALLBACK_TYPE | None = field(default=None, repr=False)


def _response(
    task: _Task, state: ControlState, info: TaskInfo | None = None
) -> ServiceResponse:
    response: dict[str, Any] = {
        "plant": task.plant,
        "task_id": task.task_id,
        "state": state.value,
        "requested_at": task.change.requested_at.isoformat(),
    }
    if info is not None:
        response["started"] = None if info.started is None else info.started.isoformat()
        response["ended"] = None if info.ended is None else info.ended.isoformat()
    return response


def _describe(settings: ControlSettings) -> str:
    if isinstance(settings, BatteryConfiguration):
        return ", ".join(
            f"{name} {value:g}"
            for name, value in vars(settings).items()
            if value is not None
        )
    mode = "unknown" if settings.mode is None else settings.mode.name.lower()
    if isinstance(settings, PowerControlSettings) and settings.max_feed_in is not None:
        return f"{mode} {settings.max_feed_in:g} kW"
    return mode


class FusionSolarControlTasks:
    """Runs the control tasks of one account."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SolarCloudConfigEntry,
        client: FusionSolarClient,
        state: FusionSolarControlStateCoordinator,
        *,
        account: FusionSolarAccountState,
        plant_name: Callable[[str], str],
    ) -> None:
        """Deliver through ``client``; confirmed settings go to ``state``.

        Tasks still running are kept in ``account`` (and its storage), so that
        they are followed after a reload or restart (:meth:`async_resume`).
        """
        self._hass = hass
        self._entry = entry
        self._client = client
        self._state = state
        self._account = account
        self._plant_name = plant_name
        self._tasks: dict[tuple[TaskType, str], _Task] = {}
        self.pending: PendingControls[ControlSettings] = PendingControls(
            hass, entry, state.async_update_listeners
        )
        """The changes delivered and not confirmed yet (entities show them)."""
        self.battery_parameters: dict[str, BatteryConfiguration] = {}
        """The parameters each plant last confirmed (there is no query)."""
        entry.async_on_unload(self._async_stop)

    def pending_settings[SettingsT: ControlSettings](
        self, plant: str, settings_type: type[SettingsT]
    ) -> PendingChange[SettingsT] | None:
        """Return the change of these settings pending at the plant, if any."""
        change = self.pending.get(pending_key(settings_type.task_type, plant))
        if change is None or not isinstance(change.value, settings_type):
            return None
        return change  # type: ignore[return-value]

    async def async_apply(
        self, plant: str, settings: ControlSettings, *, wait: bool = False
    ) -> ServiceResponse:
        """Apply a battery mode, battery parameters or a feed-in limit at a plant.

        Returns once the task is delivered, or done if ``wait``.
        """
        return await self._run(plant, settings=settings, wait=wait)

    def _follower(
        self, kind: TaskType, plant: str
    ) -> Callable[[str], Awaitable[TaskInfo]]:
        """Return how a task of this kind is asked about."""
        return partial(self._client.async_get_task, kind, plant_code=plant)

    @callback
    def _async_confirm(self, task: _Task, info: TaskInfo) -> None:
        """Show what the plant confirmed."""
        plant, settings = task.plant, task.change.value
        if isinstance(settings, BatteryModeSettings):
            confirmed = BatteryModeSettings.from_api(info.result)
            if (
                confirmed.mode is None
                and settings.mode is BatteryMode.TIME_OF_USE
                and not settings.windows
            ):
                # Time of use needs its windows; a task followed after a
                # restart knows only the mode: read the plant instead.
                self._hass.async_create_task(self._state.async_refresh_plant(plant))
                return
            self._state.confirm_battery_mode(
                plant, settings if confirmed.mode is None else confirmed
            )
        elif isinstance(settings, PowerControlSettings):
            self._state.confirm_power_control(
                plant, info.confirmed_power_control or settings
            )
        else:
            known = self.battery_parameters.get(plant, BatteryConfiguration())
            self.battery_parameters[plant] = BatteryConfiguration(
                **{
                    name: new if new is not None else getattr(known, name)
                    for name, new in vars(settings).items()
                }
            )
            self._state.publish()

    @callback
    def async_resume(self) -> None:
        """Follow the tasks still running when Home Assistant stopped."""
        for key, stored in list(self._account.control_tasks.items()):
            try:
                task = self._stored_task(stored)
            except (KeyError, TypeError, ValueError) as err:
                LOGGER.debug("Ignoring a stored control task %s: %s", key, err)
                self._account.control_tasks.pop(key, None)
                continue
            if (task.kind, task.plant) in self._tasks:
                continue
            self._tasks[(task.kind, task.plant)] = task
            task.change = self.pending.start(
                pending_key(task.kind, task.plant),
                task.change.value,
                task.change.requested_at,
            )
            task.done.add_done_callback(_retrieve)
            self._schedule(task, TASK_POLL_DELAYS[0] if TASK_POLL_DELAYS else 0)

    def _stored_task(self, stored: dict[str, Any]) -> _Task:
        kind = TaskType(stored["kind"])
        plant = str(stored["plant"])
        settings = SETTINGS_OF_TASK[kind].from_stored(as_dict(stored.get("settings")))
        requested_at = as_datetime_iso(stored.get("requested_at"))
        if requested_at is None:
            raise ValueError("no time it was requested")
        return _Task(
            kind=kind,
            plant=plant,
            task_id=str(stored["task_id"]),
            requested=_describe(settings),
            change=PendingChange(value=settings, requested_at=requested_at),
            follow=self._follower(kind, plant),
            done=self._hass.loop.create_future(),
        )

    @callback
    def _async_remember(self, task: _Task) -> None:
        self._account.control_tasks[pending_key(task.kind, task.plant)] = {
            "kind": task.kind.value,
            "plant": task.plant,
            "task_id": task.task_id,
            "requested_at": task.change.requested_at.isoformat(),
            "settings": task.change.value.to_stored(),
        }
        self._account.changed()

    @callback
    def _async_forget(self, task: _Task) -> None:
        self._tasks.pop((task.kind, task.plant), None)
        if self._account.control_tasks.pop(pending_key(task.kind, task.plant), None):
            self._account.changed()

    async def async_force_battery(
        self,
        plant: str,
        *,
        switch: ChargeDischargeSwitch,
        power: int | None = None,
        target_soc: float | None = None,
        minutes: int | None = None,
    ) -> ServiceResponse:
        """Force the battery to charge or discharge, or stop it; return its state.

        A forced charge runs for up to hours; this returns once the plant
        accepted it, with its progress so far.
        """
        async with translate_action_errors(self._hass, self._entry):
            delivery = await self._client.async_deliver_charge_discharge(
                plant,
                switch=switch,
                power=power,
                target_soc=target_soc,
                minutes=minutes,
            )
            if not delivery.accepted:
                raise _failure(TaskFailure.INVALID, plant)
            progress = await self._client.async_get_charge_discharge_status(
                delivery.request_id, plant
            )
        return {
            "plant": plant,
            "request_id": delivery.request_id,
            "accepted": delivery.accepted,
            "status": None
            if progress is None or progress.status is None
            else progress.status.value,
            "charged": None if progress is None else progress.charged,
            "discharged": None if progress is None else progress.discharged,
        }

    async def _run(
        self, plant: str, *, settings: ControlSettings, wait: bool
    ) -> ServiceResponse:
        kind = settings.task_type
        if (kind, plant) in self._tasks:
            raise invalid("fusionsolar_task_running", plant=plant)
        # Taken before the delivery: a second change while it is on its way
        # must not deliver a second task.
        self._tasks[(kind, plant)] = placeholder = _Task(
            kind=kind,
            plant=plant,
            task_id="",
            requested=_describe(settings),
            change=PendingChange(value=settings, requested_at=dt_util.utcnow()),
            follow=self._follower(kind, plant),
            done=self._hass.loop.create_future(),
        )
        try:
            delivery = await self._async_deliver(
                plant, partial(self._client.async_deliver_task, plant, settings)
            )
        except BaseException:
            self._tasks.pop((kind, plant), None)
            raise
        placeholder.task_id = delivery.task_id
        task = placeholder
        task.change = self.pending.start(pending_key(kind, plant), settings)
        self._async_remember(task)
        # Nobody may wait for the outcome: its failure is reported anyway.
        task.done.add_done_callback(_retrieve)
        self._schedule(task, TASK_POLL_DELAYS[0] if TASK_POLL_DELAYS else 0)
        if not wait:
            return _response(task, ControlState.PENDING)
        # Following ends within WAIT_AT_MOST, confirmed or not.
        info = await asyncio.shield(task.done)
        return _response(task, ControlState.CONFIRMED, info)

    async def _async_deliver(
        self, plant: str, deliver: Callable[[], Awaitable[TaskDelivery]]
    ) -> TaskDelivery:
        async with translate_action_errors(self._hass, self._entry):
            delivery = await deliver()
        if delivery.status is TaskStatus.FAIL:
            raise _failure(delivery.message, plant)
        return delivery

    @callback
    def _schedule(self, task: _Task, delay: float) -> None:
        if delay <= 0:
            self._hass.async_create_task(self._async_query(task), eager_start=False)
            return
        task.cancel = async_call_later(
            self._hass, delay, partial(self._async_query_later, task)
        )

    async def _async_query_later(self, task: _Task, _now: datetime) -> None:
        await self._async_query(task)

    async def _async_query(self, task: _Task) -> None:
        task.cancel = None
        try:
            await self._async_ask(task)
        except Exception:  # noqa: BLE001 - logged with its traceback below
            # Never hold the plant's lock for ever on an unforeseen answer.
            LOGGER.exception("Following task %s failed", task.task_id)
            await self._async_unconfirmed(task)

    async def _async_ask(self, task: _Task) -> None:
        try:
            info = await task.follow(task.task_id)
        except SolarCloudApiError as err:
            if task.errors >= len(TASK_RETRY_DELAYS):
                LOGGER.warning(
                    "Task %s at plant %s: its state cannot be read (%s)",
                    task.task_id,
                    task.plant,
                    err,
                )
                await self._async_unconfirmed(task)
                return
            delay = TASK_RETRY_DELAYS[task.errors]
            if isinstance(err, ApiRateLimitedError) and err.retry_after is not None:
                if err.retry_after > WAIT_AT_MOST:
                    # Huawei holds the interface back for longer than a task
                    # is followed: the plant is read again once it allows.
                    await self._async_unconfirmed(task)
                    return
                delay = max(delay, err.retry_after)
            task.errors += 1
            LOGGER.debug(
                "Task %s at plant %s: asking again in %ss (%s)",
                task.task_id,
                task.plant,
                delay,
                err,
            )
            self._schedule(task, delay)
            return
        if info.status is TaskStatus.RUNNING:
            task.step += 1
            if task.step >= len(TASK_POLL_DELAYS):
                await self._async_unconfirmed(task)
                return
            self._schedule(task, TASK_POLL_DELAYS[task.step])
            return
        if info.status is TaskStatus.FAIL:
            await self._async_failed(task, _failure(info.message, task.plant))
            return
        self._async_forget(task)
        self._async_confirm(task, info)
        self.pending.confirm(pending_key(task.kind, task.plant))
        if not task.done.done():
            task.done.set_result(info)

    async def _async_unconfirmed(self, task: _Task) -> None:
        await self._async_failed(
            task,
            HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="fusionsolar_task_unconfirmed",
                translation_placeholders={"plant": task.plant, "task": task.task_id},
            ),
        )

    async def _async_failed(self, task: _Task, error: HomeAssistantError) -> None:
        """Show what the plant really runs, not what was asked for."""
        self._async_forget(task)
        if task.kind is not TaskType.BATTERY_PARAMETERS:
            await self._state.async_refresh_plant(task.plant)
        entity_id = None
        if (shown_by := _SHOWN_BY.get(task.kind)) is not None:
            entity_id = er.async_get(self._hass).async_get_entity_id(
                shown_by[0], DOMAIN, f"{VENDOR}_{task.plant}_{shown_by[1]}"
            )
        self.pending.fail(
            pending_key(task.kind, task.plant),
            control=f"{self._plant_name(task.plant)} ({task.kind})",
            requested=task.requested,
            error=error,
            entity_id=entity_id,
        )
        if not task.done.done():
            task.done.set_exception(error)

    @callback
    def _async_stop(self) -> None:
        for task in self._tasks.values():
            if task.cancel is not None:
                task.cancel()
            if not task.done.done():
                task.done.cancel()
        self._tasks.clear()


def _retrieve(future: asyncio.Future[TaskInfo]) -> None:
    if not future.cancelled():
        future.exception()
