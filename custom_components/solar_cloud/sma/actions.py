"""The SMA actions: a feed-in limit through the GridControl API."""

from __future__ import annotations

from homeassistant.core import ServiceResponse
from homeassistant.util import dt as dt_util

from ..actions import SET_FEED_IN_LIMIT, ActionTarget, FeedInLimitRequest, invalid
from .feed_in import feed_in_command
from .runtime import SmaData


def _feed_in_plant(data: SmaData, target: ActionTarget) -> str:
    """Return the plant an action is for; a device stands for its plant."""
    if target.device_key is None:
        if len(data.plants) != 1:
            raise invalid("sma_plant_required", entry=data.entry.title)
        key: str | None = next(iter(data.plants))
    else:
        key = next(
            (
                plant_key
                for plant_key in data.plants
                if target.device_key
                in (plant_key, *(d.key for d in data.plant(plant_key).devices))
            ),
            None,
        )
    if key is None or not data.plant(key).feed_in_control:
        raise invalid(
            "sma_feed_in_not_eligible",
            plant=data.plant(key).plant.name
            if key is not None
            else str(target.device_key),
        )
    return key


async def _async_set_feed_in_limit(
    data: SmaData, target: ActionTarget, request: FeedInLimitRequest
) -> ServiceResponse:
    command = feed_in_command(request, dt_util.utcnow())
    return await data.async_send_feed_in_limit(_feed_in_plant(data, target), command)


ACTIONS = (SET_FEED_IN_LIMIT.handled_by(_async_set_feed_in_limit),)
