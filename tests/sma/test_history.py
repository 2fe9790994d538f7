"""SMA's energy history in the long-term statistics, against the simulator's truth.

The recorder runs; every import goes through EnergyBalance Day answers over
HTTP, and the statistics are compared hour by hour with ``truth_hourly``,
which the simulator computes from the same balance() its answers use.
(Longer than 500 lines: each test is one scenario against the same truth
helpers above them; the parts that need no recorder are in
``test_history_source.py``.)
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
import logging
import os

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.solar_cloud.const import DOMAIN
from custom_components.solar_cloud.history import HistoryImporter, ImportState
from custom_components.solar_cloud.history_source import CONF_HISTORY_DAYS, HistoryChunk
from custom_components.solar_cloud.sma.history import FLOWS, SmaHistory
from custom_components.solar_cloud.statistics import HistorySeries

from ..common import async_advance, async_statistic_energy, async_statistic_rows
from ..const import NOON
from ..simulator.sma import (
    CLASSIC_PLANT,
    DEMO_OWNER,
    SANDBOX_OWNER,
    SimPlant,
    SmaSimulator,
    truth_hourly,
)

_LOGGER = logging.getLogger(__name__)
SPACING = timedelta(seconds=10)


@pytest.fixture(autouse=True)
async def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None, hass: HomeAssistant
) -> None:
    """Start the recorder before Home Assistant (the plugin insists on it)."""
    await hass.config.async_set_time_zone("Europe/Berlin")


def _only(
    hass: HomeAssistant,
    sim: SmaSimulator,
    entry: MockConfigEntry,
    owner: str,
    plants: set[str],
    *,
    days: int,
) -> MockConfigEntry:
    """Let the consent cover ``plants`` and import ``days`` of history."""
    sim.consents["custom-client", owner].scope = plants
    hass.config_entries.async_update_entry(entry, options={CONF_HISTORY_DAYS: days})
    return entry


async def _async_imported(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: SmaSimulator,
    entry: MockConfigEntry,
    *,
    owner: str,
    plants: set[str],
    days: int,
) -> MockConfigEntry:
    """Set ``entry`` up to import ``days`` of ``plants``; return it once up to date."""
    _only(hass, sim, entry, owner, plants, days=days)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await _until_up_to_date(hass, freezer, [entry])
    return entry


def _history(entry: MockConfigEntry) -> tuple[HistoryImporter, SmaHistory]:
    history = entry.runtime_data.history
    assert history is not None
    assert isinstance(history.source, SmaHistory)
    return history, history.source


async def _until_up_to_date(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entries: list[MockConfigEntry],
    *,
    step: timedelta = SPACING,
    limit: timedelta = timedelta(hours=2),
) -> timedelta:
    """Move the clock until every entry's backfill is done; return how long it took."""
    moved = timedelta()
    while any(
        _history(entry)[0].state is not ImportState.UP_TO_DATE for entry in entries
    ):
        assert moved < limit, [_history(entry)[0].diagnostics() for entry in entries]
        await async_advance(hass, freezer, step)
        moved += step
    return moved


async def _sums(hass: HomeAssistant, statistic_id: str) -> dict[datetime, float]:
    """Return the sum (kWh) of every hour's row."""
    return {
        datetime.fromtimestamp(row["start"], UTC): row["sum"]
        for row in await async_statistic_rows(hass, statistic_id, {"sum"})
    }


async def _energy(hass: HomeAssistant, statistic_id: str) -> dict[datetime, float]:
    """Return kWh per hour as the statistics hold it."""
    return await async_statistic_energy(hass, statistic_id)


def _statistic(key: str, field: str) -> str:
    return HistorySeries(
        vendor="sma", device_key=key, device_name="", flow=FLOWS[field]
    ).statistic_id


async def _imported(
    hass: HomeAssistant, plant: SimPlant, fields: tuple[str, ...] = tuple(FLOWS)
) -> dict[str, dict[datetime, float]]:
    return {
        field: await _energy(hass, _statistic(plant.plant_id, field))
        for field in fields
    }


def _truth(
    plant: SimPlant, start: datetime, end: datetime, fields: tuple[str, ...]
) -> dict[str, dict[datetime, float]]:
    truth = truth_hourly(plant, start, end)
    return {
        field: {hour: round(kwh, 6) for hour, kwh in truth[field].items()}
        for field in fields
    }


