"""Feed-in limits: what an action asks of SMA GridControl, and sending it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from homeassistant.core import ServiceResponse
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.event import async_track_point_in_utc_time

from ..actions import FeedInLimitMode, FeedInLimitRequest, FeedInLimitScope, invalid
from ..api.sma import FeedInLimitCommand, LimitUnit
from ..const import DOMAIN
from ..error_mapping import translate_action_errors

if TYPE_CHECKING:
    from .data import SmaData


def feed_in_command(request: FeedInLimitRequest, start: datetime) -> FeedInLimitCommand:
    """Return the FeedInLimit command for an action's request.

    Raises:
        ServiceValidationError: SMA cannot do what the request asks.

    """
    if request.scope is FeedInLimitScope.SINGLE_PHASE:
        # FeedInLimit limits the plant's total active power; SMA has no
        # per-phase variant.
        raise invalid("sma_single_phase_not_supported")
    if request.mode is FeedInLimitMode.NO_LIMIT:
        return FeedInLimitCommand.no_limit(start, request.duration)
    if request.percent_limit is not None:
        return FeedInLimitCommand(
            value=request.percent_limit,
            unit=LimitUnit.PERCENT,
            start=start,
            duration=request.duration,
        )
    power = request.power_limit or 0.0
    if power < 0:
        raise invalid("sma_feed_in_limit_negative", power=f"{power:g}")
    return FeedInLimitCommand(
        value=power * 1000, unit=LimitUnit.WATT, start=start, duration=request.duration
    )


async def async_send_feed_in_limit(
    data: SmaData, key: str, command: FeedInLimitCommand
) -> ServiceResponse:
    """Send a FeedInLimit schedule to a plant; return SMA's answer.

    GridControl does not report the limit in force: what SMA accepted is kept
    (``SmaData.feed_in_limits``) for the plant's number entities to show; a
    schedule SMA rejects is an error and changes nothing shown. A limit with
    a duration shows until it ends, then the plant's unlimited state.

    Raises:
        HomeAssistantError: SMA refused the request or rejected the schedule.

    """
    async with translate_action_errors(data.hass, data.entry):
        result = await data.client.set_feed_in_limit(key, command)
    if not result.accepted:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="sma_schedule_rejected",
            translation_placeholders={
                "plant": data.plant(key).name,
                "state": str(result.state),
            },
        )
    data.feed_in_limits[key] = command
    listeners = data.plants[key].energy
    listeners.async_update_listeners()
    if (end := command.end) is not None:
        data.entry.async_on_unload(
            async_track_point_in_utc_time(
                data.hass, lambda _now: listeners.async_update_listeners(), end
            )
        )
    return {
        "plant": data.plant(key).name,
        "schedule_id": result.schedule_id,
        "state": "accepted",
        "value": command.value,
        "unit": "percent" if command.unit is LimitUnit.PERCENT else "W",
        "duration": command.duration.total_seconds() if command.duration else None,
        "ends_at": None if command.end is None else command.end.isoformat(),
    }


def limit_in_force(
    command: FeedInLimitCommand | None, now: datetime
) -> FeedInLimitCommand | None:
    """Return the limit a plant runs now: a timed limit that ended is no limit."""
    if command is None or (end := command.end) is None or now < end:
        return command
    return FeedInLimitCommand.no_limit(end)


def limit_value(
    command: FeedInLimitCommand, unit: LimitUnit, nominal_power: float | None
) -> float | None:
    """Return the limit in ``unit`` (W or %), converted by the nominal power (W)."""
    if command.unit is unit:
        return command.value
    if not nominal_power:
        return None
    if unit is LimitUnit.WATT:
        return round(command.value * nominal_power / 100)
    return round(command.value / nominal_power * 100, 1)
