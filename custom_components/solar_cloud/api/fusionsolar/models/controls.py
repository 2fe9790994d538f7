"""Control settings of a plant, and the tasks that change them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from enum import StrEnum
from typing import Any, ClassVar

from ..const import BatteryMode, LimitationMode, PowerControlMode, PvSurplus, TaskStatus
from ..values import (
    as_code,
    as_datetime_iso,
    as_dict,
    as_enum,
    as_float,
    as_int,
    as_list,
    as_str,
    read_items,
)


def _mode[E: StrEnum](kind: type[E], value: Any, other: E) -> E | None:
    """Return the mode ``value`` names: ``other`` for one not known here."""
    if value is None:
        return None
    mode = as_enum(kind, value)
    return other if mode is None else mode


@dataclass(frozen=True, kw_only=True)
class TimeWindow:
    """A charge or discharge window of the time-of-use battery mode."""

    start: time
    end: time
    charge: bool
    """True: charge in the window; False: discharge."""
    days: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7)
    """ISO weekdays (1 Monday … 7 Sunday) the window repeats on."""

    def to_api(self) -> dict[str, Any]:
        """Return the window as the battery-mode task takes it."""
        return {
            "startTime": self.start.strftime("%H:%M"),
            "endTime": self.end.strftime("%H:%M"),
            "chargeOrDischarge": "charge" if self.charge else "discharge",
            "repeat": list(self.days),
        }

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> TimeWindow | None:
        """Read a window of the battery-mode query or task info."""
        try:
            start = time.fromisoformat(str(data.get("startTime")))
            end = time.fromisoformat(str(data.get("endTime")))
        except ValueError:
            return None
        days = tuple(
            day
            for day in (as_int(value) for value in as_list(data.get("repeat")))
            if day is not None and 1 <= day <= 7
        )
        return cls(
            start=start,
            end=end,
            charge=data.get("chargeOrDischarge") != "discharge",
            days=days or (1, 2, 3, 4, 5, 6, 7),
        )

    def minutes(self) -> tuple[int, int]:
        """Return start and end as minutes of the day (end 0 means midnight)."""
        end = self.end.hour * 60 + self.end.minute
        return self.start.hour * 60 + self.start.minute, end or 24 * 60


class TaskType(StrEnum):
    """The kinds of control task; a plant runs one of each kind at a time."""

    BATTERY_MODE = "battery_mode"
    BATTERY_PARAMETERS = "battery_parameters"
    FEED_IN = "feed_in"


@dataclass(frozen=True, kw_only=True)
class BatteryModeSettings:
    """The battery working mode of a plant, with its time-of-use parameters."""

    task_type: ClassVar[TaskType] = TaskType.BATTERY_MODE

    mode: BatteryMode | None
    pv_surplus: PvSurplus | None = None
    max_grid_charge_power: float | None = None
    """kW the battery may charge from the grid (time-of-use)."""
    windows: tuple[TimeWindow, ...] = ()

    def to_task_api(self, plant_code: str) -> dict[str, Any]:
        """Return the task of setting this mode on a plant."""
        task: dict[str, Any] = {"plantCode": plant_code, "operationMode": self.mode}
        if self.pv_surplus is not None:
            task["redundantPVEnergyPriority"] = self.pv_surplus
        if self.max_grid_charge_power is not None:
            task["allowedAcChargePower"] = self.max_grid_charge_power
        if self.windows:
            task["chargingAndDischargingTimeWindow"] = [
                window.to_api() for window in self.windows
            ]
        return task

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> BatteryModeSettings:
        """Read the battery-mode query (TOU details nested) or a task result."""
        details = as_dict(data.get("touOperationModeParamDetail")) or data
        return cls(
            mode=_mode(BatteryMode, data.get("operationMode"), BatteryMode.OTHER),
            pv_surplus=as_enum(PvSurplus, details.get("redundantPVEnergyPriority")),
            max_grid_charge_power=as_float(details.get("allowedAcChargePower")),
            windows=tuple(
                read_items(
                    details.get("chargingAndDischargingTimeWindow"), TimeWindow.from_api
                )
            ),
        )

    def to_stored(self) -> dict[str, Any]:
        """Return what a task followed over a restart keeps of it: the mode."""
        return {"mode": None if self.mode is None else self.mode.value}

    @classmethod
    def from_stored(cls, data: Mapping[str, Any]) -> BatteryModeSettings:
        """Read what :meth:`to_stored` returned (ValueError, KeyError if not)."""
        return cls(mode=BatteryMode(data["mode"]))


@dataclass(frozen=True, kw_only=True)
class PowerControlSettings:
    """How a plant's inverters limit the power fed into the grid."""

    task_type: ClassVar[TaskType] = TaskType.FEED_IN

    mode: PowerControlMode | None
    limitation: LimitationMode | None = None
    max_feed_in: float | None = None
    """kW (limited feed-in)."""
    max_feed_in_percent: float | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> PowerControlSettings:
        """Read the active-power-control-mode query."""
        params = (
            as_dict(data.get("limitedPowerGridValueParam"))
            or as_dict(data.get("limitedPowerGridPercentParam"))
            or as_dict(data.get("zeroExportLimitationParam"))
        )
        return cls(
            mode=_mode(
                PowerControlMode, data.get("controlMode"), PowerControlMode.OTHER
            ),
            limitation=as_enum(LimitationMode, params.get("limitationMode")),
            max_feed_in=as_float(params.get("maxGridFeedInPowerValue")),
            max_feed_in_percent=as_float(params.get("maxGridFeedInPowerPercent")),
        )

    def to_stored(self) -> dict[str, Any]:
        """Return what a task followed over a restart keeps of it (plain data)."""
        return {
            "mode": None if self.mode is None else self.mode.value,
            "limitation": None if self.limitation is None else self.limitation.value,
            "max_feed_in": self.max_feed_in,
        }

    @classmethod
    def from_stored(cls, data: Mapping[str, Any]) -> PowerControlSettings:
        """Read what :meth:`to_stored` returned (ValueError, KeyError if not)."""
        limitation = data.get("limitation")
        return cls(
            mode=PowerControlMode(data["mode"]),
            limitation=None if limitation is None else LimitationMode(limitation),
            max_feed_in=data.get("max_feed_in"),
        )

    @classmethod
    def from_task_api(cls, data: Mapping[str, Any]) -> PowerControlSettings:
        """Read the settings of a v2 active-power-control task ("0" or "6")."""
        info = as_dict(data.get("controlInfo"))
        if str(data.get("controlMode")) == "0":
            return cls(mode=PowerControlMode.NO_LIMIT)
        limitation = str(info.get("limitationMode", "0"))
        return cls(
            mode=PowerControlMode.LIMITED_KW,
            limitation=(
                LimitationMode.SINGLE_PHASE
                if limitation == "1"
                else LimitationMode.TOTAL
            ),
            max_feed_in=as_float(info.get("maxGridFeedInPower")),
        )

    def to_task_api(self, plant_code: str) -> dict[str, Any]:
        """Return the v2 task setting this limit (only no limit or kW)."""
        if self.mode is not PowerControlMode.LIMITED_KW:
            return {"plantCode": plant_code, "controlMode": "0"}
        return {
            "plantCode": plant_code,
            "controlMode": "6",
            "controlInfo": {
                "maxGridFeedInPower": self.max_feed_in,
                "limitationMode": (
                    "1" if self.limitation is LimitationMode.SINGLE_PHASE else "0"
                ),
            },
        }


