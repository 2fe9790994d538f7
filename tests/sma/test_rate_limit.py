"""SMA's rate limit at setup: Retry-After is waited out over setup retries and reloads."""

from __future__ import annotations

from datetime import timedelta
import logging
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.solar_cloud.account_backoff import account_gate
from custom_components.solar_cloud.api import AccountRateLimitedError
from custom_components.solar_cloud.api.account_gate import AccountGate
from custom_components.solar_cloud.sma.connection import (
    async_token_source,
    create_client,
    endpoints_of,
)
from custom_components.solar_cloud.sma.data import sma_data

from ..common import async_advance, async_wait_out_rate_limit
from ..const import NOON, RETRY_AFTER
from ..simulator.sma import SmaSimulator
from .const import PV_POWER

pytestmark = pytest.mark.freeze_time(NOON)


def _rate_limited(sim: SmaSimulator, endpoint: str) -> None:
    sim.faults.add(
        endpoint,
        status=429,
        body=b'{"message": "Too many requests", "code": "429"}',
        headers={"Retry-After": str(RETRY_AFTER)},
        times=1,
    )


@pytest.mark.parametrize("endpoint", ["plants", "oauth_token"])
async def test_retry_after_at_setup_holds_over_setup_retries(
    hass: HomeAssistant,
    custom_entry: MockConfigEntry,
    sim: SmaSimulator,
    freezer: FrozenDateTimeFactory,
    endpoint: str,
) -> None:
    """Home Assistant retries setup within the window: not one call reaches SMA."""
    _rate_limited(sim, endpoint)
    await hass.config_entries.async_setup(custom_entry.entry_id)
    assert custom_entry.state is ConfigEntryState.SETUP_RETRY
    [refused] = [r for r in sim.log.requests if r.status == 429]
    # The reason names when setup will call again, in local time.
    until = dt_util.as_local(refused.at + timedelta(seconds=RETRY_AFTER))
    assert custom_entry.reason is not None
    assert until.strftime("%H:%M") in custom_entry.reason
    placeholders = custom_entry.error_reason_translation_placeholders
    assert placeholders is not None
    assert until.strftime("%Y-%m-%d %H:%M") in placeholders["until"]

    await async_wait_out_rate_limit(
        hass, freezer, custom_entry, sim.log, until, step=timedelta(seconds=5)
    )
    assert hass.states.get(PV_POWER).state != STATE_UNAVAILABLE


async def test_reload_within_the_window_makes_no_call(
    hass: HomeAssistant,
    loaded_custom: MockConfigEntry,
    sim: SmaSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A 429 on a running account; a reload inside its window waits it out too."""
    sim.log.clear()
    _rate_limited(sim, "device_measurements")
    await async_advance(hass, freezer, timedelta(minutes=20), step=timedelta(minutes=1))
    [refused] = [r for r in sim.log.requests if r.status == 429]
    calls = len(sim.log.requests)
    # Neither the unload (its logout) nor the setup call SMA.
    await hass.config_entries.async_reload(loaded_custom.entry_id)
    await hass.async_block_till_done()
    assert loaded_custom.state is ConfigEntryState.SETUP_RETRY
    assert len(sim.log.requests) == calls

    await async_advance(
        hass, freezer, timedelta(minutes=20), step=timedelta(seconds=30)
    )
    assert loaded_custom.state is ConfigEntryState.LOADED
    assert not [
        r
        for r in sim.log.requests
        if refused.at < r.at < refused.at + timedelta(seconds=RETRY_AFTER)
    ]


async def test_clients_refuse_within_the_window_without_a_request(
    hass: HomeAssistant,
    loaded_custom: MockConfigEntry,
    sim: SmaSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The account's gate stops its clients, and a client built anew, at once.

    A 429 on a refresh opens the window; a call of the running client and
    one of a client the entry's factory builds now (as a reload does) fail
    before any request reaches SMA, naming the window's end.
    """
    sim.log.clear()
    _rate_limited(sim, "device_measurements")
    await async_advance(hass, freezer, timedelta(minutes=20), step=timedelta(minutes=1))
    [refused] = [r for r in sim.log.requests if r.status == 429]
    calls = len(sim.log.requests)
    running = sma_data(loaded_custom).client
    endpoints = endpoints_of(loaded_custom.data)
    built = create_client(
        hass,
        loaded_custom,
        endpoints,
        await async_token_source(hass, loaded_custom, endpoints),
    )
    assert built.gate is running.gate is account_gate(hass, loaded_custom)

    for client in (running, built):
        with pytest.raises(AccountRateLimitedError) as err:
            await client.plants()
        until = refused.at + timedelta(seconds=RETRY_AFTER)
        assert abs(err.value.until - until) < timedelta(seconds=1)
    assert len(sim.log.requests) == calls


async def test_a_refusal_that_fails_a_refresh_is_logged_once(
    hass: HomeAssistant,
    loaded_custom: MockConfigEntry,
    sim: SmaSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The client alone records the 429 that fails a refresh: one line, its window.

    The gate is told of the refusal once (the coordinator no longer tells it
    again), so it needs no rule for a refusal taken twice.
    """
    sim.log.clear()
    _rate_limited(sim, "device_measurements")
    with (
        caplog.at_level(logging.INFO),
        patch.object(
            AccountGate,
            "rate_limited",
            autospec=True,
            side_effect=AccountGate.rate_limited,
        ) as taken,
    ):
        await async_advance(
            hass, freezer, timedelta(minutes=20), step=timedelta(minutes=1)
        )
    [refused] = [r for r in sim.log.requests if r.status == 429]
    assert taken.call_count == 1
    lines = [
        record.getMessage()
        for record in caplog.records
        if "rate limited, no calls until" in record.getMessage()
    ]
    assert len(lines) == 1
    until = account_gate(hass, loaded_custom).limited_until
    assert until is not None
    assert abs(until - (refused.at + timedelta(seconds=RETRY_AFTER))) < timedelta(
        seconds=1
    )
    assert lines[0].endswith(until.isoformat())
