"""Options of a smart-me account: realtime push, the poll interval, the history."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlowResult
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
)
import probatio

from ..flow_base import SolarCloudOptionsFlow
from ..history_source import CONF_HISTORY_DAYS, history_days_field
from .const import (
    CONF_REALTIME,
    CONF_SCAN_INTERVAL,
    DEFAULT_SCAN_INTERVAL,
    MAX_SCAN_INTERVAL,
    MIN_SCAN_INTERVAL,
)

SCAN_INTERVAL_SELECTOR = NumberSelector(
    NumberSelectorConfig(
        min=MIN_SCAN_INTERVAL,
        max=MAX_SCAN_INTERVAL,
        step=1,
        unit_of_measurement="s",
        mode=NumberSelectorMode.BOX,
    )
)


class SmartMeOptionsFlow(SolarCloudOptionsFlow):
    """Change how a smart-me account is kept up to date (reloads it)."""

    async def async_step_smartme_options(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for realtime on/off, the poll interval and the history to import."""
        if user_input is not None:
            return self.async_create_entry(
                data={
                    CONF_REALTIME: user_input[CONF_REALTIME],
                    CONF_SCAN_INTERVAL: int(user_input[CONF_SCAN_INTERVAL]),
                    CONF_HISTORY_DAYS: int(user_input[CONF_HISTORY_DAYS]),
                }
            )
        options = self.config_entry.options
        return self.async_show_form(
            step_id="smartme_options",
            data_schema=probatio.Schema(
                {
                    probatio.Required(
                        CONF_REALTIME, default=options.get(CONF_REALTIME, True)
                    ): BooleanSelector(),
                    probatio.Required(
                        CONF_SCAN_INTERVAL,
                        default=options.get(CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL),
                    ): SCAN_INTERVAL_SELECTOR,
                    **history_days_field(options),
                }
            ),
        )
