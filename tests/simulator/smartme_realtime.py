"""The smart-me simulator's Realtime API: registrations and the pusher.

The cloud keeps registrations (``RegisterForRealtimeApi``), and
:meth:`SmartMeRealtimeApi.push` POSTs protobuf ``DeviceDataArray`` messages
to the registered URLs, as smart-me does whenever a device uploads.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
import contextlib
from datetime import timedelta
from typing import Any
import uuid

import aiohttp
from aiohttp import web

from custom_components.solar_cloud.api.smartme.obis import (
    ENERGY_EXPORT,
    ENERGY_IMPORT,
    FREQUENCY,
    POWER_EXPORT,
    POWER_IMPORT,
    VOLTAGE_L,
)
from custom_components.solar_cloud.api.smartme.realtime import (
    RealtimeDeviceData,
    encode_realtime,
)

from .smartme_model import SimDevice
from .smartme_rest import Route, SmartMeRestApi

# Pushed energy per kWh and power per W, by the unit the device pushes in.
PUSH_UNITS = {"kWh": (1.0, 0.001), "Wh": (1000.0, 1.0), "mWh": (1e6, 1000.0)}


class SmartMeRealtimeApi(SmartMeRestApi):
    """Realtime API registrations, and pushes to them."""

    def __init__(self, *, auto_push: timedelta | None = None, **kwargs: Any) -> None:
        """Push on ``auto_push`` if given (the demo); tests push explicitly."""
        super().__init__(**kwargs)
        self.auto_push = auto_push
        self.registrations: dict[str, dict[str, Any]] = {}
        self.push_responses: list[int] = []
        self._session: aiohttp.ClientSession | None = None

    def routes(self) -> list[Route]:
        """Add the Realtime API registration resources."""
        return [
            *super().routes(),
            ("GET", "/RegisterForRealtimeApi", self.get_registrations, "registrations"),
            ("POST", "/RegisterForRealtimeApi", self.post_registration, "register"),
            (
                "DELETE",
                "/RegisterForRealtimeApi/{id}",
                self.delete_registration,
                "unregister",
            ),
        ]

    def build_app(self) -> web.Application:
        """Return the app; its pusher session closes with it."""
        app = super().build_app()
        app.on_cleanup.append(self._close_session)
        if self.auto_push is not None:
            app.cleanup_ctx.append(self._auto_push)
        return app

    async def _auto_push(self, app: web.Application) -> AsyncIterator[None]:
        interval = self.auto_push
        assert interval is not None

        async def loop() -> None:
            while True:
                await asyncio.sleep(interval.total_seconds())
                with contextlib.suppress(aiohttp.ClientError, OSError):
                    await self.push()

        task = asyncio.create_task(loop())
        yield
        task.cancel()

    def realtime_data(self, device: SimDevice) -> RealtimeDeviceData:
        """Return what the device uploads now, in its push unit."""
        energy_per_kwh, power_per_w = PUSH_UNITS[device.push_unit]
        values: dict[str, float] = {}
        imported, exported = self.counters(device)
        if imported is not None:
            values[ENERGY_IMPORT] = imported * energy_per_kwh
        if exported is not None:
            values[ENERGY_EXPORT] = exported * energy_per_kwh
        power_w = self.power_kw(device) * 1000
        values[POWER_IMPORT] = max(power_w, 0.0) * power_per_w
        values[POWER_EXPORT] = max(-power_w, 0.0) * power_per_w
        for phase, code in enumerate(VOLTAGE_L, start=1):
            if (voltage := device.raw.get(f"VoltageL{phase}")) is not None:
                values[code] = float(voltage)
        values[FREQUENCY] = 50.0
        return RealtimeDeviceData(
            device_id=device.id, timestamp=self.clock.now(), values=values
        )

    # Routes --------------------------------------------------------------------

    async def get_registrations(self, request: web.Request) -> web.Response:
        """Return the Realtime API registrations."""
        self._check(request)
        return web.json_response(list(self.registrations.values()))

    async def post_registration(self, request: web.Request) -> web.Response:
        """Register a webhook: needs the Professional licence."""
        self._check(request)
        if not self.account.realtime_licence:
            return web.json_response(
                {"Message": "The Realtime API needs a professional licence."},
                status=403,
            )
        body = {key.lower(): value for key, value in (await request.json()).items()}
        if not body.get("apiurl") or body.get("registrationtype") not in (
            "UserRegistration",
            2,
        ):
            return web.json_response({"Message": "Invalid registration"}, status=400)
        registration_id = str(uuid.uuid4())
        self.registrations[registration_id] = {
            "Id": registration_id,
            "RegistrationType": "UserRegistration",
            "ApiUrl": body["apiurl"],
            "BasicAuthUsername": body.get("basicauthusername"),
            "BasicAuthPassword": body.get("basicauthpassword"),
        }
        return web.Response(status=204)

    async def delete_registration(self, request: web.Request) -> web.Response:
        """Delete a registration."""
        self._check(request)
        if self.registrations.pop(request.match_info["id"], None) is None:
            return web.json_response({"Message": "Not found"}, status=404)
        return web.Response(status=204)

    # The pusher ------------------------------------------------------------------

    async def _close_session(self, app: web.Application) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def encode_push(self, device_ids: list[str] | None = None) -> bytes:
        """Return the DeviceDataArray the devices would upload now."""
        devices = [
            self.devices[device_id]
            for device_id in (device_ids or list(self.devices))
            if self.devices[device_id].pushes_realtime
        ]
        return encode_realtime(self.realtime_data(device) for device in devices)

    async def push(
        self, device_ids: list[str] | None = None, *, payload: bytes | None = None
    ) -> list[int]:
        """POST the devices' uploads (or ``payload``) to every registration.

        Each device is pushed in its own message, as smart-me sends one per
        upload. Returns the HTTP statuses the receivers answered.
        """
        if self._session is None:
            self._session = aiohttp.ClientSession()
        ids = device_ids or [
            device.id for device in self.devices.values() if device.pushes_realtime
        ]
        bodies = (
            [payload] if payload is not None else [self.encode_push([i]) for i in ids]
        )
        statuses = []
        for registration in list(self.registrations.values()):
            headers = {"Content-Type": "application/octet-stream"}
            if registration.get("BasicAuthUsername"):
                credentials = "{}:{}".format(
                    registration["BasicAuthUsername"],
                    registration.get("BasicAuthPassword") or "",
                )
                headers["Authorization"] = (
                    f"Basic {base64.b64encode(credentials.encode()).decode()}"
                )
            for body in bodies:
                async with self._session.post(
                    registration["ApiUrl"], data=body, headers=headers
                ) as response:
                    statuses.append(response.status)
        self.push_responses.extend(statuses)
        return statuses
