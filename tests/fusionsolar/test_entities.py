"""Entities of an account built from the real samples: snapshots and behaviour."""

from __future__ import annotations

from datetime import timedelta
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.solar_cloud.const import DOMAIN
from custom_components.solar_cloud.fusionsolar import (
    CONTROL_PLATFORMS,
    MONITORING_PLATFORMS,
)
from custom_components.solar_cloud.fusionsolar.data import fusionsolar_data

from ..common import async_advance, devices_without_entities
from ..const import NOON
from ..simulator.fusionsolar import FusionSolarSimulator, SimDevice
from .const import ENERGY_TODAY, HOME, MATERNELLE, POWER, PUER


@pytest.mark.freeze_time(NOON)
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize(
    "platform", [Platform.SENSOR, Platform.SELECT, Platform.NUMBER]
)
async def test_entities(
    hass: HomeAssistant,
    *,
    mock_entry: MockConfigEntry,
    sim: FusionSolarSimulator,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    """Every entity of the sample account, with its state."""
    only = {platform: (MONITORING_PLATFORMS | CONTROL_PLATFORMS)[platform]}
    with (
        patch.dict(MONITORING_PLATFORMS, only, clear=True),
        patch.dict(CONTROL_PLATFORMS, {}, clear=True),
    ):
        assert await hass.config_entries.async_setup(mock_entry.entry_id)
        await hass.async_block_till_done()
    await snapshot_platform(
        hass, entity_registry, snapshot(name=platform), mock_entry.entry_id
    )


@pytest.mark.freeze_time(NOON)
async def test_devices(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """One device per plant, its devices linked to it; Dongles and unknown types hidden."""
    devices = dr.async_entries_for_config_entry(device_registry, loaded_entry.entry_id)
    by_id = {device.id: device for device in devices}
    summary = sorted(
        (
            device.name,
            device.model,
            device.serial_number,
            device.sw_version,
            None if device.via_device_id is None else by_id[device.via_device_id].name,
        )
        for device in devices
    )
    assert summary == snapshot
    names = {device.name for device in devices}
    assert "Dongle-1" not in names
    assert "Safety box" not in names
    # Two plants each have an "Inverter-1": the plant's name tells them apart.
    assert {"Rheinblick Inverter-1", "Puer Inverter-1"} <= names
    assert "Inverter-1" not in names
    assert len(names) == len(devices)
    assert devices_without_entities(hass, loaded_entry.entry_id) == []


@pytest.mark.freeze_time(NOON)
async def test_values_follow_the_vendor(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Power follows the sun; lifetime counters only grow.

    Signed power as the Energy dashboard takes it: grid power positive while
    importing, battery power positive while discharging.
    """
    power = float(hass.states.get(POWER).state)
    total = float(hass.states.get("sensor.rheinblick_lifetime_energy").state)
    assert power > 0
    exported = float(hass.states.get("sensor.meter_1_energy_exported").state)
    grid = float(hass.states.get("sensor.meter_1_grid_power").state)
    assert grid < 0  # midday surplus: exporting
    assert float(hass.states.get("sensor.meter_1_grid_export_power").state) == -grid
    assert float(hass.states.get("sensor.meter_1_grid_import_power").state) == 0
    battery = float(hass.states.get("sensor.ess_battery_power").state)
    assert battery < 0  # charging from the surplus
    assert float(hass.states.get("sensor.ess_charge_power").state) == -battery
    assert float(hass.states.get("sensor.ess_discharge_power").state) == 0

    await async_advance(hass, freezer, timedelta(hours=1), step=timedelta(minutes=5))
    assert float(hass.states.get("sensor.rheinblick_lifetime_energy").state) > total
    assert float(hass.states.get("sensor.meter_1_energy_exported").state) > exported
    state = hass.states.get(POWER)
    assert state.state != STATE_UNAVAILABLE


@pytest.mark.freeze_time("2026-06-21T21:00:00+00:00")
async def test_night(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> None:
    """At night the inverter waits for the sun, the meter imports, batteries discharge."""
    assert hass.states.get("sensor.rheinblick_inverter_1_inverter_state").state == (
        "standby_no_irradiation"
    )
    imported = float(hass.states.get("sensor.grid_meter_grid_import_power").state)
    assert imported > 0
    assert float(hass.states.get("sensor.grid_meter_grid_power").state) == imported
    discharging = float(hass.states.get("sensor.battery_1_discharge_power").state)
    assert discharging > 0
    assert float(hass.states.get("sensor.battery_1_battery_power").state) == (
        discharging
    )
    # Strings report nothing at night, so no string sensors are made.
    assert hass.states.get("sensor.rheinblick_inverter_1_pv_string_1_voltage") is None


@pytest.mark.freeze_time(NOON)
async def test_devices_come_and_go(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    sim: FusionSolarSimulator,
    freezer: FrozenDateTimeFactory,
    device_registry: dr.DeviceRegistry,
) -> None:
    """The daily inventory adds new devices and removes those that are gone."""
    plant = sim.plant(HOME)
    meter = next(device for device in plant.devices if device.type_id == 47)
    plant.devices.remove(meter)
    plant.devices.append(SimDevice(id=1000000035436899, name="Battery-2", type_id=39))
    old = device_registry.async_get_device_by_identifier(
        (DOMAIN, f"fusionsolar_{meter.id}"), loaded_entry.entry_id
    )
    assert old is not None

    await async_advance(hass, freezer, timedelta(days=1), step=timedelta(hours=2))
    await async_advance(hass, freezer, timedelta(seconds=30))

    assert device_registry.async_get(old.id) is None
    assert hass.states.get("sensor.meter_1_grid_power") is None
    new = device_registry.async_get_device_by_identifier(
        (DOMAIN, "fusionsolar_1000000035436899"), loaded_entry.entry_id
    )
    assert new is not None
    assert hass.states.get("sensor.battery_2_state_of_charge") is not None
    assert fusionsolar_data(loaded_entry).device_keys() >= {HOME, MATERNELLE, PUER}

    # The device registry is the memory: a device that returns gets its
    # entities again, without a reload.
    plant.devices.append(meter)
    await async_advance(hass, freezer, timedelta(days=1), step=timedelta(hours=2))
    await async_advance(hass, freezer, timedelta(minutes=10), step=timedelta(minutes=1))

    assert device_registry.async_get_device_by_identifier(
        (DOMAIN, f"fusionsolar_{meter.id}"), loaded_entry.entry_id
    )
    grid_power = hass.states.get("sensor.meter_1_grid_power")
    assert grid_power is not None
    assert grid_power.state not in {STATE_UNAVAILABLE, "unknown"}


@pytest.mark.freeze_time(NOON)
async def test_stale_after_two_windows(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    sim: FusionSolarSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A device whose data stops keeps its value for two windows, then is unavailable."""
    sim.faults.add("getDevRealKpi", status=503)
    value = hass.states.get(POWER).state
    for _ in range(9):
        await async_advance(hass, freezer, timedelta(minutes=1))
        assert hass.states.get(POWER).state == value
    # Plant data still arrives, and stays fresh.
    await async_advance(hass, freezer, timedelta(minutes=2))
    assert hass.states.get(POWER).state == STATE_UNAVAILABLE
    assert hass.states.get(ENERGY_TODAY).state != STATE_UNAVAILABLE

    sim.faults.clear()
    await async_advance(hass, freezer, timedelta(minutes=2), step=timedelta(minutes=1))
    assert hass.states.get(POWER).state != STATE_UNAVAILABLE


@pytest.mark.freeze_time(NOON)
async def test_everything_down(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    sim: FusionSolarSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A cloud outage: values stay for ten minutes, then all go unavailable."""
    sim.faults.add("*", status=502)
    await async_advance(hass, freezer, timedelta(minutes=9), step=timedelta(minutes=1))
    assert hass.states.get(ENERGY_TODAY).state != STATE_UNAVAILABLE
    await async_advance(hass, freezer, timedelta(minutes=3), step=timedelta(minutes=1))
    assert hass.states.get(ENERGY_TODAY).state == STATE_UNAVAILABLE
    assert (
        hass.states.get("sensor.battery_1_state_of_charge").state == STATE_UNAVAILABLE
    )
