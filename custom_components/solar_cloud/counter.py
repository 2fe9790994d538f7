"""The counter policy: what an energy counter sensor publishes, for every vendor.

Home Assistant's statistics read a ``total_increasing`` sensor whose value
falls (below about 90 % of the last one) as a meter reset: when a bad answer
from the cloud shows a lifetime counter at 0 and the next answer is right
again, the whole lifetime energy is counted a second time. A counter stuck on
one absurd value is as bad: everything after it is lost. So every energy
counter, polled or pushed, passes its readings through :class:`EnergyCounter`:

- **Rejected** (never shown): a missing value, NaN, infinity, a negative value,
  a reading dated more than :data:`FUTURE_TOLERANCE` ahead of the clock.
- **Held back** (the last good value stays): a drop, and a rise of more energy
  than the plant's nominal power could produce in the time since the last
  reading (where the vendor knows that power). Logged once at debug level with
  both values; a reading back in line ends it.
- **Accepted as a new series**: a drop or an impossible rise that persists for
  :data:`RESET_READINGS` readings over at least :data:`RESET_AFTER`, each at or
  above the one before, and that has grown (a replaced or reset meter counts
  up again; a run of zeros from a cloud that lost its data does not). Then the
  counter shows the new value, logs a warning and raises a repair issue that
  says what it does to the statistics.
- **Daily counters** (``today``) only ever fall at the plant's local midnight
  (monthly ones at the midnight that starts a month):
  the first reading of a new local day may be lower, and so may one reading in
  the first :data:`DAY_RESET_GRACE` of the day (clouds reset a few minutes
  late); any other drop is held back until the next day.

All counters are ``total_increasing``: because the policy lets a counter fall
only at a real reset (midnight for daily counters, a replaced meter for
lifetime ones), Home Assistant's reset detection is exactly right, with no
``last_reset`` that would have to know each vendor's idea of midnight.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum
import math
from typing import Any, Self, override

from homeassistant.components.sensor import RestoreSensor, SensorExtraStoredData
from homeassistant.core import callback
from homeassistant.util import dt as dt_util, slugify

from .const import LOGGER
from .entity import SolarCloudEntity
from .issues import async_create_issue
from .stored import stored_time

RESET_READINGS = 3
"""Readings a lower (or impossibly higher) series needs before it is believed."""
RESET_AFTER = timedelta(hours=1)
"""How long such a series must last before it is believed."""
FUTURE_TOLERANCE = timedelta(minutes=5)
"""How far ahead of the clock a reading may be dated (clock skew)."""
DAY_RESET_GRACE = timedelta(hours=2)
"""How late after the plant's midnight a daily counter may still reset."""
JUMP_MARGIN = 1.5
"""A rise may be this many times what the nominal power gives in the time."""
JUMP_SLACK_KWH = 1.0
"""Plus this much, for counters that step in whole kWh and for rounding."""


class CounterKind(StrEnum):
    """Whether a counter counts over the device's life or over one day."""

    LIFETIME = "lifetime"
    DAILY = "daily"
    MONTHLY = "monthly"
    """Resets at the plant's midnight starting a month (as daily ones do)."""


class Verdict(StrEnum):
    """What became of one reading."""

    ACCEPTED = "accepted"
    MISSING = "missing"
    INVALID = "invalid"
    FUTURE = "future"
    STALE = "stale"
    """Older than the value shown: ignored."""
    HELD = "held"
    """A drop or an impossible rise, held back (the last good value stays)."""
    DAY_RESET = "day_reset"
    """A daily counter started its new day."""
    NEW_SERIES = "new_series"
    """A persistent drop or rise was accepted: the meter was reset or replaced."""


@dataclass(kw_only=True)
class _Candidate:
    """A lower (or impossibly higher) series that may be a replaced meter."""

    first_at: datetime
    first_value: float
    last_at: datetime
    last_value: float
    readings: int = 1


