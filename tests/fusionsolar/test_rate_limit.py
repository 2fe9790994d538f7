"""FusionSolar's daily quota at setup: its window holds over setup retries and reloads."""

from __future__ import annotations

from datetime import timedelta
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.solar_cloud.account_backoff import account_gate
from custom_components.solar_cloud.api import (
    AccountRateLimitedError,
    ApiRateLimitedError,
)
from custom_components.solar_cloud.api.fusionsolar import FusionSolarClient
from custom_components.solar_cloud.api.fusionsolar.const import FailCode, Path
from custom_components.solar_cloud.api.fusionsolar.polling import (
    AlarmPoller,
    ControlStatePoller,
    async_load_inventory,
)
from custom_components.solar_cloud.fusionsolar.connection import async_create_client
from custom_components.solar_cloud.fusionsolar.data import fusionsolar_data

from ..common import async_advance, async_select_option, async_wait_out_rate_limit
from ..const import NOON
from ..simulator.fusionsolar import FusionSolarSimulator
from .const import BATTERY_MODE, HOME

pytestmark = pytest.mark.freeze_time(NOON)

QUOTA_WINDOW = timedelta(hours=1)
"""How long the client waits after a daily-quota refusal (20618)."""


async def _set_up_over_quota(
    hass: HomeAssistant, entry: MockConfigEntry, sim: FusionSolarSimulator
) -> int:
    """Set the entry up while the plant list is over its quota; return the calls."""
    sim.faults.add("stations", vendor_error=FailCode.DAILY_QUOTA, times=1)
    await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.error_reason_translation_key == "account_rate_limited"
    assert sim.log.count("stations") == 1
    return len(sim.log.requests)


async def test_daily_quota_at_setup_holds_over_setup_retries(
    hass: HomeAssistant,
    mock_entry: MockConfigEntry,
    sim: FusionSolarSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An hour of Home Assistant's setup retries: not one call; then it sets up."""
    await _set_up_over_quota(hass, mock_entry, sim)
    refused = sim.log.of("stations")[0].at
    await async_wait_out_rate_limit(
        hass,
        freezer,
        mock_entry,
        sim.log,
        refused + QUOTA_WINDOW,
        step=timedelta(seconds=20),
    )
    assert dt_util.utcnow() < refused + QUOTA_WINDOW + timedelta(minutes=11)


async def test_reload_within_the_quota_window_makes_no_call(
    hass: HomeAssistant,
    mock_entry: MockConfigEntry,
    sim: FusionSolarSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A reload by the user within the window is refused before any call."""
    calls = await _set_up_over_quota(hass, mock_entry, sim)
    await async_advance(hass, freezer, timedelta(minutes=30), step=timedelta(minutes=1))
    await hass.config_entries.async_reload(mock_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_entry.state is ConfigEntryState.SETUP_RETRY
    assert len(sim.log.requests) == calls


async def test_clients_refuse_within_the_window_without_a_request(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    sim: FusionSolarSimulator,
) -> None:
    """The account's gate stops its clients, and a client built anew, at once.

    Within a window (a daily quota that refused an action) a call of the
    running client and one of a client the entry's factory builds now (as a
    reload does) fail before any request reaches Huawei and before the call
    budget counts them.
    """
    gate = account_gate(hass, loaded_entry)
    gate.rate_limited(
        ApiRateLimitedError("daily quota", retry_after=QUOTA_WINDOW.total_seconds())
    )
    calls = len(sim.log.requests)
    running = fusionsolar_data(loaded_entry).client
    built = await async_create_client(hass, loaded_entry)
    assert built.gate is running.gate is gate
    spent = running.budget.next_slot(Path.STATIONS, running.now())

    for client in (running, built):
        with pytest.raises(AccountRateLimitedError) as err:
            await client.async_get_plants()
        assert err.value.until == dt_util.utcnow() + QUOTA_WINDOW
    assert len(sim.log.requests) == calls
    assert running.budget.next_slot(Path.STATIONS, running.now()) == spent


# Who opens the window: the client, where a refusal is the whole account's ------


@pytest.mark.usefixtures("fast_tasks")
@pytest.mark.parametrize(
    ("vendor_error", "held"),
    [(FailCode.DAILY_QUOTA, True), (FailCode.SYSTEM_LIMIT, True), (407, False)],
)
async def test_an_action_refused_for_the_whole_account_holds_it(  # noqa: PLR0917
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    sim: FusionSolarSimulator,
    caplog: pytest.LogCaptureFixture,
    vendor_error: int,
    held: bool,
) -> None:
    """A delivery refused by the daily quota or the system limit holds the account.

    The window is logged once, and the next action fails without a request;
    one interface's 407 leaves the account going.
    """
    sim.faults.add("battery_mode_task", vendor_error=vendor_error, times=1)
    with caplog.at_level(logging.INFO), pytest.raises(HomeAssistantError):
        await async_select_option(hass, BATTERY_MODE, "third_party_dispatch")
    refusal = account_gate(hass, loaded_entry).refusal()
    assert (refusal is not None) is held
    assert len(_window_lines(caplog)) == (1 if held else 0)
    if not held:
        return
    calls = sim.log.count("battery_mode_task")
    with pytest.raises(HomeAssistantError) as err:
        await async_select_option(hass, BATTERY_MODE, "third_party_dispatch")
    assert err.value.translation_key == "account_rate_limited"
    assert sim.log.count("battery_mode_task") == calls


async def test_a_round_refused_for_the_whole_account_holds_it(
    client: FusionSolarClient, sim: FusionSolarSimulator
) -> None:
    """Every call of a poller's round refused by the daily quota: the poller holds the account."""
    poller = AlarmPoller(client)
    poller.set_scope([HOME])
    sim.faults.add("getAlarmList", vendor_error=FailCode.DAILY_QUOTA, times=1)
    assert (await poller.async_poll()).failed
    refusal = client.gate.refusal()
    assert refusal is not None
    assert refusal.until == client.now() + QUOTA_WINDOW


async def test_one_interfaces_quota_leaves_the_account_going(
    client: FusionSolarClient, sim: FusionSolarSimulator
) -> None:
    """The daily quota refuses one call of a round whose other call is answered."""
    poller = ControlStatePoller(client)
    poller.set_scope([HOME], [HOME])
    sim.faults.add("battery_mode", vendor_error=FailCode.DAILY_QUOTA, times=1)
    outcome = await poller.async_poll()
    assert [job.path for job, _ in outcome.errors] == [Path.BATTERY_MODE]
    assert [job.path for job in outcome.answered] == [Path.POWER_CONTROL_MODE]
    assert client.gate.refusal() is None


@pytest.mark.parametrize("hold_account", [True, False])
async def test_an_inventory_refused_for_the_whole_account(
    client: FusionSolarClient, sim: FusionSolarSimulator, hold_account: bool
) -> None:
    """The lists refused by the daily quota hold the account, unless the caller carries on."""
    sim.faults.add("stations", vendor_error=FailCode.DAILY_QUOTA, times=1)
    with pytest.raises(ApiRateLimitedError):
        await async_load_inventory(client, hold_account=hold_account)
    assert (client.gate.refusal() is not None) is hold_account


def _window_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if "rate limited, no calls until" in record.getMessage()
    ]