def _assert_matches(
    imported: dict[str, dict[datetime, float]],
    plant: SimPlant,
    start: datetime,
    end: datetime,
) -> None:
    """Assert the imported hours of [start, end) are the truth, to 2 mWh.

    Both sides are rounded to the mWh: they may differ in the last digit.
    """
    truth = _truth(plant, start, end, tuple(imported))
    for field, hours in imported.items():
        got = {hour: kwh for hour, kwh in hours.items() if start <= hour < end}
        assert got.keys() == truth[field].keys(), field
        wrong = {
            hour: (kwh, truth[field][hour])
            for hour, kwh in got.items()
            if abs(kwh - truth[field][hour]) > 2e-6
        }
        assert not wrong, (field, dict(list(wrong.items())[:5]))


def _local_midnight(plant: SimPlant, day: date) -> datetime:
    return plant.day_bounds(day)[0]


def _history_days(sim: SmaSimulator, plant: str) -> Counter[str | None]:
    """Return how often each day was asked for, leaving out today's polls."""
    return Counter(
        day
        for at, plant_id, period, day in sim.balance_requests
        if plant_id == plant
        and period == "Day"
        and day != at.astimezone(sim.plants[plant].zone).date().isoformat()
    )


@pytest.mark.freeze_time(NOON)
async def test_a_year_matches_the_truth_hour_by_hour(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: SmaSimulator,
    custom_entry: MockConfigEntry,
) -> None:
    """A year before setup, every flow of "TestPlant2"; no 429 with the live polling.

    TestPlant2 has no battery: its four flows make 35,000 statistics rows,
    which the recorder takes about 0.7 ms each to write. The battery flows
    are compared hour by hour in the shorter tests below.
    """
    entry = _only(hass, sim, custom_entry, SANDBOX_OWNER, {"24"}, days=365)
    started = os.times().elapsed
    assert await hass.config_entries.async_setup(entry.entry_id)
    took = await _until_up_to_date(hass, freezer, [entry])
    seconds = os.times().elapsed - started
    history, source = _history(entry)

    plant = sim.plants["24"]
    fields = ("pvGeneration", "totalConsumption", "gridConsumption", "gridFeedIn")
    assert {series.flow for series in source.series()} == {FLOWS[f] for f in fields}
    start = _local_midnight(plant, date(2025, 6, 21))
    imported = await _imported(hass, plant, fields)
    # The year before setup, and today up to the hour of setup.
    assert min(imported["pvGeneration"]) == start
    assert max(imported["pvGeneration"]) == datetime(2026, 6, 21, 9, tzinfo=UTC)
    _assert_matches(imported, plant, start, datetime(2026, 6, 21, 10, tzinfo=UTC))
    assert sim.log.count(status=429) == 0
    # Total says the data starts before the year; a call per day, today from
    # the plant coordinator.
    assert source.calls == 1 + 365
    lowest = sim.buckets["custom-client"].lowest
    _LOGGER.info(
        "SMA 1-year backfill of one plant: %d history calls (%d days from the "
        "coordinator), %d chunks, %s simulated, %.1f s real, %d x 429, %d calls "
        "in all, bucket never below %.0f of 100",
        source.calls,
        source.reused,
        history.calls,
        took,
        seconds,
        sim.log.count(status=429),
        len(sim.log.requests),
        lowest,
    )


