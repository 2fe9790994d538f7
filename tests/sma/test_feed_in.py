"""The SMA GridControl feed-in limit: numbers and the shared action."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, State
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache_with_extra_data,
)

from custom_components.solar_cloud.const import DOMAIN
from custom_components.solar_cloud.sma.data import sma_data

from ..common import async_advance, async_set_number, device_of
from ..const import NOON
from ..simulator.sma import SANDBOX_OWNER, SmaSimulator
from .const import FEED_IN_LIMIT

pytestmark = pytest.mark.freeze_time(NOON)


def _device_id(hass: HomeAssistant, entry: MockConfigEntry, key: str) -> str:
    return device_of(hass, entry, f"sma_{key}").id


async def _call(hass: HomeAssistant, data: dict[str, Any]) -> Any:
    return await hass.services.async_call(
        DOMAIN, "set_feed_in_limit", data, blocking=True, return_response=True
    )


def _commands(sim: SmaSimulator, plant: str = "13") -> list[dict[str, Any]]:
    return [body["commands"][0] for body in sim.schedules.get(plant, [])]


async def test_number_sends_a_schedule(
    hass: HomeAssistant, loaded_custom: MockConfigEntry, sim: SmaSimulator
) -> None:
    """Setting a number sends an open-ended FeedInLimit; the other unit shows unknown."""
    watts = FEED_IN_LIMIT
    percent = "number.testplant_1_feed_in_limit_percent"
    assert hass.states.get(watts).attributes["max"] == 100_000.0
    await async_set_number(hass, watts, 4200)
    assert _commands(sim) == [
        {
            "commandType": "FeedInLimit",
            "start": "2026-06-21T10:00:00Z",
            "value": 4200.0,
            "unit": "W",
        }
    ]
    assert hass.states.get(watts).state == "4200.0"
    assert hass.states.get(percent).state == "unknown"

    await async_set_number(hass, percent, 60)
    assert _commands(sim)[-1]["unit"] == "Percent"
    assert hass.states.get(percent).state == "60.0"
    assert hass.states.get(watts).state == "unknown"


async def test_number_failure_keeps_the_value(
    hass: HomeAssistant, loaded_custom: MockConfigEntry, sim: SmaSimulator
) -> None:
    """A refused schedule is a translated error; the number does not pretend."""
    sim.faults.add("schedules", status=503)
    with pytest.raises(HomeAssistantError) as err:
        await async_set_number(hass, FEED_IN_LIMIT, 100)
    assert err.value.translation_key == "cannot_connect"
    assert hass.states.get(FEED_IN_LIMIT).state == "unknown"


async def test_number_restores_the_last_limit(
    hass: HomeAssistant, custom_entry: MockConfigEntry
) -> None:
    """GridControl does not report the limit: the last one sent survives restarts."""
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State("number.testplant_1_feed_in_limit_percent", "70"),
                {
                    "native_value": 70.0,
                    "native_min_value": 0,
                    "native_max_value": 100,
                    "native_step": 1,
                    "native_unit_of_measurement": "%",
                },
            ),
            (State(FEED_IN_LIMIT, "unknown"), {}),
        ],
    )
    assert await hass.config_entries.async_setup(custom_entry.entry_id)
    assert hass.states.get("number.testplant_1_feed_in_limit_percent").state == "70.0"
    assert hass.states.get(FEED_IN_LIMIT).state == "unknown"


@pytest.mark.parametrize(
    ("data", "command"),
    [
        ({"mode": "limited", "power_limit": 3.5}, {"value": 3500.0, "unit": "W"}),
        ({"mode": "limited", "power_limit": 0}, {"value": 0.0, "unit": "W"}),
        ({"mode": "limited", "percent_limit": 70, "duration": {"hours": 2}}, {"value": 70.0, "unit": "Percent", "duration": 7200}),
        ({"mode": "no_limit", "duration": "00:30:00"}, {"value": 100, "unit": "Percent", "duration": 1800}),
    ],
)  # fmt: skip
async def test_action_on_a_plant(
    hass: HomeAssistant,
    *,
    loaded_custom: MockConfigEntry,
    sim: SmaSimulator,
    data: dict[str, Any],
    command: dict[str, Any],
) -> None:
    """kW become W, percent stays percent, a duration bounds the command."""
    response = await _call(
        hass, {"device_id": _device_id(hass, loaded_custom, "13"), **data}
    )
    sent = _commands(sim)
    assert sent == [
        {"commandType": "FeedInLimit", "start": "2026-06-21T10:00:00Z", **command}
    ]
    assert response == {
        "plant": "Testplant 1",
        "schedule_id": "schedule-1",
        "state": "accepted",
        "value": command["value"],
        "unit": "W" if command["unit"] == "W" else "percent",
        "duration": float(command["duration"]) if "duration" in command else None,
        "ends_at": (
            f"2026-06-21T{10 + command['duration'] // 3600:02}:"
            f"{command['duration'] % 3600 // 60:02}:00+00:00"
            if "duration" in command
            else None
        ),
    }
    state = hass.states.get(
        FEED_IN_LIMIT
        if command["unit"] == "W"
        else "number.testplant_1_feed_in_limit_percent"
    )
    assert state.state == str(float(command["value"]))
    assert state.attributes.get("ends_at") == response["ends_at"]


async def test_action_on_a_device_of_the_plant(
    hass: HomeAssistant,
    loaded_custom: MockConfigEntry,
    sim: SmaSimulator,
) -> None:
    """An inverter stands for its plant."""
    await _call(
        hass,
        {
            "device_id": _device_id(hass, loaded_custom, "13_16"),
            "mode": "no_limit",
        },
    )
    assert len(_commands(sim)) == 1


@pytest.mark.parametrize(
    ("target", "data", "key"),
    [
        ("13", {"mode": "limited", "power_limit": 2, "scope": "single_phase"}, "sma_single_phase_not_supported"),
        ("13", {"mode": "limited", "power_limit": -1}, "sma_feed_in_limit_negative"),
        ("24", {"mode": "limited", "power_limit": 2}, "sma_feed_in_not_eligible"),
        ("24_25", {"mode": "no_limit"}, "sma_feed_in_not_eligible"),
        (None, {"mode": "no_limit"}, "sma_plant_required"),
    ],
)  # fmt: skip
async def test_action_refused(
    hass: HomeAssistant,
    *,
    loaded_custom: MockConfigEntry,
    sim: SmaSimulator,
    target: str | None,
    data: dict[str, Any],
    key: str,
) -> None:
    """What SMA cannot do is refused with a translated reason, before any call."""
    targets = (
        {"device_id": _device_id(hass, loaded_custom, target)}
        if target is not None
        else {"config_entry_id": loaded_custom.entry_id}
    )
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, {**targets, **data})
    assert err.value.translation_key == key
    assert sim.log.count("schedules") == 0


async def test_action_on_an_account_with_one_plant(
    hass: HomeAssistant,
    custom_entry: MockConfigEntry,
    sim: SmaSimulator,
) -> None:
    """An account with one plant needs no device."""
    sim.consents[("custom-client", SANDBOX_OWNER)].scope = {"13"}
    assert await hass.config_entries.async_setup(custom_entry.entry_id)
    await _call(hass, {"config_entry_id": custom_entry.entry_id, "mode": "no_limit"})
    assert len(_commands(sim)) == 1


@pytest.mark.parametrize(
    ("fault", "key"),
    [
        ({"status": 503}, "cannot_connect"),
        ({"status": 400, "body": b'{"message": "Invalid schedule", "code": "400"}'}, "unexpected_response"),
        ({"status": 403}, "sma_forbidden"),
        ({"status": 401}, "sma_token_not_active"),
    ],
)  # fmt: skip
async def test_action_failures(
    hass: HomeAssistant,
    *,
    loaded_custom: MockConfigEntry,
    sim: SmaSimulator,
    fault: dict[str, Any],
    key: str,
) -> None:
    """SMA refusing the schedule is a translated error; 401 also asks to sign in."""
    sim.faults.add("schedules", **fault)
    with pytest.raises(HomeAssistantError) as err:
        await _call(
            hass,
            {
                "device_id": _device_id(hass, loaded_custom, "13"),
                "mode": "no_limit",
            },
        )
    assert err.value.translation_key == key
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert bool(flows) is (key == "sma_token_not_active")


async def test_rejected_schedule_is_not_shown(
    hass: HomeAssistant, loaded_custom: MockConfigEntry, sim: SmaSimulator
) -> None:
    """A schedule SMA answers "Rejected" is an error; nothing shows as set."""
    watts = FEED_IN_LIMIT
    sim.reject_schedules = "Rejected"
    with pytest.raises(HomeAssistantError) as err:
        await async_set_number(hass, watts, 4200)
    assert err.value.translation_key == "sma_schedule_rejected"
    assert err.value.translation_placeholders == {
        "plant": "Testplant 1",
        "state": "Rejected",
    }
    assert hass.states.get(watts).state == "unknown"
    with pytest.raises(HomeAssistantError) as err:
        await _call(
            hass,
            {
                "device_id": _device_id(hass, loaded_custom, "13"),
                "mode": "limited",
                "power_limit": 3,
            },
        )
    assert err.value.translation_key == "sma_schedule_rejected"
    assert hass.states.get(watts).state == "unknown"


async def test_timed_limit_ends(
    hass: HomeAssistant,
    loaded_custom: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A 15-minute limit shows its end, then the plant's unlimited state."""
    percent = "number.testplant_1_feed_in_limit_percent"
    await _call(
        hass,
        {
            "device_id": _device_id(hass, loaded_custom, "13"),
            "mode": "limited",
            "percent_limit": 40,
            "duration": {"minutes": 15},
        },
    )
    state = hass.states.get(percent)
    assert state.state == "40.0"
    assert state.attributes["ends_at"] == "2026-06-21T10:15:00+00:00"
    await async_advance(hass, freezer, timedelta(minutes=14))
    assert hass.states.get(percent).state == "40.0"
    await async_advance(hass, freezer, timedelta(minutes=2))
    state = hass.states.get(percent)
    assert state.state == "100.0"
    assert "ends_at" not in state.attributes
    await async_advance(hass, freezer, timedelta(hours=3))
    assert hass.states.get(percent).state == "100.0"


