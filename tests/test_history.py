"""The history importer and the statistics writer, with the fake vendor's cloud."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.solar_cloud.const import DOMAIN
from custom_components.solar_cloud.history import HistoryImporter, ImportState
from custom_components.solar_cloud.history_source import CONF_HISTORY_DAYS, HistoryChunk
from custom_components.solar_cloud.statistics import (
    EnergyFlow,
    HistorySeries,
    SeriesEnergy,
    async_replace,
    hourly,
)

from .common import async_advance, async_call_refused, async_statistic_energy
from .fake_vendor import FAKE_VENDOR, FakeCloud

NOW = "2026-06-21T12:20:00+00:00"
PLANT_1 = f"{DOMAIN}:{FAKE_VENDOR}_plant_1_solar_production"
PLANT_2 = f"{DOMAIN}:{FAKE_VENDOR}_plant_2_solar_production"
STEP = timedelta(seconds=10)

pytestmark = [pytest.mark.usefixtures("fake_vendor"), pytest.mark.freeze_time(NOW)]


@pytest.fixture(autouse=True)
async def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None, hass: HomeAssistant
) -> None:
    """Start the recorder before Home Assistant (the plugin insists on it).

    Days are UTC days here, as the fake cloud's are.
    """
    await hass.config.async_set_time_zone("UTC")


type StartImport = Callable[..., Awaitable[MockConfigEntry]]
type Advance = Callable[..., Awaitable[None]]


@pytest.fixture
def advance(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> Advance:
    """Return a function that moves the clock in steps of ``STEP`` by default."""

    async def advance(delta: timedelta, step: timedelta = STEP) -> None:
        await async_advance(hass, freezer, delta, step=step)

    return advance


@pytest.fixture
def start_import(
    hass: HomeAssistant, fake_entry: MockConfigEntry, advance: Advance
) -> StartImport:
    """Return a function that sets up the fake account importing ``days``, then runs."""

    async def start(
        days: int, run: timedelta = timedelta(minutes=2)
    ) -> MockConfigEntry:
        hass.config_entries.async_update_entry(
            fake_entry, options={CONF_HISTORY_DAYS: days}
        )
        assert await hass.config_entries.async_setup(fake_entry.entry_id)
        await advance(run)
        return fake_entry

    return start


def _history(entry: MockConfigEntry) -> HistoryImporter:
    history = entry.runtime_data.history
    assert history is not None
    return history


def _truth(
    fake_sim: FakeCloud, plant: str, start: datetime, end: datetime
) -> dict[datetime, float]:
    hours = {}
    hour = start
    while hour < end:
        hours[hour] = fake_sim.truth(plant, hour)
        hour += timedelta(hours=1)
    return hours


async def _import_range(
    hass: HomeAssistant, entry: MockConfigEntry, **data: str
) -> Any:
    """Call the import_history action for ``entry`` and return its response."""
    return await hass.services.async_call(
        DOMAIN,
        "import_history",
        {"config_entry_id": entry.entry_id, **data},
        blocking=True,
        return_response=True,
    )


async def test_backfill_matches_the_cloud_hour_by_hour(
    hass: HomeAssistant,
    fake_sim: FakeCloud,
    start_import: StartImport,
    advance: Advance,
) -> None:
    """Three days before setup are imported, every hour as the cloud has it."""
    entry = await start_import(days=3, run=timedelta())
    # Setup does not wait for the import: nothing is imported yet.
    assert hass.states.get("sensor.fusionsolar_fake_account_history_import").state in (
        "unknown",
        "0",
        "0.0",
    )
    await advance(timedelta(minutes=3))

    start = datetime(2026, 6, 18, 12, tzinfo=UTC)
    end = datetime(2026, 6, 21, 12, tzinfo=UTC)
    for plant, statistic_id in (("plant-1", PLANT_1), ("plant-2", PLANT_2)):
        assert await async_statistic_energy(hass, statistic_id) == _truth(
            fake_sim, plant, start, end
        )
    assert (
        hass.states.get("sensor.fusionsolar_fake_account_history_import").state
        == "100.0"
    )
    assert (
        hass.states.get("sensor.fusionsolar_fake_account_last_hour_imported").state
        == "2026-06-21T11:00:00+00:00"
    )
    history = _history(entry)
    assert history.state is ImportState.UP_TO_DATE
    # A request per plant and day (4 days touched), and the newest hours.
    assert fake_sim.log.count("history") == history.calls <= 12


async def test_a_newest_first_backfill_moves_no_rows(start_import: StartImport) -> None:
    """Each older day ends its sums where the newer rows begin: no row moves.

    (Moving every later row for each older day would cost the square of the
    period: a year of days times a year of rows.)
    """
    with patch.object(Recorder, "async_adjust_statistics", autospec=True) as adjust:
        entry = await start_import(days=5, run=timedelta(minutes=4))
    assert _history(entry).state is ImportState.UP_TO_DATE
    adjust.assert_not_called()


async def test_importing_again_changes_nothing(
    hass: HomeAssistant, start_import: StartImport, advance: Advance
) -> None:
    """Re-importing a range that is already there leaves every sum as it was."""
    entry = await start_import(days=2)
    before = await async_statistic_energy(hass, PLANT_1)

    response = await _import_range(hass, entry, start_date="2026-06-20")
    assert response == {
        "start_date": "2026-06-20",
        "end_date": "2026-06-21",
        "requests": 4,
    }
    await advance(timedelta(minutes=2))
    assert await async_statistic_energy(hass, PLANT_1) == before


async def test_older_days_imported_later_keep_the_newer_ones(
    hass: HomeAssistant,
    fake_sim: FakeCloud,
    start_import: StartImport,
    advance: Advance,
) -> None:
    """Days before the first import slot in: the newer hours keep their energy."""
    entry = await start_import(days=1)
    await _import_range(hass, entry, start_date="2026-06-15", end_date="2026-06-17")
    await advance(timedelta(minutes=2))

    energy = await async_statistic_energy(hass, PLANT_1)
    older = _truth(
        fake_sim,
        "plant-1",
        datetime(2026, 6, 15, tzinfo=UTC),
        datetime(2026, 6, 18, tzinfo=UTC),
    )
    newer = _truth(
        fake_sim,
        "plant-1",
        datetime(2026, 6, 20, 12, tzinfo=UTC),
        datetime(2026, 6, 21, 12, tzinfo=UTC),
    )
    assert {hour: energy[hour] for hour in older} == older
    # The day between the two ranges was not imported: its hours are missing,
    # and the first newer hour's sum steps over nothing.
    assert datetime(2026, 6, 19, tzinfo=UTC) not in energy
    assert {hour: energy[hour] for hour in newer} == newer


async def test_a_late_correction_lands_in_its_hour(
    hass: HomeAssistant,
    fake_sim: FakeCloud,
    start_import: StartImport,
    advance: Advance,
) -> None:
    """The trailing window picks up an hour the cloud corrected afterwards."""
    await start_import(days=2)
    before = await async_statistic_energy(hass, PLANT_1)

    corrected = datetime(2026, 6, 20, 9, tzinfo=UTC)
    fake_sim.revised["plant-1", corrected] = 9.875
    await advance(timedelta(hours=6), step=timedelta(minutes=5))
    await advance(timedelta(minutes=2))

    after = await async_statistic_energy(hass, PLANT_1)
    assert after[corrected] == 9.875
    assert {hour: after[hour] for hour in before if hour != corrected} == {
        hour: energy for hour, energy in before.items() if hour != corrected
    }


async def test_the_trailing_window_is_not_put_off_by_restarts(
    hass: HomeAssistant,
    fake_sim: FakeCloud,
    start_import: StartImport,
    advance: Advance,
) -> None:
    """Reloads every few hours still see the trailing window every 6 h."""
    entry = await start_import(days=2)
    corrected = datetime(2026, 6, 20, 9, tzinfo=UTC)
    fake_sim.revised["plant-1", corrected] = 9.875
    # Four hours, a reload, four hours: 6 h after the first start it is due.
    for _ in range(2):
        await advance(timedelta(hours=4), step=timedelta(minutes=5))
        assert await hass.config_entries.async_reload(entry.entry_id)
        await advance(timedelta(minutes=2))
    assert (await async_statistic_energy(hass, PLANT_1))[corrected] == 9.875


async def test_a_bug_drops_the_request_it_happened_in(
    start_import: StartImport,
    advance: Advance,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An unexpected error drops that request only; the import goes on."""
    with patch(
        "custom_components.solar_cloud.history.async_replace",
        side_effect=[RuntimeError("bug"), *[[]] * 50],
    ):
        history = _history(await start_import(days=1, run=timedelta(minutes=1)))
        assert "Importing the history of" in caplog.text
        assert history.diagnostics()["requests_left"] == 0
    await advance(timedelta(minutes=10))
    assert history.progress == 100.0


