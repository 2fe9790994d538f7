"""What SMA's error answers mean, in the integration's error hierarchy.

SMA answers errors in two shapes: the Keycloak authorization server sends
``{"error", "error_description"}``, the APIs send ``{"message", "code"}``
(both documented in SMA's API tutorial). Bodies may also be empty or HTML from
a proxy, so every field is optional here.
"""

from __future__ import annotations

from typing import Any

from ..errors import (
    ApiAuthenticationError,
    ApiPermissionError,
    ApiResponseError,
    SolarCloudApiError,
    status_error,
)
from ..transport import RawResponse, snippet


def error_text(response: RawResponse) -> str:
    """Return the most telling text of an error answer."""
    try:
        body: Any = response.json()
    except ApiResponseError:
        return response.snippet or f"HTTP {response.status}"
    if isinstance(body, dict):
        for key in ("error_description", "message", "error", "title", "detail"):
            if isinstance(value := body.get(key), str) and value:
                return snippet(value)
    if isinstance(body, str) and body:
        return snippet(body)
    return f"HTTP {response.status}"


def error_code(response: RawResponse) -> str:
    """Return the OAuth2 ``error`` code of an authorization server answer."""
    try:
        body: Any = response.json()
    except ApiResponseError:
        return ""
    if isinstance(body, dict) and isinstance(code := body.get("error"), str):
        return code
    return ""


def token_error(response: RawResponse) -> SolarCloudApiError:
    """Return the error for a refused token request (the tutorial's chapter 5)."""
    text = error_text(response)
    code = error_code(response)
    if response.status == 415:
        return ApiResponseError(
            f"SMA refused the token request's content type: {text}",
            reason="sma_unsupported_content_type",
        )
    if code == "invalid_client" or response.status == 401:
        return ApiAuthenticationError(
            f"SMA refused the client credentials: {text}", reason="sma_invalid_client"
        )
    if response.status == 400 and "missing" in text.lower() and "grant_type" in text:
        return ApiResponseError(
            f"SMA missed the grant type of the token request: {text}",
            reason="sma_missing_grant_type",
        )
    if code in ("invalid_grant", "unauthorized_client"):
        return ApiAuthenticationError(
            f"SMA refused the grant: {text}", reason="sma_grant_refused"
        )
    return api_error(response, what="token request")


def api_error(
    response: RawResponse,
    *,
    what: str,
    rate_limit_retry_after: float | None = None,
) -> SolarCloudApiError:
    """Return the error for a failed call to one of SMA's APIs."""
    return status_error(
        response.status,
        f"SMA answered HTTP {response.status} to {what}: {error_text(response)}",
        missing_right=what,
        retry_after=rate_limit_retry_after or response.retry_after,
        reasons={
            ApiAuthenticationError: "sma_token_not_active",
            ApiPermissionError: "sma_forbidden",
        },
    )
