"""Control tasks: deliver, follow to the end, then show what the plant confirmed.

FusionSolar runs a setting change as an asynchronous task: it is delivered,
reported RUNNING while the plant's controller applies it, then SUCCESS or
FAIL (FAILURE, TIMEOUT, BUSY, INVALID or EXCEPTION). Huawei asks not to
deliver another task for the plant, nor to ask about the task over and over,
before it is done; so one task per plant and kind runs at a time, and its
state is asked with a growing pause.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Any

from homeassistant.core import HomeAssistant, ServiceResponse
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from ..api.fusionsolar import FusionSolarClient
from ..api.fusionsolar.const import ChargeDischargeSwitch, TaskStatus
from ..api.fusionsolar.models import (
    BatteryConfiguration,
    BatteryModeSettings,
    PowerControlSettings,
    TaskDelivery,
    TaskInfo,
)
from ..const import DOMAIN
from ..error_mapping import translate_action_errors
from ..runtime import SolarCloudConfigEntry
from .coordinator import FusionSolarControlStateCoordinator

TASK_POLL_DELAYS: tuple[float, ...] = (5, 10, 15, 30, 60, 60, 60, 60, 60, 60, 60, 60)
"""Seconds between asking about a running task: about ten minutes in all."""

_FAILURES = {
    "TIMEOUT": "fusionsolar_task_timeout",
    "BUSY": "fusionsolar_task_busy",
    "INVALID": "fusionsolar_task_invalid",
}


class FusionSolarTaskKind(StrEnum):
    """The kinds of task, each run once at a time per plant."""

    BATTERY_MODE = "battery_mode"
    BATTERY_PARAMETERS = "battery_parameters"
    FEED_IN = "feed_in"


def _failure(reason: str | None, plant: str) -> HomeAssistantError:
    key = _FAILURES.get(reason or "", "fusionsolar_task_failed")
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={"plant": plant, "reason": reason or "FAILURE"},
    )


def _response(plant: str, info: TaskInfo, settings: dict[str, Any]) -> ServiceResponse:
    return {
        "plant": plant,
        "task_id": info.task_id,
        "status": info.status.value,
        "started": None if info.started is None else info.started.isoformat(),
        "ended": None if info.ended is None else info.ended.isoformat(),
        "settings": settings,
    }


class FusionSolarControlTasks:
    """Runs the control tasks of one account."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SolarCloudConfigEntry,
        client: FusionSolarClient,
        state: FusionSolarControlStateCoordinator,
    ) -> None:
        """Deliver through ``client``; confirmed settings go to ``state``."""
        self._hass = hass
        self._entry = entry
        self._client = client
        self._state = state
        self._running: set[tuple[FusionSolarTaskKind, str]] = set()
        self.battery_parameters: dict[str, BatteryConfiguration] = {}
        """The parameters each plant last confirmed (there is no query)."""
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    def running(self, kind: FusionSolarTaskKind, plant: str) -> bool:
        """Return whether a task of this kind runs at the plant."""
        return (kind, plant) in self._running

    async def async_set_battery_mode(
        self, plant: str, settings: BatteryModeSettings
    ) -> ServiceResponse:
        """Set the battery working mode; return the task's result."""
        info = await self._run(
            FusionSolarTaskKind.BATTERY_MODE,
            plant,
            lambda: self._client.async_deliver_battery_mode(plant, settings),
            lambda task: self._client.async_get_battery_mode_task(task, plant),
        )
        confirmed = BatteryModeSettings.from_api(info.result)
        if confirmed.mode is None:
            confirmed = settings
        self._state.confirm_battery_mode(plant, confirmed)
        return _response(plant, info, settings.to_api(plant))

    async def async_set_power_control(
        self, plant: str, settings: PowerControlSettings
    ) -> ServiceResponse:
        """Limit the feed-in (or lift the limit); return the task's result."""
        info = await self._run(
            FusionSolarTaskKind.FEED_IN,
            plant,
            lambda: self._client.async_deliver_power_control(plant, settings),
            lambda task: self._client.async_get_power_control_task(task, plant),
        )
        confirmed = info.confirmed_power_control or settings
        self._state.confirm_power_control(plant, confirmed)
        return _response(plant, info, settings.to_task_api(plant))

    async def async_set_battery_parameters(
        self, plant: str, configuration: BatteryConfiguration
    ) -> ServiceResponse:
        """Set battery parameters; return the task's result."""
        info = await self._run(
            FusionSolarTaskKind.BATTERY_PARAMETERS,
            plant,
            lambda: self._client.async_deliver_battery_configuration(
                plant, configuration
            ),
            lambda task: self._client.async_get_battery_configuration_task(task, plant),
        )
        known = self.battery_parameters.get(plant, BatteryConfiguration())
        self.battery_parameters[plant] = BatteryConfiguration(
            **{
                name: new if new is not None else getattr(known, name)
                for name, new in vars(configuration).items()
            }
        )
        self._state.publish()
        return _response(plant, info, configuration.to_api())

    async def async_force_battery(
        self,
        plant: str,
        *,
        switch: ChargeDischargeSwitch,
        power: int | None = None,
        target_soc: float | None = None,
        minutes: int | None = None,
    ) -> ServiceResponse:
        """Force charging (1) or discharging (2), or stop (0); return its state.

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
                raise _failure("INVALID", plant)
            status = await self._client.async_get_charge_discharge_status(
                delivery.request_id, plant
            )
        return {
            "plant": plant,
            "request_id": delivery.request_id,
            "accepted": delivery.accepted,
            "status": None
            if status is None or status.status is None
            else status.status.value,
            "charged": None if status is None else status.charged,
            "discharged": None if status is None else status.discharged,
        }

    async def _run(
        self,
        kind: FusionSolarTaskKind,
        plant: str,
        deliver: Callable[[], Awaitable[TaskDelivery]],
        follow: Callable[[str], Awaitable[TaskInfo]],
    ) -> TaskInfo:
        if (kind, plant) in self._running:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="fusionsolar_task_running",
                translation_placeholders={"plant": plant},
            )
        self._running.add((kind, plant))
        try:
            async with translate_action_errors(self._hass, self._entry):
                delivery = await deliver()
                if delivery.status is TaskStatus.FAIL:
                    raise _failure(delivery.message, plant)
                info = await self._follow(delivery.task_id, follow, plant)
        finally:
            self._running.discard((kind, plant))
        if info.status is TaskStatus.FAIL:
            # Show what the plant really runs, not what was asked for.
            await self._state.async_refresh_plant(plant)
            raise _failure(info.message, plant)
        return info

    async def _follow(
        self, task_id: str, follow: Callable[[str], Awaitable[TaskInfo]], plant: str
    ) -> TaskInfo:
        for delay in TASK_POLL_DELAYS:
            await self.sleep(delay)
            info = await follow(task_id)
            if info.status is not TaskStatus.RUNNING:
                return info
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="fusionsolar_task_unconfirmed",
            translation_placeholders={"plant": plant, "task": task_id},
        )
