"""The SMA client against the simulator: environments, tokens, consent."""

from __future__ import annotations

from datetime import timedelta
import json
from typing import Any
from urllib.parse import parse_qs

import aiohttp
from freezegun.api import FrozenDateTimeFactory
import pytest

from custom_components.solar_cloud.api import (
    AccountRateLimitedError,
    ApiAuthenticationError,
    ApiConnectionError,
    ApiPermissionError,
    ApiRateLimitedError,
    ApiResponseError,
)
from custom_components.solar_cloud.api.account_gate import AccountGate
from custom_components.solar_cloud.api.sma import (
    ConsentState,
    SmaClient,
    SmaClientCredentials,
    SmaEndpoints,
    SmaEnvironment,
)
from custom_components.solar_cloud.api.sma.token import token_subject

from ..const import NOON
from ..simulator.sma import CODE_CLIENT, CUSTOM_CLIENT, SANDBOX_OWNER, SmaSimulator

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
    sim: SmaSimulator, freezer: FrozenDateTimeFactory, client: SmaClient
) -> None:
    """A 300 s token is reused, then renewed with the refresh token before it expires."""
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
    sim: SmaSimulator, client: SmaClient
) -> None:
    """401 "Token is not active": one renewal and a retry, then an auth error."""
    await client.plants()
    sim.end_sessions()
    assert await client.plants() == []
    assert [r.status for r in sim.log.of("plants")] == [200, 401, 200]

    sim.faults.add("plants", status=401)
    with pytest.raises(ApiAuthenticationError) as err:
        await client.plants()
    assert err.value.reason == "sma_token_not_active"


async def test_renewed_token_refused_signs_in_anew(
    sim: SmaSimulator, client: SmaClient
) -> None:
    """A renewed token refused too: the client credentials sign in once more."""
    await client.plants()
    sim.faults.add("plants", status=401, times=2)
    assert await client.plants() == []
    assert [r.status for r in sim.log.of("plants")] == [200, 401, 401, 200]
    grants = [parse_qs(r.body.decode()) for r in sim.log.of("oauth_token")]
    assert [grant["grant_type"][0] for grant in grants] == [
        "client_credentials",
        "refresh_token",
        "client_credentials",
    ]
    # The replaced session was ended at SMA: only the new one is open.
    assert len(sim.oauth.refresh_tokens) == 1

    sim.faults.add("plants", status=401, times=3)
    with pytest.raises(ApiAuthenticationError) as err:
        await client.plants()
    assert err.value.reason == "sma_token_not_active"
    assert [r.status for r in sim.log.of("plants")][-3:] == [401, 401, 401]


async def test_refused_refresh_signs_in_anew(
    sim: SmaSimulator, client: SmaClient, tokens: SmaClientCredentials
) -> None:
    """A session SMA ended (refresh token not active) is replaced by a new sign-in."""
    await tokens.async_get_access_token()
    sim.oauth.revoke_all()
    await tokens.async_renew_access_token()
    grants = [r.body.decode() for r in sim.log.of("oauth_token")]
    assert "grant_type=refresh_token" in grants[1]
    assert "grant_type=client_credentials" in grants[2]
    assert await client.plants() == []


async def test_secret_revoked_during_a_session(
    sim: SmaSimulator, tokens: SmaClientCredentials
) -> None:
    """A client SMA no longer accepts fails the refresh with invalid_client."""
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
    sim: SmaSimulator,
    *,
    fault: dict[str, Any],
    error: type[Exception],
    reason: str,
    client: SmaClient,
) -> None:
    """The documented token errors become clear, translated reasons."""
    sim.faults.add("oauth_token", **fault)
    with pytest.raises(error) as err:
        await client.plants()
    assert err.value.reason == reason  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "credentials", [CODE_CLIENT, (CUSTOM_CLIENT[0], "wrong"), ("unknown", "x")]
)
async def test_invalid_client(
    session: aiohttp.ClientSession,
    credentials: tuple[str, str],
    endpoints: SmaEndpoints,
) -> None:
    """Wrong credentials, and code-flow credentials in the custom flow: invalid_client."""
    client = SmaClient(
        session, endpoints, SmaClientCredentials(session, endpoints, *credentials)
    )
    with pytest.raises(ApiAuthenticationError) as err:
        await client.plants()
    assert err.value.reason == "sma_invalid_client"


async def test_logout(
    sim: SmaSimulator, client: SmaClient, tokens: SmaClientCredentials
) -> None:
    """Logout ends the session (204); without a session there is nothing to end."""
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


async def test_a_refused_logout_holds_the_account(
    sim: SmaSimulator, session: aiohttp.ClientSession, endpoints: SmaEndpoints
) -> None:
    """A logout's 429 with Retry-After opens the account's window (logged once).

    No client call sees it, so the token source takes it: the account's
    next call, of any client, fails without a request.
    """
    gate = AccountGate()
    tokens = SmaClientCredentials(session, endpoints, *CUSTOM_CLIENT, gate=gate)
    client = SmaClient(session, endpoints, tokens, gate=gate)
    await client.plants()
    sim.faults.add(
        "logout", status=429, headers={"Retry-After": "600"}, body=b"{}", times=1
    )
    with pytest.raises(ApiRateLimitedError):
        await tokens.async_logout()
    calls = len(sim.log.requests)
    with pytest.raises(AccountRateLimitedError) as err:
        await client.plants()
    assert err.value.retry_after == pytest.approx(600, abs=5)
    assert len(sim.log.requests) == calls


def test_token_subject() -> None:
    """The code flow names its account by the JWT's subject."""
    assert token_subject("not-a-jwt") is None
    assert token_subject("a.!!!.c") is None
    assert token_subject("a.e30.c") is None  # {}
    assert token_subject("a.eyJzdWIiOiJ4In0.c") == "x"  # {"sub":"x"}


# Consent -------------------------------------------------------------------


async def test_consent_lifecycle(sim: SmaSimulator, client: SmaClient) -> None:
    """Never requested, pending, accepted (plants appear), revoked (plants go)."""
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
    sim: SmaSimulator, body: dict[str, Any], state: ConsentState, client: SmaClient
) -> None:
    """States in any casing; .NET's default date means "never requested"."""
    sim.faults.add(
        "consent_state", body=json.dumps({"loginHint": SANDBOX_OWNER, **body}).encode()
    )
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
    sim: SmaSimulator, fault: dict[str, Any], error: type[Exception], client: SmaClient
) -> None:
    """Unknown states and failures are errors, not guesses."""
    sim.faults.add("consent_state", **fault)
    with pytest.raises(error):
        await client.consent_status(SANDBOX_OWNER)


async def test_not_a_plant_owner(sim: SmaSimulator, client: SmaClient) -> None:
    """SMA refuses a login hint that owns no plant, on request and on status."""
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
    sim: SmaSimulator, client: SmaClient
) -> None:
    """409 (a request already waits) answers with the current state; 404 is none."""
    sim.grant_consent(SANDBOX_OWNER)
    sim.faults.add("consent_request", status=409, times=1)
    assert (await client.request_consent(SANDBOX_OWNER)).state is ConsentState.ACCEPTED
    sim.faults.add("consent_state", status=404, body=b'{"message": "No request"}')
    assert (
        await client.consent_status(SANDBOX_OWNER)
    ).state is ConsentState.NOT_REQUESTED