@dataclass(frozen=True, kw_only=True)
class BatteryConfiguration:
    """Plant-level battery parameters (any may be left out of a task)."""

    task_type: ClassVar[TaskType] = TaskType.BATTERY_PARAMETERS

    end_of_charge_soc: float | None = None
    end_of_discharge_soc: float | None = None
    max_charge_power: float | None = None
    """W."""
    max_discharge_power: float | None = None
    """W."""

    def to_api(self) -> dict[str, float]:
        """Return the parameters that are set, as the task takes them."""
        values = {
            "endOfChargeSoc": self.end_of_charge_soc,
            "endOfDischargeSoc": self.end_of_discharge_soc,
            "maximumChargePower": self.max_charge_power,
            "maximumDischargePower": self.max_discharge_power,
        }
        return {key: value for key, value in values.items() if value is not None}

    def to_task_api(self, plant_code: str) -> dict[str, Any]:
        """Return the task of setting these parameters on a plant."""
        return {"plantCode": plant_code, "batteryConfigurationInfo": self.to_api()}

    def to_stored(self) -> dict[str, Any]:
        """Return what a task followed over a restart keeps of it (plain data)."""
        return dict(vars(self))

    @classmethod
    def from_stored(cls, data: Mapping[str, Any]) -> BatteryConfiguration:
        """Read what :meth:`to_stored` returned (TypeError if it is not)."""
        return cls(**data)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> BatteryConfiguration:
        """Read ``batteryConfigurationInfo`` (camelCase, or snake_case as some send)."""

        def value(camel: str, snake: str) -> float | None:
            return as_float(data.get(camel, data.get(snake)))

        return cls(
            end_of_charge_soc=value("endOfChargeSoc", "end_of_charge_soc"),
            end_of_discharge_soc=value("endOfDischargeSoc", "end_of_discharge_soc"),
            max_charge_power=value("maximumChargePower", "maximum_charge_power"),
            max_discharge_power=value(
                "maximumDischargePower", "maximum_discharge_power"
            ),
        )


