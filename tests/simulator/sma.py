"""A simulator of SMA's cloud APIs (smaapis.de), served under one base URL.

It behaves like SMA's sandbox, as SMA's tutorial, FAQ and sandbox page and the
real captures in ``shared/api/samples/sma`` describe it:

- ``/oauth2/token`` (form-encoded; client credentials, refresh with rotation,
  authorization code), ``/oauth2/auth``, ``/oauth2/logout`` (204); 300 s
  tokens; the documented errors: 415 for a wrong content type, 400 for a
  missing ``grant_type``, 400 ``invalid_client`` (also for code-flow
  credentials used in the custom flow), 401 "Token is not active".
- The custom flow's consent: ``POST /oauth2/v2/bc-authorize``, ``GET
  …/{loginHint}``, and the sandbox's ``PUT …/{loginHint}/status`` that
  accepts, rejects or revokes in place of the owner. Without consent the
  Monitoring API answers empty lists.
- Monitoring v1 under ``/monitoring``: plants, devices, measurement-set lists,
  device sets and the plant EnergyBalance over Recent/Day/Month/Year/Total.
  Values follow the simulator clock: a sun curve and a household load in the
  plant's local time, interval-end timestamps without offset, omitted fields
  for what a plant does not have. ennexOS plants have 5-minute data at once,
  the sandbox plants 15-minute data, a classic (GUID) plant data 2 hours late.
- A plant moved by SMA answers HTTP 308 with its new id.
- GridControl under ``/gridcontrol``: the eligibility check and FeedInLimit
  schedules (bodies as modelled in ``api/sma/gridcontrol.py``).
- A token bucket per client over five minutes: HTTP 429 without Retry-After.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
import json
import math
import secrets
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from aiohttp import web

from .core import Clock, VendorSimulator
from .oauth import IssuedToken, OAuthServer

SANDBOX_OWNER = "apiTestUser@apiSandbox.com"
DEMO_OWNER = "owner@example.com"
CUSTOM_CLIENT = ("custom-client", "custom-secret")
CODE_CLIENT = ("code-client", "code-secret")
VENDOR = "SMA Solar Technology AG"
NEVER = "0001-01-01T00:00:00.0000000"

# The FeedInLimit schedule is SMA's unpublished contract; this simulator checks
# the body the integration models (api/sma/gridcontrol.py).
LIMIT_UNITS = {"W", "Percent"}

ENERGY_FIELDS = (
    "pvGeneration",
    "totalConsumption",
    "gridFeedIn",
    "gridConsumption",
    "batteryCharging",
    "batteryDischarging",
    "directConsumption",
    "selfConsumption",
    "selfSupply",
    "totalGeneration",
)


# The model: a sun curve, weather per day, a household load -------------------


def sun(hour: float) -> float:
    """Return the share of the peak a clear sky gives at a local hour."""
    return max(0.0, math.sin(math.pi * (hour - 6) / 12)) if 6 < hour < 18 else 0.0


def weather(day: date) -> float:
    """Return the day's weather factor: one of four, stable per date."""
    return (1.0, 0.8, 0.55, 0.25)[(day.toordinal() * 7919) % 4]


def load(hour: float) -> float:
    """Return the household's power (W) at a local hour."""
    morning = 350 if 6.5 <= hour < 8.5 else 0
    evening = 900 if 18 <= hour < 21.5 else 0
    return 320 + morning + evening + 40 * math.sin(hour * 1.7)


def state_of_charge(hour: float) -> float:
    """Return the battery's state of charge (%) over a day."""
    if hour < 8:
        return 47 - hour * 4
    if hour < 15:
        return min(95.0, 15 + (hour - 8) * 12)
    if hour < 18:
        return 95.0
    return 95 - (hour - 18) * 8


@dataclass(kw_only=True)
class SimDevice:
    """A device of a simulated plant."""

    device_id: str
    name: str
    type: str
    product: str
    product_id: int
    sets: tuple[str, ...] = ()
    serial: str | None = None
    generator_power: float | None = None
    active: bool = True
    deactivated_at: str | None = None

    def to_api(self) -> dict[str, Any]:
        """Return the device as ``/devices`` lists it."""
        data: dict[str, Any] = {
            "deviceId": self.device_id,
            "name": self.name,
            "type": self.type,
            "product": self.product,
            "productId": self.product_id,
            "vendor": VENDOR,
            "isActive": self.active,
        }
        if self.serial is not None:
            data["serial"] = self.serial
        if self.generator_power is not None:
            data["generatorPower"] = self.generator_power
            data["generatorPowerDc"] = self.generator_power
        if self.deactivated_at is not None:
            data["deactivatedAt"] = self.deactivated_at
        return data


