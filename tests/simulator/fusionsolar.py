"""A simulator of Huawei's SmartPVMS (FusionSolar) Northbound API.

Stateful and clock-driven: plants produce along a daily sun curve in their
own time zone, batteries charge from the surplus, meters count what goes to
and comes from the grid. It answers like the real service, quirks included:
numbers as strings, ``"N/A"``, an empty body for a wrong password, one
session per account with a 30-minute sliding token, 305 on a session another
login took over, 407 beyond the documented flow control (independently
implemented here from Huawei's reference), a lock-out after five wrong
passwords, 20609 for plants whose networking cannot answer configuration
queries, and control tasks that run for a while before they succeed, or fail
when a test says so. OAuth Connect tokens of the mounted authorization server
are accepted as bearer tokens. The history interfaces answer from a ledger of
what the plants integrate, their past before the simulator started included
(``fusionsolar_history``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
import itertools
import math
import secrets
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from .core import VendorSimulator
from .fusionsolar_history import (
    STEP,
    UNCOMMISSIONED_HISTORY,
    Flow,
    Ledger,
    PastSettings,
    Period,
    buckets,
    daily_truth,
    device_item,
    fill_past,
    hourly_truth,
    local_midnight,
    plant_item,
    revise_hour,
)
from .oauth import OAuthServer

SESSION_IDLE = timedelta(minutes=30)
LOGIN_WINDOW = timedelta(minutes=10)
LOCK_OUT = timedelta(minutes=30)
INTEGRATION_STEP = STEP
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

CONTROL_ROUTES = {
    "battery_mode_task",
    "battery_mode_task_info",
    "battery_config_task",
    "battery_config_task_info",
    "power_control_task",
    "power_control_task_info",
    "charge_discharge_task",
    "charge_discharge_status",
}
"""Routes an OAuth Connect token needs the pvms.openapi.control scope for."""

INVERTERS = {1, 38}
BATTERIES = {39, 41}
METERS = {17, 47, 23070}


# Flow control, as Huawei documents it ----------------------------------------


@dataclass(frozen=True, kw_only=True)
class Rule:
    """Calls an account may make of one interface per window."""

    window: timedelta
    calls: Callable[[SimAccount], int]
    spacing: timedelta = timedelta()


def _per_100(count: int) -> int:
    return max(1, math.ceil(count / 100))


def _device_calls(account: SimAccount) -> int:
    counts: dict[int, int] = {}
    for plant in account.plants:
        for device in plant.devices:
            counts[device.type_id] = counts.get(device.type_id, 0) + 1
    return max(1, sum(_per_100(count) for count in counts.values()))


RULES: dict[str, Rule] = {
    "login": Rule(window=LOGIN_WINDOW, calls=lambda _: 5),
    "logout": Rule(window=LOGIN_WINDOW, calls=lambda _: 5),
    "getStationList": Rule(
        window=timedelta(days=1), calls=lambda _: 24, spacing=timedelta(minutes=1)
    ),
    "stations": Rule(
        window=timedelta(days=1),
        calls=lambda a: _per_100(len(a.plants)) + 24,
        spacing=timedelta(minutes=1),
    ),
    "getStationRealKpi": Rule(
        window=timedelta(minutes=5),
        calls=lambda a: _per_100(len(a.plants)),
        spacing=timedelta(minutes=1),
    ),
    "getDevList": Rule(
        window=timedelta(days=1),
        calls=lambda a: _per_100(len(a.plants)) + 24,
        spacing=timedelta(minutes=1),
    ),
    "getDevRealKpi": Rule(window=timedelta(minutes=5), calls=_device_calls),
    **{
        f"getKpiStation{period}": Rule(
            window=timedelta(days=1),
            calls=lambda a: _per_100(len(a.plants)) + 24,
            spacing=timedelta(minutes=1),
        )
        for period in Period
    },
    **{
        f"getDevKpi{period}": Rule(
            window=timedelta(days=1),
            calls=lambda a: _device_calls(a) + 24,
            spacing=timedelta(minutes=1),
        )
        for period in (Period.DAY, Period.MONTH, Period.YEAR)
    },
    "getAlarmList": Rule(
        window=timedelta(minutes=30),
        calls=lambda a: max(_per_100(len(a.plants)), _device_calls(a)),
    ),
}


# The plant model -----------------------------------------------------------------


@dataclass(kw_only=True)
class SimDevice:
    """A device as the device list reports it."""

    id: int
    name: str
    type_id: int
    serial: str | None = None
    model: str | None = None
    software: str | None = None


@dataclass(kw_only=True)
class SimAlarm:
    """An alarm of a plant."""

    alarm_id: int
    name: str
    device_name: str
    level: int
    status: int
    raised: datetime


@dataclass(kw_only=True)
class SimPlant:
    """A plant: its devices, settings and energy flows."""

    code: str
    name: str
    capacity_kw: float
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    grid_connected: str | None = "2022-09-01T10:00:00+02:00"
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Berlin"))
    devices: list[SimDevice] = field(default_factory=list)
    alarms: list[SimAlarm] = field(default_factory=list)
    control_supported: bool = True
    load_kw: float = 0.5
    battery_kwh: float = 10.0
    battery_max_w: float = 5000.0
    price: float = 0.12

    # Settings the control API reads and changes.
    battery_mode: dict[str, Any] = field(
        default_factory=lambda: {"operationMode": "maximumSelfConsumption"}
    )
    power_control: dict[str, Any] = field(
        default_factory=lambda: {"controlMode": "noLimit"}
    )
    battery_config: dict[str, Any] = field(
        default_factory=lambda: {
            "endOfChargeSoc": 100,
            "endOfDischargeSoc": 5,
            "maximumChargePower": 5000,
            "maximumDischargePower": 5000,
        }
    )
    forced: tuple[int, float, datetime] | None = None
    """(switch 1 charge / 2 discharge, W, until) of a forced battery task."""

    # History (fusionsolar_history).
    commissioned: datetime | None = None
    """Where the generated past starts; None: ``grid_connected``, else a year
    before the first advance."""
    history_start: datetime | None = None
    """The cloud keeps no data of hours that start before this."""
    totals_include_history: bool = False
    """True: the lifetime and daily counters start from the generated past
    (lifetime = initial value + the whole ledger), not from the initial
    values alone."""
    advanced_since: datetime | None = None
    past_settings: PastSettings | None = None
    ledger: Ledger = field(init=False, repr=False, compare=False)

    # Energy state.
    soc: float = 60.0
    pv_total: float = 1380.5
    export_total: float = 322.32
    import_total: float = 583.08
    charged_total: float = 100.0
    discharged_total: float = 90.0
    pv_day: float = 0.0
    pv_month: float = 0.0
    export_day: float = 0.0
    use_day: float = 0.0
    charged_day: float = 0.0
    discharged_day: float = 0.0
    income_total: float = 535.794
    pv_power: float = 0.0
    grid_power: float = 0.0
    battery_power: float = 0.0
    last: datetime | None = None

    def __post_init__(self) -> None:
        """Start with an empty ledger."""
        self.ledger = Ledger(tz=self.tz)

    def of_types(self, types: Iterable[int]) -> list[SimDevice]:
        """Return the plant's devices of these types."""
        wanted = set(types)
        return [device for device in self.devices if device.type_id in wanted]

    @property
    def has_battery(self) -> bool:
        """Return whether the plant has a battery."""
        return bool(self.of_types(BATTERIES))

    @property
    def has_meter(self) -> bool:
        """Return whether the plant measures what goes to and from the grid."""
        return bool(self.of_types(METERS))

    def commissioning(self) -> datetime:
        """Return where the generated past starts (after the first advance)."""
        if self.commissioned is not None:
            return self.commissioned
        if self.grid_connected is not None:
            return datetime.fromisoformat(self.grid_connected)
        assert self.advanced_since is not None
        return self.advanced_since - UNCOMMISSIONED_HISTORY

    def feed_in_limit_kw(self) -> float | None:
        """Return the limit on export (kW), if any."""
        mode = self.power_control.get("controlMode")
        if mode == "zeroExportLimitation":
            return 0.0
        if mode == "limitedPowerGridKW":
            params = self.power_control.get("limitedPowerGridValueParam") or {}
            return float(params.get("maxGridFeedInPowerValue", 0))
        if mode == "limitedPowerGridPercent":
            params = self.power_control.get("limitedPowerGridPercentParam") or {}
            return (
                self.capacity_kw
                * float(params.get("maxGridFeedInPowerPercent", 100))
                / 100
            )
        return None

    def _powers(
        self,
        at: datetime,
        offset: timedelta | None = None,
        *,
        soc: float | None = None,
        past: PastSettings | None = None,
    ) -> tuple[float, float, float, float]:
        """Return PV, load, battery (+ charge) and grid (+ export) power in kW.

        With ``past``: as the plant ran before the simulator first advanced
        it, at the state of charge ``soc``, without forced tasks.
        """
        soc = self.soc if soc is None else soc
        local = at + offset if offset is not None else at.astimezone(self.tz)
        hour = local.hour + local.minute / 60 + local.second / 3600
        sun = max(0.0, math.sin(math.pi * (hour - 6) / 14)) if 6 < hour < 20 else 0.0
        clouds = 0.9 + 0.1 * math.sin(hour * 7.3)
        pv = round(self.capacity_kw * 0.7 * sun * clouds, 3)
        load = self.load_kw + 0.6 * math.exp(-((hour - 19) ** 2) / 3)
        battery = 0.0
        if self.has_battery:
            config = self.battery_config if past is None else past.battery_config
            top = float(config.get("endOfChargeSoc", 100))
            bottom = float(config.get("endOfDischargeSoc", 5))
            max_charge = (
                float(config.get("maximumChargePower", self.battery_max_w)) / 1000
            )
            max_discharge = (
                float(config.get("maximumDischargePower", self.battery_max_w)) / 1000
            )
            if past is None and self.forced is not None and at < self.forced[2]:
                switch, watts, _ = self.forced
                battery = watts / 1000 if switch == 1 else -abs(watts) / 1000
            else:
                battery = max(-max_discharge, min(max_charge, pv - load))
            if (battery > 0 and soc >= top) or (battery < 0 and soc <= bottom):
                battery = 0.0
        grid = pv - load - battery
        limit = self.feed_in_limit_kw() if past is None else past.feed_in_limit
        if limit is not None and grid > limit:
            pv -= grid - limit
            grid = limit
        return pv, load, battery, grid

    def advance(self, now: datetime) -> None:
        """Integrate the energy flows up to ``now``, into the ledger too."""
        if self.last is None:
            self.last = self.advanced_since = now
            self.ledger.tz = self.tz
            self.past_settings = PastSettings(
                battery_config=dict(self.battery_config),
                feed_in_limit=self.feed_in_limit_kw(),
            )
            if self.totals_include_history:
                self._count_past(now)
            _, _, self.battery_power, self.grid_power = self._powers(now)
            self.pv_power = self._powers(now)[0]
        # One UTC offset per call: a simulator may be an hour off on DST days.
        offset = now.astimezone(self.tz).utcoffset() or timedelta()
        while self.last < now:
            step_end = min(now, self.last + INTEGRATION_STEP)
            hours = (step_end - self.last).total_seconds() / 3600
            before, after = self.last + offset, step_end + offset
            if after.date() != before.date():
                self.pv_day = self.export_day = self.use_day = 0.0
                self.charged_day = self.discharged_day = 0.0
                if after.month != before.month:
                    self.pv_month = 0.0
            pv, load, battery, grid = self._powers(step_end, offset)
            self.pv_total += pv * hours
            self.pv_day += pv * hours
            self.pv_month += pv * hours
            self.use_day += load * hours
            self.income_total += pv * hours * self.price
            if grid > 0:
                self.export_total += grid * hours
                self.export_day += grid * hours
            else:
                self.import_total += -grid * hours
            if battery > 0:
                self.charged_day += battery * hours
                self.charged_total += battery * hours
            else:
                self.discharged_day += -battery * hours
                self.discharged_total += -battery * hours
            self.soc = max(
                0.0, min(100.0, self.soc + battery * hours / self.battery_kwh * 100)
            )
            self.pv_power, self.grid_power, self.battery_power = pv, grid, battery
            self.ledger.add(
                self.last,
                step_end,
                (
                    pv * hours,
                    max(grid, 0.0) * hours,
                    max(-grid, 0.0) * hours,
                    load * hours,
                    max(battery, 0.0) * hours,
                    max(-battery, 0.0) * hours,
                ),
            )
            self.last = step_end

    def _count_past(self, now: datetime) -> None:
        """Add the generated past to the counters (``totals_include_history``)."""
        fill_past(self)
        local = now.astimezone(self.tz).date()
        today = local_midnight(self.tz, local)
        month = local_midnight(self.tz, local.replace(day=1))
        pv, export, imported, _, charged, discharged = (
            self.ledger.total(EPOCH, now) or [0.0] * 6
        )
        self.pv_total += pv
        self.export_total += export
        self.import_total += imported
        self.charged_total += charged
        self.discharged_total += discharged
        self.income_total += pv * self.price
        day = self.ledger.total(today, now) or [0.0] * 6
        self.pv_day, self.export_day, self.use_day = day[0], day[1], day[3]
        self.charged_day, self.discharged_day = day[4], day[5]
        self.pv_month = (self.ledger.total(month, now) or [0.0])[0]


