"""Setup, unload, removal and the generic coordinator behaviour."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HassJob, HomeAssistant
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util.async_ import get_scheduled_timer_handles
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.solar_cloud.const import CONF_VENDOR, DOMAIN
from custom_components.solar_cloud.issues import async_create_issue

from .common import async_advance
from .const import FAKE_NOON
from .fake_vendor import FAKE_VENDOR, FakeCloud, removed_entries

pytestmark = [
    pytest.mark.usefixtures("fake_vendor"),
    pytest.mark.freeze_time(FAKE_NOON),
]


async def test_setup_and_unload(
    hass: HomeAssistant, loaded_fake_entry: MockConfigEntry
) -> None:
    """The vendor's runtime data drives the platforms; unload releases it."""
    assert loaded_fake_entry.state is ConfigEntryState.LOADED

    state = hass.states.get("sensor.plant_1_power")
    assert state is not None
    assert state.state == "720.0"  # 12:00 is minute 720 of the day
    assert hass.states.get("sensor.plant_2_power") is not None

    runtime_data = loaded_fake_entry.runtime_data
    assert await hass.config_entries.async_unload(loaded_fake_entry.entry_id)
    assert loaded_fake_entry.state is ConfigEntryState.NOT_LOADED
    assert runtime_data.unloaded
    assert hass.states.get("sensor.plant_1_power").state == STATE_UNAVAILABLE


async def test_remove_entry_undoes_vendor_registrations(
    hass: HomeAssistant, loaded_fake_entry: MockConfigEntry
) -> None:
    """Removing an entry lets the vendor clean up and resolves its issues."""
    async_create_issue(hass, loaded_fake_entry, "some_problem")
    other = MockConfigEntry(domain=DOMAIN, data={CONF_VENDOR: FAKE_VENDOR})
    other.add_to_hass(hass)
    async_create_issue(hass, other, "some_problem")

    await hass.config_entries.async_remove(loaded_fake_entry.entry_id)

    assert loaded_fake_entry.entry_id in removed_entries
    issues = ir.async_get(hass).issues
    assert (DOMAIN, f"{loaded_fake_entry.entry_id}_some_problem") not in issues
    assert (DOMAIN, f"{other.entry_id}_some_problem") in issues


@pytest.mark.parametrize(
    ("fault", "state"),
    [
        ({"status": 500}, ConfigEntryState.SETUP_RETRY),
        ({"status": 429}, ConfigEntryState.SETUP_RETRY),
        ({"body": b"<html>"}, ConfigEntryState.SETUP_RETRY),
        ({"vendor_error": 20004}, ConfigEntryState.SETUP_RETRY),
        ({"status": 403}, ConfigEntryState.SETUP_RETRY),
        ({"status": 401}, ConfigEntryState.SETUP_ERROR),
    ],
)
async def test_first_refresh_errors(
    hass: HomeAssistant,
    fake_sim: FakeCloud,
    fake_entry: MockConfigEntry,
    fault: dict[str, object],
    state: ConfigEntryState,
) -> None:
    """Errors of the first refresh retry setup, or ask for new credentials."""
    fake_sim.faults.add("plants", **fault)
    await hass.config_entries.async_setup(fake_entry.entry_id)
    assert fake_entry.state is state


