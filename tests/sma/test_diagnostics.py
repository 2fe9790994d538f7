"""Diagnostics of SMA accounts: the vendor data, secrets redacted."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.solar_cloud.api.sma import SetType
from custom_components.solar_cloud.api.unsupported import NOT_SUPPORTED_RETRY

from ..const import NOON, RETRY_AFTER
from ..simulator.sma import SANDBOX_OWNER, SmaSimulator

REDACTED = "**REDACTED**"


@pytest.mark.freeze_time(NOON)
async def test_custom_flow_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    custom_entry: MockConfigEntry,
    sim: SmaSimulator,
    snapshot: SnapshotAssertion,
) -> None:
    """Plants, devices and the energy balance; owner, secret and serials redacted."""
    sim.consents[("custom-client", SANDBOX_OWNER)].scope = {"13"}
    assert await hass.config_entries.async_setup(custom_entry.entry_id)
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, custom_entry
    )
    data = diagnostics["entry"]["data"]
    assert data["client_secret"] == REDACTED
    assert data["client_id"] == REDACTED
    assert data["login_hint"] == REDACTED
    devices = diagnostics["vendor"]["plants"]["13"]["devices"]
    assert {device["serial"] for device in devices} <= {REDACTED, None}
    assert SANDBOX_OWNER not in str(diagnostics)
    assert diagnostics == snapshot(
        exclude=props("entry_id", "created_at", "modified_at", "url")
    )


@pytest.mark.freeze_time(NOON)
async def test_code_flow_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    code_entry: MockConfigEntry,
) -> None:
    """The code flow's tokens never leave the machine."""
    assert await hass.config_entries.async_setup(code_entry.entry_id)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, code_entry)
    assert diagnostics["entry"]["data"]["token"] == REDACTED
    assert code_entry.data["token"]["access_token"] not in str(diagnostics)
    assert diagnostics["vendor"]["flow"] == "code"


@pytest.mark.freeze_time(NOON)
async def test_diagnostics_tell_what_the_account_waits_for(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    custom_entry: MockConfigEntry,
    sim: SmaSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Until when calls are held (local time), and the calls left alone.

    A set SMA does not serve is left for hours; a 429 at the next setup holds
    the account's calls. Diagnostics tell both while the entry waits to be
    set up again, and name no owner.
    """
    sim.unserved_sets.add(SetType.ENERGY_AND_POWER_BATTERY)
    assert await hass.config_entries.async_setup(custom_entry.entry_id)
    await hass.async_block_till_done()
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, custom_entry
    )
    [unserved] = [r for r in sim.log.requests if r.status == 404]
    next_try = dt_util.as_local(unserved.at + NOT_SUPPORTED_RETRY).isoformat()
    assert diagnostics["account_backoff"] == {
        "calls_held_until": None,
        "not_supported": {"sma_device_sets": {"calls": 1, "next_try": next_try}},
    }

    freezer.tick(timedelta(minutes=10))
    sim.faults.add(
        "plants", status=429, headers={"Retry-After": str(RETRY_AFTER)}, times=1
    )
    await hass.config_entries.async_reload(custom_entry.entry_id)
    await hass.async_block_till_done()
    assert custom_entry.state is ConfigEntryState.SETUP_RETRY
    [refused] = [r for r in sim.log.requests if r.status == 429]
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, custom_entry
    )
    until = dt_util.as_local(refused.at + timedelta(seconds=RETRY_AFTER))
    assert diagnostics["account_backoff"] == {
        "calls_held_until": until.isoformat(),
        "not_supported": {"sma_device_sets": {"calls": 1, "next_try": next_try}},
    }
    assert until.isoformat().endswith("-07:00")  # US/Pacific in June, as tests run
    assert SANDBOX_OWNER not in str(diagnostics)
