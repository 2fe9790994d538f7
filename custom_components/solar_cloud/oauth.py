"""OAuth2 through Home Assistant's application credentials, for every vendor.

One domain serves three vendor clouds, each with its own authorization server,
and sandbox or custom servers per entry. So an application credential is not
tied to an authorization server up front: ``application_credentials.py`` hands
Home Assistant an unbound :class:`SolarCloudCredential`, and the flow (or the
entry setup) binds it to the endpoints of the vendor and server in use.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
import time
from typing import Any, override

from aiohttp import ClientError
from homeassistant.components.application_credentials import ClientCredential
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import (
    ConfigEntryNotReady,
    ImplementationUnavailableError,
    OAuth2TokenRequestError,
    OAuth2TokenRequestReauthError,
    UnknownImplementationError,
)
from homeassistant.helpers.config_entry_oauth2_flow import (
    AbstractOAuth2Implementation,
    LocalOAuth2Implementation,
    LocalOAuth2ImplementationWithPkce,
    async_get_config_entry_implementation,
)

from .api import ApiAuthenticationError, ApiConnectionError
from .api.auth import TokenSource
from .const import DOMAIN
from .runtime import SolarCloudConfigEntry

# Renew this long before the expiry the token states, so that a token is
# never sent in its last seconds.
TOKEN_RENEW_MARGIN = 30
REFRESH_TIMEOUT = 30
"""Seconds a token refresh may take: every caller of the entry waits for it."""


@dataclass(frozen=True, kw_only=True)
class OAuthEndpoints:
    """Where and how one vendor's authorization server is asked."""

    authorize_url: str
    token_url: str
    scopes: tuple[str, ...] = ()
    pkce: bool = False

    @property
    def extra_authorize_data(self) -> dict[str, str]:
        """Return the query parameters the authorize URL adds."""
        return {"scope": " ".join(self.scopes)} if self.scopes else {}


class SolarCloudCredential(AbstractOAuth2Implementation):
    """An application credential of this domain, not yet bound to a vendor."""

    def __init__(
        self, hass: HomeAssistant, auth_domain: str, credential: ClientCredential
    ) -> None:
        """Keep the credential until a flow or an entry binds it."""
        self.hass = hass
        self._auth_domain = auth_domain
        self.credential = credential

    @property
    @override
    def name(self) -> str:
        """Return the name the user gave the credential."""
        return self.credential.name or self.credential.client_id

    @property
    @override
    def domain(self) -> str:
        """Return the key config entries store as ``auth_implementation``."""
        return self._auth_domain

    def bind(self, endpoints: OAuthEndpoints) -> LocalOAuth2Implementation:
        """Return the credential as an implementation for these endpoints."""
        if endpoints.pkce:
            return _BoundCredentialWithPkce(self, endpoints)
        return _BoundCredential(self, endpoints)

    @override
    async def async_generate_authorize_url(self, flow_id: str) -> str:
        raise NotImplementedError("Bind the credential to a vendor first")

    @override
    async def async_resolve_external_data(self, external_data: Any) -> dict[str, Any]:
        raise NotImplementedError("Bind the credential to a vendor first")

    @override
    async def _async_refresh_token(self, token: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError("Bind the credential to a vendor first")


class _Bound(LocalOAuth2Implementation):
    """What a credential keeps once bound: its name and the vendor's scopes."""

    _name: str
    _endpoints: OAuthEndpoints

    @property
    @override
    def name(self) -> str:
        return self._name

    @property
    @override
    def extra_authorize_data(self) -> dict[str, Any]:
        return {**super().extra_authorize_data, **self._endpoints.extra_authorize_data}


class _BoundCredential(_Bound):
    def __init__(
        self, unbound: SolarCloudCredential, endpoints: OAuthEndpoints
    ) -> None:
        super().__init__(
            unbound.hass,
            unbound.domain,
            unbound.credential.client_id,
            unbound.credential.client_secret,
            endpoints.authorize_url,
            endpoints.token_url,
        )
        self._name = unbound.name
        self._endpoints = endpoints


class _BoundCredentialWithPkce(_Bound, LocalOAuth2ImplementationWithPkce):
    def __init__(
        self, unbound: SolarCloudCredential, endpoints: OAuthEndpoints
    ) -> None:
        LocalOAuth2ImplementationWithPkce.__init__(
            self,
            unbound.hass,
            unbound.domain,
            unbound.credential.client_id,
            endpoints.authorize_url,
            endpoints.token_url,
            client_secret=unbound.credential.client_secret,
        )
        self._name = unbound.name
        self._endpoints = endpoints


async def async_get_entry_implementation(
    hass: HomeAssistant, entry: SolarCloudConfigEntry, endpoints: OAuthEndpoints
) -> AbstractOAuth2Implementation:
    """Return the entry's OAuth2 implementation, bound to ``endpoints``.

    Raises:
        ConfigEntryNotReady: The credential is not available (yet).

    """
    try:
        implementation = await async_get_config_entry_implementation(hass, entry)
    except (ImplementationUnavailableError, UnknownImplementationError) as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="oauth_implementation_unavailable",
        ) from err
    if isinstance(implementation, SolarCloudCredential):
        return implementation.bind(endpoints)
    return implementation


class ConfigEntryTokenSource(TokenSource):
    """The access token stored in a config entry, refreshed when due.

    Home Assistant's ``OAuth2Session`` does the same job for core integrations;
    this is not it because the vendor clients in ``api/`` take a
    ``TokenSource`` (they import nothing of Home Assistant) and raise only
    their own errors, and because they need what the session lacks: a lock so
    that concurrent callers refresh once (vendors rotate refresh tokens, so a
    second refresh with the old one fails), and ``async_renew_access_token``
    for a token the server refused before its stated expiry.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SolarCloudConfigEntry,
        implementation: AbstractOAuth2Implementation,
    ) -> None:
        """Serve the token of ``entry``, refreshing it with ``implementation``."""
        self._hass = hass
        self._entry = entry
        self._implementation = implementation
        self._lock = asyncio.Lock()

    @property
    def _token(self) -> dict[str, Any]:
        token: dict[str, Any] = self._entry.data["token"]
        return token

    @override
    async def async_get_access_token(self) -> str:
        async with self._lock:
            if float(self._token["expires_at"]) <= time.time() + TOKEN_RENEW_MARGIN:
                await self._async_refresh()
            return str(self._token["access_token"])

    @override
    async def async_renew_access_token(self) -> str:
        stale = self._token["access_token"]
        async with self._lock:
            # Someone else renewed it while this caller waited for the lock.
            if self._token["access_token"] == stale:
                await self._async_refresh()
            return str(self._token["access_token"])

    async def _async_refresh(self) -> None:
        try:
            async with asyncio.timeout(REFRESH_TIMEOUT):
                token = await self._implementation.async_refresh_token(self._token)
        except OAuth2TokenRequestReauthError as err:
            raise ApiAuthenticationError(
                f"The authorization server refused the refresh token: {err}",
                reason="oauth_refresh_refused",
            ) from err
        except (OAuth2TokenRequestError, ClientError, TimeoutError) as err:
            raise ApiConnectionError(
                f"Could not refresh the access token: {err!r}"
            ) from err
        self._hass.config_entries.async_update_entry(
            self._entry, data={**self._entry.data, "token": token}
        )
