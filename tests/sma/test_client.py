"""The SMA client against the simulator: tokens, consent, monitoring, quirks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
import json
from typing import Any
from urllib.parse import parse_qs

import aiohttp
from freezegun.api import FrozenDateTimeFactory
import pytest

from custom_components.solar_cloud.api import (
    ApiAuthenticationError,
    ApiConnectionError,
    ApiPermissionError,
    ApiRateLimitedError,
    ApiResponseError,
)
from custom_components.solar_cloud.api.sma import (
    ConsentState,
    FeedInLimitCommand,
    LimitUnit,
    Period,
    PlantKind,
    SmaClient,
    SmaClientCredentials,
    SmaEndpoints,
    SmaEnvironment,
)
from custom_components.solar_cloud.api.sma.models import MeasurementSet
from custom_components.solar_cloud.api.sma.token import token_subject

from ..const import NOON
from ..simulator.core import RunningSimulator
from ..simulator.sma import (
    CLASSIC_PLANT,
    CODE_CLIENT,
    CUSTOM_CLIENT,
    DEMO_OWNER,
    SANDBOX_OWNER,
    SmaSimulator,
)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """Return a plain aiohttp session."""
    async with aiohttp.ClientSession() as session:
        yield session


def _client(
    session: aiohttp.ClientSession,
    cloud: RunningSimulator,
    credentials: tuple[str, str] = CUSTOM_CLIENT,
    **kwargs: Any,
) -> tuple[SmaClient, SmaClientCredentials]:
    endpoints = SmaEndpoints.for_environment(
        SmaEnvironment.CUSTOM, url=f"{cloud.base_url}/"
    )
    tokens = SmaClientCredentials(session, endpoints, *credentials)
    return SmaClient(session, endpoints, tokens, **kwargs), tokens


# Environments --------------------------------------------------------------


def test_environments() -> None:
    """Production, sandbox and custom URLs as SMA documents them."""
    production = SmaEndpoints.for_environment(SmaEnvironment.PRODUCTION)
    assert production.token_url == "https://auth.smaapis.de/oauth2/token"
    assert production.consent == "https://async-auth.smaapis.de"
    assert production.monitoring == "https://monitoring.smaapis.de"
    sandbox = SmaEndpoints.for_environment(
        SmaEnvironment.SANDBOX, gridcontrol_url="https://gc.example/"
    )
    assert sandbox.authorize_url == "https://sandbox-auth.smaapis.de/oauth2/auth"
    assert sandbox.monitoring == "https://sandbox.smaapis.de/monitoring"
    assert sandbox.gridcontrol == "https://gc.example"
    custom = SmaEndpoints.for_environment(SmaEnvironment.CUSTOM, url="http://h:1/")
    assert custom.logout_url == "http://h:1/oauth2/logout"
    assert custom.gridcontrol == "http://h:1/gridcontrol"
    with pytest.raises(ValueError, match="base URL"):
        SmaEndpoints.for_environment(SmaEnvironment.CUSTOM)


# Tokens --------------------------------------------------------------------


@pytest.mark.freeze_time(NOON)
async def test_token_renewed_ahead_of_expiry(
    session: aiohttp.ClientSession,
    sma_cloud: RunningSimulator,
    sim: SmaSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A 300 s token is reused, then renewed with the refresh token before it expires."""
    client, _ = _client(session, sma_cloud)
    await client.plants()
    freezer.tick(timedelta(seconds=200))
    await client.plants()
    assert sim.log.count("oauth_token") == 1

    freezer.tick(timedelta(seconds=75))  # 275 s: inside the renewal margin
    await client.plants()
    grants = [parse_qs(r.body.decode()) for r in sim.log.of("oauth_token")]
    assert [grant["grant_type"][0] for grant in grants] == [
        "client_credentials",
        "refresh_token",
    ]
    assert all(r.status == 200 for r in sim.log.of("plants"))


