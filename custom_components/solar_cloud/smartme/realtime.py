"""Realtime push: the entry's webhook, its public URL and the smart-me registration.

The URL is a cloudhook when Home Assistant Cloud is connected, else the
external URL. Without either, a repair issue says so and the entry keeps
polling. smart-me is asked to push there with generated Basic credentials
(``POST /RegisterForRealtimeApi``); if it refuses (the Realtime API needs a
Professional licence), a repair issue shows the URL and credentials to enter
in the smart-me portal instead.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp.hdrs import METH_POST
from homeassistant.components import webhook
from homeassistant.const import CONF_WEBHOOK_ID, EVENT_CORE_CONFIG_UPDATE
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.network import NoURLAvailableError

from ..api import SolarCloudApiError
from ..api.smartme import RealtimeRegistration, RegistrationType, SmartMeClient
from ..const import DOMAIN, LOGGER
from ..issues import async_create_issue, async_delete_issue
from ..runtime import SolarCloudConfigEntry
from .calibration import SmartMePushCalibration
from .cloudhook import (
    async_create_cloudhook,
    async_delete_cloudhook,
    async_listen_connected,
    cloud_subscribed,
)
from .connection import async_create_client
from .const import (
    CONF_CLOUDHOOK_URL,
    CONF_REALTIME_URL,
    CONF_WEBHOOK_PASSWORD,
    CONF_WEBHOOK_USERNAME,
    REALTIME_RETRY,
    WEBHOOK_NAME,
)
from .coordinator import SmartMeAccountCoordinator
from .webhook import SmartMeRealtimeWebhook

ISSUE_NO_URL = "smartme_realtime_no_url"
ISSUE_MANUAL = "smartme_realtime_manual"


class SmartMeCloudNotConnectedError(Exception):
    """Home Assistant Cloud is subscribed but not connected yet."""


async def async_webhook_url(
    hass: HomeAssistant, entry: SolarCloudConfigEntry
) -> str | None:
    """Return the URL smart-me can reach the entry's webhook at, if any.

    Raises:
        SmartMeCloudNotConnectedError: Cloud will give the URL once it is connected.

    """
    webhook_id = entry.data[CONF_WEBHOOK_ID]
    if cloud_subscribed(hass):
        if (url := entry.data.get(CONF_CLOUDHOOK_URL)) is None:
            if (url := await async_create_cloudhook(hass, webhook_id)) is None:
                raise SmartMeCloudNotConnectedError
            hass.config_entries.async_update_entry(
                entry, data={**entry.data, CONF_CLOUDHOOK_URL: url}
            )
        return str(url)
    try:
        return webhook.async_generate_url(
            hass, webhook_id, allow_internal=False, prefer_external=True
        )
    except NoURLAvailableError:
        return None


class SmartMeRealtime:
    """The realtime push of one entry, from webhook to registration."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SolarCloudConfigEntry,
        client: SmartMeClient,
        account: SmartMeAccountCoordinator,
    ) -> None:
        """Prepare the webhook of ``entry``."""
        self.hass = hass
        self.entry = entry
        self.client = client
        self.webhook = SmartMeRealtimeWebhook(
            account,
            username=entry.data[CONF_WEBHOOK_USERNAME],
            password=entry.data[CONF_WEBHOOK_PASSWORD],
        )
        self.url: str | None = None
        self.state = "starting"
        self._unsubscribe: list[CALLBACK_TYPE] = []

    @property
    def webhook_id(self) -> str:
        """Return the id of the entry's webhook."""
        return str(self.entry.data[CONF_WEBHOOK_ID])

    @callback
    def async_start(self) -> None:
        """Receive pushes, and register the URL at smart-me in the background."""
        webhook.async_register(
            self.hass,
            DOMAIN,
            f"{WEBHOOK_NAME} {self.entry.title}",
            self.webhook_id,
            self.webhook.async_handle,
            local_only=False,
            allowed_methods=[METH_POST],
        )
        if cloud_subscribed(self.hass):
            self._unsubscribe.append(
                async_listen_connected(self.hass, self.async_register)
            )
        # A user who sets the external URL (as the repair asks) needs no reload.
        self._unsubscribe.append(
            self.hass.bus.async_listen(
                EVENT_CORE_CONFIG_UPDATE, self._async_config_updated
            )
        )
        self._schedule_registration()

    @callback
    def _async_config_updated(self, _event: Event[Any]) -> None:
        # Registering is idempotent: smart-me is asked again only if the URL moved.
        self._schedule_registration()

    @callback
    def async_stop(self) -> None:
        """Stop receiving pushes (the registration at smart-me stays)."""
        webhook.async_unregister(self.hass, self.webhook_id)
        while self._unsubscribe:
            self._unsubscribe.pop()()

    @callback
    def _schedule_registration(self, _: datetime | None = None) -> None:
        self.entry.async_create_background_task(
            self.hass, self.async_register(), f"{WEBHOOK_NAME} registration"
        )

    async def async_register(self) -> None:
        """Make sure smart-me pushes to the current URL of the webhook."""
        try:
            url = await async_webhook_url(self.hass, self.entry)
        except SmartMeCloudNotConnectedError:
            self.state = "waiting_for_cloud"
            LOGGER.debug("Home Assistant Cloud not connected yet; registering later")
            return
        if url is None:
            self.state = "no_url"
            async_create_issue(self.hass, self.entry, ISSUE_NO_URL, is_fixable=True)
            return
        async_delete_issue(self.hass, self.entry, ISSUE_NO_URL)
        self.url = url
        registration = RealtimeRegistration(
            id=None,
            api_url=url,
            registration_type=RegistrationType.USER,
            username=self.entry.data[CONF_WEBHOOK_USERNAME],
            password=self.entry.data[CONF_WEBHOOK_PASSWORD],
        )
        try:
            await self._async_replace_registration(registration)
        except SolarCloudApiError as err:
            if err.reason == "smartme_realtime_refused":
                self.state = "refused"
                async_create_issue(
                    self.hass,
                    self.entry,
                    ISSUE_MANUAL,
                    placeholders={
                        "url": url,
                        "username": registration.username or "",
                        "password": registration.password or "",
                        "error": str(err),
                    },
                )
                return
            self.state = "retrying"
            LOGGER.warning(
                "Could not register for smart-me realtime pushes, retrying in %s: %s",
                REALTIME_RETRY,
                err,
            )
            self._unsubscribe.append(
                async_call_later(self.hass, REALTIME_RETRY, self._schedule_registration)
            )
            return
        self.state = "registered"
        async_delete_issue(self.hass, self.entry, ISSUE_MANUAL)
        if self.entry.data.get(CONF_REALTIME_URL) != url:
            self.hass.config_entries.async_update_entry(
                self.entry, data={**self.entry.data, CONF_REALTIME_URL: url}
            )

    async def _async_replace_registration(self, wanted: RealtimeRegistration) -> None:
        """Register ``wanted`` unless it is; drop this entry's older URLs."""
        found = False
        for registration in await self.client.realtime_registrations():
            if not _is_ours(registration, self.entry):
                continue
            if (
                registration.api_url == wanted.api_url
                and registration.username == wanted.username
                and registration.password == wanted.password
                and not found
            ):
                found = True
            elif registration.id is not None:
                await self.client.unregister_realtime(registration.id)
        if not found:
            await self.client.register_realtime(wanted)

    def diagnostics(self) -> dict[str, Any]:
        """Return the state of the push and what the webhook received."""
        stats = self.webhook.stats
        return {
            "state": self.state,
            "url": self.url,
            "received": stats.received,
            "applied": stats.applied,
            "not_newer": stats.not_newer,
            "bad_payload": stats.bad_payload,
            "unauthorized": stats.unauthorized,
            "too_large": stats.too_large,
            "unknown_devices": dict(stats.unknown_devices),
        }


