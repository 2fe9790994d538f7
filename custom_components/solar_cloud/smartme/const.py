"""Constants of the smart-me Home Assistant layer."""

from datetime import timedelta
from enum import StrEnum
from typing import Final

from homeassistant.const import CONF_URL

CONF_AUTH_TYPE: Final = "auth_type"
CONF_AUTH_IMPLEMENTATION: Final = "auth_implementation"
"""Where Home Assistant's OAuth2 entries keep their application credential."""
CONF_REALTIME: Final = "realtime"
CONF_SCAN_INTERVAL: Final = "scan_interval"
CONF_WEBHOOK_USERNAME: Final = "webhook_username"
CONF_WEBHOOK_PASSWORD: Final = "webhook_password"  # noqa: S105 - a key, not a password
CONF_CLOUDHOOK_URL: Final = "cloudhook_url"
CONF_REALTIME_URL: Final = "realtime_url"
"""The URL registered at smart-me, to unregister it later."""

REDACT_KEYS: Final = frozenset(
    {
        CONF_WEBHOOK_PASSWORD,
        CONF_WEBHOOK_USERNAME,
        CONF_CLOUDHOOK_URL,
        CONF_REALTIME_URL,
        CONF_AUTH_IMPLEMENTATION,
        CONF_URL,  # the webhook URL holds the webhook id
    }
)
"""Keys diagnostics redact on top of the common ones."""


class SmartMeAuthType(StrEnum):
    """How an entry signs in (stored in entries: never rename)."""

    BASIC = "basic"
    API_KEY = "api_key"
    OAUTH = "oauth"


DEFAULT_SCAN_INTERVAL: Final = 60
"""Seconds between polls while no pushes arrive (smart-me meters upload about once a minute)."""
MIN_SCAN_INTERVAL: Final = 30
MAX_SCAN_INTERVAL: Final = 3600

SAFETY_POLL_INTERVAL: Final = timedelta(minutes=15)
"""How often the device list is still polled while every device pushes."""
PUSH_WINDOW: Final = timedelta(minutes=5)
"""A device counts as pushing while its last push is at most this old."""
PUSH_CHECK_INTERVAL: Final = timedelta(minutes=1)
REALTIME_RETRY: Final = timedelta(minutes=5)
"""Retry a failed Realtime API registration after this long."""

ISSUE_BASIC_AUTH: Final = "smartme_basic_auth_deprecated"
"""The repair issue of an entry that still signs in with Basic auth."""

MAX_PUSH_BYTES: Final = 256 * 1024
WEBHOOK_NAME: Final = "Solar Cloud smart-me"
MANUFACTURER: Final = "smart-me"
