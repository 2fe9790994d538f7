"""Constants the tests of more than one vendor share."""

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

NOON = "2026-06-21T10:00:00+00:00"
"""A summer noon in central Europe (10:00 UTC): plants produce, clocks freeze here."""
FAKE_NOON = "2026-06-21T12:00:00+00:00"
"""Noon UTC, where the fake cloud's plants (minute of the day in W) report 720.0."""

REDIRECT = "https://example.com/auth/external/callback"
"""Home Assistant's OAuth callback, where an authorization server sends the user back."""

BERLIN = ZoneInfo("Europe/Berlin")
"""Where the simulated plants stand (SMA's and FusionSolar's)."""

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

RETRY_AFTER = 600
"""Seconds a rate-limited answer asks the client to wait (its Retry-After)."""

ROOT = Path(__file__).resolve().parent.parent
"""The repository's root."""