@dataclass(kw_only=True)
class SimPlant:
    """A simulated plant and how its data behaves."""

    plant_id: str
    name: str
    timezone: str = "Europe/Berlin"
    peak_power: float = 6000.0
    battery: bool = False
    resolution: timedelta = timedelta(minutes=5)
    lag: timedelta = timedelta()
    """How late data arrives (classic plants: up to two hours)."""
    commissioned: date = date(2024, 4, 1)
    installation: dict[str, Any] | None = None
    location: dict[str, Any] | None = None
    devices: list[SimDevice] = field(default_factory=list)
    grid_control: bool = False
    """Eligible for FeedInLimit (classic Home Manager, ennexOS with SPOT)."""
    moved_to: str | None = None
    """The id SMA moved this plant to (answers 308)."""
    silent_since: datetime | None = None
    """When the plant stopped sending data (aware), e.g. a broken router."""
    revisions: dict[datetime, dict[str, float]] = field(default_factory=dict)
    """Fields SMA corrected afterwards, per interval end (UTC): see ``revise``."""
    total_factor: float = 1.0
    """A glitching cloud: Total answers are scaled by this (0: all zero)."""

    @property
    def zone(self) -> ZoneInfo:
        """Return the plant's time zone."""
        return ZoneInfo(self.timezone)

    def summary(self) -> dict[str, Any]:
        """Return the plant as measurement answers name it."""
        return {"plantId": self.plant_id, "name": self.name, "timezone": self.timezone}

    def to_api(self) -> dict[str, Any]:
        """Return the plant as ``/v1/plants`` lists it."""
        data = self.summary()
        if self.installation is not None:
            data["installation"] = self.installation
        if self.location is not None:
            data["location"] = self.location
        return data

    # Values -----------------------------------------------------------------
    #
    # Interval ends are real instants (aware, in the plant's zone, with the
    # fold of a repeated hour set), so a day the clocks change on has 23 or
    # 25 hours of intervals; answers write them in local time without an
    # offset, as SMA does, so the repeated hour's times appear twice.

    def local_now(self, clock: Clock) -> datetime:
        """Return the plant's local time now, naive (as SMA writes times)."""
        return clock.now().astimezone(self.zone).replace(tzinfo=None)

    def available_until(self, clock: Clock) -> datetime:
        """Return the end of the newest interval SMA has processed (aware, UTC)."""
        now = clock.now()
        if self.silent_since is not None:
            now = min(now, self.silent_since)
        step = int(self.resolution.total_seconds())
        latest = int((now - self.lag).timestamp()) // step * step
        return datetime.fromtimestamp(latest, UTC)

    def revise(self, end: datetime, **values: float) -> None:
        """Correct fields of the interval ending at ``end`` (aware), as SMA may later."""
        self.revisions.setdefault(end.astimezone(UTC), {}).update(values)

    def local_middle(self, end: datetime) -> datetime:
        """Return the local wall time in the middle of the interval ending at ``end``."""
        if end.tzinfo is None:
            return end - self.resolution / 2
        return (end.astimezone(UTC) - self.resolution / 2).astimezone(self.zone)

    def balance(self, end: datetime) -> dict[str, float]:
        """Return the EnergyBalance of the interval ending at ``end`` (W, %)."""
        middle = self.local_middle(end)
        values = _balance(
            self.peak_power,
            self.battery,
            middle.hour + middle.minute / 60,
            weather(middle.date()),
        )
        if self.revisions and end.tzinfo is not None:
            values.update(self.revisions.get(end.astimezone(UTC), {}))
        return values

    def day_bounds(self, day: date) -> tuple[datetime, datetime]:
        """Return the start and end (aware, UTC) of a local day."""
        return (
            datetime.combine(day, time(), self.zone).astimezone(UTC),
            datetime.combine(day + timedelta(days=1), time(), self.zone).astimezone(
                UTC
            ),
        )

    def all_day_points(self, day: date) -> list[datetime]:
        """Return every interval end of a local day (aware, local)."""
        start, end = self.day_bounds(day)
        count = int((end - start) / self.resolution)
        return [
            (start + self.resolution * index).astimezone(self.zone)
            for index in range(1, count + 1)
        ]

    def day_points(self, day: date, clock: Clock) -> list[datetime]:
        """Return the interval ends of a day SMA has data for (aware, local)."""
        if day < self.commissioned:
            return []
        until = self.available_until(clock)
        return [end for end in self.all_day_points(day) if end <= until]

    def day_energy(self, day: date, clock: Clock) -> dict[str, float]:
        """Return the energy (Wh) of a day as far as SMA has it."""
        if day < self.commissioned:
            return {}
        start, end = self.day_bounds(day)
        if (
            self.available_until(clock) >= end
            and end - start == timedelta(days=1)
            and not any(start < moment <= end for moment in self.revisions)
        ):
            return dict(
                _full_day(self.peak_power, self.battery, weather(day), self.resolution)
            )
        hours = self.resolution.total_seconds() / 3600
        energy: dict[str, float] = {}
        for point in self.day_points(day, clock):
            for key, value in self.balance(point).items():
                if key in ENERGY_FIELDS:
                    energy[key] = energy.get(key, 0.0) + value * hours
        return energy


def truth_hourly(
    plant: SimPlant, start: datetime, end: datetime
) -> dict[str, dict[datetime, float]]:
    """Return the energy (kWh) per field and UTC hour in ``[start, end)``.

    Computed from the same :meth:`SimPlant.balance` as the answers, interval
    by interval: an interval counts in the hour it starts in. Intervals before
    the plant's commissioning hold nothing; fields the plant lacks are left
    out. ``start`` is a whole hour.
    """
    step = plant.resolution
    hours = step / timedelta(hours=1)
    slots = _hours(start, end)
    truth: dict[str, dict[datetime, float]] = {}
    begin = start.astimezone(UTC)
    while begin + step <= end:
        local_end = (begin + step).astimezone(plant.zone)
        if plant.local_middle(local_end).date() >= plant.commissioned:
            slot = begin.replace(minute=0, second=0, microsecond=0)
            for key, value in plant.balance(local_end).items():
                if key in ENERGY_FIELDS:
                    if key not in truth:
                        truth[key] = dict.fromkeys(slots, 0.0)
                    truth[key][slot] += value * hours / 1000
        begin += step
    return truth


def _hours(start: datetime, end: datetime) -> list[datetime]:
    hours = []
    hour = start.astimezone(UTC)
    while hour < end:
        hours.append(hour)
        hour += timedelta(hours=1)
    return hours


def _balance(
    peak: float, battery: bool, hour: float, factor: float
) -> dict[str, float]:
    pv = peak * 0.85 * sun(hour) * factor
    consumption = load(hour)
    charging = discharging = 0.0
    if battery:
        soc = state_of_charge(hour)
        if pv > consumption and soc < 95:
            charging = min(pv - consumption, 2500.0)
        elif pv < consumption and soc > 15 and (hour >= 18 or hour < 8):
            discharging = min(consumption - pv, 1500.0)
    feed_in = max(0.0, pv - consumption - charging)
    grid = max(0.0, consumption - pv - discharging)
    values = {
        "pvGeneration": pv,
        "totalConsumption": consumption,
        "gridFeedIn": feed_in,
        "gridConsumption": grid,
        "directConsumption": min(pv, consumption),
        "selfConsumption": pv - feed_in,
        "selfSupply": consumption - grid,
        "totalGeneration": pv + discharging,
        "autarkyRate": (consumption - grid) / consumption,
    }
    if pv > 0:
        # SMA omits what it cannot give; a rate of nothing is not zero.
        values["selfConsumptionRate"] = (pv - feed_in) / pv
    if battery:
        values["batteryCharging"] = charging
        values["batteryDischarging"] = discharging
        values["batteryStateOfCharge"] = state_of_charge(hour)
    return {key: round(value, 3) for key, value in values.items()}


