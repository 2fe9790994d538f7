"""smart-me switches: the relay of a meter, its phases and digital outputs.

They switch through ``POST /Actions``. The new state is shown, pending
(``..controls``), once smart-me accepted the action (204), and kept until a
poll reports the device's state from after the action (one is asked for
``CONFIRM_AFTER`` later), or for ``OPTIMISTIC_FOR`` at the most; then the
device's reported state wins, and a state it did not take is logged and
raised as a repair issue. A refused action leaves the state as it was and
says why. Only polls report switch states: realtime pushes carry meter
values, so a push newer than the action says nothing about the relay. A
device whose last upload is older than ``UNREACHABLE_AFTER`` is unreachable:
its switches are unavailable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, override

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_call_later, async_track_time_interval
from homeassistant.util import dt as dt_util

from ..api.smartme import DeviceAction, MeterReading, SwitchOutput
from ..const import DOMAIN
from ..controls import PendingControls
from ..error_mapping import translate_action_errors
from ..runtime import SolarCloudConfigEntry
from .coordinator import SmartMeDeviceCoordinator
from .data import smartme_data
from .entity import SmartMeEntity, async_add_device_entities

CONFIRM_AFTER = timedelta(seconds=10)
"""When the device is read after a switch, to show what it reports."""
OPTIMISTIC_FOR = timedelta(minutes=15)
"""The longest the switched-to state is shown without the device confirming it."""
UNREACHABLE_AFTER = timedelta(minutes=30)
"""A device that has not uploaded for this long cannot be switched or shown."""


@dataclass(frozen=True, kw_only=True)
class SmartMeSwitchEntityDescription(SwitchEntityDescription):
    """A switchable output of a smart-me device."""

    output: SwitchOutput
    value_fn: Callable[[MeterReading], bool | None]


def _switch(
    key: str, output: SwitchOutput, value_fn: Callable[[MeterReading], bool | None]
) -> SmartMeSwitchEntityDescription:
    return SmartMeSwitchEntityDescription(
        key=key, translation_key=f"smartme_{key}", output=output, value_fn=value_fn
    )


SWITCHES: tuple[SmartMeSwitchEntityDescription, ...] = (
    _switch("switch", SwitchOutput.SWITCH, lambda r: r.switch_on),
    _switch("switch_l1", SwitchOutput.SWITCH_L1, lambda r: r.switch_l1),
    _switch("switch_l2", SwitchOutput.SWITCH_L2, lambda r: r.switch_l2),
    _switch("switch_l3", SwitchOutput.SWITCH_L3, lambda r: r.switch_l3),
    _switch(
        "digital_output_1", SwitchOutput.DIGITAL_OUTPUT_1, lambda r: r.digital_output_1
    ),
    _switch(
        "digital_output_2", SwitchOutput.DIGITAL_OUTPUT_2, lambda r: r.digital_output_2
    ),
)


def switch_exists(
    description: SmartMeSwitchEntityDescription,
    reading: MeterReading,
    actions: tuple[DeviceAction, ...],
) -> bool:
    """Return whether a device has the switch: it reports it or offers its action."""
    return description.value_fn(reading) is not None or any(
        action.switch_output is description.output for action in actions
    )


class SmartMeSwitch(SmartMeEntity, SwitchEntity):
    """A relay or output of one smart-me device."""

    entity_description: SmartMeSwitchEntityDescription

    def __init__(
        self,
        coordinator: SmartMeDeviceCoordinator,
        description: SmartMeSwitchEntityDescription,
    ) -> None:
        """Initialize the switch; outputs the device never reports are assumed."""
        super().__init__(coordinator, description)
        self._attr_assumed_state = description.value_fn(coordinator.data) is None
        self._pending: PendingControls[bool] = PendingControls(
            coordinator.hass, coordinator.config_entry, self._async_write_pending
        )
        self._key = f"{self.device_key}_{description.key}"

    @callback
    def _async_write_pending(self) -> None:
        self._shown = (self.available, self.is_on)
        if self.hass is not None and self.entity_id is not None:
            self.async_write_ha_state()

    @property
    @override
    def available(self) -> bool:
        """Return False while the device has not uploaded for too long."""
        # Pushes tell that the device uploads, too.
        return super().available and self.coordinator.is_current(
            self.coordinator.data.timestamp, delay=UNREACHABLE_AFTER
        )

    @property
    @override
    def is_on(self) -> bool | None:
        """Return the polled state, or the one switched to since."""
        if (pending := self._pending.get(self._key)) is not None:
            return pending.value
        return self.entity_description.value_fn(self.coordinator.device.reading)

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any] | None:
        pending = self._pending.get(self._key)
        return None if pending is None else pending.attributes()

    @override
    def _current(self) -> object:
        return self.is_on

    @override
    async def async_added_to_hass(self) -> None:
        """Look again every minute: a device that stops uploading sends nothing."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_track_time_interval(self.hass, self._async_tick, timedelta(minutes=1))
        )

    @callback
    def _async_tick(self, _now: datetime) -> None:
        self._handle_coordinator_update()

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        self._async_settle()
        super()._handle_coordinator_update()

    @callback
    def _async_settle(self, *, expired: bool = False) -> None:
        """End the pending state once the device reported after the action."""
        if (pending := self._pending.get(self._key)) is None:
            return
        polled = self.coordinator.device.reading
        reported = self.entity_description.value_fn(polled)
        measured = polled.timestamp
        if reported is None or measured is None or measured < pending.requested_at:
            if expired:
                self._async_not_applied("smartme_switch_unconfirmed", pending.value)
            return
        if reported == pending.value:
            self._pending.confirm(self._key)
        else:
            self._async_not_applied("smartme_switch_not_applied", pending.value)

    @callback
    def _async_not_applied(self, reason: str, requested: bool) -> None:
        if self._attr_assumed_state:
            # The device never reports this output: nothing to confirm it by.
            self._pending.confirm(self._key)
            return
        self._pending.fail(
            self._key,
            control=self.name if isinstance(self.name, str) else self._key,
            requested="on" if requested else "off",
            error=HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key=reason,
                translation_placeholders={"minutes": str(OPTIMISTIC_FOR.seconds // 60)},
            ),
            entity_id=self.entity_id,
        )

    async def _async_switch(self, on: bool) -> None:
        async with translate_action_errors(self.hass, self.coordinator.config_entry):
            await self.coordinator.client.switch(
                self.device_key, self.entity_description.output, on
            )
        self._pending.start(self._key, on)
        self.async_on_remove(
            async_call_later(self.hass, CONFIRM_AFTER, self._async_confirm)
        )
        self.async_on_remove(
            async_call_later(self.hass, OPTIMISTIC_FOR, self._async_expire)
        )

    async def _async_confirm(self, _now: datetime) -> None:
        await self.coordinator.async_request_refresh()

    @callback
    def _async_expire(self, _now: datetime) -> None:
        pending = self._pending.get(self._key)
        # A later switch has a later end of its own.
        if (
            pending is not None
            and dt_util.utcnow() - pending.requested_at >= OPTIMISTIC_FOR
        ):
            self._async_settle(expired=True)

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Switch on."""
        await self._async_switch(True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Switch off."""
        await self._async_switch(False)


async def async_setup_switches(
    hass: HomeAssistant,
    entry: SolarCloudConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the switches of every device, and of devices that appear later."""
    account = smartme_data(entry).account
    async_add_device_entities(
        entry,
        async_add_entities,
        SWITCHES,
        lambda coordinator, description: switch_exists(
            description,
            coordinator.data,
            account.data.actions.get(coordinator.device.id, ()),
        ),
        SmartMeSwitch,
    )
