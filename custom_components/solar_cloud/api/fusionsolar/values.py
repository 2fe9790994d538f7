"""Reading the loosely typed values of the Northbound API.

The API documents numbers as Double or Long, but sends them as numbers, as
strings (``"17543"``, ``"345732.000"``), as ``null`` or as ``"N/A"``, and
coordinates as empty strings. Everything that reads a value goes through here,
so that no such quirk reaches a model, let alone an entity.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from enum import StrEnum
import math
from typing import Any


def as_float(value: Any) -> float | None:
    """Return ``value`` as a finite float, or None if it holds no number."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def as_int(value: Any) -> int | None:
    """Return ``value`` as an int (``512.0`` and ``"3"`` included), or None."""
    number = as_float(value)
    if number is None or not number.is_integer():
        return None
    return int(number)


def as_str(value: Any) -> str | None:
    """Return ``value`` as a stripped, non-empty string, or None."""
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def as_datetime_ms(value: Any) -> datetime | None:
    """Return epoch milliseconds as an aware UTC datetime, or None."""
    number = as_float(value)
    if number is None or number <= 0:
        return None
    try:
        return datetime.fromtimestamp(number / 1000, UTC)
    except OverflowError, OSError, ValueError:
        return None


def as_datetime_iso(value: Any) -> datetime | None:
    """Return an ISO 8601 date-time with offset as an aware datetime, or None."""
    if (text := as_str(value)) is None:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def as_dict(value: Any) -> dict[str, Any]:
    """Return ``value`` if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """Return ``value`` if it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


def as_code[T](value: Any, codes: Mapping[int, T]) -> T | None:
    """Return what the integer code ``value`` stands for in ``codes``, or None."""
    number = as_int(value)
    return None if number is None else codes.get(number)


def as_enum[E: StrEnum](kind: type[E], value: Any) -> E | None:
    """Return ``value`` as a member of ``kind``, or None."""
    try:
        return kind(value)
    except ValueError:
        return None


def read_items[T](value: Any, read: Callable[[dict[str, Any]], T | None]) -> list[T]:
    """Return what ``read`` makes of each object of a JSON array, leaving out None."""
    return [
        item for entry in as_list(value) if (item := read(as_dict(entry))) is not None
    ]