@pytest.mark.freeze_time(NOON)
async def test_two_accounts_on_one_client_share_the_budget(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: SmaSimulator,
    custom_entry: MockConfigEntry,
    demo_owner_entry: MockConfigEntry,
) -> None:
    """Seven plants of two owners backfill three days at once, polled live: no 429.

    Both accounts use one client, whose bucket SMA counts: each account then
    spaces its history calls twice as far apart.
    """
    hass.config_entries.async_update_entry(custom_entry, options={CONF_HISTORY_DAYS: 3})
    assert await hass.config_entries.async_setup(custom_entry.entry_id)
    # As in test_budget: the second owner consents to the same client later.
    sim.grant_consent(DEMO_OWNER)
    second = demo_owner_entry
    second.add_to_hass(hass)
    hass.config_entries.async_update_entry(second, options={CONF_HISTORY_DAYS: 3})
    assert await hass.config_entries.async_setup(second.entry_id)
    took = await _until_up_to_date(hass, freezer, [custom_entry, second])

    assert sim.log.count(status=429) == 0
    for entry in (custom_entry, second):
        history, source = _history(entry)
        assert source.call_spacing == 2 * SPACING
        assert history.progress == 100.0
    # Each account's calls for past days are 20 s apart: 15 per five minutes.
    for plants in ({"13", "24", "35", "46"}, {"7190000", CLASSIC_PLANT}):
        past = [
            at
            for at, plant, period, day in sim.balance_requests
            if plant in plants
            and period == "Day"
            and day != at.astimezone(sim.plants[plant].zone).date().isoformat()
        ]
        assert min(b - a for a, b in pairwise(past)) >= 2 * SPACING
    # What SMA's bucket saw: every call, both setups and live polling included.
    lowest = sim.buckets["custom-client"].lowest
    assert lowest > 25
    _LOGGER.info(
        "Two accounts, 7 plants, three days each: %s simulated, %d calls in all, "
        "the client's bucket never below %.0f of 100",
        took,
        len(sim.log.requests),
        lowest,
    )


@pytest.mark.freeze_time(NOON)
async def test_hours_missed_while_home_assistant_was_down_are_filled(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: SmaSimulator,
    custom_entry: MockConfigEntry,
) -> None:
    """Down from 10:00 to 13:00 UTC: after the restart those hours are there."""
    plant = sim.plants["13"]
    entry = await _async_imported(
        hass, freezer, sim, custom_entry, owner=SANDBOX_OWNER, plants={"13"}, days=1
    )
    assert await hass.config_entries.async_unload(entry.entry_id)
    freezer.tick(timedelta(hours=3))
    assert await hass.config_entries.async_setup(entry.entry_id)
    await async_advance(hass, freezer, timedelta(minutes=1), step=SPACING)

    imported = await _imported(hass, plant)
    down = datetime(2026, 6, 21, 10, tzinfo=UTC)
    assert max(imported["pvGeneration"]) == down + timedelta(hours=2)
    _assert_matches(imported, plant, down, down + timedelta(hours=3))


@pytest.mark.freeze_time(NOON)
async def test_a_late_correction_is_picked_up(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: SmaSimulator,
    custom_entry: MockConfigEntry,
) -> None:
    """SMA corrects yesterday's 14:00 interval: the trailing window brings it in."""
    plant = sim.plants["13"]
    await _async_imported(
        hass, freezer, sim, custom_entry, owner=SANDBOX_OWNER, plants={"13"}, days=2
    )
    before = await _imported(hass, plant, ("pvGeneration",))

    corrected = datetime(2026, 6, 20, 12, 15, tzinfo=UTC)  # 14:15 in Berlin
    plant.revise(corrected, pvGeneration=0.0)
    await async_advance(hass, freezer, timedelta(hours=6), step=timedelta(minutes=30))
    await async_advance(hass, freezer, timedelta(minutes=1), step=SPACING)
    after = await _imported(hass, plant, ("pvGeneration",))

    hour = datetime(2026, 6, 20, 12, tzinfo=UTC)
    assert after["pvGeneration"][hour] < before["pvGeneration"][hour]
    _assert_matches(after, plant, hour - timedelta(days=1), hour + timedelta(hours=1))
    assert {h: e for h, e in after["pvGeneration"].items() if h != hour} == {
        h: e for h, e in before["pvGeneration"].items() if h != hour
    } | {
        h: e
        for h, e in after["pvGeneration"].items()
        if h not in before["pvGeneration"]
    }


