"""FusionSolar actions: validation, target resolution and the task results."""

from __future__ import annotations

from datetime import timedelta
import json
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.solar_cloud.const import DOMAIN

from ..common import async_call_refused, device_of
from ..const import NOON
from ..simulator.fusionsolar import FusionSolarSimulator
from .const import BATTERY_MODE, FEED_IN_LIMIT, HOME, MATERNELLE, PUER

pytestmark = [pytest.mark.freeze_time(NOON), pytest.mark.usefixtures("fast_tasks")]


def _device(hass: HomeAssistant, entry: MockConfigEntry, key: str) -> str:
    return device_of(hass, entry, f"fusionsolar_{key}").id


async def _call(hass: HomeAssistant, service: str, data: dict[str, Any]) -> Any:
    """Call an action; the task it delivers (instant here) is followed to its end."""
    response = await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=True
    )
    await hass.async_block_till_done()
    return response


async def test_set_feed_in_limit(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, sim: FusionSolarSimulator
) -> None:
    """A kW limit per phase; the task result comes back; the number follows."""
    response = await _call(
        hass,
        "set_feed_in_limit",
        {
            "device_id": _device(hass, loaded_entry, HOME),
            "mode": "limited",
            "power_limit": 1.5,
            "scope": "single_phase",
        },
    )
    assert response == {
        "plant": HOME,
        "task_id": response["task_id"],
        "state": "pending",
        "requested_at": dt_util.parse_datetime(NOON).isoformat(),
    }
    assert response["task_id"]
    assert sim.plant(HOME).power_control["limitedPowerGridValueParam"] == {
        "limitationMode": "singlePhasePower",
        "maxGridFeedInPowerValue": 1.5,
    }
    assert hass.states.get(FEED_IN_LIMIT).state == "1.5"

    response = await _call(
        hass,
        "set_feed_in_limit",
        {
            "device_id": _device(hass, loaded_entry, "1000000035436846"),
            "mode": "no_limit",
            "wait": True,
        },
    )
    assert response["state"] == "confirmed"
    assert set(response) == {
        "plant",
        "task_id",
        "state",
        "requested_at",
        "started",
        "ended",
    }
    assert hass.states.get("select.rheinblick_feed_in_control").state == "no_limit"


def _windows(*windows: tuple[str, str, str]) -> list[dict[str, str]]:
    """Return time-of-use windows from (start, end, action)."""
    return [
        {"start": start, "end": end, "action": action} for start, end, action in windows
    ]


