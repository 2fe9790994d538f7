"""smart-me history through the client: ValuesInPast(Multiple) against the simulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import aiohttp
import pytest

from custom_components.solar_cloud.api import ApiPermissionError, ApiResponseError
from custom_components.solar_cloud.api.smartme import (
    HISTORY_ENERGY_FACTOR,
    HISTORY_MAX_VALUES,
    ApiKeyAuth,
    HistoryReading,
    SmartMeClient,
    history_energy_factor,
    history_windows,
    interval_energies,
    merge_readings,
)
from custom_components.solar_cloud.api.smartme.obis import (
    ENERGY_EXPORT,
    ENERGY_IMPORT,
    POWER_IMPORT,
)

from ..simulator.core import RunningSimulator
from ..simulator.smartme import (
    BILANZ_ID,
    HOUSE_ID,
    WATER_ID,
    SmartMeSimulator,
    household_device,
)
from .const import API_KEY, CHARGER_ID, NOW_HOUR, ROUNDING


@pytest.fixture
def house(sim: SmartMeSimulator) -> str:
    """Add a household with PV to the account; return its id."""
    sim.devices[HOUSE_ID] = household_device()
    return HOUSE_ID


# Reading what the cloud keeps ------------------------------------------------------


async def test_typed_readings(
    client: SmartMeClient, sim: SmartMeSimulator, house: str
) -> None:
    """Readings are (UTC time, OBIS -> value), counters in Wh, one per interval."""
    readings = await client.values_in_past_multiple(
        house, NOW_HOUR - timedelta(hours=3), NOW_HOUR, 60
    )
    assert [r.time for r in readings] == [
        NOW_HOUR - timedelta(hours=hours) for hours in (3, 2, 1, 0)
    ]
    for item in readings:
        assert item.time.tzinfo is UTC
        imported, exported = sim.counter_values(sim.devices[house], item.time)
        assert item.values == {
            ENERGY_IMPORT: round(imported * 1000, 2),
            ENERGY_EXPORT: round(exported * 1000, 2),
        }
        assert (item.energy_import, item.energy_export) == (
            item.values[ENERGY_IMPORT],
            item.values[ENERGY_EXPORT],
        )
    [request] = sim.log.of("values_in_past_multiple")
    assert request.path == f"/ValuesInPastMultiple/{house}"


async def test_one_truth_for_list_pushes_and_history(
    client: SmartMeClient,
    sim: SmartMeSimulator,
    house: str,
    frozen,
) -> None:
    """The device list, a push and the history read the same counters."""
    frozen.move_to("2026-10-20T12:01:00+00:00")
    device = await client.device(house)
    [latest] = await client.values_in_past_multiple(
        house, NOW_HOUR + timedelta(minutes=1), NOW_HOUR + timedelta(minutes=1), 1
    )
    assert device.reading.energy_import is not None
    assert device.reading.energy_export is not None
    assert latest.values[ENERGY_IMPORT] * HISTORY_ENERGY_FACTOR == pytest.approx(
        device.reading.energy_import, abs=1e-3
    )
    assert latest.values[ENERGY_EXPORT] * HISTORY_ENERGY_FACTOR == pytest.approx(
        device.reading.energy_export, abs=1e-3
    )
    push = sim.realtime_data(sim.devices[house])
    assert push.values[ENERGY_IMPORT] == device.reading.energy_import * 1000
    # A sunny October noon: the house feeds in, the push says the same.
    assert device.reading.power is not None
    assert device.reading.power < 0
    assert push.values[POWER_IMPORT] == 0.0
    assert history_energy_factor(latest, device.reading) == HISTORY_ENERGY_FACTOR


async def test_tolerant_parsing(client: SmartMeClient, sim: SmartMeSimulator) -> None:
    """camelCase, numbers as text, nulls, hex OBIS, zones, junk and duplicates."""
    sim.faults.add(
        "values_in_past_multiple",
        body=b"""[
          {"deviceId": "x", "date": "2026-10-20T13:00:00+01:00",
           "values": [{"obis": "0100010800FF", "value": "1000.5"},
                      {"obis": "1-0:2.8.0", "value": null}]},
          {"DeviceId": "x", "Date": "2026-10-20T11:00:00.1234567",
           "Values": [{"Obis": "1-0:1.8.0*255", "Value": 900},
                      {"Obis": "nonsense", "Value": 1},
                      {"Obis": "1-0:2.8.0*255", "Value": "N/A"},
                      "not an object"]},
          {"Date": "2026-10-20T12:00:00Z", "Values": [{"Obis": "1-0:1.8.0*255", "Value": 5}]},
          {"Date": "2026-10-20T10:00:00Z", "Values": []},
          {"Date": "2026-10-20T09:00:00Z", "Values": "none"},
          {"Date": "yesterday", "Values": [{"Obis": "1-0:1.8.0*255", "Value": 1}]},
          {"Values": [{"Obis": "1-0:1.8.0*255", "Value": 1}]},
          "not an object"
        ]""",
    )
    readings = await client.values_in_past_multiple(
        BILANZ_ID, NOW_HOUR - timedelta(hours=3), NOW_HOUR, 60
    )
    assert readings == [
        HistoryReading(
            time=datetime(2026, 10, 20, 11, 0, 0, 123456, tzinfo=UTC),
            values={ENERGY_IMPORT: 900.0},
        ),
        # 13:00+01:00 is noon UTC and comes first: the later duplicate is dropped.
        HistoryReading(time=NOW_HOUR, values={ENERGY_IMPORT: 1000.5}),
    ]


@pytest.mark.parametrize("body", [b'{"Values": []}', b'"nothing"', b"null", b"<html>"])
async def test_not_a_list(
    client: SmartMeClient, sim: SmartMeSimulator, body: bytes
) -> None:
    """Anything but a list is an unexpected response."""
    sim.faults.add("values_in_past_multiple", body=body)
    with pytest.raises(ApiResponseError):
        await client.values_in_past_multiple(BILANZ_ID, NOW_HOUR, NOW_HOUR, 60)


async def test_licence_is_needed(client: SmartMeClient, sim: SmartMeSimulator) -> None:
    """Without the Professional licence smart-me refuses: a permission error."""
    sim.account.history_licence = False
    with pytest.raises(ApiPermissionError) as err:
        await client.values_in_past_multiple(BILANZ_ID, NOW_HOUR, NOW_HOUR, 60)
    assert err.value.missing_right == "ValuesInPastMultiple"
    assert err.value.reason == "permission_denied"
    assert "professional licence" in str(err.value)
    # ValuesInPast needs no licence.
    assert await client.values_in_past(BILANZ_ID, NOW_HOUR) is not None


async def test_legacy_prefix(
    session: aiohttp.ClientSession,
    cloud: RunningSimulator,
    sim: SmartMeSimulator,
) -> None:
    """History is served under /api/... too."""
    client = SmartMeClient(
        session, ApiKeyAuth(API_KEY), base_url=f"{cloud.base_url}/api"
    )
    assert (
        len(await client.values_in_past_multiple(BILANZ_ID, NOW_HOUR, NOW_HOUR, 60))
        == 1
    )
    assert await client.values_in_past(BILANZ_ID, NOW_HOUR) is not None
    assert {r.endpoint for r in sim.log.requests} == {
        "values_in_past_multiple",
        "values_in_past",
    }


async def test_interval_zero_is_every_upload(client: SmartMeClient) -> None:
    """Interval 0 ("as fast as possible") answers every upload (each minute here)."""
    readings = await client.values_in_past_multiple(
        BILANZ_ID, NOW_HOUR - timedelta(minutes=10), NOW_HOUR, 0
    )
    assert len(readings) == 11


async def test_other_meters_have_no_energy_history(client: SmartMeClient) -> None:
    """A water meter has no electricity counters to keep."""
    assert await client.values_in_past_multiple(WATER_ID, NOW_HOUR, NOW_HOUR, 60) == []
    assert await client.values_in_past(WATER_ID, NOW_HOUR) is None


# Only what the cloud has: up to now, from the history start -------------------------


async def test_no_values_after_now(
    client: SmartMeClient, sim: SmartMeSimulator, house: str
) -> None:
    """A range into the future ends with the last upload."""
    readings = await client.values_in_past_multiple(
        house, NOW_HOUR - timedelta(minutes=2), NOW_HOUR + timedelta(hours=5), 1
    )
    assert [r.time for r in readings] == [
        NOW_HOUR - timedelta(minutes=2),
        NOW_HOUR - timedelta(minutes=1),
        NOW_HOUR,
    ]
    assert readings[-1].time <= sim.clock.now()
    later = await client.values_in_past(house, NOW_HOUR + timedelta(days=1))
    assert later is not None
    assert later.time == NOW_HOUR


async def test_nothing_before_history_start(
    client: SmartMeClient, sim: SmartMeSimulator
) -> None:
    """A device that keeps 90 days answers nothing older."""
    kept = NOW_HOUR - timedelta(days=90)
    sim.devices[HOUSE_ID] = household_device(history_start=kept)
    readings = await client.values_in_past_multiple(
        HOUSE_ID, kept - timedelta(hours=5), kept + timedelta(hours=2), 60
    )
    assert [r.time for r in readings] == [kept + timedelta(hours=h) for h in range(3)]
    assert await client.values_in_past(HOUSE_ID, kept) is None
    first = await client.values_in_past(HOUSE_ID, kept + timedelta(minutes=1))
    assert first is not None
    assert first.time == kept


async def test_history_starts_where_the_counters_were_zero(
    client: SmartMeClient, sim: SmartMeSimulator
) -> None:
    """A meter is not older than its counters: its history starts at zero."""
    begins = sim.history_begins(sim.devices[CHARGER_ID])
    assert NOW_HOUR - timedelta(hours=36) < begins < NOW_HOUR - timedelta(hours=34)
    readings = await client.values_in_past_multiple(
        CHARGER_ID, NOW_HOUR - timedelta(days=3), NOW_HOUR, 60
    )
    assert readings[0].time >= begins
    assert 0 <= readings[0].values[ENERGY_IMPORT] < 3700
    assert len(readings) == 35


async def test_values_in_past_is_the_upload_before(
    client: SmartMeClient, sim: SmartMeSimulator, house: str
) -> None:
    """ValuesInPast answers the last value set strictly before the date."""
    found = await client.values_in_past(house, NOW_HOUR - timedelta(hours=2))
    assert found is not None
    assert found.time == NOW_HOUR - timedelta(hours=2, minutes=1)
    imported, _ = sim.counter_values(sim.devices[house], found.time)
    assert imported is not None
    assert found.values[ENERGY_IMPORT] == round(imported * 1000, 2)
    between = await client.values_in_past(house, NOW_HOUR - timedelta(seconds=90))
    assert between is not None
    assert between.time == NOW_HOUR - timedelta(minutes=2)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"", 204),
        (b"null", 200),
        (b'{"Date": "2026-10-20T12:00:00Z", "Values": []}', 200),
    ],
)
async def test_values_in_past_without_values(
    client: SmartMeClient, sim: SmartMeSimulator, body: bytes, status: int
) -> None:
    """No content, null or a value set without values: nothing before that date."""
    sim.faults.add("values_in_past", body=body, status=status)
    assert await client.values_in_past(BILANZ_ID, NOW_HOUR) is None


@pytest.mark.parametrize("body", [b'"text"', b"[]", b'{"Values": []}'])
async def test_values_in_past_unusable(
    client: SmartMeClient, sim: SmartMeSimulator, body: bytes
) -> None:
    """Something that is not a value set is an unexpected response."""
    sim.faults.add("values_in_past", body=body)
    with pytest.raises(ApiResponseError):
        await client.values_in_past(BILANZ_ID, NOW_HOUR)


# A year, window by window ---------------------------------------------------------


async def test_a_year_of_hours_equals_the_truth(
    client: SmartMeClient, sim: SmartMeSimulator, house: str
) -> None:
    """Nine calls of at most 1,000 values give every hour's energy of a year."""
    start = NOW_HOUR - timedelta(days=365)
    windows = history_windows(start, NOW_HOUR, 60)
    assert len(windows) == 9
    batches = [
        await client.values_in_past_multiple(house, first, last, 60)
        for first, last in windows
    ]
    assert all(len(batch) <= HISTORY_MAX_VALUES for batch in batches)
    assert sim.log.count("values_in_past_multiple", status=200) == 9
    readings = merge_readings(batches)
    assert len(readings) == 365 * 24 + 1
    energies = interval_energies(readings, 60)
    truth = sim.truth(house, start, NOW_HOUR)
    assert [energy.start for energy in energies] == list(truth)
    for energy in energies:
        hour = truth[energy.start]
        assert energy.energy_import == pytest.approx(hour.energy_import, abs=ROUNDING)
        assert energy.energy_export == pytest.approx(hour.energy_export, abs=ROUNDING)
    # A household with PV: both directions, with a daily shape.
    assert sum(hour.energy_export for hour in truth.values()) > 5000
    assert sum(hour.energy_import for hour in truth.values()) > 2000
    assert len({round(hour.energy_import, 3) for hour in truth.values()}) > 500


