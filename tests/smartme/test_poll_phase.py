"""Polls of the device list locked to the meters' uploads, against the simulator.

The simulator's meters upload once a minute at a moment of their own
(``Upload``: a delay after the minute, seeded jitter, now and then a late
upload); ``GET /Devices`` shows each meter's values as of its last upload,
stamped with its ``ValueDate``. Home Assistant's clock jumps from one
planned poll to the next (a second after it, as its timer fires).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.solar_cloud.api.smartme.polling import (
    GUARD,
    IRREGULAR,
    UPLOAD_PERIOD,
    DeviceListSchedule,
    read_period,
)
from custom_components.solar_cloud.smartme.const import (
    CONF_SCAN_INTERVAL,
    SAFETY_POLL_INTERVAL,
)
from custom_components.solar_cloud.smartme.coordinator import SmartMeAccountCoordinator
from custom_components.solar_cloud.smartme.data import smartme_data

from ..common import async_advance
from ..const import MINUTE
from ..simulator.smartme import WATER_ID, SmartMeSimulator
from ..simulator.upload import EPOCH
from . import SetUp
from .common import lags, polls_since, run_polls, set_uploads, upload
from .const import ZERO_CHARGER_ID


async def test_steady_phase_polls_land_shortly_after_uploads(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
) -> None:
    """Once learnt, every poll comes a few seconds after the meters' upload."""
    set_uploads(sim, upload(20, 1))
    entry = await setup_entry()
    account = smartme_data(entry).account
    await run_polls(hass, frozen, account, 5 * MINUTE)
    learnt = datetime.now(UTC)
    await run_polls(hass, frozen, account, 30 * MINUTE)

    polls = polls_since(sim, learnt)
    assert 29 <= len(polls) <= 31
    # Every poll shows the upload of its own minute, within seconds of the
    # latest meter's upload (jitter 6 s, the guard, the timer's second).
    most = GUARD + timedelta(seconds=6 + 1)
    for poll in polls:
        for device in sim.devices.values():
            assert poll - device.last_upload(poll) <= most
    assert max(lags(sim, polls)) <= most.total_seconds()
    # And the entities show it: the data is stamped with that upload.
    coordinator = account.device_coordinators[next(iter(sim.devices))]
    device = next(iter(sim.devices.values()))
    assert coordinator.data.timestamp == device.last_upload(polls[-1])
    assert account.schedule.offset is not None
    guard = GUARD.total_seconds()
    assert 20 + guard <= account.schedule.offset <= 20 + 6 + guard


async def test_drifting_uploads_are_followed(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
) -> None:
    """Meters whose moment moves 30 s in half an hour are still read just after it."""
    drift = timedelta(seconds=1440)  # a second a minute
    # The drift counts from the simulator's epoch: at 5 s after the minute now.
    since = (datetime.now(UTC) - EPOCH) / timedelta(days=1)
    delay = 5 - drift.total_seconds() * since
    set_uploads(sim, upload(delay, 2, jitter=timedelta(seconds=3), drift=drift))
    entry = await setup_entry()
    account = smartme_data(entry).account
    await run_polls(hass, frozen, account, 5 * MINUTE)
    first_offset = account.schedule.offset
    assert first_offset is not None
    late = datetime.now(UTC) + 25 * MINUTE
    await run_polls(hass, frozen, account, 30 * MINUTE)

    assert account.schedule.offset is not None
    moved = (account.schedule.offset - first_offset) % 60
    assert 25 <= moved <= 35
    polls = polls_since(sim, late)
    assert polls
    # Jitter 3 s, a second of drift since the last stamps, the guard, the timer.
    assert max(lags(sim, polls)) <= GUARD.total_seconds() + 3 + 1 + 1


