"""The integration's actions, registered once for all entries.

Every action a vendor lists in ``VendorIntegration.actions`` is registered
under its spec's name; a call goes to the vendor of the target's entry, which
refuses an action it does not list. ``import_history`` is served by the
history importer every vendor has.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util
import probatio

from .actions import (
    TARGET_FIELDS,
    ActionSpec,
    action_not_supported,
    async_resolve_target,
    invalid,
)
from .const import CONF_VENDOR, DOMAIN
from .history_source import MAX_HISTORY_DAYS
from .runtime import VendorIntegration
from .vendors import VENDORS

SERVICE_IMPORT_HISTORY = "import_history"
ATTR_START_DATE = "start_date"
ATTR_END_DATE = "end_date"

IMPORT_HISTORY_SCHEMA = probatio.Schema(
    {
        **TARGET_FIELDS,
        probatio.Required(ATTR_START_DATE): cv.date,
        probatio.Optional(ATTR_END_DATE): cv.date,
    }
)


def vendor_actions(
    integrations: Iterable[VendorIntegration],
) -> dict[str, ActionSpec[Any]]:
    """Return the spec of every action some vendor offers, by name.

    Raises:
        ValueError: Two vendors offer an action of one name with two specs.

    """
    specs: dict[str, ActionSpec[Any]] = {}
    for integration in integrations:
        for action in integration.actions:
            known = specs.setdefault(action.spec.name, action.spec)
            if known is not action.spec:
                raise ValueError(f"Two specs for the action {action.spec.name}")
    return specs


ACTIONS = vendor_actions(VENDORS.values())
"""Every vendor's actions, registered whatever vendors an installation uses."""


def _async_vendor_action(
    name: str,
) -> Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]]:
    async def async_handle(call: ServiceCall) -> ServiceResponse:
        target = async_resolve_target(call.hass, call)
        integration = VENDORS[target.entry.data[CONF_VENDOR]]
        action = next((a for a in integration.actions if a.spec.name == name), None)
        if action is None:
            raise action_not_supported(target, name)
        request = action.spec.request(call.data)
        return await action.handler(target.entry.runtime_data, target, request)

    return async_handle


async def _async_import_history(call: ServiceCall) -> ServiceResponse:
    target = async_resolve_target(call.hass, call)
    if (history := target.entry.runtime_data.history) is None:
        raise invalid("history_not_available", entry=target.entry.title)
    if history.paused:
        raise invalid("history_import_paused", entry=target.entry.title)
    today = dt_util.now().date()
    start: date = call.data[ATTR_START_DATE]
    end: date = call.data.get(ATTR_END_DATE, today)
    if not start <= end <= today:
        raise invalid(
            "history_range_invalid", start=str(start), end=str(end), today=str(today)
        )
    if (today - start).days > MAX_HISTORY_DAYS:
        raise invalid("history_range_too_long", days=str(MAX_HISTORY_DAYS))
    zone = dt_util.get_default_time_zone()
    requests = history.request(
        datetime.combine(start, time(), zone),
        datetime.combine(end + timedelta(days=1), time(), zone),
    )
    return {"start_date": str(start), "end_date": str(end), "requests": requests}


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions."""
    for name, spec in ACTIONS.items():
        hass.services.async_register(
            DOMAIN,
            name,
            _async_vendor_action(name),
            schema=spec.schema,
            supports_response=SupportsResponse.OPTIONAL,
        )
    hass.services.async_register(
        DOMAIN,
        SERVICE_IMPORT_HISTORY,
        _async_import_history,
        schema=IMPORT_HISTORY_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
