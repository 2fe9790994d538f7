"""Controls: selects and numbers deliver tasks, follow them, show confirmed values."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant, State
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    mock_restore_cache_with_extra_data,
)

from custom_components.solar_cloud.api.fusionsolar.const import Path
from custom_components.solar_cloud.const import DOMAIN
from custom_components.solar_cloud.fusionsolar.data import fusionsolar_data

from ..common import async_advance, async_select_option, async_set_number, device_of
from ..const import NOON
from ..simulator.fusionsolar import FusionSolarSimulator
from .const import BATTERY_MODE, FEED_IN_LIMIT, HOME

pytestmark = [pytest.mark.freeze_time(NOON), pytest.mark.usefixtures("fast_tasks")]

FEED_IN_MODE = "select.rheinblick_feed_in_control"
END_OF_CHARGE = "number.rheinblick_end_of_charge_soc"


async def _select(hass: HomeAssistant, entity_id: str, option: str) -> None:
    """Choose an option; the task (instant here) is followed to its end."""
    await async_select_option(hass, entity_id, option)
    await hass.async_block_till_done()


async def _set(hass: HomeAssistant, entity_id: str, value: float) -> None:
    """Set a number; the task (instant here) is followed to its end."""
    await async_set_number(hass, entity_id, value)
    await hass.async_block_till_done()


async def test_battery_mode_select(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, sim: FusionSolarSimulator
) -> None:
    """Third-party dispatch is delivered and shown once confirmed."""
    assert hass.states.get(BATTERY_MODE).state == "maximum_self_consumption"
    await _select(hass, BATTERY_MODE, "third_party_dispatch")
    assert hass.states.get(BATTERY_MODE).state == "third_party_dispatch"
    assert sim.plant(HOME).battery_mode["operationMode"] == "thirdPartyDispatch"
    assert sim.log.count("battery_mode_task") == 1


@pytest.mark.parametrize("option", ["fully_fed_to_grid", "other"])
async def test_battery_modes_that_can_only_be_shown(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    sim: FusionSolarSimulator,
    option: str,
) -> None:
    """Modes the API reports but cannot set are no option; in force, they show."""
    state = hass.states.get(BATTERY_MODE)
    assert state.attributes["options"] == [
        "maximum_self_consumption",
        "time_of_use",
        "third_party_dispatch",
    ]
    with pytest.raises(ServiceValidationError):
        await _select(hass, BATTERY_MODE, option)
    sim.plant(HOME).battery_mode = {
        "operationMode": "fullyFidToGrid" if option == "fully_fed_to_grid" else "x"
    }
    await fusionsolar_data(loaded_entry).control_state.async_refresh_plant(HOME)
    state = hass.states.get(BATTERY_MODE)
    assert state.state == STATE_UNKNOWN
    assert state.attributes["current_mode"] == option


async def test_time_of_use_needs_known_windows(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Time of use needs windows: first through the action, then the select works."""
    with pytest.raises(ServiceValidationError) as err:
        await _select(hass, BATTERY_MODE, "time_of_use")
    assert err.value.translation_key == "fusionsolar_tou_windows_unknown"

    await hass.services.async_call(
        "solar_cloud",
        "set_battery_mode",
        {
            "config_entry_id": loaded_entry.entry_id,
            "device_id": _plant_device(hass, HOME),
            "mode": "time_of_use",
            "windows": [{"start": "01:00", "end": "05:00", "action": "charge"}],
        },
        blocking=True,
        return_response=True,
    )
    await hass.async_block_till_done()
    assert hass.states.get(BATTERY_MODE).state == "time_of_use"
    await _select(hass, BATTERY_MODE, "maximum_self_consumption")
    await _select(hass, BATTERY_MODE, "time_of_use")
    assert hass.states.get(BATTERY_MODE).state == "time_of_use"


def _plant_device(hass: HomeAssistant, code: str) -> str:
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    return device_of(hass, entry, f"fusionsolar_{code}").id


