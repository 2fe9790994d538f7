"""What the smart-me history source asks smart-me for, and the energy it makes of it."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
import json
import logging

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.solar_cloud.api.smartme.obis import ENERGY_EXPORT, ENERGY_IMPORT
from custom_components.solar_cloud.history_source import HistoryChunk
from custom_components.solar_cloud.smartme.data import smartme_data
from custom_components.solar_cloud.smartme.history import (
    CHUNK_KIND,
    MAX_METER_POWER_KW,
    SmartMeHistory,
    counter_energy,
)
from custom_components.solar_cloud.statistics import EnergyFlow

from ..const import HOUR
from ..simulator.smartme import BILANZ_ID, PLUG_ID, SmartMeSimulator, utc_text
from . import SetUp
from .const import CHARGER_ID, HISTORY, NOW_HOUR, SECOND_CHARGER_ID, ZERO_CHARGER_ID


@pytest.fixture
async def source(setup_entry: SetUp) -> SmartMeHistory:
    """Return the history source of the sample account (no recorder: no import)."""
    entry: MockConfigEntry = await setup_entry()
    data = smartme_data(entry)
    assert data.history is None
    assert data.energy_history is not None
    assert data.history_source() is data.energy_history
    return data.energy_history


def chunk(device_id: str, start: datetime, end: datetime) -> HistoryChunk:
    return HistoryChunk(unit=device_id, start=start, end=end, kind=CHUNK_KIND)


def values_body(readings: list[tuple[datetime, float | None, float | None]]) -> bytes:
    """Return a ValuesInPastMultiple answer: (time, import, export) in its unit."""
    items = []
    for moment, imported, exported in readings:
        values = []
        if imported is not None:
            values.append({"Obis": ENERGY_IMPORT, "Value": imported})
        if exported is not None:
            values.append({"Obis": ENERGY_EXPORT, "Value": exported})
        items.append({"Date": utc_text(moment), "Values": values})
    return json.dumps(items).encode()


async def test_a_series_per_counter_of_each_electricity_meter(
    hass: HomeAssistant, source: SmartMeHistory
) -> None:
    """Import where the meter counts it, export where it does; no water."""
    series = {(s.device_key, s.flow): s for s in source.series()}
    assert set(series) == {
        (BILANZ_ID, EnergyFlow.IMPORT),
        (BILANZ_ID, EnergyFlow.EXPORT),
        (PLUG_ID, EnergyFlow.IMPORT),
        (CHARGER_ID, EnergyFlow.IMPORT),
        (SECOND_CHARGER_ID, EnergyFlow.IMPORT),
        (ZERO_CHARGER_ID, EnergyFlow.IMPORT),
    }
    bilanz = series[BILANZ_ID, EnergyFlow.EXPORT]
    assert bilanz.name == "Bilanz VK energy export"
    assert bilanz.statistic_id == (
        "solar_cloud:smartme_40a1b2c3_d4e5_4f60_8172_8394a5b6c712_energy_export"
    )


async def test_windows_of_1000_hours_newest_first(source: SmartMeHistory) -> None:
    """A year: 9 windows per meter, newest first, every meter in turn."""
    meters = sorted({s.device_key for s in source.series()})
    chunks = source.plan(NOW_HOUR - timedelta(days=365), NOW_HOUR)
    assert len(chunks) == 9 * len(meters)
    assert [c.unit for c in chunks[: len(meters)]] == meters
    assert chunks[0].end == NOW_HOUR
    assert chunks[-1].start == NOW_HOUR - timedelta(days=365)
    assert all(c.end - c.start <= 999 * HOUR for c in chunks)
    assert [c.start for c in chunks[:: len(meters)]] == sorted(
        {c.start for c in chunks}, reverse=True
    )
    assert source.plan(NOW_HOUR, NOW_HOUR) == []
    # A meter whose history begins later is not asked for before.
    source.begins[BILANZ_ID] = NOW_HOUR - timedelta(days=30)
    planned = source.plan(NOW_HOUR - timedelta(days=365), NOW_HOUR)
    assert [c for c in planned if c.unit == BILANZ_ID] == [
        chunk(BILANZ_ID, NOW_HOUR - timedelta(hours=768), NOW_HOUR)
    ]


async def test_an_old_window_first_confirms_the_unit_with_one_call(
    source: SmartMeHistory,
    sim: SmartMeSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """No reading near the device list's: one ValuesInPast there settles the unit."""
    caplog.set_level(logging.DEBUG, logger="custom_components.solar_cloud")
    sim.log.clear()
    old = chunk(BILANZ_ID, NOW_HOUR - timedelta(days=10), NOW_HOUR - timedelta(days=9))
    parts = await source.async_fetch(old)
    assert sim.log.count("values_in_past") == 1
    assert source.factors == {BILANZ_ID: 1e-3}
    assert "Bilanz VK: counters x 0.001 kWh, as the device list shows" in caplog.text
    truth = sim.truth(BILANZ_ID, old.start, old.end)
    flows = {part.series.flow: part for part in parts}
    assert flows[EnergyFlow.IMPORT].energy == pytest.approx(
        {hour: energy.energy_import for hour, energy in truth.items()}, abs=1.1e-5
    )
    assert flows[EnergyFlow.EXPORT].energy == pytest.approx(
        {hour: energy.energy_export for hour, energy in truth.items()}, abs=1.1e-5
    )
    assert (flows[EnergyFlow.IMPORT].start, flows[EnergyFlow.IMPORT].end) == (
        old.start,
        old.end,
    )
    await source.async_fetch(chunk(BILANZ_ID, old.start - HOUR * 24, old.start))
    assert sim.log.count("values_in_past") == 1


