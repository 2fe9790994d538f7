"""A smart-me cloud: REST API, OAuth2 and the Realtime API pusher.

Devices are built from the real samples in ``samples/smartme`` (integer
enums, null properties left out, negative serials); redacted ids are replaced
by fixed GUIDs. Counters grow and power moves with the simulator clock. The
Realtime API keeps registrations, and :meth:`SmartMeSimulator.push` POSTs
protobuf ``DeviceDataArray`` messages to the registered URLs, as smart-me does
whenever a device uploads.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import json
import math
from pathlib import Path
from typing import Any
import uuid

import aiohttp
from aiohttp import web

from custom_components.solar_cloud.api.smartme.obis import (
    DIGITAL_OUTPUT,
    ENERGY_EXPORT,
    ENERGY_IMPORT,
    FREQUENCY,
    POWER_EXPORT,
    POWER_IMPORT,
    SWITCH_MAIN,
    SWITCH_PHASE,
    VOLTAGE_L,
    obis_from_text,
    obis_to_hex,
)
from custom_components.solar_cloud.api.smartme.realtime import (
    RealtimeDeviceData,
    encode_realtime,
)

from .core import VendorSimulator
from .oauth import OAuthServer

SAMPLES = Path(__file__).parent / "samples" / "smartme"

# Pushed energy per kWh and power per W, by the unit the device pushes in.
PUSH_UNITS = {"kWh": (1.0, 0.001), "Wh": (1000.0, 1.0), "mWh": (1e6, 1000.0)}

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


def _pascal(raw: dict[str, Any]) -> dict[str, Any]:
    """Return a re-serialized (camelCase) sample with the wire's PascalCase keys."""
    return {key[0].upper() + key[1:]: value for key, value in raw.items()}


def _sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text("utf-8"))


@dataclass(kw_only=True)
class SimDevice:
    """One device: its REST object and a model of how its values move.

    ``import_kw``/``export_kw`` are the mean power drawn from and fed into the
    grid; the counters grow with them from the values of the sample.
    """

    raw: dict[str, Any]
    import_kw: float = 0.0
    export_kw: float = 0.0
    push_unit: str = "Wh"
    actions: list[dict[str, Any]] = field(default_factory=list)
    switches: dict[str, bool] = field(default_factory=dict)
    """OBIS code -> state of the device's switches and outputs."""
    pushes_realtime: bool = True
    upload_interval: timedelta = timedelta(minutes=1)

    @property
    def id(self) -> str:
        """Return the device GUID."""
        return str(self.raw["Id"])

    @property
    def electric(self) -> bool:
        """Return whether the device is an electricity meter."""
        return self.raw.get("DeviceEnergyType") == 1


@dataclass(kw_only=True)
class Account:
    """The smart-me user the simulator serves."""

    user_id: int = 12345
    username: str = "owner@example.com"
    password: str = "correct-horse"
    api_keys: set[str] = field(default_factory=lambda: {"key-123"})
    realtime_licence: bool = True
    """Whether the account may register for the Realtime API (Professional)."""


