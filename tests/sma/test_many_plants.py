"""The client's call budget and more plants than it serves, against the simulator.

The simulator limits the client as SMA does (a token bucket of 100 calls
refilled over five minutes, 429 when empty). The sandbox owner's 4 plants
plus 30 of the benchmark's kind (two ennexOS plants with 5-minute data to
one classic plant, an inverter with two sets each): polled all at once
and each at its own cadence, setup alone would empty the bucket.
"""

from __future__ import annotations

from datetime import date, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.solar_cloud.api.sma import SmaClient
from custom_components.solar_cloud.sma import call_plan
from custom_components.solar_cloud.sma.const import INVENTORY_INTERVAL
from custom_components.solar_cloud.sma.data import SmaData
from custom_components.solar_cloud.sma.plants import ReadBudget, SmaAccountReader
from custom_components.solar_cloud.sma.polling import CALL_BUDGET, CALL_WINDOW

from ..common import async_advance, devices_without_entities
from ..simulator.core import RecordedRequest
from ..simulator.sma import (
    SANDBOX_OWNER,
    SimPlant,
    SmaSimulator,
    Upload,
    string_inverter,
)

EXTRA_PLANTS = 30


def _add_plants(sim: SmaSimulator, count: int) -> None:
    for index in range(count):
        classic = index % 3 == 2
        sim.add_plant(
            SimPlant(
                plant_id=f"{index:08x}-0000-4000-8000-{index:012x}"
                if classic
                else str(8_100_000 + index),
                name=f"Extra {index}",
                timezone="Europe/Berlin",
                peak_power=8000.0,
                commissioned=date(2026, 6, 1),
                resolution=timedelta(minutes=15 if classic else 5),
                upload=Upload(delay=timedelta(seconds=40 + 5 * index), seed=index),
                devices=[string_inverter(index, ids_from=300_000)],
            ),
            owner=SANDBOX_OWNER,
        )
    sim.grant_consent(SANDBOX_OWNER)


def _busiest(requests: list[RecordedRequest]) -> int:
    """Return the most requests in any five minutes."""
    times = sorted(request.at for request in requests)
    return max(
        sum(1 for later in times[index:] if later < moment + CALL_WINDOW)
        for index, moment in enumerate(times)
    )


