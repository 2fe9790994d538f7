"""How an SMA entry reaches SMA: endpoints, tokens, the client, the last logout."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.const import CONF_CLIENT_ID, CONF_CLIENT_SECRET, CONF_URL
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.config_entry_oauth2_flow import LocalOAuth2Implementation

from ..account_backoff import account_gate
from ..api import SolarCloudApiError
from ..api.account_gate import AccountGate
from ..api.auth import TokenSource
from ..api.sma import SmaClient, SmaClientCredentials, SmaEndpoints, SmaEnvironment
from ..api.sma.token import async_logout
from ..const import LOGGER
from ..oauth import (
    ConfigEntryTokenSource,
    OAuthEndpoints,
    async_get_entry_implementation,
)
from ..runtime import SolarCloudConfigEntry
from .const import (
    CONF_ENVIRONMENT,
    CONF_FLOW,
    CONF_GRIDCONTROL_URL,
    CONF_PLANT_MIGRATIONS,
    SmaFlow,
)


def endpoints_of(data: Mapping[str, Any]) -> SmaEndpoints:
    """Return the endpoints an entry's (or a flow's) data name."""
    return SmaEndpoints.for_environment(
        SmaEnvironment(data[CONF_ENVIRONMENT]),
        url=data.get(CONF_URL),
        gridcontrol_url=data.get(CONF_GRIDCONTROL_URL),
    )


def oauth_endpoints(endpoints: SmaEndpoints) -> OAuthEndpoints:
    """Return where the code flow authorizes and fetches tokens."""
    return OAuthEndpoints(
        authorize_url=endpoints.authorize_url,
        token_url=endpoints.token_url,
        scopes=endpoints.code_flow_scopes,
    )


def client_credentials(
    hass: HomeAssistant,
    endpoints: SmaEndpoints,
    data: Mapping[str, Any],
    *,
    gate: AccountGate | None = None,
) -> SmaClientCredentials:
    """Return the custom flow's token source for credentials in ``data``.

    ``gate``: the entry's account's; a flow's token source has its own.
    """
    return SmaClientCredentials(
        async_get_clientsession(hass),
        endpoints,
        data[CONF_CLIENT_ID],
        data[CONF_CLIENT_SECRET],
        gate=gate,
    )


async def async_token_source(
    hass: HomeAssistant, entry: SolarCloudConfigEntry, endpoints: SmaEndpoints
) -> TokenSource:
    """Return the entry's token source, by the flow it signed in with."""
    if entry.data[CONF_FLOW] == SmaFlow.CODE:
        implementation = await async_get_entry_implementation(
            hass, entry, oauth_endpoints(endpoints)
        )
        return ConfigEntryTokenSource(hass, entry, implementation)
    return client_credentials(
        hass, endpoints, entry.data, gate=account_gate(hass, entry)
    )


def create_client(
    hass: HomeAssistant,
    entry: SolarCloudConfigEntry,
    endpoints: SmaEndpoints,
    tokens: TokenSource,
) -> SmaClient:
    """Return the entry's client; plants SMA moves are kept in the entry.

    The client passes the account's gate before every call.
    """

    @callback
    def remember_move(old: str, new: str) -> None:
        migrations = {**entry.data.get(CONF_PLANT_MIGRATIONS, {}), old: new}
        hass.config_entries.async_update_entry(
            entry, data={**entry.data, CONF_PLANT_MIGRATIONS: migrations}
        )

    return SmaClient(
        async_get_clientsession(hass),
        endpoints,
        tokens,
        plant_migrations=entry.data.get(CONF_PLANT_MIGRATIONS),
        on_plant_migrated=remember_move,
        gate=account_gate(hass, entry),
    )


async def async_end_code_flow_session(
    hass: HomeAssistant, entry: SolarCloudConfigEntry
) -> None:
    """End the code flow's session at SMA when the account is deleted.

    The custom flow ends its session at every unload. The code flow keeps
    its (offline) session across restarts, so it ends only here.
    """
    if entry.data[CONF_FLOW] != SmaFlow.CODE:
        return
    endpoints = endpoints_of(entry.data)
    try:
        implementation = await async_get_entry_implementation(
            hass, entry, oauth_endpoints(endpoints)
        )
    except ConfigEntryNotReady:
        return
    if not isinstance(implementation, LocalOAuth2Implementation):
        return
    try:
        await async_logout(
            async_get_clientsession(hass),
            endpoints,
            client_id=implementation.client_id,
            client_secret=implementation.client_secret,
            refresh_token=entry.data["token"]["refresh_token"],
        )
    except SolarCloudApiError as err:
        LOGGER.debug("SMA logout failed: %s", err)
