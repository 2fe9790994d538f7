"""Config flow steps for the SMA cloud."""

from typing import Any

from homeassistant.config_entries import ConfigFlowResult

from ..flow_base import SolarCloudFlowBase


class SmaFlowMixin(SolarCloudFlowBase):
    """The steps that add a SMA account."""

    async def async_step_sma(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Start adding a SMA account."""
        return self.async_abort(
            reason="vendor_not_available",
            description_placeholders={"vendor": "SMA"},
        )
