"""The Northbound session against the simulator: login, logout, OAuth Connect, every error path."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import aiohttp
from freezegun.api import FrozenDateTimeFactory
import pytest

from custom_components.solar_cloud.api import (
    ApiAuthenticationError,
    ApiConnectionError,
    ApiNotSupportedError,
    ApiPermissionError,
    ApiRateLimitedError,
    ApiResponseError,
    SolarCloudApiError,
)
from custom_components.solar_cloud.api.auth import StaticTokenSource, TokenSource
from custom_components.solar_cloud.api.fusionsolar import FusionSolarClient
from custom_components.solar_cloud.api.fusionsolar.const import PowerControlMode
from custom_components.solar_cloud.api.fusionsolar.models import PowerControlSettings
from custom_components.solar_cloud.api.fusionsolar.session import LOGIN_RETRY_DELAY

from ..const import NOON
from ..simulator.core import RunningSimulator
from ..simulator.fusionsolar import DEMO_PASSWORD, DEMO_USER, FusionSolarSimulator
from .const import CLIENT_ID, HOME, MATERNELLE, PUER


@pytest.fixture
def instant_login_retry() -> None:
    """Keep the client's real pause before a login is sent again (it is recorded)."""


def _client(
    cloud: RunningSimulator, session: aiohttp.ClientSession, **kwargs: Any
) -> FusionSolarClient:
    options: dict[str, Any] = {"username": DEMO_USER, "password": DEMO_PASSWORD}
    return FusionSolarClient(session, cloud.base_url, **(options | kwargs))


# Sessions --------------------------------------------------------------------


@pytest.mark.parametrize("in_header", [True, False])
async def test_login_token_from_header_or_cookie(
    client: FusionSolarClient, sim: FusionSolarSimulator, in_header: bool
) -> None:
    """The token is read from the xsrf-token header, else the XSRF-TOKEN cookie."""
    sim.token_in_header = in_header
    await client.async_login()
    plants = await client.async_get_plants()
    assert [plant.code for plant in plants] == [HOME, MATERNELLE, PUER]
    sent = sim.log.of("stations")[0].headers
    assert sent["XSRF-TOKEN"] == sim.accounts[DEMO_USER].token


@pytest.mark.parametrize("answer", ["empty", "20400", "20001"])
async def test_wrong_password_is_never_tried_twice(
    cloud: RunningSimulator,
    session: aiohttp.ClientSession,
    sim: FusionSolarSimulator,
    answer: str,
) -> None:
    """An empty body (as the real service answers) or 20400/20001 is an auth error."""
    sim.wrong_password_answer = answer
    waits: list[float] = []
    client = _client(cloud, session, password="wrong", sleep=_recorder(waits))
    with pytest.raises(ApiAuthenticationError) as err:
        await client.async_get_plants()
    assert err.value.reason == "invalid_auth"
    with pytest.raises(ApiAuthenticationError):
        await client.async_get_plants()
    # An empty answer is asked once more, after a pause: a proxy may have sent it.
    assert sim.log.count("login") == (2 if answer == "empty" else 1)
    assert waits == ([LOGIN_RETRY_DELAY] if answer == "empty" else [])


def _recorder(waits: list[float]) -> Callable[[float], Awaitable[None]]:
    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    return sleep


@pytest.mark.parametrize("answer", [b"", b"<html>Bad gateway</html>", b"[]"])
async def test_one_unreadable_login_answer_is_tried_again(
    cloud: RunningSimulator,
    session: aiohttp.ClientSession,
    sim: FusionSolarSimulator,
    answer: bytes,
) -> None:
    """A proxy's empty or garbled answer does not lock the client: asked again."""
    sim.faults.add("login", body=answer, times=1)
    waits: list[float] = []
    client = _client(cloud, session, sleep=_recorder(waits))
    assert len(await client.async_get_plants()) == 3
    assert sim.log.count("login") == 2
    assert waits == [LOGIN_RETRY_DELAY]