@cache
def _full_day(
    peak: float, battery: bool, factor: float, resolution: timedelta
) -> tuple[tuple[str, float], ...]:
    """Return a whole day's energy (Wh) for one weather factor (cached)."""
    count = int(timedelta(days=1) / resolution)
    hours = resolution.total_seconds() / 3600
    energy: dict[str, float] = {}
    for index in range(1, count + 1):
        middle = (index - 0.5) * hours
        for key, value in _balance(peak, battery, middle, factor).items():
            if key in ENERGY_FIELDS:
                energy[key] = energy.get(key, 0.0) + value * hours
    return tuple(energy.items())


def device_values(
    plant: SimPlant, device: SimDevice, set_type: str, end: datetime
) -> dict[str, Any]:
    """Return one device set's values for the interval ending at ``end``."""
    balance = plant.balance(end)
    middle = plant.local_middle(end)
    hour = middle.hour + middle.minute / 60
    inverters = [
        other.generator_power or 0.0
        for other in plant.devices
        if other.active and "EnergyAndPowerPv" in other.sets
    ]
    share = (device.generator_power or 0.0) / (sum(inverters) or 1.0)
    pv = balance["pvGeneration"] * share
    three_phase = device.product.startswith("STP")
    phases = "ABC" if three_phase else "A"
    values: dict[str, Any] = {}
    if set_type == "EnergyAndPowerPv":
        values["pvGeneration"] = pv
    elif set_type == "PowerAc":
        power = pv * 0.97
        values["activePower"] = power
        values["gridFrequency"] = 50 + 0.02 * math.sin(hour * 5)
        for phase in phases:
            voltage = 230 + 2 * math.sin(hour + ord(phase))
            values[f"voltagePhase{phase}"] = voltage
            values[f"activePowerPhase{phase}"] = power / len(phases)
            values[f"currentPhase{phase}"] = power / len(phases) / voltage
    elif set_type == "PowerDc":
        strings = {"A": 0.6, "B": 0.4} if three_phase else {"A": 1.0}
        voltage = 580.0 if pv > 0 else 0.0
        values["dcPowerInput"] = [
            {"index": index, "value": round(pv * part, 3)}
            for index, part in strings.items()
        ]
        values["dcVoltageInput"] = [
            {"index": index, "value": voltage} for index in strings
        ]
        values["dcCurrentInput"] = [
            {"index": index, "value": round(pv * part / voltage, 3) if voltage else 0.0}
            for index, part in strings.items()
        ]
        values["isolationResistance"] = 3000000.0
    elif set_type == "Sensor":
        factor = weather(middle.date())
        ambient = 8 + 12 * sun(hour)
        values["externalInsolation"] = 1000 * sun(hour) * factor
        values["ambientTemperature"] = ambient
        values["moduleTemperature"] = ambient + 25 * sun(hour) * factor
        values["windSpeed"] = 3.2
    elif set_type == "EnergyAndPowerBattery":
        charging = balance.get("batteryCharging", 0.0)
        discharging = balance.get("batteryDischarging", 0.0)
        soc = balance.get("batteryStateOfCharge", 50.0)
        voltage = 51.2 + soc / 50
        values.update(
            batteryCharging=charging,
            batteryDischarging=discharging,
            batteryStateOfCharge=soc,
            batteryStateOfHealth=97.0,
            batteryVoltage=voltage,
            batteryCurrent=(charging - discharging) / voltage,
            batteryTemperature=24.5,
        )
    elif set_type == "EnergyAndPowerInOut":
        values["gridFeedIn"] = balance["gridFeedIn"]
        values["gridConsumption"] = balance["gridConsumption"]
    elif set_type == "EnergyAndPowerConsumption":
        values["consumption"] = balance["totalConsumption"] * 0.15
    return {
        key: round(value, 3) if isinstance(value, float) else value
        for key, value in values.items()
    }


# Consent, tokens, rate limit -------------------------------------------------


@dataclass(kw_only=True)
class Consent:
    """One client's consent request to one owner."""

    state: str = "pending"
    expires_at: datetime | None = None
    scope: set[str] = field(default_factory=set)
    """The plants the owner approved (kept when a new request is pending)."""


@dataclass(kw_only=True)
class TokenBucket:
    """SMA's rate limit: ``capacity`` calls, refilled over ``window``."""

    capacity: float
    window: timedelta
    level: float
    updated: datetime
    lowest: float = math.inf
    """The lowest level a call left (how close the client came to a 429)."""

    def take(self, now: datetime) -> bool:
        """Take one call from the bucket; False when it is empty."""
        refill = (now - self.updated) / self.window * self.capacity
        self.level = min(self.capacity, self.level + refill)
        self.updated = now
        if self.level < 1:
            return False
        self.level -= 1
        self.lowest = min(self.lowest, self.level)
        return True


def _jwt(client_id: str, subject: str) -> str:
    """Return a JWT-shaped access token (unsigned), as SMA's Keycloak sends."""

    def part(data: dict[str, Any]) -> str:
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    claims = {"sub": subject, "azp": client_id, "jti": secrets.token_hex(8)}
    if "@" in subject:
        claims["email"] = subject
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}.sim"


