"""Setup, errors over time, repairs, diagnostics, and a day in Home Assistant."""

from __future__ import annotations

from datetime import timedelta
import time
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_URL, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.solar_cloud.const import CONF_VENDOR, DOMAIN, Vendor
from custom_components.solar_cloud.fusionsolar.const import CONF_OAUTH_SERVER
from custom_components.solar_cloud.fusionsolar.data import fusionsolar_data
from custom_components.solar_cloud.fusionsolar.rights import ISSUE_MISSING_RIGHTS

from ..common import async_advance
from ..const import NOON
from ..simulator.core import RunningSimulator, StartSimulator
from ..simulator.fusionsolar import DEMO_USER, FusionSolarSimulator, scaled_account
from ..simulator.oauth import IssuedToken
from .const import BATTERY_MODE, CLIENT_ID, CREDENTIAL, DEMO_SCOPE, ENERGY_TODAY, POWER
from .fixture_types import AddEntry

pytestmark = pytest.mark.freeze_time(NOON)


@pytest.mark.parametrize(
    ("endpoint", "fault", "state"),
    [
        ("login", {"body": b""}, ConfigEntryState.SETUP_ERROR),
        ("login", {"vendor_error": 20403}, ConfigEntryState.SETUP_ERROR),
        ("login", {"vendor_error": 407}, ConfigEntryState.SETUP_RETRY),
        ("stations", {"status": 502}, ConfigEntryState.SETUP_RETRY),
        ("getDevList", {"vendor_error": 401}, ConfigEntryState.SETUP_RETRY),
        ("getStationRealKpi", {"vendor_error": 20004}, ConfigEntryState.LOADED),
        ("*", {"status": 500}, ConfigEntryState.SETUP_RETRY),
    ],
)
async def test_setup_errors(
    hass: HomeAssistant,
    *,
    mock_entry: MockConfigEntry,
    sim: FusionSolarSimulator,
    endpoint: str,
    fault: dict[str, Any],
    state: ConfigEntryState,
) -> None:
    """Wrong credentials ask the user; the rest retries (one failing batch does not)."""
    sim.faults.add(endpoint, **fault)
    await hass.config_entries.async_setup(mock_entry.entry_id)
    assert mock_entry.state is state
    if state is ConfigEntryState.SETUP_ERROR:
        flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        assert flows[0]["context"]["source"] == "reauth"


async def test_empty_login_answers_lock_until_reload(
    hass: HomeAssistant, mock_entry: MockConfigEntry, sim: FusionSolarSimulator
) -> None:
    """Two empty answers ask the user; a reload tries anew, past one glitch."""
    sim.faults.add("login", body=b"", times=2)
    await hass.config_entries.async_setup(mock_entry.entry_id)
    assert mock_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    assert sim.log.count("login") == 2

    sim.faults.add("login", body=b"", times=1)
    await hass.config_entries.async_reload(mock_entry.entry_id)
    assert mock_entry.state is ConfigEntryState.LOADED
    assert sim.log.count("login") == 4


