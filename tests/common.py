"""Helpers shared by the tests."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import async_fire_time_changed


async def async_advance(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    delta: timedelta,
    *,
    step: timedelta | None = None,
) -> None:
    """Move the clock forward by ``delta`` (in ``step``s) and let everything run.

    Refreshes run as background tasks and talk to simulators over real
    sockets; waiting for background tasks keeps their request timeouts from
    firing when the clock jumps next.
    """
    step = step or delta
    moved = timedelta()
    while moved < delta:
        tick = min(step, delta - moved)
        freezer.tick(tick)
        moved += tick
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
