"""smart-me's 429 with Retry-After at setup: waited out over setup retries."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from ..common import async_wait_out_rate_limit
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
    [refused] = simulator.log.requests
    assert refused.status == 429

    await async_wait_out_rate_limit(
        hass,
        frozen,
        smartme_entry,
        simulator.log,
        refused.at + timedelta(seconds=RETRY_AFTER),
        step=timedelta(seconds=5),
    )
