"""Reading the API's loosely typed values into models."""

from __future__ import annotations

from datetime import UTC, datetime, time
import json
from typing import Any

import pytest

from custom_components.solar_cloud.api.fusionsolar.const import (
    BatteryMode,
    LimitationMode,
    PowerControlMode,
    TaskStatus,
)
from custom_components.solar_cloud.api.fusionsolar.models import (
    SETTINGS_OF_TASK,
    Alarm,
    BatteryConfiguration,
    BatteryKpi,
    BatteryModeSettings,
    ChargeDischargeDelivery,
    ChargeDischargeStatus,
    ControlSettings,
    Device,
    InverterKpi,
    MeterKpi,
    Plant,
    PlantKpi,
    PlantsAndDevices,
    PowerControlSettings,
    TaskDelivery,
    TaskInfo,
    TimeWindow,
    device_kpi_from_api,
)
from custom_components.solar_cloud.api.fusionsolar.values import (
    as_datetime_iso,
    as_datetime_ms,
    as_dict,
    as_float,
    as_int,
    as_list,
    as_str,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, 1.0),
        ("345732.000", 345732.0),
        (" 17543 ", 17543.0),
        ("N/A", None),
        ("", None),
        (None, None),
        (True, None),
        ("nan", None),
        ([1], None),
    ],
)
def test_as_float(value: Any, expected: float | None) -> None:
    """Numbers arrive as numbers, strings, null or "N/A"."""
    assert as_float(value) == expected


def test_other_values() -> None:
    """Ints, strings, times, objects and arrays."""
    assert as_int("512.0") == 512
    assert as_int(2.5) is None
    assert as_str({"a": 1}) is None
    assert as_str("  ") is None
    assert as_datetime_ms(1665642954000) == datetime(
        2022, 10, 13, 6, 35, 54, tzinfo=UTC
    )
    assert as_datetime_ms("N/A") is None
    assert as_datetime_ms(1e30) is None
    assert as_datetime_iso("2023-03-31T09:56:55+01:00") is not None
    assert as_datetime_iso("2023-03-31T09:56:55") == datetime(
        2023, 3, 31, 9, 56, 55, tzinfo=UTC
    )
    assert as_datetime_iso("yesterday") is None
    assert as_datetime_iso(None) is None
    assert as_dict([]) == {}
    assert as_list({}) == []


def test_items_without_their_identity_are_skipped() -> None:
    """An item without plant code or device id cannot be used."""
    assert Plant.from_api({"plantName": "x"}) is None
    assert Plant.from_legacy_api({"stationName": "x"}) is None
    assert PlantKpi.from_api({"dataItemMap": {}}) is None
    assert Device.from_api({"id": 1, "devTypeId": 1}) is None
    assert Alarm.from_api({"alarmId": 1}) is None
    assert device_kpi_from_api(62, {}) is None


def test_plant_from_the_redacted_capture() -> None:
    """Empty strings where a real plant has values."""
    plant = Plant.from_api(
        {
            "capacity": 18,
            "latitude": "",
            "longitude": "",
            "plantCode": "NE=1",
            "plantName": "",
        }
    )
    assert plant == Plant(code="NE=1", name="NE=1", capacity_kw=18.0)


def test_inverter_states_and_strings() -> None:
    """Unknown states become None; strings report what is connected."""
    kpi = InverterKpi.from_api(
        {
            "inverter_state": 9999,
            "pv1_u": 350.4,
            "pv1_i": 0.26,
            "pv2_u": 0.0,
            "pv2_i": None,
        }
    )
    assert kpi.state is None
    assert kpi.strings[1].in_use
    assert not kpi.strings[2].in_use


def test_battery_and_meter_signs() -> None:
    """Battery power is positive while charging; meter power while exporting."""
    battery = BatteryKpi.from_api({"ch_discharge_power": -1200, "battery_status": 7})
    assert battery.power == -1200
    assert battery.status is None
    meter = MeterKpi.from_api(47, {"active_power": -1537})
    assert (meter.import_power, meter.export_power) == (1537, 0)
    assert MeterKpi.from_api(47, {}).import_power is None
    assert MeterKpi.from_api(47, {}).export_power is None
    assert MeterKpi.from_api(23070, {"active_power": 0.074}).power == 74.0


