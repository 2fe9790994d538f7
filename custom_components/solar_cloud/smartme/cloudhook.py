"""Home Assistant Cloud, when it is set up: cloudhooks for the realtime webhook.

``homeassistant.components.cloud`` is imported only once the cloud
integration is loaded: importing it pulls in integrations (Alexa, Google
Assistant, camera) whose requirements are installed only with cloud.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback

CLOUD = "cloud"


@callback
def cloud_subscribed(hass: HomeAssistant) -> bool:
    """Return whether Home Assistant Cloud is set up with an active subscription."""
    if CLOUD not in hass.config.components:
        return False
    from homeassistant.components import cloud  # noqa: PLC0415

    return cloud.async_active_subscription(hass)


async def async_create_cloudhook(hass: HomeAssistant, webhook_id: str) -> str | None:
    """Return a new cloudhook URL for the webhook, None while not connected."""
    from homeassistant.components import cloud  # noqa: PLC0415

    try:
        return await cloud.async_create_cloudhook(hass, webhook_id)
    except cloud.CloudNotAvailable:
        return None


async def async_delete_cloudhook(hass: HomeAssistant, webhook_id: str) -> None:
    """Delete the webhook's cloudhook, if cloud is there to ask."""
    if CLOUD not in hass.config.components:
        return
    from homeassistant.components import cloud  # noqa: PLC0415

    try:
        await cloud.async_delete_cloudhook(hass, webhook_id)
    except cloud.CloudNotAvailable:
        return


@callback
def async_listen_connected(
    hass: HomeAssistant, on_connected: Callable[[], Awaitable[None]]
) -> CALLBACK_TYPE:
    """Call ``on_connected`` whenever Home Assistant Cloud connects."""
    from homeassistant.components import cloud  # noqa: PLC0415

    async def _changed(state: cloud.CloudConnectionState) -> None:
        if state is cloud.CloudConnectionState.CLOUD_CONNECTED:
            await on_connected()

    return cloud.async_listen_connection_change(hass, _changed)