async def test_inactive_token_is_renewed_once(
    session: aiohttp.ClientSession, sma_cloud: RunningSimulator, sim: SmaSimulator
) -> None:
    """401 "Token is not active": one renewal and a retry, then an auth error."""
    client, _ = _client(session, sma_cloud)
    await client.plants()
    sim.end_sessions()
    assert await client.plants() == []
    assert [r.status for r in sim.log.of("plants")] == [200, 401, 200]

    sim.faults.add("plants", status=401)
    with pytest.raises(ApiAuthenticationError) as err:
        await client.plants()
    assert err.value.reason == "sma_token_not_active"


async def test_refused_refresh_signs_in_anew(
    session: aiohttp.ClientSession,
    sma_cloud: RunningSimulator,
    sim: SmaSimulator,
) -> None:
    """A session SMA ended (refresh token not active) is replaced by a new sign-in."""
    client, tokens = _client(session, sma_cloud)
    await tokens.async_get_access_token()
    sim.oauth.revoke_all()
    await tokens.async_renew_access_token()
    grants = [r.body.decode() for r in sim.log.of("oauth_token")]
    assert "grant_type=refresh_token" in grants[1]
    assert "grant_type=client_credentials" in grants[2]
    assert await client.plants() == []


async def test_secret_revoked_during_a_session(
    session: aiohttp.ClientSession, sma_cloud: RunningSimulator, sim: SmaSimulator
) -> None:
    """A client SMA no longer accepts fails the refresh with invalid_client."""
    _, tokens = _client(session, sma_cloud)
    await tokens.async_get_access_token()
    sim.oauth.clients["custom-client"] = "rotated"
    with pytest.raises(ApiAuthenticationError) as err:
        await tokens.async_renew_access_token()
    assert err.value.reason == "sma_invalid_client"


@pytest.mark.parametrize(
    ("fault", "error", "reason"),
    [
        (
            {
                "status": 415,
                "body": b'{"error":"invalid_request","error_description":"Cannot consume content type"}',
            },
            ApiResponseError,
            "sma_unsupported_content_type",
        ),
        (
            {
                "status": 400,
                "body": b'{"error":"invalid_request","error_description":"Missing form parameter: grant_type"}',
            },
            ApiResponseError,
            "sma_missing_grant_type",
        ),
        (
            {"status": 400, "body": b'{"error":"unsupported_grant_type"}'},
            ApiResponseError,
            "unexpected_response",
        ),
        ({"status": 503}, ApiConnectionError, "cannot_connect"),
        ({"status": 429}, ApiRateLimitedError, "rate_limited"),
    ],
)
async def test_token_errors(
    session: aiohttp.ClientSession,
    *,
    sma_cloud: RunningSimulator,
    sim: SmaSimulator,
    fault: dict[str, Any],
    error: type[Exception],
    reason: str,
) -> None:
    """The documented token errors become clear, translated reasons."""
    sim.faults.add("oauth_token", **fault)
    client, _ = _client(session, sma_cloud)
    with pytest.raises(error) as err:
        await client.plants()
    assert err.value.reason == reason  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "credentials", [CODE_CLIENT, (CUSTOM_CLIENT[0], "wrong"), ("unknown", "x")]
)
async def test_invalid_client(
    session: aiohttp.ClientSession,
    sma_cloud: RunningSimulator,
    credentials: tuple[str, str],
) -> None:
    """Wrong credentials, and code-flow credentials in the custom flow: invalid_client."""
    client, _ = _client(session, sma_cloud, credentials)
    with pytest.raises(ApiAuthenticationError) as err:
        await client.plants()
    assert err.value.reason == "sma_invalid_client"


async def test_logout(
    session: aiohttp.ClientSession, sma_cloud: RunningSimulator, sim: SmaSimulator
) -> None:
    """Logout ends the session (204); without a session there is nothing to end."""
    client, tokens = _client(session, sma_cloud)
    await tokens.async_logout()
    assert sim.log.count("logout") == 0
    await client.plants()
    await tokens.async_logout()
    assert sim.log.of("logout")[0].status == 204
    assert sim.oauth.refresh_tokens == {}

    await client.plants()
    sim.oauth.revoke_all()
    with pytest.raises(ApiAuthenticationError):
        await tokens.async_logout()


def test_token_subject() -> None:
    """The code flow names its account by the JWT's subject."""
    assert token_subject("not-a-jwt") is None
    assert token_subject("a.!!!.c") is None
    assert token_subject("a.e30.c") is None  # {}
    assert token_subject("a.eyJzdWIiOiJ4In0.c") == "x"  # {"sub":"x"}


