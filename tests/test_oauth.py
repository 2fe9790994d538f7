"""Tokens of OAuth2 entries: binding the credential and refreshing the token."""

from __future__ import annotations

import time
from typing import Any
from unittest.mock import patch

import aiohttp
from homeassistant.components.application_credentials import (
    ClientCredential,
    async_import_client_credential,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers.config_entry_oauth2_flow import (
    LocalOAuth2Implementation,
    LocalOAuth2ImplementationWithPkce,
    async_register_implementation,
)
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.solar_cloud.api import ApiAuthenticationError, ApiConnectionError
from custom_components.solar_cloud.api.auth import StaticTokenSource
from custom_components.solar_cloud.const import CONF_VENDOR, DOMAIN
from custom_components.solar_cloud.oauth import (
    ConfigEntryTokenSource,
    OAuthEndpoints,
    SolarCloudCredential,
    async_get_entry_implementation,
)

from .fake_vendor import FAKE_VENDOR, FakeAuthServer
from .simulator.core import RunningSimulator, StartSimulator


@pytest.fixture
async def token_server(start_vendor_simulator: StartSimulator) -> RunningSimulator:
    """Serve the token endpoint."""
    return await start_vendor_simulator(FakeAuthServer())


async def _client_credentials_token(base_url: str) -> dict[str, Any]:
    """Get a real token (with a refresh token) from the simulator."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{base_url}/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "client-id",
                "client_secret": "client-secret",
            },
        ) as response,
    ):
        token: dict[str, Any] = await response.json()
    token["expires_at"] = time.time() + token["expires_in"]
    return token


@pytest.fixture
async def oauth_entry(
    hass: HomeAssistant, token_server: RunningSimulator
) -> MockConfigEntry:
    """Return an entry holding a real token of the simulator."""
    assert await async_setup_component(hass, "application_credentials", {})
    await async_import_client_credential(
        hass, DOMAIN, ClientCredential("client-id", "client-secret", "Fake"), "cred"
    )
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={
            CONF_VENDOR: FAKE_VENDOR,
            "auth_implementation": "cred",
            "token": await _client_credentials_token(token_server.base_url),
        },
    )
    entry.add_to_hass(hass)
    return entry


@pytest.fixture
async def source(
    hass: HomeAssistant, oauth_entry: MockConfigEntry, token_server: RunningSimulator
) -> ConfigEntryTokenSource:
    """Return the token source of the OAuth entry, bound to the token server."""
    implementation = await async_get_entry_implementation(
        hass, oauth_entry, _endpoints(token_server.base_url)
    )
    return ConfigEntryTokenSource(hass, oauth_entry, implementation)


def _endpoints(base_url: str, *, pkce: bool = False) -> OAuthEndpoints:
    return OAuthEndpoints(
        authorize_url=f"{base_url}/authorize", token_url=f"{base_url}/token", pkce=pkce
    )


@pytest.mark.parametrize(
    ("pkce", "kind"),
    [(False, LocalOAuth2Implementation), (True, LocalOAuth2ImplementationWithPkce)],
)
async def test_entry_implementation_is_bound(
    hass: HomeAssistant,
    oauth_entry: MockConfigEntry,
    token_server: RunningSimulator,
    pkce: bool,
    kind: type,
) -> None:
    """The stored credential comes back bound to the vendor's endpoints."""
    implementation = await async_get_entry_implementation(
        hass, oauth_entry, _endpoints(token_server.base_url, pkce=pkce)
    )
    assert isinstance(implementation, kind)
    assert implementation.token_url == f"{token_server.base_url}/token"
    assert implementation.name == "Fake"
    assert implementation.domain == "cred"


async def test_entry_implementation_registered_directly(hass: HomeAssistant) -> None:
    """An implementation registered in code is used as it is."""
    own = LocalOAuth2Implementation(
        hass, "own", "id", "secret", "https://a", "https://t"
    )
    async_register_implementation(hass, DOMAIN, own)
    entry = MockConfigEntry(
        domain=DOMAIN, data={CONF_VENDOR: FAKE_VENDOR, "auth_implementation": "own"}
    )
    entry.add_to_hass(hass)
    assert (
        await async_get_entry_implementation(hass, entry, _endpoints("https://x"))
        is own
    )


async def test_missing_credential_is_not_ready(hass: HomeAssistant) -> None:
    """An entry whose credential was deleted retries setup with a clear reason."""
    assert await async_setup_component(hass, "application_credentials", {})
    entry = MockConfigEntry(
        domain=DOMAIN, data={CONF_VENDOR: FAKE_VENDOR, "auth_implementation": "gone"}
    )
    entry.add_to_hass(hass)
    with pytest.raises(ConfigEntryNotReady) as err:
        await async_get_entry_implementation(hass, entry, _endpoints("https://x"))
    assert err.value.translation_key == "oauth_implementation_unavailable"


async def test_unbound_credential_cannot_authorize(hass: HomeAssistant) -> None:
    """Only a bound credential talks to an authorization server."""
    credential = SolarCloudCredential(
        hass, "cred", ClientCredential("client-id", "secret")
    )
    assert credential.name == "client-id"
    with pytest.raises(NotImplementedError):
        await credential.async_generate_authorize_url("flow")
    with pytest.raises(NotImplementedError):
        await credential.async_resolve_external_data({})
    with pytest.raises(NotImplementedError):
        await credential.async_refresh_token({"refresh_token": "x"})


async def test_token_source_refreshes_when_due(
    hass: HomeAssistant,
    oauth_entry: MockConfigEntry,
    token_server: RunningSimulator,
    source: ConfigEntryTokenSource,
) -> None:
    """A valid token is reused; one about to expire is refreshed and stored."""
    first = oauth_entry.data["token"]["access_token"]
    assert await source.async_get_access_token() == first

    hass.config_entries.async_update_entry(
        oauth_entry,
        data={
            **oauth_entry.data,
            "token": {**oauth_entry.data["token"], "expires_at": time.time() + 10},
        },
    )
    second = await source.async_get_access_token()
    assert second != first
    assert oauth_entry.data["token"]["access_token"] == second
    assert second in token_server.simulator.oauth.access_tokens

    third = await source.async_renew_access_token()
    assert third not in (first, second)


async def test_token_source_errors(
    hass: HomeAssistant,
    oauth_entry: MockConfigEntry,
    token_server: RunningSimulator,
    source: ConfigEntryTokenSource,
) -> None:
    """A refused refresh asks for a new sign-in; an unreachable server is transient."""

    token_server.simulator.faults.add("oauth_token", status=503, times=1)
    with pytest.raises(ApiConnectionError):
        await source.async_renew_access_token()

    # A server that does not answer holds the lock for REFRESH_TIMEOUT, not 300 s.
    token_server.simulator.faults.add("oauth_token", delay=5, times=1)
    with (
        patch("custom_components.solar_cloud.oauth.REFRESH_TIMEOUT", 0.2),
        pytest.raises(ApiConnectionError),
    ):
        await source.async_renew_access_token()

    token_server.simulator.oauth.revoke_all()
    with pytest.raises(ApiAuthenticationError) as err:
        await source.async_renew_access_token()
    assert err.value.reason == "oauth_refresh_refused"


async def test_static_token_source() -> None:
    """An API key is its own token, renewing changes nothing."""
    source = StaticTokenSource("key")
    assert await source.async_get_access_token() == "key"
    assert await source.async_renew_access_token() == "key"
