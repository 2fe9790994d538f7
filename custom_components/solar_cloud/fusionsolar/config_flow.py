"""Config flow steps for the Huawei FusionSolar cloud."""

from typing import Any

from homeassistant.config_entries import ConfigFlowResult

from ..flow_base import SolarCloudFlowBase


class FusionSolarFlowMixin(SolarCloudFlowBase):
    """The steps that add a Huawei FusionSolar account."""

    async def async_step_fusionsolar(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Start adding a Huawei FusionSolar account."""
        return self.async_abort(
            reason="vendor_not_available",
            description_placeholders={"vendor": "Huawei FusionSolar"},
        )
