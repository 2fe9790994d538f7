"""How the history import shares the history interfaces' daily calls."""

from __future__ import annotations

from datetime import timedelta

import pytest

from custom_components.solar_cloud.api.fusionsolar import AccountSize, CallBudget
from custom_components.solar_cloud.api.fusionsolar.const import Path
from custom_components.solar_cloud.fusionsolar.history_budget import (
    backlog_budget,
    live_interval,
)

HOUR = Path.STATION_KPI_HOUR
DAY = Path.STATION_KPI_DAY
DEVICE_DAY = Path.DEV_KPI_DAY


def _size(plants: int, **devices: int) -> AccountSize:
    types = {"inverter": 38, "luna": 39, "ess": 41, "meter": 47, "dongle": 62}
    return AccountSize(
        plants=plants,
        devices={types[name]: count for name, count in devices.items()},
    )


@pytest.mark.parametrize(
    ("size", "hours", "allowed"),
    [
        # A house: hours every 2 hours (12 + 4 rounds + 1 of 25 kept), 8 left
        # for older days; 16 months of days; 19 device calls (one battery type).
        (
            _size(1, inverter=1, luna=1, meter=1, dongle=1),
            2,
            {HOUR: 8, DAY: 16, DEVICE_DAY: 19},
        ),
        # Two kinds of battery: a month of their days takes two calls.
        (
            _size(3, inverter=3, luna=1, ess=1, meter=2),
            2,
            {HOUR: 8, DAY: 16, DEVICE_DAY: 11},
        ),
        # 150 plants: each round of hours takes two calls, every 3 hours.
        (_size(150, inverter=150, luna=150), 3, {HOUR: 1, DAY: 9, DEVICE_DAY: 3}),
        (_size(250, inverter=250), 6, {HOUR: 2, DAY: 2, DEVICE_DAY: 26}),
        # 1000 plants: not even a daily round fits; older days get one call.
        (_size(1000, inverter=1000), 24, {HOUR: 1, DAY: 1, DEVICE_DAY: 33}),
    ],
)
def test_the_newest_data_keeps_its_calls(
    size: AccountSize, hours: int, allowed: dict[Path, int]
) -> None:
    """The backlog gets what the newest data's rounds leave of each interface."""
    assert live_interval(size) == timedelta(hours=hours)
    budget = backlog_budget()
    budget.size = size
    assert {path: budget.allowed(path) for path in allowed} == {
        path: max(1, count) for path, count in allowed.items()
    }
    documented = CallBudget(size=size)
    for path, count in allowed.items():
        assert budget.allowed(path) <= documented.allowed(path)
        assert count < documented.allowed(path)