async def test_a_new_meter_is_taken_as_wh_when_plausible(
    source: SmartMeHistory,
    sim: SmartMeSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A counter below 1 kWh cannot confirm the unit: Wh, if the answer fits it."""
    caplog.set_level(logging.DEBUG, logger="custom_components.solar_cloud")
    window = chunk(ZERO_CHARGER_ID, NOW_HOUR - 3 * HOUR, NOW_HOUR)
    sim.faults.add(
        HISTORY,
        body=values_body([(NOW_HOUR - 3 * HOUR, 0.0, None), (NOW_HOUR, 600.0, None)]),
        times=1,
    )
    sim.log.clear()
    [part] = await source.async_fetch(window)
    assert sim.log.count("values_in_past") == 0
    assert source.factors == {}
    assert "counters taken as Wh (x 0.001 kWh)" in caplog.text
    # The energy between two readings three hours apart goes to the last hour.
    assert part.energy == {NOW_HOUR - HOUR: pytest.approx(0.6)}
    assert (part.start, part.end) == (NOW_HOUR - HOUR, NOW_HOUR)


@pytest.mark.parametrize(
    "readings",
    [
        # mWh taken for Wh: 600 kWh on a meter whose device list shows 0 kWh.
        [
            (NOW_HOUR - 2 * HOUR, 0.0),
            (NOW_HOUR - HOUR, 300_000.0),
            (NOW_HOUR, 600_000.0),
        ],
        # A reading out of line: in an unconfirmed unit, nothing is believed.
        [(NOW_HOUR - 2 * HOUR, 100.0), (NOW_HOUR - HOUR, 0.0), (NOW_HOUR, 200.0)],
    ],
)
async def test_an_implausible_answer_in_an_unconfirmed_unit_is_not_imported(
    source: SmartMeHistory,
    sim: SmartMeSimulator,
    caplog: pytest.LogCaptureFixture,
    readings: list[tuple[datetime, float]],
) -> None:
    """Nothing of it is imported, with a warning."""
    sim.faults.add(
        HISTORY,
        body=values_body([(at, value, None) for at, value in readings]),
        times=1,
    )
    assert (
        await source.async_fetch(chunk(ZERO_CHARGER_ID, NOW_HOUR - 2 * HOUR, NOW_HOUR))
        == []
    )
    assert "Not importing the smart-me history of #3 Parkplatz" in caplog.text


async def test_energy_across_a_gap_at_the_start_of_a_window(
    source: SmartMeHistory, sim: SmartMeSimulator
) -> None:
    """The first readings missing: the one before them brings the energy across."""
    start = NOW_HOUR - 6 * HOUR
    device = sim.devices[BILANZ_ID]
    readings = []
    for hours in (3, 4, 5, 6):
        imported, exported = sim.counter_values(device, start + hours * HOUR)
        assert imported is not None
        assert exported is not None
        readings.append((start + hours * HOUR, imported * 1000, exported * 1000))
    sim.faults.add(HISTORY, body=values_body(readings), times=1)
    sim.log.clear()
    parts = await source.async_fetch(chunk(BILANZ_ID, start, NOW_HOUR))
    assert sim.log.count("values_in_past") == 1
    part = next(p for p in parts if p.series.flow is EnergyFlow.IMPORT)
    truth = sim.truth(BILANZ_ID, start, NOW_HOUR)
    # The reading before is the last upload before 15:00 (a minute before it):
    # the hour before the first reading gets the energy since, the rest is exact.
    assert part.start == start + 2 * HOUR
    assert part.end == NOW_HOUR
    assert part.energy[start + 2 * HOUR] == pytest.approx(101.632 / 60, rel=0.3)
    for hours in (3, 4, 5):
        hour = start + hours * HOUR
        assert part.energy[hour] == pytest.approx(truth[hour].energy_import, abs=1e-5)
    assert BILANZ_ID not in source.begins


async def test_a_meter_no_longer_listed_is_not_asked_for(
    source: SmartMeHistory, sim: SmartMeSimulator
) -> None:
    """The account dropped the meter: nothing is fetched for it."""
    sim.log.clear()
    assert await source.async_fetch(chunk("gone", NOW_HOUR - HOUR, NOW_HOUR)) == []
    source.begins[PLUG_ID] = NOW_HOUR
    assert await source.async_fetch(chunk(PLUG_ID, NOW_HOUR - HOUR, NOW_HOUR)) == []
    assert sim.log.count(HISTORY) == 0
    sim.faults.add(HISTORY, body=b"[]", times=1)
    assert await source.async_fetch(chunk(BILANZ_ID, NOW_HOUR - HOUR, NOW_HOUR)) == []


# The energy of a counter's readings ---------------------------------------------


def points(*values: float, every: timedelta = HOUR) -> list[tuple[datetime, float]]:
    return [(NOW_HOUR + every * index, value) for index, value in enumerate(values)]


def test_hourly_readings_give_each_hour_its_difference() -> None:
    """Wh in, kWh out, one hour per pair of readings."""
    counted = counter_energy(points(1000.0, 1500.0, 1500.0, 4000.0), 1e-3)
    assert counted is not None
    assert counted.energy == {
        NOW_HOUR: pytest.approx(0.5),
        NOW_HOUR + HOUR: 0.0,
        NOW_HOUR + 2 * HOUR: pytest.approx(2.5),
    }
    assert (counted.start, counted.end, counted.held) == (
        NOW_HOUR,
        NOW_HOUR + 3 * HOUR,
        0,
    )
    assert counted.highest == 4000.0


def test_a_glitch_keeps_the_total() -> None:
    """A reading at 0, or far too high, is held; the next one counts from before."""
    for glitch in (0.0, 5e9):
        counted = counter_energy(points(1000.0, glitch, 3000.0, 3500.0), 1e-3)
        assert counted is not None
        assert counted.held == 1
        # 1000 -> 3000 Wh over two hours: the hour before the later reading.
        assert counted.energy == {
            NOW_HOUR + HOUR: pytest.approx(2.0),
            NOW_HOUR + 2 * HOUR: pytest.approx(0.5),
        }


def test_a_replaced_meter_counts_on_from_its_new_counter() -> None:
    """A lower reading that the next one follows starts a new series."""
    counted = counter_energy(points(9_000_000.0, 9_001_000.0, 10.0, 510.0), 1e-3)
    assert counted is not None
    assert counted.held == 1
    assert counted.energy == {NOW_HOUR: pytest.approx(1.0), NOW_HOUR + 2 * HOUR: 0.5}
    assert counted.end == NOW_HOUR + 3 * HOUR


def test_a_held_reading_at_the_end_is_not_covered() -> None:
    """The answer covers up to its last reading in line."""
    counted = counter_energy(points(1000.0, 2000.0, 0.0), 1e-3)
    assert counted is not None
    assert counted.end == NOW_HOUR + HOUR
    assert counted.energy == {NOW_HOUR: pytest.approx(1.0)}


def test_more_than_a_megawatt_is_out_of_line() -> None:
    """The bound scales with the time between readings."""
    limit = MAX_METER_POWER_KW * 1000
    counted = counter_energy(points(0.0, limit, limit * 2 + 1), 1e-3)
    assert counted is not None
    assert counted.held == 1
    assert counted.energy == {NOW_HOUR: pytest.approx(MAX_METER_POWER_KW)}
    over_two = counter_energy(points(0.0, limit * 2, every=2 * HOUR), 1e-3)
    assert over_two is not None
    assert over_two.held == 0


def test_readings_off_the_hour() -> None:
    """Energy goes to the hour that ends with or holds the later reading."""
    half = timedelta(minutes=30)
    counted = counter_energy(
        [
            (NOW_HOUR + half, 0.0),
            (NOW_HOUR + HOUR + half, 1000.0),
            (NOW_HOUR + 2 * HOUR, 1500.0),
        ],
        1e-3,
    )
    assert counted is not None
    assert counted.energy == {NOW_HOUR + HOUR: pytest.approx(1.5)}
    assert counted.start == NOW_HOUR + HOUR
    assert counted.end == NOW_HOUR + 2 * HOUR
    assert counter_energy(points(1.0), 1e-3) is None
    repeated = counter_energy(
        [(NOW_HOUR, 1.0), (NOW_HOUR, 5.0), (NOW_HOUR + HOUR, 2.0)], 1.0
    )
    assert repeated is not None
    assert repeated.energy == {NOW_HOUR: 1.0}


async def test_what_cannot_be_counted_is_left_out(
    source: SmartMeHistory, sim: SmartMeSimulator
) -> None:
    """One export reading gives no export; a held last reading covers no hour."""
    source.factors[BILANZ_ID] = 1e-3
    sim.faults.add(
        HISTORY,
        body=values_body(
            [(NOW_HOUR - 2 * HOUR, 1000.0, 5.0), (NOW_HOUR - HOUR, 0.0, None)]
        ),
        times=1,
    )
    assert (
        await source.async_fetch(chunk(BILANZ_ID, NOW_HOUR - 2 * HOUR, NOW_HOUR)) == []
    )


async def test_without_a_time_or_an_answer_the_unit_stays_unconfirmed(
    source: SmartMeHistory,
    sim: SmartMeSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A device list without a value date, or no reading there: taken as Wh, once said."""
    caplog.set_level(logging.DEBUG, logger="custom_components.solar_cloud")
    account = source.account
    coordinator = account.device_coordinators[PLUG_ID]
    device = coordinator.device
    coordinator.device = replace(
        device, reading=replace(device.reading, timestamp=None)
    )
    old = chunk(PLUG_ID, NOW_HOUR - timedelta(days=3), NOW_HOUR - timedelta(days=2))
    assert await source.async_fetch(old)
    coordinator.device = device
    sim.faults.add("values_in_past", status=204, body=b"", times=1)
    sim.log.clear()
    assert await source.async_fetch(old)
    assert await source.async_fetch(old)
    # Asked once; the meter stays taken as Wh, and that is said once.
    assert sim.log.count("values_in_past") == 1
    assert source.factors == {}
    assert caplog.text.count("Boiler plug: counters taken as Wh") == 1
