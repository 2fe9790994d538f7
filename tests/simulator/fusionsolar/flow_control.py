"""Flow control, as Huawei documents it (written apart from the client's)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
import math

from .ledger import Period
from .plant import SimAccount

LOGIN_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True, kw_only=True)
class Rule:
    """Calls an account may make of one interface per window."""

    window: timedelta
    calls: Callable[[SimAccount], int]
    spacing: timedelta = timedelta()


def _per_100(count: int) -> int:
    return max(1, math.ceil(count / 100))


def _device_calls(account: SimAccount) -> int:
    counts: dict[int, int] = {}
    for plant in account.plants:
        for device in plant.devices:
            counts[device.type_id] = counts.get(device.type_id, 0) + 1
    return max(1, sum(_per_100(count) for count in counts.values()))


RULES: dict[str, Rule] = {
    "login": Rule(window=LOGIN_WINDOW, calls=lambda _: 5),
    "logout": Rule(window=LOGIN_WINDOW, calls=lambda _: 5),
    "getStationList": Rule(
        window=timedelta(days=1), calls=lambda _: 24, spacing=timedelta(minutes=1)
    ),
    "stations": Rule(
        window=timedelta(days=1),
        calls=lambda a: _per_100(len(a.plants)) + 24,
        spacing=timedelta(minutes=1),
    ),
    "getStationRealKpi": Rule(
        window=timedelta(minutes=5),
        calls=lambda a: _per_100(len(a.plants)),
        spacing=timedelta(minutes=1),
    ),
    "getDevList": Rule(
        window=timedelta(days=1),
        calls=lambda a: _per_100(len(a.plants)) + 24,
        spacing=timedelta(minutes=1),
    ),
    "getDevRealKpi": Rule(window=timedelta(minutes=5), calls=_device_calls),
    **{
        f"getKpiStation{period}": Rule(
            window=timedelta(days=1),
            calls=lambda a: _per_100(len(a.plants)) + 24,
            spacing=timedelta(minutes=1),
        )
        for period in Period
    },
    **{
        f"getDevKpi{period}": Rule(
            window=timedelta(days=1),
            calls=lambda a: _device_calls(a) + 24,
            spacing=timedelta(minutes=1),
        )
        for period in (Period.DAY, Period.MONTH, Period.YEAR)
    },
    "getAlarmList": Rule(
        window=timedelta(minutes=30),
        calls=lambda a: max(_per_100(len(a.plants)), _device_calls(a)),
    ),
}