@pytest.mark.parametrize(
    ("service", "device", "data", "key"),
    [
        # FusionSolar limits in kW and for as long as it is set.
        (
            "set_feed_in_limit",
            HOME,
            {"mode": "limited", "percent_limit": 50},
            "fusionsolar_percent_limit_unsupported",
        ),
        (
            "set_feed_in_limit",
            HOME,
            {"mode": "limited", "power_limit": 2, "duration": {"hours": 1}},
            "fusionsolar_duration_unsupported",
        ),
        # Bad windows and values are refused before anything is delivered.
        (
            "set_battery_mode",
            HOME,
            {"mode": "time_of_use"},
            "battery_mode_windows_missing",
        ),
        (
            "set_battery_mode",
            MATERNELLE,
            {"mode": "time_of_use"},
            "battery_mode_windows_missing",
        ),
        (
            "set_battery_mode",
            HOME,
            {
                "mode": "maximum_self_consumption",
                "windows": _windows(("01:00", "02:00", "charge")),
            },
            "battery_mode_windows_unexpected",
        ),
        (
            "set_battery_mode",
            HOME,
            {"mode": "time_of_use", "windows": _windows(("05:00", "02:00", "charge"))},
            "battery_mode_window_empty",
        ),
        (
            "set_battery_mode",
            HOME,
            {
                "mode": "time_of_use",
                "windows": [
                    {
                        "start": "01:00",
                        "end": "04:00",
                        "action": "charge",
                        "days": ["mon"],
                    },
                    {"start": "03:00", "end": "05:00", "action": "discharge"},
                ],
            },
            "battery_mode_windows_overlap",
        ),
        (
            "set_battery_mode",
            HOME,
            {
                "mode": "time_of_use",
                "windows": _windows(
                    *(
                        (f"{hour:02d}:00", f"{hour:02d}:30", "charge")
                        for hour in range(15)
                    )
                ),
            },
            "battery_mode_too_many_windows",
        ),
        (
            "set_battery_mode",
            HOME,
            {
                "mode": "time_of_use",
                "windows": _windows(("01:00", "02:00", "charge")),
                "max_grid_charge_power": 60,
            },
            "fusionsolar_grid_charge_power_too_high",
        ),
        # At least one parameter, each in FusionSolar's range.
        ("set_battery_parameters", HOME, {}, "battery_parameters_missing"),
        (
            "set_battery_parameters",
            HOME,
            {"end_of_charge_soc": 80},
            "fusionsolar_soc_out_of_range",
        ),
        (
            "set_battery_parameters",
            HOME,
            {"end_of_discharge_soc": 30},
            "fusionsolar_soc_out_of_range",
        ),
        # A forced task ends at a target SOC or after at most 24 hours.
        ("force_battery_charge", HOME, {"power": 3000}, "forced_battery_end_missing"),
        (
            "force_battery_charge",
            HOME,
            {"power": 3000, "duration": {"hours": 25}},
            "fusionsolar_forced_too_long",
        ),
    ],
)
async def test_action_refusals(
    hass: HomeAssistant,
    *,
    loaded_entry: MockConfigEntry,
    service: str,
    device: str,
    data: dict[str, Any],
    key: str,
) -> None:
    """Bad input is refused with a translated error before anything is sent."""
    err = await async_call_refused(
        hass, service, {"device_id": _device(hass, loaded_entry, device), **data}
    )
    assert err.translation_key == key