type ControlSettings = BatteryModeSettings | PowerControlSettings | BatteryConfiguration
"""The settings a control task changes."""

SETTINGS_OF_TASK: Mapping[TaskType, type[ControlSettings]] = {
    settings.task_type: settings
    for settings in (BatteryModeSettings, PowerControlSettings, BatteryConfiguration)
}


def _task_status(value: Any) -> TaskStatus | None:
    try:
        return TaskStatus(str(value).upper())
    except ValueError:
        return None


@dataclass(frozen=True, kw_only=True)
class TaskDelivery:
    """The answer to delivering a control task to one plant."""

    task_id: str
    status: TaskStatus
    message: str | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any], plant_code: str) -> TaskDelivery | None:
        """Read the plant's result of a delivered task; None without ``taskId``.

        A plant missing from the result is taken to be RUNNING.
        """
        if (task_id := as_str(data.get("taskId"))) is None:
            return None
        for item in as_list(data.get("result")):
            result = as_dict(item)
            if result.get("plantCode") == plant_code:
                return cls(
                    task_id=task_id,
                    status=_task_status(result.get("status")) or TaskStatus.RUNNING,
                    message=as_str(result.get("message")),
                )
        return cls(task_id=task_id, status=TaskStatus.RUNNING)


@dataclass(frozen=True, kw_only=True)
class TaskInfo:
    """The state of a control task at one plant."""

    task_id: str
    status: TaskStatus
    message: str | None = None
    """Why it failed (:class:`..const.TaskFailure`)."""
    started: datetime | None = None
    ended: datetime | None = None
    result: Mapping[str, Any] = field(default_factory=dict)
    """The plant's entry of ``dispatchResult`` (the settings it carries)."""

    @property
    def confirmed_power_control(self) -> PowerControlSettings | None:
        """Return the feed-in limit a power-control task reports, if it does."""
        if "controlMode" not in self.result:
            return None
        return PowerControlSettings.from_task_api(self.result)

    @classmethod
    def from_api(
        cls, data: Mapping[str, Any], task_id: str, plant_code: str
    ) -> TaskInfo | None:
        """Read the plant's entry of a task-info answer; None if it has no known state."""
        for item in as_list(data.get("dispatchResult")):
            result = as_dict(item)
            if result.get("plantCode", plant_code) != plant_code:
                continue
            if (status := _task_status(result.get("status"))) is None:
                return None
            return cls(
                task_id=task_id,
                status=status,
                message=as_str(result.get("message")),
                started=as_datetime_iso(data.get("startTime")),
                ended=as_datetime_iso(data.get("endTime")),
                result=result,
            )
        return None


class DispatchStatus(StrEnum):
    """State of a forced charge or discharge at a plant."""

    DONE = "done"
    RUNNING = "running"
    FAILED = "failed"


_DISPATCH_STATUSES = dict(enumerate(DispatchStatus))


@dataclass(frozen=True, kw_only=True)
class ChargeDischargeDelivery:
    """The answer to delivering a forced charge or discharge to one plant."""

    request_id: int
    accepted: bool
    description: str | None = None

    @classmethod
    def from_api(
        cls, data: Mapping[str, Any], plant_code: str
    ) -> ChargeDischargeDelivery | None:
        """Read the plant's result of the task; None without ``requestID``.

        A plant missing from the result is taken to have accepted.
        """
        if (request_id := as_int(data.get("requestID"))) is None:
            return None
        for item in as_list(data.get("result")):
            result = as_dict(item)
            if result.get("plantCode") == plant_code:
                return cls(
                    request_id=request_id,
                    accepted=as_int(result.get("dispatchResult")) == 0,
                    description=as_str(result.get("description")),
                )
        return cls(request_id=request_id, accepted=True)


@dataclass(frozen=True, kw_only=True)
class ChargeDischargeStatus:
    """Progress of a forced charge or discharge at one plant."""

    status: DispatchStatus | None
    charged: float | None = None
    """kWh."""
    discharged: float | None = None
    """kWh."""
    message: str | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> ChargeDischargeStatus:
        """Read an item of ``chargeAndDischargeStatus``."""
        return cls(
            status=as_code(data.get("status"), _DISPATCH_STATUSES),
            charged=as_float(data.get("chargedCapacity")),
            discharged=as_float(data.get("dischargedCapacity")),
            message=as_str(data.get("message")),
        )