@dataclass(kw_only=True)
class EnergyCounter:
    """The value an energy counter sensor shows, and why.

    ``zone`` is the plant's time zone: daily counters reset at its midnight.
    ``max_power_kw`` is the most power the counted flow can have (the plant's
    nominal power), or None where the vendor does not say.
    """

    kind: CounterKind = CounterKind.LIFETIME
    zone: tzinfo
    max_power_kw: float | None = None
    value: float | None = None
    """The value shown (None until the first good reading)."""
    at: datetime | None = None
    """When the value shown was read (the vendor's time where it gives one)."""
    day_reset_done: bool = False
    """Daily counters: the reset of the day of ``at`` has happened."""
    candidate: _Candidate | None = field(default=None, repr=False)
    held_logged: bool = field(default=False, repr=False)
    """The current episode of held-back readings has been logged."""

    def update(self, raw: Any, at: datetime, *, now: datetime) -> Verdict:
        """Take one reading taken at ``at``; return what became of it."""
        if raw is None:
            return Verdict.MISSING
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            return Verdict.INVALID
        reading = float(raw)
        if not math.isfinite(reading) or reading < 0:
            return Verdict.INVALID
        if at - now > FUTURE_TOLERANCE:
            return Verdict.FUTURE
        if self.value is None or self.at is None:
            return self._accept(reading, at, Verdict.ACCEPTED)
        if at < self.at:
            # Older than what is shown (a late push, a slow poll): not news.
            return Verdict.STALE
        if self.kind is not CounterKind.LIFETIME:
            return self._periodic(self.value, self.at, reading, at)
        if self.value <= reading <= self.value + self._rise_limit(self.at, at):
            return self._accept(reading, at, Verdict.ACCEPTED)
        return self._out_of_line(reading, at)

    def _period_start(self, at: datetime) -> date:
        """Return the local day (or first of the month) a reading counts in."""
        day = at.astimezone(self.zone).date()
        return day.replace(day=1) if self.kind is CounterKind.MONTHLY else day

    def _periodic(
        self, shown: float, shown_at: datetime, reading: float, at: datetime
    ) -> Verdict:
        period = self._period_start(at)
        if reading > shown + self._rise_limit(shown_at, at):
            return Verdict.HELD
        if period > self._period_start(shown_at):
            # The first reading of a new period may still be the old total.
            self.day_reset_done = reading < shown
            verdict = Verdict.DAY_RESET if reading < shown else Verdict.ACCEPTED
            return self._accept(reading, at, verdict, keep_reset=True)
        if reading >= shown:
            return self._accept(reading, at, Verdict.ACCEPTED, keep_reset=True)
        midnight = datetime.combine(period, time(), self.zone)
        if self.day_reset_done or at - midnight >= DAY_RESET_GRACE:
            return Verdict.HELD
        self.day_reset_done = True
        return self._accept(reading, at, Verdict.DAY_RESET, keep_reset=True)

    def _rise_limit(self, since: datetime, at: datetime) -> float:
        """Return the most a counter can grow from ``since`` to ``at`` (kWh)."""
        if self.max_power_kw is None:
            return math.inf
        hours = max((at - since).total_seconds(), 300.0) / 3600
        return self.max_power_kw * hours * JUMP_MARGIN + JUMP_SLACK_KWH

    def _out_of_line(self, reading: float, at: datetime) -> Verdict:
        candidate = self.candidate
        if (
            candidate is None
            or reading < candidate.last_value
            or reading > candidate.last_value + self._rise_limit(candidate.last_at, at)
        ):
            # A new series starts, or the last one did not count on steadily.
            self.candidate = _Candidate(
                first_at=at, first_value=reading, last_at=at, last_value=reading
            )
            return Verdict.HELD
        candidate.readings += 1
        candidate.last_value = reading
        candidate.last_at = at
        if (
            candidate.readings >= RESET_READINGS
            and at - candidate.first_at >= RESET_AFTER
            and candidate.last_value > candidate.first_value
        ):
            return self._accept(reading, at, Verdict.NEW_SERIES)
        return Verdict.HELD

    def _accept(
        self,
        reading: float,
        at: datetime,
        verdict: Verdict,
        *,
        keep_reset: bool = False,
    ) -> Verdict:
        self.value = reading
        self.at = at
        self.candidate = None
        self.held_logged = False
        if not keep_reset:
            self.day_reset_done = False
        return verdict

    def as_dict(self) -> dict[str, Any]:
        """Return what must outlive a restart, as JSON-able data."""
        return {
            "value": self.value,
            "at": self.at.isoformat() if self.at else None,
            "day_reset_done": self.day_reset_done,
            "candidate": {
                "first_at": self.candidate.first_at.isoformat(),
                "first_value": self.candidate.first_value,
                "last_at": self.candidate.last_at.isoformat(),
                "last_value": self.candidate.last_value,
                "readings": self.candidate.readings,
            }
            if self.candidate is not None
            else None,
        }

    def restore(self, data: Any) -> Self:
        """Take back what :meth:`as_dict` stored; ignore what does not parse."""
        if not isinstance(data, dict):
            return self
        value, at = data.get("value"), stored_time(data.get("at"))
        if (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
            and value >= 0
            and at is not None
        ):
            self.value, self.at = float(value), at
            self.day_reset_done = data.get("day_reset_done") is True
        candidate = data.get("candidate")
        if (
            self.value is not None
            and isinstance(candidate, dict)
            and (first_at := stored_time(candidate.get("first_at"))) is not None
            and (last_at := stored_time(candidate.get("last_at"))) is not None
            and isinstance(last := candidate.get("last_value"), int | float)
            and isinstance(first := candidate.get("first_value", last), int | float)
            and isinstance(readings := candidate.get("readings"), int)
        ):
            self.candidate = _Candidate(
                first_at=first_at,
                first_value=float(first),
                last_at=last_at,
                last_value=float(last),
                readings=readings,
            )
        return self


