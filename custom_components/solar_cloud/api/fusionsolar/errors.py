"""How the Northbound API says no: HTTP statuses and failCodes as client errors."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..errors import (
    ApiAuthenticationError,
    ApiConnectionError,
    ApiNotSupportedError,
    ApiPermissionError,
    ApiRateLimitedError,
    ApiResponseError,
    SolarCloudApiError,
    status_error,
)
from ..transport import RawResponse, snippet
from .const import FailCode, Path
from .flow_control import CallBudget

SYSTEM_LIMIT_RETRY = 60.0
_DAILY_QUOTA_RETRY = 3600.0
NOT_AUTHORIZED_BY_OWNER = "not_authorized_by_owner"
"""The reason of failCode 20056: the plant owner withholds the data."""

_INTERFACE_NAMES: Mapping[Path, str] = {
    path: path.rsplit("/", 2)[-1] if "thirdData" in path else path.split("nbi/", 1)[-1]
    for path in Path
}


def interface_name(path: Path) -> str:
    """Return the name Huawei's portal gives an interface (for messages)."""
    return _INTERFACE_NAMES.get(path, path)


class ControlNotSupportedError(ApiResponseError):
    """The plant's networking does not support this configuration query (20609)."""

    default_reason = "control_not_supported"


def envelope(response: RawResponse) -> dict[str, Any]:
    """Return the JSON object every answer comes in.

    Raises:
        ApiResponseError: The answer is no JSON object.

    """
    body = response.json()
    if not isinstance(body, dict):
        raise ApiResponseError(
            f"Unexpected answer from {response.url.path}: {snippet(body)}"
        )
    return body


def fail_text(body: Mapping[str, Any]) -> str:
    """Return the text of a failed answer."""
    # Some errors carry their text in "data" (ACCESS_FREQUENCY_IS_TOO_HIGH),
    # others in "message".
    for key in ("message", "data"):
        if isinstance(text := body.get(key), str | int) and str(text):
            return snippet(str(text))
    return ""


def http_error(
    path: Path,
    response: RawResponse,
    budget: CallBudget,
    now: datetime,
    *,
    uses_oauth: bool,
) -> SolarCloudApiError:
    """Return the error an HTTP status other than 200 means.

    A quota refusal backs ``path`` off in ``budget``.
    """
    status = response.status
    name = interface_name(path)
    if status == 429 or (status == 403 and b"quotaControl" in response.body):
        retry_after = response.retry_after
        if retry_after is None and status == 403:
            retry_after = (budget.refused(path, now) - now).total_seconds()
        return ApiRateLimitedError(
            f"{name}: HTTP {status} {response.snippet}",
            retry_after=retry_after or SYSTEM_LIMIT_RETRY,
            # The gateway's quota is counted per interface (the budget backs
            # off the path); a 429 holds the whole account.
            interface=name if status == 403 else None,
        )
    # 404: the host has no such interface (an older or regional deployment).
    oauth_reason: dict[type[SolarCloudApiError], str] = {
        ApiAuthenticationError: "oauth_refresh_refused"
    }
    return status_error(
        status,
        f"{name}: HTTP {status} {response.snippet}".strip(),
        missing_right=name,
        reasons=oauth_reason if uses_oauth else None,
    )


def fail_code_error(
    path: Path, code: int | None, text: str, budget: CallBudget, now: datetime
) -> SolarCloudApiError:
    """Return the error a failCode means; 407 backs ``path`` off in ``budget``."""
    name = interface_name(path)
    message = f"{name}: failCode {code} {text}".strip()
    if code == FailCode.TOO_FREQUENT:
        until = budget.refused(path, now)
        return ApiRateLimitedError(
            message, retry_after=(until - now).total_seconds(), interface=name
        )
    if code == FailCode.SYSTEM_LIMIT:
        return ApiRateLimitedError(message, retry_after=SYSTEM_LIMIT_RETRY)
    if code == FailCode.DAILY_QUOTA:
        return ApiRateLimitedError(
            message, reason="daily_quota_exceeded", retry_after=_DAILY_QUOTA_RETRY
        )
    if code == FailCode.NO_PERMISSION:
        return ApiPermissionError(
            message, reason="interface_not_permitted", missing_right=name
        )
    if code == FailCode.NOT_AUTHORIZED_BY_OWNER:
        return ApiPermissionError(
            message, reason=NOT_AUTHORIZED_BY_OWNER, missing_right=name
        )
    if code in (FailCode.SERVER_ABNORMAL, FailCode.SYSTEM_BUSY):
        return ApiConnectionError(message)
    if code == FailCode.NETWORKING_NOT_SUPPORTED:
        return ControlNotSupportedError(message)
    if code == FailCode.NOT_SUPPORTED_FOR_DEVICES:
        # "Wrong device type / not supported for some devices" (a dongle).
        return ApiNotSupportedError(message)
    return ApiResponseError(message)
