"""smart-me switches: actions, optimistic state after 204, errors."""

from __future__ import annotations

from datetime import timedelta
import json

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_OFF, SERVICE_TURN_ON
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.solar_cloud.const import DOMAIN
from custom_components.solar_cloud.smartme.switch import UNREACHABLE_AFTER

from ..common import async_advance
from ..simulator.smartme import BILANZ_ID, PLUG_ID, SmartMeSimulator
from . import SetUp
from .const import RELAY

OUTPUT_1 = "switch.bilanz_vk_output_1"


async def switch(hass: HomeAssistant, service: str, entity_id: str) -> None:
    await hass.services.async_call(
        SWITCH_DOMAIN, service, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )


async def test_relay_switches_through_actions(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
) -> None:
    """The relay turns on after the 204 and stays on as the device reports it."""
    await setup_entry()
    assert hass.states.get(RELAY).state == "off"
    await switch(hass, SERVICE_TURN_ON, RELAY)
    [request] = sim.log.of("set_actions")
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
    assert sim.devices[PLUG_ID].switches == {"99-0:12.0.0*255": False}


async def test_report_older_than_the_action_keeps_the_new_state(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
) -> None:
    """A poll of an upload before the action does not flip the switch back."""
    await setup_entry()
    sim.faults.add("set_actions", body=b"", status=204)  # accepted, not done yet
    await switch(hass, SERVICE_TURN_ON, RELAY)
    # The device is read 10 s later: still its 12:00:00 upload.
    reads = sim.log.count("device")
    await async_advance(hass, frozen, timedelta(seconds=15))
    assert sim.log.count("device") == reads + 1
    assert hass.states.get(RELAY).state == "on"
    assert hass.states.get(RELAY).attributes["pending"] is True
    # The next upload shows the relay off: the device's word counts, and the
    # user reads why in the logbook and the repairs.
    logbook = async_capture_events(hass, "logbook_entry")
    await async_advance(hass, frozen, timedelta(minutes=1))
    state = hass.states.get(RELAY)
    assert state.state == "off"
    assert "pending" not in state.attributes
    assert [event.data["entity_id"] for event in logbook] == [RELAY]
    assert logbook[0].data["message"] == (
        "on: smart-me accepted the switch, but the device reports the other state"
    )
    assert ir.async_get(hass).async_get_issue(
        DOMAIN, f"{setup_entry_id(hass)}_control_failed_{PLUG_ID}_switch"
    )


async def test_outputs_without_reported_state_are_assumed(
    hass: HomeAssistant, sim: SmartMeSimulator, setup_entry: SetUp
) -> None:
    """Outputs the device only lists as actions show what was switched."""
    await setup_entry()
    state = hass.states.get(OUTPUT_1)
    assert state.state == "unknown"
    assert state.attributes["assumed_state"] is True
    await switch(hass, SERVICE_TURN_ON, OUTPUT_1)
    assert hass.states.get(OUTPUT_1).state == "on"
    assert sim.devices[BILANZ_ID].switches["99-0:12.1.1*255"] is True


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
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    fault: dict[str, object],
    key: str,
) -> None:
    """An action smart-me refuses changes nothing and says why."""
    await setup_entry()
    sim.faults.add("set_actions", **fault)
    with pytest.raises(HomeAssistantError) as err:
        await switch(hass, SERVICE_TURN_ON, RELAY)
    assert err.value.translation_key == key
    assert hass.states.get(RELAY).state == "off"


async def test_refused_credentials_start_reauth(
    hass: HomeAssistant, sim: SmartMeSimulator, setup_entry: SetUp
) -> None:
    """A 401 on an action asks for new credentials."""
    await setup_entry()
    sim.faults.add("set_actions", status=401)
    with pytest.raises(HomeAssistantError):
        await switch(hass, SERVICE_TURN_ON, RELAY)
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]


@pytest.mark.usefixtures("external_url")
@pytest.mark.parametrize("realtime", [True])
async def test_a_push_after_the_action_does_not_flip_the_relay_back(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
    realtime: bool,
) -> None:
    """Pushes carry no relay state: only a poll may tell the relay's word.

    Seen in the demo: the relay showed on, then off again 8 s later with the
    next push, until the next poll.
    """
    await setup_entry()
    await switch(hass, SERVICE_TURN_ON, RELAY)
    frozen.tick(timedelta(seconds=5))
    assert await sim.push([PLUG_ID]) == [200]
    await hass.async_block_till_done()
    assert hass.states.get(RELAY).state == "on"
    # The device is read soon after the action: its relay is on.
    reads = sim.log.count("device")
    await async_advance(hass, frozen, timedelta(seconds=10))
    assert sim.log.count("device") == reads + 1
    assert hass.states.get(RELAY).state == "on"


async def test_the_switched_state_is_not_held_for_ever(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
) -> None:
    """A device that never reports after the action: its last word wins in time."""
    await setup_entry()
    sim.faults.add("set_actions", body=b"", status=204)  # accepted, not done
    sim.faults.add("device", status=503)
    sim.faults.add("devices", status=503)
    await switch(hass, SERVICE_TURN_ON, RELAY)
    await async_advance(hass, frozen, timedelta(minutes=5), step=timedelta(minutes=1))
    assert hass.states.get(RELAY).state == "on"
    sim.faults.clear()
    sim.faults.add("set_actions", body=b"", status=204)
    await async_advance(hass, frozen, timedelta(minutes=11), step=timedelta(minutes=1))
    assert hass.states.get(RELAY).state == "off"


def setup_entry_id(hass: HomeAssistant) -> str:
    """Return the id of the one loaded entry."""
    [entry] = hass.config_entries.async_entries(DOMAIN)
    return entry.entry_id


async def test_relay_confirmed_by_the_device(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
) -> None:
    """Pending from the 204 until a poll from after the action reports it."""
    await setup_entry()
    await switch(hass, SERVICE_TURN_ON, RELAY)
    state = hass.states.get(RELAY)
    assert state.state == "on"
    assert state.attributes["pending"] is True
    assert "requested_at" in state.attributes
    await async_advance(hass, frozen, timedelta(minutes=2), step=timedelta(seconds=30))
    state = hass.states.get(RELAY)
    assert state.state == "on"
    assert "pending" not in state.attributes


async def test_offline_relay_is_unavailable(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
) -> None:
    """A relay whose device stopped uploading: the commanded state is not kept."""
    await setup_entry()
    sim.devices[PLUG_ID].offline_since = sim.clock.now()
    sim.faults.add("set_actions", body=b"", status=204)  # accepted, not done
    logbook = async_capture_events(hass, "logbook_entry")
    await switch(hass, SERVICE_TURN_ON, RELAY)
    assert hass.states.get(RELAY).state == "on"
    await async_advance(hass, frozen, timedelta(minutes=16), step=timedelta(minutes=1))
    # The switch was not confirmed within its bound: the device's word again.
    assert hass.states.get(RELAY).state == "off"
    assert [event.data["entity_id"] for event in logbook] == [RELAY]
    await async_advance(hass, frozen, UNREACHABLE_AFTER, step=timedelta(minutes=1))
    assert hass.states.get(RELAY).state == "unavailable"
    # It uploads again: available, with what it reports.
    sim.devices[PLUG_ID].offline_since = None
    await async_advance(hass, frozen, timedelta(minutes=2), step=timedelta(minutes=1))
    assert hass.states.get(RELAY).state == "off"
