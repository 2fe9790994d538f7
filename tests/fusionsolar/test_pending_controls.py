"""Controls do not wait for the plant: pending, then confirmed or failed.

The tasks run for minutes at the simulator; the pauses between task queries
are the real ones (``TASK_POLL_DELAYS``), on Home Assistant's clock.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
import os
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.solar_cloud.const import DOMAIN
from custom_components.solar_cloud.fusionsolar.controls import (
    TASK_POLL_DELAYS,
    TASK_RETRY_DELAYS,
    WAIT_AT_MOST,
)
from custom_components.solar_cloud.fusionsolar.storage import STORAGE_KEY

from ..common import async_advance, async_select_option, async_set_number, device_of
from ..const import NOON
from ..simulator.fusionsolar import FusionSolarSimulator
from .common import async_start_again, async_stop
from .const import BATTERY_MODE, FEED_IN_LIMIT, HOME

pytestmark = pytest.mark.freeze_time(NOON)

TASK_TIME = timedelta(minutes=2)
"""How long the simulated plant takes to apply a task."""
SECOND = timedelta(seconds=1)


@pytest.fixture
async def slow_plant(
    loaded_entry: MockConfigEntry, sim: FusionSolarSimulator
) -> MockConfigEntry:
    """The demo account, whose plants take minutes to apply a task."""
    sim.task_delay = TASK_TIME
    return loaded_entry


async def _select(hass: HomeAssistant, option: str) -> None:
    await async_select_option(hass, BATTERY_MODE, option)


async def _battery_mode(
    hass: HomeAssistant, entry: MockConfigEntry, mode: str, **extra: Any
) -> Any:
    device = device_of(hass, entry, f"fusionsolar_{HOME}")
    return await hass.services.async_call(
        DOMAIN,
        "set_battery_mode",
        {"device_id": device.id, "mode": mode, **extra},
        blocking=True,
        return_response=True,
    )


async def _delivered(sim: FusionSolarSimulator) -> None:
    """Wait (real time) for the task's delivery before the clock moves on.

    The loop's clock stands still (freezer): yield until the request is served.
    """
    deadline = os.times().elapsed + 10  # not frozen
    while not sim.log.count("battery_mode_task"):
        assert os.times().elapsed < deadline
        await asyncio.sleep(0)


async def _until_settled(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, entity_id: str
) -> timedelta:
    """Move on second by second until the entity is no longer pending."""
    waited = timedelta()
    while hass.states.get(entity_id).attributes.get("pending"):
        await async_advance(hass, freezer, SECOND)
        waited += SECOND
        assert waited < timedelta(minutes=20)
    return waited


async def test_change_returns_at_once_then_confirms(
    hass: HomeAssistant,
    slow_plant: MockConfigEntry,
    sim: FusionSolarSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The select returns once delivered, shows pending, then the confirmed mode."""
    started = dt_util.utcnow()
    wall = os.times().elapsed
    await _select(hass, "third_party_dispatch")
    assert dt_util.utcnow() - started < timedelta(seconds=5)
    assert os.times().elapsed - wall < 5
    state = hass.states.get(BATTERY_MODE)
    assert state.state == "third_party_dispatch"
    assert state.attributes["pending"] is True
    assert state.attributes["requested_at"] == started.isoformat()
    # Not applied yet at the plant.
    assert sim.plant(HOME).battery_mode["operationMode"] == "maximumSelfConsumption"

    waited = await _until_settled(hass, freezer, BATTERY_MODE)
    state = hass.states.get(BATTERY_MODE)
    assert state.state == "third_party_dispatch"
    assert "pending" not in state.attributes
    # Confirmed at the first query after the plant applied it (5+10+15+30+60 s).
    assert waited == timedelta(seconds=sum(TASK_POLL_DELAYS[:5]))
    assert sim.log.count("battery_mode_task") == 1
    assert sim.log.count("battery_mode_task_info") == 5


