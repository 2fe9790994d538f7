"""Constants the tests of more than one vendor share."""

NOON = "2026-06-21T10:00:00+00:00"
"""A summer noon in central Europe (10:00 UTC): plants produce, clocks freeze here."""

REDIRECT = "https://example.com/auth/external/callback"
"""Home Assistant's OAuth callback, where an authorization server sends the user back."""