@pytest.mark.freeze_time(NOON)
async def test_importing_again_changes_nothing(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: SmaSimulator,
    custom_entry: MockConfigEntry,
) -> None:
    """The action re-imports two days: one call per day, every sum as it was."""
    entry = await _async_imported(
        hass, freezer, sim, custom_entry, owner=SANDBOX_OWNER, plants={"13"}, days=2
    )
    ids = [_statistic("13", field) for field in FLOWS]
    before = {statistic_id: await _sums(hass, statistic_id) for statistic_id in ids}

    response = await hass.services.async_call(
        DOMAIN,
        "import_history",
        {"config_entry_id": entry.entry_id, "start_date": "2026-06-19"},
        blocking=True,
        return_response=True,
    )
    assert response == {
        "start_date": "2026-06-19",
        "end_date": "2026-06-21",
        "requests": 3,
    }
    await async_advance(hass, freezer, timedelta(minutes=1), step=SPACING)
    after = {statistic_id: await _sums(hass, statistic_id) for statistic_id in ids}
    # The same rows and sums (to float rounding: the sums were moved before).
    assert {key: sums.keys() for key, sums in after.items()} == {
        key: sums.keys() for key, sums in before.items()
    }
    assert (
        max(
            abs(total - before[key][hour])
            for key, sums in after.items()
            for hour, total in sums.items()
        )
        < 1e-9
    )


@pytest.mark.parametrize(
    ("now", "day", "hours"),
    [
        ("2026-03-30T10:00:00+00:00", date(2026, 3, 29), 23),
        ("2026-10-26T10:00:00+00:00", date(2026, 10, 25), 25),
    ],
)
async def test_days_the_clocks_change_on(
    hass: HomeAssistant,
    *,
    freezer: FrozenDateTimeFactory,
    sim: SmaSimulator,
    custom_entry: MockConfigEntry,
    now: str,
    day: date,
    hours: int,
) -> None:
    """Berlin's last Sundays of March and October: 23 and 25 hours, each right."""
    freezer.move_to(now)
    plant = sim.plants["13"]
    await _async_imported(
        hass, freezer, sim, custom_entry, owner=SANDBOX_OWNER, plants={"13"}, days=2
    )

    imported = await _imported(hass, plant)
    start, end = plant.day_bounds(day)
    assert end - start == timedelta(hours=hours)
    assert len([h for h in imported["totalConsumption"] if start <= h < end]) == hours
    _assert_matches(imported, plant, start - timedelta(days=1), end)


@pytest.mark.parametrize("owner", [DEMO_OWNER])
@pytest.mark.freeze_time("2026-11-02T15:00:00+00:00")
async def test_a_plant_in_new_york(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: SmaSimulator,
    custom_entry: MockConfigEntry,
) -> None:
    """ "Site 1" keeps New York's days, the US change of clocks included."""
    plant = sim.plants["7190000"]
    entry = await _async_imported(
        hass, freezer, sim, custom_entry, owner=DEMO_OWNER, plants={"7190000"}, days=2
    )
    _, source = _history(entry)
    # SMA gives the installation's start-up: no call to find where data starts;
    # today comes from the plant coordinator's answer.
    assert source.calls == 2
    assert source.reused >= 1

    imported = await _imported(hass, plant)
    start, end = plant.day_bounds(date(2026, 11, 1))
    assert start == datetime(2026, 11, 1, 4, tzinfo=UTC)
    assert end - start == timedelta(hours=25)
    assert min(imported["pvGeneration"]) == plant.day_bounds(date(2026, 10, 31))[0]
    _assert_matches(imported, plant, min(imported["pvGeneration"]), end)


@pytest.mark.parametrize("owner", [DEMO_OWNER])
@pytest.mark.freeze_time("2026-06-21T21:30:00+00:00")  # 23:30 in Berlin
async def test_a_classic_plants_last_hours_arrive_after_midnight(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: SmaSimulator,
    custom_entry: MockConfigEntry,
) -> None:
    """Two hours late: 22:00-24:00 come after midnight, with the newest hours."""
    plant = sim.plants[CLASSIC_PLANT]
    await _async_imported(
        hass,
        freezer,
        sim,
        custom_entry,
        owner=DEMO_OWNER,
        plants={CLASSIC_PLANT},
        days=1,
    )
    start, end = plant.day_bounds(date(2026, 6, 21))
    imported = await _imported(hass, plant, ("totalConsumption",))
    assert max(imported["totalConsumption"]) == end - timedelta(hours=4)

    # 03:10 in Berlin: before the trailing window (every 6 hours) comes round.
    await async_advance(
        hass, freezer, timedelta(hours=3, minutes=40), step=timedelta(minutes=5)
    )
    imported = await _imported(hass, plant, ("totalConsumption",))
    _assert_matches(imported, plant, start, end)


