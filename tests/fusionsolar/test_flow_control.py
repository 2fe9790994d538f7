"""The flow-control rules and the call budget, without any I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json
from typing import Any

import pytest

from custom_components.solar_cloud.api.fusionsolar.const import Path
from custom_components.solar_cloud.api.fusionsolar.flow_control import (
    LIMITS,
    AccountSize,
    CallBudget,
    Job,
    batches,
    due_jobs,
    next_wake,
)

T0 = datetime(2026, 6, 21, 10, 0, tzinfo=UTC)
MARGIN = timedelta(seconds=1)


@pytest.mark.parametrize(
    ("plants", "devices", "station_kpi", "dev_kpi", "dev_list"),
    [
        (1, {38: 1, 39: 1, 47: 1}, 1, 3, 25),
        (20, {1: 20, 17: 20}, 1, 2, 25),
        (120, {1: 120, 17: 120}, 2, 4, 26),
        (150, {38: 150, 39: 150, 47: 150, 62: 150}, 2, 8, 26),
    ],
)
def test_limits_follow_the_reference(
    plants: int,
    devices: dict[int, int],
    station_kpi: int,
    dev_kpi: int,
    dev_list: int,
) -> None:
    """The examples of Huawei's reference: ROUNDUP per 100 plants and per type."""
    budget = CallBudget(size=AccountSize(plants=plants, devices=devices))
    assert budget.allowed(Path.STATION_REAL_KPI) == station_kpi
    assert budget.allowed(Path.DEV_REAL_KPI) == dev_kpi
    assert budget.allowed(Path.DEV_LIST) == dev_list
    assert budget.allowed(Path.LOGIN) == 5
    assert budget.limit(Path.LOGIN).window == timedelta(minutes=10)
    assert budget.limit(Path.STATION_REAL_KPI).spacing == timedelta(minutes=1)


def test_every_interface_has_a_limit() -> None:
    """No call can go out unaccounted."""
    assert set(LIMITS) == set(Path)
    assert not LIMITS[Path.BATTERY_MODE].documented


def test_window_fills_and_frees() -> None:
    """N calls per window; the next once the oldest left it (plus the margin)."""
    budget = CallBudget(size=AccountSize(plants=1, devices={1: 1, 39: 1}))
    assert budget.next_slot(Path.DEV_REAL_KPI, T0) == T0
    budget.record(Path.DEV_REAL_KPI, T0)
    budget.record(Path.DEV_REAL_KPI, T0 + timedelta(seconds=10))
    assert budget.calls_made(Path.DEV_REAL_KPI, T0 + timedelta(seconds=10)) == 2
    assert budget.next_slot(Path.DEV_REAL_KPI, T0 + timedelta(seconds=20)) == (
        T0 + timedelta(minutes=5) + MARGIN
    )
    later = T0 + timedelta(minutes=5, seconds=6)
    assert budget.next_slot(Path.DEV_REAL_KPI, later) == later


def test_spacing() -> None:
    """ "One concurrent request per minute": a minute between calls."""
    budget = CallBudget(size=AccountSize(plants=150))
    budget.record(Path.STATION_REAL_KPI, T0)
    assert (
        budget.next_slot(Path.STATION_REAL_KPI, T0)
        == T0 + timedelta(minutes=1) + MARGIN
    )


def test_refused_backs_off_a_whole_window() -> None:
    """A 407 means calls we did not count: wait until any window has reset."""
    budget = CallBudget()
    until = budget.refused(Path.DEV_REAL_KPI, T0)
    assert until == T0 + timedelta(minutes=5) + MARGIN
    assert budget.next_slot(Path.DEV_REAL_KPI, T0 + timedelta(minutes=1)) == until
    assert budget.next_slot(Path.DEV_LIST, T0) == T0


def test_release_takes_a_call_back() -> None:
    """A call the server did not count (305) does not hold the next one."""
    budget = CallBudget()
    budget.record(Path.DEV_LIST, T0)
    budget.release(Path.DEV_LIST, T0)
    budget.release(Path.DEV_LIST, T0)  # twice is harmless
    assert budget.next_slot(Path.DEV_LIST, T0) == T0


def test_old_calls_are_forgotten() -> None:
    """Calls older than the window do not count (and are dropped)."""
    budget = CallBudget()
    budget.record(Path.LOGIN, T0)
    budget.record(Path.LOGIN, T0 + timedelta(hours=1))
    assert budget.calls_made(Path.LOGIN, T0 + timedelta(hours=1)) == 1


def test_planning() -> None:
    """Due jobs, longest overdue first; the next wake respects due time and budget."""
    budget = CallBudget(size=AccountSize(plants=1, devices={1: 1}))
    a = Job(key="a", path=Path.STATION_REAL_KPI, period=timedelta(minutes=5))
    b = Job(key="b", path=Path.DEV_REAL_KPI, period=timedelta(minutes=5))
    next_due = {"a": T0 + timedelta(minutes=2), "b": T0 - timedelta(minutes=1)}
    assert due_jobs([a, b], next_due, T0) == [b]
    assert due_jobs([a, b], {}, T0) == [a, b]
    budget.record(Path.DEV_REAL_KPI, T0 - timedelta(minutes=2))
    assert next_wake([a, b], next_due, budget, T0) == T0 + timedelta(minutes=2)
    assert next_wake([b], next_due, budget, T0) == T0 + timedelta(minutes=3) + MARGIN
    assert next_wake([], {}, budget, T0) is None


