"""The smart-me simulator's truth model: how each device's values move with time.

A device's import and export power is a function of time (:class:`Profile`)
and its counters are the exact integrals of that power, so the device list,
the realtime pushes and the history all read the same functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
import math
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from .upload import Upload

ZONE = ZoneInfo("Europe/Zurich")
"""Where the simulated households live: their load follows local time."""
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
"""The integrals of power count from here (a whole hour, UTC)."""
HOUR = timedelta(hours=1)
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
    upload: Upload | None = None
    """When in each upload interval the meter uploads (its phase, jitter,
    late uploads): the device list then shows its values as of its last
    upload, stamped with that moment. None: at the start of each interval,
    with the values of the moment the list is read."""
    offline_since: datetime | None = None
    """The device stopped uploading then (its ``ValueDate`` stays there)."""
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

    def upload_at(self, index: int) -> datetime:
        """Return when the meter makes its ``index``-th upload since 1970."""
        start = datetime.fromtimestamp(0, UTC) + index * self.upload_interval
        return start if self.upload is None else self.upload.raw(start)

    def last_upload(self, now: datetime) -> datetime:
        """Return the moment of the meter's last upload at or before ``now``.

        A late upload overtaken by the next one is never seen.
        """
        index = math.floor(now.timestamp() / self.upload_interval.total_seconds())
        for candidate in range(index, index - 4, -1):
            if (at := self.upload_at(candidate)) <= now:
                return at
        return self.upload_at(index - 4)

    def uploads(self, start: datetime, end: datetime) -> list[datetime]:
        """Return the moments of the uploads from ``start`` to ``end`` (in order)."""
        interval = self.upload_interval.total_seconds()
        first = math.floor(start.timestamp() / interval) - 2
        last = math.ceil(end.timestamp() / interval) + 1
        moments = sorted(self.upload_at(index) for index in range(first, last))
        return [at for at in moments if start <= at <= end]

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
