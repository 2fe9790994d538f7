"""Constants of the chaos suite."""

SHORT_TIMEOUT = 0.3
"""Seconds a token refresh may take here."""
OVERSIZE_LIMIT = 64 * 1024
"""The body limit during the suite, so an oversize answer is small to send."""
