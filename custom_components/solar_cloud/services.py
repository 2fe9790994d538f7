"""Actions of the integration, registered once for all entries.

Each action names its target by ``config_entry_id``, by ``device_id`` (a plant
or device of this integration) or both, and is carried out by the runtime data
of the target's entry, which knows its vendor.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import date, datetime, time, timedelta
from typing import Any

from homeassistant.const import ATTR_CONFIG_ENTRY_ID, ATTR_DEVICE_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.service import async_get_config_entry
from homeassistant.util import dt as dt_util
import probatio

from .actions import (
    ActionTarget,
    BatteryModeOption,
    BatteryModeRequest,
    BatteryParametersRequest,
    FeedInLimitMode,
    FeedInLimitRequest,
    FeedInLimitScope,
    ForcedBatteryDirection,
    ForcedBatteryRequest,
    PvSurplusOption,
    TouWindow,
    Weekday,
)
from .const import CONF_VENDOR, DOMAIN
from .history import MAX_HISTORY_DAYS
from .runtime import SolarCloudConfigEntry

SERVICE_SET_FEED_IN_LIMIT = "set_feed_in_limit"
SERVICE_SET_BATTERY_MODE = "set_battery_mode"
SERVICE_SET_BATTERY_PARAMETERS = "set_battery_parameters"
SERVICE_FORCE_BATTERY_CHARGE = "force_battery_charge"
SERVICE_FORCE_BATTERY_DISCHARGE = "force_battery_discharge"
SERVICE_STOP_FORCED_BATTERY = "stop_forced_battery"
SERVICE_IMPORT_HISTORY = "import_history"

ATTR_MODE = "mode"
ATTR_POWER_LIMIT = "power_limit"
ATTR_PERCENT_LIMIT = "percent_limit"
ATTR_SCOPE = "scope"
ATTR_DURATION = "duration"
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
ATTR_START_DATE = "start_date"
ATTR_END_DATE = "end_date"

MAX_TOU_WINDOWS = 14

TARGET_FIELDS: dict[probatio.Marker, Any] = {
    probatio.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
    probatio.Optional(ATTR_DEVICE_ID): cv.string,
}

SET_FEED_IN_LIMIT_SCHEMA = probatio.Schema(
    {
        **TARGET_FIELDS,
        probatio.Required(ATTR_MODE): probatio.Coerce(FeedInLimitMode),
        probatio.Exclusive(ATTR_POWER_LIMIT, "limit"): probatio.All(
            probatio.Coerce(float), probatio.Range(min=-1000, max=1000)
        ),
        probatio.Exclusive(ATTR_PERCENT_LIMIT, "limit"): probatio.All(
            probatio.Coerce(float), probatio.Range(min=0, max=100)
        ),
        probatio.Optional(ATTR_SCOPE, default=FeedInLimitScope.TOTAL): probatio.Coerce(
            FeedInLimitScope
        ),
        probatio.Optional(ATTR_DURATION): cv.positive_time_period,
    }
)


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

SET_BATTERY_MODE_SCHEMA = probatio.Schema(
    {
        **TARGET_FIELDS,
        probatio.Required(ATTR_MODE): probatio.Coerce(BatteryModeOption),
        probatio.Optional(ATTR_WINDOWS, default=list): probatio.All(
            cv.ensure_list, [TOU_WINDOW_SCHEMA]
        ),
        probatio.Optional(ATTR_PV_SURPLUS): probatio.Coerce(PvSurplusOption),
        probatio.Optional(ATTR_MAX_GRID_CHARGE_POWER): probatio.All(
            probatio.Coerce(float), probatio.Range(min=0, max=1000)
        ),
    }
)

SET_BATTERY_PARAMETERS_SCHEMA = probatio.Schema(
    {
        **TARGET_FIELDS,
        probatio.Optional(ATTR_END_OF_CHARGE_SOC): _PERCENT,
        probatio.Optional(ATTR_END_OF_DISCHARGE_SOC): _PERCENT,
        probatio.Optional(ATTR_MAX_CHARGE_POWER): _WATTS,
        probatio.Optional(ATTR_MAX_DISCHARGE_POWER): _WATTS,
    }
)

FORCE_BATTERY_SCHEMA = probatio.Schema(
    {
        **TARGET_FIELDS,
        probatio.Required(ATTR_POWER): _WATTS,
        probatio.Exclusive(ATTR_TARGET_SOC, "end"): _PERCENT,
        probatio.Exclusive(ATTR_DURATION, "end"): cv.positive_time_period,
    }
)

STOP_FORCED_BATTERY_SCHEMA = probatio.Schema(TARGET_FIELDS)

IMPORT_HISTORY_SCHEMA = probatio.Schema(
    {
        **TARGET_FIELDS,
        probatio.Required(ATTR_START_DATE): cv.date,
        probatio.Optional(ATTR_END_DATE): cv.date,
    }
)


def _device_key(
    device: dr.DeviceEntry | dr.ChildDeviceEntry, entry: SolarCloudConfigEntry
) -> str:
    prefix = f"{entry.data[CONF_VENDOR]}_"
    for domain, identifier in device.identifiers:
        if domain == DOMAIN and identifier.startswith(prefix):
            return identifier.removeprefix(prefix)
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="invalid_device",
        translation_placeholders={"device": device.name or device.id},
    )


@callback
def async_resolve_target(hass: HomeAssistant, call: ServiceCall) -> ActionTarget:
    """Return the entry and device an action call is for.

    Raises:
        ServiceValidationError: No target, an unknown or foreign device, an
            entry that is not loaded, or a device outside the given entry.

    """
    entry_id: str | None = call.data.get(ATTR_CONFIG_ENTRY_ID)
    device_id: str | None = call.data.get(ATTR_DEVICE_ID)
    if device_id is None:
        if entry_id is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="no_target"
            )
        return ActionTarget(
            entry=async_get_config_entry(hass, DOMAIN, entry_id), device_key=None
        )

    if (device := dr.async_get(hass).async_get(device_id)) is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_device",
            translation_placeholders={"device": device_id},
        )
    owner = hass.config_entries.async_get_entry(device.config_entry_id)
    if (
        owner is None
        or owner.domain != DOMAIN
        or entry_id not in (None, owner.entry_id)
    ):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_device",
            translation_placeholders={"device": device.name or device_id},
        )
    entry: SolarCloudConfigEntry = async_get_config_entry(hass, DOMAIN, owner.entry_id)
    return ActionTarget(entry=entry, device_key=_device_key(device, entry))


def _feed_in_limit_request(data: dict[str, Any]) -> FeedInLimitRequest:
    request = FeedInLimitRequest(
        mode=data[ATTR_MODE],
        power_limit=data.get(ATTR_POWER_LIMIT),
        percent_limit=data.get(ATTR_PERCENT_LIMIT),
        scope=data[ATTR_SCOPE],
        duration=data.get(ATTR_DURATION),
    )
    if request.mode is FeedInLimitMode.LIMITED and (
        request.power_limit is None and request.percent_limit is None
    ):
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="feed_in_limit_missing"
        )
    return request


async def _async_set_feed_in_limit(call: ServiceCall) -> ServiceResponse:
    target = async_resolve_target(call.hass, call)
    request = _feed_in_limit_request(call.data)
    return await target.entry.runtime_data.async_set_feed_in_limit(target, request)


def _invalid(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders or None,
    )


def _battery_mode_request(data: dict[str, Any]) -> BatteryModeRequest:
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
    )
    if request.mode is not BatteryModeOption.TIME_OF_USE:
        if windows:
            raise _invalid("battery_mode_windows_unexpected")
        return request
    if not windows:
        raise _invalid("battery_mode_windows_missing")
    if len(windows) > MAX_TOU_WINDOWS:
        raise _invalid("battery_mode_too_many_windows", maximum=str(MAX_TOU_WINDOWS))
    taken: set[tuple[Weekday, int]] = set()
    for window in windows:
        minutes = window.minutes()
        label = f"{window.start:%H:%M}-{window.end:%H:%M}"
        if not minutes:
            raise _invalid("battery_mode_window_empty", window=label)
        covered = {(day, minute) for day in window.days for minute in minutes}
        if covered & taken:
            raise _invalid("battery_mode_windows_overlap", window=label)
        taken |= covered
    return request


async def _async_set_battery_mode(call: ServiceCall) -> ServiceResponse:
    target = async_resolve_target(call.hass, call)
    request = _battery_mode_request(call.data)
    return await target.entry.runtime_data.async_set_battery_mode(target, request)


async def _async_set_battery_parameters(call: ServiceCall) -> ServiceResponse:
    target = async_resolve_target(call.hass, call)
    request = BatteryParametersRequest(
        end_of_charge_soc=call.data.get(ATTR_END_OF_CHARGE_SOC),
        end_of_discharge_soc=call.data.get(ATTR_END_OF_DISCHARGE_SOC),
        max_charge_power=call.data.get(ATTR_MAX_CHARGE_POWER),
        max_discharge_power=call.data.get(ATTR_MAX_DISCHARGE_POWER),
    )
    if all(value is None for value in vars(request).values()):
        raise _invalid("battery_parameters_missing")
    return await target.entry.runtime_data.async_set_battery_parameters(target, request)


def _forced_battery_request(
    data: dict[str, Any], direction: ForcedBatteryDirection
) -> ForcedBatteryRequest:
    if data.get(ATTR_TARGET_SOC) is None and data.get(ATTR_DURATION) is None:
        raise _invalid("forced_battery_end_missing")
    return ForcedBatteryRequest(
        direction=direction,
        power=data[ATTR_POWER],
        target_soc=data.get(ATTR_TARGET_SOC),
        duration=data.get(ATTR_DURATION),
    )


async def _async_force_battery_charge(call: ServiceCall) -> ServiceResponse:
    target = async_resolve_target(call.hass, call)
    request = _forced_battery_request(call.data, ForcedBatteryDirection.CHARGE)
    return await target.entry.runtime_data.async_force_battery(target, request)


async def _async_force_battery_discharge(call: ServiceCall) -> ServiceResponse:
    target = async_resolve_target(call.hass, call)
    request = _forced_battery_request(call.data, ForcedBatteryDirection.DISCHARGE)
    return await target.entry.runtime_data.async_force_battery(target, request)


async def _async_stop_forced_battery(call: ServiceCall) -> ServiceResponse:
    target = async_resolve_target(call.hass, call)
    return await target.entry.runtime_data.async_stop_forced_battery(target)


async def _async_import_history(call: ServiceCall) -> ServiceResponse:
    target = async_resolve_target(call.hass, call)
    if (history := target.entry.runtime_data.history) is None:
        raise _invalid("history_not_available", entry=target.entry.title)
    today = dt_util.now().date()
    start: date = call.data[ATTR_START_DATE]
    end: date = call.data.get(ATTR_END_DATE, today)
    if not start <= end <= today:
        raise _invalid(
            "history_range_invalid", start=str(start), end=str(end), today=str(today)
        )
    if (today - start).days > MAX_HISTORY_DAYS:
        raise _invalid("history_range_too_long", days=str(MAX_HISTORY_DAYS))
    zone = dt_util.get_default_time_zone()
    requests = history.request(
        datetime.combine(start, time(), zone),
        datetime.combine(end + timedelta(days=1), time(), zone),
    )
    return {"start_date": str(start), "end_date": str(end), "requests": requests}


SERVICES: dict[
    str,
    tuple[
        probatio.Schema, Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]]
    ],
] = {
    SERVICE_SET_FEED_IN_LIMIT: (SET_FEED_IN_LIMIT_SCHEMA, _async_set_feed_in_limit),
    SERVICE_SET_BATTERY_MODE: (SET_BATTERY_MODE_SCHEMA, _async_set_battery_mode),
    SERVICE_SET_BATTERY_PARAMETERS: (
        SET_BATTERY_PARAMETERS_SCHEMA,
        _async_set_battery_parameters,
    ),
    SERVICE_FORCE_BATTERY_CHARGE: (FORCE_BATTERY_SCHEMA, _async_force_battery_charge),
    SERVICE_FORCE_BATTERY_DISCHARGE: (
        FORCE_BATTERY_SCHEMA,
        _async_force_battery_discharge,
    ),
    SERVICE_STOP_FORCED_BATTERY: (
        STOP_FORCED_BATTERY_SCHEMA,
        _async_stop_forced_battery,
    ),
    SERVICE_IMPORT_HISTORY: (IMPORT_HISTORY_SCHEMA, _async_import_history),
}


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions."""
    for name, (schema, handler) in SERVICES.items():
        hass.services.async_register(
            DOMAIN,
            name,
            handler,
            schema=schema,
            supports_response=SupportsResponse.OPTIONAL,
        )