async def test_hours_missed_while_home_assistant_was_down_are_filled(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    fake_sim: FakeCloud,
    start_import: StartImport,
    advance: Advance,
) -> None:
    """After three hours down, the newest-hours import brings those hours."""
    entry = await start_import(days=1)
    assert await hass.config_entries.async_unload(entry.entry_id)

    freezer.tick(timedelta(hours=3))
    assert await hass.config_entries.async_setup(entry.entry_id)
    await advance(timedelta(minutes=2))

    energy = await async_statistic_energy(hass, PLANT_1)
    missed = _truth(
        fake_sim,
        "plant-1",
        datetime(2026, 6, 21, 11, tzinfo=UTC),
        datetime(2026, 6, 21, 15, tzinfo=UTC),
    )
    assert {hour: energy.get(hour) for hour in missed} == missed


async def test_no_more_than_the_cloud_keeps(
    hass: HomeAssistant, fake_sim: FakeCloud, start_import: StartImport
) -> None:
    """A cloud that keeps one day: the backfill asks for that day only."""
    fake_sim.history_from = datetime(2026, 6, 20, 12, tzinfo=UTC)
    await start_import(days=365)

    energy = await async_statistic_energy(hass, PLANT_1)
    assert min(energy) == datetime(2026, 6, 20, 12, tzinfo=UTC)
    assert fake_sim.log.count("history") <= 6
    assert (
        hass.states.get("sensor.fusionsolar_fake_account_history_import").state
        == "100.0"
    )


