"""Diagnostics of SMA accounts: the vendor data, secrets redacted."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from ..const import NOON
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
