"""Actions (service calls): what every action shares, and how a vendor offers one.

An action is registered once for all entries (``services.py``). A call names
its target by ``config_entry_id``, by ``device_id`` (a plant or device of this
integration) or both; the target's vendor carries it out if it lists the
action in ``VendorIntegration.actions`` and refuses it by name otherwise.

An :class:`ActionSpec` is what Home Assistant sees of an action: its name, its
schema, and the request it turns a call into. Actions more than one vendor can
serve (``set_feed_in_limit``) have their spec here; an action only one vendor
serves has it in that vendor's ``actions.py``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from homeassistant.const import ATTR_CONFIG_ENTRY_ID, ATTR_DEVICE_ID
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.service import async_get_config_entry
import probatio

from .const import CONF_VENDOR, DOMAIN
from .runtime import SolarCloudConfigEntry, SolarCloudData

TARGET_FIELDS: dict[probatio.Marker, Any] = {
    probatio.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
    probatio.Optional(ATTR_DEVICE_ID): cv.string,
}
"""The fields every action's schema starts with."""

ATTR_WAIT = "wait"
WAIT_FIELD: dict[probatio.Marker, Any] = {
    probatio.Optional(ATTR_WAIT, default=False): cv.boolean,
}
"""A control action's choice: return once accepted (default) or once done."""


@dataclass(frozen=True, kw_only=True)
class ActionTarget:
    """The account, and the plant or device in it, an action is for."""

    entry: SolarCloudConfigEntry
    device_key: str | None
    """The vendor key of the device the user picked; None if only the entry."""


@dataclass(frozen=True, kw_only=True)
class ActionSpec[RequestT]:
    """An action as Home Assistant registers it: name, schema and request."""

    name: str
    schema: probatio.Schema
    request: Callable[[Mapping[str, Any]], RequestT]
    """Turn the validated call data into the request; raise what is invalid."""

    def handled_by[DataT: SolarCloudData](
        self,
        handler: Callable[[DataT, ActionTarget, RequestT], Awaitable[ServiceResponse]],
    ) -> Action[DataT, RequestT]:
        """Return the action as a vendor carries it out."""
        return Action(spec=self, handler=handler)


@dataclass(frozen=True, kw_only=True)
class Action[DataT: SolarCloudData, RequestT]:
    """An action a vendor carries out with its runtime data."""

    spec: ActionSpec[RequestT]
    handler: Callable[[DataT, ActionTarget, RequestT], Awaitable[ServiceResponse]]


def invalid(key: str, **placeholders: str) -> ServiceValidationError:
    """Return the translated error for an action the user asked wrongly."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders or None,
    )


def action_not_supported(target: ActionTarget, action: str) -> ServiceValidationError:
    """Return the error for an action the target's vendor does not offer."""
    return invalid("action_not_supported", action=action, entry=target.entry.title)


def _device_key(
    device: dr.DeviceEntry | dr.ChildDeviceEntry, entry: SolarCloudConfigEntry
) -> str:
    prefix = f"{entry.data[CONF_VENDOR]}_"
    for domain, identifier in device.identifiers:
        if domain == DOMAIN and identifier.startswith(prefix):
            return identifier.removeprefix(prefix)
    raise invalid("invalid_device", device=device.name or device.id)


@callback
def async_resolve_target(hass: HomeAssistant, call: ServiceCall) -> ActionTarget:
    """Return the entry and device an action call is for.

    Raises:
        ServiceValidationError: No target, an unknown or foreign device, an
            entry that is not loaded, or a device outside the given entry.

    """
    entry_id: str | None = call.data.get(ATTR_CONFIG_ENTRY_ID)
    device_id: str | None = call.data.get(ATTR_DEVICE_ID)
    if device_id is None:
        if entry_id is None:
            raise invalid("no_target")
        return ActionTarget(
            entry=async_get_config_entry(hass, DOMAIN, entry_id), device_key=None
        )

    if (device := dr.async_get(hass).async_get(device_id)) is None:
        raise invalid("invalid_device", device=device_id)
    owner = hass.config_entries.async_get_entry(device.config_entry_id)
    if (
        owner is None
        or owner.domain != DOMAIN
        or entry_id not in (None, owner.entry_id)
    ):
        raise invalid("invalid_device", device=device.name or device_id)
    entry: SolarCloudConfigEntry = async_get_config_entry(hass, DOMAIN, owner.entry_id)
    return ActionTarget(entry=entry, device_key=_device_key(device, entry))


# set_feed_in_limit: SMA and FusionSolar ---------------------------------------


class FeedInLimitMode(StrEnum):
    """Whether the grid feed-in is limited (option keys: never rename)."""

    NO_LIMIT = "no_limit"
    LIMITED = "limited"


class FeedInLimitScope(StrEnum):
    """What the limit applies to (option keys: never rename)."""

    TOTAL = "total"
    SINGLE_PHASE = "single_phase"


@dataclass(frozen=True, kw_only=True)
class FeedInLimitRequest:
    """A feed-in limit, as the ``set_feed_in_limit`` action takes it.

    ``power_limit`` (kW) and ``percent_limit`` (% of the plant's nominal power)
    are alternatives; a vendor that supports only one refuses the other.
    """

    mode: FeedInLimitMode
    power_limit: float | None = None
    percent_limit: float | None = None
    scope: FeedInLimitScope = FeedInLimitScope.TOTAL
    duration: timedelta | None = None
    wait: bool = False
    """Return the vendor's final outcome rather than once it accepted."""


ATTR_MODE = "mode"
ATTR_POWER_LIMIT = "power_limit"
ATTR_PERCENT_LIMIT = "percent_limit"
ATTR_SCOPE = "scope"
ATTR_DURATION = "duration"


def _feed_in_limit_request(data: Mapping[str, Any]) -> FeedInLimitRequest:
    request = FeedInLimitRequest(
        mode=data[ATTR_MODE],
        power_limit=data.get(ATTR_POWER_LIMIT),
        percent_limit=data.get(ATTR_PERCENT_LIMIT),
        scope=data[ATTR_SCOPE],
        duration=data.get(ATTR_DURATION),
        wait=data.get(ATTR_WAIT, False),
    )
    if request.mode is FeedInLimitMode.LIMITED and (
        request.power_limit is None and request.percent_limit is None
    ):
        raise invalid("feed_in_limit_missing")
    return request


SET_FEED_IN_LIMIT = ActionSpec(
    name="set_feed_in_limit",
    schema=probatio.Schema(
        {
            **TARGET_FIELDS,
            probatio.Required(ATTR_MODE): probatio.Coerce(FeedInLimitMode),
            probatio.Exclusive(ATTR_POWER_LIMIT, "limit"): probatio.All(
                probatio.Coerce(float), probatio.Range(min=-1000, max=1000)
            ),
            probatio.Exclusive(ATTR_PERCENT_LIMIT, "limit"): probatio.All(
                probatio.Coerce(float), probatio.Range(min=0, max=100)
            ),
            probatio.Optional(
                ATTR_SCOPE, default=FeedInLimitScope.TOTAL
            ): probatio.Coerce(FeedInLimitScope),
            probatio.Optional(ATTR_DURATION): cv.positive_time_period,
            **WAIT_FIELD,
        }
    ),
    request=_feed_in_limit_request,
)
