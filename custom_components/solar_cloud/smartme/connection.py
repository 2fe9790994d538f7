"""Building the smart-me client of an entry or a flow: credentials, OAuth endpoints."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.const import CONF_API_KEY, CONF_PASSWORD, CONF_URL, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from ..account_backoff import account_gate
from ..api.account_gate import AccountGate
from ..api.smartme import ApiKeyAuth, BasicAuth, OAuthAuth, SmartMeAuth, SmartMeClient
from ..api.smartme.auth import OAUTH_AUTHORIZE_PATH, OAUTH_SCOPES, OAUTH_TOKEN_PATH
from ..oauth import (
    ConfigEntryTokenSource,
    OAuthEndpoints,
    async_get_entry_implementation,
)
from ..runtime import SolarCloudConfigEntry
from .const import CONF_AUTH_TYPE, SmartMeAuthType


def oauth_endpoints(url: str) -> OAuthEndpoints:
    """Return smart-me's authorization server at ``url`` (code flow with PKCE)."""
    return OAuthEndpoints(
        authorize_url=f"{url}{OAUTH_AUTHORIZE_PATH}",
        token_url=f"{url}{OAUTH_TOKEN_PATH}",
        scopes=OAUTH_SCOPES,
        pkce=True,
    )


def static_auth(data: Mapping[str, Any]) -> SmartMeAuth | None:
    """Return the Basic or API key credentials of entry data, None for OAuth."""
    match data[CONF_AUTH_TYPE]:
        case SmartMeAuthType.BASIC:
            return BasicAuth(data[CONF_USERNAME], data[CONF_PASSWORD])
        case SmartMeAuthType.API_KEY:
            return ApiKeyAuth(data[CONF_API_KEY])
    return None


def create_client(
    hass: HomeAssistant,
    auth: SmartMeAuth,
    url: str,
    *,
    gate: AccountGate | None = None,
) -> SmartMeClient:
    """Return a client that signs in with ``auth`` at ``url``.

    ``gate``: the entry's account's; a flow's client has its own.
    """
    return SmartMeClient(async_get_clientsession(hass), auth, base_url=url, gate=gate)


async def async_create_client(
    hass: HomeAssistant, entry: SolarCloudConfigEntry
) -> SmartMeClient:
    """Return the client of an entry; OAuth tokens are refreshed as needed.

    The client passes the account's gate before every call.

    Raises:
        ConfigEntryNotReady: The application credential is not available.

    """
    url = entry.data[CONF_URL]
    auth = static_auth(entry.data)
    if auth is None:
        implementation = await async_get_entry_implementation(
            hass, entry, oauth_endpoints(url)
        )
        auth = OAuthAuth(ConfigEntryTokenSource(hass, entry, implementation))
    return create_client(hass, auth, url, gate=account_gate(hass, entry))
