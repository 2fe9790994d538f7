"""The counter policy on SMA's energy sensors: what a bad answer does to them.

SMA's lifetime counters are its Total plus today's growth since the Total was
read (hourly and at the plant's midnight); today's counters come from the Day
answer. A bad answer is held back, a new series that lasts is believed.
"""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache_with_extra_data,
)

from custom_components.solar_cloud.const import DOMAIN
from custom_components.solar_cloud.sma import lifetime

from ..common import async_advance
from ..const import NOON
from ..simulator.sma import DEMO_OWNER, SANDBOX_OWNER, SmaSimulator
from .const import CONSUMPTION_ENERGY, PV_ENERGY, PV_ENERGY_TODAY

QUARTER = timedelta(minutes=15)
ABSURD = 9_999_999.0

pytestmark = pytest.mark.freeze_time(NOON)


@pytest.fixture
def testplant_1(sim: SmaSimulator, custom_entry: MockConfigEntry) -> MockConfigEntry:
    """Let the owner's consent cover "Testplant 1" only."""
    sim.consents["custom-client", SANDBOX_OWNER].scope = {"13"}
    return custom_entry


def _value(hass: HomeAssistant, entity_id: str) -> float:
    return float(hass.states.get(entity_id).state)


def _issue(
    issue_registry: ir.IssueRegistry, entry: MockConfigEntry, entity: str
) -> ir.IssueEntry | None:
    return issue_registry.async_get_issue(
        DOMAIN, f"{entry.entry_id}_counter_new_series_sma_13_{entity}"
    )


async def _watch(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entity_id: str,
    duration: timedelta,
    step: timedelta = QUARTER,
) -> list[float]:
    """Return what ``entity_id`` showed after each step."""
    seen = []
    moved = timedelta()
    while moved < duration:
        await async_advance(hass, freezer, step)
        moved += step
        seen.append(_value(hass, entity_id))
    return seen


@pytest.mark.parametrize("factor", [0.0, 0.1])
async def test_a_bad_total_is_held_back(
    hass: HomeAssistant,
    *,
    freezer: FrozenDateTimeFactory,
    sim: SmaSimulator,
    testplant_1: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
    factor: float,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SMA's Total at 0 or at a tenth for an hour: the counters keep counting on."""
    monkeypatch.setattr(lifetime, "LIFETIME_RECHECK", timedelta(hours=1))
    assert await hass.config_entries.async_setup(testplant_1.entry_id)
    shown = _value(hass, CONSUMPTION_ENERGY)
    plant = sim.plants["13"]
    plant.total_factor = factor
    # The Total is read again at 11:00 (its recheck made hourly here, as the
    # counter policy is tested, not when the Total is read): bad until 12:00.
    seen = await _watch(hass, freezer, CONSUMPTION_ENERGY, timedelta(hours=1))
    raw = testplant_1.runtime_data.plants["13"].energy.data.lifetime
    assert raw["totalConsumption"] / 1000 < shown * 0.95
    plant.total_factor = 1.0
    seen += await _watch(hass, freezer, CONSUMPTION_ENERGY, timedelta(hours=1))
    assert seen == sorted(seen)
    assert seen[0] >= shown
    assert seen[-1] > shown
    assert _issue(issue_registry, testplant_1, "consumption_energy_total") is None


async def test_an_empty_day_answer_is_held_back(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: SmaSimulator,
    testplant_1: MockConfigEntry,
) -> None:
    """A Day answer without intervals at noon does not reset today's counters."""
    assert await hass.config_entries.async_setup(testplant_1.entry_id)
    today, lifetime = _value(hass, PV_ENERGY_TODAY), _value(hass, PV_ENERGY)
    assert today > 10
    sim.faults.add(
        "energy_balance", body=b'{"setType": "EnergyBalance", "set": []}', times=1
    )
    # Polls come a moment after the intervals appear (at once here).
    await async_advance(hass, freezer, QUARTER + timedelta(seconds=5))
    assert testplant_1.runtime_data.plants["13"].energy.data.today["pvGeneration"] == 0
    assert _value(hass, PV_ENERGY_TODAY) == today
    assert _value(hass, PV_ENERGY) == lifetime
    await async_advance(hass, freezer, QUARTER)
    assert _value(hass, PV_ENERGY_TODAY) > today
    assert _value(hass, PV_ENERGY) > lifetime


async def test_an_absurd_stored_value_is_released(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    testplant_1: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """9,999,999 kWh kept from before a restart: the real series wins after an hour.

    The old floor kept such a value for ever; the policy holds it for an hour
    of readings that count on steadily below it, then shows SMA's value, logs a
    warning and raises a repair.
    """
    _restore(hass, {PV_ENERGY: ABSURD})
    assert await hass.config_entries.async_setup(testplant_1.entry_id)
    assert _value(hass, PV_ENERGY) == ABSURD
    seen = await _watch(hass, freezer, PV_ENERGY, timedelta(hours=6))
    real = testplant_1.runtime_data.plants["13"].energy.data.lifetime
    assert seen[:3] == [ABSURD] * 3
    assert seen[3] < 100_000
    assert seen[3:] == sorted(seen[3:])
    assert seen[-1] == pytest.approx(real["pvGeneration"] / 1000)
    issue = _issue(issue_registry, testplant_1, "pv_energy_total")
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["old"] == f"{ABSURD:g}"


async def test_the_old_floor_is_not_restored(
    hass: HomeAssistant, testplant_1: MockConfigEntry
) -> None:
    """A value the old floor stored (no policy state) is no floor after the update."""
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State(PV_ENERGY, str(ABSURD)),
                {"native_value": ABSURD, "native_unit_of_measurement": "kWh"},
            )
        ],
    )
    assert await hass.config_entries.async_setup(testplant_1.entry_id)
    assert _value(hass, PV_ENERGY) < 100_000


