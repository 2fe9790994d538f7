"""Restarts: the call budget and the inventory outlive Home Assistant.

Huawei counts calls over windows of up to a day and refuses the plant list
for a day after one call too many, restart or not. A restart is played here
as Home Assistant's stop (its final write), the entry unloading, the memory
of the account forgotten, and the entry set up again, against the simulator
(which enforces the documented flow control) over real HTTP.
"""

from __future__ import annotations

from collections import deque
from datetime import timedelta
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.solar_cloud.fusionsolar.const import INVENTORY_INTERVAL
from custom_components.solar_cloud.fusionsolar.data import fusionsolar_data
from custom_components.solar_cloud.fusionsolar.storage import (
    SAVE_DELAY,
    STORAGE_KEY,
    STORAGE_VERSION,
)

from ..common import async_advance
from ..const import NOON
from ..simulator.core import RunningSimulator
from ..simulator.fusionsolar import DEMO_USER, FusionSolarSimulator
from .common import async_add_account, async_start_again, async_stop, forget_accounts
from .const import HOME, MATERNELLE, POWER, PUER

pytestmark = pytest.mark.freeze_time(NOON)

_LOGGER = logging.getLogger(__name__)


@pytest.mark.parametrize("storage", [True, False], ids=["kept", "lost"])
async def test_restart_right_after_adding_the_account(
    hass: HomeAssistant,
    *,
    cloud: RunningSimulator,
    sim: FusionSolarSimulator,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    storage: bool,
) -> None:
    """Added, restarted 30 s later: loads at once, lists nothing again, nothing refused.

    ``lost``: what happens without the storage - the plant list again within
    the minute, a 407, and the entry not ready (for a day, at Huawei's).
    """
    result = await async_add_account(hass, cloud.base_url)
    await hass.async_block_till_done()
    entry = result["result"]
    assert entry.state is ConfigEntryState.LOADED
    before = sim.log.counts()

    await async_advance(hass, freezer, timedelta(seconds=30))
    await async_stop(hass, hass_storage, entry)
    if not storage:
        hass_storage.pop(STORAGE_KEY)
    await async_start_again(hass, entry)

    if not storage:
        assert entry.state is ConfigEntryState.SETUP_RETRY
        assert sim.refused_calls() == 1
        return
    assert entry.state is ConfigEntryState.LOADED
    at_restart = sim.log.counts()
    assert at_restart["stations"] == before["stations"] == 1
    assert at_restart["getDevList"] == before["getDevList"] == 1
    assert sim.refused_calls() == 0
    # The inventory is read again a day after it was, not a day after the restart.
    interval = fusionsolar_data(entry).inventory.update_interval
    assert INVENTORY_INTERVAL - timedelta(minutes=1) < interval < INVENTORY_INTERVAL

    # The pollers wait for what Huawei still counts, then run as usual.
    await async_advance(hass, freezer, timedelta(minutes=15), step=timedelta(minutes=1))
    after = sim.log.counts()
    assert sim.refused_calls() == 0
    assert hass.states.get(POWER).state != STATE_UNAVAILABLE
    assert after["stations"] == 1
    _LOGGER.warning(
        "restart 30 s after adding: before %s, at restart %s, 15 min later %s, "
        "refused %d",
        dict(before),
        dict(at_restart),
        dict(after),
        sim.refused_calls(),
    )


