"""Config flow steps for the SMA cloud.

``sma`` is a menu of two ways to sign in:

- ``sma_custom``: the integration's own client credentials; SMA e-mails the
  plant owner a consent request, and the flow waits for the owner to accept
  (``consent_flow.py``).
- ``sma_code``: the owner signs in at SMA (OAuth2 code flow with application
  credentials), which is the consent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigFlowResult,
)
from homeassistant.const import CONF_CLIENT_ID, CONF_CLIENT_SECRET, CONF_URL
from homeassistant.data_entry_flow import section
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import probatio

from ..api import SolarCloudApiError
from ..api.auth import StaticTokenSource
from ..api.sma import SmaClient, SmaEndpoints, SmaEnvironment
from ..api.sma.token import token_subject
from ..const import LOGGER, Vendor
from ..flow_base import PASSWORD_SELECTOR, SECTION_ADVANCED, URL_SELECTOR
from .connection import endpoints_of, oauth_endpoints
from .consent_flow import SmaConsentFlowMixin, custom_unique_id
from .const import (
    CONF_ENVIRONMENT,
    CONF_FLOW,
    CONF_GRIDCONTROL_URL,
    CONF_LOGIN_HINT,
    SmaFlow,
)

ENVIRONMENT_SELECTOR = SelectSelector(
    SelectSelectorConfig(
        options=list(SmaEnvironment),
        translation_key="sma_environment",
        mode=SelectSelectorMode.DROPDOWN,
    )
)
EMAIL_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.EMAIL))


def _environment_fields(
    defaults: Mapping[str, Any], *, expanded: bool = False
) -> dict[probatio.Marker, Any]:
    """Return the environment choice and its URLs (collapsed unless ``expanded``)."""
    return {
        probatio.Required(
            CONF_ENVIRONMENT,
            default=defaults.get(CONF_ENVIRONMENT, SmaEnvironment.PRODUCTION),
        ): ENVIRONMENT_SELECTOR,
        probatio.Required(SECTION_ADVANCED): section(
            probatio.Schema(
                {
                    probatio.Optional(
                        CONF_URL,
                        description={"suggested_value": defaults.get(CONF_URL)},
                    ): URL_SELECTOR,
                    probatio.Optional(
                        CONF_GRIDCONTROL_URL,
                        description={
                            "suggested_value": defaults.get(CONF_GRIDCONTROL_URL)
                        },
                    ): URL_SELECTOR,
                }
            ),
            {"collapsed": not expanded},
        ),
    }


_URL_ERRORS = frozenset({"sma_url_required", "cannot_connect"})
"""Form errors the user corrects in the Advanced section: it opens for them."""


def _credential_fields(
    defaults: Mapping[str, Any], *, expanded: bool = False
) -> dict[probatio.Marker, Any]:
    """Return the environment and the custom flow's client credentials."""
    return {
        **_environment_fields(defaults, expanded=expanded),
        probatio.Required(CONF_CLIENT_ID): str,
        probatio.Required(CONF_CLIENT_SECRET): PASSWORD_SELECTOR,
    }


def _connection(
    user_input: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any] | None:
    """Return the environment settings of a submitted form; None if incomplete.

    An incomplete form gets its error in ``errors``.
    """
    advanced: dict[str, Any] = user_input.pop(SECTION_ADVANCED, None) or {}
    environment = SmaEnvironment(user_input[CONF_ENVIRONMENT])
    url = (advanced.get(CONF_URL) or "").rstrip("/") or None
    if environment is SmaEnvironment.CUSTOM and url is None:
        errors["base"] = "sma_url_required"
        return None
    return {
        CONF_ENVIRONMENT: environment,
        CONF_URL: url if environment is SmaEnvironment.CUSTOM else None,
        CONF_GRIDCONTROL_URL: (advanced.get(CONF_GRIDCONTROL_URL) or "").rstrip("/")
        or None,
    }


