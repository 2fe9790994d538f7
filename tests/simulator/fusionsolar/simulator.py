"""The simulator of one regional host of the Northbound API."""

from __future__ import annotations

from collections import deque
from datetime import date, datetime
import secrets
from typing import Any

from aiohttp import web

from .control import ControlRoutes
from .ledger import Flow, Period, daily_truth, hourly_truth, revise_hour
from .monitoring import MonitoringRoutes
from .plant import BATTERIES, INVERTERS, SimDevice, SimPlant
from .protocol import envelope
from .session import SessionRoutes


class FusionSolarSimulator(SessionRoutes, MonitoringRoutes, ControlRoutes):
    """The SmartPVMS Northbound API of one regional host."""

    # Test helpers -----------------------------------------------------------

    def fail_next_task(self, plant_code: str, message: str = "FAILURE") -> None:
        """Make the next control task at the plant fail (TIMEOUT, BUSY, ...)."""
        self.task_outcomes.setdefault(plant_code, deque()).append(("FAIL", message))

    def steal_session(self, username: str) -> None:
        """Log in elsewhere with the account: its current token stops working."""
        self.accounts[username].token = secrets.token_hex(16)

    def refused_calls(self) -> int:
        """Return how many calls flow control refused (407), all accounts."""
        return sum(account.refused for account in self.accounts.values())

    def plant(self, code: str) -> SimPlant:
        """Return a plant of any account."""
        for account in self.accounts.values():
            if (plant := account.plant(code)) is not None:
                return plant
        raise KeyError(code)

    # History test hooks ---------------------------------------------------------

    def truth(
        self, plant_code: str, start: datetime, end: datetime
    ) -> dict[datetime, dict[Flow, float]]:
        """Return kWh per flow of each hour with data from ``start`` to ``end``.

        Straight from the plant's ledger, up to now, corrections included,
        rounded as the hourly interface answers them.
        """
        return hourly_truth(self._history_of(self.plant(plant_code)), start, end)

    def daily_truth(
        self, plant_code: str, start: date, end: date
    ) -> dict[date, dict[Flow, float]]:
        """Return kWh per flow of each plant-local day with data, start to before end.

        As the daily interface answers them (each day's sum, rounded).
        """
        return daily_truth(self._history_of(self.plant(plant_code)), start, end)

    def device_truth(
        self, device_id: int, start: datetime, end: datetime
    ) -> dict[datetime, dict[Flow, float]]:
        """Return the hours of a battery or ESS (charge, discharge) or inverter (pv).

        Each device of a kind has an equal share of the plant's flows.
        """
        plant, device = self._device(device_id)
        if device.type_id in INVERTERS:
            kinds, flows = INVERTERS, {Flow.PV}
        elif device.type_id in BATTERIES:
            kinds, flows = BATTERIES, {Flow.CHARGE, Flow.DISCHARGE}
        else:
            raise ValueError(f"Device type {device.type_id} keeps no history")
        share = 1 / len(plant.of_types(kinds))
        hours = hourly_truth(self._history_of(plant), start, end, share=share)
        return {
            hour: {flow: kwh for flow, kwh in values.items() if flow in flows}
            for hour, values in hours.items()
        }

    def revise(
        self, plant_code: str, hour: datetime, flow: Flow | str, kwh: float
    ) -> None:
        """Correct a past hour: the cloud reports ``kwh`` for ``flow`` from now on.

        Only the history changes (and :meth:`truth`), not the live counters.
        """
        revise_hour(self._history_of(self.plant(plant_code)), hour, Flow(flow), kwh)

    def keep_history_from(self, plant_code: str, start: datetime | None) -> None:
        """Make the cloud keep no data of the plant's hours that start before ``start``."""
        self.plant(plant_code).history_start = start

    def _device(self, device_id: int) -> tuple[SimPlant, SimDevice]:
        for account in self.accounts.values():
            for plant in account.plants:
                for device in plant.devices:
                    if device.id == device_id:
                        return plant, device
        raise KeyError(device_id)

    # Routes -------------------------------------------------------------------

    def add_routes(self, router: web.UrlDispatcher) -> None:
        """Add the Northbound routes and the OAuth Connect endpoints."""
        third = "/thirdData"
        nbi = "/rest/openapi/pvms/nbi"
        router.add_post(f"{third}/login", self.login, name="login")
        router.add_post(f"{third}/logout", self.logout, name="logout")
        for name, handler in (
            ("stations", self.stations),
            ("getStationList", self.station_list),
            ("getStationRealKpi", self.station_real_kpi),
            ("getDevList", self.dev_list),
            ("getDevRealKpi", self.dev_real_kpi),
            ("getAlarmList", self.alarm_list),
            *(
                (f"getKpiStation{period}", self._plant_history(period))
                for period in Period
            ),
            *(
                (f"getDevKpi{period}", self._device_history(period))
                for period in (Period.DAY, Period.MONTH, Period.YEAR)
            ),
        ):
            router.add_post(f"{third}/{name}", self._authed(name, handler), name=name)
        for path, name, handler in (
            ("v1/configuration/battery-mode", "battery_mode", self.battery_mode),
            (
                "v1/configuration/active-power-control-mode",
                "power_control_mode",
                self.power_control_mode,
            ),
            (
                "v1/control/battery/mode/async-task",
                "battery_mode_task",
                self._deliverer("battery_mode"),
            ),
            (
                "v1/control/battery/mode/task-info",
                "battery_mode_task_info",
                self.task_info,
            ),
            (
                "v1/control/battery/configuration/async-task",
                "battery_config_task",
                self._deliverer("battery_config"),
            ),
            (
                "v1/control/battery/configuration/task-info",
                "battery_config_task_info",
                self.task_info,
            ),
            (
                "v2/control/active-power-control/async-task",
                "power_control_task",
                self._deliverer("power_control"),
            ),
            (
                "v2/control/active-power-control/task-info",
                "power_control_task_info",
                self.task_info,
            ),
            (
                "v2/control/charge-and-discharge/async-task",
                "charge_discharge_task",
                self.charge_discharge,
            ),
        ):
            router.add_post(f"{nbi}/{path}", self._authed(name, handler), name=name)
        router.add_post(
            "/rest/openapi/pvms/v1/vpp/chargeAndDischargeStatus",
            self._authed("charge_discharge_status", self.charge_discharge_status),
            name="charge_discharge_status",
        )
        self.oauth.add_routes(
            router,
            authorize_path="/rest/dp/uidm/oauth2/v1/authorize",
            token_path="/rest/dp/uidm/oauth2/v1/token",
        )

    def render_vendor_error(self, request: web.Request, error: Any) -> web.Response:
        """Answer with a failCode (an int) the way the service does."""
        data = "ACCESS_FREQUENCY_IS_TOO_HIGH" if error == 407 else None
        return web.json_response(
            envelope(data, fail_code=int(error), now=self.clock.now())
        )
