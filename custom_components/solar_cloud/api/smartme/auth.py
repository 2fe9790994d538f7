"""How the smart-me client signs its requests: Basic, API key or OAuth2."""

from __future__ import annotations

from abc import ABC, abstractmethod
import base64

from ..auth import TokenSource

OAUTH_AUTHORIZE_PATH = "/api/oauth/authorize"
OAUTH_TOKEN_PATH = "/api/oauth/token"  # noqa: S105 (a path)
OAUTH_SCOPES = ("offline_access", "user.read", "device.read", "device.readwrite")
"""What the code flow asks for: read the user and devices, switch devices,
and a refresh token (``offline_access``); smart-me authorizes with PKCE."""


def basic_auth_header(username: str, password: str) -> str:
    """Return the ``Authorization`` value of HTTP Basic credentials."""
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return f"Basic {token}"


class SmartMeAuth(ABC):
    """Produces the ``Authorization`` header of a request."""

    @abstractmethod
    async def async_header(self) -> str:
        """Return the header value for the next request."""

    async def async_renewed_header(self) -> str | None:
        """Return a header with renewed credentials, None if nothing can renew."""
        return None


class BasicAuth(SmartMeAuth):
    """Username and password (smart-me retires this after November 2026)."""

    def __init__(self, username: str, password: str) -> None:
        """Keep the encoded credentials."""
        self._header = basic_auth_header(username, password)

    async def async_header(self) -> str:
        """Return the Basic header."""
        return self._header


class ApiKeyAuth(SmartMeAuth):
    """An API key created in the smart-me portal."""

    def __init__(self, api_key: str) -> None:
        """Keep the key."""
        self._header = f"ApiKey {api_key}"

    async def async_header(self) -> str:
        """Return the ApiKey header."""
        return self._header


class OAuthAuth(SmartMeAuth):
    """An OAuth2 access token from a token source."""

    def __init__(self, tokens: TokenSource) -> None:
        """Use ``tokens`` for every request."""
        self._tokens = tokens

    async def async_header(self) -> str:
        """Return the Bearer header with a valid token."""
        return f"Bearer {await self._tokens.async_get_access_token()}"

    async def async_renewed_header(self) -> str | None:
        """Renew the token the API refused."""
        return f"Bearer {await self._tokens.async_renew_access_token()}"