async def test_a_rate_limit_is_waited_for(
    hass: HomeAssistant,
    fake_sim: FakeCloud,
    start_import: StartImport,
    advance: Advance,
) -> None:
    """A 429 makes its request wait its Retry-After (120 s); the others go on."""
    fake_sim.faults.add("history", status=429, times=1)
    await start_import(days=1, run=timedelta(seconds=100))
    # The newest hours wait; the backfill (another queue) goes on meanwhile.
    first = fake_sim.log.of("history")[0]
    assert first.status == 429
    assert fake_sim.log.count("history") > 1
    await advance(timedelta(minutes=3))
    assert fake_sim.log.count("history", status=429) == 1
    assert len(await async_statistic_energy(hass, PLANT_1)) == 24


async def test_the_accounts_rate_limit_holds_the_history_too(
    fake_sim: FakeCloud,
    start_import: StartImport,
    advance: Advance,
    hass: HomeAssistant,
) -> None:
    """A refresh refused for the rate limit (120 s): no history call until it ends."""
    await start_import(days=3, run=timedelta(seconds=20))
    fake_sim.faults.add("plants", status=429, times=1)
    await advance(timedelta(minutes=1))
    [refused] = [r for r in fake_sim.log.requests if r.status == 429]
    await advance(timedelta(seconds=100))
    window = (refused.at, refused.at + timedelta(seconds=120))
    assert not [r for r in fake_sim.log.requests if window[0] < r.at < window[1]]

    await advance(timedelta(minutes=10))
    assert [r for r in fake_sim.log.of("history") if r.at >= window[1]]
    assert len(await async_statistic_energy(hass, PLANT_1)) == 3 * 24