@pytest.mark.parametrize("refused_by", ["huawei", "budget"])
async def test_restart_with_a_stale_inventory_while_the_plant_list_is_refused(
    hass: HomeAssistant,
    *,
    loaded_entry: MockConfigEntry,
    sim: FusionSolarSimulator,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    refused_by: str,
) -> None:
    """Two days off, then the plant list is refused: start from the stored inventory.

    ``huawei``: another program spent the day's plant lists (the server says
    407). ``budget``: a back-off from before the restart is still running
    (nothing is sent). Either way the entry loads with its plants and
    devices, data comes as usual, and the inventory is read again once
    allowed.
    """
    account = loaded_entry.unique_id
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    forget_accounts(hass)
    freezer.tick(timedelta(days=2))
    now = sim.clock.now()
    if refused_by == "huawei":
        sim.accounts[DEMO_USER].calls["stations"] = deque(
            [now - timedelta(hours=1)] * 25
        )
    else:
        stored = hass_storage[STORAGE_KEY]["data"]["accounts"][account]
        stored["budget"] = {
            "calls": {},
            "blocked_until": {"stations": (now + timedelta(hours=2)).isoformat()},
        }
    before = sim.log.counts()

    await async_start_again(hass, loaded_entry)

    assert loaded_entry.state is ConfigEntryState.LOADED
    at_start = sim.log.counts()
    assert at_start["stations"] - before["stations"] == (
        1 if refused_by == "huawei" else 0
    )
    assert at_start["getDevList"] == before["getDevList"]
    refused = sim.refused_calls()
    assert refused == (1 if refused_by == "huawei" else 0)
    data = fusionsolar_data(loaded_entry)
    assert set(data.plants) == {HOME, MATERNELLE, PUER}
    assert len(data.devices) == 10
    assert hass.states.get(POWER).state != STATE_UNAVAILABLE

    # The inventory is read again when the budget allows (in two hours, or
    # once a day has passed since the 407), and nothing else is refused.
    await async_advance(hass, freezer, timedelta(hours=25), step=timedelta(hours=1))
    after = sim.log.counts()
    assert after["stations"] - at_start["stations"] == 1
    assert after["getDevList"] - at_start["getDevList"] == 1
    assert sim.refused_calls() == refused
    assert hass.states.get(POWER).state != STATE_UNAVAILABLE
    _LOGGER.warning(
        "stale inventory, plant list refused by %s: at start %s, 25 h later %s, "
        "refused %d",
        refused_by,
        dict(at_start),
        dict(after),
        sim.refused_calls(),
    )


def _unreadable_account(now: str) -> dict[str, Any]:
    return {
        "budget": {
            "calls": {"stations": ["yesterday", 17, None], "unknown": [now]},
            "blocked_until": {"stations": "soon", "dev_list": ["x"]},
        },
        "inventory": {"at": now, "plants": [{"code": None}], "devices": []},
    }


