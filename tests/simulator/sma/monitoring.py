"""SMA's Monitoring API v1: plants, devices, measurement sets, EnergyBalance."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from aiohttp import web

from ..oauth import IssuedToken
from .auth import SmaAuthorization
from .plants import ENERGY_FIELDS, SimDevice, SimPlant, device_values


class SmaMonitoring(SmaAuthorization):
    """The plants of the owners, read as the caller's consent or sign-in allows."""

    def __init__(self) -> None:
        """Start without plants."""
        super().__init__()
        self.plants: dict[str, SimPlant] = {}
        self.balance_requests: list[tuple[datetime, str, str, str | None]] = []
        """(time, plant id, period, Date) of every EnergyBalance answered."""
        self.unserved_sets: set[str] = set()
        """Sets devices list that SMA answers 404 to (served for other accounts)."""

    def add_plant(self, plant: SimPlant, *, owner: str) -> SimPlant:
        """Add a plant of ``owner``."""
        self.plants[plant.plant_id] = plant
        self.owners.setdefault(owner, []).append(plant.plant_id)
        return plant

    def move_plant(self, old: str, new: str) -> None:
        """Migrate a plant to a new id; the old id answers 308 from now on."""
        plant = self.plants[old]
        moved = SimPlant(**{**plant.__dict__, "plant_id": new})
        plant.moved_to = new
        self.plants[new] = moved
        for plants in self.owners.values():
            if old in plants:
                plants[plants.index(old)] = new
        for consent in self.consents.values():
            if old in consent.scope:
                consent.scope = (consent.scope - {old}) | {new}

    # Routes -----------------------------------------------------------------

    def _visible(self, issued: IssuedToken) -> list[SimPlant]:
        if issued.client_id in self.code_clients:
            ids = list(self.owners.get(issued.subject, []))
        else:
            ids = []
            for (client, login_hint), consent in self.consents.items():
                if client == issued.client_id:
                    self._age(consent, login_hint)
                    ids += sorted(consent.scope)
        return [self.plants[plant_id] for plant_id in ids]

    def _plant(
        self, request: web.Request
    ) -> tuple[IssuedToken, SimPlant] | web.Response:
        caller = self._caller(request)
        if isinstance(caller, web.Response):
            return caller
        plant = self.plants.get(request.match_info["plant"])
        if plant is not None and plant.moved_to is not None:
            location = request.path.replace(
                f"/plants/{plant.plant_id}", f"/plants/{plant.moved_to}", 1
            )
            if request.query_string:
                location = f"{location}?{request.query_string}"
            return web.json_response(
                {"message": "Plant moved", "code": "308"},
                status=308,
                headers={"Location": location},
            )
        if plant is None or plant not in self._visible(caller):
            return web.json_response(
                {"message": "Forbidden", "code": "403"}, status=403
            )
        return caller, plant

    def _device(
        self, request: web.Request
    ) -> tuple[SimPlant, SimDevice] | web.Response:
        caller = self._caller(request)
        if isinstance(caller, web.Response):
            return caller
        for plant in self._visible(caller):
            for device in plant.devices:
                if device.device_id == request.match_info["device"]:
                    return plant, device
        return web.json_response({"message": "Forbidden", "code": "403"}, status=403)

    async def get_plants(self, request: web.Request) -> web.Response:
        """List the plants the token may read: none without consent."""
        caller = self._caller(request)
        if isinstance(caller, web.Response):
            return caller
        return web.json_response(
            {"plants": [plant.to_api() for plant in self._visible(caller)]}
        )

    async def get_plant(self, request: web.Request) -> web.Response:
        """Describe one plant."""
        found = self._plant(request)
        if isinstance(found, web.Response):
            return found
        _, plant = found
        return web.json_response(
            {**plant.summary(), "description": f"{plant.name} description"}
        )

    async def get_devices(self, request: web.Request) -> web.Response:
        """List a plant's devices; deactivated ones only when asked."""
        found = self._plant(request)
        if isinstance(found, web.Response):
            return found
        _, plant = found
        with_deactivated = request.query.get("WithDeactivatedDevices") == "true"
        return web.json_response(
            {
                "plant": plant.summary(),
                "devices": [
                    device.to_api()
                    for device in plant.devices
                    if device.active or with_deactivated
                ],
            }
        )

    async def get_set_names(self, request: web.Request) -> web.Response:
        """List the measurement sets of a device."""
        found = self._device(request)
        if isinstance(found, web.Response):
            return found
        plant, device = found
        return web.json_response(
            {
                "plant": plant.summary(),
                "device": {
                    "deviceId": device.device_id,
                    "name": device.name,
                    "timezone": plant.timezone,
                },
                "sets": list(device.sets),
            }
        )

    def _period(
        self, request: web.Request, plant: SimPlant
    ) -> tuple[str, list[datetime], date] | web.Response:
        period = request.match_info["period"]
        today = plant.local_now(self.clock).date()
        try:
            day = (
                date.fromisoformat(request.query["Date"])
                if "Date" in request.query
                else today
            )
        except ValueError:
            return web.json_response(
                {"message": "Invalid Date", "code": "400"}, status=400
            )
        if period == "Recent":
            latest = plant.day_points(today, self.clock) or plant.day_points(
                today - timedelta(days=1), self.clock
            )
            return period, latest[-1:], day
        if period == "Day":
            return period, plant.day_points(day, self.clock), day
        if period == "Week":
            week = (day + timedelta(days=offset) for offset in range(7))
            return (
                period,
                [end for d in week for end in plant.day_points(d, self.clock)],
                day,
            )
        return period, [], day

    @staticmethod
    def _resolution(plant: SimPlant) -> str:
        minutes = int(plant.resolution.total_seconds() // 60)
        return {5: "FiveMinutes", 15: "FifteenMinutes"}.get(minutes, "OneHour")

    @staticmethod
    def _time(moment: datetime) -> str:
        return moment.strftime("%Y-%m-%dT%H:%M:%S")

    async def get_energy_balance(self, request: web.Request) -> web.Response:
        """Return a plant's EnergyBalance over a period."""
        found = self._plant(request)
        if isinstance(found, web.Response):
            return found
        _, plant = found
        period = request.match_info["period"]
        self.balance_requests.append(
            (self.clock.now(), plant.plant_id, period, request.query.get("Date"))
        )
        if period in ("Month", "Year", "Total"):
            return self._energy_periods(request, plant, period)
        parsed = self._period(request, plant)
        if isinstance(parsed, web.Response):
            return parsed
        _, ends, _ = parsed
        items = [{"time": self._time(end), **plant.balance(end)} for end in ends]
        body: dict[str, Any] = {
            "plant": plant.summary(),
            "setType": "EnergyBalance",
            "resolution": self._resolution(plant),
            "set": items,
        }
        if request.query.get("WithTotal") == "true":
            body["total"] = _energy_total(items, plant.resolution)
        return web.json_response(body)

    def _energy_periods(
        self, request: web.Request, plant: SimPlant, period: str
    ) -> web.Response:
        today = plant.local_now(self.clock).date()
        until = plant.available_until(self.clock)
        raw = request.query.get("Date", "")
        buckets: dict[date, dict[str, float]] = {}
        day = plant.commissioned
        while day <= today:
            if period == "Month" and raw != day.strftime("%Y-%m"):
                day += timedelta(days=1)
                continue
            if period == "Year" and raw != day.strftime("%Y"):
                day += timedelta(days=1)
                continue
            key = {
                "Month": day,
                "Year": day.replace(day=1),
                "Total": day.replace(month=1, day=1),
            }[period]
            bucket = buckets.setdefault(key, {})
            factor = plant.total_factor if period == "Total" else 1.0
            for name, value in plant.day_energy(day, self.clock, until).items():
                bucket[name] = bucket.get(name, 0.0) + value * factor
            day += timedelta(days=1)
        return web.json_response(
            {
                "plant": plant.summary(),
                "setType": "EnergyBalance",
                "resolution": {
                    "Month": "OneDay",
                    "Year": "OneMonth",
                    "Total": "OneYear",
                }[period],
                "set": [
                    {
                        "time": self._time(datetime.combine(key, time())),
                        **{name: round(value, 3) for name, value in values.items()},
                    }
                    for key, values in sorted(buckets.items())
                ],
            }
        )

    async def get_device_set(self, request: web.Request) -> web.Response:
        """Return a device's measurement set over Recent or Day."""
        found = self._device(request)
        if isinstance(found, web.Response):
            return found
        plant, device = found
        set_type = request.match_info["set"]
        if set_type in self.unserved_sets:
            return web.json_response(
                {"message": "Not Found", "code": "404"}, status=404
            )
        if set_type not in device.sets:
            return web.json_response(
                {"message": f"Set {set_type} not available", "code": "400"}, status=400
            )
        parsed = self._period(request, plant)
        if isinstance(parsed, web.Response):
            return parsed
        _, ends, _ = parsed
        # ReturnEnergyValues: the EnergyAndPower* sets give Wh per interval.
        hours = (
            plant.resolution.total_seconds() / 3600
            if request.query.get("ReturnEnergyValues") == "true"
            and set_type.startswith("EnergyAndPower")
            else None
        )
        items = [
            {
                "time": self._time(end),
                **{
                    key: round(value * hours, 3)
                    if hours is not None and key in DEVICE_ENERGY_FIELDS
                    else value
                    for key, value in device_values(
                        plant, device, set_type, end
                    ).items()
                },
            }
            for end in ends
        ]
        body: dict[str, Any] = {
            "plant": plant.summary(),
            "device": {
                "deviceId": device.device_id,
                "name": device.name,
                "timezone": plant.timezone,
            },
            "setType": set_type,
            "resolution": self._resolution(plant),
            "set": items,
        }
        if request.query.get("WithTotal") == "true":
            body["total"] = _energy_total(
                items, timedelta(hours=1) if hours is not None else plant.resolution
            )
        return web.json_response(body)


DEVICE_ENERGY_FIELDS = frozenset(
    {
        "pvGeneration",
        "batteryCharging",
        "batteryDischarging",
        "gridFeedIn",
        "gridConsumption",
        "consumption",
    }
)


def _energy_total(items: list[dict[str, Any]], step: timedelta) -> dict[str, float]:
    """Return the Wh of each energy field over intervals of power (or of Wh, step 1 h)."""
    hours = step.total_seconds() / 3600
    total: dict[str, float] = {}
    for item in items:
        for key, value in item.items():
            if key in ENERGY_FIELDS or key in DEVICE_ENERGY_FIELDS:
                total[key] = total.get(key, 0.0) + value * hours
    return {key: round(value, 3) for key, value in total.items()}
