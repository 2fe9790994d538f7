"""smart-me counters through the counter policy: polled and pushed alike."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
import json
import logging
import math
from typing import Any

from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util, slugify
import pytest
from pytest_homeassistant_custom_component.common import (
    mock_restore_cache_with_extra_data,
)

from custom_components.solar_cloud.api.smartme import (
    RealtimeDeviceData,
    encode_realtime,
)
from custom_components.solar_cloud.api.smartme.obis import ENERGY_IMPORT
from custom_components.solar_cloud.const import DOMAIN
from custom_components.solar_cloud.smartme.data import smartme_data

from ..common import async_advance
from ..const import MINUTE
from ..simulator.smartme import BILANZ_ID, WATER_ID, SmartMeSimulator
from . import SetUp, realtime_of
from .const import HOOK_PATH, PUSH_AUTH

IMPORT = "sensor.bilanz_vk_energy_import"
WATER = "sensor.water_main_water"
SHOWN = 2_428_878.776
"""The Bilanz meter's import counter (kWh) when the tests start."""


def value(hass: HomeAssistant, entity_id: str) -> float:
    state = hass.states.get(entity_id)
    assert state is not None
    return float(state.state)


def value_date(moment: datetime) -> str:
    """Return a time as the device list writes ``ValueDate``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


def devices_body(
    sim: SmartMeSimulator, device_id: str, changes: dict[str, Any]
) -> bytes:
    """Return the device list as smart-me would answer it, one device changed."""
    devices = [sim.render_device(device) for device in sim.devices.values()]
    for device in devices:
        if device["Id"] == device_id:
            device.update(changes)
    return json.dumps(devices).encode()


def swap_meter(sim: SmartMeSimulator, counter: float) -> None:
    """Replace the Bilanz meter by one that reads ``counter`` now and counts on."""
    device = sim.devices[BILANZ_ID]
    imported, _ = sim.counter_values(device)
    assert imported is not None
    device.raw["CounterReadingImport"] += counter - imported


# Polls -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entity_id", "device_id", "key", "glitches"),
    [
        # Seen at smart-me: a newer poll with the counter at 0, below 0, then 3.388.
        (IMPORT, BILANZ_ID, "CounterReadingImport", [0.0, -0.005, 3.388]),
        (IMPORT, BILANZ_ID, "CounterReadingImport", [SHOWN / 10, math.nan]),
        (WATER, WATER_ID, "CounterReading", [0.0, 153.2417, -1.0]),
    ],
)
async def test_a_newer_poll_with_a_lower_counter_is_not_shown(  # noqa: PLR0917
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    entity_id: str,
    device_id: str,
    key: str,
    glitches: list[float],
) -> None:
    """Each glitch is newer than the value shown, and none of them is shown."""
    caplog.set_level(logging.DEBUG, logger="custom_components.solar_cloud")
    await setup_entry()
    shown = value(hass, entity_id)
    for glitch in glitches:
        newer = sim.value_date(sim.devices[device_id]) + MINUTE
        body = devices_body(
            sim, device_id, {key: glitch, "ValueDate": value_date(newer)}
        )
        sim.faults.add("devices", body=body, times=1)
        await async_advance(hass, frozen, MINUTE)
        assert sim.log.count("devices") >= 2
        assert value(hass, entity_id) == shown
    # Logged once per episode, not at every poll.
    assert caplog.text.count(f"{entity_id}: not showing") == 1
    # The meter's counter comes back: shown again, and counting on.
    await async_advance(hass, frozen, MINUTE)
    assert value(hass, entity_id) >= shown
    assert not [
        issue
        for issue in ir.async_get(hass).issues.values()
        if "counter_new_series" in issue.issue_id
    ]


async def test_a_replaced_meter_is_shown_after_an_hour(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A lower counter that keeps counting for an hour is a new meter: shown."""
    entry = await setup_entry()
    swap_meter(sim, 3.388)
    # Polled every minute from 12:01; the value date of 13:01 is an hour on.
    for _ in range(60):
        await async_advance(hass, frozen, MINUTE)
        assert value(hass, IMPORT) == SHOWN
    await async_advance(hass, frozen, MINUTE)
    new = value(hass, IMPORT)
    imported, _ = sim.counters(sim.devices[BILANZ_ID])
    assert new == imported
    assert 3.388 < new < 200
    assert "taking it as a reset or replaced meter" in caplog.text
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN,
        f"{entry.entry_id}_counter_new_series_"
        + slugify(f"smartme_{BILANZ_ID}_energy_import"),
    )
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["old"] == f"{SHOWN:g}"
    # From there it counts on as any counter.
    await async_advance(hass, frozen, MINUTE)
    assert value(hass, IMPORT) > new


