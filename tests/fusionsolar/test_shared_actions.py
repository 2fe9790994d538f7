"""The battery actions, for a vendor that does not offer them."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from ..common import async_call_refused

pytestmark = pytest.mark.usefixtures("fake_vendor")


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("set_battery_mode", {"mode": "maximum_self_consumption"}),
        ("set_battery_parameters", {"end_of_charge_soc": 95}),
        ("force_battery_charge", {"power": 1000, "target_soc": 80}),
        ("force_battery_discharge", {"power": 1000, "duration": {"minutes": 5}}),
        ("stop_forced_battery", {}),
    ],
)
async def test_vendor_without_battery_actions(
    hass: HomeAssistant,
    loaded_fake_entry: MockConfigEntry,
    action: str,
    data: dict[str, Any],
) -> None:
    """The runtime data's defaults refuse each action by name."""
    err = await async_call_refused(
        hass, action, {"config_entry_id": loaded_fake_entry.entry_id, **data}
    )
    assert err.translation_key == "action_not_supported"
    assert err.translation_placeholders["action"] == action
