"""SMA GridControl API: the FeedInLimit command and the eligibility check.

SMA documents these endpoints only to licensed partners. What is public (the
GridControl release notes and FAQ): schedules are POSTed to
``/v1/plants/{plantId}/schedules``, ``FeedInLimit`` is the active power
limitation command, eligibility is checked with ``POST
/v1/plants/eligibilityCheck``, and a command runs from a start time for a
duration. The request and answer bodies below are this integration's
assumption of that contract, kept in this one module so that the real schema
replaces it in one place:

    POST /v1/plants/{plantId}/schedules
    {"commands": [{"commandType": "FeedInLimit",
                   "start": "2026-06-21T12:00:00Z",     # UTC
                   "duration": 3600,                     # seconds; omitted: until replaced
                   "value": 3500, "unit": "W"}]}         # or "unit": "Percent"
    -> {"scheduleId": "...", "state": "Accepted"}

    POST /v1/plants/eligibilityCheck
    {"identifiers": [{"type": "PlantId", "value": "13"}]}
    -> {"results": [{"identifier": {"type": "PlantId", "value": "13"},
                     "eligibleCommands": ["FeedInLimit"]}]}

"No limit" is sent as a FeedInLimit of 100 % of the plant's nominal power.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from ..errors import ApiResponseError

FEED_IN_LIMIT = "FeedInLimit"
REFUSED_STATES = frozenset({"rejected", "refused", "failed", "invalid", "error"})
"""Schedule states (case-folded) in which SMA did not take the schedule."""


class LimitUnit(StrEnum):
    """The unit of a FeedInLimit value."""

    WATT = "W"
    PERCENT = "Percent"


@dataclass(frozen=True, kw_only=True)
class FeedInLimitCommand:
    """Limit the power a plant feeds into the grid, from ``start`` on."""

    value: float
    unit: LimitUnit
    start: datetime
    duration: timedelta | None = None
    """How long the limit holds; None: until the next schedule replaces it."""

    @classmethod
    def no_limit(
        cls, start: datetime, duration: timedelta | None = None
    ) -> FeedInLimitCommand:
        """Return the command that lifts the limit."""
        return cls(value=100.0, unit=LimitUnit.PERCENT, start=start, duration=duration)

    def to_api(self) -> dict[str, Any]:
        """Return the schedule body that carries this command."""
        command: dict[str, Any] = {
            "commandType": FEED_IN_LIMIT,
            "start": self.start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "value": round(self.value, 2),
            "unit": self.unit.value,
        }
        if self.duration is not None:
            command["duration"] = int(self.duration.total_seconds())
        return {"commands": [command]}

    @property
    def end(self) -> datetime | None:
        """Return when the limit ends; None while it holds until replaced."""
        return None if self.duration is None else self.start + self.duration


@dataclass(frozen=True, kw_only=True)
class ScheduleResult:
    """SMA's answer to a schedule."""

    schedule_id: str | None
    state: str | None

    @property
    def accepted(self) -> bool:
        """Return whether SMA took the schedule (an empty answer is taken)."""
        return self.state is None or self.state.casefold() not in REFUSED_STATES

    @classmethod
    def from_api(cls, data: Any) -> ScheduleResult:
        """Parse the answer; an empty body (202/204) is an accepted schedule."""
        if data is None:
            return cls(schedule_id=None, state=None)
        if not isinstance(data, dict):
            raise ApiResponseError(f"Unexpected schedule answer: {data!r:.200}")
        schedule_id = data.get("scheduleId") or data.get("id")
        state = data.get("state") or data.get("status")
        return cls(
            schedule_id=str(schedule_id) if schedule_id is not None else None,
            state=str(state) if state is not None else None,
        )


def eligibility_request(plant_ids: list[str]) -> dict[str, Any]:
    """Return the body that asks which commands these plants accept."""
    return {"identifiers": [{"type": "PlantId", "value": pid} for pid in plant_ids]}


def parse_eligibility(data: Any) -> dict[str, frozenset[str]]:
    """Return the commands each plant accepts (plant id -> command names)."""
    if not isinstance(data, dict) or not isinstance(
        results := data.get("results"), list
    ):
        raise ApiResponseError(f"Unexpected eligibility answer: {data!r:.200}")
    eligible: dict[str, frozenset[str]] = {}
    for result in results:
        if not isinstance(result, dict):
            continue
        identifier = result.get("identifier")
        plant_id = (
            identifier.get("value")
            if isinstance(identifier, dict)
            else result.get("plantId")
        )
        commands = result.get("eligibleCommands")
        if plant_id is None or not isinstance(commands, list):
            continue
        eligible[str(plant_id)] = frozenset(str(command) for command in commands)
    return eligible