@pytest.mark.parametrize(
    ("ends_at", "shown"),
    [("2026-06-21T09:30:00+00:00", "100.0"), ("2026-06-21T10:30:00+00:00", "40.0")],
)
async def test_timed_limit_across_a_restart(
    hass: HomeAssistant,
    custom_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    ends_at: str,
    shown: str,
) -> None:
    """A restored timed limit that ended meanwhile shows no limit; else until its end."""
    percent = "number.testplant_1_feed_in_limit_percent"
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State(percent, "40.0", {"ends_at": ends_at}),
                {
                    "native_value": 40.0,
                    "native_min_value": 0,
                    "native_max_value": 100,
                    "native_step": 1,
                    "native_unit_of_measurement": "%",
                },
            ),
        ],
    )
    assert await hass.config_entries.async_setup(custom_entry.entry_id)
    assert hass.states.get(percent).state == shown
    await async_advance(hass, freezer, timedelta(minutes=31))
    assert hass.states.get(percent).state == "100.0"


async def test_watts_and_percent_agree(
    hass: HomeAssistant, loaded_custom: MockConfigEntry, sim: SmaSimulator
) -> None:
    """With a nominal power, setting either unit shows the limit in both."""
    data = sma_data(loaded_custom)
    [entity] = [
        e
        for e in hass.data["entity_components"]["number"].entities
        if e.entity_id == "number.testplant_1_feed_in_limit_percent"
    ]
    [watt_entity] = [
        e
        for e in hass.data["entity_components"]["number"].entities
        if e.entity_id == FEED_IN_LIMIT
    ]
    entity._nominal_power = watt_entity._nominal_power = 10_000.0
    await async_set_number(hass, "number.testplant_1_feed_in_limit_percent", 60)
    assert hass.states.get(FEED_IN_LIMIT).state == "6000"
    await async_set_number(hass, FEED_IN_LIMIT, 2500)
    assert hass.states.get("number.testplant_1_feed_in_limit_percent").state == "25.0"
    assert data.feed_in_limits["13"].value == 2500
