"""smart-me switches: the relay of a meter, its phases and digital outputs.

They switch through ``POST /Actions``. The new state is shown once smart-me
accepted the action (204), and kept until the device reports a state newer
than the action; a refused action leaves the state as it was and says why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, override

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from ..api.smartme import DeviceAction, MeterReading, SwitchOutput
from ..entity import NewEntities, async_add_as_they_appear
from ..error_mapping import translate_action_errors
from ..runtime import SolarCloudConfigEntry
from .coordinator import SmartMeDeviceCoordinator
from .data import smartme_data
from .entity import SmartMeEntity


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
        self._optimistic: tuple[bool, datetime] | None = None
        self._attr_assumed_state = description.value_fn(coordinator.data) is None

    @property
    @override
    def is_on(self) -> bool | None:
        """Return the reported state, or the one switched to since."""
        reported = self.entity_description.value_fn(self.coordinator.data)
        if self._optimistic is not None:
            state, since = self._optimistic
            measured = self.coordinator.data.timestamp
            if reported is None or measured is None or measured < since:
                return state
        return reported

    @override
    def _current(self) -> object:
        return self.is_on

    async def _async_switch(self, on: bool) -> None:
        async with translate_action_errors(self.hass, self.coordinator.config_entry):
            await self.coordinator.client.switch(
                self.device_key, self.entity_description.output, on
            )
        self._optimistic = (on, dt_util.utcnow())
        self._shown = (self.available, on)
        self.async_write_ha_state()

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

    def build(new: NewEntities) -> list[SmartMeSwitch]:
        coordinators = account.device_coordinators
        new.forget_all_but(coordinators)
        return [
            SmartMeSwitch(coordinator, description)
            for coordinator in coordinators.values()
            for description in SWITCHES
            if switch_exists(
                description,
                coordinator.data,
                account.data.actions.get(coordinator.device.id, ()),
            )
            and new.want(coordinator.device.id, description.key)
        ]

    async_add_as_they_appear(entry, async_add_entities, build, account)
