"""What every vendor's config flow steps share.

The config flow class (``config_flow.py``) combines one mixin per vendor, each
a subclass of :class:`SolarCloudFlowBase`. Reauth and reconfigure flows start
at a generic step here and continue at ``async_step_<vendor>_reauth`` or
``async_step_<vendor>_reconfigure`` of the entry's vendor; options flows
(:class:`SolarCloudOptionsFlow`) at ``async_step_<vendor>_options``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
import logging
from typing import Any, override

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigEntryState,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.const import CONF_URL
from homeassistant.data_entry_flow import section
from homeassistant.helpers.config_entry_oauth2_flow import AbstractOAuth2FlowHandler
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import probatio

from .api import (
    ApiAuthenticationError,
    ApiConnectionError,
    ApiPermissionError,
    ApiRateLimitedError,
    SolarCloudApiError,
)
from .const import CONF_VENDOR, DOMAIN, LOGGER, VENDOR_NAMES, Vendor
from .oauth import OAuthEndpoints, SolarCloudCredential

type StepHandler = Callable[[Any], Awaitable[ConfigFlowResult]]

SECTION_ADVANCED = "advanced"
URL_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
PASSWORD_SELECTOR = TextSelector(
    TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="current-password")
)


def vendor_title(vendor: Vendor, account: str) -> str:
    """Return "<Vendor> <account>", the title of an account."""
    name = VENDOR_NAMES[vendor]
    return account if account.startswith(f"{name} ") else f"{name} {account}"


@dataclass(frozen=True, kw_only=True)
class FlowErrors:
    """How a vendor's forms show a client error: which field, which message.

    Every vendor maps the same kinds of failure the same way; what differs is
    data: the reasons it shows with a message of their own
    (``config.error.<key>``), its keys for a refused right and a rate limit, and
    the fields the user would correct for a wrong sign-in or an unreachable
    server.
    """

    reasons: Mapping[str, str] = field(default_factory=dict)
    """Client error reason -> error key."""
    reason_fields: Mapping[str, str] = field(default_factory=dict)
    """Client error reason -> the field it shows at (default: the form's)."""
    not_permitted: str = "unknown"
    rate_limited: str = "unknown"
    unreachable: str = "cannot_connect"
    """The key for a server that did not answer (``cannot_reach`` names it)."""
    auth_field: str = "base"
    connection_field: str = "base"

    def of(self, err: SolarCloudApiError) -> tuple[str, str]:
        """Return the form field and error key that show ``err``."""
        if err.reason in self.reasons:
            return self.reason_fields.get(err.reason, "base"), self.reasons[err.reason]
        if isinstance(err, ApiAuthenticationError):
            return self.auth_field, "invalid_auth"
        if isinstance(err, ApiPermissionError):
            return "base", self.not_permitted
        if isinstance(err, ApiRateLimitedError):
            return "base", self.rate_limited
        if isinstance(err, ApiConnectionError):
            return self.connection_field, self.unreachable
        LOGGER.warning("Unexpected answer while signing in: %s", err)
        return "base", "unknown"


class SolarCloudFlowBase(AbstractOAuth2FlowHandler):
    """Shared behaviour of the vendor mixins."""

    DOMAIN = DOMAIN
    VERSION = 1

    _oauth_endpoints: OAuthEndpoints | None = None
    _oauth_token_handler: Callable[[dict[str, Any]], Awaitable[ConfigFlowResult]]

    @property
    @override
    def logger(self) -> logging.Logger:
        """Return the logger of the OAuth2 steps."""
        return LOGGER

    @staticmethod
    def url_section(
        default: str, *, expanded: bool = False
    ) -> dict[probatio.Marker, Any]:
        """Return the vendor API URL field, in an "advanced" section.

        Tests, the demo and sandbox users point the integration at another
        server with it; everybody else leaves the production default. (Home
        Assistant deprecated the advanced mode toggle in favour of sections.)
        The section is collapsed unless ``expanded``: open it when the URL is
        what the user has to correct.
        """
        return {
            probatio.Required(SECTION_ADVANCED): section(
                probatio.Schema(
                    {probatio.Required(CONF_URL, default=default): URL_SELECTOR}
                ),
                {"collapsed": not expanded},
            )
        }

    @staticmethod
    def pop_url(user_input: dict[str, Any], default: str) -> str:
        """Take the URL out of the submitted advanced section.

        Returns the URL without a trailing slash, the default if none was given.
        """
        advanced: dict[str, Any] = user_input.pop(SECTION_ADVANCED, None) or {}
        url: str = advanced.get(CONF_URL) or default
        return url.rstrip("/")

    async def async_create_vendor_entry(
        self,
        vendor: Vendor,
        *,
        unique_id: str,
        title: str,
        data: Mapping[str, Any],
        options: Mapping[str, Any] | None = None,
    ) -> ConfigFlowResult:
        """Create the entry of a new account, unless it is already set up.

        Every account is titled "<Vendor> <account>", so that accounts of
        different clouds are told apart at a glance.
        """
        await self.async_set_unique_id(unique_id)
        self._abort_if_unique_id_configured()
        return self.async_create_entry(
            title=vendor_title(vendor, title),
            data={**data, CONF_VENDOR: vendor},
            options=options or {},
        )

    def updated_entry(self) -> ConfigEntry | None:
        """Return the entry a reauth or reconfigure flow updates; None when adding."""
        if self.source == SOURCE_REAUTH:
            return self._get_reauth_entry()
        if self.source == SOURCE_RECONFIGURE:
            return self._get_reconfigure_entry()
        return None

    async def async_update_vendor_entry(
        self,
        *,
        unique_id: str,
        data_updates: Mapping[str, Any],
        replace_keys: Collection[str] = (),
    ) -> ConfigFlowResult:
        """Finish a reauth or reconfigure flow: same account, new data.

        ``replace_keys`` are dropped from the entry's data before the update
        (a sign-in method changed: the old method's keys must go).
        """
        entry = self.updated_entry()
        if entry is None:
            raise ValueError("Only a reauth or reconfigure flow updates an entry")
        await self.async_set_unique_id(unique_id)
        self._abort_if_unique_id_mismatch(reason="wrong_account")
        kept = {k: v for k, v in entry.data.items() if k not in replace_keys}
        return self.async_update_reload_and_abort(entry, data={**kept, **data_updates})

    # OAuth2 through application credentials -------------------------------

    async def async_start_oauth(
        self,
        endpoints: OAuthEndpoints,
        on_token: Callable[[dict[str, Any]], Awaitable[ConfigFlowResult]],
        *,
        implementation: str | None = None,
    ) -> ConfigFlowResult:
        """Let the user authorize at ``endpoints``; ``on_token`` gets the result.

        ``on_token`` receives ``{"auth_implementation": …, "token": …}``, the
        data an OAuth2 entry keeps, and finishes the flow. Reauth and
        reconfigure flows pass the entry's ``implementation`` (its
        ``auth_implementation``) to use that credential again.
        """
        self._oauth_endpoints = endpoints
        self._oauth_token_handler = on_token
        if implementation is not None:
            return await self.async_step_pick_implementation(
                {"implementation": implementation}
            )
        return await self.async_step_pick_implementation()

    @override
    async def async_step_auth(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Bind the picked credential to the vendor, then authorize."""
        if isinstance(self.flow_impl, SolarCloudCredential):
            if self._oauth_endpoints is None:
                return self.async_abort(reason="oauth_vendor_unknown")
            self.flow_impl = self.flow_impl.bind(self._oauth_endpoints)
        return await super().async_step_auth(user_input)

    @override
    async def async_oauth_create_entry(self, data: dict[str, Any]) -> ConfigFlowResult:
        """Hand the token to the vendor step that started the authorization."""
        return await self._oauth_token_handler(data)

    # Reauth and reconfigure dispatch ---------------------------------------

    def _vendor_step(self, vendor: str, name: str) -> StepHandler | None:
        handler: StepHandler | None = getattr(self, f"async_step_{vendor}_{name}", None)
        return handler

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Ask the entry's vendor for new credentials."""
        if (step := self._vendor_step(entry_data[CONF_VENDOR], "reauth")) is None:
            return self.async_abort(reason="reauth_not_supported")
        return await step(entry_data)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the connection settings of the entry's account."""
        entry = self._get_reconfigure_entry()
        if (step := self._vendor_step(entry.data[CONF_VENDOR], "reconfigure")) is None:
            return self.async_abort(reason="reconfigure_not_supported")
        return await step(user_input)


class SolarCloudOptionsFlow(OptionsFlowWithReload):
    """What every vendor's options flow shares (a changed option reloads).

    Home Assistant starts every options flow at ``init``, whose strings the
    vendors would share: it continues at once at the vendor's own step,
    ``async_step_<vendor>_options``.
    """

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Continue at the step of the entry's vendor."""
        vendor = self.config_entry.data[CONF_VENDOR]
        step: StepHandler = getattr(self, f"async_step_{vendor}_options")
        return await step(None)

    def abort_unless_loaded(self) -> ConfigFlowResult | None:
        """Return the abort ``<vendor>_not_loaded`` unless the entry is loaded.

        For options that need what a loaded account knows (its plants).
        """
        entry = self.config_entry
        if entry.state is ConfigEntryState.LOADED:
            return None
        return self.async_abort(reason=f"{entry.data[CONF_VENDOR]}_not_loaded")
