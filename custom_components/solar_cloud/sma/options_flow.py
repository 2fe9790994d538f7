"""Options of an SMA account: access to new plants, and the energy history."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlowResult
import probatio

from ..api import SolarCloudApiError
from ..const import LOGGER
from ..flow_base import SolarCloudOptionsFlow
from ..history_source import CONF_HISTORY_DAYS, history_days_field
from .const import CONF_FLOW, CONF_LOGIN_HINT, SmaFlow
from .data import sma_data


class SmaOptionsFlow(SolarCloudOptionsFlow):
    """A menu: ask for access to plants added since, or set the history period.

    SMA's consent covers the plants the owner had when accepting; new ones
    need a new request (a "permission scope change" in SMA's FAQ). In the
    code flow the owner signs in again instead. A changed history period
    reloads the account, whose import then fetches what is missing.
    """

    async def async_step_sma_options(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Offer the choices of the account's sign-in flow."""
        if (not_loaded := self.abort_unless_loaded()) is not None:
            return not_loaded
        entry = self.config_entry
        access = (
            "sma_sign_in_again"
            if entry.data[CONF_FLOW] == SmaFlow.CODE
            else "sma_request_consent"
        )
        return self.async_show_menu(
            step_id="sma_options",
            menu_options=[access, "history_options"],
            description_placeholders={"owner": entry.data.get(CONF_LOGIN_HINT, "")},
        )

    async def async_step_sma_request_consent(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Confirm, then send the owner a new consent request."""
        owner = self.config_entry.data[CONF_LOGIN_HINT]
        if user_input is None:
            return self.async_show_form(
                step_id="sma_request_consent",
                description_placeholders={"owner": owner},
            )
        try:
            await sma_data(self.config_entry).client.request_consent(owner)
        except SolarCloudApiError as err:
            LOGGER.debug("SMA consent request failed: %s", err)
            return self.async_abort(reason="cannot_connect")
        # The plants appear with the hourly plant list once the owner accepts.
        return self.async_abort(
            reason="sma_consent_requested", description_placeholders={"owner": owner}
        )

    async def async_step_sma_sign_in_again(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Start the reauth flow, where the owner approves the plants again."""
        self.config_entry.async_start_reauth(self.hass)
        return self.async_abort(reason="sma_sign_in_started")

    async def async_step_history_options(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Set how many days before the account was added to import."""
        options = self.config_entry.options
        if user_input is not None:
            return self.async_create_entry(
                data={**options, CONF_HISTORY_DAYS: int(user_input[CONF_HISTORY_DAYS])}
            )
        schema = probatio.Schema(history_days_field(options))
        return self.async_show_form(step_id="history_options", data_schema=schema)