def _net_date(moment: datetime) -> str:
    """Return a date as SMA's .NET consent API writes it."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.0000000Z")


class SmaSimulator(VendorSimulator):
    """SMA's authorization server, consent API, Monitoring and GridControl."""

    vendor: ClassVar[str] = "sma"

    def __init__(self) -> None:
        """Start with the sandbox plants and no consent."""
        super().__init__()
        self.oauth = OAuthServer(
            clock=self.clock,
            clients={
                CUSTOM_CLIENT[0]: CUSTOM_CLIENT[1],
                CODE_CLIENT[0]: CODE_CLIENT[1],
            },
            subject=SANDBOX_OWNER,
            token_factory=_jwt,
        )
        self.code_clients: set[str] = {CODE_CLIENT[0]}
        """Clients SMA set up for the code flow: refused in the custom flow."""
        self.plants: dict[str, SimPlant] = {}
        self.owners: dict[str, list[str]] = {}
        """Owner e-mail -> ids of the plants they own."""
        self.consents: dict[tuple[str, str], Consent] = {}
        self.consent_lifetime = timedelta(days=7)
        self.auto_accept_after: timedelta | None = None
        """Let the owner accept by themselves this long after a request (demo)."""
        self.schedules: dict[str, list[dict[str, Any]]] = {}
        self.rate_limit = 100.0
        self.rate_window = timedelta(minutes=5)
        self.buckets: dict[str, TokenBucket] = {}
        self.logouts: list[str] = []
        self.balance_requests: list[tuple[datetime, str, str, str | None]] = []
        """(time, plant id, period, Date) of every EnergyBalance answered."""
        for plant in sandbox_plants():
            self.add_plant(plant, owner=SANDBOX_OWNER)

    def add_plant(self, plant: SimPlant, *, owner: str) -> SimPlant:
        """Add a plant of ``owner``."""
        self.plants[plant.plant_id] = plant
        self.owners.setdefault(owner, []).append(plant.plant_id)
        return plant

    def move_plant(self, old: str, new: str) -> None:
        """Migrate a plant to a new id; the old id answers 308 from now on."""
        plant = self.plants[old]
        moved = SimPlant(**{**plant.__dict__, "plant_id": new})
        plant.moved_to = new
        self.plants[new] = moved
        for plants in self.owners.values():
            if old in plants:
                plants[plants.index(old)] = new
        for consent in self.consents.values():
            if old in consent.scope:
                consent.scope = (consent.scope - {old}) | {new}

    def grant_consent(self, owner: str, client_id: str = CUSTOM_CLIENT[0]) -> None:
        """Record an owner's accepted consent, as if requested and accepted."""
        consent = self.consents.setdefault((client_id, owner), Consent())
        consent.expires_at = self.clock.now() + self.consent_lifetime
        self._decide(consent, owner, "accepted")

    def set_consent(self, owner: str, state: str, client_id: str | None = None) -> None:
        """Decide an owner's consent as the owner would (or the sandbox PUT)."""
        for (client, login_hint), consent in self.consents.items():
            if login_hint == owner and client_id in (None, client):
                self._decide(consent, owner, state)

    def end_sessions(self) -> None:
        """Make every access token inactive (refresh tokens stay valid)."""
        self.oauth.access_tokens.clear()

    # Routes -----------------------------------------------------------------

    def add_routes(self, router: web.UrlDispatcher) -> None:
        """Serve the authorization server and the APIs under one base URL."""
        router.add_get("/oauth2/auth", self.oauth.authorize, name="oauth_authorize")
        router.add_post("/oauth2/token", self.token, name="oauth_token")
        router.add_post("/oauth2/logout", self.logout, name="logout")
        consent = "/oauth2/v2/bc-authorize"
        router.add_post(consent, self.post_consent, name="consent_request")
        router.add_get(f"{consent}/{{hint}}", self.get_consent, name="consent_state")
        router.add_put(
            f"{consent}/{{hint}}/status", self.put_consent, name="consent_set"
        )
        monitoring = "/monitoring/v1"
        router.add_get(f"{monitoring}/plants", self.get_plants, name="plants")
        router.add_get(f"{monitoring}/plants/{{plant}}", self.get_plant, name="plant")
        router.add_get(
            f"{monitoring}/plants/{{plant}}/devices", self.get_devices, name="devices"
        )
        router.add_get(
            f"{monitoring}/plants/{{plant}}/measurements/sets/EnergyBalance/{{period}}",
            self.get_energy_balance,
            name="energy_balance",
        )
        router.add_get(
            f"{monitoring}/devices/{{device}}/measurements/sets",
            self.get_set_names,
            name="device_sets",
        )
        router.add_get(
            f"{monitoring}/devices/{{device}}/measurements/sets/{{set}}/{{period}}",
            self.get_device_set,
            name="device_measurements",
        )
        gridcontrol = "/gridcontrol/v1/plants"
        router.add_post(
            f"{gridcontrol}/eligibilityCheck", self.post_eligibility, name="eligibility"
        )
        router.add_post(
            f"{gridcontrol}/{{plant}}/schedules", self.post_schedule, name="schedules"
        )

    def render_vendor_error(self, request: web.Request, error: Any) -> web.Response:
        """Answer with SMA's API error body: ``error`` is (status, message)."""
        status, message = error
        return web.json_response(
            {"message": message, "code": str(status)}, status=status
        )

    # Authorization ----------------------------------------------------------

    def _rate_limited(self, client_id: str) -> bool:
        now = self.clock.now()
        bucket = self.buckets.setdefault(
            client_id,
            TokenBucket(
                capacity=self.rate_limit,
                window=self.rate_window,
                level=self.rate_limit,
                updated=now,
            ),
        )
        return not bucket.take(now)

    @staticmethod
    def _too_many() -> web.Response:
        # SMA's 429 carries no Retry-After.
        return web.json_response(
            {"message": "Too many requests", "code": "429"}, status=429
        )

    async def token(self, request: web.Request) -> web.Response:
        """Issue tokens as Keycloak does, with SMA's rate limit and client kinds."""
        if request.content_type == "application/x-www-form-urlencoded":
            form = await request.post()
            client_id, _ = OAuthServer._client_credentials(request, form)
            if client_id and self._rate_limited(client_id):
                return self._too_many()
            if (
                form.get("grant_type") == "client_credentials"
                and client_id in self.code_clients
            ):
                # SMA's tutorial: code-flow credentials at the custom flow's
                # token request are refused as invalid_client.
                return OAuthServer._error(
                    "invalid_client", "Invalid client credentials"
                )
        return await self.oauth.token(request)

    async def logout(self, request: web.Request) -> web.Response:
        """End a session: its refresh token stops working."""
        if request.content_type != "application/x-www-form-urlencoded":
            return OAuthServer._error(
                "invalid_request", "Cannot consume content type", status=415
            )
        form = await request.post()
        client_id, secret = OAuthServer._client_credentials(request, form)
        if self.oauth.clients.get(client_id) != secret:
            return OAuthServer._error("invalid_client", "Invalid client credentials")
        refresh = str(form.get("refresh_token", ""))
        if self.oauth.refresh_tokens.pop(refresh, None) is None:
            return OAuthServer._error("invalid_grant", "Token is not active")
        self.logouts.append(client_id)
        return web.Response(status=204)

    def _caller(self, request: web.Request) -> IssuedToken | web.Response:
        issued = self.oauth.bearer(request)
        if issued is None:
            return web.json_response(
                {"message": "Unauthorized. Not authenticated.", "code": "401"},
                status=401,
            )
        if self._rate_limited(issued.client_id):
            return self._too_many()
        return issued

    # Consent ----------------------------------------------------------------

    def _consent_answer(self, login_hint: str, consent: Consent | None) -> web.Response:
        if consent is None:
            # Never requested: .NET's default date tells it.
            return web.json_response(
                {
                    "loginHint": login_hint,
                    "state": "pending",
                    "expirationDate": NEVER,
                    "interval": 0,
                }
            )
        self._age(consent, login_hint)
        return web.json_response(
            {
                "loginHint": login_hint,
                "state": consent.state,
                "expirationDate": _net_date(consent.expires_at or self.clock.now()),
                "interval": 1800,
            }
        )

    def _age(self, consent: Consent, login_hint: str) -> None:
        if consent.state != "pending" or consent.expires_at is None:
            return
        requested = consent.expires_at - self.consent_lifetime
        if (
            self.auto_accept_after is not None
            and self.clock.now() >= requested + self.auto_accept_after
        ):
            self._decide(consent, login_hint, "accepted")
        elif self.clock.now() >= consent.expires_at:
            consent.state = "expired"

    def _decide(self, consent: Consent, owner: str, state: str) -> None:
        state = {"accept": "accepted", "reject": "rejected", "revoke": "revoked"}.get(
            state, state
        )
        consent.state = state
        if state == "accepted":
            consent.scope = set(self.owners.get(owner, []))
        elif state == "revoked":
            consent.scope = set()

    @staticmethod
    def _not_owner(login_hint: str) -> web.Response:
        return web.json_response(
            {
                "message": f"User {login_hint} has no privileges as plant owner",
                "code": "400",
            },
            status=400,
        )

    async def post_consent(self, request: web.Request) -> web.Response:
        """Send the owner the consent e-mail (a new request each time)."""
        caller = self._caller(request)
        if isinstance(caller, web.Response):
            return caller
        if request.content_type != "application/json":
            return web.json_response(
                {"message": "Cannot consume content type", "code": "415"}, status=415
            )
        body = await request.json()
        login_hint = str(body.get("loginHint", "")) if isinstance(body, dict) else ""
        if login_hint not in self.owners:
            return self._not_owner(login_hint)
        consent = self.consents.setdefault((caller.client_id, login_hint), Consent())
        consent.state = "pending"
        consent.expires_at = self.clock.now() + self.consent_lifetime
        response = self._consent_answer(login_hint, consent)
        response.set_status(201)
        return response

    async def get_consent(self, request: web.Request) -> web.Response:
        """Tell where the consent of an owner stands."""
        caller = self._caller(request)
        if isinstance(caller, web.Response):
            return caller
        login_hint = request.match_info["hint"]
        if login_hint not in self.owners:
            return self._not_owner(login_hint)
        return self._consent_answer(
            login_hint, self.consents.get((caller.client_id, login_hint))
        )

    async def put_consent(self, request: web.Request) -> web.Response:
        """The sandbox's stand-in for the owner's decision."""
        caller = self._caller(request)
        if isinstance(caller, web.Response):
            return caller
        login_hint = request.match_info["hint"]
        consent = self.consents.get((caller.client_id, login_hint))
        if consent is None:
            return web.json_response(
                {"message": "No consent request for this user", "code": "404"},
                status=404,
            )
        # The body's shape is disputed (a bare string or an object): take both.
        body = await request.json()
        if isinstance(body, dict):
            body = body.get("state") or body.get("status") or body.get("newStatus")
        state = str(body).lower()
        if state not in {
            "accepted",
            "accept",
            "reject",
            "rejected",
            "revoked",
            "revoke",
        }:
            return web.json_response(
                {"message": f"Unknown state {body!r}", "code": "400"}, status=400
            )
        self._decide(consent, login_hint, state)
        return self._consent_answer(login_hint, consent)

    # Monitoring -------------------------------------------------------------

    def _visible(self, issued: IssuedToken) -> list[SimPlant]:
        if issued.client_id in self.code_clients:
            ids = list(self.owners.get(issued.subject, []))
        else:
            ids = []
            for (client, login_hint), consent in self.consents.items():
                if client == issued.client_id:
                    self._age(consent, login_hint)
                    ids += sorted(consent.scope)
        return [self.plants[plant_id] for plant_id in ids]

    def _plant(
        self, request: web.Request
    ) -> tuple[IssuedToken, SimPlant] | web.Response:
        caller = self._caller(request)
        if isinstance(caller, web.Response):
            return caller
        plant = self.plants.get(request.match_info["plant"])
        if plant is not None and plant.moved_to is not None:
            location = request.path.replace(
                f"/plants/{plant.plant_id}", f"/plants/{plant.moved_to}", 1
            )
            if request.query_string:
                location = f"{location}?{request.query_string}"
            return web.json_response(
                {"message": "Plant moved", "code": "308"},
                status=308,
                headers={"Location": location},
            )
        if plant is None or plant not in self._visible(caller):
            return web.json_response(
                {"message": "Forbidden", "code": "403"}, status=403
            )
        return caller, plant

    def _device(
        self, request: web.Request
    ) -> tuple[SimPlant, SimDevice] | web.Response:
        caller = self._caller(request)
        if isinstance(caller, web.Response):
            return caller
        for plant in self._visible(caller):
            for device in plant.devices:
                if device.device_id == request.match_info["device"]:
                    return plant, device
        return web.json_response({"message": "Forbidden", "code": "403"}, status=403)

    async def get_plants(self, request: web.Request) -> web.Response:
        """List the plants the token may read: none without consent."""
        caller = self._caller(request)
        if isinstance(caller, web.Response):
            return caller
        return web.json_response(
            {"plants": [plant.to_api() for plant in self._visible(caller)]}
        )

    async def get_plant(self, request: web.Request) -> web.Response:
        """Describe one plant."""
        found = self._plant(request)
        if isinstance(found, web.Response):
            return found
        _, plant = found
        return web.json_response(
            {**plant.summary(), "description": f"{plant.name} description"}
        )

    async def get_devices(self, request: web.Request) -> web.Response:
        """List a plant's devices; deactivated ones only when asked."""
        found = self._plant(request)
        if isinstance(found, web.Response):
            return found
        _, plant = found
        with_deactivated = request.query.get("WithDeactivatedDevices") == "true"
        return web.json_response(
            {
                "plant": plant.summary(),
                "devices": [
                    device.to_api()
                    for device in plant.devices
                    if device.active or with_deactivated
                ],
            }
        )

    async def get_set_names(self, request: web.Request) -> web.Response:
        """List the measurement sets of a device."""
        found = self._device(request)
        if isinstance(found, web.Response):
            return found
        plant, device = found
        return web.json_response(
            {
                "plant": plant.summary(),
                "device": {
                    "deviceId": device.device_id,
                    "name": device.name,
                    "timezone": plant.timezone,
                },
                "sets": list(device.sets),
            }
        )

    def _period(
        self, request: web.Request, plant: SimPlant
    ) -> tuple[str, list[datetime], date] | web.Response:
        period = request.match_info["period"]
        today = plant.local_now(self.clock).date()
        try:
            day = (
                date.fromisoformat(request.query["Date"])
                if "Date" in request.query
                else today
            )
        except ValueError:
            return web.json_response(
                {"message": "Invalid Date", "code": "400"}, status=400
            )
        if period == "Recent":
            latest = plant.day_points(today, self.clock) or plant.day_points(
                today - timedelta(days=1), self.clock
            )
            return period, latest[-1:], day
        if period == "Day":
            return period, plant.day_points(day, self.clock), day
        if period == "Week":
            week = (day + timedelta(days=offset) for offset in range(7))
            return (
                period,
                [end for d in week for end in plant.day_points(d, self.clock)],
                day,
            )
        return period, [], day

    @staticmethod
    def _resolution(plant: SimPlant) -> str:
        minutes = int(plant.resolution.total_seconds() // 60)
        return {5: "FiveMinutes", 15: "FifteenMinutes"}.get(minutes, "OneHour")

    @staticmethod
    def _time(moment: datetime) -> str:
        return moment.strftime("%Y-%m-%dT%H:%M:%S")

    async def get_energy_balance(self, request: web.Request) -> web.Response:
        """Return a plant's EnergyBalance over a period."""
        found = self._plant(request)
        if isinstance(found, web.Response):
            return found
        _, plant = found
        period = request.match_info["period"]
        self.balance_requests.append(
            (self.clock.now(), plant.plant_id, period, request.query.get("Date"))
        )
        if period in ("Month", "Year", "Total"):
            return self._energy_periods(request, plant, period)
        parsed = self._period(request, plant)
        if isinstance(parsed, web.Response):
            return parsed
        _, ends, _ = parsed
        items = [{"time": self._time(end), **plant.balance(end)} for end in ends]
        body: dict[str, Any] = {
            "plant": plant.summary(),
            "setType": "EnergyBalance",
            "resolution": self._resolution(plant),
            "set": items,
        }
        if request.query.get("WithTotal") == "true":
            body["total"] = _energy_total(items, plant.resolution)
        return web.json_response(body)

    def _energy_periods(
        self, request: web.Request, plant: SimPlant, period: str
    ) -> web.Response:
        today = plant.local_now(self.clock).date()
        raw = request.query.get("Date", "")
        buckets: dict[date, dict[str, float]] = {}
        day = plant.commissioned
        while day <= today:
            if period == "Month" and raw != day.strftime("%Y-%m"):
                day += timedelta(days=1)
                continue
            if period == "Year" and raw != day.strftime("%Y"):
                day += timedelta(days=1)
                continue
            key = {
                "Month": day,
                "Year": day.replace(day=1),
                "Total": day.replace(month=1, day=1),
            }[period]
            bucket = buckets.setdefault(key, {})
            factor = plant.total_factor if period == "Total" else 1.0
            for name, value in plant.day_energy(day, self.clock).items():
                bucket[name] = bucket.get(name, 0.0) + value * factor
            day += timedelta(days=1)
        return web.json_response(
            {
                "plant": plant.summary(),
                "setType": "EnergyBalance",
                "resolution": {
                    "Month": "OneDay",
                    "Year": "OneMonth",
                    "Total": "OneYear",
                }[period],
                "set": [
                    {
                        "time": self._time(datetime.combine(key, time())),
                        **{name: round(value, 3) for name, value in values.items()},
                    }
                    for key, values in sorted(buckets.items())
                ],
            }
        )

    async def get_device_set(self, request: web.Request) -> web.Response:
        """Return a device's measurement set over Recent or Day."""
        found = self._device(request)
        if isinstance(found, web.Response):
            return found
        plant, device = found
        set_type = request.match_info["set"]
        if set_type not in device.sets:
            return web.json_response(
                {"message": f"Set {set_type} not available", "code": "400"}, status=400
            )
        parsed = self._period(request, plant)
        if isinstance(parsed, web.Response):
            return parsed
        _, ends, _ = parsed
        # ReturnEnergyValues: the EnergyAndPower* sets give Wh per interval.
        hours = (
            plant.resolution.total_seconds() / 3600
            if request.query.get("ReturnEnergyValues") == "true"
            and set_type.startswith("EnergyAndPower")
            else None
        )
        items = [
            {
                "time": self._time(end),
                **{
                    key: round(value * hours, 3)
                    if hours is not None and key in DEVICE_ENERGY_FIELDS
                    else value
                    for key, value in device_values(
                        plant, device, set_type, end
                    ).items()
                },
            }
            for end in ends
        ]
        body: dict[str, Any] = {
            "plant": plant.summary(),
            "device": {
                "deviceId": device.device_id,
                "name": device.name,
                "timezone": plant.timezone,
            },
            "setType": set_type,
            "resolution": self._resolution(plant),
            "set": items,
        }
        if request.query.get("WithTotal") == "true":
            body["total"] = _energy_total(
                items, timedelta(hours=1) if hours is not None else plant.resolution
            )
        return web.json_response(body)

    # GridControl ------------------------------------------------------------

    async def post_eligibility(self, request: web.Request) -> web.Response:
        """Say which plants accept FeedInLimit."""
        caller = self._caller(request)
        if isinstance(caller, web.Response):
            return caller
        body = await request.json()
        visible = {plant.plant_id: plant for plant in self._visible(caller)}
        results = []
        for identifier in body.get("identifiers", []):
            plant = visible.get(str(identifier.get("value")))
            results.append(
                {
                    "identifier": identifier,
                    "eligibleCommands": ["FeedInLimit"]
                    if plant is not None and plant.grid_control
                    else [],
                }
            )
        return web.json_response({"results": results})

    async def post_schedule(self, request: web.Request) -> web.Response:
        """Accept a FeedInLimit schedule for an eligible plant."""
        found = self._plant(request)
        if isinstance(found, web.Response):
            return found
        _, plant = found
        if not plant.grid_control:
            return web.json_response(
                {"message": "Plant is not eligible for FeedInLimit", "code": "409"},
                status=409,
            )
        body = await request.json()
        problem = _schedule_problem(body)
        if problem is not None:
            return web.json_response({"message": problem, "code": "400"}, status=400)
        self.schedules.setdefault(plant.plant_id, []).append(body)
        return web.json_response(
            {
                "scheduleId": f"schedule-{len(self.schedules[plant.plant_id])}",
                "state": "Accepted",
            },
            status=201,
        )


DEVICE_ENERGY_FIELDS = frozenset(
    {
        "pvGeneration",
        "batteryCharging",
        "batteryDischarging",
        "gridFeedIn",
        "gridConsumption",
        "consumption",
    }
)


def _energy_total(items: list[dict[str, Any]], step: timedelta) -> dict[str, float]:
    """Return the Wh of each energy field over intervals of power (or of Wh, step 1 h)."""
    hours = step.total_seconds() / 3600
    total: dict[str, float] = {}
    for item in items:
        for key, value in item.items():
            if key in ENERGY_FIELDS or key in DEVICE_ENERGY_FIELDS:
                total[key] = total.get(key, 0.0) + value * hours
    return {key: round(value, 3) for key, value in total.items()}


def _schedule_problem(body: Any) -> str | None:
    """Return what is wrong with a schedule body, or None."""
    commands = body.get("commands") if isinstance(body, dict) else None
    if not isinstance(commands, list) or not commands:
        return "A schedule needs commands"
    for command in commands:
        if command.get("commandType") != "FeedInLimit":
            return f"Unsupported command {command.get('commandType')!r}"
        if command.get("unit") not in LIMIT_UNITS:
            return f"Unsupported unit {command.get('unit')!r}"
        value = command.get("value")
        if not isinstance(value, int | float) or value < 0:
            return "The value must be a number >= 0"
        if command["unit"] == "Percent" and value > 100:
            return "A percentage must be <= 100"
        try:
            datetime.fromisoformat(command["start"])
        except KeyError, TypeError, ValueError:
            return "The start must be an ISO 8601 time"
        duration = command.get("duration")
        if duration is not None and (not isinstance(duration, int) or duration <= 0):
            return "The duration must be a positive number of seconds"
    return None


# The accounts ----------------------------------------------------------------

# fmt: off
# (id, name, type, product, productId, serial, generatorPower, sets): SMA's
# sandbox "Testplant 1" as captured (solarnetwork_sma-devices-01.json); the
# sets follow the sandbox inverter's captured list.
SANDBOX_DEVICES = [
    ("14", "Satellit Sensor", "Sensor technology", "Satellite Sensor", 200053, None, None, ("Sensor",)),
    ("15", "MyTestLdm1", "Monitoring and control", "EDMM-10", 9397, "234534635778", None, ()),
    ("16", "My Inverter 1", "Solar Inverters", "STP 6000TL-20", 9099, "3421111", 6000.0, ("Sensor", "EnergyAndPowerPv", "PowerDc", "PowerAc")),
    ("17", "My Inverter 2", "Solar Inverters", "STP 5000TL-20", 9098, "9687867", 5000.0, ("EnergyAndPowerPv", "PowerDc", "PowerAc")),
    ("18", "My Falcon 3", "Solar Inverters", "SB3.6-1AV-40", 9320, "463688", 3600.0, ("EnergyAndPowerPv", "PowerDc", "PowerAc")),
    ("19", "My Battery 1", "Battery Inverter", "SBS6.0-10", 9359, "4562245", None, ("EnergyAndPowerBattery",)),
    ("20", "My Energy Meter 1", "Monitoring and control", "Energy Meter", 9307, "567811567", None, ("EnergyAndPowerInOut",)),
    ("21", "My Gas Meter 1", "Monitoring and control", "Energy Meter", 9307, "89781197", None, ()),
    ("22", "My Consumer 1", "Monitoring and control", "Remote Socket", 9111, "5411674564", None, ("EnergyAndPowerConsumption",)),
    ("23", "My ChargingStation 1", "Solar Inverters", "STP50-41", 9431, "1334234534", None, ("EnergyAndPowerConsumption",)),
]
# "TestPlant2" gets the pair of solarnetwork_sma-devices-02.json, one deactivated.
SECOND_PLANT_DEVICES = [
    ("25", "My Inverter 1", "Solar Inverters", "STP 6000TL-20", 9099, "3421112", 6000.0, ("EnergyAndPowerPv", "PowerAc")),
    ("26", "My Inverter 2", "Solar Inverters", "STP 5000TL-20", 9098, "9687868", 5000.0, ("EnergyAndPowerPv",)),
]
# The captured ennexOS plant "Site 1" (solarnetwork_sma-plants-01.json).
SITE_1_INSTALLATION = {
    "peakPower": 184000.0, "acNominalPower": 184000.0, "calcAcNominalPower": 148920.0,
    "dcPowerInputMax": 216000.0, "co2SavingsFactor": 649, "startUpUtc": "2021-11-03T00:00:00",
    "orientation": {"azimuth": 28, "collectorSlope": 24},
}
SITE_1_LOCATION = {
    "currencyCode3": "USD",
    "address": {
        "country": "US", "federalState": "Massachusetts", "city": "Anytown", "zipCode": "00001",
        "street": "Main Street", "streetNo": "123", "longitude": -71.07, "latitude": 42.38,
    },
}
DEMO_DEVICES = {
    "7190000": [
        ("11260000", "WR8KU002 SN:2001500000", "Solar Inverters", "STP 8000TL-20", 9099, "2001500000", 8000.0, ("EnergyAndPowerPv", "PowerDc", "PowerAc")),
    ],
    "classic": [
        ("9001", "Sunny Home Manager 2.0", "Monitoring and control", "SHM 2.0", 9343, "3004000001", None, ("EnergyAndPowerInOut",)),
        ("9002", "SB 5.0", "Solar Inverters", "SB5.0-1AV-41", 9319, "3004000002", 5000.0, ("EnergyAndPowerPv", "PowerAc")),
    ],
}
# fmt: on


def _devices(rows: list[tuple[Any, ...]]) -> list[SimDevice]:
    return [
        SimDevice(
            device_id=device_id,
            name=name,
            type=kind,
            product=product,
            product_id=product_id,
            serial=serial,
            generator_power=power,
            sets=sets,
        )
        for device_id, name, kind, product, product_id, serial, power, sets in rows
    ]


def sandbox_plants() -> list[SimPlant]:
    """Return SMA's sandbox plants "Testplant 1" to "TestPlant4".

    The sandbox simulates ennexOS plants with 15-minute data.
    """
    quarter = timedelta(minutes=15)
    second = _devices(SECOND_PLANT_DEVICES)
    second[1].active = False
    second[1].deactivated_at = "2019-04-07T12:30:02"
    return [
        SimPlant(
            plant_id="13",
            name="Testplant 1",
            peak_power=14600.0,
            battery=True,
            resolution=quarter,
            grid_control=True,
            devices=_devices(SANDBOX_DEVICES),
        ),
        SimPlant(
            plant_id="24",
            name="TestPlant2",
            peak_power=5000.0,
            resolution=quarter,
            devices=second,
        ),
        SimPlant(
            plant_id="35", name="TestPlant3", peak_power=3000.0, resolution=quarter
        ),
        SimPlant(
            plant_id="46", name="TestPlant4", peak_power=3000.0, resolution=quarter
        ),
    ]


CLASSIC_PLANT = "2f8e3b1c-4d5a-4e6f-9a0b-1c2d3e4f5a6b"
MIGRATING_PLANT = "7c1d2e3f-0a1b-4c2d-8e3f-4a5b6c7d8e9f"


def demo_owner_plants() -> list[SimPlant]:
    """Return the plants of the demo owner: one of each kind SMA has.

    "Site 1" is an ennexOS plant with 5-minute data and a battery; the
    classic plants have GUID ids and data two hours late; SMA is about to
    move one of them to a new id (308).
    """
    return [
        SimPlant(
            plant_id="7190000",
            name="Site 1",
            timezone="America/New_York",
            peak_power=184000.0,
            battery=True,
            grid_control=True,
            installation=SITE_1_INSTALLATION,
            location=SITE_1_LOCATION,
            devices=_devices(DEMO_DEVICES["7190000"]),
        ),
        SimPlant(
            plant_id=CLASSIC_PLANT,
            name="Home Manager plant",
            peak_power=9800.0,
            resolution=timedelta(minutes=15),
            lag=timedelta(hours=2),
            grid_control=True,
            devices=_devices(DEMO_DEVICES["classic"]),
        ),
        SimPlant(
            plant_id=MIGRATING_PLANT,
            name="Cottage",
            peak_power=4000.0,
            resolution=timedelta(minutes=15),
            lag=timedelta(hours=2),
        ),
    ]


def demo_simulator() -> SmaSimulator:
    """Return the simulator the demo serves.

    Custom flow: client ``custom-client`` / ``custom-secret``, owners
    ``apiTestUser@apiSandbox.com`` (the sandbox plants) and
    ``owner@example.com``; owners accept 20 s after a request. Code flow:
    application credential ``code-client`` / ``code-secret``, signing in as
    the sandbox owner.
    """
    simulator = SmaSimulator()
    for plant in demo_owner_plants():
        simulator.add_plant(plant, owner=DEMO_OWNER)
    simulator.auto_accept_after = timedelta(seconds=20)
    return simulator