@pytest.mark.freeze_time("2026-06-21T09:00:30+00:00")
async def test_many_plants_within_the_budget(
    hass: HomeAssistant,
    custom_entry: MockConfigEntry,
    sim: SmaSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Setup and an hour of polls: no call refused, each plant read in turn."""
    _add_plants(sim, EXTRA_PLANTS)

    assert await hass.config_entries.async_setup(custom_entry.entry_id)
    await hass.async_block_till_done()
    assert custom_entry.state is ConfigEntryState.LOADED
    plants = custom_entry.runtime_data.plants
    assert len(plants) == 4 + EXTRA_PLANTS

    await async_advance(hass, freezer, timedelta(hours=1), step=timedelta(seconds=30))

    assert sim.log.count(status=429) == 0
    # The plant list (setup's, with every device's sets) is not planned: the
    # planned polls make room for it.
    assert _busiest(sim.log.requests) <= CALL_BUDGET
    # Every plant was read (the first polls came in turns) and is current.
    for coordinators in plants.values():
        energy = coordinators.energy
        assert energy.last_update_success
        assert energy.data.latest is not None, energy.plant.key
        assert energy.is_current(energy.data.latest.time), energy.plant.key
        if coordinators.devices is not None:
            assert coordinators.devices.data, coordinators.devices.plant.key
    # Read every few intervals, the plants spread over the windows.
    plan = call_plan(hass, custom_entry)
    assert plan.stride >= 1
    assert len({plan.slot(c.energy.plan_key).offset for c in plants.values()}) > 1

    # Unloaded, the account's plants leave the plan (a reload plans anew).
    assert await hass.config_entries.async_unload(custom_entry.entry_id)
    assert plan.demands == []


@pytest.mark.freeze_time("2026-06-21T09:00:30+00:00")
async def test_polls_wait_for_room_in_the_budget(
    hass: HomeAssistant,
    custom_entry: MockConfigEntry,
    sim: SmaSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A window the client's budget has spent: the plant list and polls wait."""
    assert await hass.config_entries.async_setup(custom_entry.entry_id)
    await hass.async_block_till_done()
    data = custom_entry.runtime_data
    energy = next(iter(data.plants.values())).energy
    before = energy.data
    plan = call_plan(hass, custom_entry)
    # Another account of the client (or SMA's own corrections) took the window.
    plan.admit(dt_util.utcnow(), plan.ceiling, force=True)
    sim.log.clear()

    await data.inventory.async_refresh()
    await energy.async_refresh()

    assert sim.log.requests == []
    assert energy.data is before
    assert energy.last_update_success
    assert data.inventory.update_interval is not None
    assert data.inventory.update_interval <= CALL_WINDOW + timedelta(minutes=1)

    # When the window has room again, both read, the plant list hourly again.
    await async_advance(
        hass, freezer, CALL_WINDOW + timedelta(minutes=1), step=timedelta(seconds=30)
    )
    assert sim.log.count("plants") == 1
    assert sim.log.count("energy_balance") >= 1
    assert energy.data is not before
    assert data.inventory.update_interval == INVENTORY_INTERVAL


LARGE = 45
"""Extra plants: setup's read of every plant's devices would pass SMA's bucket."""


def _all_shown(data: SmaData) -> bool:
    """Return whether every plant shows its power and every device its values."""
    inventory = data.inventory.data
    return not inventory.unread and all(
        coordinators.energy.data is not None
        and coordinators.energy.data.latest is not None
        and (
            not inventory.plants[key].shown_devices
            or (coordinators.devices is not None and bool(coordinators.devices.data))
        )
        for key, coordinators in data.plants.items()
    )


@pytest.mark.freeze_time("2026-06-21T09:00:30+00:00")
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_a_large_account_reads_its_devices_as_the_budget_allows(
    hass: HomeAssistant,
    custom_entry: MockConfigEntry,
    sim: SmaSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """49 plants: setup ends at once, the devices follow in batches, no 429.

    Reading every plant's devices and their sets at setup would take 107
    calls: more than SMA's bucket holds.
    """
    _add_plants(sim, LARGE)
    start = dt_util.utcnow()

    assert await hass.config_entries.async_setup(custom_entry.entry_id)
    await hass.async_block_till_done()

    assert custom_entry.state is ConfigEntryState.LOADED
    data = custom_entry.runtime_data
    assert len(data.plants) == 4 + LARGE
    # The plant list and the first plants' power; their devices later.
    assert len(sim.log.requests) <= CALL_BUDGET
    assert sim.log.count("devices") == 0
    assert data.inventory.data.unread == set(data.plants)
    shown = None
    while shown is None and dt_util.utcnow() - start < timedelta(hours=3):
        await async_advance(hass, freezer, timedelta(minutes=2))
        if _all_shown(data):
            shown = dt_util.utcnow() - start
    assert shown is not None
    # Within the hour or so the plan takes (its first polls in batches too).
    assert shown < timedelta(minutes=90)
    assert sim.log.count(status=429) == 0
    assert _busiest(sim.log.requests) <= CALL_BUDGET
    # Every device's list and sets once; every plant and device has entities.
    assert sim.log.count("devices") == 4 + LARGE
    assert sim.log.count("device_sets") == 11 + LARGE
    assert devices_without_entities(hass, custom_entry.entry_id) == []
    assert not hass.config_entries.async_get_entry(
        custom_entry.entry_id
    ).error_reason_translation_key

    # The hourly read of the plants' devices goes in batches too, and the
    # account keeps its devices (no reload: nothing changed).
    sim.log.clear()
    await async_advance(hass, freezer, timedelta(hours=1), step=timedelta(minutes=2))
    assert sim.log.count(status=429) == 0
    assert _busiest(sim.log.requests) <= CALL_BUDGET
    assert sim.log.count("plants") == 1
    assert custom_entry.runtime_data is data
    assert devices_without_entities(hass, custom_entry.entry_id) == []


async def test_devices_read_in_batches_as_at_once(
    hass: HomeAssistant, custom_entry: MockConfigEntry, client: SmaClient
) -> None:
    """Batches of a few calls end with what one read finds, each call made once."""
    whole = SmaAccountReader(hass, custom_entry, client)
    expected = await whole.async_read(None)
    assert not whole.reading

    reader = SmaAccountReader(hass, custom_entry, client)
    found = await reader.async_read(None, ReadBudget(room=4, whole=4))
    calls = [reader.calls]
    assert calls == [4]  # the plant list, eligibility, a list and one set
    assert reader.reading
    assert found.unread == set(expected.plants)
    while reader.reading:
        budget = reader.next_calls + 2
        found = await reader.async_read_more(budget)
        calls.append(reader.calls)
        assert 0 < reader.calls <= budget
    assert found == expected
    assert sum(calls) == whole.calls
    # A read that has no room reads nothing.
    assert (await reader.async_read_more(0)) == expected
    assert reader.calls == 0
