"""An OAuth2 authorization server that vendor simulators mount.

It implements what the vendors' servers do in the flows this integration uses:
the authorization code grant (with PKCE when required), refresh tokens (rotated
on use, as SMA's Keycloak does), the client credentials grant, and token
lifetimes on the simulator clock. The authorize endpoint stands in for the
user: it approves at once and redirects back with a code, unless a test told
it the user declines.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import hashlib
import secrets
from urllib.parse import urlencode

from aiohttp import web

from .core import Clock


@dataclass(kw_only=True)
class IssuedToken:
    """An access token the server handed out."""

    client_id: str
    subject: str
    scope: str
    expires_at: datetime


@dataclass(kw_only=True)
class _Grant:
    client_id: str
    redirect_uri: str
    scope: str
    code_challenge: str | None
    subject: str


@dataclass(kw_only=True)
class OAuthServer:
    """Clients, codes and tokens of one vendor's authorization server."""

    clock: Clock
    clients: dict[str, str] = field(default_factory=dict)
    """client_id -> client_secret ("" for a public client)."""
    access_token_lifetime: timedelta = timedelta(seconds=300)
    rotate_refresh_tokens: bool = True
    require_pkce: bool = False
    subject: str = "owner@example.com"
    """Who the simulated user signs in as."""
    user_declines: bool = False
    """Make the simulated user decline the next authorization."""
    token_factory: Callable[[str, str], str] | None = None
    """Build access tokens from (client_id, subject), e.g. JWT-shaped ones."""

    access_tokens: dict[str, IssuedToken] = field(default_factory=dict)
    refresh_tokens: dict[str, IssuedToken] = field(default_factory=dict)
    _codes: dict[str, _Grant] = field(default_factory=dict)

    def add_routes(
        self,
        router: web.UrlDispatcher,
        *,
        authorize_path: str,
        token_path: str,
        name: str = "oauth",
    ) -> None:
        """Serve the authorize and token endpoints at these paths."""
        router.add_get(authorize_path, self.authorize, name=f"{name}_authorize")
        router.add_post(token_path, self.token, name=f"{name}_token")

    # Used by vendor routes --------------------------------------------------

    def bearer(self, request: web.Request) -> IssuedToken | None:
        """Return the valid access token a request carries, if any."""
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        issued = self.access_tokens.get(header.removeprefix("Bearer ").strip())
        if issued is None or issued.expires_at <= self.clock.now():
            return None
        return issued

    def revoke_all(self) -> None:
        """Forget every token, as when the user withdraws the authorization."""
        self.access_tokens.clear()
        self.refresh_tokens.clear()

    # Endpoints ---------------------------------------------------------------

    async def authorize(self, request: web.Request) -> web.Response:
        """Approve (or decline) at once and redirect back with a code."""
        query = request.query
        client_id = query.get("client_id", "")
        redirect_uri = query.get("redirect_uri", "")
        if client_id not in self.clients or not redirect_uri:
            return web.json_response({"error": "invalid_request"}, status=400)
        if query.get("response_type") != "code":
            return web.json_response({"error": "unsupported_response_type"}, status=400)
        challenge = query.get("code_challenge")
        if self.require_pkce and (
            not challenge or query.get("code_challenge_method") != "S256"
        ):
            return web.json_response(
                {"error": "invalid_request", "error_description": "PKCE required"},
                status=400,
            )
        params = {"state": query.get("state", "")}
        if self.user_declines:
            self.user_declines = False
            params["error"] = "access_denied"
        else:
            code = secrets.token_urlsafe(16)
            self._codes[code] = _Grant(
                client_id=client_id,
                redirect_uri=redirect_uri,
                scope=query.get("scope", ""),
                code_challenge=challenge,
                subject=self.subject,
            )
            params["code"] = code
        raise web.HTTPFound(f"{redirect_uri}?{urlencode(params)}")

    async def token(self, request: web.Request) -> web.Response:
        """Issue tokens for the code, refresh token and client credentials grants."""
        if request.content_type != "application/x-www-form-urlencoded":
            return web.json_response(
                {
                    "error": "invalid_request",
                    "error_description": "Cannot consume content type",
                },
                status=415,
            )
        form = await request.post()
        client_id, client_secret = self._client_credentials(request, form)
        grant_type = form.get("grant_type")
        if not grant_type:
            return self._error("invalid_request", "Missing form parameter: grant_type")
        if self.clients.get(client_id) != client_secret:
            return self._error("invalid_client", "Invalid client credentials")
        if grant_type == "authorization_code":
            return self._exchange_code(client_id, form)
        if grant_type == "refresh_token":
            return self._refresh(client_id, str(form.get("refresh_token", "")))
        if grant_type == "client_credentials":
            return self._issue(
                client_id, client_id, str(form.get("scope", "")), refresh=True
            )
        return self._error(
            "unsupported_grant_type", f"Unsupported grant type {grant_type}"
        )

    # Internals ---------------------------------------------------------------

    @staticmethod
    def _client_credentials(request: web.Request, form: object) -> tuple[str, str]:
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic "):
            decoded = base64.b64decode(header.removeprefix("Basic ")).decode()
            client_id, _, client_secret = decoded.partition(":")
            return client_id, client_secret
        assert hasattr(form, "get")
        return str(form.get("client_id", "")), str(form.get("client_secret", ""))

    @staticmethod
    def _error(error: str, description: str, status: int = 400) -> web.Response:
        return web.json_response(
            {"error": error, "error_description": description}, status=status
        )

    def _exchange_code(self, client_id: str, form: object) -> web.Response:
        assert hasattr(form, "get")
        grant = self._codes.pop(str(form.get("code", "")), None)
        if grant is None or grant.client_id != client_id:
            return self._error("invalid_grant", "Code not valid")
        if form.get("redirect_uri") != grant.redirect_uri:
            return self._error("invalid_grant", "Incorrect redirect_uri")
        if grant.code_challenge is not None:
            verifier = str(form.get("code_verifier", ""))
            digest = hashlib.sha256(verifier.encode()).digest()
            expected = base64.urlsafe_b64encode(digest).decode().rstrip("=")
            if expected != grant.code_challenge:
                return self._error("invalid_grant", "PKCE verification failed")
        return self._issue(client_id, grant.subject, grant.scope, refresh=True)

    def _refresh(self, client_id: str, refresh_token: str) -> web.Response:
        issued = self.refresh_tokens.get(refresh_token)
        if issued is None or issued.client_id != client_id:
            return self._error("invalid_grant", "Token is not active")
        if self.rotate_refresh_tokens:
            del self.refresh_tokens[refresh_token]
        return self._issue(
            client_id,
            issued.subject,
            issued.scope,
            refresh=self.rotate_refresh_tokens,
            keep_refresh=None if self.rotate_refresh_tokens else refresh_token,
        )

    def _issue(
        self,
        client_id: str,
        subject: str,
        scope: str,
        *,
        refresh: bool,
        keep_refresh: str | None = None,
    ) -> web.Response:
        now = self.clock.now()
        access = (
            self.token_factory(client_id, subject)
            if self.token_factory is not None
            else secrets.token_urlsafe(24)
        )
        self.access_tokens[access] = IssuedToken(
            client_id=client_id,
            subject=subject,
            scope=scope,
            expires_at=now + self.access_token_lifetime,
        )
        body: dict[str, object] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": int(self.access_token_lifetime.total_seconds()),
            "scope": scope,
        }
        if refresh:
            refresh_token = secrets.token_urlsafe(24)
            self.refresh_tokens[refresh_token] = IssuedToken(
                client_id=client_id, subject=subject, scope=scope, expires_at=now
            )
            body["refresh_token"] = refresh_token
            body["refresh_expires_in"] = 0
        elif keep_refresh is not None:
            body["refresh_token"] = keep_refresh
        return web.json_response(body)
