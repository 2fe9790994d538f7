"""Constants of the SMA tests."""

REDIRECT = "https://example.com/auth/external/callback"
"""Where SMA's login page sends the owner back (Home Assistant's callback)."""
