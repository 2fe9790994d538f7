"""The FusionSolar actions: feed-in limit and the battery (modes, parameters, forcing).

The battery actions are FusionSolar's own: their schemas and requests live
here. ``set_feed_in_limit`` is shared (``..actions.SET_FEED_IN_LIMIT``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import time, timedelta
from enum import StrEnum
import math
from typing import Any, Final

from homeassistant.core import ServiceResponse
from homeassistant.helpers import config_validation as cv
import probatio

from ..actions import (
    ATTR_DURATION,
    ATTR_MODE,
    ATTR_WAIT,
    SET_FEED_IN_LIMIT,
    TARGET_FIELDS,
    WAIT_FIELD,
    ActionSpec,
    ActionTarget,
    FeedInLimitMode,
    FeedInLimitRequest,
    FeedInLimitScope,
    invalid,
)
from ..api.fusionsolar.const import (
    BATTERY_TYPES,
    END_OF_CHARGE_SOC,
    END_OF_DISCHARGE_SOC,
    MAX_FORCED_MINUTES,
    MAX_GRID_CHARGE_POWER,
    MAX_TOU_WINDOWS,
    SETTABLE_BATTERY_MODES,
    BatteryMode,
    ChargeDischargeSwitch,
    LimitationMode,
    PowerControlMode,
    PvSurplus,
)
from ..api.fusionsolar.models import (
    BatteryConfiguration,
    BatteryModeSettings,
    PowerControlSettings,
    TimeWindow,
)
from .data import FusionSolarData

ATTR_WINDOWS = "windows"
ATTR_START = "start"
ATTR_END = "end"
ATTR_ACTION = "action"
ATTR_DAYS = "days"
ATTR_PV_SURPLUS = "pv_surplus"
ATTR_MAX_GRID_CHARGE_POWER = "max_grid_charge_power"
ATTR_END_OF_CHARGE_SOC = "end_of_charge_soc"
ATTR_END_OF_DISCHARGE_SOC = "end_of_discharge_soc"
ATTR_MAX_CHARGE_POWER = "max_charge_power"
ATTR_MAX_DISCHARGE_POWER = "max_discharge_power"
ATTR_POWER = "power"
ATTR_TARGET_SOC = "target_soc"


# Requests ----------------------------------------------------------------------


BATTERY_MODE_OPTIONS: Final[Mapping[BatteryMode, str]] = {
    BatteryMode.MAXIMUM_SELF_CONSUMPTION: "maximum_self_consumption",
    BatteryMode.TIME_OF_USE: "time_of_use",
    BatteryMode.THIRD_PARTY_DISPATCH: "third_party_dispatch",
    BatteryMode.FULLY_FED_TO_GRID: "fully_fed_to_grid",
    BatteryMode.OTHER: "other",
}
"""Battery working modes -> option keys of ``set_battery_mode`` and the select
(never rename); only ``SETTABLE_BATTERY_MODES`` can be set."""
PV_SURPLUS_OPTIONS: Final[Mapping[PvSurplus, str]] = {
    PvSurplus.FED_TO_GRID: "feed_in",
    PvSurplus.CHARGE: "charge",
}
"""Where surplus PV goes in time-of-use mode -> option keys (never rename)."""


def _option[ModeT](
    options: Mapping[ModeT, str], settable: Collection[ModeT] | None = None
) -> Callable[[Any], ModeT]:
    """Return a validator that turns the option key of a settable mode into it."""
    modes = {
        key: mode
        for mode, key in options.items()
        if settable is None or mode in settable
    }
    return probatio.All(probatio.In(list(modes)), modes.__getitem__)


class Weekday(StrEnum):
    """Days a time-of-use window repeats on (option keys: never rename)."""

    MONDAY = "mon"
    TUESDAY = "tue"
    WEDNESDAY = "wed"
    THURSDAY = "thu"
    FRIDAY = "fri"
    SATURDAY = "sat"
    SUNDAY = "sun"

    @property
    def iso(self) -> int:
        """Return the ISO weekday (1 Monday … 7 Sunday)."""
        return list(Weekday).index(self) + 1


@dataclass(frozen=True, kw_only=True)
class TouWindow:
    """A window of the time-of-use battery mode: charge or discharge."""

    start: time
    end: time
    """00:00 means midnight at the end of the day."""
    charge: bool
    days: tuple[Weekday, ...] = tuple(Weekday)

    def minutes(self) -> range:
        """Return the minutes of the day the window covers."""
        end = self.end.hour * 60 + self.end.minute or 24 * 60
        return range(self.start.hour * 60 + self.start.minute, end)


@dataclass(frozen=True, kw_only=True)
class BatteryModeRequest:
    """A battery working mode, as the ``set_battery_mode`` action takes it."""

    mode: BatteryMode
    windows: tuple[TouWindow, ...] = ()
    pv_surplus: PvSurplus | None = None
    max_grid_charge_power: float | None = None
    """kW the battery may charge from the grid (time-of-use)."""
    wait: bool = False


@dataclass(frozen=True, kw_only=True)
class BatteryParametersRequest:
    """Battery parameters (``set_battery_parameters``); None leaves one as it is."""

    end_of_charge_soc: float | None = None
    end_of_discharge_soc: float | None = None
    max_charge_power: float | None = None
    """W."""
    max_discharge_power: float | None = None
    """W."""
    wait: bool = False


class ForcedBatteryDirection(StrEnum):
    """Whether a forced battery task charges or discharges."""

    CHARGE = "charge"
    DISCHARGE = "discharge"


@dataclass(frozen=True, kw_only=True)
class ForcedBatteryRequest:
    """A forced charge or discharge until ``target_soc`` or for ``duration``."""

    direction: ForcedBatteryDirection
    power: float
    """W."""
    target_soc: float | None = None
    duration: timedelta | None = None


_PERCENT = probatio.All(probatio.Coerce(float), probatio.Range(min=0, max=100))
_WATTS = probatio.All(probatio.Coerce(float), probatio.Range(min=0, max=1_000_000))

TOU_WINDOW_SCHEMA = probatio.Schema(
    {
        probatio.Required(ATTR_START): cv.time,
        probatio.Required(ATTR_END): cv.time,
        probatio.Required(ATTR_ACTION): probatio.In(list(ForcedBatteryDirection)),
        probatio.Optional(ATTR_DAYS, default=list(Weekday)): probatio.All(
            cv.ensure_list, [probatio.Coerce(Weekday)], probatio.Length(min=1)
        ),
    }
)


def _battery_mode_request(data: Mapping[str, Any]) -> BatteryModeRequest:
    windows = tuple(
        TouWindow(
            start=window[ATTR_START],
            end=window[ATTR_END],
            charge=window[ATTR_ACTION] == ForcedBatteryDirection.CHARGE,
            days=tuple(dict.fromkeys(window[ATTR_DAYS])),
        )
        for window in data[ATTR_WINDOWS]
    )
    request = BatteryModeRequest(
        mode=data[ATTR_MODE],
        windows=windows,
        pv_surplus=data.get(ATTR_PV_SURPLUS),
        max_grid_charge_power=data.get(ATTR_MAX_GRID_CHARGE_POWER),
        wait=data.get(ATTR_WAIT, False),
    )
    if request.mode is not BatteryMode.TIME_OF_USE:
        if windows:
            raise invalid("battery_mode_windows_unexpected")
        return request
    if not windows:
        raise invalid("battery_mode_windows_missing")
    if len(windows) > MAX_TOU_WINDOWS:
        raise invalid("battery_mode_too_many_windows", maximum=str(MAX_TOU_WINDOWS))
    taken: set[tuple[Weekday, int]] = set()
    for window in windows:
        minutes = window.minutes()
        label = f"{window.start:%H:%M}-{window.end:%H:%M}"
        if not minutes:
            raise invalid("battery_mode_window_empty", window=label)
        covered = {(day, minute) for day in window.days for minute in minutes}
        if covered & taken:
            raise invalid("battery_mode_windows_overlap", window=label)
        taken |= covered
    return request


def _battery_parameters_request(data: Mapping[str, Any]) -> BatteryParametersRequest:
    request = BatteryParametersRequest(
        end_of_charge_soc=data.get(ATTR_END_OF_CHARGE_SOC),
        end_of_discharge_soc=data.get(ATTR_END_OF_DISCHARGE_SOC),
        max_charge_power=data.get(ATTR_MAX_CHARGE_POWER),
        max_discharge_power=data.get(ATTR_MAX_DISCHARGE_POWER),
        wait=data.get(ATTR_WAIT, False),
    )
    if all(value is None for name, value in vars(request).items() if name != ATTR_WAIT):
        raise invalid("battery_parameters_missing")
    return request


def _forced_battery_request(
    direction: ForcedBatteryDirection,
) -> Callable[[Mapping[str, Any]], ForcedBatteryRequest]:
    def request(data: Mapping[str, Any]) -> ForcedBatteryRequest:
        if data.get(ATTR_TARGET_SOC) is None and data.get(ATTR_DURATION) is None:
            raise invalid("forced_battery_end_missing")
        return ForcedBatteryRequest(
            direction=direction,
            power=data[ATTR_POWER],
            target_soc=data.get(ATTR_TARGET_SOC),
            duration=data.get(ATTR_DURATION),
        )

    return request


FORCE_BATTERY_SCHEMA = probatio.Schema(
    {
        **TARGET_FIELDS,
        probatio.Required(ATTR_POWER): _WATTS,
        probatio.Exclusive(ATTR_TARGET_SOC, "end"): _PERCENT,
        probatio.Exclusive(ATTR_DURATION, "end"): cv.positive_time_period,
    }
)

SET_BATTERY_MODE = ActionSpec(
    name="set_battery_mode",
    schema=probatio.Schema(
        {
            **TARGET_FIELDS,
            probatio.Required(ATTR_MODE): _option(
                BATTERY_MODE_OPTIONS, SETTABLE_BATTERY_MODES
            ),
            probatio.Optional(ATTR_WINDOWS, default=list): probatio.All(
                cv.ensure_list, [TOU_WINDOW_SCHEMA]
            ),
            probatio.Optional(ATTR_PV_SURPLUS): _option(PV_SURPLUS_OPTIONS),
            probatio.Optional(ATTR_MAX_GRID_CHARGE_POWER): probatio.All(
                probatio.Coerce(float), probatio.Range(min=0, max=1000)
            ),
            **WAIT_FIELD,
        }
    ),
    request=_battery_mode_request,
)
SET_BATTERY_PARAMETERS = ActionSpec(
    name="set_battery_parameters",
    schema=probatio.Schema(
        {
            **TARGET_FIELDS,
            probatio.Optional(ATTR_END_OF_CHARGE_SOC): _PERCENT,
            probatio.Optional(ATTR_END_OF_DISCHARGE_SOC): _PERCENT,
            probatio.Optional(ATTR_MAX_CHARGE_POWER): _WATTS,
            probatio.Optional(ATTR_MAX_DISCHARGE_POWER): _WATTS,
            **WAIT_FIELD,
        }
    ),
    request=_battery_parameters_request,
)
FORCE_BATTERY_CHARGE = ActionSpec(
    name="force_battery_charge",
    schema=FORCE_BATTERY_SCHEMA,
    request=_forced_battery_request(ForcedBatteryDirection.CHARGE),
)
FORCE_BATTERY_DISCHARGE = ActionSpec(
    name="force_battery_discharge",
    schema=FORCE_BATTERY_SCHEMA,
    request=_forced_battery_request(ForcedBatteryDirection.DISCHARGE),
)
STOP_FORCED_BATTERY = ActionSpec(
    name="stop_forced_battery",
    schema=probatio.Schema(TARGET_FIELDS),
    request=lambda _data: None,
)


# Handlers ----------------------------------------------------------------------


def _plant(data: FusionSolarData, target: ActionTarget) -> str:
    """Return the plant an action is for, given a plant, a device or the account."""
    if not data.controls_enabled:
        raise invalid("fusionsolar_controls_disabled", entry=data.entry.title)
    plants = data.plants
    if target.device_key is None:
        if len(plants) != 1:
            raise invalid("fusionsolar_plant_required", entry=data.entry.title)
        return next(iter(plants))
    if target.device_key in plants:
        return target.device_key
    for device in data.devices.values():
        if device.key == target.device_key:
            return device.plant_code
    raise invalid("invalid_device", device=target.device_key)


def _at_battery_plant[RequestT](
    handler: Callable[[FusionSolarData, str, RequestT], Awaitable[ServiceResponse]],
) -> Callable[[FusionSolarData, ActionTarget, RequestT], Awaitable[ServiceResponse]]:
    """Return ``handler`` run for the plant an action is for, which has a battery."""

    async def handle(
        data: FusionSolarData, target: ActionTarget, request: RequestT
    ) -> ServiceResponse:
        plant = _plant(data, target)
        if plant not in data.plants_with(BATTERY_TYPES):
            raise invalid("fusionsolar_no_battery", plant=data.plants[plant].name)
        return await handler(data, plant, request)

    return handle


async def _async_set_feed_in_limit(
    data: FusionSolarData, target: ActionTarget, request: FeedInLimitRequest
) -> ServiceResponse:
    """Limit the plant's feed-in in kW, in total or per phase, or lift it."""
    if request.percent_limit is not None:
        raise invalid("fusionsolar_percent_limit_unsupported")
    if request.duration is not None:
        raise invalid("fusionsolar_duration_unsupported")
    plant = _plant(data, target)
    if request.mode is FeedInLimitMode.NO_LIMIT:
        settings = PowerControlSettings(mode=PowerControlMode.NO_LIMIT)
    else:
        settings = PowerControlSettings(
            mode=PowerControlMode.LIMITED_KW,
            limitation=(
                LimitationMode.SINGLE_PHASE
                if request.scope is FeedInLimitScope.SINGLE_PHASE
                else LimitationMode.TOTAL
            ),
            max_feed_in=request.power_limit,
        )
    return await data.tasks.async_apply(plant, settings, wait=request.wait)


