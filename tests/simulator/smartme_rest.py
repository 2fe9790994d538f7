"""The smart-me simulator's REST API: sign-in, devices, actions, meter values.

Requests sign in with Basic auth, an API key or an OAuth2 bearer token (the
OAuth2 server is :class:`~.oauth.OAuthServer`, code flow with PKCE).
Every resource is served with and without the legacy ``/api`` prefix.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
import json
import math
from typing import Any

from aiohttp import web

from custom_components.solar_cloud.api.smartme.models import as_datetime
from custom_components.solar_cloud.api.smartme.obis import (
    SWITCH_MAIN,
    SWITCH_PHASE,
    obis_from_text,
)

from .core import VendorSimulator
from .oauth import OAuthServer
from .smartme_model import Account, SimDevice
from .smartme_samples import sample_devices

type Route = tuple[str, str, Any, str]
"""(method, path, handler, name) of a resource."""

UNAUTHORIZED = {"Message": "Authorization has been denied for this request."}

# Fields that follow the clock: the simulator writes them from its model.
_LIVE_FIELDS = {
    "ActivePower",
    "CounterReading",
    "CounterReadingImport",
    "CounterReadingExport",
    "CounterReadingT1",
    "ValueDate",
}


class SmartMeRestApi(VendorSimulator):
    """The REST API of one smart-me account, and the state of its devices."""

    vendor = "smartme"

    def __init__(
        self, *, account: Account | None = None, devices: list[SimDevice] | None = None
    ) -> None:
        """Serve ``account`` with ``devices`` (default: the sample devices)."""
        super().__init__()
        self.account = account or Account()
        self.started = self.clock.now()
        self.devices: dict[str, SimDevice] = {
            device.id: device for device in (devices or sample_devices())
        }
        self.oauth = OAuthServer(
            clock=self.clock,
            clients={"smartme-client": "smartme-secret"},
            require_pkce=True,
            subject=self.account.username,
        )

    # Serving -----------------------------------------------------------------

    def routes(self) -> list[Route]:
        """Return the resources served; the other areas add theirs."""
        return [
            ("GET", "/User", self.get_user, "user"),
            ("GET", "/Devices", self.get_devices, "devices"),
            ("GET", "/Devices/{id}", self.get_device, "device"),
            ("GET", "/Actions/{id}", self.get_actions, "actions"),
            ("POST", "/Actions", self.post_actions, "set_actions"),
            ("GET", "/MeterValues/{id}", self.get_meter_values, "meter_values"),
        ]

    def add_routes(self, router: web.UrlDispatcher) -> None:
        """Serve every resource with and without the legacy ``/api`` prefix."""
        self.oauth.add_routes(
            router, authorize_path="/api/oauth/authorize", token_path="/api/oauth/token"
        )
        for method, path, handler, name in self.routes():
            router.add_route(method, path, handler, name=name)
            router.add_route(method, f"/api{path}", handler, name=f"{name}_api")

    @staticmethod
    def endpoint_of(request: web.Request) -> str:
        """Name both path styles of a resource alike, for faults and the log."""
        return VendorSimulator.endpoint_of(request).removesuffix("_api")

    def render_vendor_error(self, request: web.Request, error: Any) -> web.Response:
        """Answer like ASP.NET Web API: ``{"Message": ...}`` with a status.

        ``error`` is ``(status, message)`` or ``(status, message, headers)``.
        """
        status, message, *headers = error
        return web.json_response(
            {"Message": message}, status=status, headers=headers[0] if headers else None
        )

    def _authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        scheme, _, credentials = header.partition(" ")
        if scheme == "Basic":
            try:
                decoded = base64.b64decode(credentials).decode()
            except ValueError:
                return False
            return decoded == f"{self.account.username}:{self.account.password}"
        if scheme == "ApiKey":
            return credentials in self.account.api_keys
        return self.oauth.bearer(request) is not None

    def _check(self, request: web.Request) -> None:
        if not self._authorized(request):
            raise web.HTTPUnauthorized(
                text=json.dumps(UNAUTHORIZED), content_type="application/json"
            )

    def _device(self, request: web.Request) -> SimDevice:
        device = self.devices.get(request.match_info["id"].lower())
        if device is None:
            raise web.HTTPNotFound(
                text=json.dumps({"Message": "Device not found"}),
                content_type="application/json",
            )
        return device

    # The model ----------------------------------------------------------------

    def _grown(self, device: SimDevice, at: datetime) -> tuple[float, float]:
        """Return the energy (kWh) imported and exported since the simulator started."""
        now_import, now_export = device.energy(at)
        start_import, start_export = device.energy(self.started)
        return now_import - start_import, now_export - start_export

    def counter_values(
        self, device: SimDevice, at: datetime | None = None
    ) -> tuple[float | None, float | None]:
        """Return the import and export counters (kWh, unrounded) at a time.

        They read as the sample when the simulator started and move by the
        device's energy: exact integrals of its power, back and forth.
        """
        raw = device.raw
        imported = raw.get("CounterReadingImport", raw.get("CounterReading"))
        exported = raw.get("CounterReadingExport")
        grown_import, grown_export = self._grown(device, at or self.clock.now())
        return (
            None if imported is None else imported + grown_import,
            None if exported is None else exported + grown_export,
        )

    def counters(
        self, device: SimDevice, at: datetime | None = None
    ) -> tuple[float | None, float | None]:
        """Return the import and export counters (kWh) as the device list shows them."""
        imported, exported = self.counter_values(device, at)
        return (
            None if imported is None else round(imported, 3),
            None if exported is None else round(exported, 3),
        )

    def power_kw(self, device: SimDevice, at: datetime | None = None) -> float:
        """Return the device's net power at a time (now: kW, positive import)."""
        imported, exported = device.power(at or self.clock.now())
        return round(imported - exported, 3)

    def value_date(self, device: SimDevice) -> datetime:
        """Return when the device last uploaded (on its upload interval)."""
        now = self.clock.now()
        if device.offline_since is not None:
            now = min(now, device.offline_since)
        if device.upload is not None:
            return device.last_upload(now)
        interval = device.upload_interval.total_seconds()
        return datetime.fromtimestamp(
            math.floor(now.timestamp() / interval) * interval, UTC
        )

    def _shown_at(self, device: SimDevice) -> datetime:
        """Return the moment whose values the device list shows: its last
        upload for a meter with an upload rhythm, else now."""
        return (
            self.value_date(device) if device.upload is not None else self.clock.now()
        )

    def render_device(self, device: SimDevice) -> dict[str, Any]:
        """Return the device as ``GET /Devices`` shows it now."""
        body = {
            key: value
            for key, value in device.raw.items()
            if key not in _LIVE_FIELDS and value is not None
        }
        body["ValueDate"] = (
            self.value_date(device).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"
        )
        if not device.electric:
            for key in ("CounterReading", "ActivePower"):
                if key in device.raw:
                    body[key] = device.raw[key]
            return body
        shown = self._shown_at(device)
        imported, exported = self.counters(device, shown)
        if "ActivePower" in device.raw:
            body["ActivePower"] = self.power_kw(device, shown)
        if imported is not None:
            body["CounterReadingImport"] = imported
            if "CounterReadingT1" in device.raw:
                grown_import, _ = self._grown(device, shown)
                body["CounterReadingT1"] = round(
                    device.raw["CounterReadingT1"] + grown_import, 3
                )
        if exported is not None:
            body["CounterReadingExport"] = exported
        if "CounterReading" in device.raw and imported is not None:
            body["CounterReading"] = round(imported - (exported or 0.0), 3)
        body.update(self._switch_fields(device))
        return body

    @staticmethod
    def _switch_fields(device: SimDevice) -> dict[str, bool]:
        return {
            key: device.switches.get(code, bool(device.raw[key]))
            for code, key in (
                (SWITCH_MAIN, "SwitchOn"),
                (SWITCH_PHASE[0], "SwitchPhaseL1On"),
                (SWITCH_PHASE[1], "SwitchPhaseL2On"),
                (SWITCH_PHASE[2], "SwitchPhaseL3On"),
            )
            if key in device.raw
        }

    # Routes --------------------------------------------------------------------

    async def get_user(self, request: web.Request) -> web.Response:
        """Return the account."""
        self._check(request)
        account = self.account
        return web.json_response(
            {
                "Id": account.user_id,
                "IdAsString": str(account.user_id),
                "Username": account.username,
                "Email": account.username,
                "IsAdmin": False,
                "Permissions": [],
                "ChildUsers": [],
            }
        )

    async def get_devices(self, request: web.Request) -> web.Response:
        """Return every device."""
        self._check(request)
        return web.json_response(
            [self.render_device(device) for device in self.devices.values()]
        )

    async def get_device(self, request: web.Request) -> web.Response:
        """Return one device."""
        self._check(request)
        return web.json_response(self.render_device(self._device(request)))

    async def get_actions(self, request: web.Request) -> web.Response:
        """Return the device's actions (integer ActionType, as on the wire)."""
        self._check(request)
        return web.json_response(self._device(request).actions)

    async def post_actions(self, request: web.Request) -> web.Response:
        """Switch outputs; 204 when every action is one the device offers."""
        self._check(request)
        body = await request.json()
        device = self.devices.get(str(body.get("DeviceID", "")).lower())
        if device is None:
            return web.json_response({"Message": "Device not found"}, status=404)
        offered = {action["ObisCode"].upper() for action in device.actions}
        items = body.get("Actions") or []
        if not items or any(
            str(item.get("ObisCode", "")).upper() not in offered for item in items
        ):
            return web.json_response({"Message": "Invalid action"}, status=400)
        for item in items:
            device.switches[obis_from_text(item["ObisCode"])] = bool(item["Value"])
        return web.Response(status=204)

    async def get_meter_values(self, request: web.Request) -> web.Response:
        """Return the counters at ``date`` (now if later or not given)."""
        self._check(request)
        device = self._device(request)
        now = self.clock.now()
        date = as_datetime(request.query.get("date")) or now
        imported, exported = self.counters(device, min(date, now))
        body: dict[str, Any] = {
            "Id": device.id,
            "Serial": device.raw.get("Serial"),
            "Date": request.query.get("date", now.isoformat()),
            "CounterReadingUnit": device.raw.get("CounterReadingUnit", "kWh"),
        }
        if imported is not None:
            body["CounterReadingImport"] = imported
        if exported is not None:
            body["CounterReadingExport"] = exported
        return web.json_response(body)


def invalid(name: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(
        text=json.dumps({"Message": f"The request is invalid: {name}"}),
        content_type="application/json",
    )


def query_time(request: web.Request, name: str) -> datetime:
    """Return a time from the query (ISO 8601; without zone it is UTC)."""
    moment = as_datetime(request.query.get(name))
    if moment is None:
        raise invalid(name)
    return moment
