"""FusionSolar's energy counters show what the counter policy lets through."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import math
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.solar_cloud.const import DOMAIN
from custom_components.solar_cloud.counter import CounterKind
from custom_components.solar_cloud.fusionsolar.sensor_descriptions import (
    BATTERY_SENSORS,
    INVERTER_SENSORS,
    METER_SENSORS,
    PLANT_SENSORS,
)

from ..common import async_advance
from ..const import NOON
from ..simulator.core import StartSimulator
from ..simulator.fusionsolar import (
    FusionSolarSimulator,
    SimAccount,
    SimDevice,
    SimPlant,
)
from .const import ENERGY_TODAY, HOME
from .fixture_types import AddEntry

TOTAL = "sensor.rheinblick_lifetime_energy"
EXPORTED = "sensor.meter_1_energy_exported"
POLL = timedelta(minutes=10)
"""Real-time data is read once per upload; now and then one is let go."""

pytestmark = pytest.mark.freeze_time(NOON)


def _value(hass: HomeAssistant, entity_id: str) -> float:
    return float(hass.states.get(entity_id).state)


async def _poll(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let the real-time data be read once more."""
    await async_advance(hass, freezer, POLL, step=timedelta(minutes=1))


def test_every_energy_counter_has_its_kind() -> None:
    """Lifetime, daily and monthly counters; PV counters know the capacity."""
    kinds = {
        description.key: (description.counter, description.production)
        for descriptions in (
            PLANT_SENSORS,
            INVERTER_SENSORS,
            BATTERY_SENSORS,
            METER_SENSORS,
        )
        for description in descriptions
        if description.native_unit_of_measurement == "kWh"
        and description.state_class is not None
    }
    lifetime, daily = CounterKind.LIFETIME, CounterKind.DAILY
    assert kinds == {
        "day_energy": (daily, True),
        "month_energy": (CounterKind.MONTHLY, True),
        "total_energy": (lifetime, True),
        "day_feed_in": (daily, False),
        "day_consumption": (daily, False),
        "inverter_day_energy": (daily, True),
        "inverter_total_energy": (lifetime, True),
        "day_charged": (daily, False),
        "day_discharged": (daily, False),
        "total_charged": (lifetime, False),
        "total_discharged": (lifetime, False),
        "imported_energy": (lifetime, False),
        "exported_energy": (lifetime, False),
    }


@pytest.mark.parametrize("glitch", [0.978, 0.0, 138.05, -0.005, math.nan, 1e7])
async def test_one_bad_lifetime_answer_is_not_shown(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    sim: FusionSolarSimulator,
    freezer: FrozenDateTimeFactory,
    glitch: float,
) -> None:
    """1380.5 kWh, then one answer of 0.978 (or 0, 10 %, negative, NaN, absurd).

    The sensor keeps 1380.5, and counts on when the cloud does.
    """
    assert hass.states.get(TOTAL).state == "1380.5"
    plant = sim.plant(HOME)
    real = plant.pv_total
    plant.pv_total = glitch
    await _poll(hass, freezer)
    assert hass.states.get(TOTAL).state == "1380.5"
    plant.pv_total = real + 0.25
    await _poll(hass, freezer)
    assert _value(hass, TOTAL) > 1380.5 + 0.25


async def test_a_replaced_meter_is_taken_after_an_hour_across_a_restart(
    hass: HomeAssistant,
    *,
    loaded_entry: MockConfigEntry,
    sim: FusionSolarSimulator,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A meter that counts on from 3 kWh: held for an hour, then shown, with a repair.

    Home Assistant restarts halfway: the lower series it saw still counts.
    """
    exported = _value(hass, EXPORTED)
    plant = sim.plant(HOME)
    plant.export_total = 3.0
    for _ in range(5):
        await _poll(hass, freezer)
    assert _value(hass, EXPORTED) == exported
    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert _value(hass, EXPORTED) == exported
    # An hour after the first lower reading (readings come once per upload,
    # a little more than five minutes apart).
    for _ in range(7):
        await _poll(hass, freezer)
    assert 3.0 < _value(hass, EXPORTED) < exported
    assert "taking it as a reset or replaced meter" in caplog.text
    issues = [
        issue
        for (domain, _), issue in issue_registry.issues.items()
        if domain == DOMAIN and issue.translation_key == "counter_new_series"
    ]
    assert len(issues) == 1
    assert issues[0].translation_placeholders is not None
    assert issues[0].translation_placeholders["entity"] == EXPORTED


async def test_a_pv_counter_cannot_outrun_the_plant(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    sim: FusionSolarSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """9 kWp cannot make 100 kWh in six minutes: held; the meter knows no limit."""
    plant = sim.plant(HOME)
    total, exported = _value(hass, TOTAL), _value(hass, EXPORTED)
    plant.pv_total += 100.0
    plant.export_total += 100.0
    await _poll(hass, freezer)
    assert _value(hass, TOTAL) < total + 100.0
    assert _value(hass, EXPORTED) > exported + 100.0


async def test_a_daily_counter_dips_only_at_midnight(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    sim: FusionSolarSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A daily counter at 0 at noon is held; it starts again at the plant's midnight."""
    plant = sim.plant(HOME)
    await async_advance(hass, freezer, timedelta(hours=1), step=timedelta(minutes=5))
    today = _value(hass, ENERGY_TODAY)
    assert today > 2.0
    real = plant.pv_day
    plant.pv_day = 0.0
    await _poll(hass, freezer)
    assert _value(hass, ENERGY_TODAY) == today
    plant.pv_day = real
    # Berlin's midnight is 22:00 UTC in June.
    freezer.move_to("2026-06-21T21:50:00+00:00")
    await _poll(hass, freezer)
    evening = _value(hass, ENERGY_TODAY)
    assert evening > today
    await _poll(hass, freezer)
    await _poll(hass, freezer)
    assert _value(hass, ENERGY_TODAY) < evening


async def test_a_plant_in_shanghai_starts_its_day_at_its_midnight(
    hass: HomeAssistant,
    start_vendor_simulator: StartSimulator,
    add_entry: AddEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Home Assistant in Berlin, the plant in Shanghai: the day ends at 16:00 UTC.

    Before a history answer, the offset comes from the grid connection date.
    """
    await hass.config.async_set_time_zone("Europe/Berlin")
    plant = SimPlant(
        code="NE=88000001",
        name="Pudong",
        capacity_kw=6.0,
        tz=ZoneInfo("Asia/Shanghai"),
        grid_connected="2023-05-01T09:00:00+08:00",
        devices=[SimDevice(id=880000011, name="Inverter", type_id=38)],
    )
    sim = FusionSolarSimulator(
        [SimAccount(username="sh", password="pw", plants=[plant])]
    )
    cloud = await start_vendor_simulator(sim)
    freezer.move_to(datetime(2026, 6, 21, 15, 10, tzinfo=UTC))
    entry = add_entry(cloud.base_url, "sh", "pw")
    plant.pv_day = 40.0
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    entity = "sensor.pudong_energy_today"
    assert _value(hass, entity) == 40.0
    await _poll(hass, freezer)
    await _poll(hass, freezer)  # 15:30 UTC, 23:30 in Shanghai
    plant.pv_day = 0.0  # the cloud's day restarts early: not believed
    await _poll(hass, freezer)
    assert _value(hass, entity) == 40.0
    for _ in range(4):  # past 16:00 UTC: midnight in Shanghai
        await _poll(hass, freezer)
    assert _value(hass, entity) == 0.0
