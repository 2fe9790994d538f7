"""smart-me's 429 with Retry-After at setup: waited out over setup retries."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.solar_cloud.account_backoff import account_gate
from custom_components.solar_cloud.api import AccountRateLimitedError
from custom_components.solar_cloud.smartme.connection import async_create_client
from custom_components.solar_cloud.smartme.data import smartme_data

from ..common import async_advance, async_wait_out_rate_limit
from ..const import RETRY_AFTER
from ..simulator.smartme import SmartMeSimulator
from . import SetUp


async def test_retry_after_at_setup_holds_over_setup_retries(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    smartme_entry: MockConfigEntry,
    frozen: FrozenDateTimeFactory,
) -> None:
    """No call within Retry-After, however often setup is retried; then it loads."""
    sim.faults.add(
        "devices", status=429, headers={"Retry-After": str(RETRY_AFTER)}, times=1
    )
    await hass.config_entries.async_setup(smartme_entry.entry_id)
    [refused] = sim.log.requests
    assert refused.status == 429

    await async_wait_out_rate_limit(
        hass,
        frozen,
        smartme_entry,
        sim.log,
        refused.at + timedelta(seconds=RETRY_AFTER),
        step=timedelta(seconds=5),
    )


async def test_clients_refuse_within_the_window_without_a_request(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
) -> None:
    """The account's gate stops its clients, and a client built anew, at once.

    A 429 on the device list opens the window; a call of the running client
    and one of a client the entry's factory builds now (as a reload does)
    fail before any request reaches smart-me, naming the window's end.
    """
    entry = await setup_entry()
    sim.log.clear()
    sim.faults.add(
        "devices", status=429, headers={"Retry-After": str(RETRY_AFTER)}, times=1
    )
    for _ in range(20):
        await async_advance(hass, frozen, timedelta(minutes=1))
        if sim.log.requests:
            break
    [refused] = [r for r in sim.log.requests if r.status == 429]
    calls = len(sim.log.requests)
    running = smartme_data(entry).client
    built = await async_create_client(hass, entry)
    assert built.gate is running.gate is account_gate(hass, entry)

    for client in (running, built):
        with pytest.raises(AccountRateLimitedError) as err:
            await client.devices()
        until = refused.at + timedelta(seconds=RETRY_AFTER)
        assert abs(err.value.until - until) < timedelta(seconds=1)
    assert len(sim.log.requests) == calls