async def test_entities_survive_short_outages(
    hass: HomeAssistant,
    fake_sim: FakeCloud,
    loaded_fake_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Failed refreshes keep the last value until it is older than the expected delay."""
    fake_sim.faults.add("plants", status=503)

    for minute in range(1, 5):
        await async_advance(hass, freezer, timedelta(minutes=1))
        state = hass.states.get("sensor.plant_1_power")
        assert state.state == "720.0", f"minute {minute}"

    for _ in range(2):
        await async_advance(hass, freezer, timedelta(minutes=1))
    assert hass.states.get("sensor.plant_1_power").state == STATE_UNAVAILABLE

    fake_sim.faults.clear()
    await async_advance(hass, freezer, timedelta(minutes=1))
    assert hass.states.get("sensor.plant_1_power").state == "727.0"


async def test_values_turn_stale_after_an_authentication_failure(
    hass: HomeAssistant,
    fake_sim: FakeCloud,
    loaded_fake_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Refreshes stop at a refused key; the values still turn stale in time."""
    fake_sim.faults.add("plants", status=401)
    await async_advance(hass, freezer, timedelta(minutes=1))
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    asked = fake_sim.log.count("plants")

    # Nothing refreshes any more: the value of 12:00 is shown until 12:05.
    await async_advance(hass, freezer, timedelta(minutes=3, seconds=59))
    assert hass.states.get("sensor.plant_1_power").state == "720.0"
    await async_advance(hass, freezer, timedelta(seconds=1))
    assert hass.states.get("sensor.plant_1_power").state == STATE_UNAVAILABLE
    assert fake_sim.log.count("plants") == asked

    # What a finished reauth does: the entry is set up again.
    fake_sim.faults.clear()
    await hass.config_entries.async_reload(loaded_fake_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get("sensor.plant_1_power").state == "725.0"


async def test_values_turn_stale_during_a_hung_refresh(
    hass: HomeAssistant,
    fake_sim: FakeCloud,
    loaded_fake_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A refresh that never finishes does not keep old values current."""
    client = loaded_fake_entry.runtime_data.power.client
    readings = client.readings
    answer = asyncio.Event()

    async def late_readings() -> dict[str, dict[str, float]]:
        await answer.wait()
        return await readings()

    async def tick(delta: timedelta) -> None:
        # Not waiting for background tasks: the refresh hangs in one.
        freezer.tick(delta)
        async_fire_time_changed(hass)
        await hass.async_block_till_done()

    with patch.object(client, "readings", late_readings):
        await tick(timedelta(minutes=1))
        await tick(timedelta(minutes=3, seconds=59))
        assert hass.states.get("sensor.plant_1_power").state == "720.0"
        await tick(timedelta(seconds=1))
        assert hass.states.get("sensor.plant_1_power").state == STATE_UNAVAILABLE
        answer.set()
        await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get("sensor.plant_1_power").state == "725.0"


async def test_unload_stops_the_expiry(
    hass: HomeAssistant, loaded_fake_entry: MockConfigEntry
) -> None:
    """The moment the data would turn stale is not waited for after unload."""

    def expiries() -> list[str]:
        return [
            job.name
            for handle in get_scheduled_timer_handles(hass.loop)
            if not handle.cancelled()
            and handle._args
            and isinstance(job := handle._args[-1], HassJob)
            and job.name.endswith("data expires")
        ]

    assert len(expiries()) == 1
    assert await hass.config_entries.async_unload(loaded_fake_entry.entry_id)
    assert not expiries()


async def test_rate_limit_postpones_next_refresh(
    hass: HomeAssistant,
    fake_sim: FakeCloud,
    loaded_fake_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A rate limit with retry-after is honoured instead of the interval."""
    fake_sim.faults.add("plants", status=429, times=1)
    fake_sim.log.clear()

    await async_advance(hass, freezer, timedelta(minutes=1))
    assert fake_sim.log.count("plants") == 1

    # The client asked to come back after 120 s: nothing at +60 s.
    await async_advance(hass, freezer, timedelta(seconds=61))
    assert fake_sim.log.count("plants") == 1

    await async_advance(hass, freezer, timedelta(seconds=61))
    assert fake_sim.log.count("plants") == 2
    assert hass.states.get("sensor.plant_1_power").state == "723.0"


async def test_devices_gone_at_the_vendor_are_removed(
    hass: HomeAssistant,
    fake_sim: FakeCloud,
    fake_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    device_registry: dr.DeviceRegistry,
) -> None:
    """A plant the account stops reporting loses its device; users may delete only such devices."""
    assert await async_setup_component(hass, "config", {})
    assert await hass.config_entries.async_setup(fake_entry.entry_id)
    plant_1 = device_registry.async_get_device_by_identifier(
        (DOMAIN, f"{FAKE_VENDOR}_plant-1"), fake_entry.entry_id
    )
    plant_2 = device_registry.async_get_device_by_identifier(
        (DOMAIN, f"{FAKE_VENDOR}_plant-2"), fake_entry.entry_id
    )
    assert plant_1 is not None
    assert plant_2 is not None

    from custom_components.solar_cloud import async_remove_config_entry_device

    assert not await async_remove_config_entry_device(hass, fake_entry, plant_2)
    stray = device_registry.async_get_or_create(
        config_entry_id=fake_entry.entry_id, identifiers={(DOMAIN, "fusionsolar_old")}
    )
    assert await async_remove_config_entry_device(hass, fake_entry, stray)

    fake_sim.plants.remove("plant-2")
    await async_advance(hass, freezer, timedelta(minutes=1))

    assert device_registry.async_get(plant_2.id) is None
    assert device_registry.async_get(plant_1.id) is not None
    assert hass.states.get("sensor.plant_2_power") is None

    # The device registry is the memory: a plant that returns gets its entities again.
    fake_sim.plants.append("plant-2")
    await async_advance(hass, freezer, timedelta(minutes=1))
    assert device_registry.async_get_device_by_identifier(
        (DOMAIN, f"{FAKE_VENDOR}_plant-2"), fake_entry.entry_id
    )
    power = hass.states.get("sensor.plant_2_power")
    assert power.state == hass.states.get("sensor.plant_1_power").state != "unavailable"
