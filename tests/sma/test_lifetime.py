"""When a plant's lifetime totals (SMA's Total period) are read again."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from custom_components.solar_cloud.api.sma import PlantKind
from custom_components.solar_cloud.sma.const import LATE_DATA, LIFETIME_RECHECK
from custom_components.solar_cloud.sma.lifetime import LifetimeBase

from ..const import BERLIN


def _after(clock: str) -> str:
    hour, minute = map(int, clock.split(":"))
    moment = datetime(2026, 1, 1, hour, minute, tzinfo=BERLIN) + LIFETIME_RECHECK
    return moment.strftime("%H:%M")


@pytest.mark.parametrize(
    ("kind", "reads"),
    [
        # Midnight, then LIFETIME_RECHECK later (SMA's corrections).
        (PlantKind.ENNEXOS, ["00:02", _after("00:02")]),
        # Hourly while yesterday's last hours may still come, then later.
        (PlantKind.CLASSIC, ["00:02", "01:02", "02:02", _after("02:02")]),
    ],
)
def test_total_read_at_midnight_while_late_data_comes_and_rarely_else(
    kind: PlantKind, reads: list[str]
) -> None:
    """A day of polls every 5 minutes reads the Total only when it can change."""
    base = LifetimeBase(LATE_DATA[kind])
    read_at = []
    moment = datetime(2026, 6, 22, 0, 2, tzinfo=BERLIN)
    while moment.date() == datetime(2026, 6, 22, tzinfo=BERLIN).date():
        if base.due(moment):
            read_at.append(moment.strftime("%H:%M"))
            # What reading the Total records (take() with an answer).
            base.day, base.read = moment.date(), moment
        moment += timedelta(minutes=5)
    assert read_at == reads
