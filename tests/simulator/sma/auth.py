"""SMA's authorization server, rate limit and the custom flow's owner consent."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import json
import math
import secrets
from typing import Any

from aiohttp import web

from ..core import VendorSimulator
from ..oauth import IssuedToken, OAuthServer
from .accounts import SANDBOX_OWNER

CUSTOM_CLIENT = ("custom-client", "custom-secret")
CODE_CLIENT = ("code-client", "code-secret")
NEVER = "0001-01-01T00:00:00.0000000"


@dataclass(kw_only=True)
class Consent:
    """One client's consent request to one owner."""

    state: str = "pending"
    expires_at: datetime | None = None
    scope: set[str] = field(default_factory=set)
    """The plants the owner approved (kept when a new request is pending)."""


@dataclass(kw_only=True)
class TokenBucket:
    """SMA's rate limit: ``capacity`` calls, refilled over ``window``."""

    capacity: float
    window: timedelta
    level: float
    updated: datetime
    lowest: float = math.inf
    """The lowest level a call left (how close the client came to a 429)."""

    def take(self, now: datetime) -> bool:
        """Take one call from the bucket; False when it is empty."""
        refill = (now - self.updated) / self.window * self.capacity
        self.level = min(self.capacity, self.level + refill)
        self.updated = now
        if self.level < 1:
            return False
        self.level -= 1
        self.lowest = min(self.lowest, self.level)
        return True


def _jwt(client_id: str, subject: str) -> str:
    """Return a JWT-shaped access token (unsigned), as SMA's Keycloak sends."""

    def part(data: dict[str, Any]) -> str:
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    claims = {"sub": subject, "azp": client_id, "jti": secrets.token_hex(8)}
    if "@" in subject:
        claims["email"] = subject
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}.sim"


