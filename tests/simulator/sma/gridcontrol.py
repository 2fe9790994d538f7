"""SMA GridControl: the eligibility check and FeedInLimit schedules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from .monitoring import SmaMonitoring

# The FeedInLimit schedule is SMA's unpublished contract; this simulator checks
# the body the integration models (api/sma/gridcontrol.py).
LIMIT_UNITS = {"W", "Percent"}


class SmaGridControl(SmaMonitoring):
    """FeedInLimit schedules for the plants that take them."""

    def __init__(self) -> None:
        """Start without schedules."""
        super().__init__()
        self.schedules: dict[str, list[dict[str, Any]]] = {}
        self.reject_schedules: str | None = None
        """Answer schedules with this state (``Rejected``) and keep none."""

    async def post_eligibility(self, request: web.Request) -> web.Response:
        """Say which plants accept FeedInLimit."""
        caller = self._caller(request)
        if isinstance(caller, web.Response):
            return caller
        body = await request.json()
        visible = {plant.plant_id: plant for plant in self._visible(caller)}
        results = []
        for identifier in body.get("identifiers", []):
            plant = visible.get(str(identifier.get("value")))
            results.append(
                {
                    "identifier": identifier,
                    "eligibleCommands": ["FeedInLimit"]
                    if plant is not None and plant.grid_control
                    else [],
                }
            )
        return web.json_response({"results": results})

    async def post_schedule(self, request: web.Request) -> web.Response:
        """Accept a FeedInLimit schedule for an eligible plant."""
        found = self._plant(request)
        if isinstance(found, web.Response):
            return found
        _, plant = found
        if not plant.grid_control:
            return web.json_response(
                {"message": "Plant is not eligible for FeedInLimit", "code": "409"},
                status=409,
            )
        body = await request.json()
        problem = _schedule_problem(body)
        if problem is not None:
            return web.json_response({"message": problem, "code": "400"}, status=400)
        if self.reject_schedules is not None:
            return web.json_response(
                {"scheduleId": None, "state": self.reject_schedules}, status=200
            )
        self.schedules.setdefault(plant.plant_id, []).append(body)
        return web.json_response(
            {
                "scheduleId": f"schedule-{len(self.schedules[plant.plant_id])}",
                "state": "Accepted",
            },
            status=201,
        )


def _schedule_problem(body: Any) -> str | None:
    """Return what is wrong with a schedule body, or None."""
    commands = body.get("commands") if isinstance(body, dict) else None
    if not isinstance(commands, list) or not commands:
        return "A schedule needs commands"
    for command in commands:
        if command.get("commandType") != "FeedInLimit":
            return f"Unsupported command {command.get('commandType')!r}"
        if command.get("unit") not in LIMIT_UNITS:
            return f"Unsupported unit {command.get('unit')!r}"
        value = command.get("value")
        if not isinstance(value, int | float) or value < 0:
            return "The value must be a number >= 0"
        if command["unit"] == "Percent" and value > 100:
            return "A percentage must be <= 100"
        try:
            datetime.fromisoformat(command["start"])
        except KeyError, TypeError, ValueError:
            return "The start must be an ISO 8601 time"
        duration = command.get("duration")
        if duration is not None and (not isinstance(duration, int) or duration <= 0):
            return "The duration must be a positive number of seconds"
    return None