# Pushes ----------------------------------------------------------------------


async def _push(
    client: TestClient, device_id: str, at: datetime, values: dict[str, float]
) -> None:
    body = encode_realtime(
        [RealtimeDeviceData(device_id=device_id, timestamp=at, values=values)]
    )
    response = await client.post(HOOK_PATH, data=body, headers=PUSH_AUTH)
    assert response.status == 200


@pytest.mark.usefixtures("external_url")
@pytest.mark.parametrize("realtime", [True])
@pytest.mark.parametrize(
    "glitch",
    [
        lambda _: 0.0,
        lambda _: -5.0,
        lambda _: math.nan,
        lambda shown: shown * 100.0,  # a tenth of the counter, in Wh
    ],
    ids=["zero", "negative", "nan", "tenth"],
)
async def test_a_pushed_glitch_is_not_shown(  # noqa: PLR0917
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    ha_client: TestClient,
    frozen: FrozenDateTimeFactory,
    glitch: Callable[[float], float],
) -> None:
    """A push with the import counter at 0, negative, NaN or 10 %: not shown."""
    entry = await setup_entry()
    device = sim.devices[BILANZ_ID]
    frozen.tick(timedelta(seconds=10))
    good = sim.realtime_data(device)
    await _push(ha_client, BILANZ_ID, good.timestamp, dict(good.values))
    shown = value(hass, IMPORT)
    assert shown == pytest.approx(sim.counters(device)[0])
    coordinator = smartme_data(entry).account.device_coordinators[BILANZ_ID]
    assert coordinator.scale.energy_factor == 1e-3

    frozen.tick(timedelta(seconds=10))
    await _push(
        ha_client,
        BILANZ_ID,
        dt_util.utcnow(),
        {**good.values, ENERGY_IMPORT: glitch(shown)},
    )
    assert value(hass, IMPORT) == shown

    frozen.tick(timedelta(seconds=10))
    later = sim.realtime_data(device)
    await _push(ha_client, BILANZ_ID, later.timestamp, dict(later.values))
    assert value(hass, IMPORT) == pytest.approx(sim.counters(device)[0])
    assert value(hass, IMPORT) > shown


