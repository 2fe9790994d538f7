"""Diagnostics: what the entry and its vendor know, with secrets redacted."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import (
    CONF_ACCESS_TOKEN,
    CONF_API_KEY,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_EMAIL,
    CONF_LATITUDE,
    CONF_LONGITUDE,
    CONF_PASSWORD,
    CONF_TOKEN,
    CONF_USERNAME,
    CONF_WEBHOOK_ID,
)
from homeassistant.core import HomeAssistant

from .runtime import SolarCloudConfigEntry, SolarCloudData

# Keys redacted wherever they appear, in any vendor's data. Vendors add their
# own spellings through SolarCloudData.redact_keys.
TO_REDACT = frozenset(
    {
        CONF_ACCESS_TOKEN,
        CONF_API_KEY,
        CONF_CLIENT_ID,
        CONF_CLIENT_SECRET,
        CONF_EMAIL,
        CONF_LATITUDE,
        CONF_LONGITUDE,
        CONF_PASSWORD,
        CONF_TOKEN,
        CONF_USERNAME,
        CONF_WEBHOOK_ID,
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
    """
    if (runtime_data := getattr(entry, "runtime_data", None)) is None:
        # Every vendor's own keys too: the entry's data holds them all the same.
        redact = TO_REDACT.union(
            *(data.redact_keys for data in SolarCloudData.__subclasses__())
        )
        return {
            "entry": async_redact_data(entry.as_dict(), redact),
            "state": entry.state.value,
            "reason": entry.reason,
            "vendor": None,
        }
    redact = TO_REDACT | runtime_data.redact_keys
    return {
        "entry": async_redact_data(entry.as_dict(), redact),
        "vendor": async_redact_data(runtime_data.diagnostics(), redact),
    }
