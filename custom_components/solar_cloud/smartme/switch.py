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

from ..api.smartme import DeviceAction, MeterReading
from ..api.smartme.obis import DIGITAL_OUTPUT, SWITCH_MAIN, SWITCH_PHASE
from ..entity import NewEntities, async_add_as_they_appear
from ..error_mapping import translate_action_errors
from ..runtime import SolarCloudConfigEntry
from .coordinator import SmartMeDeviceCoordinator
from .data import smartme_data
from .entity import SmartMeEntity


@dataclass(frozen=True, kw_only=True)
class SmartMeSwitchEntityDescription(SwitchEntityDescription):
    """A switchable output of a smart-me device, by its action OBIS code."""

    obis: str
    value_fn: Callable[[MeterReading], bool | None]


SWITCHES: tuple[SmartMeSwitchEntityDescription, ...] = (
    SmartMeSwitchEntityDescription(
        key="switch",
        translation_key="smartme_switch",
        obis=SWITCH_MAIN,
        value_fn=lambda r: r.switch_on,
    ),
    SmartMeSwitchEntityDescription(
        key="switch_l1",
        translation_key="smartme_switch_l1",
        obis=SWITCH_PHASE[0],
        value_fn=lambda r: r.switch_l1,
    ),
    SmartMeSwitchEntityDescription(
        key="switch_l2",
        translation_key="smartme_switch_l2",
        obis=SWITCH_PHASE[1],
        value_fn=lambda r: r.switch_l2,
    ),
    SmartMeSwitchEntityDescription(
        key="switch_l3",
        translation_key="smartme_switch_l3",
        obis=SWITCH_PHASE[2],
        value_fn=lambda r: r.switch_l3,
    ),
    SmartMeSwitchEntityDescription(
        key="digital_output_1",
        translation_key="smartme_digital_output_1",
        obis=DIGITAL_OUTPUT[0],
        value_fn=lambda r: r.digital_output_1,
    ),
    SmartMeSwitchEntityDescription(
        key="digital_output_2",
        translation_key="smartme_digital_output_2",
        obis=DIGITAL_OUTPUT[1],
        value_fn=lambda r: r.digital_output_2,
    ),
)


def switch_exists(
    description: SmartMeSwitchEntityDescription,
    reading: MeterReading,
    actions: tuple[DeviceAction, ...],
) -> bool:
    """Return whether a device has the switch: it reports it or offers its action."""
    return description.value_fn(reading) is not None or any(
        action.on_off and action.obis == description.obis for action in actions
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
            await self.coordinator.client.set_actions(
                self.device_key, [(self.entity_description.obis, 1.0 if on else 0.0)]
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