def _net_date(moment: datetime) -> str:
    """Return a date as SMA's .NET consent API writes it."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.0000000Z")


class SmaAuthorization(VendorSimulator):
    """Tokens (``/oauth2``), SMA's rate limit and the consent API (``bc-authorize``)."""

    def __init__(self) -> None:
        """Start with no owner and no consent."""
        super().__init__()
        self.oauth = OAuthServer(
            clock=self.clock,
            clients={
                CUSTOM_CLIENT[0]: CUSTOM_CLIENT[1],
                CODE_CLIENT[0]: CODE_CLIENT[1],
            },
            subject=SANDBOX_OWNER,
            token_factory=_jwt,
        )
        self.code_clients: set[str] = {CODE_CLIENT[0]}
        """Clients SMA set up for the code flow: refused in the custom flow."""
        self.owners: dict[str, list[str]] = {}
        """Owner e-mail -> ids of the plants they own."""
        self.consents: dict[tuple[str, str], Consent] = {}
        self.consent_lifetime = timedelta(days=7)
        self.auto_accept_after: timedelta | None = None
        """Let the owner accept by themselves this long after a request (demo)."""
        self.rate_limit = 100.0
        self.rate_window = timedelta(minutes=5)
        self.buckets: dict[str, TokenBucket] = {}
        self.logouts: list[str] = []

    def grant_consent(self, owner: str, client_id: str = CUSTOM_CLIENT[0]) -> None:
        """Record an owner's accepted consent, as if requested and accepted."""
        consent = self.consents.setdefault((client_id, owner), Consent())
        consent.expires_at = self.clock.now() + self.consent_lifetime
        self._decide(consent, owner, "accepted")

    def set_consent(self, owner: str, state: str, client_id: str | None = None) -> None:
        """Decide an owner's consent as the owner would (or the sandbox PUT)."""
        for (client, login_hint), consent in self.consents.items():
            if login_hint == owner and client_id in (None, client):
                self._decide(consent, owner, state)

    def end_sessions(self) -> None:
        """Make every access token inactive (refresh tokens stay valid)."""
        self.oauth.access_tokens.clear()

    # Authorization ----------------------------------------------------------

    def _rate_limited(self, client_id: str) -> bool:
        now = self.clock.now()
        bucket = self.buckets.setdefault(
            client_id,
            TokenBucket(
                capacity=self.rate_limit,
                window=self.rate_window,
                level=self.rate_limit,
                updated=now,
            ),
        )
        return not bucket.take(now)

    @staticmethod
    def _too_many() -> web.Response:
        # SMA's 429 carries no Retry-After.
        return web.json_response(
            {"message": "Too many requests", "code": "429"}, status=429
        )

    async def token(self, request: web.Request) -> web.Response:
        """Issue tokens as Keycloak does, with SMA's rate limit and client kinds."""
        if request.content_type == "application/x-www-form-urlencoded":
            form = await request.post()
            client_id, _ = OAuthServer._client_credentials(request, form)
            if client_id and self._rate_limited(client_id):
                return self._too_many()
            if (
                form.get("grant_type") == "client_credentials"
                and client_id in self.code_clients
            ):
                # SMA's tutorial: code-flow credentials at the custom flow's
                # token request are refused as invalid_client.
                return OAuthServer._error(
                    "invalid_client", "Invalid client credentials"
                )
        return await self.oauth.token(request)

    async def logout(self, request: web.Request) -> web.Response:
        """End a session: its refresh token stops working."""
        if request.content_type != "application/x-www-form-urlencoded":
            return OAuthServer._error(
                "invalid_request", "Cannot consume content type", status=415
            )
        form = await request.post()
        client_id, secret = OAuthServer._client_credentials(request, form)
        if self.oauth.clients.get(client_id) != secret:
            return OAuthServer._error("invalid_client", "Invalid client credentials")
        refresh = str(form.get("refresh_token", ""))
        if self.oauth.refresh_tokens.pop(refresh, None) is None:
            return OAuthServer._error("invalid_grant", "Token is not active")
        self.logouts.append(client_id)
        return web.Response(status=204)

    def _caller(self, request: web.Request) -> IssuedToken | web.Response:
        issued = self.oauth.bearer(request)
        if issued is None:
            return web.json_response(
                {"message": "Unauthorized. Not authenticated.", "code": "401"},
                status=401,
            )
        if self._rate_limited(issued.client_id):
            return self._too_many()
        return issued

    # Consent ----------------------------------------------------------------

    def _consent_answer(self, login_hint: str, consent: Consent | None) -> web.Response:
        if consent is None:
            # Never requested: .NET's default date tells it.
            return web.json_response(
                {
                    "loginHint": login_hint,
                    "state": "pending",
                    "expirationDate": NEVER,
                    "interval": 0,
                }
            )
        self._age(consent, login_hint)
        return web.json_response(
            {
                "loginHint": login_hint,
                "state": consent.state,
                "expirationDate": _net_date(consent.expires_at or self.clock.now()),
                "interval": 1800,
            }
        )

    def _age(self, consent: Consent, login_hint: str) -> None:
        if consent.state != "pending" or consent.expires_at is None:
            return
        requested = consent.expires_at - self.consent_lifetime
        if (
            self.auto_accept_after is not None
            and self.clock.now() >= requested + self.auto_accept_after
        ):
            self._decide(consent, login_hint, "accepted")
        elif self.clock.now() >= consent.expires_at:
            consent.state = "expired"

    def _decide(self, consent: Consent, owner: str, state: str) -> None:
        state = {"accept": "accepted", "reject": "rejected", "revoke": "revoked"}.get(
            state, state
        )
        consent.state = state
        if state == "accepted":
            consent.scope = set(self.owners.get(owner, []))
        elif state == "revoked":
            consent.scope = set()

    @staticmethod
    def _not_owner(login_hint: str) -> web.Response:
        return web.json_response(
            {
                "message": f"User {login_hint} has no privileges as plant owner",
                "code": "400",
            },
            status=400,
        )

    async def post_consent(self, request: web.Request) -> web.Response:
        """Send the owner the consent e-mail (a new request each time)."""
        caller = self._caller(request)
        if isinstance(caller, web.Response):
            return caller
        if request.content_type != "application/json":
            return web.json_response(
                {"message": "Cannot consume content type", "code": "415"}, status=415
            )
        body = await request.json()
        login_hint = str(body.get("loginHint", "")) if isinstance(body, dict) else ""
        if login_hint not in self.owners:
            return self._not_owner(login_hint)
        consent = self.consents.setdefault((caller.client_id, login_hint), Consent())
        consent.state = "pending"
        consent.expires_at = self.clock.now() + self.consent_lifetime
        response = self._consent_answer(login_hint, consent)
        response.set_status(201)
        return response

    async def get_consent(self, request: web.Request) -> web.Response:
        """Tell where the consent of an owner stands."""
        caller = self._caller(request)
        if isinstance(caller, web.Response):
            return caller
        login_hint = request.match_info["hint"]
        if login_hint not in self.owners:
            return self._not_owner(login_hint)
        return self._consent_answer(
            login_hint, self.consents.get((caller.client_id, login_hint))
        )

    async def put_consent(self, request: web.Request) -> web.Response:
        """The sandbox's stand-in for the owner's decision."""
        caller = self._caller(request)
        if isinstance(caller, web.Response):
            return caller
        login_hint = request.match_info["hint"]
        consent = self.consents.get((caller.client_id, login_hint))
        if consent is None:
            return web.json_response(
                {"message": "No consent request for this user", "code": "404"},
                status=404,
            )
        # The body's shape is disputed (a bare string or an object): take both.
        body = await request.json()
        if isinstance(body, dict):
            body = body.get("state") or body.get("status") or body.get("newStatus")
        state = str(body).lower()
        if state not in {
            "accepted",
            "accept",
            "reject",
            "rejected",
            "revoked",
            "revoke",
        }:
            return web.json_response(
                {"message": f"Unknown state {body!r}", "code": "400"}, status=400
            )
        self._decide(consent, login_hint, state)
        return self._consent_answer(login_hint, consent)
