"""The plant owner's consent in the custom flow (``bc-authorize``, v2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from ..errors import ApiPermissionError, ApiResponseError
from ..transport import snippet
from .times import parse_time


class ConsentState(StrEnum):
    """Where the owner's consent stands (stored in issues: never rename)."""

    NOT_REQUESTED = "not_requested"
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    REVOKED = "revoked"
    EXPIRED = "expired"


# SMA's sandbox expects the imperative ("reject") when a test sets the state,
# and clients have seen both casings: match case-insensitively, on the stem.
_STATES = {
    "pending": ConsentState.PENDING,
    "accept": ConsentState.ACCEPTED,
    "accepted": ConsentState.ACCEPTED,
    "reject": ConsentState.REJECTED,
    "rejected": ConsentState.REJECTED,
    "revoke": ConsentState.REVOKED,
    "revoked": ConsentState.REVOKED,
    "expired": ConsentState.EXPIRED,
}

# .NET's default date: the answer for a login hint never asked for consent.
_NEVER = datetime(1, 1, 2, tzinfo=UTC)


def mentions_owner(text: str) -> bool:
    """Return whether SMA's message says the login hint is no plant owner."""
    lowered = text.lower()
    return "owner" in lowered and ("privilege" in lowered or "not" in lowered)


@dataclass(frozen=True, kw_only=True)
class ConsentStatus:
    """The answer of ``bc-authorize`` for one login hint."""

    login_hint: str
    state: ConsentState
    expires_at: datetime | None
    interval: int | None
    """Seconds SMA asks clients to wait between two status requests."""

    @classmethod
    def from_api(cls, data: Any, login_hint: str) -> ConsentStatus:
        """Parse a consent answer.

        Raises:
            ApiPermissionError: The login hint is not a plant owner.
            ApiResponseError: The answer is not a consent state.

        """
        if not isinstance(data, dict):
            raise ApiResponseError(f"Unexpected consent answer: {data!r:.200}")
        message = data.get("message")
        if isinstance(message, str) and mentions_owner(message):
            raise not_owner(login_hint, message)
        expires_at = parse_time(data.get("expirationDate"), UTC)
        raw_state = data.get("state")
        if expires_at is not None and expires_at < _NEVER:
            state = ConsentState.NOT_REQUESTED
            expires_at = None
        elif isinstance(raw_state, str) and raw_state.strip().lower() in _STATES:
            state = _STATES[raw_state.strip().lower()]
        else:
            raise ApiResponseError(f"Unknown consent state {snippet(raw_state)}")
        interval = data.get("interval")
        return cls(
            login_hint=str(data.get("loginHint") or login_hint),
            state=state,
            expires_at=expires_at,
            interval=interval if isinstance(interval, int) else None,
        )


def not_owner(login_hint: str, message: str) -> ApiPermissionError:
    """Return the error for a login hint that owns no plant."""
    return ApiPermissionError(
        f"{login_hint} is not a plant owner at SMA: {message}",
        reason="sma_not_plant_owner",
        missing_right="plant owner",
    )