async def test_account_with_several_plants_needs_the_plant(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Only the account as target is enough only for an account of one plant."""
    err = await async_call_refused(
        hass,
        "set_feed_in_limit",
        {"config_entry_id": loaded_entry.entry_id, "mode": "no_limit"},
    )
    assert err.translation_key == "fusionsolar_plant_required"


async def test_account_with_one_plant(
    hass: HomeAssistant, mock_entry: MockConfigEntry, sim: FusionSolarSimulator
) -> None:
    """An account of one plant (by options) takes the account as target."""
    sim.task_delay = timedelta()
    hass.config_entries.async_update_entry(mock_entry, options={"plants": [HOME]})
    assert await hass.config_entries.async_setup(mock_entry.entry_id)
    response = await _call(
        hass,
        "set_feed_in_limit",
        {"config_entry_id": mock_entry.entry_id, "mode": "no_limit"},
    )
    assert response["plant"] == HOME


async def test_stray_device_of_the_entry(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """A device key that is neither plant nor device is refused."""
    stray = dr.async_get(hass).async_get_or_create(
        config_entry_id=loaded_entry.entry_id,
        identifiers={(DOMAIN, "fusionsolar_gone")},
    )
    err = await async_call_refused(hass, "stop_forced_battery", {"device_id": stray.id})
    assert err.translation_key == "invalid_device"


async def test_set_battery_mode_time_of_use(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, sim: FusionSolarSimulator
) -> None:
    """Time of use with windows, PV surplus and grid charging, as the API takes it."""
    response = await _call(
        hass,
        "set_battery_mode",
        {
            "device_id": _device(hass, loaded_entry, HOME),
            "mode": "time_of_use",
            "windows": [
                {
                    "start": "00:00",
                    "end": "06:00",
                    "action": "charge",
                    "days": ["mon", "tue"],
                },
                {"start": "17:00", "end": "00:00", "action": "discharge"},
            ],
            "pv_surplus": "charge",
            "max_grid_charge_power": 3,
        },
    )
    assert response["state"] == "pending"
    mode = sim.plant(HOME).battery_mode
    assert mode["operationMode"] == "TOU"
    assert mode["redundantPVEnergyPriority"] == "chargePreference"
    assert mode["allowedAcChargePower"] == 3
    assert mode["chargingAndDischargingTimeWindow"] == [
        {
            "startTime": "00:00",
            "endTime": "06:00",
            "chargeOrDischarge": "charge",
            "repeat": [1, 2],
        },
        {
            "startTime": "17:00",
            "endTime": "00:00",
            "chargeOrDischarge": "discharge",
            "repeat": [1, 2, 3, 4, 5, 6, 7],
        },
    ]
    assert hass.states.get(BATTERY_MODE).state == "time_of_use"


async def test_battery_actions_need_a_battery(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """A plant without battery refuses battery actions."""
    err = await async_call_refused(
        hass,
        "set_battery_mode",
        {
            "device_id": _device(hass, loaded_entry, MATERNELLE),
            "mode": "third_party_dispatch",
        },
    )
    assert err.translation_key == "fusionsolar_no_battery"
    assert err.translation_placeholders == {"plant": "Maternelle"}


async def test_set_battery_parameters(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, sim: FusionSolarSimulator
) -> None:
    """Parameters left out stay; the numbers show the confirmed ones."""
    response = await _call(
        hass,
        "set_battery_parameters",
        {
            "device_id": _device(hass, loaded_entry, PUER),
            "end_of_charge_soc": 95,
            "max_discharge_power": 20000,
        },
    )
    assert response["state"] == "pending"
    assert sim.plant(PUER).battery_config["endOfChargeSoc"] == 95
    assert sim.plant(PUER).battery_config["maximumDischargePower"] == 20000
    assert sim.plant(PUER).battery_config["endOfDischargeSoc"] == 5
    assert hass.states.get("number.puer_end_of_charge_soc").state == "95.0"


@pytest.mark.parametrize(
    ("service", "data", "task"),
    [
        (
            "force_battery_charge",
            {"power": 3000, "target_soc": 90},
            {
                "dispatchSwitch": 1,
                "controlType": 1,
                "targetSOC": 90.0,
                "powerDispatch": 3000,
            },
        ),
        (
            "force_battery_discharge",
            {"power": 2000, "duration": {"minutes": 30}},
            {
                "dispatchSwitch": 2,
                "controlType": 2,
                "dispatchTime": 30,
                "powerDispatch": -2000,
            },
        ),
    ],
)
async def test_forced_battery(
    hass: HomeAssistant,
    *,
    loaded_entry: MockConfigEntry,
    sim: FusionSolarSimulator,
    service: str,
    data: dict[str, Any],
    task: dict[str, Any],
) -> None:
    """Forced charge or discharge, then stop; the working mode stays."""
    response = await _call(
        hass, service, {"device_id": _device(hass, loaded_entry, HOME), **data}
    )
    assert response["accepted"] is True
    assert response["status"] == "running"
    sent = json.loads(sim.log.of("charge_discharge_task")[-1].body)["tasks"][0]
    assert sent == {"plantCode": HOME, **task}
    assert sim.plant(HOME).forced is not None

    response = await _call(
        hass, "stop_forced_battery", {"device_id": _device(hass, loaded_entry, HOME)}
    )
    assert response["status"] == "done"
    assert sim.plant(HOME).forced is None
    assert sim.plant(HOME).battery_mode["operationMode"] == "maximumSelfConsumption"


async def test_forced_battery_refused_by_the_plant(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, sim: FusionSolarSimulator
) -> None:
    """A forced task the plant does not accept is an error."""
    sim.plant(HOME).devices = [d for d in sim.plant(HOME).devices if d.type_id != 39]
    with pytest.raises(HomeAssistantError) as err:
        await _call(
            hass,
            "force_battery_charge",
            {
                "device_id": _device(hass, loaded_entry, HOME),
                "power": 1000,
                "target_soc": 90,
            },
        )
    assert err.value.translation_key == "fusionsolar_task_invalid"
