"""Constants of the FusionSolar slice."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from ..api.fusionsolar.polling import ALARM_PERIOD, REAL_TIME_PERIOD
from ..const import Vendor

VENDOR: Final = Vendor.FUSIONSOLAR
MANUFACTURER: Final = "Huawei"
REDACT_KEYS: Final = frozenset({"address", "name", "serial"})
"""Keys diagnostics redact on top of the common ones."""

CONF_OAUTH_SERVER: Final = "oauth_server"
"""The OAuth Connect server of an OAuth entry (tests and sandboxes change it)."""
CONF_PLANTS: Final = "plants"
"""Option: the plant codes to include (all if missing)."""
CONF_CONTROLS: Final = "controls"
"""Option: offer battery and feed-in controls."""
CONF_ALL_PLANTS: Final = "all_plants"
"""Options form only: every plant, also those the account gains later (no list kept)."""
CONF_PLANT_CODES: Final = "plant_codes"
"""Data: the account's plants when it was set up (to recognise it on reconfigure)."""

STALE_AFTER: Final = 2 * REAL_TIME_PERIOD
"""Entities show their last value until it is older than two cloud refreshes."""
ALARM_STALE_AFTER: Final = 2 * ALARM_PERIOD
CONTROL_STALE_AFTER: Final = timedelta(hours=12)
"""A plant's control settings are read on demand: shown for half a day."""
INVENTORY_INTERVAL: Final = timedelta(days=1)
