"""The counter policy: what an energy counter sensor may show."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import math

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import issue_registry as ir
from hypothesis import given, settings, strategies as st
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache_with_extra_data,
)

from custom_components.solar_cloud.const import DOMAIN
from custom_components.solar_cloud.counter import (
    RESET_AFTER,
    CounterKind,
    EnergyCounter,
    Verdict,
)

from .common import async_advance
from .const import BERLIN
from .fake_vendor import FakeCloud
from .simulator.core import RunningSimulator

T0 = datetime(2026, 6, 21, 10, tzinfo=UTC)


def _lifetime(max_power_kw: float | None = None) -> EnergyCounter:
    counter = EnergyCounter(zone=UTC, max_power_kw=max_power_kw)
    assert counter.update(1380.5, T0, now=T0) is Verdict.ACCEPTED
    return counter


def _feed(
    counter: EnergyCounter, values: list[float], *, every: timedelta, start: datetime
) -> list[Verdict]:
    verdicts = []
    for index, value in enumerate(values):
        at = start + every * index
        verdicts.append(counter.update(value, at, now=at))
    return verdicts


@pytest.mark.parametrize("glitch", [0.0, 138.05, 0.978, 1380.0])
def test_a_drop_is_held_back(glitch: float) -> None:
    """A drop to 0, to 10 % or by a little shows the last good value."""
    counter = _lifetime()
    at = T0 + timedelta(minutes=5)
    assert counter.update(glitch, at, now=at) is Verdict.HELD
    assert counter.value == 1380.5
    at += timedelta(minutes=5)
    assert counter.update(1380.9, at, now=at) is Verdict.ACCEPTED
    assert counter.value == 1380.9
    assert counter.candidate is None


@pytest.mark.parametrize(
    "raw", [-0.005, math.nan, math.inf, -math.inf, None, "12", True, [1]]
)
def test_bad_readings_are_never_shown(raw: object) -> None:
    """Negative, NaN, infinite and non-numbers: rejected, nothing changes."""
    counter = _lifetime()
    at = T0 + timedelta(minutes=5)
    verdict = counter.update(raw, at, now=at)
    assert verdict in (Verdict.INVALID, Verdict.MISSING)
    assert counter.value == 1380.5
    assert counter.at == T0


def test_a_reading_from_the_future_is_refused() -> None:
    """A push dated ten years ahead does not freeze the counter."""
    counter = _lifetime()
    now = T0 + timedelta(minutes=1)
    future = datetime(2036, 10, 17, tzinfo=UTC)
    assert counter.update(2_428_879.0, future, now=now) is Verdict.FUTURE
    assert counter.at == T0
    assert counter.update(1381.0, now, now=now) is Verdict.ACCEPTED
    # Within the clock skew allowed, a reading a little ahead is fine.
    ahead = now + timedelta(minutes=4)
    assert counter.update(1381.1, ahead, now=now) is Verdict.ACCEPTED


def test_an_older_reading_is_ignored() -> None:
    """A late push or slow poll older than the value shown changes nothing."""
    counter = _lifetime()
    assert counter.update(1300.0, T0 - timedelta(minutes=1), now=T0) is Verdict.STALE
    assert counter.value == 1380.5


def test_a_replaced_meter_is_accepted_after_an_hour_of_readings() -> None:
    """A lower series that keeps counting for three readings and an hour wins."""
    counter = _lifetime()
    start = T0 + timedelta(minutes=5)
    verdicts = _feed(
        counter,
        [3.388, 3.4, 3.41, 3.45, 3.5],
        every=timedelta(minutes=20),
        start=start,
    )
    # Three readings come after 40 minutes; an hour has passed at the fourth.
    assert verdicts == [Verdict.HELD] * 3 + [Verdict.NEW_SERIES, Verdict.ACCEPTED]
    assert counter.value == 3.5


def test_a_run_of_zeros_is_not_a_new_meter() -> None:
    """A cloud that lost its data answers 0 for hours: held, never accepted."""
    counter = _lifetime()
    verdicts = _feed(
        counter, [0.0] * 8, every=timedelta(minutes=20), start=T0 + timedelta(minutes=5)
    )
    assert set(verdicts) == {Verdict.HELD}
    assert counter.value == 1380.5
    # When the real value returns, nothing was counted twice.
    at = T0 + timedelta(hours=3)
    assert counter.update(1381.0, at, now=at) is Verdict.ACCEPTED


def test_a_lower_series_that_does_not_count_on_is_never_accepted() -> None:
    """Alternating bad values never make a series."""
    counter = _lifetime()
    verdicts = _feed(
        counter,
        [5.0, 3.0, 5.0, 3.0, 5.0, 3.0],
        every=timedelta(minutes=30),
        start=T0 + timedelta(minutes=5),
    )
    assert set(verdicts) == {Verdict.HELD}
    assert counter.value == 1380.5


def test_an_impossible_rise_is_held_until_it_persists() -> None:
    """9,999,999 kWh from a 6 kW plant: held, and accepted only if it stays."""
    counter = _lifetime(max_power_kw=6.0)
    at = T0 + timedelta(minutes=5)
    assert counter.update(9_999_999.0, at, now=at) is Verdict.HELD
    # A real rise within what 6 kW give is fine meanwhile.
    at += timedelta(hours=1)
    assert counter.update(1385.0, at, now=at) is Verdict.ACCEPTED
    assert counter.value == 1385.0
    verdicts = _feed(
        counter,
        [9_999_999.0, 9_999_999.5, 9_999_999.9, 10_000_000.0],
        every=timedelta(minutes=30),
        start=at + timedelta(minutes=5),
    )
    # The third reading, an hour after the first, makes it a series.
    assert verdicts == [
        Verdict.HELD,
        Verdict.HELD,
        Verdict.NEW_SERIES,
        Verdict.ACCEPTED,
    ]
    assert counter.value == 10_000_000.0


def test_a_rise_is_checked_against_the_time_it_had() -> None:
    """After three days down, three days' worth of energy is possible."""
    counter = _lifetime(max_power_kw=6.0)
    later = T0 + timedelta(days=3)
    assert counter.update(1380.5 + 100.0, later, now=later) is Verdict.ACCEPTED


