"""Repair flows: the fixes a user can start from a repair issue.

``smartme_realtime_no_url``: the user set up Home Assistant Cloud or an
external URL as the issue asked, and confirms; the account registers its
webhook again at once (it also does when the URL changes on its own).
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.repairs import RepairsFlow, RepairsFlowResult
from homeassistant.core import HomeAssistant
import probatio

from .smartme.data import SmartMeData
from .smartme.realtime import ISSUE_NO_URL


class SmartMeRealtimeUrlFlow(RepairsFlow):
    """Check again whether smart-me can reach Home Assistant, and register."""

    def __init__(self, entry_id: str | None) -> None:
        """Fix the issue of the entry ``entry_id``."""
        self._entry_id = entry_id

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Ask the user to confirm that the URL is set up, then check it."""
        errors: dict[str, str] = {}
        if user_input is not None:
            entry = self.hass.config_entries.async_get_entry(self._entry_id or "")
            data = getattr(entry, "runtime_data", None)
            if not isinstance(data, SmartMeData) or data.realtime is None:
                return self.async_abort(reason="smartme_not_loaded")
            await data.realtime.async_register()
            if data.realtime.state != "no_url":
                return self.async_create_entry(data={})
            errors["base"] = "smartme_still_no_url"
        return self.async_show_form(
            step_id="init", data_schema=probatio.Schema({}), errors=errors
        )


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, Any] | None
) -> RepairsFlow:
    """Return the flow that fixes ``issue_id``."""
    entry_id = str((data or {}).get("entry_id") or "")
    if issue_id.endswith(f"_{ISSUE_NO_URL}"):
        return SmartMeRealtimeUrlFlow(entry_id)
    raise ValueError(f"Issue {issue_id} has no fix flow")
