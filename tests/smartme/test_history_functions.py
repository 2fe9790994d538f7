"""smart-me history's pure functions: windows, energy per interval, unit factor, merging."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

import pytest

from custom_components.solar_cloud.api.smartme import (
    HISTORY_MAX_VALUES,
    HistoryReading,
    IntervalEnergy,
    MeterReading,
    history_energy_factor,
    history_windows,
    interval_energies,
    merge_readings,
)
from custom_components.solar_cloud.api.smartme.history import history_count
from custom_components.solar_cloud.api.smartme.obis import ENERGY_EXPORT, ENERGY_IMPORT

from .const import NOW_HOUR


def reading(minutes: int, imported: float | None, exported: float | None = None):
    values = {}
    if imported is not None:
        values[ENERGY_IMPORT] = imported
    if exported is not None:
        values[ENERGY_EXPORT] = exported
    return HistoryReading(time=NOW_HOUR + timedelta(minutes=minutes), values=values)


def test_windows() -> None:
    """Windows hold at most 1,000 readings and share their boundary reading."""
    start = NOW_HOUR - timedelta(days=365)
    windows = history_windows(start, NOW_HOUR, 60)
    assert windows[0][0] == start
    assert windows[-1][1] == NOW_HOUR
    for (_, first_end), (second_start, _) in pairwise(windows):
        assert first_end == second_start
    assert all(history_count(a, b, 60) <= HISTORY_MAX_VALUES for a, b in windows)
    assert history_count(*windows[0], 60) == HISTORY_MAX_VALUES
    # An end off the grid ends with the last reading before it.
    assert history_windows(NOW_HOUR, NOW_HOUR + timedelta(minutes=150), 60) == [
        (NOW_HOUR, NOW_HOUR + timedelta(hours=2))
    ]
    assert history_windows(NOW_HOUR, NOW_HOUR, 15) == [(NOW_HOUR, NOW_HOUR)]
    assert history_windows(NOW_HOUR, NOW_HOUR - timedelta(minutes=1), 15) == []
    assert history_windows(
        NOW_HOUR, NOW_HOUR + timedelta(hours=3), 60, max_values=2
    ) == [
        (NOW_HOUR, NOW_HOUR + timedelta(hours=1)),
        (NOW_HOUR + timedelta(hours=1), NOW_HOUR + timedelta(hours=2)),
        (NOW_HOUR + timedelta(hours=2), NOW_HOUR + timedelta(hours=3)),
    ]
    with pytest.raises(ValueError, match="2 readings"):
        history_windows(NOW_HOUR, NOW_HOUR, 60, max_values=1)
    with pytest.raises(ValueError, match="at least 1"):
        history_windows(NOW_HOUR, NOW_HOUR, 0)
    with pytest.raises(ValueError, match="aware"):
        history_windows(NOW_HOUR.replace(tzinfo=None), NOW_HOUR, 60)


def test_energy_per_interval() -> None:
    """Counter differences in kWh; gaps and steps back are unknown, not zero."""
    readings = [
        reading(0, 1000.0, 0.0),
        reading(60, 1500.0, 0.0),
        reading(120, 1400.0, 250.0),  # import went back: a correction
        # 180 is missing: two unknown hours
        reading(240, 2000.0, None),  # no export counter
        reading(250, 9999.0, 9999.0),  # off the grid: not used
        reading(300, 2600.0, 400.0),
    ]
    assert interval_energies(reversed(readings), 60) == [
        IntervalEnergy(
            start=NOW_HOUR,
            end=NOW_HOUR + timedelta(hours=1),
            energy_import=0.5,
            energy_export=0.0,
        ),
        IntervalEnergy(
            start=NOW_HOUR + timedelta(hours=1),
            end=NOW_HOUR + timedelta(hours=2),
            energy_import=None,
            energy_export=0.25,
        ),
        IntervalEnergy(
            start=NOW_HOUR + timedelta(hours=2),
            end=NOW_HOUR + timedelta(hours=3),
            energy_import=None,
            energy_export=None,
        ),
        IntervalEnergy(
            start=NOW_HOUR + timedelta(hours=3),
            end=NOW_HOUR + timedelta(hours=4),
            energy_import=None,
            energy_export=None,
        ),
        IntervalEnergy(
            start=NOW_HOUR + timedelta(hours=4),
            end=NOW_HOUR + timedelta(hours=5),
            energy_import=pytest.approx(0.6),
            energy_export=None,
        ),
    ]


def test_energy_unit_factor_and_edges() -> None:
    """The unit factor applies to every difference; too few readings give nothing."""
    pair = [reading(0, 2.0, 1.0), reading(15, 3.5, 1.0)]
    [energy] = interval_energies(pair, 15, unit_factor=1.0)
    assert (energy.energy_import, energy.energy_export) == (1.5, 0.0)
    [energy] = interval_energies(pair, 15, unit_factor=1e-6)
    assert energy.energy_import == pytest.approx(1.5e-6)
    assert interval_energies(pair, 60) == []
    assert interval_energies(pair[:1], 15) == []
    assert interval_energies([], 15) == []
    with pytest.raises(ValueError, match="at least 1"):
        interval_energies(pair, 0)


def test_unit_factor_measured_against_the_device_list() -> None:
    """History counters are compared with the REST kWh like pushes are."""
    history = reading(0, 1_234_567.0, 0.0)
    rest = MeterReading(timestamp=NOW_HOUR, energy_import=1234.6, energy_export=0.0)
    assert history_energy_factor(history, rest) == 1e-3
    in_kwh = reading(0, 1234.6, 0.0)
    assert history_energy_factor(in_kwh, rest) == 1.0
    far = MeterReading(
        timestamp=NOW_HOUR + timedelta(hours=2), energy_import=1234.6, energy_export=0.0
    )
    assert history_energy_factor(history, far) is None
    too_small = MeterReading(timestamp=NOW_HOUR, energy_import=0.5)
    assert history_energy_factor(reading(0, 500.0), too_small) is None
    assert history_energy_factor(reading(0, None, 2000.0), rest) is None
    assert (
        history_energy_factor(
            reading(0, None, 2000.0), MeterReading(timestamp=None, energy_export=2.0)
        )
        == 1e-3
    )


def test_merge_keeps_the_first_of_a_time() -> None:
    """Readings of overlapping calls merge into one sorted list."""
    first = [reading(0, 1.0), reading(60, 2.0)]
    second = [reading(60, 99.0), reading(120, 3.0)]
    assert merge_readings([second, first]) == [
        reading(0, 1.0),
        reading(60, 99.0),
        reading(120, 3.0),
    ]
