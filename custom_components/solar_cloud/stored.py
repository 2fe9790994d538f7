"""Reading back what the integration kept in Home Assistant's storage.

Storage can be damaged or written by another version: what does not parse is
None, never an error.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any


def stored_time(value: Any) -> datetime | None:
    """Return an aware time kept as ISO 8601 text; None for anything else."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None
