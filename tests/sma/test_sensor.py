"""SMA sensors and feed-in numbers: snapshots and how the values behave."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache_with_extra_data,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.solar_cloud.api.sma import MeasurementPoint, PlantKind
from custom_components.solar_cloud.sma.const import PLANT_INTERVAL
from custom_components.solar_cloud.sma.polling import PlantData
from custom_components.solar_cloud.sma.sensor import PLANT_SENSORS

from ..common import async_advance
from ..const import NOON
from ..simulator.sma import CLASSIC_PLANT, DEMO_OWNER, SANDBOX_OWNER, SmaSimulator
from .const import (
    CONSUMPTION_ENERGY,
    FEED_IN_LIMIT,
    INVERTER_PV_POWER,
    PV_ENERGY,
    PV_ENERGY_TODAY,
    PV_POWER,
)


async def _no_entities(*args: object) -> None:
    return None


@pytest.fixture
def only_testplant_1(sim: SmaSimulator, custom_entry: MockConfigEntry) -> None:
    """Let the owner's consent cover "Testplant 1" only."""
    sim.consents[("custom-client", SANDBOX_OWNER)].scope = {"13"}


@pytest.fixture
def sensors_only() -> Iterator[None]:
    """Set up only the sensors."""
    with patch("custom_components.solar_cloud.sma.async_setup_numbers", _no_entities):
        yield


@pytest.fixture
def numbers_only() -> Iterator[None]:
    """Set up only the numbers."""
    with patch("custom_components.solar_cloud.sma.async_setup_sensors", _no_entities):
        yield