@dataclass(kw_only=True)
class CounterStoredData(SensorExtraStoredData):
    """What a counter sensor keeps over a restart: its value and its policy state."""

    counter: dict[str, Any]

    @override
    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "counter": self.counter}


class CounterSensor(SolarCloudEntity[Any], RestoreSensor):
    """An energy counter sensor that shows what :class:`EnergyCounter` lets through.

    Mix it in before a vendor's sensor class: the vendor's ``native_value`` is
    the raw reading, read once per coordinator update. A vendor tells, where
    it knows them, when a reading was taken (:meth:`counter_time`), the
    plant's time zone and the most power the counted flow can have.
    """

    _counter: EnergyCounter | None = None

    def counter_kind(self) -> CounterKind:
        """Return whether this counts over the device's life, a day or a month.

        The description's ``counter`` (``descriptions.CounterDescription``)
        tells; a lifetime counter otherwise.
        """
        kind: CounterKind | None = getattr(self.entity_description, "counter", None)
        return kind or CounterKind.LIFETIME

    def counter_zone(self) -> tzinfo:
        """Return the time zone whose midnight resets a daily counter."""
        return dt_util.get_default_time_zone()

    def counter_max_power_kw(self) -> float | None:
        """Return the most power (kW) the counted flow can have, if known."""
        return None

    def counter_time(self) -> datetime | None:
        """Return when the current reading was taken; None: now."""
        return None

    @override
    async def async_added_to_hass(self) -> None:
        counter = EnergyCounter(
            kind=self.counter_kind(),
            zone=self.counter_zone(),
            max_power_kw=self.counter_max_power_kw(),
        )
        await super().async_added_to_hass()
        if (extra := await self.async_get_last_extra_data()) is not None:
            counter.restore(extra.as_dict().get("counter"))
        self._counter = counter
        self._take_reading()

    @property
    @override
    def extra_restore_state_data(self) -> CounterStoredData:
        return CounterStoredData(
            native_value=self.native_value,
            native_unit_of_measurement=self.native_unit_of_measurement,
            counter=self._counter.as_dict() if self._counter is not None else {},
        )

    @property
    @override
    def native_value(self) -> float | None:
        return self._counter.value if self._counter is not None else None

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        self._take_reading()
        super()._handle_coordinator_update()

    def _take_reading(self) -> None:
        counter = self._counter
        if counter is None:
            return
        raw = super().native_value
        now = dt_util.utcnow()
        # A vendor may learn the plant's zone later (from its data).
        counter.zone = self.counter_zone()
        shown = counter.value
        verdict = counter.update(raw, self.counter_time() or now, now=now)
        if verdict is Verdict.NEW_SERIES:
            self._report_new_series(shown, counter.value)
        elif verdict in _LOGGED and not counter.held_logged:
            counter.held_logged = True
            LOGGER.debug(
                "%s: not showing %s (%s); still showing %s",
                self.entity_id,
                raw,
                verdict,
                shown,
            )

    def _report_new_series(self, old: float | None, new: float | None) -> None:
        LOGGER.warning(
            "%s went from %s to %s and stayed there for %d readings over %s: "
            "taking it as a reset or replaced meter",
            self.entity_id,
            old,
            new,
            RESET_READINGS,
            RESET_AFTER,
        )
        async_create_issue(
            self.hass,
            self.coordinator.config_entry,
            "counter_new_series",
            instance=slugify(self.unique_id or self.entity_id),
            is_persistent=True,
            placeholders={
                "entity": self.entity_id,
                "old": f"{old:g}" if old is not None else "-",
                "new": f"{new:g}" if new is not None else "-",
                "unit": self.native_unit_of_measurement or "",
            },
        )


_LOGGED = frozenset({Verdict.HELD, Verdict.INVALID, Verdict.FUTURE})