async def test_missing_rights_are_a_repair_issue(
    hass: HomeAssistant,
    mock_entry: MockConfigEntry,
    sim: FusionSolarSimulator,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Refused interfaces are named in one repair issue; their entities stay unavailable."""
    sim.accounts[DEMO_USER].denied.add("getAlarmList")
    sim.accounts[DEMO_USER].owner_denied.add("battery_mode")
    assert await hass.config_entries.async_setup(mock_entry.entry_id)
    issue = issue_registry.async_get_issue(
        DOMAIN, f"{mock_entry.entry_id}_{ISSUE_MISSING_RIGHTS}"
    )
    assert issue is not None
    assert issue.translation_placeholders["rights"] == (
        "getAlarmList, v1/configuration/battery-mode"
    )
    assert hass.states.get("sensor.rheinblick_active_alarms").state == STATE_UNAVAILABLE
    assert hass.states.get(BATTERY_MODE).state == STATE_UNAVAILABLE
    # A reload checks again, starting without the issue.
    sim.accounts[DEMO_USER].denied.clear()
    sim.accounts[DEMO_USER].owner_denied.clear()
    await hass.config_entries.async_reload(mock_entry.entry_id)
    assert (
        issue_registry.async_get_issue(
            DOMAIN, f"{mock_entry.entry_id}_{ISSUE_MISSING_RIGHTS}"
        )
        is None
    )


async def test_missing_rights_leave_the_issue_once_answered(
    hass: HomeAssistant,
    mock_entry: MockConfigEntry,
    sim: FusionSolarSimulator,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A right granted later leaves the issue at its next answer; no reload."""
    issue_id = f"{mock_entry.entry_id}_{ISSUE_MISSING_RIGHTS}"
    sim.accounts[DEMO_USER].denied.add("getAlarmList")
    sim.accounts[DEMO_USER].owner_denied.add("battery_mode")
    assert await hass.config_entries.async_setup(mock_entry.entry_id)
    await hass.async_block_till_done()

    # The owner allows the battery settings: asked again within the hour.
    sim.accounts[DEMO_USER].owner_denied.clear()
    await async_advance(
        hass, freezer, timedelta(hours=1, minutes=10), step=timedelta(minutes=5)
    )
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders["rights"] == "getAlarmList"

    # The alarm list is granted: asked again the next day, the issue goes.
    sim.accounts[DEMO_USER].denied.clear()
    await async_advance(hass, freezer, timedelta(days=1), step=timedelta(hours=1))
    assert sim.log.count("getAlarmList", status=200) >= 1
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    assert hass.states.get("sensor.rheinblick_active_alarms").state != (
        STATE_UNAVAILABLE
    )
    assert mock_entry.state is ConfigEntryState.LOADED


async def test_owner_authorization_is_asked_for_hourly(
    hass: HomeAssistant,
    mock_entry: MockConfigEntry,
    sim: FusionSolarSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """What the owner withholds (20056) returns within the hour of allowing it.

    An interface the account has no right to waits a day, as before.
    """
    sim.accounts[DEMO_USER].denied.add("getAlarmList")
    sim.accounts[DEMO_USER].owner_denied.add("battery_mode")
    assert await hass.config_entries.async_setup(mock_entry.entry_id)
    mode = BATTERY_MODE
    assert hass.states.get(mode).state == STATE_UNAVAILABLE
    sim.accounts[DEMO_USER].denied.clear()
    sim.accounts[DEMO_USER].owner_denied.clear()
    sim.log.clear()

    await async_advance(hass, freezer, timedelta(minutes=65), step=timedelta(minutes=5))
    assert hass.states.get(mode).state != STATE_UNAVAILABLE
    assert sim.log.count("getAlarmList") == 0
    assert hass.states.get("sensor.rheinblick_active_alarms").state == STATE_UNAVAILABLE


async def test_password_changed_while_running(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    sim: FusionSolarSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A lapsed session meets a changed password: reauth, and no second try."""
    sim.accounts[DEMO_USER].password = "changed"
    sim.steal_session(DEMO_USER)
    await async_advance(hass, freezer, timedelta(minutes=6), step=timedelta(minutes=1))
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    logins = sim.log.count("login")
    await async_advance(hass, freezer, timedelta(minutes=30), step=timedelta(minutes=5))
    assert sim.log.count("login") == logins


async def test_daily_quota_is_waited_out(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    sim: FusionSolarSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The daily quota (failCode 20618) stops an interface for an hour, not a minute."""
    sim.faults.add("getStationRealKpi", vendor_error=20618)
    sim.log.clear()
    await async_advance(hass, freezer, timedelta(minutes=50), step=timedelta(minutes=1))
    assert sim.log.count("getStationRealKpi") == 1
    # Other interfaces go on meanwhile.
    assert sim.log.count("getDevRealKpi") > 1
    await async_advance(hass, freezer, timedelta(minutes=20), step=timedelta(minutes=1))
    assert sim.log.count("getStationRealKpi") == 2


async def test_session_taken_by_another_login(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    sim: FusionSolarSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Another login ends the session: log in again once, data keeps flowing."""
    sim.steal_session(DEMO_USER)
    logins = sim.log.count("login")
    await async_advance(hass, freezer, timedelta(minutes=6), step=timedelta(minutes=1))
    assert sim.log.count("login") == logins + 1
    assert hass.states.get(POWER).state != STATE_UNAVAILABLE


async def test_rate_limit_keeps_values(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    sim: FusionSolarSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A 407 backs the interface off for its window; values stay meanwhile."""
    sim.faults.add("getDevRealKpi", vendor_error=407, times=1)
    await async_advance(hass, freezer, timedelta(minutes=6), step=timedelta(minutes=1))
    calls = sim.log.count("getDevRealKpi")
    await async_advance(hass, freezer, timedelta(minutes=3), step=timedelta(minutes=1))
    assert sim.log.count("getDevRealKpi") == calls
    assert hass.states.get(POWER).state != STATE_UNAVAILABLE
    await async_advance(hass, freezer, timedelta(minutes=5), step=timedelta(minutes=1))
    assert sim.log.count("getDevRealKpi") > calls
    assert sim.refused_calls() == 0


async def test_unload(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> None:
    """Unloading stops the entities."""
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    assert loaded_entry.state is ConfigEntryState.NOT_LOADED
    assert hass.states.get(ENERGY_TODAY).state == STATE_UNAVAILABLE


async def test_diagnostics(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
) -> None:
    """Diagnostics hold the inventory, data and budget; secrets and identities redacted."""
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, loaded_entry
    )
    text = str(diagnostics)
    for secret in ("Demo@2026", DEMO_USER, "HV2240468303", "Rheinstrasse", "49.945273"):
        assert secret not in text
    vendor = diagnostics["vendor"]
    assert vendor["budget"]["dev_real_kpi"]["made"] == 8
    # Ten device types (Dongle and safety box count too), eight with data.
    assert vendor["budget"]["dev_real_kpi"]["allowed"] == 10
    assert diagnostics == snapshot(exclude=_volatile)


def _volatile(prop: Any, path: Any) -> bool:
    return prop in ("entry_id", "created_at", "modified_at", CONF_URL, "next")


# A day in Home Assistant ------------------------------------------------------


@pytest.mark.freeze_time("2026-06-21T00:00:00+00:00")
@pytest.mark.parametrize("plants", [1, 10])
@pytest.mark.usefixtures("loop_debug_off")
async def test_day_in_home_assistant(
    hass: HomeAssistant,
    start_vendor_simulator: StartSimulator,
    add_entry: AddEntry,
    freezer: FrozenDateTimeFactory,
    plants: int,
) -> None:
    """24 hours through the whole stack: nothing refused, nothing unavailable.

    The clock moves a minute at a time; every entity is checked at every step.
    (test_call_budget.py runs 1, 10 and 150 plants below Home Assistant.)
    """
    sim = FusionSolarSimulator([scaled_account("day", "pw", plants)])
    cloud = await start_vendor_simulator(sim)
    entry = add_entry(cloud.base_url, "day", "pw")
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    sensors = [
        state.entity_id
        for state in hass.states.async_all("sensor")
        if "active_alarms" not in state.entity_id
    ]
    assert len(sensors) > plants * 20
    real_time = fusionsolar_data(entry).real_time
    # A reading's age peaks just before the next one replaces it: the longest
    # gap between two readings of a plant or device is the oldest its data got.
    last: dict[object, Any] = {}
    max_age = timedelta()
    for _ in range(24 * 60):
        await async_advance(hass, freezer, timedelta(minutes=1))
        readings = {
            **{("plant", code): r.at for code, r in real_time.data.plants.items()},
            **{("device", key): r.at for key, r in real_time.data.devices.items()},
        }
        assert len(readings) == plants * 4
        for key, at in readings.items():
            if key in last and at != last[key]:
                max_age = max(max_age, at - last[key])
            last[key] = at
        unavailable = [
            entity
            for entity in sensors
            if hass.states.get(entity).state == STATE_UNAVAILABLE
        ]
        assert not unavailable
    assert sim.refused_calls() == 0
    # Now and then an upload is let go to keep the delay small (polling.py):
    # never long enough for data to turn stale, even seen in whole minutes.
    assert max_age < timedelta(minutes=10)
    # The clock moving in whole minutes makes every call up to a minute late;
    # the poller lets an upload go rather than fall behind (polling.py), so
    # fewer than 288 calls, but every batch at least every ten minutes.
    counts = sim.log.counts()
    assert counts["getStationRealKpi"] >= 24 * 6
    assert counts["getDevRealKpi"] >= 24 * 6 * 3


# OAuth Connect entries --------------------------------------------------------


@pytest.mark.usefixtures("credential")
async def test_oauth_entry(
    hass: HomeAssistant,
    cloud: RunningSimulator,
    sim: FusionSolarSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An OAuth entry polls with its bearer token and refreshes it when due."""
    now = sim.clock.now()
    sim.oauth.access_tokens["access-1"] = IssuedToken(
        client_id=CLIENT_ID,
        subject=DEMO_USER,
        scope=DEMO_SCOPE,
        expires_at=now + timedelta(hours=1),
    )
    sim.oauth.refresh_tokens["refresh-1"] = IssuedToken(
        client_id=CLIENT_ID,
        subject=DEMO_USER,
        scope=DEMO_SCOPE,
        expires_at=now,
    )
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id="oauth:entry",
        data={
            CONF_VENDOR: Vendor.FUSIONSOLAR,
            CONF_URL: cloud.base_url,
            CONF_OAUTH_SERVER: cloud.base_url,
            "auth_implementation": CREDENTIAL,
            "token": {
                "access_token": "access-1",
                "refresh_token": "refresh-1",
                "expires_at": time.time() + 3600,
                "token_type": "Bearer",
            },
        },
        options={"controls": False},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED
    assert sim.log.count("login") == 0
    assert sim.log.of("stations")[0].headers["Authorization"] == "Bearer access-1"
    assert hass.states.get(BATTERY_MODE) is None

    await async_advance(hass, freezer, timedelta(hours=1), step=timedelta(minutes=5))
    assert sim.log.count("oauth_token") == 1
    assert entry.data["token"]["access_token"] != "access-1"
    assert hass.states.get(POWER).state != STATE_UNAVAILABLE
