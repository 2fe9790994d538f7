"""Push units measured per device: kept in storage, across reloads and restarts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.solar_cloud.smartme.calibration import (
    SAVE_DELAY,
    STORAGE_VERSION,
    storage_key,
)
from custom_components.solar_cloud.smartme.const import SAFETY_POLL_INTERVAL
from custom_components.solar_cloud.smartme.coordinator import SmartMeDeviceCoordinator
from custom_components.solar_cloud.smartme.data import smartme_data

from ..common import async_advance
from ..simulator.smartme import BILANZ_ID, WATER_ID, SmartMeSimulator
from . import SetUp
from .const import CHARGER_ID, ZERO_CHARGER_ID

MWH = 1e-6
WH = 1e-3

pytestmark = pytest.mark.usefixtures("external_url")


@pytest.fixture
def realtime() -> bool:
    """These entries receive pushes."""
    return True


@pytest.fixture
def key(smartme_entry: MockConfigEntry) -> str:
    """Return the storage key of the entry's calibration."""
    return storage_key(smartme_entry.entry_id)


def stored(factors: dict[str, Any], version: int = STORAGE_VERSION) -> dict[str, Any]:
    """Return a store file holding ``factors`` (device id -> energy factor)."""
    return {
        "version": version,
        "minor_version": 1,
        "key": "solar_cloud.smartme_calibration",
        "data": {
            "devices": {
                device_id: {"energy_factor": factor}
                for device_id, factor in factors.items()
            }
        },
    }


def stored_factors(hass_storage: dict[str, Any], key: str) -> dict[str, float]:
    """Return the factors written to storage, by device id."""
    written = hass_storage[key]
    assert written["version"] == STORAGE_VERSION
    return {
        device_id: item["energy_factor"]
        for device_id, item in written["data"]["devices"].items()
    }


def device(entry: MockConfigEntry, device_id: str) -> SmartMeDeviceCoordinator:
    """Return the coordinator of one device of a loaded entry."""
    return smartme_data(entry).account.device_coordinators[device_id]


def number(hass: HomeAssistant, entity_id: str) -> float:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return float(state.state)


async def push(
    hass: HomeAssistant, sim: SmartMeSimulator, device_ids: list[str]
) -> None:
    """Let the simulator push the devices' values now, over HTTP."""
    assert await sim.push(device_ids) == [200] * len(device_ids)
    await hass.async_block_till_done()


async def test_factor_saved_later_and_kept_over_reload(
    hass: HomeAssistant,
    *,
    hass_storage: dict[str, Any],
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
    key: str,
) -> None:
    """A measured factor is written after a delay, and a reload reads it back."""
    entry = await setup_entry()
    frozen.tick(timedelta(seconds=10))
    await push(hass, sim, [CHARGER_ID, BILANZ_ID])
    assert device(entry, CHARGER_ID).scale.energy_factor == MWH
    # The push only scheduled the write.
    assert key not in hass_storage
    await async_advance(hass, frozen, timedelta(seconds=SAVE_DELAY))
    assert stored_factors(hass_storage, key) == {CHARGER_ID: MWH, BILANZ_ID: WH}

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert device(entry, CHARGER_ID).scale.energy_factor == MWH
    assert device(entry, BILANZ_ID).scale.energy_factor == WH
    assert stored_factors(hass_storage, key) == {CHARGER_ID: MWH, BILANZ_ID: WH}


async def test_factor_flushed_on_unload_survives_restart(
    hass: HomeAssistant,
    *,
    hass_storage: dict[str, Any],
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
    key: str,
) -> None:
    """Unloading writes a pending factor; set up again, it is known before any push."""
    entry = await setup_entry()
    frozen.tick(timedelta(seconds=10))
    await push(hass, sim, [CHARGER_ID])
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert stored_factors(hass_storage, key) == {CHARGER_ID: MWH}

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert device(entry, CHARGER_ID).scale.energy_factor == MWH
    charger = sim.devices[CHARGER_ID]
    charger.import_kw = 11.0
    frozen.tick(timedelta(seconds=10))
    await push(hass, sim, [CHARGER_ID])
    imported, _ = sim.counters(charger)
    assert number(hass, "sensor.1_parkplatz_oben_1_energy_import") == pytest.approx(
        imported
    )
    assert number(hass, "sensor.1_parkplatz_oben_1_power") == pytest.approx(
        sim.power_kw(charger) * 1000
    )


