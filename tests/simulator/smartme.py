"""A smart-me cloud: REST API, history, OAuth2 and the Realtime API pusher.

Devices are built from the real samples in ``samples/smartme`` (integer
enums, null properties left out, negative serials); redacted ids are replaced
by fixed GUIDs. Each device's import and export power is a function of time
(:class:`Profile`), and its counters are the exact integrals of that power:
the device list, the realtime pushes and the history (``ValuesInPast``,
``ValuesInPastMultiple``) all read the same functions, and :meth:`truth`
gives the hourly energy straight from them. The Realtime API keeps
registrations, and :meth:`SmartMeSimulator.push` POSTs protobuf
``DeviceDataArray`` messages to the registered URLs, as smart-me does whenever
a device uploads.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
import json
import math
from pathlib import Path
from typing import Any, NamedTuple
import uuid
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web

from custom_components.solar_cloud.api.smartme.models import as_datetime
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


# The truth model ---------------------------------------------------------------

ZONE = ZoneInfo("Europe/Zurich")
"""Where the simulated households live: their load follows local time."""
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
"""The integrals of power count from here (a whole hour, UTC)."""
HOUR = timedelta(hours=1)
DEFAULT_HISTORY = timedelta(days=730)
"""How far back the cloud keeps a device's values, unless the device says."""
HISTORY_MAX_VALUES = 1000
"""The most value sets one ``ValuesInPastMultiple`` answer holds."""
SOLAR_NOON_UTC = 11.5
"""Solar noon in Zurich (8.5° E), hours UTC: the sun does not keep summer time."""


class Profile(StrEnum):
    """How a device's import and export power move with time."""

    STEADY = "steady"
    """The sample meters: ``import_kw`` drawn and ``export_kw`` fed at once,
    both waving ±20 % over every hour (the wave integrates to zero per hour)."""
    HOUSEHOLD = "household"
    """A household with PV: ``import_kw`` is its mean load, ``export_kw`` the
    PV peak. The meter sees load minus PV, linear between the full hours:
    import while the load is larger, export while the sun is."""


class HourEnergy(NamedTuple):
    """The energy of one hour, kWh."""

    energy_import: float
    energy_export: float


def _steady_wave(at: datetime) -> float:
    """Return the share of the mean a steady device draws at a time."""
    seconds = (at - EPOCH).total_seconds() % 3600
    return 1 + 0.2 * math.sin(2 * math.pi * seconds / 3600)


def _steady_hours(at: datetime) -> float:
    """Return the integral of :func:`_steady_wave` from EPOCH to ``at``, hours."""
    elapsed = (at - EPOCH).total_seconds()
    phase = 2 * math.pi * (elapsed % 3600) / 3600
    return elapsed / 3600 + 0.2 / (2 * math.pi) * (1 - math.cos(phase))


def _load_shape(hour: int) -> float:
    """Return a household's load at a local hour, relative: night, morning, evening."""
    morning = 0.9 * math.exp(-(((hour - 7) / 1.2) ** 2))
    noon = 0.4 * math.exp(-(((hour - 12) / 1.5) ** 2))
    evening = 1.5 * math.exp(-(((hour - 19) / 2.0) ** 2))
    return 0.45 + morning + noon + evening


# Load per local hour, averaging 1 over a day.
_LOAD = [_load_shape(hour) for hour in range(24)]
_LOAD = [share * 24 / sum(_LOAD) for share in _LOAD]


def _day_factor(day: date) -> float:
    """Return how much a household uses on a local day: more on weekends."""
    weekend = 1.15 if day.weekday() >= 5 else 1.0
    return weekend * (0.9, 1.0, 1.1)[(day.toordinal() * 7919) % 3]


def _weather(day: date) -> float:
    """Return the day's share of clear-sky PV: one of four, stable per date."""
    return (1.0, 0.8, 0.55, 0.25)[(day.toordinal() * 7919) % 4]


