"""Diagnostics: what the entry and its vendor know, with secrets redacted."""

from __future__ import annotations

from typing import Any

from homeassistant import const as ha
from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .account_backoff import kept_backoff
from .const import CONF_VENDOR
from .runtime import SolarCloudConfigEntry
from .vendors import VENDORS

# Keys redacted wherever they appear, in any vendor's data. Vendors add their
# own spellings through VendorIntegration.redact_keys.
TO_REDACT = frozenset(
    {
        ha.CONF_ACCESS_TOKEN,
        ha.CONF_API_KEY,
        ha.CONF_CLIENT_ID,
        ha.CONF_CLIENT_SECRET,
        ha.CONF_EMAIL,
        ha.CONF_LATITUDE,
        ha.CONF_LONGITUDE,
        ha.CONF_PASSWORD,
        ha.CONF_TOKEN,
        ha.CONF_USERNAME,
        ha.CONF_WEBHOOK_ID,
        "refresh_token",
        "login_hint",
        "serial",
        "serial_number",
        "unique_id",
        "title",
    }
)


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: SolarCloudConfigEntry
) -> dict[str, Any]:
    """Return the diagnostics of one account, in whatever state it is.

    An account that failed to set up (or is reloading) has no runtime data:
    its diagnostics say so, with the entry, which is when users need them.
    Either way they tell what the account waits for (``account_backoff``):
    until when its calls are held, which calls are left alone.
    """
    backoff = kept_backoff(hass, entry)
    waits = None if backoff is None else backoff.diagnostics()
    if (runtime_data := getattr(entry, "runtime_data", None)) is None:
        # Every vendor's own keys: the entry's vendor may be unreadable too.
        redact = TO_REDACT.union(*(vendor.redact_keys for vendor in VENDORS.values()))
        return {
            "entry": async_redact_data(entry.as_dict(), redact),
            "state": entry.state.value,
            "reason": entry.reason,
            "account_backoff": waits,
            "vendor": None,
        }
    redact = TO_REDACT | VENDORS[entry.data[CONF_VENDOR]].redact_keys
    return {
        "entry": async_redact_data(entry.as_dict(), redact),
        "account_backoff": waits,
        "vendor": async_redact_data(runtime_data.diagnostics(), redact),
    }