async def test_garbled_login_answers_do_not_lock(
    cloud: RunningSimulator, session: aiohttp.ClientSession, sim: FusionSolarSimulator
) -> None:
    """Garbled answers are no verdict on the password: the next call logs in again."""
    sim.faults.add("login", body=b"<html>Bad gateway</html>", times=2)
    client = _client(cloud, session, sleep=_recorder([]))
    with pytest.raises(ApiResponseError):
        await client.async_get_plants()
    assert len(await client.async_get_plants()) == 3
    assert sim.log.count("login") == 3


async def test_lock_out_after_five_wrong_passwords(
    cloud: RunningSimulator, session: aiohttp.ClientSession, sim: FusionSolarSimulator
) -> None:
    """The service locks the account; the client says so with its own reason."""
    # The pauses before an empty answer is asked again are recorded, not
    # waited (30 s of the test's time before).
    waits: list[float] = []
    for _ in range(5):
        with pytest.raises(ApiAuthenticationError):
            await _client(
                cloud, session, password="wrong", sleep=_recorder(waits)
            ).async_login()
    with pytest.raises(ApiAuthenticationError) as err:
        await _client(cloud, session, sleep=_recorder(waits)).async_login()
    assert err.value.reason == "account_locked"
    # Each empty answer was asked once more: three clients made the five
    # failed logins that lock the account.
    assert waits == [LOGIN_RETRY_DELAY] * 3


@pytest.mark.parametrize(
    ("code", "reason"),
    [(20002, "account_disabled"), (20003, "account_expired")],
)
async def test_login_refused_for_the_account(
    client: FusionSolarClient, sim: FusionSolarSimulator, code: int, reason: str
) -> None:
    """A disabled or expired API account is an auth error with its own reason."""
    sim.faults.add("login", vendor_error=code)
    with pytest.raises(ApiAuthenticationError) as err:
        await client.async_login()
    assert err.value.reason == reason


async def test_login_rate_limited(
    client: FusionSolarClient, sim: FusionSolarSimulator
) -> None:
    """407 on login is a rate limit; the budget then holds logins back."""
    sim.faults.add("login", vendor_error=407, times=1)
    with pytest.raises(ApiRateLimitedError) as err:
        await client.async_login()
    assert err.value.retry_after is not None
    assert err.value.retry_after > 590
    with pytest.raises(ApiRateLimitedError) as err:
        await client.async_login()
    assert err.value.reason == "call_budget_exhausted"
    assert sim.log.count("login") == 1


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 400, "body": b"<html>" + b"x" * 100_000},
        {"status": 429, "body": b"<html>" + b"x" * 100_000},
        {
            "body": b'{"success": false, "failCode": 20004, "message": "'
            + b"x" * 100_000
            + b'"}'
        },
        {"body": b"[" + b"1," * 50_000 + b"1]"},
    ],
)
async def test_error_messages_quote_no_whole_body(
    client: FusionSolarClient, sim: FusionSolarSimulator, fault: dict[str, Any]
) -> None:
    """A long error answer is quoted in part (200 characters), never whole."""
    sim.faults.add("stations", **fault)
    with pytest.raises(SolarCloudApiError) as err:
        await client.async_get_plants()
    assert len(str(err.value)) < 300


async def test_login_without_token(
    client: FusionSolarClient, sim: FusionSolarSimulator
) -> None:
    """A successful login that hands out no token cannot be used."""
    sim.faults.add("login", body=b'{"success": true, "failCode": 0}')
    with pytest.raises(ApiResponseError):
        await client.async_login()


async def test_login_unknown_failure(
    client: FusionSolarClient, sim: FusionSolarSimulator
) -> None:
    """Other failCodes of the login are response errors."""
    sim.faults.add("login", vendor_error=20004)
    with pytest.raises(ApiConnectionError):
        await client.async_login()


async def test_stolen_session_logs_in_once_more(
    client: FusionSolarClient, sim: FusionSolarSimulator
) -> None:
    """305 (another login took the session): log in again once and retry."""
    await client.async_get_plants()
    sim.steal_session(DEMO_USER)
    assert len(await client.async_get_devices([HOME])) == 4
    assert sim.log.count("login") == 2