def _sun(at: datetime) -> float:
    """Return the share of the PV peak at a time: season, day length, weather."""
    day = at.date()
    season = math.sin(2 * math.pi * (day.timetuple().tm_yday - 80) / 365.25)
    day_length = 12 + 3.7 * season
    position = (at.hour + at.minute / 60 - SOLAR_NOON_UTC) / day_length + 0.5
    if not 0 < position < 1:
        return 0.0
    return (0.6 + 0.4 * season) * math.sin(math.pi * position) * _weather(day)


def _positive_area(start: float, end: float, share: float) -> float:
    """Return the integral over ``0..share`` of ``max(0, start + (end - start) u)``."""
    stop = start + (end - start) * share
    if start >= 0 and stop >= 0:
        return (start + stop) / 2 * share
    if start <= 0 and stop <= 0:
        return 0.0
    root = start / (start - stop) * share
    return start * root / 2 if start > 0 else stop * (share - root) / 2


class _Household:
    """One household's power and its integrals from EPOCH, kept by the hour."""

    def __init__(self, load_kw: float, pv_kwp: float) -> None:
        self.load_kw = load_kw
        self.pv_kwp = pv_kwp
        self._net: dict[int, float] = {}
        # Import and export from EPOCH to EPOCH + k hours, and from EPOCH - k
        # hours to EPOCH: summed once, read many times.
        self._ahead: list[tuple[float, float]] = [(0.0, 0.0)]
        self._behind: list[tuple[float, float]] = [(0.0, 0.0)]

    def net(self, hour: int) -> float:
        """Return the net power (kW, positive import) at ``EPOCH + hour``."""
        if (value := self._net.get(hour)) is None:
            at = EPOCH + hour * HOUR
            local = at.astimezone(ZONE)
            load = self.load_kw * _LOAD[local.hour] * _day_factor(local.date())
            value = self._net[hour] = load - self.pv_kwp * _sun(at)
        return value

    def _segment(self, hour: int, share: float = 1.0) -> tuple[float, float]:
        start, end = self.net(hour), self.net(hour + 1)
        return _positive_area(start, end, share), _positive_area(-start, -end, share)

    def _until_hour(self, hour: int) -> tuple[float, float]:
        """Return the import and export from EPOCH to ``EPOCH + hour`` (kWh)."""
        sums = self._ahead if hour >= 0 else self._behind
        while len(sums) <= abs(hour):
            # The next hour away from EPOCH: k..k+1 ahead, -k-1..-k behind.
            step = len(sums) - 1 if hour >= 0 else -len(sums)
            imported, exported = self._segment(step)
            last_import, last_export = sums[-1]
            sums.append((last_import + imported, last_export + exported))
        imported, exported = sums[abs(hour)]
        return (imported, exported) if hour >= 0 else (-imported, -exported)

    def energy(self, at: datetime) -> tuple[float, float]:
        """Return the import and export (kWh) from EPOCH to ``at``."""
        hours = (at - EPOCH) / HOUR
        hour = math.floor(hours)
        imported, exported = self._until_hour(hour)
        part_import, part_export = self._segment(hour, hours - hour)
        return imported + part_import, exported + part_export

    def power(self, at: datetime) -> tuple[float, float]:
        """Return the import and export power (kW) at ``at``."""
        hours = (at - EPOCH) / HOUR
        hour = math.floor(hours)
        start, end = self.net(hour), self.net(hour + 1)
        net = start + (end - start) * (hours - hour)
        return max(net, 0.0), max(-net, 0.0)


_HOUSEHOLDS: dict[tuple[float, float], _Household] = {}


def _household(load_kw: float, pv_kwp: float) -> _Household:
    """Return the household of these sizes (shared: its sums are the slow part)."""
    key = (load_kw, pv_kwp)
    if (household := _HOUSEHOLDS.get(key)) is None:
        if len(_HOUSEHOLDS) >= 8:
            _HOUSEHOLDS.clear()
        household = _HOUSEHOLDS[key] = _Household(load_kw, pv_kwp)
    return household


def _share_of_hour(at: datetime, hour: datetime) -> float:
    """Return how much of the hour from ``hour`` lies before ``at`` (0..1)."""
    return min(max((at - hour) / HOUR, 0.0), 1.0)


