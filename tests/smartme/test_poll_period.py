"""Meters that upload less often than once a minute, against the simulator.

The simulator's meters upload every ``upload_interval`` (here 5 or 15
minutes, or once a minute) at a moment of their own; ``GET /Devices`` shows
each meter's values as of its last upload, stamped with its ``ValueDate``.
The account coordinator learns each meter's period from those stamps and
polls only when some meter's upload can have come, over real HTTP.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.solar_cloud.api.smartme.polling import GUARD, MAX_CREDIT
from custom_components.solar_cloud.smartme.const import CONF_SCAN_INTERVAL
from custom_components.solar_cloud.smartme.data import smartme_data

from ..const import MINUTE
from ..simulator.smartme import SmartMeSimulator
from . import SetUp
from .common import lags, polls_since, run_polls, set_uploads, upload
from .const import CHARGER_ID, POWER


async def test_five_minute_meters_are_polled_once_a_period(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
) -> None:
    """Meters that upload every 5 minutes: a poll a period, right after it."""
    set_uploads(sim, upload(20, 11), 5 * MINUTE)
    entry = await setup_entry()
    account = smartme_data(entry).account
    await run_polls(hass, frozen, account, 40 * MINUTE)
    assert {rhythm.period for rhythm in account.schedule.periods.values()} == {
        5 * MINUTE
    }
    start = datetime.now(UTC)
    await run_polls(hass, frozen, account, 60 * MINUTE)

    polls = polls_since(sim, start)
    # 12 uploads an hour, and at most one poll that checks for faster ones.
    assert 12 <= len(polls) <= 13
    # Each poll after an upload shows it within seconds.
    most = GUARD.total_seconds() + 6 + 1
    assert sorted(lags(sim, polls))[11] <= most
    coordinator = account.device_coordinators[CHARGER_ID]
    assert coordinator.data.timestamp == sim.devices[CHARGER_ID].last_upload(polls[-1])


async def test_slow_meters_stay_available_between_polls(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
) -> None:
    """Polls 15 minutes apart: values stay current until the next one."""
    set_uploads(sim, upload(100, 12), 15 * MINUTE)
    entry = await setup_entry()
    account = smartme_data(entry).account
    await run_polls(hass, frozen, account, 90 * MINUTE)
    start = datetime.now(UTC)
    await run_polls(hass, frozen, account, 60 * MINUTE)
    polls = polls_since(sim, start)
    assert 4 <= len(polls) <= 5
    assert account.expected_delay is not None
    assert account.expected_delay >= 30 * MINUTE

    # Just before the next poll, a quarter of an hour after the last.
    planned = account.schedule.planned
    assert planned is not None
    assert planned - polls[-1] >= 14 * MINUTE
    frozen.move_to(planned - timedelta(seconds=2))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    state = hass.states.get(POWER)
    assert state is not None
    assert state.state != STATE_UNAVAILABLE


async def test_mixed_meters_keep_polling_every_minute(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
) -> None:
    """One meter that uploads every minute sets the cadence for all."""
    set_uploads(sim, upload(20, 13), 5 * MINUTE)
    sim.devices[CHARGER_ID].upload_interval = MINUTE
    entry = await setup_entry()
    account = smartme_data(entry).account
    await run_polls(hass, frozen, account, 40 * MINUTE)
    start = datetime.now(UTC)
    await run_polls(hass, frozen, account, 30 * MINUTE)

    # The slow meters are known to be slow, and still read every minute.
    periods = {key: rhythm.period for key, rhythm in account.schedule.periods.items()}
    assert periods.pop(CHARGER_ID) == MINUTE
    assert set(periods.values()) == {5 * MINUTE}
    polls = polls_since(sim, start)
    assert 29 <= len(polls) <= 31
    assert all(
        MINUTE - MAX_CREDIT <= later - earlier <= MINUTE + MAX_CREDIT
        for earlier, later in pairwise(polls)
    )


async def test_a_meter_that_uploads_more_often_is_polled_more_often(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
) -> None:
    """5-minute meters that turn to once a minute: polled every minute again."""
    set_uploads(sim, upload(20, 14), 5 * MINUTE)
    entry = await setup_entry()
    account = smartme_data(entry).account
    await run_polls(hass, frozen, account, 60 * MINUTE)
    assert len(polls_since(sim, datetime.now(UTC) - 30 * MINUTE)) <= 8
    for device in sim.devices.values():
        device.upload_interval = MINUTE
    # A poll in the middle of a skip (an hour after the last) sees it.
    await run_polls(hass, frozen, account, 90 * MINUTE)
    start = datetime.now(UTC)
    await run_polls(hass, frozen, account, 20 * MINUTE)

    assert {rhythm.period for rhythm in account.schedule.periods.values()} <= {
        MINUTE,
        None,
    }
    polls = polls_since(sim, start)
    assert len(polls) >= 19
    assert max(lags(sim, polls)) <= GUARD.total_seconds() + 6 + 1


async def test_the_interval_is_kept_with_slow_meters(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    smartme_entry: MockConfigEntry,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
) -> None:
    """A 10-minute interval and 15-minute meters: polled after their uploads."""
    hass.config_entries.async_update_entry(
        smartme_entry, options={**smartme_entry.options, CONF_SCAN_INTERVAL: 600}
    )
    set_uploads(sim, upload(400, 15), 15 * MINUTE)
    entry = await setup_entry()
    account = smartme_data(entry).account
    start = datetime.now(UTC)
    await run_polls(hass, frozen, account, 4 * timedelta(hours=1))

    polls = polls_since(sim, start)
    gaps = [later - earlier for earlier, later in pairwise(polls)]
    assert min(gaps) >= 10 * MINUTE - MAX_CREDIT
    late = [poll for poll in polls if poll >= start + timedelta(hours=3)]
    assert 4 <= len(late) <= 5
    assert max(lags(sim, late)) <= GUARD.total_seconds() + 6 + 1
