"""What a feed-in limit action asks of SMA GridControl."""

from __future__ import annotations

from datetime import datetime

from homeassistant.exceptions import ServiceValidationError

from ..actions import FeedInLimitMode, FeedInLimitRequest, FeedInLimitScope
from ..api.sma import FeedInLimitCommand, LimitUnit
from ..const import DOMAIN


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
