"""Config flow steps for the smart-me cloud.

``smartme`` is a menu of the three ways to sign in: Basic (username and
password, which smart-me retires after November 2026), an API key, or OAuth2
(application credentials, authorization code with PKCE). Then ``smartme_realtime``
asks whether smart-me should push new values. Reauth and reconfigure offer the
same menu, so a Basic-auth account can move to OAuth or an API key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
import secrets
from typing import Any

from homeassistant.components.webhook import async_generate_id
from homeassistant.config_entries import ConfigFlowResult
from homeassistant.const import (
    CONF_API_KEY,
    CONF_PASSWORD,
    CONF_TOKEN,
    CONF_URL,
    CONF_USERNAME,
    CONF_WEBHOOK_ID,
)
from homeassistant.helpers.selector import (
    BooleanSelector,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import probatio
from yarl import URL

from ..api import SolarCloudApiError
from ..api.auth import StaticTokenSource
from ..api.smartme import (
    DEFAULT_URL,
    ApiKeyAuth,
    BasicAuth,
    OAuthAuth,
    SmartMeAuth,
    User,
)
from ..const import Vendor
from ..flow_base import (
    PASSWORD_SELECTOR,
    SECTION_ADVANCED,
    FlowErrors,
    SolarCloudFlowBase,
)
from .connection import create_client, oauth_endpoints
from .const import (
    CONF_AUTH_IMPLEMENTATION,
    CONF_AUTH_TYPE,
    CONF_REALTIME,
    CONF_SCAN_INTERVAL,
    CONF_WEBHOOK_PASSWORD,
    CONF_WEBHOOK_USERNAME,
    DEFAULT_SCAN_INTERVAL,
    SmartMeAuthType,
)

AUTH_METHODS = ["smartme_basic", "smartme_apikey", "smartme_oauth"]
# What an entry keeps of its sign-in; replaced whole when the method changes.
AUTH_KEYS = {
    CONF_AUTH_TYPE,
    CONF_USERNAME,
    CONF_PASSWORD,
    CONF_API_KEY,
    CONF_URL,
    CONF_TOKEN,
    CONF_AUTH_IMPLEMENTATION,
}
WEBHOOK_USERNAME = "solar_cloud"
USERNAME_SELECTOR = TextSelector(
    TextSelectorConfig(type=TextSelectorType.TEXT, autocomplete="username")
)


FLOW_ERRORS = FlowErrors(
    not_permitted="smartme_no_user_right", unreachable="cannot_reach"
)


class SmartMeFlowMixin(SolarCloudFlowBase):
    """The steps that add, re-authenticate and reconfigure a smart-me account."""

    _smartme_account: tuple[User, dict[str, Any]] | None = None
    _smartme_url: str = DEFAULT_URL

    def _smartme_current_url(self) -> str:
        """Return the API URL of the entry being updated, the default when adding one."""
        entry = self.updated_entry()
        return entry.data.get(CONF_URL, DEFAULT_URL) if entry else DEFAULT_URL

    async def async_step_smartme(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Let the user pick how to sign in to smart-me."""
        return self.async_show_menu(step_id="smartme", menu_options=AUTH_METHODS)

    async def async_step_smartme_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Sign in again, with the same or another method."""
        return self.async_show_menu(
            step_id="smartme_reauth",
            menu_options=AUTH_METHODS,
            description_placeholders={"name": self._get_reauth_entry().title},
        )

    async def async_step_smartme_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change how the account signs in, or the API URL."""
        return self.async_show_menu(
            step_id="smartme_reconfigure", menu_options=AUTH_METHODS
        )

    # Sign-in methods ---------------------------------------------------------

    async def async_step_smartme_basic(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Sign in with username and password."""
        entry = self.updated_entry()
        return await self._async_smartme_credentials(
            "smartme_basic",
            user_input,
            {CONF_USERNAME: USERNAME_SELECTOR, CONF_PASSWORD: PASSWORD_SELECTOR},
            SmartMeAuthType.BASIC,
            lambda typed: BasicAuth(typed[CONF_USERNAME], typed[CONF_PASSWORD]),
            suggested={CONF_USERNAME: entry.data.get(CONF_USERNAME) if entry else None},
        )

    async def async_step_smartme_apikey(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Sign in with an API key from the smart-me portal."""
        return await self._async_smartme_credentials(
            "smartme_apikey",
            user_input,
            {CONF_API_KEY: PASSWORD_SELECTOR},
            SmartMeAuthType.API_KEY,
            lambda typed: ApiKeyAuth(typed[CONF_API_KEY]),
        )

    async def _async_smartme_credentials(
        self,
        step_id: str,
        user_input: dict[str, Any] | None,
        fields: Mapping[str, TextSelector],
        auth_type: SmartMeAuthType,
        auth: Callable[[Mapping[str, Any]], SmartMeAuth],
        *,
        suggested: Mapping[str, Any] | None = None,
    ) -> ConfigFlowResult:
        """Show a form of ``fields`` and sign in with what was typed.

        A refused sign-in shows at the last field (the secret).
        """
        errors: dict[str, str] = {}
        typed = dict(suggested or {})
        if user_input is not None:
            typed = dict(user_input)
            result = await self._async_smartme_sign_in(
                auth(user_input),
                {
                    CONF_AUTH_TYPE: auth_type,
                    **{key: user_input[key] for key in fields},
                    CONF_URL: self.pop_url(user_input, self._smartme_current_url()),
                },
                errors,
                list(fields)[-1],
            )
            if result is not None:
                return result
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                probatio.Schema(
                    {
                        **{
                            probatio.Required(key): field
                            for key, field in fields.items()
                        },
                        **self._smartme_url_section(errors),
                    }
                ),
                typed,
            ),
            errors=errors,
            description_placeholders=self._smartme_placeholders(typed),
        )

    def _smartme_url_section(self, errors: Mapping[str, str]) -> dict[Any, Any]:
        """Return the URL section, open when the server did not answer."""
        return self.url_section(
            self._smartme_current_url(),
            expanded=errors.get("base") == FLOW_ERRORS.unreachable,
        )

    def _smartme_placeholders(self, typed: Mapping[str, Any]) -> dict[str, str]:
        """Return the host the form talks to, for the error that names it."""
        advanced = typed.get(SECTION_ADVANCED) or {}
        url = advanced.get(CONF_URL) or self._smartme_current_url()
        return {"host": URL(url).host or url}

    async def async_step_smartme_oauth(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Authorize Home Assistant at smart-me (application credentials)."""
        if user_input is None:
            return self.async_show_form(
                step_id="smartme_oauth",
                data_schema=probatio.Schema(
                    self.url_section(self._smartme_current_url())
                ),
            )
        self._smartme_url = self.pop_url(user_input, self._smartme_current_url())
        return await self.async_start_oauth(
            oauth_endpoints(self._smartme_url), self._async_smartme_oauth_done
        )

    async def _async_smartme_oauth_done(self, data: dict[str, Any]) -> ConfigFlowResult:
        auth = OAuthAuth(StaticTokenSource(data[CONF_TOKEN]["access_token"]))
        errors: dict[str, str] = {}
        user = await self._async_smartme_user(auth, self._smartme_url, errors, "base")
        if user is None:
            return self.async_abort(reason="smartme_oauth_account_unreadable")
        return await self._async_smartme_signed_in(
            user,
            {
                **data,
                CONF_AUTH_TYPE: SmartMeAuthType.OAUTH,
                CONF_URL: self._smartme_url,
            },
        )

    async def _async_smartme_sign_in(
        self,
        auth: SmartMeAuth,
        auth_data: dict[str, Any],
        errors: dict[str, str],
        field: str,
    ) -> ConfigFlowResult | None:
        """Sign in with ``auth`` at the URL of ``auth_data``; None: see ``errors``."""
        user = await self._async_smartme_user(auth, auth_data[CONF_URL], errors, field)
        if user is None:
            return None
        return await self._async_smartme_signed_in(user, auth_data)

    async def _async_smartme_user(
        self, auth: SmartMeAuth, url: str, errors: dict[str, str], field: str
    ) -> User | None:
        """Return the account the credentials open; else fill ``errors``."""
        client = create_client(self.hass, auth, url)
        try:
            return await client.user()
        except SolarCloudApiError as err:
            key, error = replace(FLOW_ERRORS, auth_field=field).of(err)
            errors[key] = error
        return None

    # Finishing -----------------------------------------------------------------

    async def _async_smartme_signed_in(
        self, user: User, auth_data: dict[str, Any]
    ) -> ConfigFlowResult:
        """Update the entry being re-authenticated, or ask about realtime push."""
        if self.updated_entry() is not None:
            # A changed sign-in method drops the old method's keys.
            return await self.async_update_vendor_entry(
                unique_id=user.id, data_updates=auth_data, replace_keys=AUTH_KEYS
            )
        await self.async_set_unique_id(user.id)
        self._abort_if_unique_id_configured()
        self._smartme_account = (user, auth_data)
        return await self.async_step_smartme_realtime()

    async def async_step_smartme_realtime(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask whether smart-me should push new values to Home Assistant."""
        if user_input is None or self._smartme_account is None:
            return self.async_show_form(
                step_id="smartme_realtime",
                data_schema=probatio.Schema(
                    {probatio.Required(CONF_REALTIME, default=True): BooleanSelector()}
                ),
            )
        user, auth_data = self._smartme_account
        return await self.async_create_vendor_entry(
            Vendor.SMARTME,
            unique_id=user.id,
            title=user.username,
            data={
                **auth_data,
                CONF_WEBHOOK_ID: async_generate_id(),
                CONF_WEBHOOK_USERNAME: WEBHOOK_USERNAME,
                CONF_WEBHOOK_PASSWORD: secrets.token_urlsafe(24),
            },
            options={
                CONF_REALTIME: user_input[CONF_REALTIME],
                CONF_SCAN_INTERVAL: DEFAULT_SCAN_INTERVAL,
            },
        )