async def test_failure_in_the_background(
    hass: HomeAssistant,
    slow_plant: MockConfigEntry,
    sim: FusionSolarSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """FAIL after minutes: the real mode again, a logbook entry, a repair issue."""
    sim.fail_next_task(HOME, "TIMEOUT")
    logbook = async_capture_events(hass, "logbook_entry")
    await _select(hass, "third_party_dispatch")
    assert hass.states.get(BATTERY_MODE).attributes["pending"] is True
    await _until_settled(hass, freezer, BATTERY_MODE)
    state = hass.states.get(BATTERY_MODE)
    assert state.state == "maximum_self_consumption"
    assert len(logbook) == 1
    assert logbook[0].data["entity_id"] == BATTERY_MODE
    assert logbook[0].data["message"].startswith("third_party_dispatch: ")
    assert "TIMEOUT" in logbook[0].data["message"]
    assert ir.async_get(hass).async_get_issue(
        DOMAIN, f"{slow_plant.entry_id}_control_failed_{HOME}_battery_mode"
    )


async def test_one_transient_error_while_following(
    hass: HomeAssistant,
    slow_plant: MockConfigEntry,
    sim: FusionSolarSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A failed task query is asked again after a pause; the task is still picked up."""
    sim.faults.add("battery_mode_task_info", status=500, times=1)
    await _select(hass, "third_party_dispatch")
    waited = await _until_settled(hass, freezer, BATTERY_MODE)
    assert hass.states.get(BATTERY_MODE).state == "third_party_dispatch"
    # The first query (after 5 s) failed and was asked again 30 s later.
    assert waited == timedelta(seconds=5 + TASK_RETRY_DELAYS[0] + 10 + 15 + 30 + 60)
    assert sim.log.count("battery_mode_task") == 1


async def test_task_state_never_readable(
    hass: HomeAssistant,
    slow_plant: MockConfigEntry,
    sim: FusionSolarSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """When the outcome cannot be learned, the plant's mode is read again and shown."""
    sim.faults.add("battery_mode_task_info", status=500)
    queries = sim.log.count("battery_mode")
    await _select(hass, "third_party_dispatch")
    await _until_settled(hass, freezer, BATTERY_MODE)
    assert sim.log.count("battery_mode_task_info") == 1 + len(TASK_RETRY_DELAYS)
    assert sim.log.count("battery_mode") == queries + 1
    assert ir.async_get(hass).async_get_issue(
        DOMAIN, f"{slow_plant.entry_id}_control_failed_{HOME}_battery_mode"
    )
    # The plant applied it meanwhile: that is what shows now.
    assert hass.states.get(BATTERY_MODE).state == "third_party_dispatch"


async def test_no_second_task_while_one_runs(
    hass: HomeAssistant,
    slow_plant: MockConfigEntry,
    sim: FusionSolarSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Concurrent changes to one plant: the second is refused with a reason."""
    await _select(hass, "third_party_dispatch")
    with pytest.raises(ServiceValidationError) as err:
        await _select(hass, "maximum_self_consumption")
    assert err.value.translation_key == "fusionsolar_task_running"
    with pytest.raises(ServiceValidationError) as err:
        await _battery_mode(hass, slow_plant, "maximum_self_consumption")
    assert err.value.translation_key == "fusionsolar_task_running"
    # Another kind of task at the same plant may run meanwhile.
    await async_set_number(hass, FEED_IN_LIMIT, 2.5)
    assert hass.states.get(FEED_IN_LIMIT).state == "2.5"
    assert hass.states.get(FEED_IN_LIMIT).attributes["pending"] is True
    await _until_settled(hass, freezer, BATTERY_MODE)
    await _until_settled(hass, freezer, FEED_IN_LIMIT)
    assert sim.log.count("battery_mode_task") == 1
    assert sim.plant(HOME).feed_in_limit_kw() == 2.5
    # Once done, the next change is taken.
    await _select(hass, "maximum_self_consumption")
    await _until_settled(hass, freezer, BATTERY_MODE)
    assert hass.states.get(BATTERY_MODE).state == "maximum_self_consumption"


async def test_action_returns_once_accepted(
    hass: HomeAssistant,
    slow_plant: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """By default an action answers with the task and its state: pending."""
    response = await _battery_mode(hass, slow_plant, "third_party_dispatch")
    assert response["state"] == "pending"
    assert response["plant"] == HOME
    assert response["task_id"]
    await _until_settled(hass, freezer, BATTERY_MODE)


async def test_action_waits_for_the_outcome(
    hass: HomeAssistant,
    slow_plant: MockConfigEntry,
    sim: FusionSolarSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """``wait: true`` answers once the plant confirmed."""
    # Not a task of Home Assistant's: advancing the clock must not wait for it.
    call = asyncio.get_running_loop().create_task(
        _battery_mode(hass, slow_plant, "third_party_dispatch", wait=True)
    )
    await _delivered(sim)
    waited = timedelta()
    while not call.done():
        await async_advance(hass, freezer, SECOND)
        waited += SECOND
    response = call.result()
    assert response["state"] == "confirmed"
    assert response["ended"] is not None
    assert waited >= TASK_TIME


async def test_action_waits_for_the_failure(
    hass: HomeAssistant,
    slow_plant: MockConfigEntry,
    sim: FusionSolarSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """``wait: true`` raises the translated failure."""
    sim.fail_next_task(HOME, "BUSY")
    # Not a task of Home Assistant's: advancing the clock must not wait for it.
    call = asyncio.get_running_loop().create_task(
        _battery_mode(hass, slow_plant, "third_party_dispatch", wait=True)
    )
    await _delivered(sim)
    while not call.done():
        await async_advance(hass, freezer, SECOND)
    with pytest.raises(HomeAssistantError) as err:
        call.result()
    assert err.value.translation_key == "fusionsolar_task_busy"
    assert hass.states.get(BATTERY_MODE).state == "maximum_self_consumption"


async def test_unload_while_pending(
    hass: HomeAssistant,
    slow_plant: MockConfigEntry,
    sim: FusionSolarSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Unloading stops following; nothing is queried for the old entry."""
    await _select(hass, "third_party_dispatch")
    assert await hass.config_entries.async_unload(slow_plant.entry_id)
    await async_advance(hass, freezer, timedelta(minutes=15))
    assert sim.log.count("battery_mode_task_info") == 0


@pytest.mark.parametrize("outcome", ["SUCCESS", "FAILURE"])
async def test_restart_while_pending(
    hass: HomeAssistant,
    *,
    hass_storage: dict[str, Any],
    slow_plant: MockConfigEntry,
    sim: FusionSolarSimulator,
    freezer: FrozenDateTimeFactory,
    outcome: str,
) -> None:
    """A task delivered before a restart is followed after it; its result shows."""
    if outcome != "SUCCESS":
        sim.fail_next_task(HOME, outcome)
    logbook = async_capture_events(hass, "logbook_entry")
    await _select(hass, "third_party_dispatch")
    requested_at = hass.states.get(BATTERY_MODE).attributes["requested_at"]
    await async_stop(hass, hass_storage, slow_plant)
    await async_advance(hass, freezer, timedelta(minutes=1))
    await async_start_again(hass, slow_plant)
    state = hass.states.get(BATTERY_MODE)
    assert state.state == "third_party_dispatch"
    assert state.attributes["pending"] is True
    assert state.attributes["requested_at"] == requested_at
    await _until_settled(hass, freezer, BATTERY_MODE)
    assert sim.log.count("battery_mode_task") == 1
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"{slow_plant.entry_id}_control_failed_{HOME}_battery_mode"
    )
    if outcome == "SUCCESS":
        assert hass.states.get(BATTERY_MODE).state == "third_party_dispatch"
        assert issue is None
        assert not logbook
    else:
        assert hass.states.get(BATTERY_MODE).state == "maximum_self_consumption"
        assert issue is not None
        assert len(logbook) == 1
    # Done: not followed again after the next restart.
    await async_stop(hass, hass_storage, slow_plant)
    await async_start_again(hass, slow_plant)
    assert "pending" not in hass.states.get(BATTERY_MODE).attributes


async def test_wait_has_an_upper_bound(
    hass: HomeAssistant,
    slow_plant: MockConfigEntry,
    sim: FusionSolarSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """``wait: true`` on a task that never ends: unconfirmed within WAIT_AT_MOST."""
    sim.task_delay = timedelta(hours=1)
    sim.faults.add("battery_mode_task_info", status=500, times=2)
    call = asyncio.get_running_loop().create_task(
        _battery_mode(hass, slow_plant, "third_party_dispatch", wait=True)
    )
    await _delivered(sim)
    waited = timedelta()
    while not call.done():
        await async_advance(hass, freezer, timedelta(seconds=5))
        waited += timedelta(seconds=5)
    with pytest.raises(HomeAssistantError) as err:
        call.result()
    assert err.value.translation_key == "fusionsolar_task_unconfirmed"
    # Every pause, and the two after the failed queries (in 5-second steps).
    followed = timedelta(seconds=sum(TASK_POLL_DELAYS) + sum(TASK_RETRY_DELAYS[:2]))
    assert followed <= waited <= followed + timedelta(seconds=10)
    assert waited <= timedelta(seconds=WAIT_AT_MOST)
    assert "pending" not in hass.states.get(BATTERY_MODE).attributes


async def test_restart_while_the_feed_in_limit_is_pending(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    slow_plant: MockConfigEntry,
    sim: FusionSolarSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A kW limit is followed after a restart; a stored task that is unreadable is not."""
    await async_set_number(hass, FEED_IN_LIMIT, 2.5)
    await async_stop(hass, hass_storage, slow_plant)
    [account] = hass_storage[STORAGE_KEY]["data"]["accounts"].values()
    assert set(account["control_tasks"]) == {f"{HOME}_feed_in"}
    account["control_tasks"]["broken"] = {"kind": "nonsense", "plant": HOME}
    await async_start_again(hass, slow_plant)
    assert hass.states.get(FEED_IN_LIMIT).state == "2.5"
    assert hass.states.get(FEED_IN_LIMIT).attributes["pending"] is True
    await _until_settled(hass, freezer, FEED_IN_LIMIT)
    assert hass.states.get(FEED_IN_LIMIT).state == "2.5"
    assert sim.plant(HOME).feed_in_limit_kw() == 2.5
    assert sim.log.count("power_control_task") == 1
