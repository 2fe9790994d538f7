"""The generic config flow: the vendor menu, shared helpers and OAuth2."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from unittest.mock import patch

from homeassistant.components.application_credentials import (
    ClientCredential,
    async_import_client_credential,
)
from homeassistant.config_entries import SOURCE_USER, ConfigFlowResult, OptionsFlow
from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.setup import async_setup_component
import probatio
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_config_flow,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from yarl import URL

from custom_components.solar_cloud.api import (
    ApiAuthenticationError,
    ApiConnectionError,
    ApiPermissionError,
    ApiRateLimitedError,
    ApiResponseError,
    SolarCloudApiError,
)
from custom_components.solar_cloud.config_flow import SolarCloudConfigFlow
from custom_components.solar_cloud.const import CONF_VENDOR, DOMAIN, Vendor
from custom_components.solar_cloud.flow_base import FlowErrors
from custom_components.solar_cloud.oauth import OAuthEndpoints
from custom_components.solar_cloud.runtime import VendorIntegration
from custom_components.solar_cloud.vendors import VENDORS

from .common import async_authorize, async_start_flow
from .const import REDIRECT
from .fake_vendor import FAKE_VENDOR, FakeAuthServer
from .simulator.core import RunningSimulator, StartSimulator


class FakeVendorFlow(SolarCloudConfigFlow):
    """The real flow plus steps of a vendor that uses the shared helpers."""

    auth_server: str = ""

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Offer the fake vendor's steps next to the real ones."""
        return self.async_show_menu(
            step_id="user", menu_options=[*Vendor, "fake", "fake_oauth"]
        )

    async def async_step_fake(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for an API key (and the URL in advanced mode)."""
        if user_input is not None:
            url = self.pop_url(user_input, "https://fake")
            return await self.async_create_vendor_entry(
                FAKE_VENDOR,
                unique_id=user_input[CONF_API_KEY],
                title="Fake",
                data={**user_input, CONF_URL: url},
            )
        return self.async_show_form(
            step_id="fake",
            data_schema=probatio.Schema(
                {
                    probatio.Required(CONF_API_KEY): str,
                    **self.url_section("https://fake"),
                }
            ),
        )

    async def async_step_fake_oauth(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Authorize at the simulator's authorization server."""
        return await self.async_start_oauth(
            OAuthEndpoints(
                authorize_url=f"{self.auth_server}/authorize",
                token_url=f"{self.auth_server}/token",
                scopes=("read", "offline_access"),
                pkce=True,
            ),
            self._async_oauth_done,
        )

    async def _async_oauth_done(self, data: dict[str, Any]) -> ConfigFlowResult:
        return await self.async_create_vendor_entry(
            FAKE_VENDOR, unique_id="oauth-user", title="Fake OAuth", data=data
        )

    async def async_step_fusionsolar_reauth(
        self, entry_data: dict[str, Any]
    ) -> ConfigFlowResult:
        """Start the fake vendor's reauth."""
        return await self.async_step_fusionsolar_reauth_confirm()

    async def async_step_fusionsolar_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the key again."""
        return await self._async_key_step("fusionsolar_reauth_confirm", user_input)

    async def async_step_fusionsolar_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the key."""
        return await self._async_key_step("fusionsolar_reconfigure", user_input)

    async def _async_key_step(
        self, step_id: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Ask for a key; the entry's account is the key."""
        if user_input is not None:
            return await self.async_update_vendor_entry(
                unique_id=user_input[CONF_API_KEY], data_updates=user_input
            )
        return self.async_show_form(
            step_id=step_id,
            data_schema=probatio.Schema({probatio.Required(CONF_API_KEY): str}),
        )


@pytest.fixture
def fake_flow() -> Iterator[type[FakeVendorFlow]]:
    """Use the flow with the fake vendor's steps."""
    with mock_config_flow(DOMAIN, FakeVendorFlow):
        yield FakeVendorFlow


@pytest.fixture
async def auth_server(
    start_vendor_simulator: StartSimulator,
) -> AsyncIterator[RunningSimulator]:
    """Serve an authorization server."""
    served = await start_vendor_simulator(FakeAuthServer(require_pkce=True))
    FakeVendorFlow.auth_server = served.base_url
    return served


async def test_user_step_is_a_vendor_menu(hass: HomeAssistant) -> None:
    """The first step lets the user pick one of the three vendors."""
    result = await async_start_flow(hass)
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["sma", "smartme", "fusionsolar"]


@pytest.mark.parametrize(
    ("vendor", "ways"),
    [
        (Vendor.SMA, ["sma_custom", "sma_code"]),
        (Vendor.SMARTME, ["smartme_basic", "smartme_apikey", "smartme_oauth"]),
        (Vendor.FUSIONSOLAR, ["fusionsolar_account", "fusionsolar_oauth"]),
    ],
)
async def test_every_vendor_has_a_step(
    hass: HomeAssistant, vendor: Vendor, ways: list[str]
) -> None:
    """Each menu option leads to the vendor's own menu of ways to sign in."""
    result = await async_start_flow(hass, vendor)
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == vendor
    assert result["menu_options"] == ways
    assert all(option.startswith(f"{vendor}_") for option in result["menu_options"])


@pytest.mark.usefixtures("fake_flow")
@pytest.mark.parametrize(
    ("advanced", "url"),
    [
        ({}, "https://fake"),
        ({CONF_URL: "http://127.0.0.1:1/"}, "http://127.0.0.1:1"),
    ],
)
async def test_url_in_a_collapsed_section(
    hass: HomeAssistant, advanced: dict[str, str], url: str
) -> None:
    """The vendor API URL sits in a collapsed section and defaults to production."""
    result = await async_start_flow(hass, "fake")
    advanced_section = result["data_schema"].schema["advanced"]
    assert advanced_section.options == {"collapsed": True}
    user_input = {CONF_API_KEY: "key-1", "advanced": advanced}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {
        CONF_VENDOR: FAKE_VENDOR,
        CONF_API_KEY: "key-1",
        CONF_URL: url,
    }
    assert result["result"].unique_id == "key-1"


@pytest.mark.usefixtures("fake_flow")
async def test_same_account_twice_is_refused(hass: HomeAssistant) -> None:
    """An account already set up is not added a second time."""
    MockConfigEntry(
        domain=DOMAIN, unique_id="key-1", data={CONF_VENDOR: FAKE_VENDOR}
    ).add_to_hass(hass)
    result = await async_start_flow(hass, "fake")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: "key-1", "advanced": {}}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


@pytest.mark.usefixtures("fake_flow", "no_setup")
@pytest.mark.parametrize(
    ("flow", "step", "key", "reason"),
    [
        ("reauth", "fusionsolar_reauth_confirm", "key-1", "reauth_successful"),
        ("reauth", "fusionsolar_reauth_confirm", "other", "wrong_account"),
        ("reconfigure", "fusionsolar_reconfigure", "key-1", "reconfigure_successful"),
    ],
)
async def test_reauth_and_reconfigure_go_to_the_vendor(
    hass: HomeAssistant, flow: str, step: str, key: str, reason: str
) -> None:
    """Both continue at the vendor's step; reauth only accepts the same account."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id="key-1",
        data={CONF_VENDOR: FAKE_VENDOR, CONF_API_KEY: "old"},
    )
    entry.add_to_hass(hass)
    if flow == "reauth":
        result = await entry.start_reauth_flow(hass)
    else:
        result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == step
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: key}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == reason
    assert entry.data[CONF_API_KEY] == ("old" if reason == "wrong_account" else key)


@pytest.mark.parametrize(
    ("flow", "reason"),
    [("reauth", "reauth_not_supported"), ("reconfigure", "reconfigure_not_supported")],
)
async def test_vendor_without_the_step_aborts(
    hass: HomeAssistant, flow: str, reason: str
) -> None:
    """A vendor that has no reauth or reconfigure step says so."""
    # A vendor key no mixin serves, e.g. an entry of a vendor since retired.
    entry = MockConfigEntry(domain=DOMAIN, data={CONF_VENDOR: "retired"})
    entry.add_to_hass(hass)
    if flow == "reauth":
        result = await entry.start_reauth_flow(hass)
    else:
        result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == reason


class _Options(OptionsFlow):
    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        return self.async_create_entry(data={"interval": 5})


async def test_options_flow_is_the_vendors(hass: HomeAssistant) -> None:
    """Options are offered only by vendors that have some."""
    entry = MockConfigEntry(domain=DOMAIN, data={CONF_VENDOR: Vendor.SMA})
    entry.add_to_hass(hass)
    with patch.dict(VENDORS, {Vendor.SMA: VendorIntegration(async_setup_entry=None)}):  # type: ignore[arg-type]
        assert not SolarCloudConfigFlow.async_supports_options_flow(entry)

    with patch.dict(
        VENDORS,
        {Vendor.SMA: VendorIntegration(async_setup_entry=None, options_flow=_Options)},
    ):  # type: ignore[arg-type]
        assert SolarCloudConfigFlow.async_supports_options_flow(entry)
        result = await hass.config_entries.options.async_init(entry.entry_id)
        assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {"interval": 5}


@pytest.mark.usefixtures("fake_flow", "current_request_with_host")
async def test_oauth_with_application_credentials(
    hass: HomeAssistant,
    auth_server: RunningSimulator,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """A credential is bound to the vendor's endpoints, with scopes and PKCE."""
    assert await async_setup_component(hass, "application_credentials", {})
    await async_import_client_credential(
        hass,
        DOMAIN,
        ClientCredential("client-id", "client-secret", name="Fake cloud"),
        "fake_cred",
    )
    result = await async_start_flow(hass, "fake_oauth")
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    authorize = URL(result["url"])
    assert str(authorize.with_query(None)) == f"{auth_server.base_url}/authorize"
    assert authorize.query["scope"] == "read offline_access"
    assert authorize.query["code_challenge_method"] == "S256"
    assert authorize.query["redirect_uri"] == REDIRECT

    result = await async_authorize(hass, result, hass_client_no_auth)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "FusionSolar Fake OAuth"
    assert result["data"]["auth_implementation"] == "fake_cred"
    token = result["data"]["token"]
    assert token["access_token"] in auth_server.simulator.oauth.access_tokens
    assert result["data"][CONF_VENDOR] == FAKE_VENDOR


@pytest.mark.usefixtures("fake_flow", "current_request_with_host")
async def test_oauth_without_a_vendor_step_aborts(hass: HomeAssistant) -> None:
    """Picking a credential outside a vendor step cannot know the endpoints."""
    assert await async_setup_component(hass, "application_credentials", {})
    await async_import_client_credential(
        hass, DOMAIN, ClientCredential("client-id", "secret"), "cred"
    )
    flow = FakeVendorFlow()
    flow.hass = hass
    flow.flow_id = "x"
    flow.context = {"source": SOURCE_USER}
    result = await flow.async_step_pick_implementation({"implementation": "cred"})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "oauth_vendor_unknown"


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (ApiAuthenticationError(reason="account_locked"), ("base", "locked")),
        (ApiAuthenticationError(), ("password", "invalid_auth")),
        (ApiPermissionError(), ("base", "no_right")),
        (ApiRateLimitedError(retry_after=60), ("base", "slow_down")),
        (ApiConnectionError(), ("url", "cannot_connect")),
        (ApiResponseError(), ("base", "unknown")),
    ],
)
def test_flow_errors_show_each_kind_where_the_user_corrects_it(
    error: SolarCloudApiError, expected: tuple[str, str]
) -> None:
    """One mapping serves every vendor; what differs is the vendor's data."""
    errors = FlowErrors(
        reasons={"account_locked": "locked"},
        not_permitted="no_right",
        rate_limited="slow_down",
        auth_field="password",
        connection_field="url",
    )
    assert errors.of(error) == expected