def utc_text(moment: datetime) -> str:
    """Return a time as smart-me writes it in history (``2023-11-16T12:00:00Z``)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(kw_only=True)
class SimDevice:
    """One device: its REST object and a model of how its values move.

    ``profile`` says what ``import_kw``/``export_kw`` mean; the counters grow
    from the values of the sample by the integral of the power.
    """

    raw: dict[str, Any]
    import_kw: float = 0.0
    export_kw: float = 0.0
    profile: Profile = Profile.STEADY
    push_unit: str = "Wh"
    actions: list[dict[str, Any]] = field(default_factory=list)
    switches: dict[str, bool] = field(default_factory=dict)
    """OBIS code -> state of the device's switches and outputs."""
    pushes_realtime: bool = True
    upload_interval: timedelta = timedelta(minutes=1)
    history_start: datetime | None = None
    """The oldest values the cloud keeps of the device (None: ``DEFAULT_HISTORY``
    before the simulator started); never before its counters were zero."""
    revisions: dict[datetime, HourEnergy] = field(default_factory=dict)
    """Hour (UTC) -> energy the cloud moved into it from the next hour, see
    :meth:`SmartMeSimulator.revise`."""

    @property
    def id(self) -> str:
        """Return the device GUID."""
        return str(self.raw["Id"])

    @property
    def electric(self) -> bool:
        """Return whether the device is an electricity meter."""
        return self.raw.get("DeviceEnergyType") == 1

    def power(self, at: datetime) -> tuple[float, float]:
        """Return the import and export power (kW) at a time."""
        if self.profile is Profile.HOUSEHOLD:
            imported, exported = _household(self.import_kw, self.export_kw).power(at)
        else:
            wave = _steady_wave(at)
            imported, exported = self.import_kw * wave, self.export_kw * wave
        for hour, moved in self.revisions.items():
            # The moved energy flows in the hour and is missing in the next.
            sign = (hour <= at < hour + HOUR) - (hour + HOUR <= at < hour + 2 * HOUR)
            imported += sign * moved.energy_import
            exported += sign * moved.energy_export
        return imported, exported

    def energy(self, at: datetime) -> tuple[float, float]:
        """Return the import and export (kWh) from EPOCH to a time.

        The exact integral of :meth:`power`, revisions included.
        """
        if self.profile is Profile.HOUSEHOLD:
            imported, exported = _household(self.import_kw, self.export_kw).energy(at)
        else:
            hours = _steady_hours(at)
            imported, exported = self.import_kw * hours, self.export_kw * hours
        for hour, moved in self.revisions.items():
            share = _share_of_hour(at, hour) - _share_of_hour(at, hour + HOUR)
            imported += share * moved.energy_import
            exported += share * moved.energy_export
        return imported, exported