def test_daily_counter_resets_at_the_plants_midnight() -> None:
    """Only the plant's midnight (Berlin: 22:00 UTC in summer) resets."""
    counter = EnergyCounter(kind=CounterKind.DAILY, zone=BERLIN)
    evening = datetime(2026, 6, 21, 21, 55, tzinfo=UTC)
    assert counter.update(31.2, evening, now=evening) is Verdict.ACCEPTED
    # 22:30 UTC is 00:30 in Berlin: a new day.
    night = datetime(2026, 6, 21, 22, 30, tzinfo=UTC)
    assert counter.update(0.0, night, now=night) is Verdict.DAY_RESET
    # A dip later that day is a glitch.
    noon = datetime(2026, 6, 22, 10, tzinfo=UTC)
    assert counter.update(12.0, noon, now=noon) is Verdict.ACCEPTED
    assert counter.update(0.0, noon, now=noon) is Verdict.HELD
    assert counter.value == 12.0


def test_daily_counter_waits_for_a_cloud_that_resets_late() -> None:
    """Yesterday's total after midnight, then the reset: both fine."""
    counter = EnergyCounter(kind=CounterKind.DAILY, zone=BERLIN)
    evening = datetime(2026, 6, 21, 21, 55, tzinfo=UTC)
    counter.update(31.2, evening, now=evening)
    stale = datetime(2026, 6, 21, 22, 5, tzinfo=UTC)
    assert counter.update(31.2, stale, now=stale) is Verdict.ACCEPTED
    reset = datetime(2026, 6, 21, 22, 40, tzinfo=UTC)
    assert counter.update(0.1, reset, now=reset) is Verdict.DAY_RESET
    # The day's one reset has happened: another drop is held.
    again = reset + timedelta(minutes=10)
    assert counter.update(0.0, again, now=again) is Verdict.HELD
    # A drop after the grace period is held even if there was no reset.
    other = EnergyCounter(kind=CounterKind.DAILY, zone=BERLIN)
    other.update(31.2, evening, now=evening)
    other.update(31.2, stale, now=stale)
    late = datetime(2026, 6, 22, 3, tzinfo=UTC)
    assert other.update(0.1, late, now=late) is Verdict.HELD


def test_monthly_counter_resets_only_when_the_month_starts() -> None:
    """A month's counter falls on the 1st, not at another midnight."""
    counter = EnergyCounter(kind=CounterKind.MONTHLY, zone=BERLIN)
    day = datetime(2026, 6, 29, 21, tzinfo=UTC)
    counter.update(700.0, day, now=day)
    next_day = datetime(2026, 6, 29, 22, 30, tzinfo=UTC)
    assert counter.update(0.0, next_day, now=next_day) is Verdict.HELD
    counter.update(712.0, next_day, now=next_day)
    july = datetime(2026, 6, 30, 22, 30, tzinfo=UTC)
    assert counter.update(0.4, july, now=july) is Verdict.DAY_RESET


def test_daily_counter_refuses_an_impossible_rise() -> None:
    """A daily counter of a 6 kW plant cannot gain 500 kWh in five minutes."""
    counter = EnergyCounter(kind=CounterKind.DAILY, zone=UTC, max_power_kw=6.0)
    counter.update(10.0, T0, now=T0)
    at = T0 + timedelta(minutes=5)
    assert counter.update(510.0, at, now=at) is Verdict.HELD
    assert counter.value == 10.0


