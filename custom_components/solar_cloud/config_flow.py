"""Config flow: pick a vendor, then that vendor's steps."""

from __future__ import annotations

from typing import Any, override

from homeassistant.config_entries import ConfigEntry, ConfigFlowResult, OptionsFlow
from homeassistant.core import callback
from homeassistant.data_entry_flow import UnknownHandler

from .const import CONF_VENDOR, DOMAIN, Vendor
from .fusionsolar.config_flow import FusionSolarFlowMixin
from .sma.config_flow import SmaFlowMixin
from .smartme.config_flow import SmartMeFlowMixin
from .vendors import VENDORS


class SolarCloudConfigFlow(
    SmaFlowMixin, SmartMeFlowMixin, FusionSolarFlowMixin, domain=DOMAIN
):
    """Add an account of one of the vendor clouds."""

    @override
    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Let the user pick the vendor cloud."""
        return self.async_show_menu(step_id="user", menu_options=list(Vendor))

    @staticmethod
    @callback
    @override
    def async_get_options_flow(config_entry: ConfigEntry) -> OptionsFlow:
        """Return the options flow of the entry's vendor."""
        options_flow = VENDORS[Vendor(config_entry.data[CONF_VENDOR])].options_flow
        if (
            options_flow is None
        ):  # Home Assistant asks async_supports_options_flow first
            raise UnknownHandler
        return options_flow()

    @classmethod
    @callback
    @override
    def async_supports_options_flow(cls, config_entry: ConfigEntry) -> bool:
        """Return whether the entry's vendor has options."""
        return VENDORS[Vendor(config_entry.data[CONF_VENDOR])].options_flow is not None
