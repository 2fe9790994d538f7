"""How a client gets the bearer token it sends.

Clients that authenticate with OAuth2 take a :class:`TokenSource` instead of
credentials. Home Assistant's layer supplies one backed by the config entry's
token (refreshed through application credentials); tests and vendors with
their own token endpoint supply others.
"""

from __future__ import annotations

from abc import ABC, abstractmethod


class TokenSource(ABC):
    """Hands out a valid access token."""

    @abstractmethod
    async def async_get_access_token(self) -> str:
        """Return an access token that is valid now, renewing it if needed.

        Raises:
            ApiAuthenticationError: The grant is gone; the user must sign in again.
            ApiConnectionError: The token endpoint could not be reached.

        """

    async def async_renew_access_token(self) -> str:
        """Renew the token although it looks valid (the API refused it)."""
        return await self.async_get_access_token()

    async def async_sign_in_again(self) -> str | None:
        """Return a token of a new sign-in, after a renewed one was refused too.

        None: only the user can sign in again (the default).
        """
        return None


class StaticTokenSource(TokenSource):
    """A token that is used as it is (an API key, or a test token)."""

    def __init__(self, token: str) -> None:
        """Store the token."""
        self._token = token

    async def async_get_access_token(self) -> str:
        """Return the token."""
        return self._token
