"""SMA's timestamps.

Measurement times are the end of their interval, in the plant's local time
without an offset (``2025-03-28T06:50:00``); consent dates carry .NET's seven
fractional digits (``0001-01-01T00:00:00.0000000``).

Local times without an offset are ambiguous for one hour a year: when the
clocks go back, ``02:30`` happens twice. SMA lists intervals oldest first, so
the order tells which is which (:func:`in_order`).
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_FRACTION = re.compile(r"(\.\d{6})\d+")


def plant_zone(name: Any) -> tzinfo:
    """Return a plant's time zone; UTC when SMA names none or an unknown one."""
    if isinstance(name, str) and name:
        try:
            return ZoneInfo(name)
        except ZoneInfoNotFoundError, ValueError:
            pass
    return UTC


def in_order(moment: datetime, after: datetime | None) -> datetime:
    """Return ``moment``, as the second of a repeated local hour if it must be.

    ``moment`` was read without an offset, so for a time the clocks pass
    twice it is the first of the two; when it comes after ``after`` in a
    list oldest first but the first would lie before it, it is the second.
    """
    if after is None or moment.tzinfo is None:
        return moment
    second = moment.replace(fold=1)
    if second.utcoffset() == moment.utcoffset():
        return moment
    if moment.timestamp() <= after.timestamp() < second.timestamp():
        return second
    return moment


def parse_time(value: Any, zone: tzinfo) -> datetime | None:
    """Return an aware time; times without an offset are in ``zone``."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(_FRACTION.sub(r"\1", value.strip()))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=zone)
    return parsed
