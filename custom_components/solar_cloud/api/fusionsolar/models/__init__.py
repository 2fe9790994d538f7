"""Typed models of what the Northbound API returns.

Every ``from_api`` takes the JSON of one item as the API sends it and returns
a model with plain Python values in fixed units, or None when the item lacks
what identifies it. Unknown or unreadable values become None.

The models of the inventory (plants, devices) also turn into plain data and
back (``as_dict``/``from_dict``), for the copy kept over restarts.
"""

from .alarms import Alarm
from .controls import (
    SETTINGS_OF_TASK,
    BatteryConfiguration,
    BatteryModeSettings,
    ChargeDischargeDelivery,
    ChargeDischargeStatus,
    ControlSettings,
    DispatchStatus,
    PowerControlSettings,
    TaskDelivery,
    TaskInfo,
    TaskType,
    TimeWindow,
)
from .inventory import Device, Plant, PlantPage, PlantsAndDevices
from .real_time import (
    INVERTER_STATES,
    BatteryKpi,
    BatteryStatus,
    BatteryWorkingMode,
    DeviceKpi,
    EmiKpi,
    HealthState,
    InverterKpi,
    MeterKpi,
    PlantKpi,
    PvString,
    device_kpi_from_api,
)

__all__ = [
    "INVERTER_STATES",
    "SETTINGS_OF_TASK",
    "Alarm",
    "BatteryConfiguration",
    "BatteryKpi",
    "BatteryModeSettings",
    "BatteryStatus",
    "BatteryWorkingMode",
    "ChargeDischargeDelivery",
    "ChargeDischargeStatus",
    "ControlSettings",
    "Device",
    "DeviceKpi",
    "DispatchStatus",
    "EmiKpi",
    "HealthState",
    "InverterKpi",
    "MeterKpi",
    "Plant",
    "PlantKpi",
    "PlantPage",
    "PlantsAndDevices",
    "PowerControlSettings",
    "PvString",
    "TaskDelivery",
    "TaskInfo",
    "TaskType",
    "TimeWindow",
    "device_kpi_from_api",
]