async def test_session_taken_over_again_is_not_retried(
    client: FusionSolarClient, sim: FusionSolarSimulator
) -> None:
    """A second 305 right after logging in means someone else uses the account."""
    await client.async_get_plants()
    sim.faults.add(
        "getDevList", body=b'{"failCode": 305, "message": "USER_MUST_RELOGIN"}'
    )
    with pytest.raises(ApiResponseError) as err:
        await client.async_get_devices([HOME])
    assert err.value.reason == "session_taken_over"
    assert sim.log.count("login") == 2


@pytest.mark.freeze_time(NOON)
async def test_idle_session_is_renewed_before_it_lapses(
    client: FusionSolarClient,
    sim: FusionSolarSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """After 30 idle minutes the client logs in first instead of meeting a 305."""
    await client.async_get_plants()
    freezer.tick(timedelta(minutes=31))
    await client.async_get_devices([HOME])
    assert sim.log.count("login") == 2
    assert sim.log.count("getDevList", status=200) == 1
    assert [r.endpoint for r in sim.log.requests] == [
        "login",
        "stations",
        "login",
        "getDevList",
    ]


async def test_logout(client: FusionSolarClient, sim: FusionSolarSimulator) -> None:
    """Logging out ends the session at the service."""
    await client.async_logout()  # nothing to end
    await client.async_get_plants()
    await client.async_logout()
    assert sim.accounts[DEMO_USER].token is None
    assert sim.log.count("logout") == 1


async def test_logout_failure_is_ignored(
    client: FusionSolarClient, sim: FusionSolarSimulator
) -> None:
    """A logout that fails does not matter: the token is dropped anyway."""
    await client.async_get_plants()
    sim.faults.add("logout", delay=0.5)
    client._timeout = 0.05
    await client.async_logout()
    assert client._token is None


# Errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "error", "reason"),
    [
        ({"vendor_error": 407}, ApiRateLimitedError, "rate_limited"),
        ({"vendor_error": 429}, ApiRateLimitedError, "rate_limited"),
        ({"vendor_error": 20618}, ApiRateLimitedError, "daily_quota_exceeded"),
        ({"status": 429}, ApiRateLimitedError, "rate_limited"),
        (
            {
                "status": 403,
                "body": b'{"errorCode":"49401021002","exceptionInfo":"Request is rejected by api quotaControl."}',
            },
            ApiRateLimitedError,
            "rate_limited",
        ),
        ({"vendor_error": 401}, ApiPermissionError, "interface_not_permitted"),
        ({"vendor_error": 20056}, ApiPermissionError, "not_authorized_by_owner"),
        ({"status": 403}, ApiPermissionError, "permission_denied"),
        ({"vendor_error": 20004}, ApiConnectionError, "cannot_connect"),
        ({"vendor_error": 20200}, ApiConnectionError, "cannot_connect"),
        ({"status": 502}, ApiConnectionError, "cannot_connect"),
        ({"status": 404}, ApiNotSupportedError, "endpoint_not_supported"),
        ({"vendor_error": 20009}, ApiResponseError, "unexpected_response"),
        ({"body": b"<html>"}, ApiResponseError, "unexpected_response"),
        ({"body": b"[1, 2]"}, ApiResponseError, "unexpected_response"),
        ({"status": 401}, ApiAuthenticationError, "invalid_auth"),
    ],
)
async def test_error_answers(
    client: FusionSolarClient,
    sim: FusionSolarSimulator,
    fault: dict[str, Any],
    error: type[Exception],
    reason: str,
) -> None:
    """Every kind of refusal becomes the matching client error."""
    sim.faults.add("getDevList", **fault)
    with pytest.raises(error) as err:
        await client.async_get_devices([HOME])
    assert getattr(err.value, "reason", None) == reason
    if isinstance(err.value, ApiPermissionError):
        assert err.value.missing_right == "getDevList"
    if isinstance(err.value, ApiRateLimitedError):
        assert err.value.retry_after is not None