async def test_stored_factor_scales_a_zero_counter_meter_at_once(
    hass: HomeAssistant,
    *,
    hass_storage: dict[str, Any],
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
    key: str,
) -> None:
    """A meter measured before a restart is scaled by its first push, counters 0 or not."""
    hass_storage[key] = stored({ZERO_CHARGER_ID: MWH})
    charger = sim.devices[ZERO_CHARGER_ID]
    charger.import_kw = 7.4
    entry = await setup_entry()
    frozen.tick(timedelta(seconds=10))
    await push(hass, sim, [ZERO_CHARGER_ID])
    assert device(entry, ZERO_CHARGER_ID).scale.energy_factor == MWH
    assert number(hass, "sensor.3_parkplatz_unten_links_3_power") == pytest.approx(
        sim.power_kw(charger) * 1000
    )
    assert number(hass, "sensor.3_parkplatz_unten_links_3_power") > 0


@pytest.mark.parametrize(
    ("raw", "kept", "ignored"),
    [
        pytest.param(
            stored({CHARGER_ID: MWH, BILANZ_ID: "1e-3", ZERO_CHARGER_ID: 0.5}),
            {CHARGER_ID: MWH},
            True,
            id="bad_factors",
        ),
        pytest.param(
            {"version": STORAGE_VERSION, "data": ["devices"]},
            {},
            True,
            id="not_an_object",
        ),
        pytest.param(
            {"version": STORAGE_VERSION, "data": {"devices": 5}},
            {},
            True,
            id="no_devices",
        ),
        pytest.param(
            stored({CHARGER_ID: MWH}, version=0), {}, True, id="older_version"
        ),
        pytest.param(
            stored({CHARGER_ID: MWH}, version=2), {}, True, id="newer_version"
        ),
        pytest.param(
            {**stored({CHARGER_ID: MWH}), "minor_version": 2},
            {CHARGER_ID: MWH},
            False,
            id="newer_minor_version",
        ),
    ],
)
async def test_unusable_store_is_ignored_and_rewritten(
    hass: HomeAssistant,
    *,
    hass_storage: dict[str, Any],
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    key: str,
    raw: dict[str, Any],
    kept: dict[str, float],
    ignored: bool,
) -> None:
    """Unreadable data never breaks setup: usable factors stay, the rest is measured."""
    hass_storage[key] = raw
    caplog.set_level(logging.DEBUG, logger="custom_components.solar_cloud")
    entry = await setup_entry()
    assert entry.state is ConfigEntryState.LOADED
    factors = {
        device_id: coordinator.scale.energy_factor
        for device_id, coordinator in smartme_data(
            entry
        ).account.device_coordinators.items()
        if coordinator.scale.calibrated
    }
    assert factors == kept
    assert ("Ignoring" in caplog.text) is ignored
    # What could not be used is dropped from storage too.
    await async_advance(hass, frozen, timedelta(seconds=SAVE_DELAY))
    assert stored_factors(hass_storage, key) == kept
    # Measured again and written in the current version.
    frozen.tick(timedelta(seconds=10))
    await push(hass, sim, [BILANZ_ID])
    await async_advance(hass, frozen, timedelta(seconds=SAVE_DELAY))
    assert stored_factors(hass_storage, key) == {**kept, BILANZ_ID: WH}
    assert hass_storage[key]["minor_version"] == 1


