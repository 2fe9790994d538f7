"""The SMA client against the simulator: Monitoring, GridControl, quirks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import aiohttp
from freezegun.api import FrozenDateTimeFactory
import pytest

from custom_components.solar_cloud.api import (
    ApiConnectionError,
    ApiPermissionError,
    ApiRateLimitedError,
    ApiResponseError,
    SolarCloudApiError,
)
from custom_components.solar_cloud.api.sma import (
    FeedInLimitCommand,
    LimitUnit,
    Period,
    PlantKind,
    SmaClient,
    SmaClientCredentials,
    SmaEndpoints,
)
from custom_components.solar_cloud.api.sma.models import MeasurementSet

from ..const import NOON
from ..simulator.core import StartSimulator
from ..simulator.sma import CLASSIC_PLANT, DEMO_OWNER, SANDBOX_OWNER, SmaSimulator

# Monitoring ----------------------------------------------------------------


@pytest.mark.freeze_time(NOON)
async def test_monitoring_reads(sim: SmaSimulator, client: SmaClient) -> None:
    """Plants, devices (deactivated ones flagged), sets and measurements."""
    sim.grant_consent(SANDBOX_OWNER)
    sim.grant_consent(DEMO_OWNER)
    plants = {plant.plant_id: plant for plant in await client.plants()}
    site = plants["7190000"]
    assert site.kind is PlantKind.ENNEXOS
    assert site.ac_nominal_power == 184000.0
    assert plants[CLASSIC_PLANT].kind is PlantKind.CLASSIC
    assert plants["13"].peak_power is None
    assert (await client.plant("13")).name == "Testplant 1"

    devices = await client.devices("24")
    assert [(d.device_id, d.active) for d in devices] == [("25", True), ("26", False)]
    assert sim.log.of("devices")[0].path.endswith("/plants/24/devices")
    assert await client.measurement_sets("16") == {
        "Sensor",
        "EnergyAndPowerPv",
        "PowerDc",
        "PowerAc",
    }

    dc = await client.device_measurements(
        "16", "PowerDc", Period.RECENT, zone=plants["13"].zone
    )
    latest = dc.latest
    assert latest is not None
    assert latest.time == datetime(2026, 6, 21, 12, 0, tzinfo=plants["13"].zone)
    assert set(latest.indexed["dcPowerInput"]) == {"A", "B"}

    day = await client.energy_balance(site, Period.DAY, day=date(2026, 6, 21))
    assert day.resolution == timedelta(minutes=5)
    # 06:00 in New York: the first 72 five-minute intervals of the day.
    assert len(day.points) == 72
    assert "batteryStateOfCharge" in day.fields
    query = sim.log.of("energy_balance")[0]
    assert query.path.endswith("/EnergyBalance/Day")
    total = await client.energy_balance(site, Period.TOTAL)
    assert total.resolution is None
    assert (
        (total.total("totalConsumption") or 0)
        > (day.energy("totalConsumption") or 0)
        > 0
    )


@pytest.mark.freeze_time(NOON)
async def test_energy_values_and_totals(sim: SmaSimulator, client: SmaClient) -> None:
    """ReturnEnergyValues gives Wh per interval; WithTotal adds SMA's sums."""
    sim.grant_consent(SANDBOX_OWNER)
    plant = (await client.plants())[0]
    power = await client.device_measurements(
        "16", "EnergyAndPowerPv", Period.DAY, zone=plant.zone, day=date(2026, 6, 21)
    )
    energy = await client.device_measurements(
        "16",
        "EnergyAndPowerPv",
        Period.WEEK,
        zone=plant.zone,
        day=date(2026, 6, 21),
        energy_values=True,
        with_total=True,
    )
    assert sim.log.of("device_measurements")[-1].path.endswith("/Week")
    assert energy.latest is not None
    assert power.latest is not None
    assert energy.latest.values["pvGeneration"] == pytest.approx(
        power.latest.values["pvGeneration"] / 4, abs=0.01
    )
    assert energy.totals["pvGeneration"] == pytest.approx(
        energy.total("pvGeneration") or 0, abs=0.1
    )
    balance = await client.energy_balance(
        plant, Period.DAY, day=date(2026, 6, 21), with_total=True
    )
    assert balance.totals["pvGeneration"] == pytest.approx(
        balance.energy("pvGeneration") or 0, abs=0.1
    )
    assert power.totals == {}


@pytest.mark.freeze_time(NOON)
async def test_classic_plant_data_is_late(sim: SmaSimulator, client: SmaClient) -> None:
    """A classic plant's newest interval is two hours old."""
    sim.grant_consent(DEMO_OWNER)
    plant = next(p for p in await client.plants() if p.plant_id == CLASSIC_PLANT)
    day = await client.energy_balance(plant, Period.DAY, day=date(2026, 6, 21))
    assert day.latest is not None
    assert day.latest.time == datetime(2026, 6, 21, 10, 0, tzinfo=plant.zone)
    assert day.resolution == timedelta(minutes=15)


