"""The values smart-me keeps of a device: history readings and their energy.

``GET /ValuesInPastMultiple/{id}`` (Professional licence) answers the value
sets of a device at an interval between two times, at most
:data:`HISTORY_MAX_VALUES` per call; ``GET /ValuesInPast/{id}`` the one value
set before a time. Both carry the same ``ValuesData`` shape: a date and a list
of ``{Obis, Value}``. Parsing is as tolerant as the device list's: keys in any
case, numbers as strings, null values left out, a time without zone is UTC.

The counters in these answers (``1-0:1.8.0`` import, ``1-0:2.8.0`` export)
look like Wh in the one real capture, while the device list's counters are
kWh; that is not documented. :data:`HISTORY_ENERGY_FACTOR` assumes Wh, and
:func:`history_energy_factor` measures the factor against the device list's
kWh counter the way pushes are calibrated (see ``push.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Self

from ..errors import ApiResponseError
from . import obis
from .models import MeterReading, as_datetime, as_float, lower_keys
from .push import measure_energy_factor

HISTORY_MAX_VALUES = 1000
"""The most value sets one ``ValuesInPastMultiple`` call returns."""

HISTORY_ENERGY_FACTOR = 1e-3
"""History counter -> kWh, assuming Wh. Unverified: see :func:`history_energy_factor`."""


@dataclass(frozen=True, kw_only=True, slots=True)
class HistoryReading:
    """The values of a device at one time, as smart-me keeps them."""

    time: datetime
    """When (aware, UTC)."""
    values: dict[str, float] = field(default_factory=dict)
    """OBIS code (text form ``1-0:1.8.0*255``) -> value; nulls are left out."""

    @classmethod
    def from_api(cls, raw: Any) -> Self:
        """Parse one ``ValuesData`` object.

        A value without a usable OBIS code or number is left out.

        Raises:
            ApiResponseError: Not an object, or no usable ``Date``.

        """
        data = lower_keys(raw, "ValuesData")
        moment = as_datetime(data.get("date"))
        if moment is None:
            raise ApiResponseError(f"ValuesData without a date: {str(raw)[:100]!r}")
        values: dict[str, float] = {}
        items = data.get("values")
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, Mapping):
                continue
            value_data = lower_keys(item, "ValueData")
            number = as_float(value_data.get("value"))
            if number is None:
                continue
            try:
                code = obis.obis_from_text(str(value_data.get("obis", "")))
            except ApiResponseError:
                continue
            values[code] = number
        return cls(time=moment.astimezone(UTC), values=values)

    @property
    def energy_import(self) -> float | None:
        """Return the import counter (``1-0:1.8.0``), in smart-me's unit."""
        return self.values.get(obis.ENERGY_IMPORT)

    @property
    def energy_export(self) -> float | None:
        """Return the export counter (``1-0:2.8.0``), in smart-me's unit."""
        return self.values.get(obis.ENERGY_EXPORT)


def parse_history(raw: Any) -> list[HistoryReading]:
    """Return the readings of a ``ValuesInPastMultiple`` body, sorted by time.

    An item without a date, or without any value, is left out; of items with
    the same time the first is kept.

    Raises:
        ApiResponseError: The body is not a list.

    """
    if not isinstance(raw, list):
        raise ApiResponseError(
            f"ValuesInPastMultiple is not a list: {str(raw)[:100]!r}"
        )
    readings: list[HistoryReading] = []
    for item in raw:
        try:
            reading = HistoryReading.from_api(item)
        except ApiResponseError:
            continue
        if reading.values:
            readings.append(reading)
    return merge_readings([readings])


def merge_readings(batches: Iterable[Iterable[HistoryReading]]) -> list[HistoryReading]:
    """Return the readings of several calls as one list sorted by time.

    Windows from :func:`history_windows` share their boundary reading: of
    readings with the same time the first is kept.
    """
    by_time: dict[datetime, HistoryReading] = {}
    for batch in batches:
        for reading in batch:
            by_time.setdefault(reading.time, reading)
    return [by_time[moment] for moment in sorted(by_time)]


def _check_aware(*moments: datetime) -> None:
    if any(moment.tzinfo is None for moment in moments):
        raise ValueError("smart-me history times must be timezone-aware")


