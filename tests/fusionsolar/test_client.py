"""The Northbound client against the simulator: plants, devices, real-time data, control tasks."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import aiohttp
from freezegun.api import FrozenDateTimeFactory
import pytest

from custom_components.solar_cloud.api import ApiResponseError
from custom_components.solar_cloud.api.fusionsolar import (
    ControlNotSupportedError,
    FusionSolarClient,
)
from custom_components.solar_cloud.api.fusionsolar.const import (
    BatteryMode,
    ChargeDischargeSwitch,
    LimitationMode,
    PowerControlMode,
    PvSurplus,
    TaskStatus,
)
from custom_components.solar_cloud.api.fusionsolar.models import (
    BatteryConfiguration,
    BatteryKpi,
    BatteryModeSettings,
    DispatchStatus,
    EmiKpi,
    InverterKpi,
    MeterKpi,
    PowerControlSettings,
    TaskType,
    TimeWindow,
)
from custom_components.solar_cloud.api.fusionsolar.polling import async_load_inventory

from ..const import NOON
from ..simulator.fusionsolar import DEMO_USER, FusionSolarSimulator, scaled_account
from .const import HOME, MATERNELLE, PUER

# Data --------------------------------------------------------------------------


@pytest.mark.freeze_time(NOON)
async def test_real_time_data_of_every_device_type(client: FusionSolarClient) -> None:
    """Plant KPIs come as strings, device data as numbers and "N/A": all typed."""
    inventory = await async_load_inventory(client)
    assert client.budget.size.plants == 3
    assert client.budget.size.devices[1] == 3
    plants = await client.async_get_plant_kpis([HOME, MATERNELLE])
    home = plants[HOME]
    assert home.health is not None
    assert home.health.value == "healthy"
    assert plants[MATERNELLE].health is not None
    assert plants[MATERNELLE].health.value == "faulty"
    assert isinstance(home.total_energy, float)
    assert home.total_energy >= 1380.5

    devices = {d.id: d for d in inventory.devices}
    by_type: dict[int, list[int]] = {}
    for device in devices.values():
        by_type.setdefault(device.type_id, []).append(device.id)
    kpis = {}
    for type_id, ids in by_type.items():
        kpis |= await client.async_get_device_kpis(type_id, ids)
    inverter = kpis[1000000035436846]
    assert isinstance(inverter, InverterKpi)
    assert inverter.state == "grid_connected"
    assert inverter.active_power is not None
    assert inverter.active_power > 0
    assert sorted(n for n, s in inverter.strings.items() if s.in_use) == [1, 2]
    battery = kpis[1000000035436848]
    assert isinstance(battery, BatteryKpi)
    assert battery.soh is None  # the battery reports 0
    meter = kpis[1000000035436847]
    assert isinstance(meter, MeterKpi)
    assert meter.exported_energy is not None
    emma = kpis[1000000060023070]
    assert isinstance(emma, MeterKpi)
    assert emma.power is not None
    assert abs(emma.power) > 100  # kW on the wire, W in the model
    emi = kpis[1000000050000010]
    assert isinstance(emi, EmiKpi)
    assert emi.horizontal_irradiance is None  # "N/A"
    assert kpis.keys().isdisjoint({1000000035436845})  # a Dongle has no data
    assert devices[1000000060000099].device_type is None  # unknown types are kept


async def test_plant_list_pages(
    session: aiohttp.ClientSession,
    start_vendor_simulator: Any,
    freezer: FrozenDateTimeFactory,
) -> None:
    """150 plants come in two pages, the second a minute after the first."""
    sim = FusionSolarSimulator([scaled_account("big", "pw", plants=150)])
    cloud = await start_vendor_simulator(sim)

    async def sleep(seconds: float) -> None:
        freezer.tick(timedelta(seconds=seconds))

    client = FusionSolarClient(
        session, cloud.base_url, username="big", password="pw", sleep=sleep
    )
    plants = await client.async_get_plants()
    assert len(plants) == 150
    pages = sim.log.of("stations")
    assert [r.status for r in pages] == [200, 200]
    assert pages[1].at - pages[0].at >= timedelta(minutes=1)
    assert sim.refused_calls() == 0


async def test_plant_list_falls_back_to_the_old_interface(
    client: FusionSolarClient, sim: FusionSolarSimulator
) -> None:
    """Without the right to "stations" the older getStationList is used (MW)."""
    sim.accounts[DEMO_USER].denied.add("stations")
    plants = await client.async_get_plants()
    assert plants[0].code == HOME
    assert plants[0].capacity_kw == 9.0
    assert sim.log.count("getStationList") == 1


async def test_alarms(client: FusionSolarClient) -> None:
    """Alarms of the last days, per plant."""
    now = client.now()
    alarms = await client.async_get_alarms(
        [MATERNELLE, PUER], now - timedelta(days=30), now
    )
    assert {(a.plant_code, a.active) for a in alarms} == {
        (MATERNELLE, True),
        (PUER, True),
    }


async def test_batches_are_limited(client: FusionSolarClient) -> None:
    """More than 100 ids per call is a programming error, caught before sending."""
    with pytest.raises(ValueError, match="1 to 100"):
        await client.async_get_device_kpis(1, list(range(101)))


# Configuration and control ---------------------------------------------------------


async def test_control_queries(client: FusionSolarClient) -> None:
    """Battery mode and feed-in control are read per plant; 20609 is its own error."""
    mode = await client.async_get_battery_mode(HOME)
    assert mode.mode is BatteryMode.MAXIMUM_SELF_CONSUMPTION
    control = await client.async_get_power_control(HOME)
    assert control.mode is PowerControlMode.NO_LIMIT
    with pytest.raises(ControlNotSupportedError) as err:
        await client.async_get_battery_mode(MATERNELLE)
    assert err.value.reason == "control_not_supported"


@pytest.mark.freeze_time(NOON)
async def test_battery_mode_task_runs_then_succeeds(
    client: FusionSolarClient, sim: FusionSolarSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """A task is RUNNING until the plant confirms, then SUCCESS with the settings."""
    tou = BatteryModeSettings(
        mode=BatteryMode.TIME_OF_USE,
        pv_surplus=PvSurplus.CHARGE,
        max_grid_charge_power=3.0,
        windows=(
            TimeWindow.from_api(
                {
                    "startTime": "00:00",
                    "endTime": "06:00",
                    "chargeOrDischarge": "charge",
                    "repeat": [1, 2, 3, 4, 5],
                }
            )
            or _fail(),
        ),
    )
    delivery = await client.async_deliver_task(HOME, tou)
    assert delivery.status is TaskStatus.RUNNING
    assert len(delivery.task_id) == 16
    info = await client.async_get_task(TaskType.BATTERY_MODE, delivery.task_id, HOME)
    assert info.status is TaskStatus.RUNNING
    assert info.ended is None
    freezer.tick(sim.task_delay)
    info = await client.async_get_task(TaskType.BATTERY_MODE, delivery.task_id, HOME)
    assert info.status is TaskStatus.SUCCESS
    assert BatteryModeSettings.from_api(info.result) == tou
    mode = await client.async_get_battery_mode(HOME)
    assert mode == tou


async def test_second_task_while_one_runs_is_refused(
    client: FusionSolarClient, sim: FusionSolarSimulator
) -> None:
    """The service refuses a task for a plant that still runs one (BUSY)."""
    settings = PowerControlSettings(
        mode=PowerControlMode.LIMITED_KW,
        limitation=LimitationMode.TOTAL,
        max_feed_in=2.5,
    )
    first = await client.async_deliver_task(HOME, settings)
    assert first.status is TaskStatus.RUNNING
    second = await client.async_deliver_task(HOME, settings)
    assert second.status is TaskStatus.FAIL
    assert second.message == "BUSY"


@pytest.mark.parametrize("message", ["FAILURE", "TIMEOUT", "BUSY"])
async def test_task_failure(
    client: FusionSolarClient, sim: FusionSolarSimulator, message: str
) -> None:
    """A task the plant refuses ends FAIL with the reason."""
    sim.task_delay = timedelta()
    sim.fail_next_task(HOME, message)
    delivery = await client.async_deliver_task(
        HOME, BatteryConfiguration(end_of_charge_soc=95)
    )
    info = await client.async_get_task(
        TaskType.BATTERY_PARAMETERS, delivery.task_id, HOME
    )
    assert (info.status, info.message) == (TaskStatus.FAIL, message)


async def test_feed_in_limit_task(
    client: FusionSolarClient, sim: FusionSolarSimulator
) -> None:
    """A kW limit per phase is delivered as the v2 codes and read back by name."""
    sim.task_delay = timedelta()
    settings = PowerControlSettings(
        mode=PowerControlMode.LIMITED_KW,
        limitation=LimitationMode.SINGLE_PHASE,
        max_feed_in=1.5,
    )
    delivery = await client.async_deliver_task(HOME, settings)
    body = sim.log.of("power_control_task")[0].body
    assert b'"controlMode": "6"' in body
    info = await client.async_get_task(TaskType.FEED_IN, delivery.task_id, HOME)
    assert PowerControlSettings.from_task_api(info.result) == settings
    assert await client.async_get_power_control(HOME) == settings


async def test_invalid_task_is_refused_at_delivery(client: FusionSolarClient) -> None:
    """A plant without a battery refuses battery tasks (failCode 2, per plant)."""
    delivery = await client.async_deliver_task(
        PUER.replace("BA", "XX"), BatteryConfiguration(end_of_charge_soc=95)
    )
    assert delivery.status is TaskStatus.FAIL


async def test_task_answers_without_what_is_needed(
    client: FusionSolarClient, sim: FusionSolarSimulator
) -> None:
    """A delivery without taskId or a task-info without the plant is an error."""
    sim.faults.add(
        "battery_config_task",
        body=b'{"success": true, "failCode": 0, "data": {}}',
        times=1,
    )
    with pytest.raises(ApiResponseError):
        await client.async_deliver_task(
            HOME, BatteryConfiguration(end_of_charge_soc=95)
        )
    with pytest.raises(ApiResponseError):
        await client.async_get_task(TaskType.BATTERY_PARAMETERS, "nope", HOME)
    sim.faults.add(
        "battery_config_task",
        body=b'{"success": true, "failCode": 0, "data": {"taskId": "1234567890123456", "result": []}}',
    )
    delivery = await client.async_deliver_task(
        HOME, BatteryConfiguration(end_of_charge_soc=95)
    )
    assert delivery.status is TaskStatus.RUNNING
    sim.faults.add(
        "battery_config_task_info",
        body=b'{"success": true, "failCode": 0, "data": {"dispatchResult": [{"plantCode": "NE=35436844", "status": "?"}]}}',
    )
    with pytest.raises(ApiResponseError):
        await client.async_get_task(TaskType.BATTERY_PARAMETERS, delivery.task_id, HOME)


@pytest.mark.freeze_time(NOON)
async def test_forced_charge_and_stop(
    client: FusionSolarClient, sim: FusionSolarSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """A forced charge runs for its duration; stop ends it."""
    delivery = await client.async_deliver_charge_discharge(
        HOME, switch=ChargeDischargeSwitch.CHARGE, power=3000, minutes=30
    )
    assert delivery.accepted
    status = await client.async_get_charge_discharge_status(delivery.request_id, HOME)
    assert status is not None
    assert status.status is DispatchStatus.RUNNING
    freezer.tick(timedelta(minutes=31))
    status = await client.async_get_charge_discharge_status(delivery.request_id, HOME)
    assert status is not None
    assert status.status is DispatchStatus.DONE
    by_soc = await client.async_deliver_charge_discharge(
        HOME, switch=ChargeDischargeSwitch.DISCHARGE, power=-2000, target_soc=20
    )
    assert by_soc.accepted
    assert b'"controlType": 1' in sim.log.of("charge_discharge_task")[-1].body
    stop = await client.async_deliver_charge_discharge(
        HOME, switch=ChargeDischargeSwitch.STOP
    )
    assert stop.accepted
    assert sim.plant(HOME).forced is None
    # Maternelle has no battery.
    refused = await client.async_deliver_charge_discharge(
        MATERNELLE, switch=ChargeDischargeSwitch.CHARGE, power=1000, minutes=10
    )
    assert not refused.accepted
    assert (
        await client.async_get_charge_discharge_status(refused.request_id, MATERNELLE)
        is None
    )


def _fail() -> TimeWindow:
    raise AssertionError