@pytest.mark.freeze_time(NOON)
async def test_moved_plant_is_followed_and_remembered(
    session: aiohttp.ClientSession,
    sim: SmaSimulator,
    endpoints: SmaEndpoints,
    tokens: SmaClientCredentials,
) -> None:
    """308 is followed; the new id is used from then on and reported once."""
    sim.grant_consent(DEMO_OWNER)
    moves: list[tuple[str, str]] = []
    client = SmaClient(
        session,
        endpoints,
        tokens,
        on_plant_migrated=lambda old, new: moves.append((old, new)),
    )
    sim.move_plant(CLASSIC_PLANT, "8800001")
    assert [d.device_id for d in await client.devices(CLASSIC_PLANT)] == [
        "9001",
        "9002",
    ]
    assert moves == [(CLASSIC_PLANT, "8800001")]
    assert [r.status for r in sim.log.of("devices")] == [308, 200]
    await client.devices(CLASSIC_PLANT)
    assert [r.status for r in sim.log.of("devices")] == [308, 200, 200]

    # Moved again: the first id now leads to the newest.
    sim.move_plant("8800001", "8800002")
    await client.plant(CLASSIC_PLANT)
    assert client.plant_migrations == {CLASSIC_PLANT: "8800002"}
    assert moves[-1] == (CLASSIC_PLANT, "8800002")


async def test_redirect_loop_is_an_error(sim: SmaSimulator, client: SmaClient) -> None:
    """A redirect that never ends is not followed forever."""
    sim.grant_consent(SANDBOX_OWNER)
    plants = sim.plants
    plants["13"].moved_to = "13"
    with pytest.raises(ApiResponseError, match="redirected"):
        await client.devices("13")


@pytest.mark.parametrize("status", [302, 307, 308])
async def test_redirect_to_another_host_is_refused(
    start_vendor_simulator: StartSimulator,
    sim: SmaSimulator,
    client: SmaClient,
    status: int,
) -> None:
    """The bearer token never goes to a host outside SMA's a redirect names."""
    foreign = await start_vendor_simulator(SmaSimulator())
    sim.grant_consent(SANDBOX_OWNER)
    sim.faults.add(
        "devices",
        status=status,
        headers={"Location": f"{foreign.base_url}/monitoring/v1/plants/13/devices"},
    )
    with pytest.raises(ApiResponseError) as err:
        await client.devices("13")
    assert err.value.reason == "sma_redirect_refused"
    assert not [
        r for r in foreign.simulator.log.requests if "Authorization" in r.headers
    ]
    assert foreign.simulator.log.requests == []
    assert [r.status for r in sim.log.of("devices")] == [status]


async def test_rate_limit_backs_off(
    sim: SmaSimulator, freezer: FrozenDateTimeFactory, client: SmaClient
) -> None:
    """429 without Retry-After: back off a minute, doubling; calls wait meanwhile."""
    sim.rate_limit = 3
    await client.plants()  # token + plants
    await client.plants()
    with pytest.raises(ApiRateLimitedError) as err:
        await client.plants()
    assert err.value.retry_after == 60
    calls = len(sim.log.requests)
    with pytest.raises(ApiRateLimitedError):
        await client.plants()
    assert len(sim.log.requests) == calls  # nothing sent while backing off

    # A minute on, the bucket has not refilled a whole call: back off longer.
    freezer.tick(timedelta(seconds=61))
    with pytest.raises(ApiRateLimitedError) as err:
        await client.plants()
    assert err.value.retry_after == 120

    freezer.tick(timedelta(seconds=121))
    assert await client.plants() == []
    assert sim.log.requests[-1].status == 200


@pytest.mark.parametrize(
    ("retry_after", "wait"),
    [("120", 120), ("Sun, 29 Nov 2026 12:30:00 GMT", 1800), ("soon", 60)],
)
@pytest.mark.freeze_time("2026-11-29T12:00:00+00:00")
async def test_rate_limit_retry_after_is_honoured(
    sim: SmaSimulator,
    freezer: FrozenDateTimeFactory,
    client: SmaClient,
    retry_after: str,
    wait: float,
) -> None:
    """A 429's Retry-After (seconds or a date) is the back-off; unreadable: a minute."""
    sim.faults.add("plants", status=429, headers={"Retry-After": retry_after}, times=1)
    with pytest.raises(ApiRateLimitedError) as err:
        await client.plants()
    assert err.value.retry_after == wait
    freezer.tick(timedelta(seconds=wait - 1))
    with pytest.raises(ApiRateLimitedError) as err:
        await client.plants()
    assert err.value.retry_after == pytest.approx(1)
    assert sim.log.count("plants") == 1
    freezer.tick(timedelta(seconds=2))
    assert await client.plants() == []


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ({"status": 403}, ApiPermissionError),
        ({"status": 502}, ApiConnectionError),
        ({"body": b"<html>"}, ApiResponseError),
        ({"body": b'{"plants": {}}'}, ApiResponseError),
        ({"body": b'{"plants": [{"name": "no id"}]}'}, ApiResponseError),
        ({"body": b"[]"}, ApiResponseError),
    ],
)
async def test_monitoring_errors(
    sim: SmaSimulator, fault: dict[str, Any], error: type[Exception], client: SmaClient
) -> None:
    """Failures and unusable answers raise the client's errors."""
    sim.faults.add("plants", **fault)
    with pytest.raises(error):
        await client.plants()


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 400, "body": b'{"message": "' + b"x" * 100_000 + b'"}'},
        {"status": 404, "body": b"<html>" + b"x" * 100_000},
        {"status": 502, "body": b"<html>" + b"x" * 100_000},
        {"body": b"<html>" + b"x" * 100_000},
        {"body": b'"' + b"x" * 100_000 + b'"', "status": 409},
    ],
)
async def test_error_messages_quote_no_whole_body(
    sim: SmaSimulator, fault: dict[str, Any], client: SmaClient
) -> None:
    """A long error answer is quoted in part (200 characters), never whole."""
    sim.faults.add("plants", **fault)
    with pytest.raises(SolarCloudApiError) as err:
        await client.plants()
    assert len(str(err.value)) < 300