async def test_a_restart_in_the_middle_of_a_release(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    testplant_1: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Restarted halfway, the lower series keeps its first reading: an hour in all."""
    _restore(hass, {PV_ENERGY: ABSURD})
    assert await hass.config_entries.async_setup(testplant_1.entry_id)
    await _watch(hass, freezer, PV_ENERGY, timedelta(minutes=30))
    assert await hass.config_entries.async_unload(testplant_1.entry_id)
    assert await hass.config_entries.async_setup(testplant_1.entry_id)
    assert _value(hass, PV_ENERGY) == ABSURD
    seen = await _watch(hass, freezer, PV_ENERGY, timedelta(minutes=30))
    assert seen[-1] < 100_000
    assert _issue(issue_registry, testplant_1, "pv_energy_total") is not None


@pytest.mark.parametrize("owner", [DEMO_OWNER])
async def test_pv_cannot_grow_faster_than_the_peak_power(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: SmaSimulator,
    custom_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A Total 200 times too high for an hour: "Site 1" (184 kWp) does not show it."""
    sim.consents["custom-client", DEMO_OWNER].scope = {"7190000"}
    assert await hass.config_entries.async_setup(custom_entry.entry_id)
    entity_id = "sensor.site_1_pv_energy"
    shown = _value(hass, entity_id)
    sim.plants["7190000"].total_factor = 200.0
    five = timedelta(minutes=5)
    seen = await _watch(hass, freezer, entity_id, timedelta(hours=1), five)
    assert max(seen) < shown * 1.01
    sim.plants["7190000"].total_factor = 1.0
    seen += await _watch(hass, freezer, entity_id, timedelta(minutes=30), five)
    assert seen == sorted(seen)
    assert seen[-1] > shown
    assert not [
        issue
        for issue in issue_registry.issues.values()
        if "pv_energy" in issue.issue_id
    ]


def _restore(hass: HomeAssistant, values: dict[str, float]) -> None:
    at = "2026-06-21T09:55:00+00:00"
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State(entity_id, str(value)),
                {
                    "native_value": value,
                    "native_unit_of_measurement": "kWh",
                    "counter": {"value": value, "at": at},
                },
            )
            for entity_id, value in values.items()
        ],
    )
