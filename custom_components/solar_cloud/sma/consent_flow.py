"""The custom flow's sign-in and the wait for the plant owner's consent.

The integration's own client credentials sign in; SMA e-mails the plant
owner a consent request, and the flow waits a few minutes for the owner to
accept (a progress step). Still pending then, the entry is created anyway and
keeps waiting in the background.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime
from typing import Any, override

from homeassistant.config_entries import ConfigFlowResult
from homeassistant.const import CONF_CLIENT_ID
from homeassistant.core import callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util

from ..api import SolarCloudApiError
from ..api.sma import ConsentState, SmaClient, SmaClientCredentials
from ..const import LOGGER, Vendor
from ..flow_base import FlowErrors, SolarCloudFlowBase
from . import const
from .connection import client_credentials, endpoints_of
from .const import CONF_LOGIN_HINT

FLOW_ERRORS = FlowErrors(
    reasons={
        reason: reason
        for reason in (
            "sma_invalid_client",
            "sma_unsupported_content_type",
            "sma_missing_grant_type",
            "sma_grant_refused",
            "sma_not_plant_owner",
        )
    },
    reason_fields={"sma_not_plant_owner": CONF_LOGIN_HINT},
    rate_limited="sma_rate_limited",
)


def custom_unique_id(data: Mapping[str, Any]) -> str:
    """Return a custom-flow account's unique id: client id and owner."""
    return f"{data[CONF_CLIENT_ID]}_{data[CONF_LOGIN_HINT].strip().lower()}"


class SmaConsentFlowMixin(SolarCloudFlowBase):
    """Sign in with client credentials, ask the owner, wait for the consent."""

    _sma_data: dict[str, Any]
    _sma_client: SmaClient
    _sma_consent_task: asyncio.Task[ConsentState] | None = None
    _sma_consent_answer: asyncio.Future[ConsentState]
    _sma_consent: ConsentState = ConsentState.PENDING
    _sma_tokens: SmaClientCredentials | None = None

    async def _async_ask_owner(
        self, data: dict[str, Any], *, only_if_needed: bool = False
    ) -> dict[str, str]:
        """Sign in with the client credentials and send the consent request.

        With ``only_if_needed``, an owner who already consented is not asked
        again. Returns the form's errors.
        """
        endpoints = endpoints_of(data)
        tokens = client_credentials(self.hass, endpoints, data)
        client = SmaClient(async_get_clientsession(self.hass), endpoints, tokens)
        owner = data[CONF_LOGIN_HINT]
        try:
            status = None
            if only_if_needed:
                status = await client.consent_status(owner)
            if status is None or status.state is not ConsentState.ACCEPTED:
                status = await client.request_consent(owner)
        except SolarCloudApiError as err:
            LOGGER.debug("SMA custom flow sign-in failed: %s", err)
            await _async_log_out(tokens)
            field, key = FLOW_ERRORS.of(err)
            return {field: key}
        self._sma_data = data
        self._sma_client = client
        self._sma_tokens = tokens
        self._sma_consent = status.state
        return {}

    @callback
    @override
    def async_remove(self) -> None:
        """End the flow's own SMA session (the entry signs in by itself)."""
        super().async_remove()
        if self._sma_tokens is not None:
            self.hass.async_create_task(
                _async_log_out(self._sma_tokens), "SMA flow logout"
            )

    async def _async_after_request(self) -> ConfigFlowResult:
        """Finish if the owner already consented, else wait for the owner."""
        if self._sma_consent is ConsentState.ACCEPTED:
            return await self._async_finish_custom()
        return await self.async_step_sma_consent()

    async def async_step_sma_consent(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Wait for the owner to accept in SMA's portal."""
        if self._sma_consent_task is None:
            self._sma_consent_answer = self.hass.loop.create_future()
            self._sma_consent_task = self.hass.async_create_background_task(
                self._async_wait_for_consent(self._sma_consent_answer),
                "SMA consent in config flow",
            )
        if not self._sma_consent_answer.done():
            return self.async_show_progress(
                step_id="sma_consent",
                progress_action="sma_consent",
                description_placeholders={"owner": self._sma_data[CONF_LOGIN_HINT]},
                progress_task=self._sma_consent_task,
            )
        self._sma_consent = self._sma_consent_answer.result()
        self._sma_consent_task = None
        if self._sma_consent is ConsentState.ACCEPTED:
            return self.async_show_progress_done(next_step_id="sma_consent_accepted")
        if self._sma_consent is ConsentState.PENDING:
            return self.async_show_progress_done(next_step_id="sma_consent_pending")
        return self.async_show_progress_done(next_step_id="sma_consent_refused")

    async def _async_wait_for_consent(
        self, answer: asyncio.Future[ConsentState]
    ) -> ConsentState:
        """Ask for the consent's state until it is decided or time is up.

        Each question is a short job on Home Assistant's clock; between them
        nothing runs, so the wait is cheap and tests move it with the clock.
        """
        owner = self._sma_data[CONF_LOGIN_HINT]
        deadline = dt_util.utcnow() + const.CONSENT_FLOW_WAIT

        async def ask(now: datetime) -> None:
            try:
                state = (await self._sma_client.consent_status(owner)).state
            except SolarCloudApiError as err:
                # A moment's trouble is no answer: keep waiting.
                LOGGER.debug("SMA consent state unknown: %s", err)
                state = ConsentState.PENDING
            if (state is not ConsentState.PENDING or now >= deadline) and not (
                answer.done()
            ):
                answer.set_result(state)

        @callback
        def ask_now(now: datetime) -> None:
            self.hass.async_create_task(ask(now), "SMA consent state")

        stop = async_track_time_interval(self.hass, ask_now, const.CONSENT_FLOW_POLL)
        try:
            return await answer
        finally:
            stop()

    async def async_step_sma_consent_accepted(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The owner accepted: add (or update) the account."""
        return await self._async_finish_custom()

    async def async_step_sma_consent_pending(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """No answer yet: add the account, which keeps waiting for the owner."""
        return await self._async_finish_custom()

    async def async_step_sma_consent_refused(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The owner said no (or let the request expire)."""
        placeholders = {"owner": self._sma_data[CONF_LOGIN_HINT]}
        if self._sma_consent is ConsentState.REJECTED:
            return self.async_abort(
                reason="sma_consent_rejected", description_placeholders=placeholders
            )
        return self.async_abort(
            reason="sma_consent_expired", description_placeholders=placeholders
        )

    async def _async_finish_custom(self) -> ConfigFlowResult:
        data = self._sma_data
        if self.updated_entry() is not None:
            return await self.async_update_vendor_entry(
                unique_id=custom_unique_id(data), data_updates=data
            )
        return await self.async_create_vendor_entry(
            Vendor.SMA,
            unique_id=custom_unique_id(data),
            title=data[CONF_LOGIN_HINT],
            data=data,
        )


async def _async_log_out(tokens: SmaClientCredentials) -> None:
    """End a session SMA opened for the flow; failing that is no problem."""
    try:
        await tokens.async_logout()
    except SolarCloudApiError as err:
        LOGGER.debug("SMA logout after the flow failed: %s", err)
