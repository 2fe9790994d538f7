"""The monitoring routes: plants, devices, real-time KPIs, history, alarms."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
import math
from typing import Any

from aiohttp import web

from .ledger import Period, buckets, device_item, plant_item
from .plant import BATTERIES, INVERTERS, METERS, SimAccount, SimDevice, SimPlant
from .protocol import Refusal, collect_time, envelope
from .state import SimulatorState


class MonitoringRoutes(SimulatorState):
    """What the Northbound API lets an account read."""

    def stations(self, account: SimAccount, body: dict[str, Any], now: datetime) -> Any:
        """The paged plant list (100 per page at most)."""
        size = int(body.get("pageSize", 100))
        if size not in (10, 20, 30, 50, 100):
            return web.json_response(envelope(fail_code=30006, now=now))
        page = max(1, int(body.get("pageNo", 1)))
        plants = account.plants[(page - 1) * size : page * size]
        return web.json_response(
            {
                "data": {
                    "list": [
                        {
                            "plantCode": plant.code,
                            "plantName": plant.name,
                            "plantAddress": plant.address or "",
                            "longitude": ""
                            if plant.longitude is None
                            else str(plant.longitude),
                            "latitude": ""
                            if plant.latitude is None
                            else plant.latitude,
                            "capacity": plant.capacity_kw,
                            "contactPerson": None,
                            "contactMethod": None,
                            "gridConnectionDate": plant.grid_connected,
                        }
                        for plant in plants
                    ],
                    "pageCount": max(1, math.ceil(len(account.plants) / size)),
                    "pageNo": page,
                    "pageSize": size,
                    "total": len(account.plants),
                },
                "failCode": 0,
                "message": "get plant list success",
                "success": True,
            }
        )

    def station_list(
        self, account: SimAccount, body: dict[str, Any], now: datetime
    ) -> Any:
        """The older plant list (capacity in MW)."""
        return [
            {
                "stationCode": plant.code,
                "stationName": plant.name,
                "stationAddr": plant.address,
                "capacity": plant.capacity_kw / 1000,
                "buildState": None,
                "combineType": None,
                "aidType": 1,
                "stationLinkman": None,
                "linkmanPho": None,
            }
            for plant in account.plants
        ]

    def _plants_of(
        self, account: SimAccount, body: dict[str, Any], now: datetime
    ) -> list[SimPlant]:
        codes = [c for c in str(body.get("stationCodes", "")).split(",") if c]
        if not codes:
            raise Refusal(20010, now)
        if len(codes) > 100:
            raise Refusal(20015, now)
        plants = [p for code in codes if (p := account.plant(code)) is not None]
        if not plants:
            raise Refusal(20007, now)
        return plants

    def station_real_kpi(
        self, account: SimAccount, body: dict[str, Any], now: datetime
    ) -> Any:
        """Plant KPIs; numbers as strings, as in Huawei's examples."""
        plants = self._plants_of(account, body, now)
        result = []
        for plant in plants:
            if self.uploads is None:
                data = self._plant_kpi(plant, now)
            else:
                data = self.uploads.frozen(
                    plant.code, now, lambda at, p=plant: self._plant_kpi(p, at)
                )
            result.append({"stationCode": plant.code, "dataItemMap": data})
        return result

    def _plant_kpi(self, plant: SimPlant, now: datetime) -> dict[str, Any]:
        plant.advance(now)
        health = 3 if not plant.alarms else 2
        return {
            "real_health_state": str(health),
            "day_power": f"{plant.pv_day:.3f}",
            "month_power": f"{plant.pv_month:.3f}",
            "total_power": f"{plant.pv_total:.3f}",
            "day_income": f"{plant.pv_day * plant.price:.3f}",
            "total_income": f"{plant.income_total:.3f}",
            "day_on_grid_energy": f"{plant.export_day:.3f}",
            "day_use_energy": f"{plant.use_day:.3f}",
        }

    def dev_list(self, account: SimAccount, body: dict[str, Any], now: datetime) -> Any:
        """The devices of plants."""
        plants = self._plants_of(account, body, now)
        return [
            {
                "id": device.id,
                "devName": device.name,
                "stationCode": plant.code,
                "esnCode": device.serial,
                "devTypeId": device.type_id,
                "softwareVersion": device.software,
                "invType": device.model if device.type_id in INVERTERS else None,
                "model": device.model,
                "latitude": plant.latitude,
                "longitude": plant.longitude,
                "optimizerNumber": 0 if device.type_id in INVERTERS else None,
            }
            for plant in plants
            for device in plant.devices
        ]

    def _devices_of(
        self, account: SimAccount, body: dict[str, Any], now: datetime
    ) -> list[tuple[SimPlant, SimDevice]]:
        """Return the account's devices of ``devIds``, all of type ``devTypeId``."""
        ids = [i for i in str(body.get("devIds", "")).split(",") if i]
        type_id = int(body.get("devTypeId", 0))
        if not ids:
            raise Refusal(20005, now)
        if len(ids) > 100:
            raise Refusal(20017, now)
        found = {
            str(device.id): (plant, device)
            for plant in account.plants
            for device in plant.devices
        }
        devices = [found[device_id] for device_id in ids if device_id in found]
        if any(device.type_id != type_id for _, device in devices):
            raise Refusal(20006, now)
        return devices

    def dev_real_kpi(
        self, account: SimAccount, body: dict[str, Any], now: datetime
    ) -> Any:
        """Real-time data of up to 100 devices of one type."""
        devices = self._devices_of(account, body, now)
        result = []
        for plant, device in devices:
            if device.type_id == 62:
                result.append({"devId": device.id, "dataItemMap": {}})
                continue
            if self.uploads is None:
                plant.advance(now)
                data = self._device_data(plant, device, now)
            else:
                key = str(device.id)
                self.uploads.own(key, plant.code)

                def read(
                    at: datetime, p: SimPlant = plant, d: SimDevice = device
                ) -> Any:
                    p.advance(at)
                    return self._device_data(p, d, at)

                data = self.uploads.frozen(key, now, read)
            result.append({"devId": device.id, "dataItemMap": data})
        return result

    def _device_data(
        self, plant: SimPlant, device: SimDevice, now: datetime
    ) -> dict[str, Any]:
        if device.type_id in INVERTERS:
            return self._inverter_data(plant, device, now)
        if device.type_id in BATTERIES:
            return self._battery_data(plant, device)
        if device.type_id in METERS:
            return self._meter_data(plant, device)
        if device.type_id == 10:
            return self._emi_data(plant, now)
        return {}

    def _inverter_data(
        self, plant: SimPlant, device: SimDevice, now: datetime
    ) -> dict[str, Any]:
        share = 1 / max(1, len(plant.of_types(INVERTERS)))
        power = plant.pv_power * share
        producing = power > 0
        strings = 24 if device.type_id == 1 else 8
        data: dict[str, Any] = {
            "inverter_state": 512.0 if producing else 40960.0,
            "run_state": 1,
            "active_power": round(power, 3),
            "reactive_power": 0.0,
            "day_cap": round(plant.pv_day * share, 2),
            "total_cap": round(plant.pv_total * share, 2),
            "mppt_power": round(power * 1.02, 3),
            "mppt_total_cap": round(plant.pv_total * share * 1.08, 2),
            "efficiency": 98.4 if producing else 0.0,
            "temperature": round(25 + 20 * power / max(plant.capacity_kw, 1), 1),
            "power_factor": 1.0,
            "elec_freq": 50.01,
            "a_u": 227.8,
            "b_u": 227.4,
            "c_u": 229.4,
            "ab_u": 394.2,
            "bc_u": 395.7,
            "ca_u": 395.8,
            "a_i": round(power * 1000 / 3 / 227.8, 3),
            "b_i": round(power * 1000 / 3 / 227.4, 3),
            "c_i": round(power * 1000 / 3 / 229.4, 3),
            "open_time": int((now - timedelta(hours=3)).timestamp() * 1000),
            "close_time": "N/A",
        }
        for number in range(1, strings + 1):
            used = number <= 2 and producing
            voltage = 350.0 + 80 * (number == 1) if used else 0.0
            data[f"pv{number}_u"] = voltage
            data[f"pv{number}_i"] = round(power * 500 / voltage, 2) if used else 0.0
        for number in range(1, 11 if device.type_id == 1 else 5):
            data[f"mppt_{number}_cap"] = (
                round(plant.pv_total * share / 2, 2) if number <= 2 else 0.0
            )
        return data

    def _battery_data(self, plant: SimPlant, device: SimDevice) -> dict[str, Any]:
        power = plant.battery_power * 1000
        data: dict[str, Any] = {
            "ch_discharge_power": round(power, 1),
            "battery_soc": round(plant.soc, 1),
            "battery_soh": 0 if device.type_id == 39 else 98.0,
            "charge_cap": round(plant.charged_day, 2),
            "discharge_cap": round(plant.discharged_day, 2),
            "run_state": 1,
        }
        if device.type_id == 39:
            mode = plant.battery_mode.get("operationMode")
            data |= {
                "battery_status": 2 if power else 1,
                "max_charge_power": plant.battery_max_w,
                "max_discharge_power": plant.battery_max_w,
                "busbar_u": 782.7,
                "ch_discharge_model": 1 if plant.forced else 2 if mode == "TOU" else 4,
                "total_charged_energy": round(plant.charged_total, 2),
                "total_discharged_energy": round(plant.discharged_total, 2),
                "rated_capacity": plant.battery_kwh,
            }
        return data

    def _meter_data(self, plant: SimPlant, device: SimDevice) -> dict[str, Any]:
        watts = plant.grid_power * 1000
        data: dict[str, Any] = {
            "active_power": round(watts / 1000, 3)
            if device.type_id == 23070
            else round(watts),
            "active_cap": round(plant.export_total, 2),
            "reverse_active_cap": round(plant.import_total, 2),
            "power_factor": -0.916 if watts < 0 else 0.99,
            "reactive_power": 380,
            "grid_frequency": 49.99,
            "run_state": 1,
        }
        if device.type_id == 17:
            return data | {
                "a_u": 229.1,
                "b_u": 230.4,
                "c_u": 228.7,
                "a_i": round(abs(watts) / 3 / 229.1, 2),
                "b_i": round(abs(watts) / 3 / 230.4, 2),
                "c_i": round(abs(watts) / 3 / 228.7, 2),
            }
        return data | {
            "meter_status": 1,
            "meter_u": 226.8,
            "meter_i": round(abs(watts) / 226.8, 2),
        }

    def _emi_data(self, plant: SimPlant, now: datetime) -> dict[str, Any]:
        irradiance = plant.pv_power / max(plant.capacity_kw, 1) * 1000 / 0.7
        return {
            "temperature": 21.5,
            "pv_temperature": round(21.5 + irradiance / 40, 1),
            "wind_speed": 3.2,
            "wind_direction": 225,
            "radiant_line": round(irradiance, 1),
            "radiant_total": round(plant.pv_day / max(plant.capacity_kw, 1) * 3.6, 3),
            "horiz_radiant_line": "N/A",
            "run_state": 1,
        }

    def _plant_history(
        self, period: Period
    ) -> Callable[[SimAccount, dict[str, Any], datetime], Any]:
        def answer(account: SimAccount, body: dict[str, Any], now: datetime) -> Any:
            """Plant energy per bucket of ``period``; only buckets with data."""
            plants = self._plants_of(account, body, now)
            if (collect := collect_time(body)) is None:
                return web.json_response(envelope(fail_code=20012, now=now))
            return [
                plant_item(
                    plant, period, start, total, pv_yield_fields=self.pv_yield_fields
                )
                for plant in plants
                for start, total in buckets(
                    self._history_of(plant, now), period, collect
                )
            ]

        return answer

    def _device_history(
        self, period: Period
    ) -> Callable[[SimAccount, dict[str, Any], datetime], Any]:
        def answer(account: SimAccount, body: dict[str, Any], now: datetime) -> Any:
            """Energy of inverters, batteries or ESS per bucket of ``period``."""
            devices = self._devices_of(account, body, now)
            if int(body.get("devTypeId", 0)) not in INVERTERS | BATTERIES:
                return web.json_response(envelope(fail_code=20013, now=now))
            if (collect := collect_time(body)) is None:
                return web.json_response(envelope(fail_code=20012, now=now))
            result = []
            for plant, device in devices:
                kinds = INVERTERS if device.type_id in INVERTERS else BATTERIES
                share = 1 / len(plant.of_types(kinds))
                result.extend(
                    device_item(plant, device, start, total, share=share)
                    for start, total in buckets(
                        self._history_of(plant, now), period, collect
                    )
                )
            return result

        return answer

    def alarm_list(
        self, account: SimAccount, body: dict[str, Any], now: datetime
    ) -> Any:
        """Alarms raised between beginTime and endTime."""
        plants = self._plants_of(account, body, now)
        begin = int(body.get("beginTime", 0))
        end = int(body.get("endTime", 0))
        if begin >= end:
            return web.json_response(envelope(fail_code=20023, now=now))
        return [
            {
                "stationCode": plant.code,
                "stationName": plant.name,
                "alarmId": alarm.alarm_id,
                "alarmName": alarm.name,
                "alarmCause": "",
                "alarmType": 2,
                "causeId": 5,
                "devName": alarm.device_name,
                "devTypeId": 38,
                "esnCode": "",
                "lev": alarm.level,
                "raiseTime": int(alarm.raised.timestamp() * 1000),
                "repairSuggestion": "",
                "status": alarm.status,
            }
            for plant in plants
            for alarm in plant.alarms
            if begin <= alarm.raised.timestamp() * 1000 <= end
        ]