# Accounts and tasks -----------------------------------------------------------------


@dataclass(kw_only=True)
class SimAccount:
    """A northbound user and its plants."""

    username: str
    password: str
    plants: list[SimPlant]
    denied: set[str] = field(default_factory=set)
    """Interfaces (route names) the account has no right to (failCode 401)."""
    owner_denied: set[str] = field(default_factory=set)
    """Interfaces the plant owner did not authorize (failCode 20056)."""
    token: str | None = None
    token_used: datetime | None = None
    failed_logins: deque[datetime] = field(default_factory=deque)
    locked_until: datetime | None = None
    calls: dict[str, deque[datetime]] = field(default_factory=dict)
    refused: int = 0

    def plant(self, code: str) -> SimPlant | None:
        """Return a plant of the account."""
        return next((plant for plant in self.plants if plant.code == code), None)


@dataclass(kw_only=True)
class SimTask:
    """A control task delivered to one plant."""

    task_id: str
    kind: str
    plant: SimPlant
    payload: dict[str, Any]
    delivered: datetime
    done_at: datetime
    outcome: str
    message: str | None
    applied: bool = False


def envelope(
    data: Any = None,
    *,
    fail_code: int = 0,
    message: str | None = None,
    params: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Return the Northbound answer envelope."""
    body: dict[str, Any] = {
        "success": fail_code == 0,
        "failCode": fail_code,
        "message": message,
        "data": data,
    }
    if params is not None or now is not None:
        body["params"] = {
            **(params or {}),
            "currentTime": int((now.timestamp() if now else 0) * 1000),
        }
    else:
        body["params"] = None
    return body


class FusionSolarSimulator(VendorSimulator):
    """The SmartPVMS Northbound API of one regional host."""

    vendor = "fusionsolar"

    def __init__(self, accounts: Iterable[SimAccount] = ()) -> None:
        """Serve these accounts."""
        super().__init__()
        self.accounts: dict[str, SimAccount] = {a.username: a for a in accounts}
        self.oauth = OAuthServer(
            clock=self.clock,
            clients={"fusionsolar-client": "fusionsolar-secret"},
            access_token_lifetime=timedelta(hours=1),
        )
        self.wrong_password_answer = "empty"
        """How a wrong password is answered: "empty", "20400" or "20001"."""
        self.token_in_header = True
        """False: the token comes only as the XSRF-TOKEN cookie."""
        self.enforce_flow_control = True
        self.pv_yield_fields = True
        """False: history answers lack PVYield and inverterYield (before 24.5.0)."""
        self.task_delay = timedelta(seconds=30)
        """How long a control task runs before it finishes."""
        self.task_outcomes: dict[str, deque[tuple[str, str | None]]] = {}
        self.tasks: dict[str, list[SimTask]] = {}
        self.dispatches: dict[int, list[dict[str, Any]]] = {}
        self._request_ids = itertools.count(1_000_000_001)

    # Test helpers -----------------------------------------------------------

    def fail_next_task(self, plant_code: str, message: str = "FAILURE") -> None:
        """Make the next control task at the plant fail (TIMEOUT, BUSY, ...)."""
        self.task_outcomes.setdefault(plant_code, deque()).append(("FAIL", message))

    def steal_session(self, username: str) -> None:
        """Log in elsewhere with the account: its current token stops working."""
        self.accounts[username].token = secrets.token_hex(16)

    def refused_calls(self) -> int:
        """Return how many calls flow control refused (407), all accounts."""
        return sum(account.refused for account in self.accounts.values())

    def plant(self, code: str) -> SimPlant:
        """Return a plant of any account."""
        for account in self.accounts.values():
            if (plant := account.plant(code)) is not None:
                return plant
        raise KeyError(code)

    # History test hooks ---------------------------------------------------------

    def _history_of(self, plant: SimPlant, now: datetime | None = None) -> SimPlant:
        """Bring a plant's ledger up to now, its generated past included."""
        plant.advance(now or self.clock.now())
        fill_past(plant)
        return plant

    def truth(
        self, plant_code: str, start: datetime, end: datetime
    ) -> dict[datetime, dict[Flow, float]]:
        """Return kWh per flow of each hour with data from ``start`` to ``end``.

        Straight from the plant's ledger, up to now, corrections included,
        rounded as the hourly interface answers them.
        """
        return hourly_truth(self._history_of(self.plant(plant_code)), start, end)

    def daily_truth(
        self, plant_code: str, start: date, end: date
    ) -> dict[date, dict[Flow, float]]:
        """Return kWh per flow of each plant-local day with data, start to before end.

        As the daily interface answers them (each day's sum, rounded).
        """
        return daily_truth(self._history_of(self.plant(plant_code)), start, end)

    def device_truth(
        self, device_id: int, start: datetime, end: datetime
    ) -> dict[datetime, dict[Flow, float]]:
        """Return the hours of a battery or ESS (charge, discharge) or inverter (pv).

        Each device of a kind has an equal share of the plant's flows.
        """
        plant, device = self._device(device_id)
        if device.type_id in INVERTERS:
            kinds, flows = INVERTERS, {Flow.PV}
        elif device.type_id in BATTERIES:
            kinds, flows = BATTERIES, {Flow.CHARGE, Flow.DISCHARGE}
        else:
            raise ValueError(f"Device type {device.type_id} keeps no history")
        share = 1 / len(plant.of_types(kinds))
        hours = hourly_truth(self._history_of(plant), start, end, share=share)
        return {
            hour: {flow: kwh for flow, kwh in values.items() if flow in flows}
            for hour, values in hours.items()
        }

    def revise(
        self, plant_code: str, hour: datetime, flow: Flow | str, kwh: float
    ) -> None:
        """Correct a past hour: the cloud reports ``kwh`` for ``flow`` from now on.

        Only the history changes (and :meth:`truth`), not the live counters.
        """
        revise_hour(self._history_of(self.plant(plant_code)), hour, Flow(flow), kwh)

    def keep_history_from(self, plant_code: str, start: datetime | None) -> None:
        """Make the cloud keep no data of the plant's hours that start before ``start``."""
        self.plant(plant_code).history_start = start

    def _device(self, device_id: int) -> tuple[SimPlant, SimDevice]:
        for account in self.accounts.values():
            for plant in account.plants:
                for device in plant.devices:
                    if device.id == device_id:
                        return plant, device
        raise KeyError(device_id)

    # Routes -------------------------------------------------------------------

    def add_routes(self, router: web.UrlDispatcher) -> None:
        """Add the Northbound routes and the OAuth Connect endpoints."""
        third = "/thirdData"
        nbi = "/rest/openapi/pvms/nbi"
        router.add_post(f"{third}/login", self.login, name="login")
        router.add_post(f"{third}/logout", self.logout, name="logout")
        for name, handler in (
            ("stations", self.stations),
            ("getStationList", self.station_list),
            ("getStationRealKpi", self.station_real_kpi),
            ("getDevList", self.dev_list),
            ("getDevRealKpi", self.dev_real_kpi),
            ("getAlarmList", self.alarm_list),
            *(
                (f"getKpiStation{period}", self._plant_history(period))
                for period in Period
            ),
            *(
                (f"getDevKpi{period}", self._device_history(period))
                for period in (Period.DAY, Period.MONTH, Period.YEAR)
            ),
        ):
            router.add_post(f"{third}/{name}", self._authed(name, handler), name=name)
        for path, name, handler in (
            ("v1/configuration/battery-mode", "battery_mode", self.battery_mode),
            (
                "v1/configuration/active-power-control-mode",
                "power_control_mode",
                self.power_control_mode,
            ),
            (
                "v1/control/battery/mode/async-task",
                "battery_mode_task",
                self._deliverer("battery_mode"),
            ),
            (
                "v1/control/battery/mode/task-info",
                "battery_mode_task_info",
                self.task_info,
            ),
            (
                "v1/control/battery/configuration/async-task",
                "battery_config_task",
                self._deliverer("battery_config"),
            ),
            (
                "v1/control/battery/configuration/task-info",
                "battery_config_task_info",
                self.task_info,
            ),
            (
                "v2/control/active-power-control/async-task",
                "power_control_task",
                self._deliverer("power_control"),
            ),
            (
                "v2/control/active-power-control/task-info",
                "power_control_task_info",
                self.task_info,
            ),
            (
                "v2/control/charge-and-discharge/async-task",
                "charge_discharge_task",
                self.charge_discharge,
            ),
        ):
            router.add_post(f"{nbi}/{path}", self._authed(name, handler), name=name)
        router.add_post(
            "/rest/openapi/pvms/v1/vpp/chargeAndDischargeStatus",
            self._authed("charge_discharge_status", self.charge_discharge_status),
            name="charge_discharge_status",
        )
        self.oauth.add_routes(
            router,
            authorize_path="/rest/dp/uidm/oauth2/v1/authorize",
            token_path="/rest/dp/uidm/oauth2/v1/token",
        )

    def render_vendor_error(self, request: web.Request, error: Any) -> web.Response:
        """Answer with a failCode (an int) the way the service does."""
        data = "ACCESS_FREQUENCY_IS_TOO_HIGH" if error == 407 else None
        return web.json_response(
            envelope(data, fail_code=int(error), now=self.clock.now())
        )

    # Session --------------------------------------------------------------------

    async def login(self, request: web.Request) -> web.Response:
        """Log a northbound user in: the token comes as header and cookie."""
        now = self.clock.now()
        body = await _json(request)
        account = self.accounts.get(str(body.get("userName")))
        if account is not None:
            if account.locked_until is not None and now < account.locked_until:
                return web.json_response(
                    envelope(fail_code=20403, message="LOGIN_RESTRICTED", now=now)
                )
            if not self._allow(account, "login", now):
                return self._too_frequent(now)
        if account is None or body.get("systemCode") != account.password:
            if account is not None:
                self._count_failure(account, now)
            if self.wrong_password_answer == "empty":
                return web.Response(status=200, body=b"")
            code = int(self.wrong_password_answer)
            return web.json_response(
                envelope(fail_code=code, message="USER_OR_VALUE_INVALID", now=now)
            )
        account.failed_logins.clear()
        account.token = f"x-{secrets.token_hex(24)}"
        account.token_used = now
        response = web.json_response(envelope())
        if self.token_in_header:
            response.headers["xsrf-token"] = account.token
        response.headers["Set-Cookie"] = f"XSRF-TOKEN={account.token};Path=/;Secure"
        return response

    def _count_failure(self, account: SimAccount, now: datetime) -> None:
        account.failed_logins.append(now)
        while account.failed_logins and account.failed_logins[0] <= now - LOGIN_WINDOW:
            account.failed_logins.popleft()
        if len(account.failed_logins) >= 5:
            account.locked_until = now + LOCK_OUT

    async def logout(self, request: web.Request) -> web.Response:
        """End a session."""
        now = self.clock.now()
        token = (await _json(request)).get("xsrfToken")
        for account in self.accounts.values():
            if account.token is not None and account.token == token:
                if not self._allow(account, "logout", now):
                    return self._too_frequent(now)
                account.token = None
                return web.json_response(envelope(now=now))
        return web.json_response(envelope(fail_code=20001, now=now))

    def _authed(
        self,
        name: str,
        handler: Callable[[SimAccount, dict[str, Any], datetime], Any],
    ) -> Callable[[web.Request], Any]:
        """Wrap a handler: session or bearer token, rights, flow control."""

        async def route(request: web.Request) -> web.Response:
            now = self.clock.now()
            account, scope = self._account_of(request, now)
            if account is None and "Authorization" in request.headers:
                return web.json_response({"error": "invalid_token"}, status=401)
            if account is None:
                return web.json_response(
                    {
                        "failCode": 305,
                        "immediately": True,
                        "message": "USER_MUST_RELOGIN",
                    }
                )
            if name in account.denied or (
                scope is not None
                and name in CONTROL_ROUTES
                and "pvms.openapi.control" not in scope.split()
            ):
                return web.json_response(
                    envelope(fail_code=401, message="NO_PERMISSION", now=now)
                )
            if name in account.owner_denied:
                return web.json_response(
                    envelope(
                        fail_code=20056, message="NOT_AUTHORIZED_BY_OWNER", now=now
                    )
                )
            if not self._allow(account, name, now):
                return self._too_frequent(now)
            body = await _json(request)
            result = handler(account, body, now)
            if isinstance(result, web.Response):
                return result
            return web.json_response(envelope(result, params=_params(body), now=now))

        return route

    def _account_of(
        self, request: web.Request, now: datetime
    ) -> tuple[SimAccount | None, str | None]:
        if (issued := self.oauth.bearer(request)) is not None:
            return self.accounts.get(issued.subject), issued.scope
        token = request.headers.get("XSRF-TOKEN")
        for account in self.accounts.values():
            if token is not None and account.token == token:
                if (
                    account.token_used is None
                    or now - account.token_used > SESSION_IDLE
                ):
                    account.token = None
                    return None, None
                account.token_used = now
                return account, None
        return None, None

    def _allow(self, account: SimAccount, name: str, now: datetime) -> bool:
        if not self.enforce_flow_control or (rule := RULES.get(name)) is None:
            return True
        calls = account.calls.setdefault(name, deque())
        horizon = now - max(rule.window, rule.spacing)
        while calls and calls[0] <= horizon:
            calls.popleft()
        in_window = sum(1 for at in calls if at > now - rule.window)
        too_soon = bool(calls) and rule.spacing and now - calls[-1] < rule.spacing
        if in_window >= rule.calls(account) or too_soon:
            account.refused += 1
            return False
        calls.append(now)
        return True

    def _too_frequent(self, now: datetime) -> web.Response:
        return web.json_response(
            envelope("ACCESS_FREQUENCY_IS_TOO_HIGH", fail_code=407, now=now)
        )

    # Monitoring -----------------------------------------------------------------

    def stations(self, account: SimAccount, body: dict[str, Any], now: datetime) -> Any:
        """The paged plant list (100 per page at most)."""
        size = int(body.get("pageSize", 100))
        if size not in (10, 20, 30, 50, 100):
            return web.json_response(envelope(fail_code=30006, now=now))
        page = max(1, int(body.get("pageNo", 1)))
        plants = account.plants[(page - 1) * size : page * size]
        return web.json_response(
            {
                "data": {
                    "list": [
                        {
                            "plantCode": plant.code,
                            "plantName": plant.name,
                            "plantAddress": plant.address or "",
                            "longitude": ""
                            if plant.longitude is None
                            else str(plant.longitude),
                            "latitude": ""
                            if plant.latitude is None
                            else plant.latitude,
                            "capacity": plant.capacity_kw,
                            "contactPerson": None,
                            "contactMethod": None,
                            "gridConnectionDate": plant.grid_connected,
                        }
                        for plant in plants
                    ],
                    "pageCount": max(1, math.ceil(len(account.plants) / size)),
                    "pageNo": page,
                    "pageSize": size,
                    "total": len(account.plants),
                },
                "failCode": 0,
                "message": "get plant list success",
                "success": True,
            }
        )

    def station_list(
        self, account: SimAccount, body: dict[str, Any], now: datetime
    ) -> Any:
        """The older plant list (capacity in MW)."""
        return [
            {
                "stationCode": plant.code,
                "stationName": plant.name,
                "stationAddr": plant.address,
                "capacity": plant.capacity_kw / 1000,
                "buildState": None,
                "combineType": None,
                "aidType": 1,
                "stationLinkman": None,
                "linkmanPho": None,
            }
            for plant in account.plants
        ]

    def _plants_of(
        self, account: SimAccount, body: dict[str, Any], now: datetime
    ) -> list[SimPlant] | web.Response:
        codes = [c for c in str(body.get("stationCodes", "")).split(",") if c]
        if not codes:
            return web.json_response(envelope(fail_code=20010, now=now))
        if len(codes) > 100:
            return web.json_response(envelope(fail_code=20015, now=now))
        plants = [p for code in codes if (p := account.plant(code)) is not None]
        if not plants:
            return web.json_response(envelope(fail_code=20007, now=now))
        return plants

    def station_real_kpi(
        self, account: SimAccount, body: dict[str, Any], now: datetime
    ) -> Any:
        """Plant KPIs; numbers as strings, as in Huawei's examples."""
        plants = self._plants_of(account, body, now)
        if isinstance(plants, web.Response):
            return plants
        result = []
        for plant in plants:
            plant.advance(now)
            health = 3 if not plant.alarms else 2
            result.append(
                {
                    "stationCode": plant.code,
                    "dataItemMap": {
                        "real_health_state": str(health),
                        "day_power": f"{plant.pv_day:.3f}",
                        "month_power": f"{plant.pv_month:.3f}",
                        "total_power": f"{plant.pv_total:.3f}",
                        "day_income": f"{plant.pv_day * plant.price:.3f}",
                        "total_income": f"{plant.income_total:.3f}",
                        "day_on_grid_energy": f"{plant.export_day:.3f}",
                        "day_use_energy": f"{plant.use_day:.3f}",
                    },
                }
            )
        return result

    def dev_list(self, account: SimAccount, body: dict[str, Any], now: datetime) -> Any:
        """The devices of plants."""
        plants = self._plants_of(account, body, now)
        if isinstance(plants, web.Response):
            return plants
        return [
            {
                "id": device.id,
                "devName": device.name,
                "stationCode": plant.code,
                "esnCode": device.serial,
                "devTypeId": device.type_id,
                "softwareVersion": device.software,
                "invType": device.model if device.type_id in INVERTERS else None,
                "model": device.model,
                "latitude": plant.latitude,
                "longitude": plant.longitude,
                "optimizerNumber": 0 if device.type_id in INVERTERS else None,
            }
            for plant in plants
            for device in plant.devices
        ]

    def _devices_of(
        self, account: SimAccount, body: dict[str, Any], now: datetime
    ) -> list[tuple[SimPlant, SimDevice]] | web.Response:
        """Return the account's devices of ``devIds``, all of type ``devTypeId``."""
        ids = [i for i in str(body.get("devIds", "")).split(",") if i]
        type_id = int(body.get("devTypeId", 0))
        if not ids:
            return web.json_response(envelope(fail_code=20005, now=now))
        if len(ids) > 100:
            return web.json_response(envelope(fail_code=20017, now=now))
        found = {
            str(device.id): (plant, device)
            for plant in account.plants
            for device in plant.devices
        }
        devices = [found[device_id] for device_id in ids if device_id in found]
        if any(device.type_id != type_id for _, device in devices):
            return web.json_response(envelope(fail_code=20006, now=now))
        return devices

    def dev_real_kpi(
        self, account: SimAccount, body: dict[str, Any], now: datetime
    ) -> Any:
        """Real-time data of up to 100 devices of one type."""
        devices = self._devices_of(account, body, now)
        if isinstance(devices, web.Response):
            return devices
        result = []
        for plant, device in devices:
            if device.type_id == 62:
                result.append({"devId": device.id, "dataItemMap": {}})
                continue
            plant.advance(now)
            result.append(
                {
                    "devId": device.id,
                    "dataItemMap": self._device_data(plant, device, now),
                }
            )
        return result

    def _device_data(
        self, plant: SimPlant, device: SimDevice, now: datetime
    ) -> dict[str, Any]:
        if device.type_id in INVERTERS:
            return self._inverter_data(plant, device, now)
        if device.type_id in BATTERIES:
            return self._battery_data(plant, device)
        if device.type_id in METERS:
            return self._meter_data(plant, device)
        if device.type_id == 10:
            return self._emi_data(plant, now)
        return {}

    def _inverter_data(
        self, plant: SimPlant, device: SimDevice, now: datetime
    ) -> dict[str, Any]:
        share = 1 / max(1, len(plant.of_types(INVERTERS)))
        power = plant.pv_power * share
        producing = power > 0
        strings = 24 if device.type_id == 1 else 8
        data: dict[str, Any] = {
            "inverter_state": 512.0 if producing else 40960.0,
            "run_state": 1,
            "active_power": round(power, 3),
            "reactive_power": 0.0,
            "day_cap": round(plant.pv_day * share, 2),
            "total_cap": round(plant.pv_total * share, 2),
            "mppt_power": round(power * 1.02, 3),
            "mppt_total_cap": round(plant.pv_total * share * 1.08, 2),
            "efficiency": 98.4 if producing else 0.0,
            "temperature": round(25 + 20 * power / max(plant.capacity_kw, 1), 1),
            "power_factor": 1.0,
            "elec_freq": 50.01,
            "a_u": 227.8,
            "b_u": 227.4,
            "c_u": 229.4,
            "ab_u": 394.2,
            "bc_u": 395.7,
            "ca_u": 395.8,
            "a_i": round(power * 1000 / 3 / 227.8, 3),
            "b_i": round(power * 1000 / 3 / 227.4, 3),
            "c_i": round(power * 1000 / 3 / 229.4, 3),
            "open_time": int((now - timedelta(hours=3)).timestamp() * 1000),
            "close_time": "N/A",
        }
        for number in range(1, strings + 1):
            used = number <= 2 and producing
            voltage = 350.0 + 80 * (number == 1) if used else 0.0
            data[f"pv{number}_u"] = voltage
            data[f"pv{number}_i"] = round(power * 500 / voltage, 2) if used else 0.0
        for number in range(1, 11 if device.type_id == 1 else 5):
            data[f"mppt_{number}_cap"] = (
                round(plant.pv_total * share / 2, 2) if number <= 2 else 0.0
            )
        return data

    def _battery_data(self, plant: SimPlant, device: SimDevice) -> dict[str, Any]:
        power = plant.battery_power * 1000
        data: dict[str, Any] = {
            "ch_discharge_power": round(power, 1),
            "battery_soc": round(plant.soc, 1),
            "battery_soh": 0 if device.type_id == 39 else 98.0,
            "charge_cap": round(plant.charged_day, 2),
            "discharge_cap": round(plant.discharged_day, 2),
            "run_state": 1,
        }
        if device.type_id == 39:
            mode = plant.battery_mode.get("operationMode")
            data |= {
                "battery_status": 2 if power else 1,
                "max_charge_power": plant.battery_max_w,
                "max_discharge_power": plant.battery_max_w,
                "busbar_u": 782.7,
                "ch_discharge_model": 1 if plant.forced else 2 if mode == "TOU" else 4,
                "total_charged_energy": round(plant.charged_total, 2),
                "total_discharged_energy": round(plant.discharged_total, 2),
                "rated_capacity": plant.battery_kwh,
            }
        return data

    def _meter_data(self, plant: SimPlant, device: SimDevice) -> dict[str, Any]:
        watts = plant.grid_power * 1000
        data: dict[str, Any] = {
            "active_power": round(watts / 1000, 3)
            if device.type_id == 23070
            else round(watts),
            "active_cap": round(plant.export_total, 2),
            "reverse_active_cap": round(plant.import_total, 2),
            "power_factor": -0.916 if watts < 0 else 0.99,
            "reactive_power": 380,
            "grid_frequency": 49.99,
            "run_state": 1,
        }
        if device.type_id == 17:
            return data | {
                "a_u": 229.1,
                "b_u": 230.4,
                "c_u": 228.7,
                "a_i": round(abs(watts) / 3 / 229.1, 2),
                "b_i": round(abs(watts) / 3 / 230.4, 2),
                "c_i": round(abs(watts) / 3 / 228.7, 2),
            }
        return data | {
            "meter_status": 1,
            "meter_u": 226.8,
            "meter_i": round(abs(watts) / 226.8, 2),
        }

    def _emi_data(self, plant: SimPlant, now: datetime) -> dict[str, Any]:
        irradiance = plant.pv_power / max(plant.capacity_kw, 1) * 1000 / 0.7
        return {
            "temperature": 21.5,
            "pv_temperature": round(21.5 + irradiance / 40, 1),
            "wind_speed": 3.2,
            "wind_direction": 225,
            "radiant_line": round(irradiance, 1),
            "radiant_total": round(plant.pv_day / max(plant.capacity_kw, 1) * 3.6, 3),
            "horiz_radiant_line": "N/A",
            "run_state": 1,
        }

    def _plant_history(
        self, period: Period
    ) -> Callable[[SimAccount, dict[str, Any], datetime], Any]:
        def answer(account: SimAccount, body: dict[str, Any], now: datetime) -> Any:
            """Plant energy per bucket of ``period``; only buckets with data."""
            plants = self._plants_of(account, body, now)
            if isinstance(plants, web.Response):
                return plants
            if (collect := _collect_time(body)) is None:
                return web.json_response(envelope(fail_code=20012, now=now))
            return [
                plant_item(
                    plant, period, start, total, pv_yield_fields=self.pv_yield_fields
                )
                for plant in plants
                for start, total in buckets(
                    self._history_of(plant, now), period, collect
                )
            ]

        return answer

    def _device_history(
        self, period: Period
    ) -> Callable[[SimAccount, dict[str, Any], datetime], Any]:
        def answer(account: SimAccount, body: dict[str, Any], now: datetime) -> Any:
            """Energy of inverters, batteries or ESS per bucket of ``period``."""
            devices = self._devices_of(account, body, now)
            if isinstance(devices, web.Response):
                return devices
            if int(body.get("devTypeId", 0)) not in INVERTERS | BATTERIES:
                return web.json_response(envelope(fail_code=20013, now=now))
            if (collect := _collect_time(body)) is None:
                return web.json_response(envelope(fail_code=20012, now=now))
            result = []
            for plant, device in devices:
                kinds = INVERTERS if device.type_id in INVERTERS else BATTERIES
                share = 1 / len(plant.of_types(kinds))
                result.extend(
                    device_item(plant, device, start, total, share=share)
                    for start, total in buckets(
                        self._history_of(plant, now), period, collect
                    )
                )
            return result

        return answer

    def alarm_list(
        self, account: SimAccount, body: dict[str, Any], now: datetime
    ) -> Any:
        """Alarms raised between beginTime and endTime."""
        plants = self._plants_of(account, body, now)
        if isinstance(plants, web.Response):
            return plants
        begin = int(body.get("beginTime", 0))
        end = int(body.get("endTime", 0))
        if begin >= end:
            return web.json_response(envelope(fail_code=20023, now=now))
        return [
            {
                "stationCode": plant.code,
                "stationName": plant.name,
                "alarmId": alarm.alarm_id,
                "alarmName": alarm.name,
                "alarmCause": "",
                "alarmType": 2,
                "causeId": 5,
                "devName": alarm.device_name,
                "devTypeId": 38,
                "esnCode": "",
                "lev": alarm.level,
                "raiseTime": int(alarm.raised.timestamp() * 1000),
                "repairSuggestion": "",
                "status": alarm.status,
            }
            for plant in plants
            for alarm in plant.alarms
            if begin <= alarm.raised.timestamp() * 1000 <= end
        ]

    # Configuration and control -------------------------------------------------

    def _control_plant(
        self, account: SimAccount, code: Any, now: datetime
    ) -> SimPlant | web.Response:
        plant = account.plant(str(code))
        if plant is None:
            return web.json_response(envelope(fail_code=20007, now=now))
        if not plant.control_supported:
            return web.json_response(
                envelope(fail_code=20609, message="NETWORKING_NOT_SUPPORTED", now=now)
            )
        return plant

    def battery_mode(
        self, account: SimAccount, body: dict[str, Any], now: datetime
    ) -> Any:
        """The battery working mode of a plant."""
        plant = self._control_plant(account, body.get("plantCode"), now)
        if isinstance(plant, web.Response):
            return plant
        self._settle(now)
        mode = dict(plant.battery_mode)
        details = None
        if mode.get("operationMode") == "TOU":
            details = {
                "redundantPVEnergyPriority": mode.get("redundantPVEnergyPriority"),
                "allowedAcChargePower": mode.get("allowedAcChargePower"),
                "chargingAndDischargingTimeWindow": mode.get(
                    "chargingAndDischargingTimeWindow", []
                ),
            }
        return {
            "plantCode": plant.code,
            "operationMode": mode.get("operationMode"),
            "touOperationModeParamDetail": details,
        }

    def power_control_mode(
        self, account: SimAccount, body: dict[str, Any], now: datetime
    ) -> Any:
        """How a plant limits its feed-in."""
        plant = self._control_plant(account, body.get("plantCode"), now)
        if isinstance(plant, web.Response):
            return plant
        self._settle(now)
        return {
            "plantCode": plant.code,
            "controlMode": plant.power_control.get("controlMode"),
            "zeroExportLimitationParam": plant.power_control.get(
                "zeroExportLimitationParam"
            ),
            "limitedPowerGridValueParam": plant.power_control.get(
                "limitedPowerGridValueParam"
            ),
            "limitedPowerGridPercentParam": plant.power_control.get(
                "limitedPowerGridPercentParam"
            ),
        }

    def _deliverer(
        self, kind: str
    ) -> Callable[[SimAccount, dict[str, Any], datetime], Any]:
        def deliver(account: SimAccount, body: dict[str, Any], now: datetime) -> Any:
            return self.deliver(kind, account, body, now)

        return deliver

    def deliver(
        self, kind: str, account: SimAccount, body: dict[str, Any], now: datetime
    ) -> Any:
        """Accept a control task (battery mode, parameters, feed-in limit)."""
        items = body.get("tasks")
        if not isinstance(items, list) or not 1 <= len(items) <= 10:
            return web.json_response(envelope(fail_code=30001, now=now))
        self._settle(now)
        task_id = secrets.token_hex(8)
        results = []
        delivered = []
        for item in items:
            plant = account.plant(str(item.get("plantCode")))
            problem = "INVALID" if plant is None else _invalid_task(kind, plant, item)
            if plant is not None and any(
                task.plant is plant and task.kind == kind and now < task.done_at
                for tasks in self.tasks.values()
                for task in tasks
            ):
                problem = "BUSY"
            if problem is not None or plant is None:
                results.append(
                    {
                        "plantCode": item.get("plantCode"),
                        "status": "FAIL",
                        "message": problem,
                    }
                )
                continue
            outcomes = self.task_outcomes.get(plant.code)
            outcome, message = outcomes.popleft() if outcomes else ("SUCCESS", None)
            delivered.append(
                SimTask(
                    task_id=task_id,
                    kind=kind,
                    plant=plant,
                    payload=dict(item),
                    delivered=now,
                    done_at=now + self.task_delay,
                    outcome=outcome,
                    message=message,
                )
            )
            results.append(
                {"plantCode": plant.code, "status": "RUNNING", "message": None}
            )
        self.tasks[task_id] = delivered
        data = {"taskId": task_id, "result": results}
        if not delivered:
            return web.json_response(envelope(data, fail_code=2, now=now))
        if len(delivered) < len(items):
            return web.json_response(envelope(data, fail_code=1, now=now))
        return data

    def _settle(self, now: datetime) -> None:
        for tasks in self.tasks.values():
            for task in tasks:
                if not task.applied and now >= task.done_at:
                    task.applied = True
                    if task.outcome == "SUCCESS":
                        _apply(task)

    def task_info(
        self, account: SimAccount, body: dict[str, Any], now: datetime
    ) -> Any:
        """The state of a control task."""
        tasks = self.tasks.get(str(body.get("taskId")))
        if not tasks or tasks[0].plant not in account.plants:
            return web.json_response(envelope(fail_code=20042, now=now))
        self._settle(now)
        results = []
        for task in tasks:
            status = "RUNNING" if now < task.done_at else task.outcome
            result: dict[str, Any] = {"plantCode": task.plant.code, "status": status}
            if status == "FAIL":
                result["message"] = task.message
            results.append(result | _task_echo(task))
        running = any(now < task.done_at for task in tasks)
        return {
            "dispatchResult": results,
            "startTime": tasks[0].delivered.isoformat(timespec="seconds"),
            "endTime": None
            if running
            else tasks[0].done_at.isoformat(timespec="seconds"),
        }

    def charge_discharge(
        self, account: SimAccount, body: dict[str, Any], now: datetime
    ) -> Any:
        """Accept forced charge, forced discharge or stop."""
        request_id = next(self._request_ids)
        results = []
        statuses = []
        for task in body.get("tasks") or []:
            plant = account.plant(str(task.get("plantCode")))
            switch = int(task.get("dispatchSwitch", -1))
            ok = plant is not None and plant.has_battery and switch in (0, 1, 2)
            if ok and switch and int(task.get("controlType", 0)) not in (1, 2):
                ok = False
            description = "success" if ok else "INVALID"
            if ok and plant is not None:
                if switch == 0:
                    plant.forced = None
                    until = now
                else:
                    minutes = int(task.get("dispatchTime") or 60)
                    until = now + timedelta(minutes=minutes)
                    plant.advance(now)
                    plant.forced = (
                        switch,
                        float(task.get("powerDispatch", plant.battery_max_w)),
                        until,
                    )
                statuses.append({"plant": plant, "until": until, "switch": switch})
            sn = (
                plant.of_types(INVERTERS)[0].serial
                if plant and plant.of_types(INVERTERS)
                else None
            )
            results.append(
                {
                    "plantCode": task.get("plantCode"),
                    "sn": sn,
                    "dispatchResult": 0 if ok else 1,
                    "subTaskId": secrets.token_hex(8),
                    "description": description,
                }
            )
        self.dispatches[request_id] = statuses
        return {"requestID": request_id, "result": results}

    def charge_discharge_status(
        self, account: SimAccount, body: dict[str, Any], now: datetime
    ) -> Any:
        """Progress of forced charges and discharges."""
        statuses = self.dispatches.get(int(body.get("requestID", 0)))
        if statuses is None:
            return web.json_response(envelope(fail_code=20042, now=now))
        return [
            {
                "plantCode": entry["plant"].code,
                "sn": None,
                "remoteID": "1",
                "status": 0 if now >= entry["until"] else 1,
                "chargedCapacity": round(entry["plant"].charged_day, 2),
                "dischargedCapacity": round(entry["plant"].discharged_day, 2),
                "execStartTime": None,
                "execEndTime": None,
                "message": "success",
            }
            for entry in statuses
        ]


def _task_echo(task: SimTask) -> dict[str, Any]:
    if task.kind == "battery_mode":
        return {
            key: task.payload.get(key)
            for key in (
                "operationMode",
                "redundantPVEnergyPriority",
                "allowedAcChargePower",
                "chargingAndDischargingTimeWindow",
            )
        }
    if task.kind == "battery_config":
        return {
            "batteryConfigurationInfo": task.payload.get("batteryConfigurationInfo")
        }
    return {
        "controlMode": task.payload.get("controlMode"),
        "controlInfo": task.payload.get("controlInfo"),
    }


def _apply(task: SimTask) -> None:
    plant, payload = task.plant, task.payload
    if task.kind == "battery_mode":
        plant.battery_mode = {
            key: value for key, value in payload.items() if key != "plantCode"
        }
    elif task.kind == "battery_config":
        plant.battery_config |= payload.get("batteryConfigurationInfo") or {}
    elif payload.get("controlMode") == "0":
        plant.power_control = {"controlMode": "noLimit"}
    else:
        info = payload.get("controlInfo") or {}
        limitation = (
            "singlePhasePower"
            if str(info.get("limitationMode")) == "1"
            else "totalPower"
        )
        plant.power_control = {
            "controlMode": "limitedPowerGridKW",
            "limitedPowerGridValueParam": {
                "limitationMode": limitation,
                "maxGridFeedInPowerValue": info.get("maxGridFeedInPower"),
            },
        }


def _minutes(text: Any) -> int | None:
    try:
        hours, minutes = str(text).split(":")
        value = int(hours) * 60 + int(minutes)
    except ValueError:
        return None
    return value if 0 <= value <= 24 * 60 else None


def _invalid_task(kind: str, plant: SimPlant, item: dict[str, Any]) -> str | None:
    """Return why a task is refused (INVALID), or None."""
    if kind == "power_control":
        return _invalid_power_control(item)
    if not plant.has_battery:
        return "INVALID"
    if kind == "battery_config":
        return _invalid_battery_config(item.get("batteryConfigurationInfo") or {})
    return _invalid_battery_mode(item)


def _invalid_power_control(item: dict[str, Any]) -> str | None:
    mode = str(item.get("controlMode"))
    if mode == "0":
        return None
    info = item.get("controlInfo") or {}
    power = info.get("maxGridFeedInPower")
    if mode != "6" or not isinstance(power, int | float) or not -1000 <= power <= 1000:
        return "INVALID"
    return None if str(info.get("limitationMode", "0")) in ("0", "1") else "INVALID"


BATTERY_RANGES = {
    "endOfChargeSoc": (90, 100),
    "endOfDischargeSoc": (0, 20),
    "maximumChargePower": (0, 100_000),
    "maximumDischargePower": (0, 100_000),
}


def _invalid_battery_config(info: dict[str, Any]) -> str | None:
    if not info or any(key not in BATTERY_RANGES for key in info):
        return "INVALID"
    for key, value in info.items():
        low, high = BATTERY_RANGES[key]
        if not isinstance(value, int | float) or not low <= value <= high:
            return "INVALID"
    return None


def _invalid_battery_mode(item: dict[str, Any]) -> str | None:
    mode = item.get("operationMode")
    if mode not in ("maximumSelfConsumption", "TOU", "thirdPartyDispatch"):
        return "INVALID"
    if mode != "TOU":
        return None
    windows = item.get("chargingAndDischargingTimeWindow") or []
    if not 1 <= len(windows) <= 14:
        return "INVALID"
    taken: set[tuple[int, int]] = set()
    for window in windows:
        start, end = _minutes(window.get("startTime")), _minutes(window.get("endTime"))
        days = window.get("repeat") or []
        valid = window.get("chargeOrDischarge") in ("charge", "discharge")
        if start is None or end is None or not days or not valid:
            return "INVALID"
        minutes = {(day, m) for day in days for m in range(start, end or 24 * 60)}
        if not minutes or minutes & taken:
            return "INVALID"
        taken |= minutes
    return None


def _collect_time(body: dict[str, Any]) -> datetime | None:
    try:
        milliseconds = int(body["collectTime"])
    except KeyError, TypeError, ValueError:
        return None
    return datetime.fromtimestamp(milliseconds / 1000, UTC)


def _params(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if isinstance(v, str | int | float)}


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


# Accounts -------------------------------------------------------------------------

DEMO_USER = "ha_northbound"
DEMO_PASSWORD = "Demo@2026"


def demo_account(now: datetime | None = None) -> SimAccount:
    """Return an account built from real answers of the service.

    Plant NE=35436844 and its Dongle, SUN2000-10KTL-M1 inverter, LUNA2000
    battery and power sensor, with their ids, serials, firmware and counter
    readings, are from responses published in ioBroker.fusionsolar
    (KornSW, 2022); its name was redacted there. The plants "Maternelle" and
    "Puer" are from pyhfs' plant list, the two SUN2000-17KTL inverters from
    the device list example of Huawei's Northbound reference, the alarms from
    pyhfs' getAlarmList data. Meters, EMI, EMMA and ESS of the latter plants
    are added so that every device type is served.
    """
    raised = (now or datetime.now().astimezone()) - timedelta(days=2)
    home = SimPlant(
        code="NE=35436844",
        name="Rheinblick",
        address="Rheinstrasse 1, 65428 Ruesselsheim",
        capacity_kw=9.0,
        latitude=49.945273,
        longitude=8.222305,
        devices=[
            SimDevice(
                id=1000000035436845,
                name="Dongle-1",
                type_id=62,
                serial="HV2240085917",
                software="V100R001C00SPC125",
            ),
            SimDevice(
                id=1000000035436846,
                name="Inverter-1",
                type_id=1,
                serial="HV2240468303",
                model="SUN2000-10KTL-M1",
                software="V100R001C00SPC141",
            ),
            SimDevice(id=1000000035436848, name="Battery-1", type_id=39),
            SimDevice(id=1000000035436847, name="Meter-1", type_id=47),
        ],
        pv_total=1380.5,
        export_total=322.32,
        import_total=583.08,
        income_total=535.794,
        soc=100.0,
    )
    maternelle = SimPlant(
        code="5D02E8B40AD342159AC8D8A2BCD4FAB5",
        name="Maternelle",
        address="Grésy sur Aix",
        capacity_kw=25.8,
        latitude=45.72355641181104,
        longitude=5.933697679413769,
        control_supported=False,
        devices=[
            SimDevice(
                id=-214543629611879,
                name="5fbfk4",
                type_id=1,
                serial="5fbfk4",
                model="SUN2000-17KTL",
                software="V100R001PC666",
            ),
            SimDevice(
                id=-214091680973855,
                name="6fbfk11",
                type_id=1,
                serial="6fbfk11",
                model="SUN2000-17KTL",
                software="V100R001PC666",
            ),
            SimDevice(id=1000000050000017, name="Grid meter", type_id=17),
            SimDevice(id=1000000050000010, name="EMI", type_id=10),
        ],
        alarms=[
            SimAlarm(
                alarm_id=3011,
                name="Battery expansion module undervoltage",
                device_name="Inverter-2",
                level=4,
                status=1,
                raised=raised,
            )
        ],
        pv_total=459345.34,
        export_total=401000.0,
        import_total=12000.0,
        income_total=6115.0,
        load_kw=2.0,
    )
    puer = SimPlant(
        code="BA4372D08E014822AB065017416F254C",
        name="Puer",
        address="Aix les Bains",
        capacity_kw=98.7,
        latitude=45.70218696025901,
        longitude=5.892721502704196,
        devices=[
            SimDevice(
                id=1000000060000038,
                name="Inverter-1",
                type_id=38,
                serial="Inverter05",
                model="SUN2000-12K-MB0",
            ),
            SimDevice(id=1000000060000041, name="ESS", type_id=41),
            SimDevice(id=1000000060023070, name="EMMA", type_id=23070),
            SimDevice(id=1000000060000099, name="Safety box", type_id=70),
        ],
        alarms=[
            SimAlarm(
                alarm_id=2064,
                name="The device is abnormal.",
                device_name="Inverter-1",
                level=2,
                status=1,
                raised=raised,
            )
        ],
        pv_total=345732.0,
        export_total=300000.0,
        import_total=5000.0,
        income_total=2088.0,
        load_kw=8.0,
        battery_kwh=200.0,
        battery_max_w=50000.0,
    )
    return SimAccount(
        username=DEMO_USER, password=DEMO_PASSWORD, plants=[home, maternelle, puer]
    )


def scaled_account(username: str, password: str, plants: int) -> SimAccount:
    """Return an account of ``plants`` residential plants.

    Each has an inverter, a battery, a power sensor and a Dongle: four device
    types, so each type needs ROUNDUP(plants / 100) real-time calls.
    """
    return SimAccount(
        username=username,
        password=password,
        plants=[
            SimPlant(
                code=f"NE={50_000_000 + number}",
                name=f"Plant {number}",
                capacity_kw=8.0 + number % 5,
                devices=[
                    SimDevice(
                        id=2_000_000_000 + number * 10 + offset,
                        name=name,
                        type_id=type_id,
                        serial=f"HV{number:06d}{offset}",
                        model="SUN2000-8KTL-M1" if type_id == 38 else None,
                    )
                    for offset, (name, type_id) in enumerate(
                        (
                            ("Inverter", 38),
                            ("Battery", 39),
                            ("Meter", 47),
                            ("Dongle", 62),
                        )
                    )
                ],
            )
            for number in range(1, plants + 1)
        ],
    )


def create_demo() -> FusionSolarSimulator:
    """Return the simulator the demo serves: the sample account and a large one."""
    simulator = FusionSolarSimulator(
        [
            demo_account(),
            scaled_account("installer_northbound", "Installer@2026", plants=12),
        ]
    )
    simulator.task_delay = timedelta(seconds=20)
    # OAuth Connect in the demo signs in as the owner of the sample account.
    simulator.oauth.subject = "ha_northbound"
    return simulator
