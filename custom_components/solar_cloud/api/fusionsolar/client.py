"""The async client of the SmartPVMS (FusionSolar) Northbound API.

:class:`FusionSolarClient` adds to the account's session (``session.py``) what
can be read and what can be controlled; ``errors.py`` turns the API's refusals
into client errors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
import logging
from typing import Any

from ..errors import ApiPermissionError, ApiResponseError
from ..transport import snippet
from .const import MAX_BATCH, ChargeDischargeSwitch, Path
from .errors import ControlNotSupportedError, interface_name
from .history import (
    DEVICE_HISTORY_PATHS,
    PLANT_HISTORY_PATHS,
    DeviceEnergy,
    Period,
    PlantEnergy,
    collect_time,
    device_history_from_api,
    plant_history_from_api,
)
from .models import (
    Alarm,
    BatteryConfiguration,
    BatteryModeSettings,
    ChargeDischargeDelivery,
    ChargeDischargeStatus,
    Device,
    DeviceKpi,
    Plant,
    PlantKpi,
    PlantPage,
    PowerControlSettings,
    TaskDelivery,
    TaskInfo,
    TaskType,
    device_kpi_from_api,
)
from .session import FusionSolarSession
from .values import as_dict, as_int, as_list, read_items

# Names the Home Assistant layer imports from here.
__all__ = ["ControlNotSupportedError", "FusionSolarClient", "interface_name"]

_LOGGER = logging.getLogger(__name__)

type ControlSettings = BatteryModeSettings | PowerControlSettings | BatteryConfiguration
"""Settings a control task applies at a plant."""

_TASK_PATHS: Mapping[TaskType, tuple[Path, Path]] = {
    TaskType.BATTERY_MODE: (Path.BATTERY_MODE_TASK, Path.BATTERY_MODE_TASK_INFO),
    TaskType.BATTERY_PARAMETERS: (
        Path.BATTERY_CONFIG_TASK,
        Path.BATTERY_CONFIG_TASK_INFO,
    ),
    TaskType.FEED_IN: (Path.POWER_CONTROL_TASK, Path.POWER_CONTROL_TASK_INFO),
}
"""Where each kind of task is delivered, and where it is asked about."""


class FusionSolarClient(FusionSolarSession):
    """Talk to one account of the Northbound API."""

    # Plants and devices -----------------------------------------------------

    async def async_get_plants(self) -> list[Plant]:
        """Return every plant of the account.

        Pages through ``stations``; an account without the right to it falls
        back to the older ``getStationList``.
        """
        try:
            first = await self._get_plant_page(1)
        except ApiPermissionError:
            _LOGGER.debug("No right to the plant list API; using getStationList")
            data = await self._call(Path.STATION_LIST, {})
            return read_items(data, Plant.from_legacy_api)
        plants = list(first.plants)
        for page in range(2, first.page_count + 1):
            plants.extend((await self._get_plant_page(page)).plants)
        return plants

    async def _get_plant_page(self, page: int) -> PlantPage:
        data = as_dict(
            await self._call(Path.STATIONS, {"pageNo": page, "pageSize": MAX_BATCH})
        )
        plants = tuple(read_items(data.get("list"), Plant.from_api))
        return PlantPage(
            plants=plants,
            total=as_int(data.get("total")) or len(plants),
            page_count=as_int(data.get("pageCount")) or 1,
        )

    async def async_get_plant_kpis(
        self, plant_codes: Sequence[str]
    ) -> dict[str, PlantKpi]:
        """Return the real-time KPIs of up to 100 plants."""
        _check_batch(plant_codes)
        data = await self._call(
            Path.STATION_REAL_KPI, {"stationCodes": ",".join(plant_codes)}
        )
        return {kpi.plant_code: kpi for kpi in read_items(data, PlantKpi.from_api)}

    async def async_get_devices(self, plant_codes: Sequence[str]) -> list[Device]:
        """Return the devices of up to 100 plants."""
        _check_batch(plant_codes)
        data = await self._call(Path.DEV_LIST, {"stationCodes": ",".join(plant_codes)})
        return read_items(data, Device.from_api)

    async def async_get_device_kpis(
        self, type_id: int, device_ids: Sequence[int]
    ) -> dict[int, DeviceKpi]:
        """Return the real-time data of up to 100 devices of one type."""
        _check_batch(device_ids)
        data = await self._call(
            Path.DEV_REAL_KPI,
            {"devIds": ",".join(str(i) for i in device_ids), "devTypeId": type_id},
        )
        kpis: dict[int, DeviceKpi] = {}
        for item in as_list(data):
            entry = as_dict(item)
            device_id = as_int(entry.get("devId"))
            kpi = device_kpi_from_api(type_id, as_dict(entry.get("dataItemMap")))
            if device_id is not None and kpi is not None:
                kpis[device_id] = kpi
        return kpis

    async def async_get_alarms(
        self, plant_codes: Sequence[str], begin: datetime, end: datetime
    ) -> list[Alarm]:
        """Return the alarms of up to 100 plants raised between begin and end."""
        _check_batch(plant_codes)
        data = await self._call(
            Path.ALARM_LIST,
            {
                "stationCodes": ",".join(plant_codes),
                "beginTime": int(begin.timestamp() * 1000),
                "endTime": int(end.timestamp() * 1000),
                "language": "en_US",
            },
        )
        return read_items(data, Alarm.from_api)

    # History ----------------------------------------------------------------

    async def async_get_plant_history(
        self, plant_codes: Sequence[str], period: Period, when: date | datetime
    ) -> dict[str, tuple[PlantEnergy, ...]]:
        """Return the energy of up to 100 plants per bucket, oldest first.

        The hours of the plant-local day that contains ``when``, the days of
        its month, the months of its year, or (``Period.YEAR``) every year;
        only buckets that hold data (see :func:`history.collect_time`).
        """
        _check_batch(plant_codes)
        data = await self._call(
            PLANT_HISTORY_PATHS[period],
            {"stationCodes": ",".join(plant_codes), "collectTime": collect_time(when)},
        )
        return plant_history_from_api(data, period)

    async def async_get_device_history(
        self,
        type_id: int,
        device_ids: Sequence[int],
        period: Period,
        when: date | datetime,
    ) -> dict[int, tuple[DeviceEnergy, ...]]:
        """Return the energy of up to 100 devices of one type per bucket, oldest first.

        Days, months or years, as :meth:`async_get_plant_history` (no hours).
        """
        if (path := DEVICE_HISTORY_PATHS.get(period)) is None:
            raise ValueError(f"Devices keep no {period} buckets")
        _check_batch(device_ids)
        data = await self._call(
            path,
            {
                "devIds": ",".join(str(i) for i in device_ids),
                "devTypeId": type_id,
                "collectTime": collect_time(when),
            },
        )
        return device_history_from_api(data, period)

    # Configuration ----------------------------------------------------------

    async def async_get_battery_mode(self, plant_code: str) -> BatteryModeSettings:
        """Return the battery working mode of a plant.

        Raises:
            ControlNotSupportedError: The plant's networking cannot tell.

        """
        data = await self._call(Path.BATTERY_MODE, {"plantCode": plant_code})
        return BatteryModeSettings.from_api(as_dict(data))

    async def async_get_power_control(self, plant_code: str) -> PowerControlSettings:
        """Return how a plant limits its feed-in.

        Raises:
            ControlNotSupportedError: The plant's networking cannot tell.

        """
        data = await self._call(Path.POWER_CONTROL_MODE, {"plantCode": plant_code})
        return PowerControlSettings.from_api(as_dict(data))

    # Control tasks ----------------------------------------------------------
    # A delivery, and the state of a forced charge read right after it, is
    # all that an action asks for: a refusal of the whole account holds it
    # (``_call_alone``). A task's follower asks again later by itself.

    async def async_deliver_task(
        self, plant_code: str, settings: ControlSettings
    ) -> TaskDelivery:
        """Deliver the task of applying ``settings`` at a plant.

        A battery working mode, battery parameters or a feed-in limit (or
        lifting it): the kind of task follows from the settings.
        """
        path, _ = _TASK_PATHS[settings.task_type]
        data = as_dict(
            await self._call_alone(path, {"tasks": [settings.to_task_api(plant_code)]})
        )
        if (delivery := TaskDelivery.from_api(data, plant_code)) is None:
            raise ApiResponseError(
                f"{interface_name(path)}: no taskId in {snippet(data)}"
            )
        return delivery

    async def async_get_task(
        self, task_type: TaskType, task_id: str, plant_code: str
    ) -> TaskInfo:
        """Return the state of a task of this kind at a plant."""
        _, path = _TASK_PATHS[task_type]
        data = as_dict(await self._call(path, {"taskId": task_id}))
        if (info := TaskInfo.from_api(data, task_id, plant_code)) is None:
            raise ApiResponseError(
                f"{interface_name(path)}: no result for {plant_code} in task {task_id}"
            )
        return info

    async def async_deliver_charge_discharge(
        self,
        plant_code: str,
        *,
        switch: ChargeDischargeSwitch,
        power: int | None = None,
        target_soc: float | None = None,
        minutes: int | None = None,
    ) -> ChargeDischargeDelivery:
        """Deliver a forced charge, a forced discharge, or stop the one running.

        ``power`` is W, positive to charge and negative to discharge; the
        task ends at ``target_soc`` (%) or after ``minutes``.
        """
        task: dict[str, Any] = {"plantCode": plant_code, "dispatchSwitch": switch}
        if switch != ChargeDischargeSwitch.STOP:
            if target_soc is not None:
                task |= {"controlType": 1, "targetSOC": target_soc}
            else:
                task |= {"controlType": 2, "dispatchTime": minutes}
            if power is not None:
                task["powerDispatch"] = power
        data = as_dict(
            await self._call_alone(Path.CHARGE_DISCHARGE_TASK, {"tasks": [task]})
        )
        if (delivery := ChargeDischargeDelivery.from_api(data, plant_code)) is None:
            raise ApiResponseError(
                f"charge-and-discharge: no requestID in {snippet(data)}"
            )
        return delivery

    async def async_get_charge_discharge_status(
        self, request_id: int, plant_code: str
    ) -> ChargeDischargeStatus | None:
        """Return how far a forced charge or discharge got at a plant."""
        data = await self._call_alone(
            Path.CHARGE_DISCHARGE_STATUS, {"requestID": request_id}
        )
        for item in as_list(data):
            entry = as_dict(item)
            if entry.get("plantCode", plant_code) == plant_code:
                return ChargeDischargeStatus.from_api(entry)
        return None


def _check_batch(items: Sequence[object]) -> None:
    if not items or len(items) > MAX_BATCH:
        raise ValueError(f"Give 1 to {MAX_BATCH} items, not {len(items)}")
