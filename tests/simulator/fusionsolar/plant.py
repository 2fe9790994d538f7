"""The simulated plants and accounts.

A plant's devices and settings, and the power model that its live values
and its history both come from; the account that owns it; a control task
delivered to it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import math
from typing import Any
from zoneinfo import ZoneInfo

from .ledger import (
    STEP,
    UNCOMMISSIONED_HISTORY,
    Ledger,
    PastSettings,
    fill_past,
    local_midnight,
)

INTEGRATION_STEP = STEP
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

INVERTERS = {1, 38}
BATTERIES = {39, 41}
METERS = {17, 47, 23070}


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

    # History (ledger.py).
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
            self.ledger.add_powers(
                self.last, step_end, pv=pv, load=load, battery=battery, grid=grid
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