@dataclass(kw_only=True)
class Account:
    """The smart-me user the simulator serves."""

    user_id: int = 12345
    username: str = "owner@example.com"
    password: str = "correct-horse"
    api_keys: set[str] = field(default_factory=lambda: {"key-123"})
    realtime_licence: bool = True
    """Whether the account may register for the Realtime API (Professional)."""
    history_licence: bool = True
    """Whether the account may read ``ValuesInPastMultiple`` (Professional)."""


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
        self.history_requests: list[tuple[str, datetime, datetime, int]] = []
        """(device id, startDate, endDate, interval) of each history answered."""
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
            ("GET", "/ValuesInPast/{id}", self.get_values_in_past, "values_in_past"),
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

    def power_kw(self, device: SimDevice) -> float:
        """Return the device's net power now (kW, positive import)."""
        imported, exported = device.power(self.clock.now())
        return round(imported - exported, 3)

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
                grown_import, _ = self._grown(device, self.clock.now())
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

    # History -------------------------------------------------------------------

    def _counters_valid(self, device: SimDevice, at: datetime) -> bool:
        return all(
            counter is None or counter >= 0
            for counter in self.counter_values(device, at)
        )

    def history_begins(self, device: SimDevice) -> datetime:
        """Return the oldest time the cloud has values of the device for.

        ``device.history_start``, by default :data:`DEFAULT_HISTORY` before
        the simulator started, but not before the meter's counters were zero:
        the sample's counters integrated back reach zero where it was installed.
        """
        begins = device.history_start or self.started - DEFAULT_HISTORY
        if self._counters_valid(device, begins):
            return begins
        # Counters only grow: the last time one was below zero is found by halving.
        before, after = begins, self.started
        while after - before > timedelta(seconds=1):
            middle = before + (after - before) / 2
            if self._counters_valid(device, middle):
                after = middle
            else:
                before = middle
        minute = after.replace(second=0, microsecond=0)
        return minute if minute == after else minute + timedelta(minutes=1)

    def history_times(
        self, device: SimDevice, start: datetime, end: datetime, step: timedelta
    ) -> list[datetime]:
        """Return when ``ValuesInPastMultiple`` answers values: ``start + k * step``.

        Up to ``end`` and the device's last upload (no future values), from
        :meth:`history_begins` on, at most :data:`HISTORY_MAX_VALUES`.
        """
        if not device.electric:
            return []
        last = min(end, self.value_date(device))
        skipped = max(0, -((start - self.history_begins(device)) // step))
        times: list[datetime] = []
        moment = start + skipped * step
        while moment <= last and len(times) < HISTORY_MAX_VALUES:
            times.append(moment)
            moment += step
        return times

    def history_entry(self, device: SimDevice, at: datetime) -> dict[str, Any]:
        """Return the ``ValuesData`` of a device at a time: its counters in Wh.

        Wh, not the device list's kWh, as the real capture shows; an export
        counter the meter lacks reads 0, as there too.
        """
        imported, exported = self.counter_values(device, at)
        values = []
        if imported is not None:
            values.append({"Obis": ENERGY_IMPORT, "Value": round(imported * 1000, 2)})
        values.append(
            {"Obis": ENERGY_EXPORT, "Value": round((exported or 0.0) * 1000, 2)}
        )
        return {"DeviceId": device.id, "Date": utc_text(at), "Values": values}

    def last_upload_before(self, device: SimDevice, moment: datetime) -> datetime:
        """Return the device's last upload before ``moment`` (and not after now)."""
        latest = self.value_date(device)
        if moment > latest:
            return latest
        since = moment - datetime.fromtimestamp(0, UTC)
        # The upload strictly before: one interval before the ceiling.
        uploads = -(-since // device.upload_interval) - 1
        return datetime.fromtimestamp(0, UTC) + uploads * device.upload_interval

    # Test hooks ----------------------------------------------------------------

    def truth(
        self, device_id: str, start: datetime, end: datetime
    ) -> dict[datetime, HourEnergy]:
        """Return the energy (kWh) of every hour from ``start`` to ``end``.

        Straight from the model, by hour start (UTC): what the history's
        counters must add up to, late corrections (:meth:`revise`) included.
        ``start`` is taken back to its full hour; ``end`` is exclusive.
        """
        device = self.devices[device_id]
        hour = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        hours: dict[datetime, HourEnergy] = {}
        while hour < end:
            first, last = device.energy(hour), device.energy(hour + HOUR)
            hours[hour] = HourEnergy(last[0] - first[0], last[1] - first[1])
            hour += HOUR
        return hours

    def revise(
        self,
        device_id: str,
        hour: datetime,
        *,
        energy_import: float | None = None,
        energy_export: float | None = None,
    ) -> HourEnergy:
        """Correct the energy (kWh) of one past hour, as late values do in the cloud.

        The next hour gives or takes the difference, so the counters up to
        ``hour`` and from two hours later stay as they were: live values do
        not change, the history and :meth:`truth` of the two hours do. Returns
        the hour's energy before the correction.

        Raises:
            ValueError: ``hour`` is not a full hour with a zone.

        """
        if hour.tzinfo is None:
            raise ValueError(f"Not the start of an hour: {hour}")
        hour = hour.astimezone(UTC)
        if hour != hour.replace(minute=0, second=0, microsecond=0):
            raise ValueError(f"Not the start of an hour: {hour}")
        device = self.devices[device_id]
        before = self.truth(device_id, hour, hour + HOUR)[hour]
        moved = device.revisions.get(hour, HourEnergy(0.0, 0.0))
        device.revisions[hour] = HourEnergy(
            moved.energy_import
            + (0.0 if energy_import is None else energy_import - before.energy_import),
            moved.energy_export
            + (0.0 if energy_export is None else energy_export - before.energy_export),
        )
        return before

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

    async def get_values_in_past(self, request: web.Request) -> web.Response:
        """Return the last value set before ``date``; 204 if there is none."""
        self._check(request)
        device = self._device(request)
        upload = self.last_upload_before(device, _query_time(request, "date"))
        if not device.electric or upload < self.history_begins(device):
            return web.Response(status=204)
        return web.json_response(self.history_entry(device, upload))

    async def get_values_in_past_multiple(self, request: web.Request) -> web.Response:
        """Return the value sets from ``startDate`` to ``endDate`` (Professional).

        ``interval`` 0 ("as fast as possible") is the device's upload interval.
        """
        self._check(request)
        if not self.account.history_licence:
            return web.json_response(
                {"Message": "This call needs a smart-me professional licence."},
                status=403,
            )
        device = self._device(request)
        start = _query_time(request, "startDate")
        end = _query_time(request, "endDate")
        try:
            minutes = int(request.query["interval"])
        except KeyError, ValueError:
            raise _invalid("interval") from None
        if minutes < 0:
            raise _invalid("interval")
        step = timedelta(minutes=minutes) if minutes else device.upload_interval
        self.history_requests.append((device.id, start, end, minutes))
        return web.json_response(
            [
                self.history_entry(device, moment)
                for moment in self.history_times(device, start, end, step)
            ]
        )

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


def _invalid(name: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(
        text=json.dumps({"Message": f"The request is invalid: {name}"}),
        content_type="application/json",
    )


def _query_time(request: web.Request, name: str) -> datetime:
    """Return a time from the query (ISO 8601; without zone it is UTC)."""
    moment = as_datetime(request.query.get(name))
    if moment is None:
        raise _invalid(name)
    return moment


# Fixed GUIDs for the samples whose ids their authors redacted.
PLUG_ID = "6f1d2c3b-4a59-4e8d-9c7b-1a2b3c4d5e6f"
BILANZ_ID = "40a1b2c3-d4e5-4f60-8172-8394a5b6c712"
WATER_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
HOUSE_ID = "3b1e7a52-6f0d-4c8e-9a51-7d2f4e8c1a90"


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


def household_device(
    *,
    device_id: str = HOUSE_ID,
    load_kw: float = 0.6,
    pv_kwp: float = 8.0,
    history_start: datetime | None = None,
) -> SimDevice:
    """Return a household's 3-phase meter with PV (:attr:`Profile.HOUSEHOLD`).

    Not from a capture: the device object follows the sample meters. Its
    counters are large enough to go two years back.
    """
    imported, exported = 14250.0, 17830.0
    raw = {
        "Id": device_id,
        "Name": "House",
        "Serial": 9300145,
        "DeviceEnergyType": 1,
        "MeterSubType": 4,
        "FamilyType": 7,
        "ActivePower": 0.0,
        "ActivePowerUnit": "kW",
        "CounterReading": imported - exported,
        "CounterReadingUnit": "kWh",
        "CounterReadingImport": imported,
        "CounterReadingExport": exported,
        "VoltageL1": 231.0,
        "VoltageL2": 230.0,
        "VoltageL3": 229.0,
    }
    return SimDevice(
        raw=raw,
        import_kw=load_kw,
        export_kw=pv_kwp,
        profile=Profile.HOUSEHOLD,
        history_start=history_start,
    )


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
    """Return the demo account (credentials in the README), with a household."""
    return SmartMeSimulator(
        account=Account(
            username="demo@smart-me.example", password="demo", api_keys={"demo-key"}
        ),
        devices=[*sample_devices(), household_device()],
        auto_push=timedelta(seconds=10),
    )
