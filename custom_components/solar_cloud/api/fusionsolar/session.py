"""The session with one account of the Northbound API, and how each call is made.

One client per account: the API allows one session per account (a new login
ends the previous one), and its flow control counts per account, so every
poller of an account shares one client, and the client sends one call at a
time. Every call passes the account's :class:`CallBudget` first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.cookies import CookieError, SimpleCookie
import logging
from typing import Any

import aiohttp

from ..account_gate import AccountGate
from ..auth import TokenSource
from ..errors import (
    ApiAuthenticationError,
    ApiConnectionError,
    ApiRateLimitedError,
    ApiResponseError,
)
from ..transport import RawResponse, send
from .const import SESSION_IDLE_LIMIT, TOKEN_HEADER, FailCode, Path
from .errors import envelope, fail_code_error, fail_text, http_error, interface_name
from .flow_control import CallBudget
from .values import as_int

_LOGGER = logging.getLogger(__name__)

# Renew the session a minute before the server would let it lapse, rather
# than spend a call on learning that it did.
_SESSION_RENEW_AFTER = timedelta(seconds=SESSION_IDLE_LIMIT - 60)
LOGIN_RETRY_DELAY = 10.0
"""Seconds before a login whose answer was empty or unreadable is sent again."""


@dataclass(frozen=True, kw_only=True)
class SessionToken:
    """A logged-in session of an account: its XSRF token and when it was last used.

    The token is the whole session (the client keeps no cookies), so another
    client of the same account can carry on with it instead of logging in.
    """

    token: str = field(repr=False)
    used: datetime


def _token_from(response: RawResponse) -> str | None:
    if token := response.headers.get("xsrf-token"):
        return token
    for header in response.headers.getall("Set-Cookie", []):
        try:
            cookie = SimpleCookie(header)
        except CookieError:
            continue
        if (morsel := cookie.get(TOKEN_HEADER)) is not None and morsel.value:
            return morsel.value
    return None


def _unreadable(response: RawResponse) -> bool:
    """Return whether a login answer is empty or no JSON object."""
    if response.status != 200:
        return False
    try:
        envelope(response)
    except ApiResponseError:
        return True
    return False


def _utcnow() -> datetime:
    return datetime.now(UTC)


class FusionSolarSession:
    """The session with one account, and the one-at-a-time calls made in it."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        host: str,
        *,
        username: str | None = None,
        password: str | None = None,
        token_source: TokenSource | None = None,
        budget: CallBudget | None = None,
        clock: Callable[[], datetime] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        max_wait: float = 90.0,
        request_timeout: float = 30.0,
        gate: AccountGate | None = None,
    ) -> None:
        """Use a Northbound API account, or an OAuth Connect ``token_source``.

        ``session`` should not keep cookies: the token is sent as a header,
        and a shared cookie jar would mix the sessions of two accounts.

        A call the budget allows within ``max_wait`` seconds waits for its
        slot (``sleep``); one further out is refused without being sent.

        ``gate``: the account's, shared by its clients (without one, the
        client keeps a gate of its own): within its window calls fail
        without a request, before the budget counts them. The client opens
        the window where a refusal of the whole account refused all its
        caller asked for (:meth:`_call_alone`, a poller's round).
        """
        if token_source is None and (username is None or password is None):
            raise ValueError("Give username and password, or a token source")
        self._session = session
        self.host = host.rstrip("/")
        self._username = username
        self._password = password
        self._token_source = token_source
        self.budget = budget or CallBudget()
        self.gate = gate or AccountGate(clock or _utcnow)
        self._clock = clock or _utcnow
        self._sleep = sleep
        self._max_wait = max_wait
        self._timeout = request_timeout
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._token_used: datetime | None = None
        self._auth_error: ApiAuthenticationError | None = None

    @property
    def uses_oauth(self) -> bool:
        """Return whether the client signs in with OAuth Connect."""
        return self._token_source is not None

    def now(self) -> datetime:
        """Return the time the budget counts with."""
        return self._clock()

    # Sessions ---------------------------------------------------------------

    def session_token(self) -> SessionToken | None:
        """Return the session this client is logged in with, if any."""
        if self._token is None or self._token_used is None:
            return None
        return SessionToken(token=self._token, used=self._token_used)

    def resume_session(self, session: SessionToken) -> None:
        """Carry on with a session another client of the account logged in.

        Huawei allows five logins per ten minutes and ends the previous
        session at each, so a client that takes over saves one. Should the
        session have lapsed after all, the first call is answered 305 and the
        client logs in as usual. (An OAuth Connect client signs its calls with
        its bearer token and never sends this one.)
        """
        self._token = session.token
        self._token_used = session.used

    async def async_login(self) -> None:
        """Log in now (to validate the credentials).

        Raises:
            ApiAuthenticationError: Wrong credentials, or the account is
                locked, disabled or expired.
            ApiRateLimitedError: Logged in too often lately.

        """
        self.gate.check()
        if self.uses_oauth:
            await self._token_source.async_get_access_token()  # type: ignore[union-attr]
            return
        async with self._lock:
            await self._login()

    async def async_logout(self) -> None:
        """End the session, if there is one and the budget allows."""
        async with self._lock:
            if self._token is None or self.uses_oauth:
                return
            token, self._token = self._token, None
            now = self.now()
            if (
                self.gate.refusal() is not None
                or self.budget.next_slot(Path.LOGOUT, now) > now
            ):
                return
            self.budget.record(Path.LOGOUT, now)
            try:
                await send(
                    self._session,
                    "POST",
                    f"{self.host}{Path.LOGOUT}",
                    json={"xsrfToken": token},
                    headers={TOKEN_HEADER: token},
                    request_timeout=self._timeout,
                    allow_redirects=False,
                )
            except ApiConnectionError as err:
                _LOGGER.debug("Logout failed: %s", err)

    async def _login(self) -> None:
        if self._auth_error is not None:
            # Never try a refused password again: five wrong ones lock the
            # account for 30 minutes.
            raise self._auth_error
        response = await self._send_login()
        if _unreadable(response):
            # The service answers a wrong password with an empty body, but a
            # proxy in between can answer one too (or a page of its own): ask
            # once more before taking it for a wrong password, which locks the
            # client (five wrong ones lock the account). Retrying on our own
            # could not tell a glitch from a changed password and would walk
            # into Huawei's lock; the user sees a reauth flow instead, and
            # sending it (with the same system code, if it was a glitch) logs
            # in with a new client: no reload by hand, no lock-out.
            _LOGGER.debug("Unreadable login answer; trying once more")
            await self._sleep(LOGIN_RETRY_DELAY)
            response = await self._send_login()
        self._raise_for_http(Path.LOGIN, response)
        if not response.body.strip():
            # What the real service answers to a wrong user name or password.
            raise self._refuse_login(
                ApiAuthenticationError("Wrong user name or password (empty answer)")
            )
        body = envelope(response)
        code = as_int(body.get("failCode")) or 0
        if body.get("success") is True or (code == 0 and "success" not in body):
            if (token := _token_from(response)) is None:
                raise ApiResponseError("The login answer carries no XSRF-TOKEN")
            self._token = token
            self._token_used = self.now()
            return
        text = fail_text(body)
        if code in (FailCode.WRONG_CREDENTIALS, FailCode.SYSTEM_ID_UNKNOWN):
            raise self._refuse_login(
                ApiAuthenticationError(f"Wrong user name or password ({code} {text})")
            )
        if code == FailCode.LOGIN_RESTRICTED:
            raise self._refuse_login(
                ApiAuthenticationError(
                    f"Login restricted ({code} {text})", reason="account_locked"
                )
            )
        if code == FailCode.SYSTEM_FORBIDDEN:
            raise self._refuse_login(
                ApiAuthenticationError(
                    f"API account disabled ({code} {text})", reason="account_disabled"
                )
            )
        if code == FailCode.SYSTEM_EXPIRED:
            raise self._refuse_login(
                ApiAuthenticationError(
                    f"API account expired ({code} {text})", reason="account_expired"
                )
            )
        raise fail_code_error(Path.LOGIN, code, text, self.budget, self.now())

    async def _send_login(self) -> RawResponse:
        # A login never waits for its slot: it would hold the lock every call
        # of the account waits on, for up to a minute and a half, while the
        # cloud is likely unreachable (the logins of a minute all failed).
        # The refusal tells the pollers when to come back instead.
        sent = await self._spend(Path.LOGIN, wait=False)
        try:
            return await send(
                self._session,
                "POST",
                f"{self.host}{Path.LOGIN}",
                json={"userName": self._username, "systemCode": self._password},
                # Never carry the system code or the session on to another host.
                allow_redirects=False,
                request_timeout=self._timeout,
            )
        finally:
            self.budget.settle(Path.LOGIN, sent, self.now())

    def _refuse_login(self, err: ApiAuthenticationError) -> ApiAuthenticationError:
        self._auth_error = err
        self._token = None
        return err

    # Calls ------------------------------------------------------------------

    async def _spend(self, path: Path, *, wait: bool = True) -> datetime:
        """Count a call against the budget, or refuse it before it is sent.

        ``wait``: wait for a slot up to ``max_wait`` seconds away.
        Returns the time the call is counted at.
        """
        now = self.now()
        slot = self.budget.next_slot(path, now)
        if wait and slot > now and (slot - now).total_seconds() <= self._max_wait:
            await self._sleep((slot - now).total_seconds())
            now = self.now()
            slot = self.budget.next_slot(path, now)
        if slot > now:
            raise ApiRateLimitedError(
                f"{interface_name(path)} may be called again at {slot.isoformat()}",
                reason="call_budget_exhausted",
                retry_after=(slot - now).total_seconds(),
                interface=interface_name(path),
            )
        self.budget.record(path, now)
        return now

    async def _call(self, path: Path, body: Mapping[str, Any]) -> Any:
        """Make one call and return its ``data``; raise the API's errors."""
        async with self._lock:
            # Under the lock: a call that waited for it may find a window
            # the call before it opened. Before the budget counts the call.
            self.gate.check()
            return await self._call_once(path, body, retried=False)

    async def _call_alone(self, path: Path, body: Mapping[str, Any]) -> Any:
        """Make a call that is all its caller asks for now (an action's).

        A refusal of the whole account (the system limit, the daily quota)
        holds it: the account's gate keeps every client's calls back for its
        time. A call of a poller's round holds the account only when the
        whole round is refused (``polling.py``): one interface's quota leaves
        the others going.
        """
        try:
            return await self._call(path, body)
        except ApiRateLimitedError as err:
            self.gate.rate_limited(err)
            raise

    async def _call_once(
        self, path: Path, body: Mapping[str, Any], *, retried: bool
    ) -> Any:
        headers = await self._auth_headers()
        sent = await self._spend(path)
        try:
            response = await send(
                self._session,
                "POST",
                f"{self.host}{path}",
                json=body,
                headers=headers,
                request_timeout=self._timeout,
                allow_redirects=False,
            )
        finally:
            # The server counted the call before it answered (or before the
            # attempt ended): count it then (flow_control's docstring).
            sent = self.budget.settle(path, sent, self.now())
        if response.status == 401 and self.uses_oauth and not retried:
            self.budget.release(path, sent)
            await self._token_source.async_renew_access_token()  # type: ignore[union-attr]
            return await self._call_once(path, body, retried=True)
        self._raise_for_http(path, response)
        answer = envelope(response)
        code = as_int(answer.get("failCode"))
        if answer.get("success") is True or code in (
            FailCode.OK,
            FailCode.PARTIAL_SUCCESS,
        ):
            self._token_used = self.now()
            return answer.get("data")
        if code == FailCode.NOT_LOGGED_IN:
            self.budget.release(path, sent)
            if retried and self.uses_oauth:
                raise ApiAuthenticationError(
                    f"{interface_name(path)}: the renewed access token was refused",
                    reason="oauth_refresh_refused",
                )
            if retried:
                raise ApiResponseError(
                    "The session ended again right after logging in: another "
                    "program uses the same API account",
                    reason="session_taken_over",
                )
            # The session lapsed, or another login with this account ended it.
            self._token = None
            if self.uses_oauth:
                await self._token_source.async_renew_access_token()  # type: ignore[union-attr]
            return await self._call_once(path, body, retried=True)
        if code == FailCode.TASK_FAILED and answer.get("data") is not None:
            # Control tasks: failCode 2 still reports per plant why.
            return answer.get("data")
        raise fail_code_error(path, code, fail_text(answer), self.budget, self.now())

    async def _auth_headers(self) -> dict[str, str]:
        if self._token_source is not None:
            token = await self._token_source.async_get_access_token()
            return {"Authorization": f"Bearer {token}"}
        if (
            self._token is None
            or self._token_used is None
            or self.now() - self._token_used > _SESSION_RENEW_AFTER
        ):
            await self._login()
        return {TOKEN_HEADER: str(self._token)}

    def _raise_for_http(self, path: Path, response: RawResponse) -> None:
        if response.status != 200:
            raise http_error(
                path, response, self.budget, self.now(), uses_oauth=self.uses_oauth
            )