@pytest.mark.usefixtures("external_url")
@pytest.mark.parametrize("realtime", [True])
async def test_a_push_from_the_future_does_not_freeze_the_meter(  # noqa: PLR0917
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    ha_client: TestClient,
    frozen: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A push dated ten years ahead is refused; the pushes after it are shown."""
    caplog.set_level(logging.DEBUG, logger="custom_components.solar_cloud")
    entry = await setup_entry()
    device = sim.devices[BILANZ_ID]
    frozen.tick(timedelta(seconds=10))
    good = sim.realtime_data(device)
    await _push(ha_client, BILANZ_ID, good.timestamp, dict(good.values))
    shown = value(hass, IMPORT)

    future = datetime(2036, 10, 17, tzinfo=UTC)
    await _push(
        ha_client, BILANZ_ID, future, {**good.values, ENERGY_IMPORT: shown * 2000}
    )
    assert value(hass, IMPORT) == shown
    coordinator = smartme_data(entry).account.device_coordinators[BILANZ_ID]
    assert coordinator.data.timestamp == good.timestamp
    assert f"Ignoring a push of {BILANZ_ID} dated 2036-10-17" in caplog.text
    realtime = realtime_of(entry)
    assert realtime.webhook.stats.not_newer == 1

    frozen.tick(timedelta(seconds=10))
    later = sim.realtime_data(device)
    await _push(ha_client, BILANZ_ID, later.timestamp, dict(later.values))
    assert value(hass, IMPORT) == pytest.approx(sim.counters(device)[0])
    assert value(hass, IMPORT) > shown
    assert coordinator.data.timestamp == later.timestamp

    # A restart right after it: nothing of the future push was kept.
    assert await hass.config_entries.async_unload(entry.entry_id)
    await _push(ha_client, BILANZ_ID, future, dict(later.values))
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    frozen.tick(timedelta(seconds=40))
    last = sim.realtime_data(device)
    await _push(ha_client, BILANZ_ID, last.timestamp, dict(last.values))
    assert value(hass, IMPORT) == pytest.approx(sim.counters(device)[0])


# Restarts --------------------------------------------------------------------


def _restore(hass: HomeAssistant, counter: dict[str, Any]) -> None:
    """Start as if Home Assistant stopped with ``counter`` kept for the import."""
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State(IMPORT, str(counter["value"])),
                {
                    "native_value": counter["value"],
                    "native_unit_of_measurement": "kWh",
                    "counter": counter,
                },
            )
        ],
    )


@pytest.mark.parametrize(
    ("glitch", "during"),
    [
        (0.0, SHOWN),
        (SHOWN / 10, SHOWN),
        (-0.005, SHOWN),
        # No value at all: the sensor is added once the meter reports one.
        (math.nan, None),
    ],
)
async def test_a_restart_during_a_glitch_keeps_the_value_shown(  # noqa: PLR0917
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
    glitch: float,
    during: float | None,
) -> None:
    """Restarted while the cloud reports a glitch, the counter keeps its value."""
    _restore(
        hass,
        {
            "value": SHOWN,
            "at": "2026-10-20T11:59:00+00:00",
            "day_reset_done": False,
            "candidate": None,
        },
    )
    body = devices_body(sim, BILANZ_ID, {"CounterReadingImport": glitch})
    fault = sim.faults.add("devices", body=body, times=2)
    await setup_entry()
    await async_advance(hass, frozen, MINUTE)
    assert fault.hits == 2
    state = hass.states.get(IMPORT)
    assert (float(state.state) if state else None) == during
    await async_advance(hass, frozen, MINUTE)
    assert value(hass, IMPORT) == pytest.approx(sim.counters(sim.devices[BILANZ_ID])[0])
    assert value(hass, IMPORT) > SHOWN


async def test_a_restart_during_a_meter_swap_completes_it(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
) -> None:
    """Stopped 40 minutes into a swap, the swap is taken an hour after it began."""
    _restore(
        hass,
        {
            "value": SHOWN,
            "at": "2026-10-20T11:19:00+00:00",
            "day_reset_done": False,
            "candidate": {
                "first_at": "2026-10-20T11:20:00+00:00",
                "last_at": "2026-10-20T11:40:00+00:00",
                "last_value": 3.0,
                "readings": 2,
            },
        },
    )
    swap_meter(sim, 3.388)
    await setup_entry()
    assert value(hass, IMPORT) == SHOWN
    await async_advance(hass, frozen, timedelta(minutes=19), step=MINUTE)
    assert value(hass, IMPORT) == SHOWN
    # The value date of 12:20 is an hour after the first lower reading.
    await async_advance(hass, frozen, MINUTE)
    assert value(hass, IMPORT) == pytest.approx(sim.counters(sim.devices[BILANZ_ID])[0])
    assert value(hass, IMPORT) < 100
