"""Actions: target resolution, validation and dispatch to the vendor."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any
from unittest.mock import patch

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.solar_cloud.const import CONF_VENDOR, DOMAIN
from custom_components.solar_cloud.services import vendor_actions
from custom_components.solar_cloud.vendors import VENDORS

from .common import async_call_refused, device_of
from .fake_vendor import FAKE_INTEGRATION, FAKE_VENDOR, FakeCloud

pytestmark = pytest.mark.usefixtures("fake_vendor")

ACTION = "set_feed_in_limit"


def _plant(hass: HomeAssistant, entry: MockConfigEntry, plant: str) -> dr.DeviceEntry:
    return device_of(hass, entry, f"{FAKE_VENDOR}_{plant}")


async def _call(hass: HomeAssistant, data: dict[str, Any]) -> Any:
    return await hass.services.async_call(
        DOMAIN, ACTION, data, blocking=True, return_response=True
    )


async def test_set_feed_in_limit_on_a_plant(
    hass: HomeAssistant,
    loaded_fake_entry: MockConfigEntry,
    fake_sim: FakeCloud,
) -> None:
    """The plant picked as device gets the limit; the vendor's answer is returned."""
    device = _plant(hass, loaded_fake_entry, "plant-2")
    response = await _call(
        hass, {"device_id": device.id, "mode": "limited", "power_limit": 3.5}
    )
    assert response == {"plant": "plant-2", "mode": "limited"}
    assert fake_sim.feed_in_limits == {"plant-2": {"kw": 3.5}}


async def test_set_feed_in_limit_on_an_entry(
    hass: HomeAssistant,
    loaded_fake_entry: MockConfigEntry,
    fake_sim: FakeCloud,
) -> None:
    """With only the account as target, the vendor decides which plant."""
    response = await _call(
        hass, {"config_entry_id": loaded_fake_entry.entry_id, "mode": "no_limit"}
    )
    assert response == {"plant": "plant-1", "mode": "no_limit"}


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"mode": "limited", "power_limit": 1}, "no_target"),
        ({"device_id": "nope", "mode": "no_limit"}, "invalid_device"),
        ({"config_entry_id": "{entry}", "mode": "limited"}, "feed_in_limit_missing"),
    ],
)
async def test_invalid_calls_are_refused(
    hass: HomeAssistant,
    loaded_fake_entry: MockConfigEntry,
    data: dict[str, Any],
    key: str,
) -> None:
    """Bad input gets a translated validation error."""
    data = {
        k: v.format(entry=loaded_fake_entry.entry_id) if isinstance(v, str) else v
        for k, v in data.items()
    }
    err = await async_call_refused(hass, ACTION, data)
    assert err.translation_key == key


async def test_schema_rejects_both_limits(
    hass: HomeAssistant, loaded_fake_entry: MockConfigEntry
) -> None:
    """Power and percent limit are alternatives."""
    with pytest.raises(Exception, match="exclusion 'limit'"):
        await _call(
            hass,
            {
                "config_entry_id": loaded_fake_entry.entry_id,
                "mode": "limited",
                "power_limit": 1,
                "percent_limit": 50,
            },
        )


def _device_of_another_integration(
    hass: HomeAssistant, device_registry: dr.DeviceRegistry, entry: MockConfigEntry
) -> dict[str, Any]:
    """A device that is not Solar Cloud's is not a valid target."""
    other_entry = MockConfigEntry(domain="other")
    other_entry.add_to_hass(hass)
    other = device_registry.async_get_or_create(
        config_entry_id=other_entry.entry_id, identifiers={("other", "x")}
    )
    return {"device_id": other.id}


def _device_outside_the_given_entry(
    hass: HomeAssistant, device_registry: dr.DeviceRegistry, entry: MockConfigEntry
) -> dict[str, Any]:
    """Entry and device must agree when both are given."""
    device = _plant(hass, entry, "plant-1")
    return {"device_id": device.id, "config_entry_id": "another"}


def _device_without_a_vendor_key(
    hass: HomeAssistant, device_registry: dr.DeviceRegistry, entry: MockConfigEntry
) -> dict[str, Any]:
    """A device of this entry whose identifier is not a vendor key is refused."""
    stray = device_registry.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, "somethingelse")}
    )
    return {"device_id": stray.id}


@pytest.mark.parametrize(
    "target",
    [
        _device_of_another_integration,
        _device_outside_the_given_entry,
        _device_without_a_vendor_key,
    ],
)
async def test_targets_that_are_no_plant_are_refused(
    hass: HomeAssistant,
    loaded_fake_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    target: Callable[
        [HomeAssistant, dr.DeviceRegistry, MockConfigEntry], dict[str, Any]
    ],
) -> None:
    """A device that is not one of the entry's plants or devices is refused."""
    data = target(hass, device_registry, loaded_fake_entry)
    err = await async_call_refused(hass, ACTION, {**data, "mode": "no_limit"})
    assert err.translation_key == "invalid_device"


@pytest.mark.usefixtures("loaded_fake_entry")
async def test_entry_not_loaded_is_refused(hass: HomeAssistant) -> None:
    """An entry that is not loaded cannot act."""
    other = MockConfigEntry(domain=DOMAIN, data={CONF_VENDOR: FAKE_VENDOR})
    other.add_to_hass(hass)
    await async_call_refused(
        hass, ACTION, {"config_entry_id": other.entry_id, "mode": "no_limit"}
    )


async def test_vendor_without_the_action(
    hass: HomeAssistant, loaded_fake_entry: MockConfigEntry
) -> None:
    """A vendor that does not list an action refuses it by name."""
    without = replace(FAKE_INTEGRATION, actions=())
    with patch.dict(VENDORS, {FAKE_VENDOR: without}):
        err = await async_call_refused(
            hass,
            ACTION,
            {"config_entry_id": loaded_fake_entry.entry_id, "mode": "no_limit"},
        )
    assert err.translation_key == "action_not_supported"
    assert err.translation_placeholders == {
        "action": "set_feed_in_limit",
        "entry": "Fake account",
    }


def test_one_spec_per_action_name() -> None:
    """Vendors that serve one action must share its spec (one schema in the UI)."""
    action = FAKE_INTEGRATION.actions[0]
    copy = replace(action, spec=replace(action.spec))
    with pytest.raises(ValueError, match="set_feed_in_limit"):
        vendor_actions([FAKE_INTEGRATION, replace(FAKE_INTEGRATION, actions=(copy,))])
    assert vendor_actions([FAKE_INTEGRATION, FAKE_INTEGRATION]) == {
        "set_feed_in_limit": action.spec
    }
