"""The call plan of an SMA client: its plants' polls within its call budget.

Pure planning (``sma/polling.py`` ``CallPlan``), over many plant counts and
mixes: the planned polls never put more calls in a window than the budget
takes, every plant is still read, a client within its budget is polled as
before, and accounts that come or go plan anew.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import random

import pytest

from custom_components.solar_cloud.sma.polling import (
    CALL_BUDGET,
    CALL_SPAN,
    CALL_WINDOW,
    TOKEN_CALLS,
    CallPlan,
    Demand,
    Slot,
    peak,
)

NOW = datetime(2026, 6, 21, 12, 0, tzinfo=UTC)


def _plants(count: int, *, seed: int = 0, first: int = 0) -> list[Demand]:
    """Return the demands of ``count`` plants: two ennexOS to one classic."""
    draws = random.Random(seed)
    demands = []
    for index in range(first, first + count):
        plant = f"plant {index:04}"
        classic = index % 3 == 2
        demands.append(
            Demand(
                key=f"{plant} energy balance",
                plant=plant,
                period=3 if classic else 1,
                calls=1,
                first=2,
            )
        )
        sets = draws.choice((1, 2, 2, 3))
        demands.append(
            Demand(
                key=f"{plant} devices",
                plant=plant,
                period=3,
                calls=sets,
                first=sets,
                follows=f"{plant} energy balance",
            )
        )
    return demands


def _windows(plan: CallPlan, demands: list[Demand], cycles: int = 2) -> list[int]:
    """Return the calls the planned polls make in each window, by walking them."""
    longest = max(demand.period * plan.slot(demand.key).stride for demand in demands)
    windows = [0] * (cycles * 12 * longest)
    for demand in demands:
        slot = plan.slot(demand.key)
        period = demand.period * slot.stride
        for window in range(slot.offset, len(windows), period):
            windows[window] += demand.calls
    return windows


@pytest.mark.parametrize("count", [*range(1, 40), *range(40, 401, 7)])
def test_no_window_over_the_budget(count: int) -> None:
    """Any number of plants: no window holds more planned calls than the budget."""
    demands = _plants(count, seed=count)
    plan = CallPlan()
    plan.register("account", demands)

    windows = _windows(plan, demands)
    assert max(windows) == peak(demands, plan._slots)
    # Tokens and second looks come on top, within the budget.
    assert max(windows) + TOKEN_CALLS <= plan.allowance + TOKEN_CALLS <= CALL_BUDGET
    for demand in demands:
        slot = plan.slot(demand.key)
        assert slot.stride == plan.stride
        assert 0 <= slot.offset < demand.period * slot.stride
        if demand.follows is not None:
            # The devices read intervals their balance reads too.
            leader = plan.slot(demand.follows)
            assert slot.offset % slot.stride == leader.offset % leader.stride


def test_within_the_budget_as_before() -> None:
    """A client whose plants the budget takes: every interval, all at once."""
    for count in (1, 10, 15):
        demands = _plants(count)
        plan = CallPlan()
        plan.register("account", demands)

        assert plan.stride == 1
        assert {plan.slot(demand.key) for demand in demands} == {Slot()}
        assert set(plan.first_polls(demands, NOW).values()) == {0}


def test_a_reload_soon_after_setup_starts_all_at_once() -> None:
    """Calls just made (a setup a moment ago) hold no first poll of a small account.

    Its entities would otherwise wait a whole window for data the last setup
    showed a moment ago; the runtime guard spaces the polls after them.
    """
    demands = _plants(10)
    plan = CallPlan()
    plan.register("account", demands)
    assert sum(demand.first for demand in demands) <= plan.ceiling
    plan.admit(NOW, plan.ceiling, force=True)  # the setup before the reload

    assert set(plan.first_polls(demands, NOW).values()) == {0}
    # The next regular poll waits for room.
    assert plan.admit(NOW + timedelta(minutes=1), 2) is not None


def test_more_plants_read_every_few_intervals() -> None:
    """150 plants: each read every few intervals, spread evenly over the windows."""
    demands = _plants(150)
    plan = CallPlan()
    plan.register("account", demands)

    assert 1 < plan.stride <= 6
    windows = _windows(plan, demands)
    # Every window takes a share: none idle while another is full.
    assert min(windows) >= max(windows) * 0.8
    # Fewer windows would pass the budget: no plant is read less often than needed.
    assert sum(windows) / len(windows) * plan.stride / (plan.stride - 1) > (
        plan.allowance
    )


def test_first_polls_within_the_budget() -> None:
    """Setup with many plants: the first polls come in windows the budget takes."""
    demands = _plants(150)
    plan = CallPlan()
    plan.register("account", demands)
    plan.admit(NOW, 40, force=True)  # the plant list just read

    starts = plan.first_polls(demands, NOW)

    first = {demand.key: demand.first for demand in demands}
    by_window: dict[int, int] = {}
    for key, window in starts.items():
        by_window[window] = by_window.get(window, 0) + first[key]
    assert by_window.get(0, 0) + 40 <= plan.ceiling
    assert all(calls <= plan.ceiling for calls in by_window.values())
    # The balances (power) before the devices; all within two hours.
    balances = [starts[d.key] for d in demands if d.follows is None]
    devices = [starts[d.key] for d in demands if d.follows is not None]
    assert max(balances) <= min(devices) + 1
    assert max(starts.values()) * CALL_WINDOW < timedelta(hours=2)


def test_admit_holds_what_the_window_cannot_take() -> None:
    """Unplanned polls (second looks, midnight totals): held until there is room."""
    plan = CallPlan()
    draws = random.Random(5)
    moment, asked = NOW, []
    for _ in range(2000):
        moment += timedelta(seconds=draws.uniform(0, 6))
        asked.append((moment, draws.choice((1, 1, 2, 3))))
    made: list[tuple[datetime, int]] = []
    held = 0
    while asked:
        # The polls in the order they come, a held one when it is due again.
        asked.sort()
        moment, calls = asked.pop(0)
        if (when := plan.admit(moment, calls)) is None:
            made.append((moment, calls))
            continue
        assert when > moment
        held += 1
        asked.append((when, calls))
    assert held
    assert len(made) == 2000
    for index, (start, _) in enumerate(made):
        window = sum(c for t, c in made[index:] if t < start + CALL_WINDOW)
        assert window <= plan.ceiling
    # A poll no window could take goes, rather than wait for ever.
    assert plan.admit(moment, plan.ceiling + 1) is None


def test_accounts_that_come_and_go_plan_anew() -> None:
    """An account added to the client spreads both; removed, the other is as before."""
    first, second = _plants(10), _plants(140, first=10)
    plan = CallPlan()
    plan.register("first", first)
    assert plan.stride == 1

    plan.register("second", second)
    assert plan.stride > 1
    assert {plan.slot(d.key).stride for d in first + second} == {plan.stride}
    assert max(_windows(plan, first + second)) <= plan.allowance

    plan.unregister("second")
    assert plan.stride == 1
    assert {plan.slot(demand.key) for demand in first} == {Slot()}
    plan.unregister("second")  # twice: nothing to do
    assert plan.demands == sorted(first, key=lambda d: (d.plant, d.follows or ""))


def test_calls_counted_before_they_are_made() -> None:
    """A read counts its budget up front (polls meanwhile see it), then what it made."""
    plan = CallPlan()
    assert plan.room(NOW) == plan.ceiling
    assert plan.free_at(NOW, plan.ceiling) == NOW

    plan.admit(NOW, 30, force=True)
    plan.admit(NOW, 40, force=True)  # a read's room, counted before its calls
    assert plan.room(NOW) == plan.ceiling - 70
    assert plan.free_at(NOW, 20) == NOW + CALL_SPAN
    plan.settle(NOW, 40, 12)  # it made 12
    assert plan.room(NOW) == plan.ceiling - 42
    assert plan.free_at(NOW, 20) == NOW
    plan.settle(NOW, 99, 1)  # nothing counted so: nothing to correct
    assert plan.room(NOW) == plan.ceiling - 42
    # The window's share the planned polls leave (second looks).
    assert plan.spare == plan.ceiling - plan.allowance > 0


def test_first_polls_to_come_leave_with_their_account() -> None:
    """The first polls an account still waits for are forgotten when it goes."""
    demands = _plants(2)
    plan = CallPlan()
    plan.register("account", demands)
    plan.waiting[demands[0].key] = demands[0].first
    plan.waiting["other account's"] = 3

    plan.unregister("account")

    assert plan.waiting == {"other account's": 3}
