"""smart-me history in the long-term statistics, against the simulator's truth."""

from __future__ import annotations

from datetime import datetime, timedelta
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.util import slugify
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.solar_cloud.const import DOMAIN
from custom_components.solar_cloud.history import HistoryImporter, ImportState
from custom_components.solar_cloud.history_source import CONF_HISTORY_DAYS
from custom_components.solar_cloud.smartme.data import smartme_data

from ..common import async_advance, async_statistic_energy
from ..simulator.core import RunningSimulator, StartSimulator
from ..simulator.smartme import (
    HOUSE_ID,
    Account,
    HourEnergy,
    SmartMeSimulator,
    household_device,
)
from .const import HISTORY, NOW, NOW_HOUR, ROUNDING

IMPORT = f"{DOMAIN}:{slugify(f'smartme_{HOUSE_ID}_energy_import')}"
EXPORT = f"{DOMAIN}:{slugify(f'smartme_{HOUSE_ID}_energy_export')}"
SPACING = timedelta(seconds=15)

pytestmark = pytest.mark.freeze_time(NOW)


@pytest.fixture(autouse=True)
async def auto_enable_custom_integrations(
    recorder_mock: Recorder,
    enable_custom_integrations: None,
    hass: HomeAssistant,
) -> None:
    """Start the recorder before Home Assistant (the plugin insists on it)."""


@pytest.fixture
def history_start() -> datetime | None:
    """When smart-me's history of the household begins (None: two years back)."""
    return None


@pytest.fixture
def history_licence() -> bool:
    """Whether the account may read the history (Professional licence)."""
    return True


@pytest.fixture
async def cloud(
    frozen: FrozenDateTimeFactory,
    start_vendor_simulator: StartSimulator,
    history_start: datetime | None,
    history_licence: bool,
) -> RunningSimulator:
    """Serve an account with one household meter (PV: import and export)."""
    return await start_vendor_simulator(
        SmartMeSimulator(
            account=Account(history_licence=history_licence),
            devices=[household_device(history_start=history_start)],
        )
    )


async def _setup(hass: HomeAssistant, entry: MockConfigEntry, days: int) -> None:
    hass.config_entries.async_update_entry(
        entry, options={**entry.options, CONF_HISTORY_DAYS: days}
    )
    assert await hass.config_entries.async_setup(entry.entry_id)


def _importer(entry: MockConfigEntry) -> HistoryImporter:
    history = smartme_data(entry).history
    assert history is not None
    return history


async def _energy(hass: HomeAssistant, statistic_id: str) -> dict[datetime, float]:
    """Return kWh per hour as the statistics hold it."""
    return await async_statistic_energy(hass, statistic_id)


async def _assert_truth(hass: HomeAssistant, truth: dict[datetime, HourEnergy]) -> None:
    """Assert that every hour of ``truth`` is in the statistics, as it is there."""
    imported, exported = await _energy(hass, IMPORT), await _energy(hass, EXPORT)
    for hour, energy in truth.items():
        assert imported.get(hour) == pytest.approx(energy.energy_import, abs=ROUNDING)
        assert exported.get(hour) == pytest.approx(energy.energy_export, abs=ROUNDING)


