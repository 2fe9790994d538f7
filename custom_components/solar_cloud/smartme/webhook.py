"""The webhook smart-me's Realtime API pushes to.

The handler is thin: it checks the credentials smart-me was given, the size,
decodes the protobuf body and hands the device data to the device
coordinators. It answers every request itself and raises nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from http import HTTPStatus
import secrets
from typing import TYPE_CHECKING

from aiohttp import hdrs
from aiohttp.web import Request, Response
from homeassistant.core import HomeAssistant

from ..api.smartme import (
    RealtimeDeviceData,
    RealtimePayloadError,
    basic_auth_header,
    decode_realtime,
)
from ..const import LOGGER
from .const import MAX_PUSH_BYTES

if TYPE_CHECKING:
    from .coordinator import SmartMeAccountCoordinator


@dataclass(kw_only=True)
class SmartMePushStats:
    """What the webhook received, for diagnostics."""

    received: int = 0
    applied: int = 0
    not_newer: int = 0
    bad_payload: int = 0
    unauthorized: int = 0
    too_large: int = 0
    unknown_devices: Counter[str] = field(default_factory=Counter)


class SmartMeRealtimeWebhook:
    """Receives pushes for one account."""

    def __init__(
        self, account: SmartMeAccountCoordinator, *, username: str, password: str
    ) -> None:
        """Accept pushes that carry ``username`` and ``password``."""
        self.account = account
        self.stats = SmartMePushStats()
        self._expected = basic_auth_header(username, password).encode()
        self._refresh_requested: set[str] = set()

    def _authorized(self, request: Request) -> bool:
        header = request.headers.get(hdrs.AUTHORIZATION, "")
        try:
            given = header.encode("ascii")
        except UnicodeEncodeError:
            return False
        return secrets.compare_digest(given, self._expected)

    async def _read_body(self, request: Request) -> bytes | None:
        """Return the body, None if it is larger than a push can be."""
        try:
            declared = int(request.headers.get(hdrs.CONTENT_LENGTH, "0"))
        except ValueError:
            declared = 0
        if declared > MAX_PUSH_BYTES:
            return None
        # Cloudhooks hand over a MockRequest whose .content is new on each access.
        content = request.content
        chunks: list[bytes] = []
        size = 0
        while chunk := await content.read(MAX_PUSH_BYTES + 1 - size):
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_PUSH_BYTES:
                return None
        return b"".join(chunks)

    async def async_handle(
        self, hass: HomeAssistant, webhook_id: str, request: Request
    ) -> Response:
        """Answer one push: 401, 413, 400 or 200."""
        self.stats.received += 1
        if not self._authorized(request):
            self.stats.unauthorized += 1
            return Response(
                status=HTTPStatus.UNAUTHORIZED,
                headers={hdrs.WWW_AUTHENTICATE: 'Basic realm="smart-me realtime"'},
            )
        try:
            body = await self._read_body(request)
        except (OSError, ValueError) as err:  # the sender went away mid-body
            LOGGER.debug("Push body could not be read: %s", err)
            return Response(status=HTTPStatus.BAD_REQUEST)
        if body is None:
            self.stats.too_large += 1
            return Response(status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        try:
            pushes = decode_realtime(body)
        except RealtimePayloadError as err:
            self.stats.bad_payload += 1
            LOGGER.warning(
                "Ignoring a realtime push that is not smart-me data: %s", err
            )
            return Response(status=HTTPStatus.BAD_REQUEST)
        self.apply(pushes)
        return Response(status=HTTPStatus.OK)

    def apply(self, pushes: list[RealtimeDeviceData]) -> None:
        """Hand each device's data to its coordinator."""
        coordinators = self.account.device_coordinators
        for push in pushes:
            coordinator = coordinators.get(push.device_id)
            if coordinator is None:
                self._unknown_device(push.device_id)
            elif coordinator.async_apply_push(push):
                self.stats.applied += 1
            else:
                self.stats.not_newer += 1
        self.account.async_note_push()

    def _unknown_device(self, device_id: str) -> None:
        """Count it; a new device makes the device list worth reading once."""
        self.stats.unknown_devices[device_id] += 1
        if device_id in self._refresh_requested:
            return
        self._refresh_requested.add(device_id)
        LOGGER.debug("Push for unknown device %s: reading the device list", device_id)
        config_entry = self.account.config_entry
        config_entry.async_create_background_task(
            self.account.hass,
            self.account.async_request_refresh(),
            f"{self.account.name} new device",
        )
