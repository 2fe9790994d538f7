"""Helpers of the smart-me polling tests: meters' upload rhythms, planned polls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.solar_cloud.smartme.coordinator import SmartMeAccountCoordinator

from ..simulator.smartme import SmartMeSimulator
from ..simulator.upload import Upload


def upload(delay: float, seed: int, **kwargs: timedelta | float) -> Upload:
    """Return an upload rhythm ``delay`` seconds into each period (6 s jitter)."""
    return Upload(
        delay=timedelta(seconds=delay),
        jitter=kwargs.pop("jitter", timedelta(seconds=6)),  # type: ignore[arg-type]
        seed=seed,
        **kwargs,  # type: ignore[arg-type]
    )


def set_uploads(
    sim: SmartMeSimulator, rhythm: Upload, period: timedelta | None = None
) -> None:
    """Let every meter upload on ``rhythm`` (each with a seed of its own).

    ``period``: how often they upload (default: as they do, once a minute).
    """
    for index, device in enumerate(sim.devices.values()):
        device.upload = Upload(
            delay=rhythm.delay,
            jitter=rhythm.jitter,
            late_share=rhythm.late_share,
            late_by=rhythm.late_by,
            drift=rhythm.drift,
            seed=rhythm.seed * 100 + index,
        )
        if period is not None:
            device.upload_interval = period


async def run_polls(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    account: SmartMeAccountCoordinator,
    until: timedelta,
) -> None:
    """Jump from one planned poll to the next (a second after it), for ``until``."""
    end = datetime.now(UTC) + until
    while (planned := account.schedule.planned) is not None and planned < end:
        freezer.move_to(max(planned, datetime.now(UTC)) + timedelta(seconds=1))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
        assert account.schedule.planned != planned, "the planned poll did not run"
    freezer.move_to(end)


def polls_since(sim: SmartMeSimulator, since: datetime) -> list[datetime]:
    """Return when the device list was read since ``since``."""
    return [request.at for request in sim.log.of("devices") if request.at >= since]


def lags(sim: SmartMeSimulator, polls: list[datetime]) -> list[float]:
    """Return, per poll, seconds since the last upload of any meter before it."""
    return [
        min(
            (poll - device.last_upload(poll)).total_seconds()
            for device in sim.devices.values()
        )
        for poll in polls
    ]
