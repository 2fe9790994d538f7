"""smart-me's 429 with Retry-After at setup: waited out over setup retries."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from ..common import async_advance
from ..simulator.smartme import SmartMeSimulator

RETRY_AFTER = 600


async def test_retry_after_at_setup_holds_over_setup_retries(
    hass: HomeAssistant,
    simulator: SmartMeSimulator,
    smartme_entry: MockConfigEntry,
    frozen: FrozenDateTimeFactory,
) -> None:
    """No call within Retry-After, however often setup is retried; then it loads."""
    simulator.faults.add(
        "devices", status=429, headers={"Retry-After": str(RETRY_AFTER)}, times=1
    )
    await hass.config_entries.async_setup(smartme_entry.entry_id)
    assert smartme_entry.state is ConfigEntryState.SETUP_RETRY
    assert smartme_entry.error_reason_translation_key == "account_rate_limited"
    [refused] = simulator.log.requests
    assert refused.status == 429

    await async_advance(
        hass, frozen, timedelta(seconds=RETRY_AFTER - 5), step=timedelta(seconds=5)
    )
    assert smartme_entry.state is ConfigEntryState.SETUP_RETRY
    assert simulator.log.requests == [refused]

    await async_advance(hass, frozen, timedelta(minutes=11), step=timedelta(minutes=1))
    assert smartme_entry.state is ConfigEntryState.LOADED
    assert min(r.at for r in simulator.log.requests[1:]) >= refused.at + timedelta(
        seconds=RETRY_AFTER
    )