async def test_steady_meter_truth(sim: SmartMeSimulator) -> None:
    """A steady meter's wave evens out over each full hour: the mean, exactly."""
    truth = sim.truth(BILANZ_ID, NOW_HOUR - timedelta(hours=3), NOW_HOUR)
    for hour in truth.values():
        assert hour.energy_import == pytest.approx(101.632, abs=1e-6)
        assert hour.energy_export == pytest.approx(0.5, abs=1e-9)
    assert list(truth) == [NOW_HOUR - timedelta(hours=h) for h in (3, 2, 1)]


async def test_late_correction(
    client: SmartMeClient, sim: SmartMeSimulator, house: str
) -> None:
    """A corrected hour shows in history and truth; the next hour pays for it."""
    hour = NOW_HOUR - timedelta(hours=20)
    start, end = hour - timedelta(hours=1), hour + timedelta(hours=3)
    before = interval_energies(
        await client.values_in_past_multiple(house, start, end, 60), 60
    )
    live_before = sim.counters(sim.devices[house])
    was = sim.revise(house, hour, energy_import=0.25)
    assert was.energy_import == pytest.approx(before[1].energy_import, abs=ROUNDING)
    assert was.energy_import > 0.5
    after = interval_energies(
        await client.values_in_past_multiple(house, start, end, 60), 60
    )
    truth = sim.truth(house, start, end)
    assert after[1].energy_import == pytest.approx(0.25, abs=ROUNDING)
    assert truth[hour].energy_import == pytest.approx(0.25)
    moved = 0.25 - was.energy_import
    assert after[2].energy_import == pytest.approx(
        before[2].energy_import - moved, abs=ROUNDING
    )
    assert truth[hour + timedelta(hours=1)].energy_import == pytest.approx(
        before[2].energy_import - moved, abs=ROUNDING
    )
    for index in (0, 3):
        assert after[index] == before[index]
    assert after[1].energy_export == before[1].energy_export
    assert sim.counters(sim.devices[house]) == live_before
    # More than the next hour holds: it goes back, and is unknown.
    sim.revise(house, hour, energy_import=was.energy_import * 10)
    [*_, taken, _] = interval_energies(
        await client.values_in_past_multiple(house, start, end, 60), 60
    )
    assert taken.energy_import is None
    # Correcting again replaces the first correction; export alone too.
    sim.revise(house, hour, energy_import=4.0, energy_export=0.25)
    assert sim.truth(house, hour, hour + timedelta(hours=1))[hour] == (
        pytest.approx(4.0),
        pytest.approx(0.25),
    )
    # The power in the hour carries the correction too.
    device = sim.devices[house]
    assert device.power(hour)[0] == pytest.approx(
        household_device().power(hour)[0] + 4.0 - was.energy_import
    )
    with pytest.raises(ValueError, match="hour"):
        sim.revise(house, hour + timedelta(minutes=30), energy_import=1.0)
    with pytest.raises(ValueError, match="hour"):
        sim.revise(house, hour.replace(tzinfo=None), energy_import=1.0)