async def test_failures_are_retried_then_given_up(
    hass: HomeAssistant,
    fake_sim: FakeCloud,
    start_import: StartImport,
    advance: Advance,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A request that keeps failing is tried five times, then left out."""
    fake_sim.faults.add("history", status=500, times=5)
    entry = await start_import(days=1, run=timedelta())
    await advance(timedelta(hours=3), step=timedelta(minutes=1))
    assert "Gave up importing the history" in caplog.text
    assert fake_sim.log.count("history", status=500) == 5
    assert _history(entry).last_error is None
    # The newest hours came in with later requests.
    assert datetime(2026, 6, 21, 14, tzinfo=UTC) in await async_statistic_energy(
        hass, PLANT_1
    )


async def test_refused_sign_in_pauses_the_import(
    hass: HomeAssistant,
    fake_sim: FakeCloud,
    start_import: StartImport,
    hass_client: ClientSessionGenerator,
) -> None:
    """An authentication error stops the import until the account is set up again."""
    fake_sim.faults.add("first", status=401)
    entry = await start_import(days=1, run=timedelta(minutes=5))
    assert _history(entry).state is ImportState.PAUSED
    assert fake_sim.log.count("history") == 0
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert diagnostics["vendor"]["history"]["state"] == "paused"
    assert diagnostics["vendor"]["history"]["last_error"] == "Wrong key"
    # Asking for a range now would queue what cannot run: the action says why.
    err = await async_call_refused(
        hass,
        "import_history",
        {"config_entry_id": entry.entry_id, "start_date": "2026-06-20"},
    )
    assert err.translation_key == "history_import_paused"


async def test_no_right_to_history_stops_the_import(
    fake_sim: FakeCloud, start_import: StartImport, advance: Advance
) -> None:
    """A licence or right missing: one refused call, then nothing until reload."""
    fake_sim.faults.add("history", status=403)
    entry = await start_import(days=0, run=timedelta())
    await advance(timedelta(hours=2), step=timedelta(minutes=5))
    assert _history(entry).state is ImportState.NOT_PERMITTED
    assert fake_sim.log.count("history") == 1


async def test_a_restart_carries_on_with_the_backfill(
    hass: HomeAssistant,
    fake_sim: FakeCloud,
    start_import: StartImport,
    advance: Advance,
) -> None:
    """Progress is kept: after a reload, no day is asked for twice."""
    entry = await start_import(days=10, run=timedelta(seconds=60))
    history = _history(entry)
    assert history.state is ImportState.BACKFILLING
    progress = history.progress
    assert progress is not None
    assert 0 < progress < 100
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert entry.state is ConfigEntryState.NOT_LOADED

    assert await hass.config_entries.async_setup(entry.entry_id)
    await advance(timedelta(minutes=6))
    assert _history(entry).progress == 100.0
    # 11 days x 2 plants for the backfill, plus the newest hours at each start.
    assert fake_sim.log.count("history") <= 22 + 4
    energy = await async_statistic_energy(hass, PLANT_2)
    start = datetime(2026, 6, 11, 12, tzinfo=UTC)
    end = datetime(2026, 6, 21, 12, tzinfo=UTC)
    assert energy == _truth(fake_sim, "plant-2", start, end)


async def _change_period(
    hass: HomeAssistant, entry: MockConfigEntry, days: int, advance: Advance
) -> None:
    """Unload, set another period in the options, set up again and let it run."""
    assert await hass.config_entries.async_unload(entry.entry_id)
    hass.config_entries.async_update_entry(entry, options={CONF_HISTORY_DAYS: days})
    assert await hass.config_entries.async_setup(entry.entry_id)
    await advance(timedelta(minutes=3))


async def test_a_longer_period_in_the_options_imports_the_difference(
    hass: HomeAssistant,
    fake_sim: FakeCloud,
    start_import: StartImport,
    advance: Advance,
) -> None:
    """From 1 to 3 days: the two days before are imported, the rest stays."""
    entry = await start_import(days=1)
    await _change_period(hass, entry, 3, advance)

    start = datetime(2026, 6, 18, 12, tzinfo=UTC)
    end = datetime(2026, 6, 21, 12, tzinfo=UTC)
    energy = await async_statistic_energy(hass, PLANT_1)
    assert {hour: energy[hour] for hour in _truth(fake_sim, "plant-1", start, end)} == (
        _truth(fake_sim, "plant-1", start, end)
    )


async def test_a_shorter_period_drops_what_is_not_imported_yet(
    hass: HomeAssistant,
    fake_sim: FakeCloud,
    start_import: StartImport,
    advance: Advance,
) -> None:
    """From 30 days to 2 while importing: the older days are not asked for."""
    entry = await start_import(days=30, run=timedelta(seconds=40))
    await _change_period(hass, entry, 2, advance)

    history = _history(entry)
    assert history.progress == 100.0
    assert history.period_start == datetime(2026, 6, 19, 12, tzinfo=UTC)
    assert fake_sim.log.count("history") <= 12
    assert min(await async_statistic_energy(hass, PLANT_1)) == datetime(
        2026, 6, 19, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("data", "key"),
    [
        (
            {"start_date": "2026-06-20", "end_date": "2026-06-19"},
            "history_range_invalid",
        ),
        (
            {"start_date": "2026-06-20", "end_date": "2026-06-22"},
            "history_range_invalid",
        ),
        ({"start_date": "2010-01-01"}, "history_range_too_long"),
    ],
)
async def test_import_history_refuses_bad_ranges(
    hass: HomeAssistant, start_import: StartImport, data: dict[str, str], key: str
) -> None:
    """Bad ranges get a translated error; nothing is queued."""
    entry = await start_import(days=0, run=timedelta())
    err = await async_call_refused(
        hass, "import_history", {"config_entry_id": entry.entry_id, **data}
    )
    assert err.translation_key == key


async def test_the_statistics_are_named_and_typed_for_the_energy_dashboard(
    hass: HomeAssistant,
) -> None:
    """Metadata carries mean type, unit class and unit (HA 2026.11 requires them)."""
    series = HistorySeries(
        vendor="sma", device_key="Plant-1", device_name="Home", flow=EnergyFlow.SOLAR
    )
    assert series.statistic_id == "solar_cloud:sma_plant_1_solar_production"
    metadata = series.metadata()
    assert metadata["unit_class"] == "energy"
    assert metadata["unit_of_measurement"] == "kWh"
    assert metadata["mean_type"] == 0
    assert metadata["has_sum"] is True
    assert metadata["name"] == "Home solar production"


def test_a_range_off_the_whole_hour_leaves_the_next_its_first_hour() -> None:
    """A day from 18:30 to 18:30 UTC (India) owns 18:00 to 18:00, not 19:00."""
    series = HistorySeries(
        vendor="fusionsolar", device_key="p", device_name="P", flow=EnergyFlow.SOLAR
    )
    start = datetime(2026, 6, 20, 18, 30, tzinfo=UTC)
    part = SeriesEnergy(
        series=series,
        start=start,
        end=start + timedelta(days=1),
        energy={start: 1.0, start + timedelta(hours=23): 2.0},
    )
    hours = hourly(part, until=start + timedelta(days=3))
    assert hours[0] == (datetime(2026, 6, 20, 18, tzinfo=UTC), 1.0)
    assert hours[-1] == (datetime(2026, 6, 21, 17, tzinfo=UTC), 2.0)
    assert len(hours) == 24


def test_hourly_counts_bad_values_as_nothing() -> None:
    """Negative, NaN and non-numbers count as zero; values outside are dropped."""
    series = HistorySeries(
        vendor="sma", device_key="p", device_name="P", flow=EnergyFlow.SOLAR
    )
    start = datetime(2026, 6, 21, tzinfo=UTC)
    part = SeriesEnergy(
        series=series,
        start=start,
        end=start + timedelta(hours=4),
        energy={
            start: 1.5,
            start + timedelta(minutes=30): 0.5,
            start + timedelta(hours=1): -1.0,
            start + timedelta(hours=2): float("nan"),
            start + timedelta(hours=3): "2",  # type: ignore[dict-item]
            start + timedelta(hours=9): 7.0,
        },
    )
    assert hourly(part, until=start + timedelta(hours=3)) == [
        (start, 2.0),
        (start + timedelta(hours=1), 0.0),
        (start + timedelta(hours=2), 0.0),
    ]


async def test_replacing_in_any_order_gives_the_same_sums(
    hass: HomeAssistant,
) -> None:
    """Three days written newest first, then the middle again with a change."""
    series = HistorySeries(
        vendor="fusionsolar",
        device_key="order",
        device_name="Order",
        flow=EnergyFlow.GRID_EXPORT,
    )
    start = datetime(2026, 6, 1, tzinfo=UTC)

    def day(index: int, kwh: float) -> SeriesEnergy:
        first = start + timedelta(days=index)
        return SeriesEnergy(
            series=series,
            start=first,
            end=first + timedelta(days=1),
            energy={first + timedelta(hours=hour): kwh for hour in range(24)},
        )

    now = datetime(2026, 6, 10, tzinfo=UTC)
    for index in (2, 1, 0):
        await async_replace(hass, [day(index, index + 1.0)], now=now)
    await async_replace(hass, [day(1, 5.0)], now=now)
    energy = await async_statistic_energy(hass, series.statistic_id)
    assert [energy[start + timedelta(days=d, hours=5)] for d in range(3)] == [
        1.0,
        5.0,
        3.0,
    ]
    assert sum(energy.values()) == 24 * (1 + 5 + 3)
    assert not [
        chunk
        for chunk in [HistoryChunk.from_list(["u", "x", "y", ""])]
        if chunk is not None
    ]
