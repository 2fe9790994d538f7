"""The access token of the custom flow: SMA client credentials.

In the custom flow the client signs in with its own credentials
(``grant_type=client_credentials``); the plant owners' consent decides what
the token may read. A token refused although just renewed leads to a new
sign-in (``async_sign_in_again``) before the user is asked. SMA asks clients to keep one session alive with its
refresh token rather than signing in again, and to end it (``logout``) when
done; access tokens live 300 seconds.
"""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass
import json
import time
from typing import Any, override

import aiohttp

from ..account_gate import AccountGate
from ..auth import TokenSource
from ..errors import (
    ApiAuthenticationError,
    ApiRateLimitedError,
    ApiResponseError,
    SolarCloudApiError,
)
from ..transport import RawResponse, send
from .environment import SmaEndpoints
from .errors import token_error

# Renew this long before the stated expiry, so that a token is never sent in
# its last seconds (SMA: 300 s tokens).
RENEW_MARGIN = 30.0


@dataclass(frozen=True, kw_only=True)
class SmaToken:
    """An access token and the session's refresh token."""

    access_token: str
    expires_at: float
    refresh_token: str | None
    refresh_expires_at: float | None
    """None: the refresh token does not expire (offline access)."""

    @classmethod
    def from_api(cls, data: Any, now: float) -> SmaToken:
        """Parse a token response.

        Raises:
            ApiResponseError: No access token in the answer.

        """
        if not isinstance(data, dict) or not isinstance(
            access := data.get("access_token"), str
        ):
            raise ApiResponseError("SMA's token answer has no access token")
        refresh = data.get("refresh_token")
        # Keycloak states lifetimes in seconds, sometimes as strings;
        # refresh_expires_in 0 means the refresh token does not expire.
        refresh_expires_in = _seconds(data.get("refresh_expires_in"))
        return cls(
            access_token=access,
            expires_at=now + (_seconds(data.get("expires_in")) or 300.0),
            refresh_token=refresh if isinstance(refresh, str) and refresh else None,
            refresh_expires_at=now + refresh_expires_in if refresh_expires_in else None,
        )

    def valid(self, now: float) -> bool:
        """Return whether the access token may still be sent."""
        return self.expires_at - RENEW_MARGIN > now

    def refreshable(self, now: float) -> bool:
        """Return whether the refresh token may still be used."""
        return self.refresh_token is not None and (
            self.refresh_expires_at is None
            or self.refresh_expires_at - RENEW_MARGIN > now
        )


def _seconds(value: Any) -> float | None:
    try:
        return float(value)
    except TypeError, ValueError:
        return None


class SmaClientCredentials(TokenSource):
    """Access tokens of the custom flow, renewed ahead of their expiry."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        endpoints: SmaEndpoints,
        client_id: str,
        client_secret: str,
        *,
        gate: AccountGate | None = None,
    ) -> None:
        """Sign in with ``client_id`` at the environment's token endpoint.

        ``gate``: the account's (see :class:`~.client.SmaClient`); within its
        window no token request or logout is sent, and a logout's 429 with
        Retry-After opens one.
        """
        self.gate = gate or AccountGate()
        self._session = session
        self._endpoints = endpoints
        self._client_id = client_id
        self._client_secret = client_secret
        self._token: SmaToken | None = None
        self._lock = asyncio.Lock()

    @override
    async def async_get_access_token(self) -> str:
        async with self._lock:
            if self._token is None or not self._token.valid(time.time()):
                self._token = await self._async_new_token()
            return self._token.access_token

    @override
    async def async_renew_access_token(self) -> str:
        stale = self._token.access_token if self._token else None
        async with self._lock:
            # Someone else renewed it while this caller waited for the lock.
            if self._token is None or self._token.access_token == stale:
                self._token = await self._async_new_token()
            return self._token.access_token

    @override
    async def async_sign_in_again(self) -> str:
        """Sign in with the client credentials again: a new session.

        SMA may refuse a session's tokens although it renewed them (a session
        it ended, a restarted authorization server); the client's own
        credentials still hold, so the user is not asked before this failed.
        """
        refused = self._token.access_token if self._token else None
        async with self._lock:
            if self._token is None or self._token.access_token == refused:
                if self._token is not None and self._token.refresh_token:
                    await self._async_end_quietly(self._token.refresh_token)
                self._token = await self._async_grant(grant_type="client_credentials")
            return self._token.access_token

    async def _async_end_quietly(self, refresh_token: str) -> None:
        """End a session being replaced; SMA may have ended it already."""
        try:
            await self._async_end(refresh_token)
        except SolarCloudApiError:
            return

    async def _async_end(self, refresh_token: str) -> None:
        try:
            await async_logout(
                self._session,
                self._endpoints,
                client_id=self._client_id,
                client_secret=self._client_secret,
                refresh_token=refresh_token,
            )
        except ApiRateLimitedError as err:
            # No client call waits on a logout: its 429 is taken here. (A
            # token request's is the client's, which backs off from it.)
            self.gate.rate_limited(err)
            raise

    async def _async_new_token(self) -> SmaToken:
        token = self._token
        if token is not None and token.refreshable(time.time()):
            try:
                return await self._async_grant(
                    grant_type="refresh_token", refresh_token=str(token.refresh_token)
                )
            except ApiAuthenticationError as err:
                if err.reason != "sma_grant_refused":
                    raise
                # The session ended at SMA (idle, maximum length): sign in anew.
        return await self._async_grant(grant_type="client_credentials")

    async def _async_grant(self, **form: str) -> SmaToken:
        response = await self._async_post_form(self._endpoints.token_url, form)
        if response.status != 200:
            raise token_error(response)
        return SmaToken.from_api(response.json(), time.time())

    async def async_logout(self) -> None:
        """End the session at SMA, as its documentation asks clients to.

        Raises:
            SolarCloudApiError: SMA refused or could not be reached.

        """
        async with self._lock:
            token, self._token = self._token, None
        if token is None or token.refresh_token is None:
            return
        # Within a rate limit's window not even the logout is sent; the
        # session ends by itself.
        self.gate.check()
        await self._async_end(token.refresh_token)

    async def _async_post_form(self, url: str, form: dict[str, str]) -> RawResponse:
        self.gate.check()
        return await send(
            self._session,
            "POST",
            url,
            data={
                **form,
                "client_id": self._client_id,
                "client_secret": self._client_secret,
            },
            # A 307 would send the client secret on to wherever it points.
            allow_redirects=False,
        )


async def async_logout(
    session: aiohttp.ClientSession,
    endpoints: SmaEndpoints,
    *,
    client_id: str,
    client_secret: str,
    refresh_token: str,
) -> None:
    """End the session of ``refresh_token`` at SMA (HTTP 204).

    Raises:
        SolarCloudApiError: SMA refused or could not be reached.

    """
    response = await send(
        session,
        "POST",
        endpoints.logout_url,
        data={
            "client_id": client_id,
            "client_secret": client_secret,
            "refresh_token": refresh_token,
        },
        allow_redirects=False,
    )
    if response.status not in (200, 204):
        raise token_error(response)


def token_subject(access_token: str) -> str | None:
    """Return the ``sub`` claim of a JWT access token (not verified).

    SMA's Keycloak issues JWTs; the subject names the signed-in user, which
    is all the code flow needs to tell accounts apart.
    """
    parts = access_token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except ValueError:
        return None
    subject = claims.get("sub") if isinstance(claims, dict) else None
    return subject if isinstance(subject, str) and subject else None