# The client's rules -----------------------------------------------------------------


async def test_client_refuses_what_smartme_would(client: SmartMeClient) -> None:
    """More than 1,000 values, negative intervals and naive times are caller bugs."""
    with pytest.raises(ValueError, match="history_windows"):
        await client.values_in_past_multiple(
            BILANZ_ID, NOW_HOUR - timedelta(hours=1000), NOW_HOUR, 60
        )
    assert (
        len(
            await client.values_in_past_multiple(
                BILANZ_ID, NOW_HOUR - timedelta(hours=999), NOW_HOUR, 60
            )
        )
        == 1000
    )
    with pytest.raises(ValueError, match="negative"):
        await client.values_in_past_multiple(BILANZ_ID, NOW_HOUR, NOW_HOUR, -1)
    with pytest.raises(ValueError, match="aware"):
        await client.values_in_past(BILANZ_ID, NOW_HOUR.replace(tzinfo=None))
    with pytest.raises(ValueError, match="aware"):
        await client.values_in_past_multiple(
            BILANZ_ID, NOW_HOUR.replace(tzinfo=None), NOW_HOUR, 0
        )


async def test_times_in_any_zone(client: SmartMeClient) -> None:
    """Whatever zone the caller uses, the same instants come back, in UTC."""
    summer = timezone(timedelta(hours=2))
    readings = await client.values_in_past_multiple(
        BILANZ_ID,
        (NOW_HOUR - timedelta(hours=1)).astimezone(summer),
        NOW_HOUR.astimezone(summer),
        60,
    )
    assert [r.time for r in readings] == [NOW_HOUR - timedelta(hours=1), NOW_HOUR]
    assert all(r.time.tzinfo is UTC for r in readings)
