"""Config flow steps for the smart-me cloud."""

from typing import Any

from homeassistant.config_entries import ConfigFlowResult

from ..flow_base import SolarCloudFlowBase


class SmartMeFlowMixin(SolarCloudFlowBase):
    """The steps that add a smart-me account."""

    async def async_step_smartme(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Start adding a smart-me account."""
        return self.async_abort(
            reason="vendor_not_available",
            description_placeholders={"vendor": "smart-me"},
        )