def test_batches() -> None:
    """At most 100 per call."""
    assert [len(b) for b in batches(list(range(250)))] == [100, 100, 50]
    assert batches([]) == []


def test_absorb_counts_another_budgets_calls() -> None:
    """A config flow's calls count for the account it turns out to be."""
    flow = CallBudget()
    flow.record(Path.STATIONS, T0)
    flow.refused(Path.DEV_LIST, T0)
    account = CallBudget()
    account.record(Path.STATIONS, T0 - timedelta(hours=1))
    account.absorb(flow)
    account.absorb(account)  # itself: nothing changes
    assert account.calls_made(Path.STATIONS, T0) == 2
    assert account.next_slot(Path.STATIONS, T0) == T0 + timedelta(minutes=1) + MARGIN
    assert account.next_slot(Path.DEV_LIST, T0) == T0 + timedelta(days=1) + MARGIN


# Kept over restarts -------------------------------------------------------------


def _through_json(data: dict[str, Any]) -> Any:
    return json.loads(json.dumps(data))


def test_budget_round_trips_through_storage() -> None:
    """A budget read back from plain data allows exactly what the original did."""
    budget = CallBudget(size=AccountSize(plants=3, devices={1: 3, 39: 1}))
    budget.record(Path.STATIONS, T0 - timedelta(hours=20))
    budget.record(Path.STATIONS, T0 - timedelta(seconds=30))
    budget.record(Path.DEV_LIST, T0 - timedelta(seconds=20))
    # A burst: calls in the same instant each count.
    budget.record(Path.DEV_REAL_KPI, T0 - timedelta(minutes=2))
    budget.record(Path.DEV_REAL_KPI, T0 - timedelta(minutes=2))
    budget.record(Path.LOGIN, T0 - timedelta(minutes=11))  # out of its window
    budget.refused(Path.ALARM_LIST, T0 - timedelta(minutes=10))

    stored = _through_json(budget.as_dict(T0))
    assert set(stored["calls"]) == {"stations", "dev_list", "dev_real_kpi"}
    assert set(stored["blocked_until"]) == {"alarm_list"}
    later = T0 + timedelta(seconds=10)
    restored = CallBudget(size=budget.size)
    restored.absorb(CallBudget.from_dict(stored, later, limits=LIMITS))
    assert restored.calls_made(Path.DEV_REAL_KPI, later) == 2
    for path in Path:
        assert restored.next_slot(path, later) == budget.next_slot(path, later)
        assert restored.calls_made(path, later) == budget.calls_made(path, later)
    assert restored.next_slot(Path.STATIONS, later) > later
    assert restored.next_slot(Path.ALARM_LIST, later) == T0 + timedelta(
        minutes=20, seconds=1
    )


def test_restored_budget_keeps_only_what_still_counts() -> None:
    """Old, future and unreadable entries go; a back-off lasts a window at most."""
    stored = {
        "calls": {
            "stations": [
                (T0 - timedelta(days=2)).isoformat(),  # out of any window
                (T0 + timedelta(hours=1)).isoformat(),  # the clock went back
                "yesterday",
                17,
                None,
                (T0 - timedelta(hours=1)).isoformat(),
            ],
            "dev_list": "not a list",
            "no_such_interface": [T0.isoformat()],
        },
        "blocked_until": {
            "dev_real_kpi": (T0 - timedelta(seconds=1)).isoformat(),  # over
            "station_real_kpi": (T0 + timedelta(days=300)).isoformat(),
            "alarm_list": ["not a time"],
        },
    }
    budget = CallBudget.from_dict(stored, T0)
    assert budget.calls_made(Path.STATIONS, T0) == 1
    assert budget.as_dict(T0) == {
        "calls": {"stations": [(T0 - timedelta(hours=1)).isoformat()]},
        "blocked_until": {
            "station_real_kpi": (T0 + timedelta(minutes=5) + MARGIN).isoformat()
        },
    }
    for garbage in (None, "nonsense", [1, 2], {"calls": [], "blocked_until": 5}):
        assert CallBudget.from_dict(garbage, T0).as_dict(T0) == {
            "calls": {},
            "blocked_until": {},
        }


def test_budget_tells_of_its_changes() -> None:
    """Every change calls on_change (the storage saves then); a look does not."""
    changes: list[None] = []
    budget = CallBudget()
    budget.on_change = lambda: changes.append(None)
    budget.record(Path.STATIONS, T0)
    budget.release(Path.STATIONS, T0)
    budget.release(Path.STATIONS, T0)  # nothing to take back
    budget.refused(Path.DEV_LIST, T0)
    budget.absorb(CallBudget())  # nothing to absorb
    other = CallBudget()
    other.record(Path.LOGIN, T0)
    budget.absorb(other)
    budget.next_slot(Path.STATIONS, T0)
    budget.as_dict(T0)
    assert len(changes) == 4
