"""Config flow steps for Huawei FusionSolar: Northbound API account or OAuth Connect."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import ConfigFlowResult
from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME
from homeassistant.helpers.selector import (
    BooleanSelector,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)
import probatio

from ..api import (
    ApiAuthenticationError,
    ApiConnectionError,
    ApiPermissionError,
    ApiRateLimitedError,
    SolarCloudApiError,
)
from ..api.auth import StaticTokenSource
from ..api.fusionsolar import FusionSolarClient
from ..api.fusionsolar.const import OAUTH_SERVER, REGIONAL_HOSTS
from ..api.fusionsolar.models import Plant
from ..const import LOGGER
from ..flow_base import PASSWORD_SELECTOR, FlowErrors, SolarCloudFlowBase
from .connection import (
    account_id,
    call_budget,
    client_session,
    oauth_endpoints,
    password_client,
    remember_flow_listing,
)
from .const import CONF_CONTROLS, CONF_OAUTH_SERVER, CONF_PLANT_CODES, VENDOR
from .storage import async_load_accounts

HOST_SELECTOR = SelectSelector(
    SelectSelectorConfig(
        options=list(REGIONAL_HOSTS),
        custom_value=True,
        mode=SelectSelectorMode.DROPDOWN,
    )
)
DEFAULT_HOST = REGIONAL_HOSTS[0]

FLOW_ERRORS = FlowErrors(
    reasons={
        "account_locked": "fusionsolar_account_locked",
        "account_disabled": "fusionsolar_account_disabled",
        "account_expired": "fusionsolar_account_expired",
    },
    not_permitted="fusionsolar_plants_not_permitted",
    rate_limited="fusionsolar_rate_limited",
    auth_field=CONF_PASSWORD,
    connection_field=CONF_URL,
)


def _host(value: str) -> str:
    host = value.strip().rstrip("/")
    return host if "://" in host else f"https://{host}"


def _oauth_account_id(host: str, plants: list[Plant]) -> str:
    """Return the unique id of an OAuth Connect account: its first plant at host."""
    authority = host.split("://", 1)[-1]
    return f"oauth:{min(plant.code for plant in plants)}@{authority}"


def _title(plants: list[Plant], fallback: str) -> str:
    return plants[0].name if len(plants) == 1 else fallback


class FusionSolarFlowMixin(SolarCloudFlowBase):
    """The steps that add, reauthenticate and reconfigure a FusionSolar account."""

    _fusionsolar_host: str = DEFAULT_HOST
    _fusionsolar_controls: bool = True
    _fusionsolar_oauth_server: str = OAUTH_SERVER

    async def async_step_fusionsolar(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Let the user pick how to sign in."""
        return self.async_show_menu(
            step_id="fusionsolar",
            menu_options=["fusionsolar_account", "fusionsolar_oauth"],
        )

    # Northbound API account ------------------------------------------------

    async def _fusionsolar_plants(
        self, client: FusionSolarClient, errors: dict[str, str]
    ) -> list[Plant] | None:
        """Log in and list the plants; on failure fill ``errors``."""
        # The account may have called before a restart; its budget knows.
        await async_load_accounts(self.hass)
        try:
            plants = await client.async_get_plants()
        except (
            ApiAuthenticationError,
            ApiRateLimitedError,
            ApiPermissionError,
            ApiConnectionError,
        ) as err:
            field, key = FLOW_ERRORS.of(err)
            errors[field] = key
        except SolarCloudApiError:
            # Whatever answered is not a FusionSolar server.
            errors[CONF_URL] = "fusionsolar_not_fusionsolar"
        except Exception:  # noqa: BLE001 - anything else must not break the flow
            LOGGER.exception("Unexpected error validating the FusionSolar account")
            errors["base"] = "unknown"
        else:
            if plants:
                return plants
            errors["base"] = "fusionsolar_no_plants"
        return None

    async def _fusionsolar_check_account(
        self, user_input: dict[str, Any], errors: dict[str, str]
    ) -> tuple[dict[str, Any], list[Plant]] | None:
        data = {
            CONF_URL: _host(user_input[CONF_URL]),
            CONF_USERNAME: user_input[CONF_USERNAME].strip(),
            CONF_PASSWORD: user_input[CONF_PASSWORD],
        }
        client = password_client(self.hass, client_session(self.hass), data)
        plants = await self._fusionsolar_plants(client, errors)
        if plants is None:
            return None
        account = account_id(data[CONF_URL], data[CONF_USERNAME])
        remember_flow_listing(self.hass, account, client, plants)
        return data, plants

    def _fusionsolar_account_schema(
        self, defaults: Mapping[str, Any]
    ) -> probatio.Schema:
        return probatio.Schema(
            {
                probatio.Required(
                    CONF_URL, default=defaults.get(CONF_URL, DEFAULT_HOST)
                ): HOST_SELECTOR,
                probatio.Required(
                    CONF_USERNAME, default=defaults.get(CONF_USERNAME, "")
                ): TextSelector(),
                probatio.Required(CONF_PASSWORD): PASSWORD_SELECTOR,
            }
        )

    async def async_step_fusionsolar_account(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the host and the Northbound API account (user and system code)."""
        errors: dict[str, str] = {}
        if user_input is not None:
            checked = await self._fusionsolar_check_account(user_input, errors)
            if checked is not None:
                data, plants = checked
                return await self.async_create_vendor_entry(
                    VENDOR,
                    unique_id=account_id(data[CONF_URL], data[CONF_USERNAME]),
                    title=_title(plants, data[CONF_USERNAME]),
                    data=data | {CONF_PLANT_CODES: [p.code for p in plants]},
                )
        return self.async_show_form(
            step_id="fusionsolar_account",
            data_schema=self.add_suggested_values_to_schema(
                self._fusionsolar_account_schema(user_input or {}), user_input
            ),
            errors=errors,
        )

    # OAuth Connect -----------------------------------------------------------

    async def async_step_fusionsolar_oauth(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the host and whether to control, then authorize at Huawei."""
        if user_input is not None:
            self._fusionsolar_oauth_server = self.pop_url(user_input, OAUTH_SERVER)
            self._fusionsolar_host = _host(user_input[CONF_URL])
            self._fusionsolar_controls = user_input[CONF_CONTROLS]
            return await self.async_start_oauth(
                oauth_endpoints(
                    self._fusionsolar_oauth_server,
                    controls=self._fusionsolar_controls,
                ),
                self._async_fusionsolar_oauth_done,
            )
        return self.async_show_form(
            step_id="fusionsolar_oauth",
            data_schema=probatio.Schema(
                {
                    probatio.Required(CONF_URL, default=DEFAULT_HOST): HOST_SELECTOR,
                    probatio.Required(CONF_CONTROLS, default=True): BooleanSelector(),
                    **self.url_section(OAUTH_SERVER),
                }
            ),
        )

    async def _async_fusionsolar_oauth_done(
        self, data: dict[str, Any]
    ) -> ConfigFlowResult:
        """List the plants with the new token, then add or update the entry."""
        token = data["token"]
        client = FusionSolarClient(
            client_session(self.hass),
            self._fusionsolar_host,
            token_source=StaticTokenSource(token["access_token"]),
        )
        errors: dict[str, str] = {}
        plants = await self._fusionsolar_plants(client, errors)
        if plants is None:
            return self.async_abort(reason=next(iter(errors.values())))
        unique_id = _oauth_account_id(self._fusionsolar_host, plants)
        remember_flow_listing(self.hass, unique_id, client, plants)
        entry_data = {
            **data,
            CONF_URL: self._fusionsolar_host,
            CONF_OAUTH_SERVER: self._fusionsolar_oauth_server,
            CONF_PLANT_CODES: [plant.code for plant in plants],
        }
        if self.updated_entry() is not None:
            return await self.async_update_vendor_entry(
                unique_id=unique_id, data_updates=entry_data
            )
        return await self.async_create_vendor_entry(
            VENDOR,
            unique_id=unique_id,
            title=_title(plants, "OAuth Connect"),
            data=entry_data,
            options={CONF_CONTROLS: self._fusionsolar_controls},
        )

    # Reauth and reconfigure ----------------------------------------------------

    async def async_step_fusionsolar_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Ask for what the account needs to sign in again."""
        if "token" in entry_data:
            return await self.async_step_fusionsolar_reauth_oauth()
        return await self.async_step_fusionsolar_reauth_password()

    async def async_step_fusionsolar_reauth_password(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the new system code (password) of the API account."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            checked = await self._fusionsolar_check_account(
                dict(entry.data) | user_input, errors
            )
            if checked is not None:
                data, _ = checked
                return await self.async_update_vendor_entry(
                    unique_id=account_id(data[CONF_URL], data[CONF_USERNAME]),
                    data_updates={CONF_PASSWORD: data[CONF_PASSWORD]},
                )
        return self.async_show_form(
            step_id="fusionsolar_reauth_password",
            data_schema=probatio.Schema(
                {probatio.Required(CONF_PASSWORD): PASSWORD_SELECTOR}
            ),
            description_placeholders={
                "username": entry.data.get(CONF_USERNAME, ""),
                "host": entry.data.get(CONF_URL, ""),
            },
            errors=errors,
        )

    async def async_step_fusionsolar_reauth_oauth(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Confirm, then authorize again at Huawei."""
        if user_input is None:
            return self.async_show_form(step_id="fusionsolar_reauth_oauth")
        entry = self._get_reauth_entry()
        self._fusionsolar_host = entry.data[CONF_URL]
        self._fusionsolar_oauth_server = entry.data.get(CONF_OAUTH_SERVER, OAUTH_SERVER)
        self._fusionsolar_controls = entry.options.get(CONF_CONTROLS, True)
        return await self.async_start_oauth(
            oauth_endpoints(
                self._fusionsolar_oauth_server, controls=self._fusionsolar_controls
            ),
            self._async_fusionsolar_oauth_done,
        )

    async def async_step_fusionsolar_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change host or user name of the same account (its plants tell)."""
        entry = self._get_reconfigure_entry()
        oauth = "token" in entry.data
        errors: dict[str, str] = {}
        if user_input is not None:
            if oauth:
                host = _host(user_input[CONF_URL])
                client = FusionSolarClient(
                    client_session(self.hass),
                    host,
                    token_source=StaticTokenSource(entry.data["token"]["access_token"]),
                    budget=call_budget(self.hass, entry.unique_id or entry.entry_id),
                )
                plants = await self._fusionsolar_plants(client, errors)
                data = {CONF_URL: host}
                unique_id = entry.unique_id
                if plants is not None:
                    remember_flow_listing(
                        self.hass, entry.unique_id or entry.entry_id, client, plants
                    )
            else:
                checked = await self._fusionsolar_check_account(user_input, errors)
                plants = None if checked is None else checked[1]
                data = {} if checked is None else checked[0]
                unique_id = (
                    account_id(data[CONF_URL], data[CONF_USERNAME]) if data else None
                )
            if plants is not None:
                codes = [plant.code for plant in plants]
                if set(codes).isdisjoint(entry.data.get(CONF_PLANT_CODES, [])):
                    return self.async_abort(reason="wrong_account")
                if unique_id != entry.unique_id:
                    await self.async_set_unique_id(unique_id)
                    self._abort_if_unique_id_configured()
                return self.async_update_reload_and_abort(
                    entry,
                    unique_id=unique_id,
                    data_updates=data | {CONF_PLANT_CODES: codes},
                )
        if oauth:
            schema = probatio.Schema(
                {
                    probatio.Required(
                        CONF_URL, default=entry.data[CONF_URL]
                    ): HOST_SELECTOR
                }
            )
        else:
            schema = self._fusionsolar_account_schema(entry.data)
        return self.async_show_form(
            step_id="fusionsolar_reconfigure", data_schema=schema, errors=errors
        )