async def test_irregular_uploads_do_not_poll_faster(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
) -> None:
    """Meters that upload anywhere in the minute: one poll a minute, never sooner."""
    set_uploads(sim, upload(0, 3, jitter=timedelta(seconds=59)))
    entry = await setup_entry()
    account = smartme_data(entry).account
    start = datetime.now(UTC)
    await run_polls(hass, frozen, account, 60 * MINUTE)

    polls = polls_since(sim, start)
    assert len(polls) <= 61
    gaps = [(later - earlier).total_seconds() for earlier, later in pairwise(polls)]
    # A moment learnt and moved costs at most the credit (10 s) once.
    assert min(gaps) >= 50
    assert sum(gaps) / len(gaps) >= 59.5
    # No meter's spread moves the poll moment: whatever was learnt is kept.
    assert all(
        (clock.unsure() or 0.0) > IRREGULAR
        for clock in account.schedule.clocks.values()
        if clock.observations >= 8
    )


async def test_no_drift_over_a_day(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    smartme_entry: MockConfigEntry,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
) -> None:
    """Polls every 5 minutes come at the same moment of the minute a day later."""
    hass.config_entries.async_update_entry(
        smartme_entry, options={**smartme_entry.options, CONF_SCAN_INTERVAL: 300}
    )
    set_uploads(sim, upload(40, 4, jitter=timedelta(seconds=4)))
    entry = await setup_entry()
    account = smartme_data(entry).account
    assert account.schedule.period == timedelta(minutes=5)
    await run_polls(hass, frozen, account, timedelta(minutes=30))
    start = datetime.now(UTC)
    await run_polls(hass, frozen, account, timedelta(hours=24))

    polls = polls_since(sim, start)
    assert 287 <= len(polls) <= 289
    seconds = [poll.second + poll.microsecond / 1e6 for poll in polls]
    # The same moment of the minute (learnt 40..44 s + guard, the timer's second).
    assert max(seconds) - min(seconds) <= 2
    guard = GUARD.total_seconds()
    assert 40 + guard <= min(seconds) <= 44 + guard + 1
    gaps = {
        round((later - earlier).total_seconds()) for earlier, later in pairwise(polls)
    }
    assert gaps <= {299, 300, 301}
    assert max(lags(sim, polls)) <= 4 + guard + 1


@pytest.mark.parametrize("realtime", [True])
@pytest.mark.usefixtures("external_url")
async def test_pushes_on_poll_as_before(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
) -> None:
    """While every meter pushes, the list is polled every 15 minutes, not locked."""
    set_uploads(sim, upload(20, 5))
    del sim.devices[WATER_ID]
    # Its zero counters keep its pushes uncalibrated (see test_calibration).
    del sim.devices[ZERO_CHARGER_ID]
    entry = await setup_entry()
    account = smartme_data(entry).account
    for _ in range(4):
        frozen.tick(timedelta(seconds=30))
        await sim.push()
        await async_advance(hass, frozen, timedelta(seconds=30))
    assert account.backed_off
    assert account.update_interval == SAFETY_POLL_INTERVAL
    assert account.poll_period == SAFETY_POLL_INTERVAL
    sim.log.clear()
    for _ in range(40):
        frozen.tick(timedelta(seconds=30))
        await sim.push()
        await async_advance(hass, frozen, timedelta(seconds=30))
        assert account.update_interval == SAFETY_POLL_INTERVAL
    # 40 minutes: the safety polls only (every 15 minutes from the last).
    assert 2 <= sim.log.count("devices") <= 3