# Consent -------------------------------------------------------------------


async def test_consent_lifecycle(
    session: aiohttp.ClientSession, sma_cloud: RunningSimulator, sim: SmaSimulator
) -> None:
    """Never requested, pending, accepted (plants appear), revoked (plants go)."""
    client, _ = _client(session, sma_cloud)
    status = await client.consent_status(SANDBOX_OWNER)
    assert status.state is ConsentState.NOT_REQUESTED
    assert status.expires_at is None

    status = await client.request_consent(SANDBOX_OWNER)
    assert status.state is ConsentState.PENDING
    assert status.interval == 1800
    assert status.expires_at is not None
    assert sim.log.of("consent_request")[0].headers["Content-Type"] == (
        "application/json"
    )
    assert await client.plants() == []

    sim.set_consent(SANDBOX_OWNER, "accept")
    assert (await client.consent_status(SANDBOX_OWNER)).state is ConsentState.ACCEPTED
    assert [plant.name for plant in await client.plants()] == [
        "Testplant 1",
        "TestPlant2",
        "TestPlant3",
        "TestPlant4",
    ]

    sim.set_consent(SANDBOX_OWNER, "revoked")
    assert (await client.consent_status(SANDBOX_OWNER)).state is ConsentState.REVOKED
    assert await client.plants() == []


@pytest.mark.parametrize(
    ("body", "state"),
    [
        ({"state": "Accepted"}, ConsentState.ACCEPTED),
        ({"state": "REJECTED"}, ConsentState.REJECTED),
        ({"state": " expired "}, ConsentState.EXPIRED),
        ({"state": "pending", "expirationDate": "2026-06-28T10:00:00.1234567Z"}, ConsentState.PENDING),
        ({"state": "pending", "expirationDate": "0001-01-01T00:00:00.0000000"}, ConsentState.NOT_REQUESTED),
        ({"state": None, "expirationDate": "0001-01-01T00:00:00"}, ConsentState.NOT_REQUESTED),
    ],
)  # fmt: skip
async def test_consent_states_are_parsed_tolerantly(
    session: aiohttp.ClientSession,
    sma_cloud: RunningSimulator,
    sim: SmaSimulator,
    body: dict[str, Any],
    state: ConsentState,
) -> None:
    """States in any casing; .NET's default date means "never requested"."""
    sim.faults.add(
        "consent_state", body=json.dumps({"loginHint": SANDBOX_OWNER, **body}).encode()
    )
    client, _ = _client(session, sma_cloud)
    assert (await client.consent_status(SANDBOX_OWNER)).state is state


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ({"body": b'{"state": "maybe"}'}, ApiResponseError),
        ({"body": b"[]"}, ApiResponseError),
        ({"status": 500}, ApiConnectionError),
        ({"status": 400, "body": b'{"message": "Bad request"}'}, ApiResponseError),
    ],
)
async def test_consent_errors(
    session: aiohttp.ClientSession,
    sma_cloud: RunningSimulator,
    sim: SmaSimulator,
    fault: dict[str, Any],
    error: type[Exception],
) -> None:
    """Unknown states and failures are errors, not guesses."""
    sim.faults.add("consent_state", **fault)
    client, _ = _client(session, sma_cloud)
    with pytest.raises(error):
        await client.consent_status(SANDBOX_OWNER)


async def test_not_a_plant_owner(
    session: aiohttp.ClientSession, sma_cloud: RunningSimulator, sim: SmaSimulator
) -> None:
    """SMA refuses a login hint that owns no plant, on request and on status."""
    client, _ = _client(session, sma_cloud)
    for call in (client.request_consent, client.consent_status):
        with pytest.raises(ApiPermissionError) as err:
            await call("nobody@example.com")
        assert err.value.reason == "sma_not_plant_owner"
    # The answer has also been seen with HTTP 200.
    sim.faults.add(
        "consent_state", body=b'{"message": "User is not a plant owner"}', times=1
    )
    with pytest.raises(ApiPermissionError):
        await client.consent_status(SANDBOX_OWNER)


