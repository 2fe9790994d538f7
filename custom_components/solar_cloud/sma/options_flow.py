"""Options of an SMA account: ask the owner for access to new plants."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntryState, ConfigFlowResult, OptionsFlow

from ..api import SolarCloudApiError
from ..const import LOGGER
from .const import CONF_FLOW, CONF_LOGIN_HINT, SmaFlow
from .runtime import sma_data


class SmaOptionsFlow(OptionsFlow):
    """Request access to plants the owner added after consenting.

    SMA's consent covers the plants the owner had when accepting; new ones
    need a new request (a "permission scope change" in SMA's FAQ). In the
    code flow the owner signs in again instead.
    """

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Go to SMA's own step (the vendors share the options strings)."""
        return await self.async_step_sma_options()

    async def async_step_sma_options(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Confirm the new request."""
        entry = self.config_entry
        if entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="sma_not_loaded")
        if entry.data[CONF_FLOW] == SmaFlow.CODE:
            return self.async_show_menu(
                step_id="sma_options", menu_options=["sma_sign_in_again"]
            )
        owner = entry.data[CONF_LOGIN_HINT]
        if user_input is None:
            return self.async_show_form(
                step_id="sma_options", description_placeholders={"owner": owner}
            )
        try:
            await sma_data(entry).client.request_consent(owner)
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