async def test_device_that_disappears_loses_its_factor(
    hass: HomeAssistant,
    *,
    hass_storage: dict[str, Any],
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
    key: str,
) -> None:
    """Once the account stops listing a device, its factor is forgotten."""
    hass_storage[key] = stored({CHARGER_ID: MWH, BILANZ_ID: WH})
    await setup_entry()
    del sim.devices[CHARGER_ID]
    await async_advance(hass, frozen, timedelta(seconds=60))
    await async_advance(hass, frozen, timedelta(seconds=SAVE_DELAY))
    assert stored_factors(hass_storage, key) == {BILANZ_ID: WH}


async def test_device_list_unchanged_writes_nothing(
    hass: HomeAssistant,
    *,
    hass_storage: dict[str, Any],
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
    key: str,
) -> None:
    """Polls that change nothing, and unloading without news, leave storage alone."""
    hass_storage[key] = stored({CHARGER_ID: MWH})
    entry = await setup_entry()
    hass_storage[key]["written_by_this_test"] = True
    await async_advance(hass, frozen, timedelta(seconds=60 + SAVE_DELAY))
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert hass_storage[key]["written_by_this_test"]


async def test_removing_the_entry_deletes_its_store(
    hass: HomeAssistant,
    *,
    hass_storage: dict[str, Any],
    setup_entry: SetUp,
    key: str,
) -> None:
    """A deleted account leaves no calibration behind."""
    hass_storage[key] = stored({CHARGER_ID: MWH})
    entry = await setup_entry()
    assert await hass.config_entries.async_remove(entry.entry_id)
    assert key not in hass_storage


async def test_zero_counter_meter_calibrates_later(
    hass: HomeAssistant,
    *,
    hass_storage: dict[str, Any],
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
    key: str,
) -> None:
    """A meter at zero shows polled power and energy until a poll and a push count.

    Meanwhile polling does not back off, so its polled values stay current.
    """
    del sim.devices[WATER_ID]
    charger = sim.devices[ZERO_CHARGER_ID]
    entry = await setup_entry()
    account = smartme_data(entry).account
    coordinator = device(entry, ZERO_CHARGER_ID)
    power = "sensor.3_parkplatz_unten_links_3_power"
    energy = "sensor.3_parkplatz_unten_links_3_energy_import"

    # 12:00:40: every device pushes; the zero meter cannot be measured.
    frozen.tick(timedelta(seconds=10))
    await push(hass, sim, list(sim.devices))
    assert not coordinator.scale.calibrated
    assert account.poll_period == timedelta(seconds=60)
    assert number(hass, energy) == 0.0

    # 12:01:05: the car charges; a push alone still cannot measure (REST says 0).
    charger.import_kw = 11.0
    charger.raw["CounterReadingImport"] = 2.0
    frozen.tick(timedelta(seconds=25))
    await push(hass, sim, [ZERO_CHARGER_ID])
    assert not coordinator.scale.calibrated
    assert number(hass, power) == 0.0

    # 12:01:30: the poll (of the 12:01:00 upload, older than the push) still
    # brings power and the counter: pushes do not carry them for this meter yet.
    await async_advance(hass, frozen, timedelta(seconds=25))
    assert number(hass, power) == pytest.approx(sim.power_kw(charger) * 1000)
    polled_energy = number(hass, energy)
    assert polled_energy >= 2.0
    assert coordinator.data.timestamp == datetime(2026, 10, 20, 12, 1, 5, tzinfo=UTC)

    # The next push measures the unit: from now on pushes show power and energy.
    frozen.tick(timedelta(seconds=20))
    await push(hass, sim, list(sim.devices))
    assert coordinator.scale.energy_factor == MWH
    imported, _ = sim.counters(charger)
    assert number(hass, energy) == pytest.approx(imported)
    assert number(hass, energy) > polled_energy
    assert account.poll_period == SAFETY_POLL_INTERVAL
    await async_advance(hass, frozen, timedelta(seconds=SAVE_DELAY))
    assert stored_factors(hass_storage, key)[ZERO_CHARGER_ID] == MWH