@pytest.mark.freeze_time(NOON)
@pytest.mark.usefixtures(
    "entity_registry_enabled_by_default", "only_testplant_1", "sensors_only"
)
async def test_sensors(
    hass: HomeAssistant,
    custom_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """The sandbox's Testplant 1 with the captured devices, at noon."""
    assert await hass.config_entries.async_setup(custom_entry.entry_id)
    await snapshot_platform(hass, entity_registry, snapshot, custom_entry.entry_id)


@pytest.mark.freeze_time(NOON)
@pytest.mark.usefixtures("only_testplant_1", "numbers_only")
async def test_feed_in_numbers(
    hass: HomeAssistant,
    custom_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """An eligible plant gets its feed-in limit in W and %."""
    assert await hass.config_entries.async_setup(custom_entry.entry_id)
    await snapshot_platform(hass, entity_registry, snapshot, custom_entry.entry_id)


@pytest.mark.freeze_time(NOON)
async def test_only_what_is_reported(
    hass: HomeAssistant,
    loaded_custom: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """No battery, no battery sensors; one phase, one phase; disabled extras."""
    states = hass.states
    assert states.get("sensor.testplant2_battery_state_of_charge") is None
    assert states.get("sensor.testplant2_battery_charging") is None
    assert states.get("sensor.testplant_1_battery_state_of_charge") is not None
    # "My Falcon 3" is single-phase: phase A only.
    assert states.get("sensor.my_falcon_3_voltage_phase_a") is not None
    assert states.get("sensor.my_falcon_3_voltage_phase_b") is None
    # Per-phase power and current, DC voltage, isolation: there, but disabled.
    for entity_id in (
        "sensor.my_inverter_2_ac_power_phase_a",
        "sensor.my_inverter_2_current_phase_a",
        "sensor.my_inverter_2_dc_voltage_input_a",
        "sensor.my_inverter_2_isolation_resistance",
    ):
        entry = entity_registry.async_get(entity_id)
        assert entry is not None, entity_id
        assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    # A device without measurement sets has no sensors, only a device.
    assert not [
        entry
        for entry in er.async_entries_for_config_entry(
            entity_registry, loaded_custom.entry_id
        )
        if entry.unique_id.startswith("sma_13_15_")
    ]
    # Only eligible plants get a feed-in limit.
    assert states.get(FEED_IN_LIMIT) is not None
    assert states.get("number.testplant2_feed_in_limit") is None


@pytest.mark.freeze_time(NOON)
@pytest.mark.parametrize("owner", [DEMO_OWNER])
async def test_each_plant_at_its_cadence(
    hass: HomeAssistant, loaded_custom: MockConfigEntry
) -> None:
    """ennexOS every 5 min, classic every 15 min, devices every 15 min."""
    plants = loaded_custom.runtime_data.plants
    site = plants["7190000"]
    assert site.energy.cadence == PLANT_INTERVAL[PlantKind.ENNEXOS]
    assert site.devices is not None
    assert site.devices.cadence == timedelta(minutes=15)
    classic = plants[CLASSIC_PLANT]
    assert classic.energy.cadence == timedelta(minutes=15)
    assert classic.energy.expected_delay == timedelta(hours=3)
    # The next poll is set on when the next interval is expected: at most a
    # cadence (and the guard and loop fraction) away.
    for coordinator in (site.energy, site.devices, classic.energy):
        assert coordinator.update_interval is not None
        assert (
            timedelta()
            < coordinator.update_interval
            <= coordinator.cadence + timedelta(seconds=3)
        )


@pytest.mark.freeze_time(NOON)
async def test_sandbox_plants_follow_their_data(
    hass: HomeAssistant, loaded_custom: MockConfigEntry
) -> None:
    """A numeric (ennexOS) plant with 15-minute data is asked every 15 minutes."""
    energy = loaded_custom.runtime_data.plants["13"].energy
    assert energy.plant.kind is PlantKind.ENNEXOS
    assert energy.cadence == timedelta(minutes=15)
    assert energy.expected_delay == timedelta(minutes=45)


@pytest.mark.freeze_time(NOON)
@pytest.mark.parametrize("owner", [DEMO_OWNER])
async def test_late_classic_data_is_current(
    hass: HomeAssistant, loaded_custom: MockConfigEntry
) -> None:
    """Two-hour-old data of a classic plant is as fresh as it gets: shown."""
    state = hass.states.get("sensor.home_manager_plant_consumption")
    assert state is not None
    assert state.state not in (STATE_UNAVAILABLE, STATE_UNKNOWN)


@pytest.mark.freeze_time(NOON)
async def test_plant_that_stops_reporting(
    hass: HomeAssistant,
    loaded_custom: MockConfigEntry,
    sim: SmaSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Current values go unavailable once the data is older than expected; energy stays."""
    plant = sim.plants["13"]
    plant.silent_since = datetime(2026, 6, 21, 10, 0, tzinfo=UTC)
    await async_advance(
        hass, freezer, timedelta(minutes=30), step=timedelta(minutes=15)
    )
    assert hass.states.get(PV_POWER).state != STATE_UNAVAILABLE
    assert hass.states.get(INVERTER_PV_POWER).state != STATE_UNAVAILABLE

    await async_advance(
        hass, freezer, timedelta(minutes=30), step=timedelta(minutes=15)
    )
    assert hass.states.get(PV_POWER).state == STATE_UNAVAILABLE
    assert (
        hass.states.get("sensor.testplant_1_battery_state_of_charge").state
        == STATE_UNAVAILABLE
    )
    assert hass.states.get(INVERTER_PV_POWER).state == STATE_UNAVAILABLE
    assert hass.states.get(PV_ENERGY).state != STATE_UNAVAILABLE
    assert hass.states.get(PV_ENERGY_TODAY).state != STATE_UNAVAILABLE

    plant.silent_since = None
    await async_advance(hass, freezer, timedelta(minutes=15))
    assert hass.states.get(PV_POWER).state != STATE_UNAVAILABLE


@pytest.mark.freeze_time("2026-06-21T21:00:00+00:00")  # 23:00 in Berlin
async def test_energy_counters_across_midnight(
    hass: HomeAssistant,
    loaded_custom: MockConfigEntry,
    sim: SmaSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Lifetime counters never go down; today's reset at the plant's midnight."""
    lifetime = CONSUMPTION_ENERGY
    today = "sensor.testplant_1_consumption_today"
    before = float(hass.states.get(lifetime).state)
    today_before = float(hass.states.get(today).state)
    assert today_before > 5
    sim.log.clear()
    seen: list[float] = []
    for _ in range(7):
        # Polls come a moment after the intervals appear (at once here).
        await async_advance(hass, freezer, timedelta(minutes=15, seconds=5))
        seen.append(float(hass.states.get(lifetime).state))
    assert seen == sorted(seen)
    assert seen[-1] > before
    # 23:00 -> 00:45: the night's consumption counted once.
    sandbox = sim.plants["13"]
    expected = sum(
        sandbox.day_energy(day, sim.clock).get("totalConsumption", 0)
        for day in {
            sandbox.local_now(sim.clock).date(),
            sandbox.local_now(sim.clock).date() - timedelta(days=1),
        }
    )
    assert float(hass.states.get(today).state) < 1
    assert seen[-1] - before == pytest.approx(
        (expected - today_before * 1000) / 1000, abs=0.01
    )
    # The lifetime base was read again at the plant's midnight, not at every poll.
    totals = [
        r
        for r in sim.log.of("energy_balance")
        if r.path.endswith("/13/measurements/sets/EnergyBalance/Total")
    ]
    assert [r.at.hour for r in totals] == [22]  # 00:00 in Berlin


@pytest.mark.freeze_time("2026-06-21T00:30:00+00:00")  # 02:30 in Berlin
async def test_sensors_appear_with_their_data(
    hass: HomeAssistant, loaded_custom: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """A value SMA omits at night (the self-consumption rate) gets its sensor later."""
    assert hass.states.get("sensor.testplant_1_self_consumption_rate") is None
    await async_advance(hass, freezer, timedelta(hours=4), step=timedelta(minutes=15))
    state = hass.states.get("sensor.testplant_1_self_consumption_rate")
    assert state is not None
    assert float(state.state) > 0


@pytest.mark.freeze_time(NOON)
async def test_lifetime_counters_survive_a_restart(
    hass: HomeAssistant, custom_entry: MockConfigEntry
) -> None:
    """After a restart a lifetime counter does not fall below what it showed.

    What it showed comes back with the counter policy's state; a higher
    reading than stored is simply newer (consumption has no power bound).
    """
    shown_at = "2026-06-21T09:55:00+00:00"
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State(PV_ENERGY, "50000.0"),
                {
                    "native_value": 50000.0,
                    "native_unit_of_measurement": "kWh",
                    "counter": {"value": 50000.0, "at": shown_at},
                },
            ),
            (
                State(CONSUMPTION_ENERGY, "1.0"),
                {
                    "native_value": 1.0,
                    "native_unit_of_measurement": "kWh",
                    "counter": {"value": 1.0, "at": shown_at},
                },
            ),
        ],
    )
    assert await hass.config_entries.async_setup(custom_entry.entry_id)
    # SMA's lifetime PV is just below 50000 kWh: held at what was shown.
    assert hass.states.get(PV_ENERGY).state == "50000.0"
    assert float(hass.states.get(CONSUMPTION_ENERGY).state) > 9000


@pytest.mark.freeze_time(NOON)
async def test_signed_grid_and_battery_power(
    hass: HomeAssistant, loaded_custom: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Grid power is positive importing, battery power positive discharging."""
    data = loaded_custom.runtime_data.plants["13"].energy.data
    assert data.latest is not None
    values = data.latest.values
    assert float(hass.states.get("sensor.testplant_1_grid_power").state) == (
        pytest.approx(values["gridConsumption"] - values["gridFeedIn"])
    )
    assert float(hass.states.get("sensor.testplant_1_grid_power").state) < 0
    assert float(hass.states.get("sensor.testplant_1_battery_power").state) < 0
    # In the evening the house takes from the battery, or from the grid.
    await async_advance(hass, freezer, timedelta(hours=9), step=timedelta(minutes=15))
    assert float(hass.states.get("sensor.testplant_1_battery_power").state) > 0
    assert float(hass.states.get("sensor.testplant2_grid_power").state) > 0
    # A plant without a battery has no battery power; one without a meter no grid.
    assert hass.states.get("sensor.testplant2_battery_power") is None


def test_net_power_needs_both_fields() -> None:
    """An interval that omits one of the two fields has no signed power."""
    description = next(d for d in PLANT_SENSORS if d.key == "grid_power")
    point = MeasurementPoint(
        time=datetime(2026, 6, 21, 12, tzinfo=UTC), values={"gridFeedIn": 5.0}
    )
    assert description.value_fn(PlantData(latest=point)) is None
    assert description.value_fn(PlantData(latest=None)) is None