@pytest.mark.parametrize(
    "stored",
    [
        pytest.param({"version": 0, "data": {"budgets": {}}}, id="older_version"),
        pytest.param({"version": 99, "data": {"accounts": {}}}, id="newer_version"),
        pytest.param({"version": STORAGE_VERSION, "data": ["x"]}, id="not_a_mapping"),
        pytest.param(
            {"version": STORAGE_VERSION, "data": {"accounts": "x"}}, id="no_accounts"
        ),
        pytest.param(
            {"version": STORAGE_VERSION, "data": {"accounts": {"ACCOUNT": "x"}}},
            id="account_not_a_mapping",
        ),
        pytest.param(
            {
                "version": STORAGE_VERSION,
                "data": {"accounts": {"ACCOUNT": "UNREADABLE"}},
            },
            id="unreadable_account",
        ),
        pytest.param({"inventory": {"at": "FUTURE"}}, id="inventory_from_the_future"),
        pytest.param({"inventory": {"include": "NE=1"}}, id="include_not_a_list"),
        pytest.param({"inventory": {"devices": None}}, id="devices_missing"),
    ],
)
async def test_bad_storage_is_ignored_and_rewritten(
    hass: HomeAssistant,
    *,
    mock_entry: MockConfigEntry,
    sim: FusionSolarSimulator,
    hass_storage: dict[str, Any],
    stored: dict[str, Any],
) -> None:
    """Whatever is stored, setup works as without it, and the storage is written anew."""
    now = sim.clock.now()
    account = mock_entry.unique_id
    assert account is not None
    if "inventory" in stored:
        # A good inventory but for one flaw.
        inventory = {
            "at": now.isoformat(),
            "include": None,
            "plants": [{"code": HOME, "name": "Home"}],
            "devices": [],
        } | stored["inventory"]
        if inventory["at"] == "FUTURE":
            inventory["at"] = (now + timedelta(hours=1)).isoformat()
        stored = {
            "version": STORAGE_VERSION,
            "data": {"accounts": {account: {"inventory": inventory}}},
        }
    accounts = stored["data"].get("accounts") if isinstance(stored["data"], dict) else 0
    if isinstance(accounts, dict) and "ACCOUNT" in accounts:
        value = accounts.pop("ACCOUNT")
        accounts[account] = (
            _unreadable_account(now.isoformat()) if value == "UNREADABLE" else value
        )
    hass_storage[STORAGE_KEY] = {"key": STORAGE_KEY, **stored}

    assert await hass.config_entries.async_setup(mock_entry.entry_id)
    await hass.async_block_till_done()

    assert mock_entry.state is ConfigEntryState.LOADED
    assert set(fusionsolar_data(mock_entry).plants) == {HOME, MATERNELLE, PUER}
    assert sim.log.count("stations") == 1
    assert sim.refused_calls() == 0
    assert await hass.config_entries.async_unload(mock_entry.entry_id)
    written = hass_storage[STORAGE_KEY]
    assert written["version"] == STORAGE_VERSION
    kept = written["data"]["accounts"][account]
    assert len(kept["inventory"]["plants"]) == 3
    assert len(kept["budget"]["calls"]["stations"]) == 1


async def test_saved_with_a_delay_and_without_a_removed_accounts_plants(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """Calls are saved a while later, together; a removed account keeps its budget only."""
    assert STORAGE_KEY not in hass_storage
    await async_advance(hass, freezer, timedelta(seconds=SAVE_DELAY + 1))
    accounts = hass_storage[STORAGE_KEY]["data"]["accounts"]
    assert set(accounts[loaded_entry.unique_id]) == {"budget", "inventory"}

    await hass.config_entries.async_remove(loaded_entry.entry_id)
    await hass.async_block_till_done()
    accounts = hass_storage[STORAGE_KEY]["data"]["accounts"]
    assert set(accounts[loaded_entry.unique_id]) == {"budget"}


async def test_stored_inventory_of_fewer_plants_is_read_again(
    hass: HomeAssistant,
    *,
    mock_entry: MockConfigEntry,
    sim: FusionSolarSimulator,
    hass_storage: dict[str, Any],
) -> None:
    """An inventory of one plant does not serve an entry of all; what no longer counts goes."""
    now = sim.clock.now()
    hass_storage[STORAGE_KEY] = {
        "key": STORAGE_KEY,
        "version": STORAGE_VERSION,
        "data": {
            "accounts": {
                mock_entry.unique_id: {
                    "inventory": {
                        "at": (now - timedelta(hours=1)).isoformat(),
                        "include": [HOME],
                        "plants": [{"code": HOME, "name": "Home"}],
                        "devices": [],
                    }
                },
                "gone@example.com": {
                    "budget": {
                        "calls": {"stations": [(now - timedelta(days=2)).isoformat()]}
                    }
                },
            }
        },
    }
    assert await hass.config_entries.async_setup(mock_entry.entry_id)
    await hass.async_block_till_done()

    assert set(fusionsolar_data(mock_entry).plants) == {HOME, MATERNELLE, PUER}
    assert sim.log.count("stations") == 1
    assert await hass.config_entries.async_unload(mock_entry.entry_id)
    accounts = hass_storage[STORAGE_KEY]["data"]["accounts"]
    assert set(accounts) == {mock_entry.unique_id}
    assert accounts[mock_entry.unique_id]["inventory"]["include"] is None
