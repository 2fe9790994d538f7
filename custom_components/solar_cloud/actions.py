"""What an action (service call) asks of a vendor, independent of the vendor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta
from enum import StrEnum

from .runtime import SolarCloudConfigEntry


@dataclass(frozen=True, kw_only=True)
class ActionTarget:
    """The account, and the plant or device in it, an action is for."""

    entry: SolarCloudConfigEntry
    device_key: str | None
    """The vendor key of the device the user picked; None if only the entry."""


class FeedInLimitMode(StrEnum):
    """Whether the grid feed-in is limited (option keys: never rename)."""

    NO_LIMIT = "no_limit"
    LIMITED = "limited"


class FeedInLimitScope(StrEnum):
    """What the limit applies to (option keys: never rename)."""

    TOTAL = "total"
    SINGLE_PHASE = "single_phase"


@dataclass(frozen=True, kw_only=True)
class FeedInLimitRequest:
    """A feed-in limit, as the ``set_feed_in_limit`` action takes it.

    ``power_limit`` (kW) and ``percent_limit`` (% of the plant's nominal power)
    are alternatives; a vendor that supports only one refuses the other.
    """

    mode: FeedInLimitMode
    power_limit: float | None = None
    percent_limit: float | None = None
    scope: FeedInLimitScope = FeedInLimitScope.TOTAL
    duration: timedelta | None = None


class BatteryModeOption(StrEnum):
    """Battery working modes an action can set (option keys: never rename)."""

    MAXIMUM_SELF_CONSUMPTION = "maximum_self_consumption"
    TIME_OF_USE = "time_of_use"
    THIRD_PARTY_DISPATCH = "third_party_dispatch"


class PvSurplusOption(StrEnum):
    """Where surplus PV goes in time-of-use mode (option keys: never rename)."""

    FEED_IN = "feed_in"
    CHARGE = "charge"


class Weekday(StrEnum):
    """Days a time-of-use window repeats on (option keys: never rename)."""

    MONDAY = "mon"
    TUESDAY = "tue"
    WEDNESDAY = "wed"
    THURSDAY = "thu"
    FRIDAY = "fri"
    SATURDAY = "sat"
    SUNDAY = "sun"

    @property
    def iso(self) -> int:
        """Return the ISO weekday (1 Monday … 7 Sunday)."""
        return list(Weekday).index(self) + 1


@dataclass(frozen=True, kw_only=True)
class TouWindow:
    """A window of the time-of-use battery mode: charge or discharge."""

    start: time
    end: time
    """00:00 means midnight at the end of the day."""
    charge: bool
    days: tuple[Weekday, ...] = tuple(Weekday)

    def minutes(self) -> range:
        """Return the minutes of the day the window covers."""
        end = self.end.hour * 60 + self.end.minute or 24 * 60
        return range(self.start.hour * 60 + self.start.minute, end)


@dataclass(frozen=True, kw_only=True)
class BatteryModeRequest:
    """A battery working mode, as the ``set_battery_mode`` action takes it."""

    mode: BatteryModeOption
    windows: tuple[TouWindow, ...] = ()
    pv_surplus: PvSurplusOption | None = None
    max_grid_charge_power: float | None = None
    """kW the battery may charge from the grid (time-of-use)."""


@dataclass(frozen=True, kw_only=True)
class BatteryParametersRequest:
    """Battery parameters (``set_battery_parameters``); None leaves one as it is."""

    end_of_charge_soc: float | None = None
    end_of_discharge_soc: float | None = None
    max_charge_power: float | None = None
    """W."""
    max_discharge_power: float | None = None
    """W."""


class ForcedBatteryDirection(StrEnum):
    """Whether a forced battery task charges or discharges."""

    CHARGE = "charge"
    DISCHARGE = "discharge"


@dataclass(frozen=True, kw_only=True)
class ForcedBatteryRequest:
    """A forced charge or discharge until ``target_soc`` or for ``duration``."""

    direction: ForcedBatteryDirection
    power: float
    """W."""
    target_soc: float | None = None
    duration: timedelta | None = None