class SmaFlowMixin(SmaConsentFlowMixin):
    """The steps that add, re-authenticate and reconfigure an SMA account."""

    _sma_endpoints: SmaEndpoints

    async def async_step_sma(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Let the user pick how the account signs in."""
        return self.async_show_menu(
            step_id="sma", menu_options=["sma_custom", "sma_code"]
        )

    # The custom flow ---------------------------------------------------------

    async def async_step_sma_custom(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the client credentials and the plant owner's e-mail."""
        errors: dict[str, str] = {}
        typed = dict(user_input or {})
        if (
            user_input is not None
            and (connection := _connection(user_input, errors)) is not None
        ):
            data = {CONF_FLOW: SmaFlow.CUSTOM, **connection, **user_input}
            await self.async_set_unique_id(custom_unique_id(data))
            self._abort_if_unique_id_configured()
            if not (errors := await self._async_ask_owner(data)):
                return await self._async_after_request()
        return self.async_show_form(
            step_id="sma_custom",
            data_schema=self.add_suggested_values_to_schema(
                probatio.Schema(
                    {
                        **_credential_fields(
                            {}, expanded=errors.get("base") in _URL_ERRORS
                        ),
                        probatio.Required(CONF_LOGIN_HINT): EMAIL_SELECTOR,
                    }
                ),
                # Everything typed stays, the secret too: nothing to type again.
                typed,
            ),
            errors=errors,
        )

    # The code flow -----------------------------------------------------------

    async def async_step_sma_code(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the environment, then let the owner sign in at SMA."""
        return await self._async_code_form("sma_code", user_input, None)

    async def _async_code_form(
        self,
        step_id: str,
        user_input: dict[str, Any] | None,
        implementation: str | None,
    ) -> ConfigFlowResult:
        errors: dict[str, str] = {}
        if (
            user_input is not None
            and (connection := _connection(user_input, errors)) is not None
        ):
            self._sma_data = {CONF_FLOW: SmaFlow.CODE, **connection}
            self._sma_endpoints = endpoints_of(self._sma_data)
            return await self.async_start_oauth(
                oauth_endpoints(self._sma_endpoints),
                self._async_code_token,
                implementation=implementation,
            )
        defaults: Mapping[str, Any] = (
            self._get_reconfigure_entry().data
            if self.source == SOURCE_RECONFIGURE
            else {}
        )
        return self.async_show_form(
            step_id=step_id,
            data_schema=probatio.Schema(_environment_fields(defaults)),
            errors=errors,
        )

    async def _async_code_token(self, data: dict[str, Any]) -> ConfigFlowResult:
        """Name the account the owner signed in with; add or update it."""
        access_token = data["token"]["access_token"]
        client = SmaClient(
            async_get_clientsession(self.hass),
            self._sma_endpoints,
            StaticTokenSource(access_token),
        )
        try:
            plants = await client.plants()
        except SolarCloudApiError as err:
            LOGGER.debug("SMA code flow: reading the plants failed: %s", err)
            return self.async_abort(reason="cannot_connect")
        subject = token_subject(access_token) or ",".join(
            sorted(plant.plant_id for plant in plants)
        )
        if not subject:
            return self.async_abort(reason="sma_unknown_account")
        entry_data = {**self._sma_data, **data}
        if self.updated_entry() is not None:
            return await self.async_update_vendor_entry(
                unique_id=f"code_{subject}", data_updates=entry_data
            )
        return await self.async_create_vendor_entry(
            Vendor.SMA,
            unique_id=f"code_{subject}",
            title=subject if "@" in subject else plants[0].name,
            data=entry_data,
        )

    # Reauth and reconfigure ----------------------------------------------------

    async def async_step_sma_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Sign in again (code flow) or ask the owner again (custom flow)."""
        if entry_data[CONF_FLOW] == SmaFlow.CODE:
            return await self.async_step_sma_reauth_code()
        return await self.async_step_sma_reauth_custom()

    async def async_step_sma_reauth_code(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Let the owner sign in at SMA again."""
        if user_input is None:
            return self.async_show_form(step_id="sma_reauth_code")
        entry = self._get_reauth_entry()
        self._sma_data = {
            key: entry.data.get(key)
            for key in (CONF_FLOW, CONF_ENVIRONMENT, CONF_URL, CONF_GRIDCONTROL_URL)
        }
        self._sma_endpoints = endpoints_of(entry.data)
        return await self.async_start_oauth(
            oauth_endpoints(self._sma_endpoints),
            self._async_code_token,
            implementation=entry.data["auth_implementation"],
        )

    async def async_step_sma_reauth_custom(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Send the owner a new consent request (and take a new secret)."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {
                **entry.data,
                CONF_CLIENT_SECRET: user_input.get(CONF_CLIENT_SECRET)
                or entry.data[CONF_CLIENT_SECRET],
            }
            if not (errors := await self._async_ask_owner(data)):
                return await self._async_after_request()
        schema = probatio.Schema(
            {probatio.Optional(CONF_CLIENT_SECRET): PASSWORD_SELECTOR}
        )
        return self._owner_form("sma_reauth_custom", schema, entry, errors)

    async def async_step_sma_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the environment, URLs or client credentials."""
        entry = self._get_reconfigure_entry()
        if entry.data[CONF_FLOW] == SmaFlow.CODE:
            return await self.async_step_sma_reconfigure_code()
        errors: dict[str, str] = {}
        if (
            user_input is not None
            and (connection := _connection(user_input, errors)) is not None
        ):
            data = {**entry.data, **connection, **user_input}
            await self.async_set_unique_id(custom_unique_id(data))
            self._abort_if_unique_id_mismatch(reason="wrong_account")
            if not (errors := await self._async_ask_owner(data, only_if_needed=True)):
                return await self._async_after_request()
        schema = self.add_suggested_values_to_schema(
            probatio.Schema(_credential_fields(entry.data)),
            {CONF_CLIENT_ID: entry.data[CONF_CLIENT_ID]},
        )
        return self._owner_form("sma_reconfigure", schema, entry, errors)

    def _owner_form(
        self,
        step_id: str,
        schema: probatio.Schema,
        entry: ConfigEntry,
        errors: dict[str, str],
    ) -> ConfigFlowResult:
        """Show a step that asks the entry's owner for consent again."""
        return self.async_show_form(
            step_id=step_id,
            data_schema=schema,
            description_placeholders={"owner": entry.data[CONF_LOGIN_HINT]},
            errors=errors,
        )

    async def async_step_sma_reconfigure_code(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the environment, then let the owner sign in there."""
        entry = self._get_reconfigure_entry()
        return await self._async_code_form(
            "sma_reconfigure_code", user_input, entry.data["auth_implementation"]
        )