async def test_consent_request_already_waiting(
    session: aiohttp.ClientSession, sma_cloud: RunningSimulator, sim: SmaSimulator
) -> None:
    """409 (a request already waits) answers with the current state; 404 is none."""
    client, _ = _client(session, sma_cloud)
    sim.grant_consent(SANDBOX_OWNER)
    sim.faults.add("consent_request", status=409, times=1)
    assert (await client.request_consent(SANDBOX_OWNER)).state is ConsentState.ACCEPTED
    sim.faults.add("consent_state", status=404, body=b'{"message": "No request"}')
    assert (
        await client.consent_status(SANDBOX_OWNER)
    ).state is ConsentState.NOT_REQUESTED


# Monitoring ----------------------------------------------------------------


@pytest.mark.freeze_time(NOON)
async def test_monitoring_reads(
    session: aiohttp.ClientSession, sma_cloud: RunningSimulator, sim: SmaSimulator
) -> None:
    """Plants, devices (deactivated ones flagged), sets and measurements."""
    sim.grant_consent(SANDBOX_OWNER)
    sim.grant_consent(DEMO_OWNER)
    client, _ = _client(session, sma_cloud)
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
async def test_energy_values_and_totals(
    session: aiohttp.ClientSession, sma_cloud: RunningSimulator, sim: SmaSimulator
) -> None:
    """ReturnEnergyValues gives Wh per interval; WithTotal adds SMA's sums."""
    sim.grant_consent(SANDBOX_OWNER)
    client, _ = _client(session, sma_cloud)
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
async def test_classic_plant_data_is_late(
    session: aiohttp.ClientSession, sma_cloud: RunningSimulator, sim: SmaSimulator
) -> None:
    """A classic plant's newest interval is two hours old."""
    sim.grant_consent(DEMO_OWNER)
    client, _ = _client(session, sma_cloud)
    plant = next(p for p in await client.plants() if p.plant_id == CLASSIC_PLANT)
    day = await client.energy_balance(plant, Period.DAY, day=date(2026, 6, 21))
    assert day.latest is not None
    assert day.latest.time == datetime(2026, 6, 21, 10, 0, tzinfo=plant.zone)
    assert day.resolution == timedelta(minutes=15)


@pytest.mark.freeze_time(NOON)
async def test_moved_plant_is_followed_and_remembered(
    session: aiohttp.ClientSession, sma_cloud: RunningSimulator, sim: SmaSimulator
) -> None:
    """308 is followed; the new id is used from then on and reported once."""
    sim.grant_consent(DEMO_OWNER)
    moves: list[tuple[str, str]] = []
    client, _ = _client(
        session, sma_cloud, on_plant_migrated=lambda old, new: moves.append((old, new))
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


async def test_redirect_loop_is_an_error(
    session: aiohttp.ClientSession, sma_cloud: RunningSimulator, sim: SmaSimulator
) -> None:
    """A redirect that never ends is not followed forever."""
    sim.grant_consent(SANDBOX_OWNER)
    plants = sim.plants
    plants["13"].moved_to = "13"
    client, _ = _client(session, sma_cloud)
    with pytest.raises(ApiResponseError, match="redirected"):
        await client.devices("13")


async def test_rate_limit_backs_off(
    session: aiohttp.ClientSession,
    sma_cloud: RunningSimulator,
    sim: SmaSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """429 without Retry-After: back off a minute, doubling; calls wait meanwhile."""
    sim.rate_limit = 3
    client, _ = _client(session, sma_cloud)
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
    session: aiohttp.ClientSession,
    sma_cloud: RunningSimulator,
    sim: SmaSimulator,
    fault: dict[str, Any],
    error: type[Exception],
) -> None:
    """Failures and unusable answers raise the client's errors."""
    sim.faults.add("plants", **fault)
    client, _ = _client(session, sma_cloud)
    with pytest.raises(error):
        await client.plants()


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
async def test_feed_in_limit_schedule(
    session: aiohttp.ClientSession, sma_cloud: RunningSimulator, sim: SmaSimulator
) -> None:
    """Eligibility per plant, and the modelled FeedInLimit schedule body."""
    sim.grant_consent(SANDBOX_OWNER)
    client, _ = _client(session, sma_cloud)
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
