"""The one place where client errors become Home Assistant errors.

Coordinators raise what :func:`update_error` returns; entity actions and
services raise what :func:`action_error` returns. The message the user sees is
the translation of the error's ``reason`` under ``exceptions`` in
``strings.json``; ``{error}`` in it is the client's own message.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryNotReady,
    HomeAssistantError,
)
from homeassistant.helpers.update_coordinator import UpdateFailed
from homeassistant.util import dt as dt_util

from .api import (
    AccountRateLimitedError,
    ApiAuthenticationError,
    ApiRateLimitedError,
    SolarCloudApiError,
)
from .const import DOMAIN


def _placeholders(err: SolarCloudApiError) -> dict[str, str]:
    if isinstance(err, AccountRateLimitedError):
        until = dt_util.as_local(err.until).strftime("%Y-%m-%d %H:%M:%S")
        return {"error": str(err), "until": until}
    return {"error": str(err)}


def update_error(err: SolarCloudApiError) -> ConfigEntryAuthFailed | UpdateFailed:
    """Return what a coordinator raises for a client error.

    Authentication errors start a reauth flow; everything else marks the
    update as failed, and a rate limit tells the coordinator when to retry.
    """
    if isinstance(err, ApiAuthenticationError):
        return ConfigEntryAuthFailed(
            translation_domain=DOMAIN,
            translation_key=err.reason,
            translation_placeholders=_placeholders(err),
        )
    return UpdateFailed(
        translation_domain=DOMAIN,
        translation_key=err.reason,
        translation_placeholders=_placeholders(err),
        retry_after=err.retry_after if isinstance(err, ApiRateLimitedError) else None,
    )


def not_ready_error(err: AccountRateLimitedError) -> ConfigEntryNotReady:
    """Return what setup raises while the account waits for a rate limit.

    Home Assistant tries the setup again on its own schedule; each try fails
    at once, without a call, until the window has passed.
    """
    return ConfigEntryNotReady(
        translation_domain=DOMAIN,
        translation_key=err.reason,
        translation_placeholders=_placeholders(err),
    )


def action_error(
    hass: HomeAssistant, entry: ConfigEntry, err: SolarCloudApiError
) -> HomeAssistantError:
    """Return what an entity action or a service raises for a client error.

    An authentication error also starts the reauth flow, so the user is asked
    for new credentials rather than only told that the action failed. A rate
    limit that refused the whole account is already held by the client (the
    account's gate, ``api/account_gate.py``).
    """
    if isinstance(err, ApiAuthenticationError):
        entry.async_start_reauth(hass)
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=err.reason,
        translation_placeholders=_placeholders(err),
    )


@asynccontextmanager
async def translate_action_errors(
    hass: HomeAssistant, entry: ConfigEntry
) -> AsyncIterator[None]:
    """Raise client errors inside the block as translated action errors.

    Within the account's rate-limit window the client refuses the block's
    first call without a request: the action fails at once, naming when
    calls resume.
    """
    try:
        yield
    except SolarCloudApiError as err:
        raise action_error(hass, entry, err) from err
