"""smart-me switches: actions, optimistic state after 204, errors."""

from __future__ import annotations

from datetime import timedelta
import json

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_OFF, SERVICE_TURN_ON
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest

from ..common import async_advance
from ..simulator.smartme import BILANZ_ID, PLUG_ID, SmartMeSimulator
from . import SetUp

RELAY = "switch.boiler_plug_relay"
OUTPUT_1 = "switch.bilanz_vk_output_1"


async def switch(hass: HomeAssistant, service: str, entity_id: str) -> None:
    await hass.services.async_call(
        SWITCH_DOMAIN, service, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )


async def test_relay_switches_through_actions(
    hass: HomeAssistant,
    simulator: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
) -> None:
    """The relay turns on after the 204 and stays on as the device reports it."""
    await setup_entry()
    assert hass.states.get(RELAY).state == "off"
    await switch(hass, SERVICE_TURN_ON, RELAY)
    [request] = simulator.log.of("set_actions")
    assert json.loads(request.body) == {
        "DeviceID": PLUG_ID,
        "Actions": [{"ObisCode": "63000C0000FF", "Value": 1.0}],
    }
    assert hass.states.get(RELAY).state == "on"
    # The device reports its new state with its next upload.
    await async_advance(hass, frozen, timedelta(minutes=2), step=timedelta(minutes=1))
    assert hass.states.get(RELAY).state == "on"
    await switch(hass, SERVICE_TURN_OFF, RELAY)
    assert hass.states.get(RELAY).state == "off"
    assert simulator.devices[PLUG_ID].switches == {"99-0:12.0.0*255": False}


async def test_report_older_than_the_action_keeps_the_new_state(
    hass: HomeAssistant,
    simulator: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
) -> None:
    """A poll of an upload before the action does not flip the switch back."""
    await setup_entry()
    simulator.faults.add("set_actions", body=b"", status=204)  # accepted, not done yet
    await switch(hass, SERVICE_TURN_ON, RELAY)
    frozen.tick(timedelta(seconds=20))  # still the 12:00:00 upload
    await async_advance(hass, frozen, timedelta(seconds=10))
    assert hass.states.get(RELAY).state == "on"
    # The next upload shows the relay off: the device's word counts.
    await async_advance(hass, frozen, timedelta(minutes=1))
    assert hass.states.get(RELAY).state == "off"


async def test_outputs_without_reported_state_are_assumed(
    hass: HomeAssistant, simulator: SmartMeSimulator, setup_entry: SetUp
) -> None:
    """Outputs the device only lists as actions show what was switched."""
    await setup_entry()
    state = hass.states.get(OUTPUT_1)
    assert state.state == "unknown"
    assert state.attributes["assumed_state"] is True
    await switch(hass, SERVICE_TURN_ON, OUTPUT_1)
    assert hass.states.get(OUTPUT_1).state == "on"
    assert simulator.devices[BILANZ_ID].switches["99-0:12.1.1*255"] is True


@pytest.mark.parametrize(
    ("fault", "key"),
    [
        ({"status": 503}, "cannot_connect"),
        ({"vendor_error": (400, "Invalid action")}, "unexpected_response"),
        ({"status": 403}, "permission_denied"),
    ],
)
async def test_refused_action_keeps_the_state(
    hass: HomeAssistant,
    simulator: SmartMeSimulator,
    setup_entry: SetUp,
    fault: dict[str, object],
    key: str,
) -> None:
    """An action smart-me refuses changes nothing and says why."""
    await setup_entry()
    simulator.faults.add("set_actions", **fault)
    with pytest.raises(HomeAssistantError) as err:
        await switch(hass, SERVICE_TURN_ON, RELAY)
    assert err.value.translation_key == key
    assert hass.states.get(RELAY).state == "off"


async def test_refused_credentials_start_reauth(
    hass: HomeAssistant, simulator: SmartMeSimulator, setup_entry: SetUp
) -> None:
    """A 401 on an action asks for new credentials."""
    await setup_entry()
    simulator.faults.add("set_actions", status=401)
    with pytest.raises(HomeAssistantError):
        await switch(hass, SERVICE_TURN_ON, RELAY)
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