def test_time_windows() -> None:
    """Windows read and written as HH:MM with ISO weekdays."""
    window = TimeWindow.from_api(
        {
            "startTime": "22:00",
            "endTime": "00:00",
            "chargeOrDischarge": "discharge",
            "repeat": [8, "6", 7],
        }
    )
    assert window == TimeWindow(start=time(22), end=time(0), charge=False, days=(6, 7))
    assert window.minutes() == (22 * 60, 24 * 60)
    assert TimeWindow.from_api({"startTime": "25:00", "endTime": "01:00"}) is None
    assert TimeWindow.from_api(
        {"startTime": "01:00", "endTime": "02:00"}
    ) == TimeWindow(start=time(1), end=time(2), charge=True)


def test_settings_the_api_cannot_name() -> None:
    """Modes this client does not know are "other"; missing ones None."""
    assert (
        BatteryModeSettings.from_api({"operationMode": "newMode"}).mode
        is BatteryMode.OTHER
    )
    assert BatteryModeSettings.from_api({}).mode is None
    assert (
        PowerControlSettings.from_api({"controlMode": "x"}).mode
        is PowerControlMode.OTHER
    )
    settings = PowerControlSettings.from_api(
        {
            "controlMode": "limitedPowerGridKW",
            "limitedPowerGridValueParam": {
                "limitationMode": "singlePhasePower",
                "maxGridFeedInPowerValue": "3.5",
            },
        }
    )
    assert settings.limitation is LimitationMode.SINGLE_PHASE
    assert settings.max_feed_in == 3.5
    assert PowerControlSettings.from_task_api({"controlMode": "0"}).mode is (
        PowerControlMode.NO_LIMIT
    )
    assert PowerControlSettings(mode=PowerControlMode.NO_LIMIT).to_task_api("p") == {
        "plantCode": "p",
        "controlMode": "0",
    }


def test_battery_configuration_in_either_case() -> None:
    """One client models the task info in snake_case; both are read."""
    assert BatteryConfiguration.from_api(
        {"end_of_charge_soc": 95, "maximumDischargePower": "2500"}
    ) == BatteryConfiguration(end_of_charge_soc=95, max_discharge_power=2500)


def test_charge_discharge_status() -> None:
    """0 done, 1 running, 2 failed; others unknown."""
    assert ChargeDischargeStatus.from_api({"status": 2}).status is not None
    assert ChargeDischargeStatus.from_api({"status": 9}).status is None
    assert ChargeDischargeStatus.from_api({}).status is None


def test_task_answers() -> None:
    """A plant's share of a task answer; a plant the answer leaves out is still running."""
    delivered = {"taskId": "t1", "result": [{"plantCode": "NE=1", "status": "fail"}]}
    assert TaskDelivery.from_api(delivered, "NE=1") == TaskDelivery(
        task_id="t1", status=TaskStatus.FAIL
    )
    assert TaskDelivery.from_api(delivered, "NE=2") == TaskDelivery(
        task_id="t1", status=TaskStatus.RUNNING
    )
    assert TaskDelivery.from_api({"result": []}, "NE=1") is None

    info = {
        "startTime": "2026-06-21T12:00:00+02:00",
        "dispatchResult": [
            {"plantCode": "NE=2", "status": "SUCCESS"},
            {"plantCode": "NE=1", "status": "SUCCESS", "controlMode": "0"},
        ],
    }
    task = TaskInfo.from_api(info, "t1", "NE=1")
    assert task is not None
    assert task.started == datetime(2026, 6, 21, 10, tzinfo=UTC)
    assert task.confirmed_power_control == PowerControlSettings(
        mode=PowerControlMode.NO_LIMIT
    )
    other = TaskInfo.from_api(info, "t1", "NE=2")
    assert other is not None
    assert other.confirmed_power_control is None
    unknown = {"dispatchResult": [{"plantCode": "NE=1", "status": "queued"}]}
    assert TaskInfo.from_api(unknown, "t1", "NE=1") is None
    assert TaskInfo.from_api({}, "t1", "NE=1") is None

    dispatched = {
        "requestID": 7,
        "result": [{"plantCode": "NE=1", "dispatchResult": 1}],
    }
    assert ChargeDischargeDelivery.from_api(dispatched, "NE=1") == (
        ChargeDischargeDelivery(request_id=7, accepted=False)
    )
    assert ChargeDischargeDelivery.from_api(dispatched, "NE=2") == (
        ChargeDischargeDelivery(request_id=7, accepted=True)
    )
    assert ChargeDischargeDelivery.from_api({}, "NE=1") is None