async def test_a_year_of_history_equals_the_truth(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    smartme_entry: MockConfigEntry,
    frozen: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A year before setup: every hour's import and export, in 10 calls."""
    caplog.set_level(logging.DEBUG, logger="custom_components.solar_cloud")
    await _setup(hass, smartme_entry, days=365)
    history = _importer(smartme_entry)
    assert history.calls == 0
    await async_advance(hass, frozen, timedelta(minutes=3), step=SPACING)

    assert history.state is ImportState.UP_TO_DATE
    assert history.last_hour == NOW_HOUR - timedelta(hours=1)
    truth = sim.truth(HOUSE_ID, NOW_HOUR - timedelta(days=365), NOW_HOUR)
    imported, exported = await _energy(hass, IMPORT), await _energy(hass, EXPORT)
    assert list(imported) == list(exported) == list(truth)
    await _assert_truth(hass, truth)
    assert sum(imported.values()) == pytest.approx(
        sum(hour.energy_import for hour in truth.values()), abs=1e-3
    )
    # The newest hours, then nine windows of 1,000 values: no other call.
    requests = sim.log.of(HISTORY)
    assert len(requests) == 10
    assert sim.log.count(HISTORY, status=200) == 10
    assert sim.log.count("values_in_past") == 0
    assert requests[-1].at - requests[0].at == 9 * SPACING
    assert "counters x 0.001 kWh, as the device list shows" in caplog.text
    data = smartme_data(smartme_entry)
    assert data.energy_history is not None
    assert data.energy_history.factors == {HOUSE_ID: 1e-3}
    assert {series.statistic_id for series in history.source.series()} == {
        IMPORT,
        EXPORT,
    }


async def test_hours_missed_while_down_are_filled_and_importing_again_is_a_no_op(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    smartme_entry: MockConfigEntry,
    frozen: FrozenDateTimeFactory,
) -> None:
    """Three hours down: those hours come with the next start; the action adds nothing."""
    await _setup(hass, smartme_entry, days=2)
    await async_advance(hass, frozen, timedelta(minutes=1), step=SPACING)
    assert _importer(smartme_entry).last_hour == NOW_HOUR - timedelta(hours=1)
    assert await hass.config_entries.async_unload(smartme_entry.entry_id)

    frozen.tick(timedelta(hours=3))
    assert await hass.config_entries.async_setup(smartme_entry.entry_id)
    await async_advance(hass, frozen, timedelta(minutes=1), step=SPACING)
    back = NOW_HOUR + timedelta(hours=3)
    assert _importer(smartme_entry).last_hour == back - timedelta(hours=1)
    await _assert_truth(hass, sim.truth(HOUSE_ID, NOW_HOUR - timedelta(days=2), back))
    imported, exported = await _energy(hass, IMPORT), await _energy(hass, EXPORT)
    assert max(imported) == back - timedelta(hours=1)

    sim.log.clear()
    response = await hass.services.async_call(
        DOMAIN,
        "import_history",
        {"config_entry_id": smartme_entry.entry_id, "start_date": "2026-10-19"},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    assert response["requests"] == 1
    await async_advance(hass, frozen, timedelta(minutes=1), step=SPACING)
    assert sim.log.count(HISTORY) == 1
    assert await _energy(hass, IMPORT) == pytest.approx(imported, abs=1e-9)
    assert await _energy(hass, EXPORT) == pytest.approx(exported, abs=1e-9)


async def test_a_late_correction_is_picked_up_by_the_trailing_window(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    smartme_entry: MockConfigEntry,
    frozen: FrozenDateTimeFactory,
) -> None:
    """smart-me corrects an hour of yesterday: within six hours it is in its hour."""
    await _setup(hass, smartme_entry, days=2)
    await async_advance(hass, frozen, timedelta(minutes=1), step=SPACING)
    hour = NOW_HOUR - timedelta(hours=20)
    was = sim.revise(HOUSE_ID, hour, energy_import=0.25)
    assert was.energy_import > 0.5
    assert (await _energy(hass, IMPORT))[hour] == pytest.approx(
        was.energy_import, abs=ROUNDING
    )

    await async_advance(hass, frozen, timedelta(hours=6), step=timedelta(minutes=10))
    now = NOW_HOUR + timedelta(hours=6)
    imported = await _energy(hass, IMPORT)
    assert imported[hour] == pytest.approx(0.25, abs=ROUNDING)
    # The next hour gave what the corrected one got: every hour is as smart-me has it.
    await _assert_truth(hass, sim.truth(HOUSE_ID, NOW_HOUR - timedelta(days=2), now))
    assert max(imported) == now - timedelta(hours=1)


@pytest.mark.parametrize("history_start", [NOW_HOUR - timedelta(days=10)])
async def test_a_meter_with_ten_days_of_history(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    smartme_entry: MockConfigEntry,
    frozen: FrozenDateTimeFactory,
) -> None:
    """A year asked for, ten days kept: those days, and no call for older ones."""
    await _setup(hass, smartme_entry, days=365)
    await async_advance(hass, frozen, timedelta(minutes=3), step=SPACING)
    history = _importer(smartme_entry)
    assert history.state is ImportState.UP_TO_DATE
    assert history.progress == 100.0
    begins = NOW_HOUR - timedelta(days=10)
    imported = await _energy(hass, IMPORT)
    assert min(imported) == min(await _energy(hass, EXPORT)) == begins
    await _assert_truth(hass, sim.truth(HOUSE_ID, begins, NOW_HOUR))
    # The newest hours and the newest window; one look before it finds nothing.
    assert sim.log.count(HISTORY) == 2
    assert sim.log.count("values_in_past") == 1
    data = smartme_data(smartme_entry)
    assert data.energy_history is not None
    assert data.energy_history.begins == {HOUSE_ID: begins}


@pytest.mark.parametrize("history_licence", [False])
async def test_without_the_licence_the_import_stops_after_one_call(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    smartme_entry: MockConfigEntry,
    frozen: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """smart-me answers 403: one warning, the import stops, the rest works on."""
    await _setup(hass, smartme_entry, days=365)
    await async_advance(hass, frozen, timedelta(hours=2), step=timedelta(minutes=5))
    history = _importer(smartme_entry)
    assert history.state is ImportState.NOT_PERMITTED
    assert sim.log.count(HISTORY) == sim.log.count(HISTORY, status=403) == 1
    assert caplog.text.count("stopped until the account is set up again") == 1
    assert "professional licence" in caplog.text
    assert smartme_entry.state is ConfigEntryState.LOADED
    assert await _energy(hass, IMPORT) == {}
    state = hass.states.get("sensor.house_energy_import")
    assert state is not None
    assert float(state.state) == pytest.approx(sim.counters(sim.devices[HOUSE_ID])[0])


async def test_a_restart_carries_on_with_the_backfill(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    smartme_entry: MockConfigEntry,
    frozen: FrozenDateTimeFactory,
) -> None:
    """Stopped after the first of two windows: the second follows, none twice."""
    await _setup(hass, smartme_entry, days=60)
    history = _importer(smartme_entry)
    for _ in range(20):
        await async_advance(hass, frozen, timedelta(seconds=5))
        if len(sim.history_requests) == 2:
            break
    assert history.state is ImportState.BACKFILLING
    assert history.progress == 50.0
    assert await hass.config_entries.async_unload(smartme_entry.entry_id)

    assert await hass.config_entries.async_setup(smartme_entry.entry_id)
    await async_advance(hass, frozen, timedelta(minutes=1), step=SPACING)
    assert _importer(smartme_entry).state is ImportState.UP_TO_DATE
    await _assert_truth(
        hass, sim.truth(HOUSE_ID, NOW_HOUR - timedelta(days=60), NOW_HOUR)
    )
    # The newest hours at each start, and each window once (windows of 1,000
    # readings count from the start of the period: the newest is shorter).
    assert [(start, end) for _, start, end, _ in sim.history_requests] == [
        (NOW_HOUR - timedelta(hours=1), NOW_HOUR + timedelta(hours=1)),
        (NOW_HOUR - timedelta(hours=441), NOW_HOUR),
        (NOW_HOUR - timedelta(hours=1), NOW_HOUR + timedelta(hours=1)),
        (NOW_HOUR - timedelta(days=60), NOW_HOUR - timedelta(hours=441)),
    ]
