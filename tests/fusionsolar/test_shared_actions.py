"""The battery actions, for a vendor that does not offer them."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.solar_cloud.const import DOMAIN

pytestmark = pytest.mark.usefixtures("fake_vendor")


@pytest.mark.parametrize(
    ("service", "data", "action"),
    [
        ("set_battery_mode", {"mode": "maximum_self_consumption"}, "set_battery_mode"),
        ("set_battery_parameters", {"end_of_charge_soc": 95}, "set_battery_parameters"),
        (
            "force_battery_charge",
            {"power": 1000, "target_soc": 80},
            "force_battery_charge",
        ),
        (
            "force_battery_discharge",
            {"power": 1000, "duration": {"minutes": 5}},
            "force_battery_discharge",
        ),
        ("stop_forced_battery", {}, "stop_forced_battery"),
    ],
)
async def test_vendor_without_battery_actions(
    hass: HomeAssistant,
    fake_entry: MockConfigEntry,
    service: str,
    data: dict[str, Any],
    action: str,
) -> None:
    """The runtime data's defaults refuse each action by name."""
    assert await hass.config_entries.async_setup(fake_entry.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            service,
            {"config_entry_id": fake_entry.entry_id, **data},
            blocking=True,
            return_response=True,
        )
    assert err.value.translation_key == "action_not_supported"
    assert err.value.translation_placeholders["action"] == action