async def test_unlocked_polls_follow_the_interval(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without the lock (the benchmark's "before"), every interval from the last poll."""
    monkeypatch.setattr(SmartMeAccountCoordinator, "phase_locked", False)
    set_uploads(sim, upload(20, 6))
    entry = await setup_entry()
    account = smartme_data(entry).account
    assert account.update_interval == timedelta(seconds=60)
    assert account.poll_period == timedelta(seconds=60)
    sim.log.clear()
    await async_advance(hass, frozen, 5 * MINUTE, step=timedelta(seconds=10))
    polls = polls_since(sim, datetime(2000, 1, 1, tzinfo=UTC))
    # From setup at 12:00:30: on the half minutes, not after the uploads.
    assert [poll.second for poll in polls] == [30] * 5


def test_one_poll_serves_meters_on_different_phases() -> None:
    """Meters at 10, 15 and 40 s: the poll after 15 s makes the mean wait least."""
    schedule = DeviceListSchedule(timedelta(seconds=60))
    start = datetime(2026, 10, 20, 12, tzinfo=UTC)
    for minute in range(6):
        base = start + minute * MINUTE
        now = base + timedelta(seconds=50)
        schedule.observe(
            {
                "a": base + timedelta(seconds=10 + minute % 2),
                "b": base + timedelta(seconds=15),
                "c": base + timedelta(seconds=40),
                "silent": None,
            },
            now,
        )
    assert schedule.offset == pytest.approx(15 + GUARD.total_seconds())
    after = start + 6 * MINUTE + timedelta(seconds=50)
    # A period after this (unplanned) read, at the moment learnt.
    assert (
        schedule.next_read(after) == start + 8 * MINUTE + timedelta(seconds=15) + GUARD
    )


def test_read_period_is_whole_upload_periods() -> None:
    """Never more often than the meters upload, never more calls than configured."""
    assert read_period(timedelta(seconds=30)) == UPLOAD_PERIOD
    assert read_period(timedelta(seconds=60)) == UPLOAD_PERIOD
    assert read_period(timedelta(seconds=90)) == 2 * UPLOAD_PERIOD
    assert read_period(timedelta(seconds=300)) == 5 * UPLOAD_PERIOD


def test_stamps_from_the_future_and_gone_meters_are_ignored() -> None:
    """A meter's clock ahead teaches nothing; a meter no longer listed is forgotten."""
    schedule = DeviceListSchedule(timedelta(seconds=60))
    now = datetime(2026, 10, 20, 12, 0, 30, tzinfo=UTC)
    schedule.observe({"a": now + MINUTE, "b": now - timedelta(seconds=5)}, now)
    assert schedule.clocks["b"].observations == 1
    assert "a" not in schedule.clocks or schedule.clocks["a"].observations == 0
    schedule.observe({"b": now - timedelta(seconds=5)}, now + MINUTE)
    assert set(schedule.clocks) == {"b"}
    assert schedule.clocks["b"].observations == 1


def _learn(schedule: DeviceListSchedule, start: datetime, second: float) -> datetime:
    """Feed twelve minutes of one meter's stamps at ``second``; return the end."""
    for minute in range(12):
        base = start + minute * MINUTE
        schedule.observe({"a": base + timedelta(seconds=second)}, base + MINUTE / 2)
    return start + 12 * MINUTE


def test_the_read_moment_moves_only_when_it_pays() -> None:
    """A meter a little earlier: kept (no credit); one later than the read: followed."""
    schedule = DeviceListSchedule(timedelta(seconds=60))
    start = datetime(2026, 10, 20, 12, tzinfo=UTC)
    guard = GUARD.total_seconds()
    start = _learn(schedule, start, 10)
    assert schedule.offset == pytest.approx(10 + guard)
    # Two seconds earlier would cost an upload (no credit saved): kept.
    start = _learn(schedule, start, 8)
    assert schedule.offset == pytest.approx(10 + guard)
    # With credit saved by later reads, it is free: taken.
    schedule.credit = timedelta(seconds=5)
    start = _learn(schedule, start, 8)
    assert schedule.offset == pytest.approx(8 + guard)
    # Later than the read: every upload would wait a minute, followed at once.
    _learn(schedule, start, 20)
    assert schedule.offset == pytest.approx(20 + guard)


def test_a_read_that_took_long_is_followed_by_one_ahead() -> None:
    """The next read is never planned in the past."""
    schedule = DeviceListSchedule(timedelta(seconds=60))
    start = _learn(schedule, datetime(2026, 10, 20, 12, tzinfo=UTC), 10)
    now = start + timedelta(minutes=3)
    due = schedule.next_read(now, start)
    assert now < due <= now + MINUTE
    assert due.second == 10 + GUARD.total_seconds()
