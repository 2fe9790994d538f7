"""Alarms of a plant's devices."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..values import as_datetime_ms, as_int, as_str


@dataclass(frozen=True, kw_only=True)
class Alarm:
    """An alarm of a plant's device."""

    plant_code: str
    alarm_id: int | None
    name: str | None
    device_name: str | None
    level: int | None
    """1 critical, 2 major, 3 minor, 4 warning."""
    status: int | None
    """1 active (not processed) … 6 cleared automatically."""
    raised: datetime | None

    @property
    def active(self) -> bool:
        """Return whether nobody has dealt with the alarm yet."""
        return self.status == 1

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Alarm | None:
        """Read an item of ``getAlarmList``."""
        if (code := as_str(data.get("stationCode"))) is None:
            return None
        return cls(
            plant_code=code,
            alarm_id=as_int(data.get("alarmId")),
            name=as_str(data.get("alarmName")),
            device_name=as_str(data.get("devName")),
            level=as_int(data.get("lev")),
            status=as_int(data.get("status")),
            raised=as_datetime_ms(data.get("raiseTime")),
        )
