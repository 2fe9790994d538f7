"""Options of a FusionSolar account: which plants, controls, history to import."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlowResult
from homeassistant.helpers.selector import (
    BooleanSelector,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)
import probatio

from ..api.fusionsolar.const import SCOPE_CONTROL
from ..flow_base import SolarCloudOptionsFlow
from ..history_source import CONF_HISTORY_DAYS, history_days_field
from .const import CONF_ALL_PLANTS, CONF_CONTROLS, CONF_PLANTS
from .data import fusionsolar_data


class FusionSolarOptionsFlow(SolarCloudOptionsFlow):
    """Pick the plants, switch the controls, set the history to import (reloads)."""

    async def async_step_fusionsolar_options(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the plants of the account (the entry must be loaded to know them)."""
        if (not_loaded := self.abort_unless_loaded()) is not None:
            return not_loaded
        entry = self.config_entry
        data = fusionsolar_data(entry)
        plants = {plant.code: plant.name for plant in data.inventory.data.plants}
        errors: dict[str, str] = {}
        if user_input is not None:
            every_plant = user_input[CONF_ALL_PLANTS]
            selected = [code for code in user_input[CONF_PLANTS] if code in plants]
            token = entry.data.get("token")
            if not every_plant and not selected:
                errors[CONF_PLANTS] = "fusionsolar_no_plant_selected"
            elif (
                user_input[CONF_CONTROLS]
                and token is not None
                and SCOPE_CONTROL not in str(token.get("scope", "")).split()
            ):
                errors[CONF_CONTROLS] = "fusionsolar_control_scope_missing"
            else:
                options: dict[str, Any] = {
                    CONF_CONTROLS: user_input[CONF_CONTROLS],
                    CONF_HISTORY_DAYS: int(user_input[CONF_HISTORY_DAYS]),
                }
                # All plants: also those the account gains later.
                if not every_plant:
                    options[CONF_PLANTS] = selected
                return self.async_create_entry(data=options)
        current = entry.options.get(CONF_PLANTS)
        schema = probatio.Schema(
            {
                probatio.Required(
                    CONF_ALL_PLANTS, default=current is None
                ): BooleanSelector(),
                probatio.Required(
                    CONF_PLANTS, default=current or list(plants)
                ): SelectSelector(
                    SelectSelectorConfig(
                        options=[
                            SelectOptionDict(value=code, label=name)
                            for code, name in plants.items()
                        ],
                        multiple=True,
                        mode=SelectSelectorMode.LIST,
                    )
                ),
                probatio.Required(
                    CONF_CONTROLS, default=entry.options.get(CONF_CONTROLS, True)
                ): BooleanSelector(),
                **history_days_field(entry.options),
            }
        )
        return self.async_show_form(
            step_id="fusionsolar_options", data_schema=schema, errors=errors
        )
