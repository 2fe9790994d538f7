"""Actions of the integration, registered once for all entries.

Each action names its target by ``config_entry_id``, by ``device_id`` (a plant
or device of this integration) or both, and is carried out by the runtime data
of the target's entry, which knows its vendor.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from homeassistant.const import ATTR_CONFIG_ENTRY_ID, ATTR_DEVICE_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.service import async_get_config_entry
import probatio

from .actions import ActionTarget, FeedInLimitMode, FeedInLimitRequest, FeedInLimitScope
from .const import CONF_VENDOR, DOMAIN
from .runtime import SolarCloudConfigEntry

SERVICE_SET_FEED_IN_LIMIT = "set_feed_in_limit"

ATTR_MODE = "mode"
ATTR_POWER_LIMIT = "power_limit"
ATTR_PERCENT_LIMIT = "percent_limit"
ATTR_SCOPE = "scope"
ATTR_DURATION = "duration"

TARGET_FIELDS: dict[probatio.Marker, Any] = {
    probatio.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
    probatio.Optional(ATTR_DEVICE_ID): cv.string,
}

SET_FEED_IN_LIMIT_SCHEMA = probatio.Schema(
    {
        **TARGET_FIELDS,
        probatio.Required(ATTR_MODE): probatio.Coerce(FeedInLimitMode),
        probatio.Exclusive(ATTR_POWER_LIMIT, "limit"): probatio.All(
            probatio.Coerce(float), probatio.Range(min=-1000, max=1000)
        ),
        probatio.Exclusive(ATTR_PERCENT_LIMIT, "limit"): probatio.All(
            probatio.Coerce(float), probatio.Range(min=0, max=100)
        ),
        probatio.Optional(ATTR_SCOPE, default=FeedInLimitScope.TOTAL): probatio.Coerce(
            FeedInLimitScope
        ),
        probatio.Optional(ATTR_DURATION): cv.positive_time_period,
    }
)


def _device_key(
    device: dr.DeviceEntry | dr.ChildDeviceEntry, entry: SolarCloudConfigEntry
) -> str:
    prefix = f"{entry.data[CONF_VENDOR]}_"
    for domain, identifier in device.identifiers:
        if domain == DOMAIN and identifier.startswith(prefix):
            return identifier.removeprefix(prefix)
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="invalid_device",
        translation_placeholders={"device": device.name or device.id},
    )


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
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="no_target"
            )
        return ActionTarget(
            entry=async_get_config_entry(hass, DOMAIN, entry_id), device_key=None
        )

    if (device := dr.async_get(hass).async_get(device_id)) is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_device",
            translation_placeholders={"device": device_id},
        )
    owner = hass.config_entries.async_get_entry(device.config_entry_id)
    if (
        owner is None
        or owner.domain != DOMAIN
        or entry_id not in (None, owner.entry_id)
    ):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_device",
            translation_placeholders={"device": device.name or device_id},
        )
    entry: SolarCloudConfigEntry = async_get_config_entry(hass, DOMAIN, owner.entry_id)
    return ActionTarget(entry=entry, device_key=_device_key(device, entry))


def _feed_in_limit_request(data: dict[str, Any]) -> FeedInLimitRequest:
    request = FeedInLimitRequest(
        mode=data[ATTR_MODE],
        power_limit=data.get(ATTR_POWER_LIMIT),
        percent_limit=data.get(ATTR_PERCENT_LIMIT),
        scope=data[ATTR_SCOPE],
        duration=data.get(ATTR_DURATION),
    )
    if request.mode is FeedInLimitMode.LIMITED and (
        request.power_limit is None and request.percent_limit is None
    ):
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="feed_in_limit_missing"
        )
    return request


async def _async_set_feed_in_limit(call: ServiceCall) -> ServiceResponse:
    target = async_resolve_target(call.hass, call)
    request = _feed_in_limit_request(call.data)
    return await target.entry.runtime_data.async_set_feed_in_limit(target, request)


SERVICES: dict[
    str,
    tuple[
        probatio.Schema, Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]]
    ],
] = {
    SERVICE_SET_FEED_IN_LIMIT: (SET_FEED_IN_LIMIT_SCHEMA, _async_set_feed_in_limit),
}


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions."""
    for name, (schema, handler) in SERVICES.items():
        hass.services.async_register(
            DOMAIN,
            name,
            handler,
            schema=schema,
            supports_response=SupportsResponse.OPTIONAL,
        )
