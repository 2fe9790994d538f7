"""The configuration and control routes.

Battery mode, feed-in limit and battery parameters are tasks that run for a
while before they succeed (or fail when a test says so); a forced charge or
discharge is accepted at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
import secrets
from typing import Any

from aiohttp import web

from .plant import INVERTERS, SimAccount, SimPlant, SimTask
from .protocol import Refusal, envelope
from .state import SimulatorState


class ControlRoutes(SimulatorState):
    """What the Northbound API lets an account change."""

    def _control_plant(self, account: SimAccount, code: Any, now: datetime) -> SimPlant:
        plant = account.plant(str(code))
        if plant is None:
            raise Refusal(20007, now)
        if not plant.control_supported:
            raise Refusal(20609, now, "NETWORKING_NOT_SUPPORTED")
        return plant

    def battery_mode(
        self, account: SimAccount, body: dict[str, Any], now: datetime
    ) -> Any:
        """The battery working mode of a plant."""
        plant = self._control_plant(account, body.get("plantCode"), now)
        self._settle(now)
        mode = dict(plant.battery_mode)
        details = None
        if mode.get("operationMode") == "TOU":
            details = {
                "redundantPVEnergyPriority": mode.get("redundantPVEnergyPriority"),
                "allowedAcChargePower": mode.get("allowedAcChargePower"),
                "chargingAndDischargingTimeWindow": mode.get(
                    "chargingAndDischargingTimeWindow", []
                ),
            }
        return {
            "plantCode": plant.code,
            "operationMode": mode.get("operationMode"),
            "touOperationModeParamDetail": details,
        }

    def power_control_mode(
        self, account: SimAccount, body: dict[str, Any], now: datetime
    ) -> Any:
        """How a plant limits its feed-in."""
        plant = self._control_plant(account, body.get("plantCode"), now)
        self._settle(now)
        return {
            "plantCode": plant.code,
            "controlMode": plant.power_control.get("controlMode"),
            "zeroExportLimitationParam": plant.power_control.get(
                "zeroExportLimitationParam"
            ),
            "limitedPowerGridValueParam": plant.power_control.get(
                "limitedPowerGridValueParam"
            ),
            "limitedPowerGridPercentParam": plant.power_control.get(
                "limitedPowerGridPercentParam"
            ),
        }

    def _deliverer(
        self, kind: str
    ) -> Callable[[SimAccount, dict[str, Any], datetime], Any]:
        def deliver(account: SimAccount, body: dict[str, Any], now: datetime) -> Any:
            return self.deliver(kind, account, body, now)

        return deliver

    def deliver(
        self, kind: str, account: SimAccount, body: dict[str, Any], now: datetime
    ) -> Any:
        """Accept a control task (battery mode, parameters, feed-in limit)."""
        items = body.get("tasks")
        if not isinstance(items, list) or not 1 <= len(items) <= 10:
            return web.json_response(envelope(fail_code=30001, now=now))
        self._settle(now)
        task_id = secrets.token_hex(8)
        results = []
        delivered = []
        for item in items:
            plant = account.plant(str(item.get("plantCode")))
            problem = "INVALID" if plant is None else _invalid_task(kind, plant, item)
            if plant is not None and any(
                task.plant is plant and task.kind == kind and now < task.done_at
                for tasks in self.tasks.values()
                for task in tasks
            ):
                problem = "BUSY"
            if problem is not None or plant is None:
                results.append(
                    {
                        "plantCode": item.get("plantCode"),
                        "status": "FAIL",
                        "message": problem,
                    }
                )
                continue
            outcomes = self.task_outcomes.get(plant.code)
            outcome, message = outcomes.popleft() if outcomes else ("SUCCESS", None)
            delivered.append(
                SimTask(
                    task_id=task_id,
                    kind=kind,
                    plant=plant,
                    payload=dict(item),
                    delivered=now,
                    done_at=now + self.task_delay,
                    outcome=outcome,
                    message=message,
                )
            )
            results.append(
                {"plantCode": plant.code, "status": "RUNNING", "message": None}
            )
        self.tasks[task_id] = delivered
        data = {"taskId": task_id, "result": results}
        if not delivered:
            return web.json_response(envelope(data, fail_code=2, now=now))
        if len(delivered) < len(items):
            return web.json_response(envelope(data, fail_code=1, now=now))
        return data

    def _settle(self, now: datetime) -> None:
        for tasks in self.tasks.values():
            for task in tasks:
                if not task.applied and now >= task.done_at:
                    task.applied = True
                    if task.outcome == "SUCCESS":
                        _apply(task)

    def task_info(
        self, account: SimAccount, body: dict[str, Any], now: datetime
    ) -> Any:
        """The state of a control task."""
        tasks = self.tasks.get(str(body.get("taskId")))
        if not tasks or tasks[0].plant not in account.plants:
            return web.json_response(envelope(fail_code=20042, now=now))
        self._settle(now)
        results = []
        for task in tasks:
            status = "RUNNING" if now < task.done_at else task.outcome
            result: dict[str, Any] = {"plantCode": task.plant.code, "status": status}
            if status == "FAIL":
                result["message"] = task.message
            results.append(result | _task_echo(task))
        running = any(now < task.done_at for task in tasks)
        return {
            "dispatchResult": results,
            "startTime": tasks[0].delivered.isoformat(timespec="seconds"),
            "endTime": None
            if running
            else tasks[0].done_at.isoformat(timespec="seconds"),
        }

    def charge_discharge(
        self, account: SimAccount, body: dict[str, Any], now: datetime
    ) -> Any:
        """Accept forced charge, forced discharge or stop."""
        request_id = next(self._request_ids)
        results = []
        statuses = []
        for task in body.get("tasks") or []:
            plant = account.plant(str(task.get("plantCode")))
            switch = int(task.get("dispatchSwitch", -1))
            ok = plant is not None and plant.has_battery and switch in (0, 1, 2)
            if ok and switch and int(task.get("controlType", 0)) not in (1, 2):
                ok = False
            description = "success" if ok else "INVALID"
            if ok and plant is not None:
                if switch == 0:
                    plant.forced = None
                    until = now
                else:
                    minutes = int(task.get("dispatchTime") or 60)
                    until = now + timedelta(minutes=minutes)
                    plant.advance(now)
                    plant.forced = (
                        switch,
                        float(task.get("powerDispatch", plant.battery_max_w)),
                        until,
                    )
                statuses.append({"plant": plant, "until": until, "switch": switch})
            sn = (
                plant.of_types(INVERTERS)[0].serial
                if plant and plant.of_types(INVERTERS)
                else None
            )
            results.append(
                {
                    "plantCode": task.get("plantCode"),
                    "sn": sn,
                    "dispatchResult": 0 if ok else 1,
                    "subTaskId": secrets.token_hex(8),
                    "description": description,
                }
            )
        self.dispatches[request_id] = statuses
        return {"requestID": request_id, "result": results}

    def charge_discharge_status(
        self, account: SimAccount, body: dict[str, Any], now: datetime
    ) -> Any:
        """Progress of forced charges and discharges."""
        statuses = self.dispatches.get(int(body.get("requestID", 0)))
        if statuses is None:
            return web.json_response(envelope(fail_code=20042, now=now))
        return [
            {
                "plantCode": entry["plant"].code,
                "sn": None,
                "remoteID": "1",
                "status": 0 if now >= entry["until"] else 1,
                "chargedCapacity": round(entry["plant"].charged_day, 2),
                "dischargedCapacity": round(entry["plant"].discharged_day, 2),
                "execStartTime": None,
                "execEndTime": None,
                "message": "success",
            }
            for entry in statuses
        ]


def _task_echo(task: SimTask) -> dict[str, Any]:
    if task.kind == "battery_mode":
        return {
            key: task.payload.get(key)
            for key in (
                "operationMode",
                "redundantPVEnergyPriority",
                "allowedAcChargePower",
                "chargingAndDischargingTimeWindow",
            )
        }
    if task.kind == "battery_config":
        return {
            "batteryConfigurationInfo": task.payload.get("batteryConfigurationInfo")
        }
    return {
        "controlMode": task.payload.get("controlMode"),
        "controlInfo": task.payload.get("controlInfo"),
    }


def _apply(task: SimTask) -> None:
    plant, payload = task.plant, task.payload
    if task.kind == "battery_mode":
        plant.battery_mode = {
            key: value for key, value in payload.items() if key != "plantCode"
        }
    elif task.kind == "battery_config":
        plant.battery_config |= payload.get("batteryConfigurationInfo") or {}
    elif payload.get("controlMode") == "0":
        plant.power_control = {"controlMode": "noLimit"}
    else:
        info = payload.get("controlInfo") or {}
        limitation = (
            "singlePhasePower"
            if str(info.get("limitationMode")) == "1"
            else "totalPower"
        )
        plant.power_control = {
            "controlMode": "limitedPowerGridKW",
            "limitedPowerGridValueParam": {
                "limitationMode": limitation,
                "maxGridFeedInPowerValue": info.get("maxGridFeedInPower"),
            },
        }


def _minutes(text: Any) -> int | None:
    try:
        hours, minutes = str(text).split(":")
        value = int(hours) * 60 + int(minutes)
    except ValueError:
        return None
    return value if 0 <= value <= 24 * 60 else None


def _invalid_task(kind: str, plant: SimPlant, item: dict[str, Any]) -> str | None:
    """Return why a task is refused (INVALID), or None."""
    if kind == "power_control":
        return _invalid_power_control(item)
    if not plant.has_battery:
        return "INVALID"
    if kind == "battery_config":
        return _invalid_battery_config(item.get("batteryConfigurationInfo") or {})
    return _invalid_battery_mode(item)


def _invalid_power_control(item: dict[str, Any]) -> str | None:
    mode = str(item.get("controlMode"))
    if mode == "0":
        return None
    info = item.get("controlInfo") or {}
    power = info.get("maxGridFeedInPower")
    if mode != "6" or not isinstance(power, int | float) or not -1000 <= power <= 1000:
        return "INVALID"
    return None if str(info.get("limitationMode", "0")) in ("0", "1") else "INVALID"


BATTERY_RANGES = {
    "endOfChargeSoc": (90, 100),
    "endOfDischargeSoc": (0, 20),
    "maximumChargePower": (0, 100_000),
    "maximumDischargePower": (0, 100_000),
}


def _invalid_battery_config(info: dict[str, Any]) -> str | None:
    if not info or any(key not in BATTERY_RANGES for key in info):
        return "INVALID"
    for key, value in info.items():
        low, high = BATTERY_RANGES[key]
        if not isinstance(value, int | float) or not low <= value <= high:
            return "INVALID"
    return None


def _invalid_battery_mode(item: dict[str, Any]) -> str | None:
    mode = item.get("operationMode")
    if mode not in ("maximumSelfConsumption", "TOU", "thirdPartyDispatch"):
        return "INVALID"
    if mode != "TOU":
        return None
    windows = item.get("chargingAndDischargingTimeWindow") or []
    if not 1 <= len(windows) <= 14:
        return "INVALID"
    taken: set[tuple[int, int]] = set()
    for window in windows:
        start, end = _minutes(window.get("startTime")), _minutes(window.get("endTime"))
        days = window.get("repeat") or []
        valid = window.get("chargeOrDischarge") in ("charge", "discharge")
        if start is None or end is None or not days or not valid:
            return "INVALID"
        minutes = {(day, m) for day in days for m in range(start, end or 24 * 60)}
        if not minutes or minutes & taken:
            return "INVALID"
        taken |= minutes
    return None