def test_measurements_are_parsed_tolerantly() -> None:
    """Omitted fields stay absent, strings become numbers, spikes are dropped."""
    measurements = MeasurementSet.from_api(
        {
            "setType": "EnergyBalance",
            "set": [
                {"time": "2026-06-21T12:10:00", "pvGeneration": "1200", "x": "n/a"},
                {"time": "2026-06-21T12:05:00", "pvGeneration": 600.0, "flag": True},
                {"time": "2026-06-21T12:15:00", "pvGeneration": 1e9},
                {"time": None, "pvGeneration": 5},
                {"time": "garbage"},
                "nonsense",
                {
                    "time": "2026-06-21T12:20:00+00:00",
                    "dcPowerInput": [
                        {"index": "A", "value": 1},
                        {"index": None, "value": 2},
                        {"value": 3},
                        "x",
                    ],
                    "empty": [],
                },
            ],
        },
        UTC,
    )
    assert [p.time.minute for p in measurements.points] == [5, 10, 15, 20]
    assert measurements.fields == {"pvGeneration"}
    assert measurements.points[0].values == {"pvGeneration": 600.0}
    assert measurements.points[3].indexed == {"dcPowerInput": {"A": 1.0}}
    # Resolution inferred from the intervals: 5 minutes.
    assert measurements.energy("pvGeneration", ceiling=10_000) == pytest.approx(
        (600 + 1200) / 12
    )
    assert measurements.energy("missing") is None
    assert MeasurementSet.from_api({"set": []}, UTC).energy("pvGeneration") is None
    assert MeasurementSet.from_api({"set": None}, UTC).latest is None


# GridControl ---------------------------------------------------------------


@pytest.mark.freeze_time(NOON)
async def test_feed_in_limit_schedule(sim: SmaSimulator, client: SmaClient) -> None:
    """Eligibility per plant, and the modelled FeedInLimit schedule body."""
    sim.grant_consent(SANDBOX_OWNER)
    assert await client.eligible_commands(["13", "24"]) == {
        "13": {"FeedInLimit"},
        "24": frozenset(),
    }
    start = datetime(2026, 6, 21, 10, 0, tzinfo=UTC)
    result = await client.set_feed_in_limit(
        "13",
        FeedInLimitCommand(
            value=3500, unit=LimitUnit.WATT, start=start, duration=timedelta(hours=2)
        ),
    )
    assert result.schedule_id == "schedule-1"
    assert result.state == "Accepted"
    await client.set_feed_in_limit("13", FeedInLimitCommand.no_limit(start))
    assert sim.schedules["13"] == [
        {
            "commands": [
                {
                    "commandType": "FeedInLimit",
                    "start": "2026-06-21T10:00:00Z",
                    "value": 3500,
                    "unit": "W",
                    "duration": 7200,
                }
            ]
        },
        {
            "commands": [
                {
                    "commandType": "FeedInLimit",
                    "start": "2026-06-21T10:00:00Z",
                    "value": 100,
                    "unit": "Percent",
                }
            ]
        },
    ]
    with pytest.raises(ApiResponseError, match="not eligible"):
        await client.set_feed_in_limit("24", FeedInLimitCommand.no_limit(start))

    sim.faults.add("schedules", status=202, body=b"", times=1)
    result = await client.set_feed_in_limit("13", FeedInLimitCommand.no_limit(start))
    assert result.schedule_id is None
    sim.faults.add("schedules", body=b"[1]", times=1)
    with pytest.raises(ApiResponseError):
        await client.set_feed_in_limit("13", FeedInLimitCommand.no_limit(start))
    sim.faults.add("eligibility", body=b'{"results": [1, {"plantId": "13", "eligibleCommands": ["FeedInLimit"]}, {"eligibleCommands": []}]}', times=1)  # fmt: skip
    assert await client.eligible_commands(["13"]) == {"13": {"FeedInLimit"}}
    sim.faults.add("eligibility", body=b"{}", times=1)
    with pytest.raises(ApiResponseError):
        await client.eligible_commands(["13"])