@pytest.mark.freeze_time(NOON)
async def test_a_restart_in_the_middle_of_the_backfill_carries_on(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: SmaSimulator,
    custom_entry: MockConfigEntry,
) -> None:
    """Stopped after a few days of six, the backfill asks no day twice."""
    plant = sim.plants["13"]
    entry = _only(hass, sim, custom_entry, SANDBOX_OWNER, {"13"}, days=6)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await async_advance(hass, freezer, timedelta(seconds=40), step=SPACING)
    history, _ = _history(entry)
    assert history.state is ImportState.BACKFILLING
    assert 0 < (history.progress or 0) < 100
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await _until_up_to_date(hass, freezer, [entry])

    asked = _history_days(sim, "13")
    assert set(asked.values()) == {1}
    assert len(asked) == 6
    imported = await _imported(hass, plant)
    start = _local_midnight(plant, date(2026, 6, 15))
    _assert_matches(imported, plant, start, datetime(2026, 6, 21, 10, tzinfo=UTC))


@pytest.mark.freeze_time(NOON)
async def test_a_plant_commissioned_three_weeks_ago(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: SmaSimulator,
    custom_entry: MockConfigEntry,
) -> None:
    """A year asked for, three weeks there: three weeks of calls, not a year's."""
    plant = sim.plants["24"]
    plant.commissioned = date(2026, 5, 31)
    entry = _only(hass, sim, custom_entry, SANDBOX_OWNER, {"24"}, days=365)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await _until_up_to_date(hass, freezer, [entry], limit=timedelta(minutes=20))
    _, source = _history(entry)
    # Total, Year and Month find the first day; then a call per day but today.
    assert source.calls == 3 + 21
    assert min(_history_days(sim, "24")) == "2026-05-31"
    imported = await _imported(hass, plant, ("pvGeneration",))
    assert min(imported["pvGeneration"]) == _local_midnight(plant, date(2026, 5, 31))


@pytest.mark.freeze_time(NOON)
async def test_a_plant_half_an_hour_off_utc(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: SmaSimulator,
    custom_entry: MockConfigEntry,
) -> None:
    """Kolkata's midnight splits a UTC hour: it gets both days' halves."""
    plant = sim.plants["35"]
    plant.timezone = "Asia/Kolkata"
    entry = await _async_imported(
        hass, freezer, sim, custom_entry, owner=SANDBOX_OWNER, plants={"35"}, days=2
    )
    _, source = _history(entry)
    # Three days, each call serving the day after's split hour too; the
    # first-data lookup (Total, Year) and one more for the oldest day's.
    assert source.calls <= 3 + 1 + 3

    imported = await _imported(hass, plant, ("totalConsumption",))
    start, _ = plant.day_bounds(date(2026, 6, 19))
    assert start == datetime(2026, 6, 18, 18, 30, tzinfo=UTC)
    _assert_matches(
        imported,
        plant,
        start + timedelta(minutes=30),
        datetime(2026, 6, 21, 10, tzinfo=UTC),
    )


@pytest.mark.freeze_time("2026-06-21T22:02:00+00:00")  # 00:02 in Berlin
async def test_a_plant_without_data_yet(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: SmaSimulator,
    custom_entry: MockConfigEntry,
) -> None:
    """Commissioned today: nothing before; no hour is written until one is whole."""
    plant = sim.plants["24"]
    plant.commissioned = date(2026, 6, 22)
    entry = await _async_imported(
        hass, freezer, sim, custom_entry, owner=SANDBOX_OWNER, plants={"24"}, days=30
    )
    _, source = _history(entry)
    # Total has no energy: history starts today, and today has no interval.
    assert _history_days(sim, "24") == Counter()
    assert not await _energy(hass, _statistic("24", "pvGeneration"))

    await async_advance(hass, freezer, timedelta(minutes=20), step=SPACING)
    today = source.plan(plant.day_bounds(date(2026, 6, 22))[0], dt_util.utcnow())
    assert len(today) == 1
    # 00:15 is in, but the first hour is not whole yet.
    assert await source.async_fetch(today[0]) == []
    gone = HistoryChunk(unit="gone", start=today[0].start, end=today[0].end)
    assert await source.async_fetch(gone) == []
