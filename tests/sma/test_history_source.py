"""SmaHistory's pieces without the recorder: where history starts, bad intervals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.solar_cloud.api.sma import MeasurementSet, Period, Plant
from custom_components.solar_cloud.const import DOMAIN
from custom_components.solar_cloud.sma.history import SmaHistory, _hourly_energy


def _answer(*items: tuple[str, float]) -> MeasurementSet:
    return MeasurementSet.from_api(
        {"set": [{"time": time, "pvGeneration": wh} for time, wh in items]}, UTC
    )


class _Answers:
    """A client that answers Total, Year and Month from a table."""

    def __init__(self, answers: dict[Period, MeasurementSet]) -> None:
        self.answers = answers

    async def energy_balance(
        self, plant: Plant, period: Period, *, day: date | None = None
    ) -> MeasurementSet:
        return self.answers.get(period, _answer())


@pytest.mark.parametrize(
    ("answers", "first"),
    [
        ({}, None),
        ({Period.TOTAL: _answer(("2026-01-01T00:00:00", 5.0))}, date(2026, 1, 1)),
        (
            {
                Period.TOTAL: _answer(
                    ("2025-01-01T00:00:00", 0.0), ("2026-01-01T00:00:00", 5.0)
                ),
                Period.YEAR: _answer(("2026-03-01T00:00:00", 5.0)),
            },
            date(2026, 3, 1),
        ),
        (
            {
                Period.TOTAL: _answer(("2026-01-01T00:00:00", 5.0)),
                Period.YEAR: _answer(("2026-06-01T00:00:00", 5.0)),
            },
            date(2026, 6, 1),
        ),
        (
            {
                Period.TOTAL: _answer(("2026-01-01T00:00:00", 5.0)),
                Period.YEAR: _answer(("2026-06-01T00:00:00", 5.0)),
                Period.MONTH: _answer(("2026-06-09T00:00:00", 5.0)),
            },
            date(2026, 6, 9),
        ),
    ],
)
async def test_where_history_starts(
    hass: HomeAssistant, answers: dict[Period, MeasurementSet], first: date | None
) -> None:
    """Total, then Year, then Month, each only while it matters for the period."""
    source = SmaHistory(
        hass,
        MockConfigEntry(domain=DOMAIN),  # type: ignore[arg-type]
        _Answers(answers),  # type: ignore[arg-type]
        {},
        days=20,
    )
    plant = Plant(plant_id="1", name="Plant", timezone=None)
    wanted = datetime(2026, 6, 1, tzinfo=UTC)
    assert await source._async_first_day(plant, wanted) == first


def test_bad_intervals_count_as_nothing() -> None:
    """Negative power, PV above twice the peak power, a missing field: no energy."""
    plant = Plant(plant_id="1", name="Plant", timezone=None, peak_power=5000.0)
    points = _answer(
        ("2026-06-21T12:15:00", 4000.0),
        ("2026-06-21T12:30:00", -20.0),
        ("2026-06-21T12:45:00", 1_024_843.0),
    ).points
    energy = _hourly_energy(list(points), timedelta(minutes=15), plant)
    assert energy == {"pvGeneration": {datetime(2026, 6, 21, 12, tzinfo=UTC): 1.0}}