async def test_feed_in_limit(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, sim: FusionSolarSimulator
) -> None:
    """The number limits the feed-in; the select lifts and restores the limit."""
    assert hass.states.get(FEED_IN_MODE).state == "no_limit"
    assert hass.states.get(FEED_IN_LIMIT).state == STATE_UNKNOWN
    with pytest.raises(ServiceValidationError) as err:
        await _select(hass, FEED_IN_MODE, "limited")
    assert err.value.translation_key == "fusionsolar_feed_in_limit_unknown"

    await _set(hass, FEED_IN_LIMIT, 2.5)
    assert hass.states.get(FEED_IN_LIMIT).state == "2.5"
    assert hass.states.get(FEED_IN_MODE).state == "limited"
    assert sim.plant(HOME).feed_in_limit_kw() == 2.5

    await _select(hass, FEED_IN_MODE, "no_limit")
    assert hass.states.get(FEED_IN_MODE).state == "no_limit"
    assert sim.plant(HOME).feed_in_limit_kw() is None
    await _select(hass, FEED_IN_MODE, "limited")
    assert sim.plant(HOME).feed_in_limit_kw() == 2.5

    with pytest.raises(ServiceValidationError):
        await _select(hass, FEED_IN_MODE, "zero_export")


async def test_zero_export_and_percent_are_shown(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    sim: FusionSolarSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Modes set elsewhere (zero export, percent) are shown as they are."""
    sim.plant(HOME).power_control = {
        "controlMode": "zeroExportLimitation",
        "zeroExportLimitationParam": {"limitationMode": "totalPower"},
    }
    data = fusionsolar_data(loaded_entry)
    await data.control_state.async_refresh_plant(HOME)
    assert hass.states.get(FEED_IN_MODE).state == STATE_UNKNOWN
    assert hass.states.get(FEED_IN_MODE).attributes["current_mode"] == "zero_export"
    assert hass.states.get(FEED_IN_LIMIT).state == "0.0"
    sim.plant(HOME).power_control = {
        "controlMode": "limitedPowerGridPercent",
        "limitedPowerGridPercentParam": {
            "limitationMode": "totalPower",
            "maxGridFeedInPowerPercent": 70,
        },
    }
    await data.control_state.async_refresh_plant(HOME)
    assert hass.states.get(FEED_IN_MODE).attributes["current_mode"] == "limited_percent"
    assert hass.states.get(FEED_IN_LIMIT).state == STATE_UNKNOWN


@pytest.mark.parametrize(
    ("message", "key"),
    [
        ("FAILURE", "fusionsolar_task_failed"),
        ("TIMEOUT", "fusionsolar_task_timeout"),
        ("BUSY", "fusionsolar_task_busy"),
        ("INVALID", "fusionsolar_task_invalid"),
        ("EXCEPTION", "fusionsolar_task_failed"),
    ],
)
async def test_failed_task_shows_the_real_value(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    sim: FusionSolarSimulator,
    message: str,
    key: str,
) -> None:
    """FAIL (or TIMEOUT …): the real mode, a logbook entry and a repair issue."""
    sim.fail_next_task(HOME, message)
    queries = sim.log.count("battery_mode")
    logbook = async_capture_events(hass, "logbook_entry")
    await _select(hass, BATTERY_MODE, "third_party_dispatch")
    state = hass.states.get(BATTERY_MODE)
    assert state.state == "maximum_self_consumption"
    assert "pending" not in state.attributes
    # It was read again from the plant.
    assert sim.log.count("battery_mode") == queries + 1
    assert len(logbook) == 1
    assert logbook[0].data["name"] == "Rheinblick (battery_mode)"
    assert logbook[0].data["message"].startswith("third_party_dispatch: ")
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"{loaded_entry.entry_id}_control_failed_{HOME}_battery_mode"
    )
    assert issue is not None
    assert issue.translation_placeholders["reason"] == str(
        HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders={"plant": HOME, "reason": message},
        )
    )
    assert message in issue.translation_placeholders["reason"]
    # A change that is confirmed later resolves it.
    await _select(hass, BATTERY_MODE, "third_party_dispatch")
    assert hass.states.get(BATTERY_MODE).state == "third_party_dispatch"
    assert (
        ir.async_get(hass).async_get_issue(
            DOMAIN, f"{loaded_entry.entry_id}_control_failed_{HOME}_battery_mode"
        )
        is None
    )


async def test_refused_delivery(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, sim: FusionSolarSimulator
) -> None:
    """A task the plant refuses at once (a plant without battery) is an error."""
    sim.plant(HOME).devices = [d for d in sim.plant(HOME).devices if d.type_id != 39]
    with pytest.raises(HomeAssistantError) as err:
        await _set(hass, END_OF_CHARGE, 95)
    assert err.value.translation_key == "fusionsolar_task_invalid"


@pytest.mark.parametrize(
    ("fault", "key"),
    [
        ({"vendor_error": 407}, "rate_limited"),
        ({"vendor_error": 401}, "interface_not_permitted"),
        ({"status": 500}, "cannot_connect"),
    ],
)
async def test_delivery_errors(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    sim: FusionSolarSimulator,
    fault: dict[str, Any],
    key: str,
) -> None:
    """Rate limits and other refusals of the delivery become translated errors."""
    sim.faults.add("battery_mode_task", times=1, **fault)
    with pytest.raises(HomeAssistantError) as err:
        await _select(hass, BATTERY_MODE, "third_party_dispatch")
    assert err.value.translation_key == key
    assert hass.states.get(BATTERY_MODE).state == "maximum_self_consumption"


async def test_task_never_confirmed(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, sim: FusionSolarSimulator
) -> None:
    """A task still running after all pauses: unconfirmed, the plant read again."""
    sim.task_delay = timedelta(hours=1)
    queries = sim.log.count("battery_mode")
    await _select(hass, BATTERY_MODE, "third_party_dispatch")
    assert hass.states.get(BATTERY_MODE).state == "maximum_self_consumption"
    assert sim.log.count("battery_mode") == queries + 1
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"{loaded_entry.entry_id}_control_failed_{HOME}_battery_mode"
    )
    assert issue is not None
    assert "not confirmed" in issue.translation_placeholders["reason"]


async def test_battery_parameters(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, sim: FusionSolarSimulator
) -> None:
    """There is no query: the number shows what was confirmed last."""
    assert hass.states.get(END_OF_CHARGE).state == STATE_UNKNOWN
    await _set(hass, END_OF_CHARGE, 95)
    assert hass.states.get(END_OF_CHARGE).state == "95.0"
    assert sim.plant(HOME).battery_config["endOfChargeSoc"] == 95
    await _set(hass, "number.rheinblick_maximum_charge_power", 2500)
    assert hass.states.get(END_OF_CHARGE).state == "95.0"
    assert sim.plant(HOME).battery_config["maximumChargePower"] == 2500


async def test_battery_parameters_restored(
    hass: HomeAssistant, mock_entry: MockConfigEntry, sim: FusionSolarSimulator
) -> None:
    """After a restart the last confirmed value is shown again."""
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State(END_OF_CHARGE, "97.0"),
                {
                    "native_max_value": 100.0,
                    "native_min_value": 90.0,
                    "native_step": 1.0,
                    "native_unit_of_measurement": "%",
                    "native_value": 97.0,
                },
            )
        ],
    )
    assert await hass.config_entries.async_setup(mock_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(END_OF_CHARGE).state == "97.0"
    assert (
        fusionsolar_data(mock_entry).tasks.battery_parameters[HOME].end_of_charge_soc
        == 97
    )


async def test_plant_without_control_queries(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, sim: FusionSolarSimulator
) -> None:
    """20609: the plant's controls show unavailable and are not asked again."""
    assert (
        hass.states.get("select.maternelle_feed_in_control").state == STATE_UNAVAILABLE
    )
    poller = fusionsolar_data(loaded_entry).control_state.poller
    assert (
        Path.POWER_CONTROL_MODE,
        "5D02E8B40AD342159AC8D8A2BCD4FAB5",
    ) in poller.unsupported
    assert all(job.key not in poller.unsupported for job in poller.jobs)


async def test_controls_switched_off(
    hass: HomeAssistant, mock_entry: MockConfigEntry
) -> None:
    """Without controls: no selects or numbers, and the actions are refused."""
    hass.config_entries.async_update_entry(mock_entry, options={"controls": False})
    assert await hass.config_entries.async_setup(mock_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(BATTERY_MODE) is None
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "solar_cloud",
            "stop_forced_battery",
            {"config_entry_id": mock_entry.entry_id},
            blocking=True,
            return_response=True,
        )
    assert err.value.translation_key == "fusionsolar_controls_disabled"


async def test_rate_limited_control_query_backs_off(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    sim: FusionSolarSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A 407 on a control query holds that interface back for its window."""
    sim.faults.add("battery_mode", vendor_error=407, times=1)
    queries = sim.log.count("battery_mode")
    await fusionsolar_data(loaded_entry).control_state.async_refresh_plant(HOME)
    assert sim.log.count("battery_mode") == queries + 1
    await fusionsolar_data(loaded_entry).control_state.async_refresh_plant(HOME)
    assert sim.log.count("battery_mode") == queries + 1  # backed off, not called
    assert hass.states.get(BATTERY_MODE).state == "maximum_self_consumption"
    # Once the window has passed, the failed query is made again.
    await async_advance(hass, freezer, timedelta(minutes=6), step=timedelta(minutes=1))
    assert sim.log.count("battery_mode") == queries + 2
