"""What a vendor implements to have its energy history imported.

A vendor's history is a :class:`HistorySource`: which series it has, how to
split a period into requests (:class:`HistoryChunk`, one call or a few each),
and how to fetch one. ``history.py`` runs the import. The option of the
period to import (``history_days``) is here too: every vendor's options flow
shows it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from homeassistant.const import UnitOfTime
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
)
import probatio

from .const import Vendor
from .statistics import HistorySeries, SeriesEnergy
from .stored import stored_time

CONF_HISTORY_DAYS: Final = "history_days"
DEFAULT_HISTORY_DAYS: Final = 365
MAX_HISTORY_DAYS: Final = 3650

HISTORY_DAYS_SELECTOR: Final = NumberSelector(
    NumberSelectorConfig(
        min=0,
        max=MAX_HISTORY_DAYS,
        step=1,
        mode=NumberSelectorMode.BOX,
        unit_of_measurement=UnitOfTime.DAYS,
    )
)


def history_days_field(options: Mapping[str, Any]) -> dict[probatio.Marker, Any]:
    """Return the options form field of the history period, as the account has it."""
    return {
        probatio.Required(
            CONF_HISTORY_DAYS,
            default=options.get(CONF_HISTORY_DAYS, DEFAULT_HISTORY_DAYS),
        ): HISTORY_DAYS_SELECTOR
    }


@dataclass(frozen=True, kw_only=True)
class HistoryChunk:
    """One request for history: a vendor's unit (plant, meter) over a range."""

    unit: str
    start: datetime
    end: datetime
    kind: str = ""
    """Which of the vendor's requests (e.g. hourly or daily data)."""

    def as_list(self) -> list[str]:
        """Return the chunk as JSON-able data."""
        return [self.unit, self.start.isoformat(), self.end.isoformat(), self.kind]

    @classmethod
    def from_list(cls, data: Any) -> HistoryChunk | None:
        """Return a stored chunk; None for what does not parse."""
        if not isinstance(data, list) or len(data) != 4:
            return None
        unit, start, end, kind = data
        start_at, end_at = stored_time(start), stored_time(end)
        if start_at is None or end_at is None:
            return None
        return cls(unit=str(unit), start=start_at, end=end_at, kind=str(kind))


class HistorySource(ABC):
    """A vendor's energy history: what it has, and how to fetch it."""

    vendor: Vendor

    call_spacing: timedelta = timedelta(seconds=15)
    """Least time between two history requests (keeps clear of rate limits)."""
    live_interval: timedelta = timedelta(hours=1)
    trailing_window: timedelta = timedelta(hours=48)
    trailing_interval: timedelta = timedelta(hours=6)
    live_delay: timedelta = timedelta(minutes=5)
    """How long after the hour the newest hours are asked for."""
    calls: int | None = None
    """The calls the source made, if it counts them (None: one per fetch).

    A fetch that made no call (nothing to ask for) then costs no spacing."""

    def stored(self) -> dict[str, Any]:
        """Return what the source learned and wants kept over restarts."""
        return {}

    def restore(self, data: dict[str, Any]) -> None:  # noqa: B027 (optional hook)
        """Take back what :meth:`stored` returned before a restart."""

    @abstractmethod
    def series(self) -> Sequence[HistorySeries]:
        """Return every series the account has now."""

    @abstractmethod
    def plan(self, start: datetime, end: datetime) -> list[HistoryChunk]:
        """Return the requests that cover ``[start, end)``, in the order to run."""

    @abstractmethod
    async def async_fetch(self, chunk: HistoryChunk) -> list[SeriesEnergy]:
        """Fetch one request.

        Raises:
            SolarCloudApiError: As the client does; ApiRateLimitedError with
                ``retry_after`` when the budget says wait.

        """

    async def async_first_data(self) -> datetime | None:
        """Return the oldest time the cloud keeps data of, if one call can tell."""
        return None
