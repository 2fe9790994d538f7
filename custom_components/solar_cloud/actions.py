"""What an action (service call) asks of a vendor, independent of the vendor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
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