async def _async_set_battery_mode(
    data: FusionSolarData, plant: str, request: BatteryModeRequest
) -> ServiceResponse:
    """Set the plant's battery working mode (time-of-use with its windows)."""
    power = request.max_grid_charge_power
    if power is not None and power > MAX_GRID_CHARGE_POWER:
        raise invalid(
            "fusionsolar_grid_charge_power_too_high",
            maximum=f"{MAX_GRID_CHARGE_POWER:g}",
        )
    settings = BatteryModeSettings(
        mode=request.mode,
        pv_surplus=request.pv_surplus,
        max_grid_charge_power=power,
        windows=tuple(
            TimeWindow(
                start=window.start,
                end=window.end,
                charge=window.charge,
                days=tuple(sorted(day.iso for day in window.days)),
            )
            for window in request.windows
        ),
    )
    return await data.tasks.async_apply(plant, settings, wait=request.wait)


async def _async_set_battery_parameters(
    data: FusionSolarData, plant: str, request: BatteryParametersRequest
) -> ServiceResponse:
    """Set end-of-charge/-discharge SOC and the most charge/discharge power."""
    for name, value, (low, high) in (
        ("end_of_charge_soc", request.end_of_charge_soc, END_OF_CHARGE_SOC),
        ("end_of_discharge_soc", request.end_of_discharge_soc, END_OF_DISCHARGE_SOC),
    ):
        if value is not None and not low <= value <= high:
            raise invalid(
                "fusionsolar_soc_out_of_range",
                parameter=name,
                minimum=f"{low:g}",
                maximum=f"{high:g}",
            )
    configuration = BatteryConfiguration(
        end_of_charge_soc=request.end_of_charge_soc,
        end_of_discharge_soc=request.end_of_discharge_soc,
        max_charge_power=request.max_charge_power,
        max_discharge_power=request.max_discharge_power,
    )
    return await data.tasks.async_apply(plant, configuration, wait=request.wait)