async def test_rate_limit_backs_the_interface_off(
    client: FusionSolarClient, sim: FusionSolarSimulator
) -> None:
    """After a 407 the interface is not called again until its window reset."""
    sim.faults.add("getStationRealKpi", vendor_error=407, times=1)
    with pytest.raises(ApiRateLimitedError) as err:
        await client.async_get_plant_kpis([HOME])
    assert err.value.retry_after == pytest.approx(301, abs=1)
    with pytest.raises(ApiRateLimitedError) as err:
        await client.async_get_plant_kpis([HOME])
    assert err.value.reason == "call_budget_exhausted"
    assert sim.log.count("getStationRealKpi") == 1
    # Other interfaces are not held back.
    assert await client.async_get_devices([HOME])


async def test_timeout_is_a_connection_error(
    cloud: RunningSimulator, session: aiohttp.ClientSession, sim: FusionSolarSimulator
) -> None:
    """A call that takes too long fails as a connection error."""
    client = _client(cloud, session, request_timeout=0.05)
    await client.async_login()
    sim.faults.add("getDevList", delay=0.5)
    with pytest.raises(ApiConnectionError):
        await client.async_get_devices([HOME])


def test_credentials_or_token_source_required(session: aiohttp.ClientSession) -> None:
    """A client needs a way to sign in."""
    with pytest.raises(ValueError, match="username and password"):
        FusionSolarClient(session, "https://x", username="only")


# OAuth Connect -------------------------------------------------------------------


class _Tokens(TokenSource):
    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.renewed = 0

    async def async_get_access_token(self) -> str:
        return self.tokens[0]

    async def async_renew_access_token(self) -> str:
        self.renewed += 1
        self.tokens.pop(0)
        return self.tokens[0]


def _bearer(sim: FusionSolarSimulator, scope: str = "pvms.openapi.basic") -> str:
    from datetime import datetime

    from ..simulator.oauth import IssuedToken

    token = f"token-{len(sim.oauth.access_tokens)}"
    sim.oauth.access_tokens[token] = IssuedToken(
        client_id=CLIENT_ID,
        subject=DEMO_USER,
        scope=scope,
        expires_at=datetime.now().astimezone() + timedelta(hours=1),
    )
    return token


async def test_oauth_bearer_token(
    cloud: RunningSimulator, session: aiohttp.ClientSession, sim: FusionSolarSimulator
) -> None:
    """OAuth Connect: a bearer token on the same APIs, no login."""
    client = FusionSolarClient(
        session, cloud.base_url, token_source=StaticTokenSource(_bearer(sim))
    )
    assert client.uses_oauth
    await client.async_login()
    await client.async_logout()
    assert len(await client.async_get_plants()) == 3
    assert sim.log.count("login") == 0


@pytest.mark.parametrize("refusal", [{"status": 401}, {"vendor_error": 305}])
async def test_oauth_refused_token_is_renewed_once(
    cloud: RunningSimulator,
    session: aiohttp.ClientSession,
    sim: FusionSolarSimulator,
    refusal: dict[str, Any],
) -> None:
    """A refused token is renewed and the call repeated, once."""
    tokens = _Tokens(["stale", _bearer(sim)])
    client = FusionSolarClient(session, cloud.base_url, token_source=tokens)
    sim.faults.add("stations", times=1, **refusal)
    assert len(await client.async_get_plants()) == 3
    assert tokens.renewed == 1


async def test_oauth_token_refused_twice(
    cloud: RunningSimulator, session: aiohttp.ClientSession, sim: FusionSolarSimulator
) -> None:
    """A renewed token that is refused too needs the user."""
    tokens = _Tokens(["stale", "stale too"])
    client = FusionSolarClient(session, cloud.base_url, token_source=tokens)
    with pytest.raises(ApiAuthenticationError) as err:
        await client.async_get_plants()
    assert err.value.reason == "oauth_refresh_refused"


async def test_oauth_without_control_scope(
    cloud: RunningSimulator, session: aiohttp.ClientSession, sim: FusionSolarSimulator
) -> None:
    """Controls need the pvms.openapi.control scope."""
    client = FusionSolarClient(
        session, cloud.base_url, token_source=StaticTokenSource(_bearer(sim))
    )
    with pytest.raises(ApiPermissionError):
        await client.async_deliver_task(
            HOME, PowerControlSettings(mode=PowerControlMode.NO_LIMIT)
        )
