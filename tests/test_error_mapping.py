"""Client errors become the right Home Assistant errors, with translations."""

from __future__ import annotations

from unittest.mock import patch

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, HomeAssistantError
from homeassistant.helpers.update_coordinator import UpdateFailed
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.solar_cloud.api import (
    ApiAuthenticationError,
    ApiConnectionError,
    ApiNotSupportedError,
    ApiPermissionError,
    ApiRateLimitedError,
    ApiResponseError,
    SolarCloudApiError,
)
from custom_components.solar_cloud.api.errors import status_error
from custom_components.solar_cloud.const import CONF_VENDOR, DOMAIN, Vendor
from custom_components.solar_cloud.error_mapping import (
    action_error,
    translate_action_errors,
    update_error,
)


@pytest.mark.parametrize(
    ("error", "expected", "key", "retry_after"),
    [
        (ApiAuthenticationError("bad"), ConfigEntryAuthFailed, "invalid_auth", None),
        (
            ApiAuthenticationError("locked", reason="account_locked"),
            ConfigEntryAuthFailed,
            "account_locked",
            None,
        ),
        (ApiConnectionError("down"), UpdateFailed, "cannot_connect", None),
        (ApiRateLimitedError("slow", retry_after=90), UpdateFailed, "rate_limited", 90),
        (ApiRateLimitedError("slow"), UpdateFailed, "rate_limited", None),
        (ApiResponseError("huh"), UpdateFailed, "unexpected_response", None),
        (
            ApiPermissionError("no", missing_right="x"),
            UpdateFailed,
            "permission_denied",
            None,
        ),
        (SolarCloudApiError(), UpdateFailed, "unexpected_error", None),
    ],
)
def test_update_error(
    error: SolarCloudApiError,
    expected: type[Exception],
    key: str,
    retry_after: float | None,
) -> None:
    """Coordinators raise reauth for auth errors and a translated failure otherwise."""
    mapped = update_error(error)
    assert type(mapped) is expected
    assert mapped.translation_domain == DOMAIN
    assert mapped.translation_key == key
    assert mapped.translation_placeholders == {"error": str(error)}
    if isinstance(mapped, UpdateFailed):
        assert mapped.retry_after == retry_after


def test_error_messages_default_to_the_docstring() -> None:
    """A client error without a message still says what happened."""
    assert str(ApiConnectionError()).startswith("The cloud could not be reached")
    assert ApiPermissionError(missing_right="control").missing_right == "control"


async def test_action_error_starts_reauth_on_auth_errors(hass: HomeAssistant) -> None:
    """An action refused for the credentials asks the user to sign in again."""
    entry = MockConfigEntry(domain=DOMAIN, data={CONF_VENDOR: Vendor.SMA})
    entry.add_to_hass(hass)

    with patch.object(entry, "async_start_reauth") as start_reauth:
        mapped = action_error(hass, entry, ApiConnectionError("down"))
        assert isinstance(mapped, HomeAssistantError)
        assert mapped.translation_key == "cannot_connect"
        start_reauth.assert_not_called()

        with pytest.raises(HomeAssistantError) as err:
            async with translate_action_errors(hass, entry):
                raise ApiAuthenticationError("expired")
        assert err.value.translation_key == "invalid_auth"
        start_reauth.assert_called_once_with(hass)


@pytest.mark.parametrize(
    ("status", "kind", "reason"),
    [
        (400, ApiResponseError, "unexpected_response"),
        (401, ApiAuthenticationError, "vendor_token_refused"),
        (403, ApiPermissionError, "permission_denied"),
        (404, ApiNotSupportedError, "endpoint_not_supported"),
        (429, ApiRateLimitedError, "rate_limited"),
        (503, ApiConnectionError, "cannot_connect"),
    ],
)
def test_status_error(status: int, kind: type[SolarCloudApiError], reason: str) -> None:
    """Every vendor's HTTP status means the same client error."""
    err = status_error(
        status,
        "answer",
        missing_right="plants",
        retry_after=30,
        reasons={ApiAuthenticationError: "vendor_token_refused"},
    )
    assert type(err) is kind
    assert str(err) == "answer"
    assert err.reason == reason
    if isinstance(err, ApiPermissionError):
        assert err.missing_right == "plants"
    if isinstance(err, ApiRateLimitedError):
        assert err.retry_after == 30