def _is_ours(registration: RealtimeRegistration, entry: SolarCloudConfigEntry) -> bool:
    """Return whether a registration points at this entry's webhook."""
    return registration.api_url == entry.data.get(CONF_REALTIME_URL) or (
        entry.data[CONF_WEBHOOK_ID] in registration.api_url
    )


async def async_unregister(
    hass: HomeAssistant, entry: SolarCloudConfigEntry, client: SmartMeClient
) -> None:
    """Remove the entry's registrations at smart-me and its cloudhook.

    Best effort: the entry is going away or stops pushing either way.
    """
    try:
        for registration in await client.realtime_registrations():
            if _is_ours(registration, entry) and registration.id is not None:
                await client.unregister_realtime(registration.id)
    except SolarCloudApiError as err:
        LOGGER.warning("Could not remove the smart-me realtime registration: %s", err)
    if CONF_CLOUDHOOK_URL in entry.data:
        await async_delete_cloudhook(hass, entry.data[CONF_WEBHOOK_ID])


async def async_stop_pushes(
    hass: HomeAssistant, entry: SolarCloudConfigEntry, client: SmartMeClient
) -> None:
    """Unregister at smart-me after the user switched realtime off."""
    await async_unregister(hass, entry, client)
    hass.config_entries.async_update_entry(
        entry, data={k: v for k, v in entry.data.items() if k != CONF_REALTIME_URL}
    )


async def async_remove_push_data(
    hass: HomeAssistant, entry: SolarCloudConfigEntry
) -> None:
    """Remove the stored units, realtime registration and cloudhook of an entry."""
    await SmartMePushCalibration(hass, entry.entry_id).async_remove()
    if CONF_REALTIME_URL not in entry.data:
        return
    try:
        client = await async_create_client(hass, entry)
    except ConfigEntryNotReady:
        return
    await async_unregister(hass, entry, client)