def history_count(start: datetime, end: datetime, interval_minutes: int) -> int:
    """Return how many readings fall on ``start + k * interval`` up to ``end``."""
    _check_aware(start, end)
    if interval_minutes < 1:
        raise ValueError("interval_minutes must be at least 1")
    if end < start:
        return 0
    return (end - start) // timedelta(minutes=interval_minutes) + 1


def history_windows(
    start: datetime,
    end: datetime,
    interval_minutes: int,
    *,
    max_values: int = HISTORY_MAX_VALUES,
) -> list[tuple[datetime, datetime]]:
    """Split ``start``..``end`` into windows of at most ``max_values`` readings.

    Readings fall on ``start + k * interval``; each window is one
    ``ValuesInPastMultiple`` call. A window ends on the reading the next one
    starts with: smart-me does not document whether ``endDate`` is included,
    and sharing one reading leaves no gap either way (:func:`merge_readings`
    drops the duplicate). A year of hourly readings takes 9 windows.

    Raises:
        ValueError: A naive time, an interval below one minute or
            ``max_values`` below 2.

    """
    count = history_count(start, end, interval_minutes)
    if max_values < 2:
        raise ValueError("a window needs room for at least 2 readings")
    step = timedelta(minutes=interval_minutes)
    last = start + (count - 1) * step
    windows: list[tuple[datetime, datetime]] = []
    window_start = start
    while count and (not windows or window_start < last):
        window_end = min(last, window_start + (max_values - 1) * step)
        windows.append((window_start, window_end))
        window_start = window_end
    return windows


@dataclass(frozen=True, kw_only=True, slots=True)
class IntervalEnergy:
    """The energy of one interval between two readings, kWh."""

    start: datetime
    end: datetime
    energy_import: float | None
    """None if unknown: a reading or its counter is missing, or it went backwards."""
    energy_export: float | None


def _difference(
    begin: HistoryReading | None,
    end: HistoryReading | None,
    code: str,
    factor: float,
) -> float | None:
    first = begin.values.get(code) if begin is not None else None
    last = end.values.get(code) if end is not None else None
    if first is None or last is None or last < first:
        return None
    return (last - first) * factor


def interval_energies(
    readings: Iterable[HistoryReading],
    interval_minutes: int,
    *,
    unit_factor: float = HISTORY_ENERGY_FACTOR,
) -> list[IntervalEnergy]:
    """Return the energy of every interval from the first reading to the last.

    Intervals follow ``first.time + k * interval``: one entry each, the
    difference of the counters at its two ends times ``unit_factor`` (Wh ->
    kWh by default; unverified, see :func:`history_energy_factor`). A reading
    missing at either end, a counter missing from it, or a counter that went
    backwards (a meter exchanged or corrected) makes that interval unknown
    (None), never zero. Readings off that grid are not used.

    Raises:
        ValueError: An interval below one minute.

    """
    if interval_minutes < 1:
        raise ValueError("interval_minutes must be at least 1")
    by_time = {reading.time: reading for reading in readings}
    if not by_time:
        return []
    step = timedelta(minutes=interval_minutes)
    moment, last = min(by_time), max(by_time)
    energies: list[IntervalEnergy] = []
    while moment + step <= last:
        begin, end = by_time.get(moment), by_time.get(moment + step)
        energies.append(
            IntervalEnergy(
                start=moment,
                end=moment + step,
                energy_import=_difference(begin, end, obis.ENERGY_IMPORT, unit_factor),
                energy_export=_difference(begin, end, obis.ENERGY_EXPORT, unit_factor),
            )
        )
        moment += step
    return energies


def history_energy_factor(reading: HistoryReading, rest: MeterReading) -> float | None:
    """Return the factor that turns the reading's counters into the REST kWh.

    One of 1, 10⁻³ (Wh, as observed) and 10⁻⁶, measured as for pushes: the
    REST counter must be large enough and measured close enough to the
    reading (``push.MIN_CALIBRATION_KWH``, ``push.MAX_CALIBRATION_GAP``).
    None if that cannot be told yet.
    """
    return measure_energy_factor(reading.values, reading.time, rest)