def test_the_state_outlives_a_restart_in_the_middle_of_a_series() -> None:
    """Stored and restored halfway through a meter swap, the swap completes."""
    counter = _lifetime()
    _feed(counter, [3.0, 3.1], every=timedelta(minutes=30), start=T0)
    restored = EnergyCounter(zone=UTC).restore(counter.as_dict())
    assert restored.value == 1380.5
    assert restored.candidate == counter.candidate
    at = T0 + RESET_AFTER + timedelta(minutes=5)
    assert restored.update(3.2, at, now=at) is Verdict.NEW_SERIES


@pytest.mark.parametrize(
    "stored",
    [None, "x", {"value": -1, "at": T0.isoformat()}, {"value": 5, "at": "later"}],
)
def test_what_does_not_parse_is_not_restored(stored: object) -> None:
    """Damaged storage starts the counter afresh."""
    restored = EnergyCounter(zone=UTC).restore(stored)
    assert restored.value is None
    assert restored.candidate is None


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(
                st.floats(allow_nan=True, allow_infinity=True),
                st.floats(min_value=0, max_value=2000),
                st.none(),
            ),
            st.integers(min_value=0, max_value=7200),
        ),
        max_size=60,
    ),
    st.sampled_from(list(CounterKind)),
    st.sampled_from([None, 6.0]),
)
def test_the_value_shown_only_falls_at_a_documented_reset(
    readings: list[tuple[float | None, int]],
    kind: CounterKind,
    max_power_kw: float | None,
) -> None:
    """Whatever the cloud sends, the value shown never falls, but at a reset."""
    counter = EnergyCounter(kind=kind, zone=BERLIN, max_power_kw=max_power_kw)
    at = T0
    shown: float | None = None
    for raw, seconds in readings:
        at += timedelta(seconds=seconds)
        verdict = counter.update(raw, at, now=at)
        value = counter.value
        if shown is not None and value is not None and value < shown:
            assert verdict in (Verdict.NEW_SERIES, Verdict.DAY_RESET)
        if value is not None:
            assert math.isfinite(value)
            assert value >= 0
        shown = value


# The sensor side: the fake vendor's lifetime energy sensor -----------------


@pytest.fixture
def fake_energy_cloud(fake_cloud: RunningSimulator) -> FakeCloud:
    """Let plant-1 report its lifetime energy."""
    cloud: FakeCloud = fake_cloud.simulator  # type: ignore[assignment]
    cloud.energy["plant-1"] = 1380.5
    return cloud


@pytest.mark.usefixtures("fake_vendor")
@pytest.mark.freeze_time("2026-06-21T10:00:00+00:00")
async def test_the_sensor_shows_what_the_policy_lets_through(  # noqa: PLR0917
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    fake_entry: MockConfigEntry,
    fake_energy_cloud: FakeCloud,
    issue_registry: ir.IssueRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A glitch is not shown; a replaced meter is, with a warning and a repair."""
    assert await hass.config_entries.async_setup(fake_entry.entry_id)
    entity_id = "sensor.plant_1_energy"
    assert hass.states.get(entity_id).state == "1380.5"

    fake_energy_cloud.energy["plant-1"] = 0.978
    await async_advance(hass, freezer, timedelta(minutes=1))
    assert hass.states.get(entity_id).state == "1380.5"
    fake_energy_cloud.energy["plant-1"] = "N/A"
    await async_advance(hass, freezer, timedelta(minutes=1))
    assert hass.states.get(entity_id).state == "1380.5"
    assert caplog.text.count(f"{entity_id}: not showing") == 1

    for minute in range(70):
        fake_energy_cloud.energy["plant-1"] = 3.0 + minute / 100
        await async_advance(hass, freezer, timedelta(minutes=1))
    assert hass.states.get(entity_id).state == "3.69"
    assert "taking it as a reset or replaced meter" in caplog.text
    issue = issue_registry.async_get_issue(
        DOMAIN,
        f"{fake_entry.entry_id}_counter_new_series_fusionsolar_plant_1_energy",
    )
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["old"] == "1380.5"
    assert issue.is_persistent


@pytest.mark.usefixtures("fake_vendor")
@pytest.mark.freeze_time("2026-06-21T10:00:00+00:00")
async def test_the_sensor_carries_its_state_over_a_restart(
    hass: HomeAssistant,
    fake_entry: MockConfigEntry,
    fake_energy_cloud: FakeCloud,
) -> None:
    """Restarted with a lower value than it showed, it keeps what it showed."""
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State("sensor.plant_1_energy", "1400.0"),
                {
                    "native_value": 1400.0,
                    "native_unit_of_measurement": "kWh",
                    "counter": {
                        "value": 1400.0,
                        "at": "2026-06-21T09:55:00+00:00",
                        "day_reset_done": False,
                        "candidate": None,
                    },
                },
            )
        ],
    )
    assert await hass.config_entries.async_setup(fake_entry.entry_id)
    assert hass.states.get("sensor.plant_1_energy").state == "1400.0"
