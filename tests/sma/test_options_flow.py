"""The SMA options flow: access to new plants, the energy history period."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.solar_cloud.const import DOMAIN

from ..const import NOON
from ..simulator.sma import SANDBOX_OWNER, SmaSimulator


async def _menu(hass: HomeAssistant, entry: MockConfigEntry, choice: str) -> Any:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "sma_options"
    assert choice in result["menu_options"]
    return await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": choice}
    )


@pytest.mark.freeze_time(NOON)
async def test_options_request_access_to_new_plants(
    hass: HomeAssistant, loaded_custom: MockConfigEntry, sim: SmaSimulator
) -> None:
    """The options send the owner a new request (SMA's scope change)."""
    result = await _menu(hass, loaded_custom, "sma_request_consent")
    assert result["type"] is FlowResultType.FORM
    assert result["description_placeholders"] == {"owner": SANDBOX_OWNER}
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "sma_consent_requested"
    assert sim.log.count("consent_request") == 1

    sim.faults.add("consent_request", status=503)
    result = await _menu(hass, loaded_custom, "sma_request_consent")
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    assert result["reason"] == "cannot_connect"
    # Asking sends no options: the account is not reloaded.
    assert loaded_custom.options == {}


@pytest.mark.freeze_time(NOON)
async def test_options_of_a_code_flow_account(
    hass: HomeAssistant, code_entry: MockConfigEntry
) -> None:
    """In the code flow the owner signs in again to approve new plants."""
    result = await hass.config_entries.options.async_init(code_entry.entry_id)
    assert result["reason"] == "sma_not_loaded"

    assert await hass.config_entries.async_setup(code_entry.entry_id)
    result = await _menu(hass, code_entry, "sma_sign_in_again")
    assert result["reason"] == "sma_sign_in_started"
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]


@pytest.mark.freeze_time(NOON)
async def test_options_set_the_history_period(
    hass: HomeAssistant, loaded_custom: MockConfigEntry
) -> None:
    """The days of history to import; the account reloads to import them."""
    await _set_history_period(hass, loaded_custom)


@pytest.mark.freeze_time(NOON)
async def test_options_set_the_history_period_in_the_code_flow(
    hass: HomeAssistant, code_entry: MockConfigEntry
) -> None:
    """The code flow's menu has the history period too."""
    assert await hass.config_entries.async_setup(code_entry.entry_id)
    await _set_history_period(hass, code_entry)


async def _set_history_period(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    result = await _menu(hass, entry, "history_options")
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "history_options"
    schema = result["data_schema"].schema
    assert {str(key): key.default() for key in schema} == {"history_days": 365}
    selector = next(iter(schema.values())).config
    assert (selector["min"], selector["max"]) == (0, 3650)

    with patch.object(
        hass.config_entries,
        "async_schedule_reload",
        wraps=hass.config_entries.async_schedule_reload,
    ) as reload:
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {"history_days": 30.0}
        )
        await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {"history_days": 30}
    reload.assert_called_once_with(entry.entry_id)
