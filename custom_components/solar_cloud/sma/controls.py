"""Feed-in limits: what an action asks of SMA GridControl, and sending it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from homeassistant.core import ServiceResponse
from homeassistant.exceptions import ServiceValidationError

from ..actions import FeedInLimitMode, FeedInLimitRequest, FeedInLimitScope
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
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="sma_single_phase_not_supported"
        )
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
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="sma_feed_in_limit_negative",
            translation_placeholders={"power": f"{power:g}"},
        )
    return FeedInLimitCommand(
        value=power * 1000, unit=LimitUnit.WATT, start=start, duration=request.duration
    )


async def async_send_feed_in_limit(
    data: SmaData, key: str, command: FeedInLimitCommand
) -> ServiceResponse:
    """Send a FeedInLimit schedule to a plant; return SMA's answer.

    GridControl does not report the limit in force: the command sent is kept
    (``SmaData.feed_in_limits``) for the plant's number entities to show.
    """
    async with translate_action_errors(data.hass, data.entry):
        result = await data.client.set_feed_in_limit(key, command)
    data.feed_in_limits[key] = command
    data.plants[key].energy.async_update_listeners()
    return {
        "plant": data.plant(key).name,
        "schedule_id": result.schedule_id,
        "state": result.state,
        "value": command.value,
        "unit": command.unit.value,
        "duration": command.duration.total_seconds() if command.duration else None,
    }