async def _async_force_battery(
    data: FusionSolarData, plant: str, request: ForcedBatteryRequest
) -> ServiceResponse:
    """Force the plant's battery to charge or discharge."""
    minutes = None
    if request.duration is not None:
        minutes = max(1, math.ceil(request.duration.total_seconds() / 60))
        if minutes > MAX_FORCED_MINUTES:
            raise invalid(
                "fusionsolar_forced_too_long", maximum=f"{MAX_FORCED_MINUTES // 60}"
            )
    charge = request.direction is ForcedBatteryDirection.CHARGE
    power = round(request.power)
    return await data.tasks.async_force_battery(
        plant,
        switch=ChargeDischargeSwitch.CHARGE
        if charge
        else ChargeDischargeSwitch.DISCHARGE,
        power=power if charge else -power,
        target_soc=request.target_soc,
        minutes=minutes,
    )


async def _async_stop_forced_battery(
    data: FusionSolarData, plant: str, _request: None
) -> ServiceResponse:
    """End a forced charge or discharge."""
    return await data.tasks.async_force_battery(
        plant, switch=ChargeDischargeSwitch.STOP
    )


ACTIONS = (
    SET_FEED_IN_LIMIT.handled_by(_async_set_feed_in_limit),
    SET_BATTERY_MODE.handled_by(_at_battery_plant(_async_set_battery_mode)),
    SET_BATTERY_PARAMETERS.handled_by(_at_battery_plant(_async_set_battery_parameters)),
    FORCE_BATTERY_CHARGE.handled_by(_at_battery_plant(_async_force_battery)),
    FORCE_BATTERY_DISCHARGE.handled_by(_at_battery_plant(_async_force_battery)),
    STOP_FORCED_BATTERY.handled_by(_at_battery_plant(_async_stop_forced_battery)),
)