# Kept over restarts -------------------------------------------------------------


def test_inventory_round_trips_through_storage() -> None:
    """Plants and devices come back equal from plain (JSON) data."""
    inventory = PlantsAndDevices(
        plants=(
            Plant(
                code="NE=1",
                name="Home",
                address="Street 1",
                capacity_kw=9.5,
                latitude=49.9,
                longitude=8.2,
                grid_connected=datetime(2022, 1, 17, 8, 0, tzinfo=UTC),
            ),
            Plant(code="NE=2", name="Barn"),
        ),
        devices=(
            Device(
                id=-214543629611879,
                name="Inverter",
                plant_code="NE=1",
                type_id=38,
                serial="HV1",
                model="SUN2000-10KTL-M1",
                software_version="V100R001C00SPC141",
            ),
            Device(id=7, name="Meter", plant_code="NE=2", type_id=47),
        ),
    )
    stored = json.loads(json.dumps(inventory.as_dict()))
    assert PlantsAndDevices.from_dict(stored) == inventory
    assert inventory.size.plants == 2
    assert inventory.size.devices == {38: 1, 47: 1}


@pytest.mark.parametrize(
    "stored",
    [
        None,
        {"plants": []},
        {"plants": "NE=1", "devices": []},
        {"plants": [{"code": "NE=1"}], "devices": []},
        {"plants": [{"code": None, "name": "x"}], "devices": []},
        {"plants": [], "devices": [{"id": "one", "name": "x", "plant_code": "p"}]},
        {"plants": [], "devices": [{"id": 1, "type_id": 1, "name": "x"}]},
    ],
)
def test_unreadable_inventory_is_refused_whole(stored: Any) -> None:
    """An inventory missing a plant or a device would remove it: all or nothing."""
    with pytest.raises(ValueError):
        PlantsAndDevices.from_dict(stored)


@pytest.mark.parametrize(
    ("settings", "kept"),
    [
        (
            BatteryModeSettings(mode=BatteryMode.TIME_OF_USE, max_grid_charge_power=3),
            BatteryModeSettings(mode=BatteryMode.TIME_OF_USE),
        ),
        (
            PowerControlSettings(
                mode=PowerControlMode.LIMITED_KW,
                limitation=LimitationMode.SINGLE_PHASE,
                max_feed_in=4.5,
            ),
            None,
        ),
        (PowerControlSettings(mode=PowerControlMode.NO_LIMIT), None),
        (BatteryConfiguration(end_of_charge_soc=95, max_charge_power=2500), None),
    ],
)
def test_control_settings_stored(
    settings: ControlSettings, kept: ControlSettings | None
) -> None:
    """A followed task's settings read back as stored, through JSON (the mode only of a battery mode)."""
    stored = json.loads(json.dumps(settings.to_stored()))
    assert SETTINGS_OF_TASK[settings.task_type].from_stored(stored) == (
        kept or settings
    )


@pytest.mark.parametrize(
    ("kind", "stored", "error"),
    [
        (BatteryModeSettings, {"mode": None}, ValueError),
        (PowerControlSettings, {}, KeyError),
        (BatteryConfiguration, {"colour": "blue"}, TypeError),
    ],
)
def test_control_settings_stored_wrongly(
    kind: type[ControlSettings], stored: dict[str, Any], error: type[Exception]
) -> None:
    """What is not stored settings raises what resuming a task expects."""
    with pytest.raises(error):
        kind.from_stored(stored)