class SmartMeSimulator(VendorSimulator):
    """The smart-me cloud of one account."""

    vendor = "smartme"

    def __init__(
        self,
        *,
        account: Account | None = None,
        devices: list[SimDevice] | None = None,
        auto_push: timedelta | None = None,
    ) -> None:
        """Serve ``account`` with ``devices`` (default: the sample devices).

        With ``auto_push`` the devices upload (and are pushed) on that
        interval, as in the demo; tests push explicitly.
        """
        super().__init__()
        self.auto_push = auto_push
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
        self.registrations: dict[str, dict[str, Any]] = {}
        self.push_responses: list[int] = []
        self._session: aiohttp.ClientSession | None = None

    # Serving -----------------------------------------------------------------

    def add_routes(self, router: web.UrlDispatcher) -> None:
        """Serve every resource with and without the legacy ``/api`` prefix."""
        self.oauth.add_routes(
            router, authorize_path="/api/oauth/authorize", token_path="/api/oauth/token"
        )
        routes: list[tuple[str, str, Any, str]] = [
            ("GET", "/User", self.get_user, "user"),
            ("GET", "/Devices", self.get_devices, "devices"),
            ("GET", "/Devices/{id}", self.get_device, "device"),
            ("GET", "/Actions/{id}", self.get_actions, "actions"),
            ("POST", "/Actions", self.post_actions, "set_actions"),
            ("GET", "/MeterValues/{id}", self.get_meter_values, "meter_values"),
            (
                "GET",
                "/ValuesInPastMultiple/{id}",
                self.get_values_in_past_multiple,
                "values_in_past_multiple",
            ),
            ("GET", "/RegisterForRealtimeApi", self.get_registrations, "registrations"),
            ("POST", "/RegisterForRealtimeApi", self.post_registration, "register"),
            (
                "DELETE",
                "/RegisterForRealtimeApi/{id}",
                self.delete_registration,
                "unregister",
            ),
        ]
        for method, path, handler, name in routes:
            router.add_route(method, path, handler, name=name)
            router.add_route(method, f"/api{path}", handler, name=f"{name}_api")

    @staticmethod
    def endpoint_of(request: web.Request) -> str:
        """Name both path styles of a resource alike, for faults and the log."""
        return VendorSimulator.endpoint_of(request).removesuffix("_api")

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

    def hours(self) -> float:
        """Return the hours since the simulator started."""
        return (self.clock.now() - self.started).total_seconds() / 3600

    def power_kw(self, device: SimDevice) -> float:
        """Return the device's net power now: its mean, waving over the hour."""
        minutes = self.clock.now().minute + self.clock.now().second / 60
        wave = 1 + 0.2 * math.sin(2 * math.pi * minutes / 60)
        return round((device.import_kw - device.export_kw) * wave, 3)

    def counters(self, device: SimDevice) -> tuple[float | None, float | None]:
        """Return the import and export counters (kWh) now."""
        raw = device.raw
        hours = self.hours()
        imported = raw.get("CounterReadingImport", raw.get("CounterReading"))
        exported = raw.get("CounterReadingExport")
        if imported is not None:
            imported = round(imported + device.import_kw * hours, 3)
        if exported is not None:
            exported = round(exported + device.export_kw * hours, 3)
        return imported, exported

    def value_date(self, device: SimDevice) -> datetime:
        """Return when the device last uploaded (on its upload interval)."""
        now = self.clock.now()
        interval = device.upload_interval.total_seconds()
        return datetime.fromtimestamp(
            math.floor(now.timestamp() / interval) * interval, UTC
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
        imported, exported = self.counters(device)
        if "ActivePower" in device.raw:
            body["ActivePower"] = self.power_kw(device)
        if imported is not None:
            body["CounterReadingImport"] = imported
            if "CounterReadingT1" in device.raw:
                body["CounterReadingT1"] = round(
                    device.raw["CounterReadingT1"] + device.import_kw * self.hours(), 3
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
        """Return the counters now (the simulator keeps no history of them)."""
        self._check(request)
        device = self._device(request)
        imported, exported = self.counters(device)
        body: dict[str, Any] = {
            "Id": device.id,
            "Serial": device.raw.get("Serial"),
            "Date": request.query.get("date", self.clock.now().isoformat()),
            "CounterReadingUnit": device.raw.get("CounterReadingUnit", "kWh"),
        }
        if imported is not None:
            body["CounterReadingImport"] = imported
        if exported is not None:
            body["CounterReadingExport"] = exported
        return web.json_response(body)

    async def get_values_in_past_multiple(self, request: web.Request) -> web.Response:
        """Return value sets between two dates (counters in Wh, as observed)."""
        self._check(request)
        device = self._device(request)
        start = datetime.fromisoformat(request.query["startDate"])
        end = datetime.fromisoformat(request.query["endDate"])
        step = timedelta(minutes=int(request.query.get("interval", "60")))
        base = device.raw.get("CounterReadingImport", device.raw.get("CounterReading"))
        entries = []
        moment = start
        while moment <= end and len(entries) < 1000:
            hours = (moment - self.started).total_seconds() / 3600
            value = (base or 0.0) + device.import_kw * hours
            entries.append(
                {
                    "DeviceId": device.id,
                    "Date": moment.isoformat(),
                    "Values": [{"Obis": "1-0:1.8.0*255", "Value": round(value * 1000)}],
                }
            )
            moment += step
        return web.json_response(entries)

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


# Fixed GUIDs for the samples whose ids their authors redacted.
PLUG_ID = "6f1d2c3b-4a59-4e8d-9c7b-1a2b3c4d5e6f"
BILANZ_ID = "40a1b2c3-d4e5-4f60-8172-8394a5b6c712"
WATER_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"


def sample_devices() -> list[SimDevice]:
    """Return the devices of the samples, as one account could hold them."""
    chargers = [
        SimDevice(raw=raw, import_kw=3.7 * (index == 0), push_unit="mWh")
        for index, raw in enumerate(_sample("connectorio_api_Devices_list_2022.json"))
    ]
    plug = _sample("iobroker_smartme_device_2019_partial_redacted.json")
    plug.update({"Id": PLUG_ID, "Name": "Boiler plug"})
    bilanz = _pascal(_sample("smecli_reserialized_device.json"))
    bilanz.update({"Id": BILANZ_ID, "ChargeStationState": None})
    telstar_actions = _sample("smartme_wiki_api_actions_get_telstar.json")
    # Not from a capture: smart-me lists water meters with m³ counters and a
    # flow rate; none of the samples is one.
    water = {
        "Id": WATER_ID,
        "Name": "Water main",
        "Serial": 7700123,
        "DeviceEnergyType": 2,
        "MeterSubType": 1,
        "FamilyType": 4,
        "CounterReading": 1532.417,
        "CounterReadingUnit": "m³",
        "FlowRate": 0.42,
    }
    return [
        *chargers,
        SimDevice(
            raw=plug,
            import_kw=0.0,
            actions=[
                {
                    "Name": "Switch",
                    "ObisCode": obis_to_hex(SWITCH_MAIN),
                    "ActionType": 0,
                }
            ],
        ),
        SimDevice(
            raw=bilanz,
            import_kw=101.632,
            export_kw=0.5,
            actions=telstar_actions,
            switches={DIGITAL_OUTPUT[0]: False, DIGITAL_OUTPUT[1]: True},
        ),
        SimDevice(raw=water, pushes_realtime=False),
    ]


def bench_devices(count: int) -> list[SimDevice]:
    """Return ``count`` 3-phase meters for the benchmark."""
    template = _pascal(_sample("smecli_reserialized_device.json"))
    devices = []
    for index in range(count):
        raw = {
            **template,
            "Id": str(uuid.UUID(int=index + 1)),
            "Name": f"Meter {index + 1}",
        }
        raw.pop("ChargeStationState", None)
        devices.append(SimDevice(raw=raw, import_kw=5.0 + index % 7))
    return devices


def demo_simulator() -> SmartMeSimulator:
    """Return the demo account (credentials in the README)."""
    return SmartMeSimulator(
        account=Account(
            username="demo@smart-me.example", password="demo", api_keys={"demo-key"}
        ),
        auto_push=timedelta(seconds=10),
    )
