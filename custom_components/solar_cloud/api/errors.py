"""The one exception hierarchy every vendor client raises.

A client absorbs its vendor's quirks and raises one of these. The Home
Assistant layer maps them in one place (``error_mapping.py`` above this
package; config flows through ``flow_base.FlowErrors``).

``reason`` is an optional stable, snake_case code naming the cause more
precisely than the class does (``account_locked``, ``code_flow_credentials``).
The Home Assistant layer uses it as the translation key of the message the user
sees, so every reason a client raises needs an entry under ``exceptions`` in
``strings.json`` (a test checks this).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime


class SolarCloudApiError(Exception):
    """Base of every error a vendor client raises."""

    default_reason = "unexpected_error"

    def __init__(self, message: str = "", *, reason: str | None = None) -> None:
        """Store the message and the optional reason code."""
        super().__init__(message or self.__class__.__doc__ or "")
        self.reason = reason or self.default_reason


class ApiAuthenticationError(SolarCloudApiError):
    """The credentials or tokens were refused; the user has to act."""

    default_reason = "invalid_auth"


class ApiPermissionError(SolarCloudApiError):
    """Logged in, but this account may not use what was asked for.

    ``missing_right`` names the right (interface, scope, consent) that is
    missing, so a repair issue can tell the user what to ask for.
    """

    default_reason = "permission_denied"

    def __init__(
        self,
        message: str = "",
        *,
        reason: str | None = None,
        missing_right: str | None = None,
    ) -> None:
        """Store the message, reason and the missing right."""
        super().__init__(message, reason=reason)
        self.missing_right = missing_right


class ApiConnectionError(SolarCloudApiError):
    """The cloud could not be reached, timed out or failed on its side (5xx)."""

    default_reason = "cannot_connect"


class ApiRateLimitedError(SolarCloudApiError):
    """The vendor refused the call for its rate limit.

    ``retry_after`` (seconds) is set when the vendor says when to come back, or
    when the client knows the window from the vendor's documentation.
    ``interface`` names the one call the limit is about when the rest of the
    account may go on (a per-interface quota); None: the whole account waits.
    """

    default_reason = "rate_limited"

    def __init__(
        self,
        message: str = "",
        *,
        reason: str | None = None,
        retry_after: float | None = None,
        interface: str | None = None,
    ) -> None:
        """Store the message, reason, the optional retry delay and its scope."""
        super().__init__(message, reason=reason)
        self.retry_after = retry_after
        self.interface = interface


class AccountRateLimitedError(ApiRateLimitedError):
    """The account waits for a rate limit's window: no call was made.

    Raised by an :class:`..account_gate.AccountGate` instead of sending;
    ``until`` is when calls may go again.
    """

    default_reason = "account_rate_limited"

    def __init__(self, until: datetime, cause: str, *, now: datetime) -> None:
        """Refuse locally until ``until``; ``cause``: the refusal that set it."""
        super().__init__(cause, retry_after=max((until - now).total_seconds(), 0.0))
        self.until = until


class ApiResponseError(SolarCloudApiError):
    """The vendor answered something this client cannot use."""

    default_reason = "unexpected_response"


class ApiNotSupportedError(ApiResponseError):
    """The cloud has no such interface for this account (HTTP 404, "not supported").

    Not a glitch: asking again within minutes gets the same answer. Callers
    leave the call for hours (:class:`..unsupported.UnsupportedCalls`) and go
    on with the rest of the account.
    """

    default_reason = "endpoint_not_supported"


def status_error(
    status: int,
    message: str,
    *,
    missing_right: str | None = None,
    retry_after: float | None = None,
    reasons: Mapping[type[SolarCloudApiError], str] | None = None,
) -> SolarCloudApiError:
    """Return the error an HTTP status of 400 or more means, alike for every vendor.

    401: the credentials; 403: a right the account lacks (``missing_right``);
    429: the rate limit (``retry_after``); 5xx: the cloud failing, a connection
    error; 404: no such interface; anything else: an answer the client cannot
    use. ``reasons`` gives a vendor's own reason for a class. A vendor's quirk
    (a 403 that is a quota) is decided before this.
    """
    reason = (reasons or {}).get
    if status == 401:
        return ApiAuthenticationError(message, reason=reason(ApiAuthenticationError))
    if status == 403:
        return ApiPermissionError(
            message,
            reason=reason(ApiPermissionError),
            missing_right=missing_right,
        )
    if status == 429:
        return ApiRateLimitedError(message, retry_after=retry_after)
    if status >= 500:
        return ApiConnectionError(message)
    if status == 404:
        return ApiNotSupportedError(message)
    return ApiResponseError(message)
