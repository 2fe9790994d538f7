"""The async client of the SmartPVMS (FusionSolar) Northbound API.

One client per account: the API allows one session per account (a new login
ends the previous one), and its flow control counts per account, so every
poller of an account shares this client, and the client sends one call at a
time. Every call passes the account's :class:`CallBudget` first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from http.cookies import CookieError, SimpleCookie
import logging
from typing import Any

import aiohttp

from ..auth import TokenSource
from ..errors import (
    ApiAuthenticationError,
    ApiConnectionError,
    ApiPermissionError,
    ApiRateLimitedError,
    ApiResponseError,
    SolarCloudApiError,
)
from ..transport import RawResponse, send
from .const import (
    MAX_BATCH,
    SESSION_IDLE_LIMIT,
    TOKEN_HEADER,
    FailCode,
    Path,
    TaskStatus,
)
from .flow_control import CallBudget
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
    device_kpi_from_api,
)
from .values import as_datetime_iso, as_dict, as_int, as_list, as_str

_LOGGER = logging.getLogger(__name__)

# Renew the session a minute before the server would let it lapse, rather
# than spend a call on learning that it did.
_SESSION_RENEW_AFTER = timedelta(seconds=SESSION_IDLE_LIMIT - 60)
_SYSTEM_LIMIT_RETRY = 60.0
_DAILY_QUOTA_RETRY = 3600.0

_INTERFACE_NAMES: Mapping[Path, str] = {
    path: path.rsplit("/", 2)[-1] if "thirdData" in path else path.split("nbi/", 1)[-1]
    for path in Path
}


def interface_name(path: Path) -> str:
    """Return the name Huawei's portal gives an interface (for messages)."""
    return _INTERFACE_NAMES.get(path, path)


class ControlNotSupportedError(ApiResponseError):
    """The plant's networking does not support this configuration query (20609)."""

    default_reason = "control_not_supported"


def _envelope(response: RawResponse) -> dict[str, Any]:
    body = response.json()
    if not isinstance(body, dict):
        raise ApiResponseError(f"Unexpected answer from {response.url.path}: {body!r}")
    return body


def _fail_text(body: Mapping[str, Any]) -> str:
    # Some errors carry their text in "data" (ACCESS_FREQUENCY_IS_TOO_HIGH),
    # others in "message".
    for key in ("message", "data"):
        if isinstance(text := body.get(key), str | int) and str(text):
            return str(text)
    return ""


def _token_from(response: RawResponse) -> str | None:
    if token := response.headers.get("xsrf-token"):
        return token
    for header in response.headers.getall("Set-Cookie", []):
        try:
            cookie = SimpleCookie(header)
        except CookieError:
            continue
        if (morsel := cookie.get(TOKEN_HEADER)) is not None and morsel.value:
            return morsel.value
    return None


class FusionSolarClient:
    """Talk to one account of the Northbound API."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        host: str,
        *,
        username: str | None = None,
        password: str | None = None,
        token_source: TokenSource | None = None,
        budget: CallBudget | None = None,
        clock: Callable[[], datetime] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        max_wait: float = 90.0,
        request_timeout: float = 30.0,
    ) -> None:
        """Use a Northbound API account, or an OAuth Connect ``token_source``.

        ``session`` should not keep cookies: the token is sent as a header,
        and a shared cookie jar would mix the sessions of two accounts.

        A call the budget allows within ``max_wait`` seconds waits for its
        slot (``sleep``); one further out is refused without being sent.
        """
        if token_source is None and (username is None or password is None):
            raise ValueError("Give username and password, or a token source")
        self._session = session
        self.host = host.rstrip("/")
        self._username = username
        self._password = password
        self._token_source = token_source
        self.budget = budget or CallBudget()
        self._clock = clock or (lambda: datetime.now(UTC))
        self._sleep = sleep
        self._max_wait = max_wait
        self._timeout = request_timeout
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._token_used: datetime | None = None
        self._auth_error: ApiAuthenticationError | None = None

    @property
    def uses_oauth(self) -> bool:
        """Return whether the client signs in with OAuth Connect."""
        return self._token_source is not None

    def now(self) -> datetime:
        """Return the time the budget counts with."""
        return self._clock()

    # Sessions ---------------------------------------------------------------

    async def async_login(self) -> None:
        """Log in now (to validate the credentials).

        Raises:
            ApiAuthenticationError: Wrong credentials, or the account is
                locked, disabled or expired.
            ApiRateLimitedError: Logged in too often lately.

        """
        if self.uses_oauth:
            await self._token_source.async_get_access_token()  # type: ignore[union-attr]
            return
        async with self._lock:
            await self._login()

    async def async_logout(self) -> None:
        """End the session, if there is one and the budget allows."""
        async with self._lock:
            if self._token is None or self.uses_oauth:
                return
            token, self._token = self._token, None
            now = self.now()
            if self.budget.next_slot(Path.LOGOUT, now) > now:
                return
            self.budget.record(Path.LOGOUT, now)
            try:
                await send(
                    self._session,
                    "POST",
                    f"{self.host}{Path.LOGOUT}",
                    json={"xsrfToken": token},
                    headers={TOKEN_HEADER: token},
                    request_timeout=self._timeout,
                )
            except ApiConnectionError as err:
                _LOGGER.debug("Logout failed: %s", err)

    async def _login(self) -> None:
        if self._auth_error is not None:
            # Never try a refused password again: five wrong ones lock the
            # account for 30 minutes.
            raise self._auth_error
        await self._spend(Path.LOGIN)
        response = await send(
            self._session,
            "POST",
            f"{self.host}{Path.LOGIN}",
            json={"userName": self._username, "systemCode": self._password},
            request_timeout=self._timeout,
        )
        self._raise_for_http(Path.LOGIN, response)
        if not response.body.strip():
            # What the real service answers to a wrong user name or password.
            raise self._refuse_login(
                ApiAuthenticationError("Wrong user name or password (empty answer)")
            )
        body = _envelope(response)
        code = as_int(body.get("failCode")) or 0
        if body.get("success") is True or (code == 0 and "success" not in body):
            if (token := _token_from(response)) is None:
                raise ApiResponseError("The login answer carries no XSRF-TOKEN")
            self._token = token
            self._token_used = self.now()
            return
        text = _fail_text(body)
        if code in (FailCode.WRONG_CREDENTIALS, FailCode.SYSTEM_ID_UNKNOWN):
            raise self._refuse_login(
                ApiAuthenticationError(f"Wrong user name or password ({code} {text})")
            )
        if code == FailCode.LOGIN_RESTRICTED:
            raise self._refuse_login(
                ApiAuthenticationError(
                    f"Login restricted ({code} {text})", reason="account_locked"
                )
            )
        if code == FailCode.SYSTEM_FORBIDDEN:
            raise self._refuse_login(
                ApiAuthenticationError(
                    f"API account disabled ({code} {text})", reason="account_disabled"
                )
            )
        if code == FailCode.SYSTEM_EXPIRED:
            raise self._refuse_login(
                ApiAuthenticationError(
                    f"API account expired ({code} {text})", reason="account_expired"
                )
            )
        raise self._error(Path.LOGIN, code, text)

    def _refuse_login(self, err: ApiAuthenticationError) -> ApiAuthenticationError:
        self._auth_error = err
        self._token = None
        return err

    # Calls ------------------------------------------------------------------

    async def _spend(self, path: Path) -> datetime:
        """Count a call against the budget, or refuse it before it is sent.

        Returns the time the call is counted at.
        """
        now = self.now()
        slot = self.budget.next_slot(path, now)
        if slot > now and (slot - now).total_seconds() <= self._max_wait:
            await self._sleep((slot - now).total_seconds())
            now = self.now()
            slot = self.budget.next_slot(path, now)
        if slot > now:
            raise ApiRateLimitedError(
                f"{interface_name(path)} may be called again at {slot.isoformat()}",
                reason="call_budget_exhausted",
                retry_after=(slot - now).total_seconds(),
            )
        self.budget.record(path, now)
        return now

    async def _call(self, path: Path, body: Mapping[str, Any]) -> Any:
        """Make one call and return its ``data``; raise the API's errors."""
        async with self._lock:
            return await self._call_once(path, body, retried=False)

    async def _call_once(
        self, path: Path, body: Mapping[str, Any], *, retried: bool
    ) -> Any:
        headers = await self._auth_headers()
        sent = await self._spend(path)
        response = await send(
            self._session,
            "POST",
            f"{self.host}{path}",
            json=body,
            headers=headers,
            request_timeout=self._timeout,
        )
        if response.status == 401 and self.uses_oauth and not retried:
            self.budget.release(path, sent)
            await self._token_source.async_renew_access_token()  # type: ignore[union-attr]
            return await self._call_once(path, body, retried=True)
        self._raise_for_http(path, response)
        envelope = _envelope(response)
        code = as_int(envelope.get("failCode"))
        if envelope.get("success") is True or code in (
            FailCode.OK,
            FailCode.PARTIAL_SUCCESS,
        ):
            self._token_used = self.now()
            return envelope.get("data")
        if code == FailCode.NOT_LOGGED_IN:
            self.budget.release(path, sent)
            if retried and self.uses_oauth:
                raise ApiAuthenticationError(
                    f"{interface_name(path)}: the renewed access token was refused",
                    reason="oauth_refresh_refused",
                )
            if retried:
                raise ApiResponseError(
                    "The session ended again right after logging in: another "
                    "program uses the same API account",
                    reason="session_taken_over",
                )
            # The session lapsed, or another login with this account ended it.
            self._token = None
            if self.uses_oauth:
                await self._token_source.async_renew_access_token()  # type: ignore[union-attr]
            return await self._call_once(path, body, retried=True)
        if code == FailCode.TASK_FAILED and envelope.get("data") is not None:
            # Control tasks: failCode 2 still reports per plant why.
            return envelope.get("data")
        raise self._error(path, code, _fail_text(envelope))

    async def _auth_headers(self) -> dict[str, str]:
        if self._token_source is not None:
            token = await self._token_source.async_get_access_token()
            return {"Authorization": f"Bearer {token}"}
        if (
            self._token is None
            or self._token_used is None
            or self.now() - self._token_used > _SESSION_RENEW_AFTER
        ):
            await self._login()
        return {TOKEN_HEADER: str(self._token)}

    def _raise_for_http(self, path: Path, response: RawResponse) -> None:
        status = response.status
        if status == 200:
            return
        name = interface_name(path)
        if status == 429 or (status == 403 and b"quotaControl" in response.body):
            retry = response.headers.get("Retry-After")
            retry_after = float(retry) if retry and retry.isdigit() else None
            if retry_after is None and status == 403:
                retry_after = (
                    self.budget.refused(path, self.now()) - self.now()
                ).total_seconds()
            raise ApiRateLimitedError(
                f"{name}: HTTP {status} {response.text[:200]}",
                retry_after=retry_after or _SYSTEM_LIMIT_RETRY,
            )
        if status == 401:
            raise ApiAuthenticationError(
                f"{name}: the access token was refused (HTTP 401)",
                reason="oauth_refresh_refused" if self.uses_oauth else None,
            )
        if status == 403:
            raise ApiPermissionError(
                f"{name}: HTTP 403 {response.text[:200]}", missing_right=name
            )
        if status >= 500:
            raise ApiConnectionError(f"{name}: HTTP {status}")
        raise ApiResponseError(f"{name}: HTTP {status} {response.text[:200]}")

    def _error(self, path: Path, code: int | None, text: str) -> SolarCloudApiError:
        name = interface_name(path)
        message = f"{name}: failCode {code} {text}".strip()
        if code == FailCode.TOO_FREQUENT:
            until = self.budget.refused(path, self.now())
            return ApiRateLimitedError(
                message, retry_after=(until - self.now()).total_seconds()
            )
        if code == FailCode.SYSTEM_LIMIT:
            return ApiRateLimitedError(message, retry_after=_SYSTEM_LIMIT_RETRY)
        if code == FailCode.DAILY_QUOTA:
            return ApiRateLimitedError(
                message, reason="daily_quota_exceeded", retry_after=_DAILY_QUOTA_RETRY
            )
        if code == FailCode.NO_PERMISSION:
            return ApiPermissionError(
                message, reason="interface_not_permitted", missing_right=name
            )
        if code == FailCode.NOT_AUTHORIZED_BY_OWNER:
            return ApiPermissionError(
                message, reason="not_authorized_by_owner", missing_right=name
            )
        if code in (FailCode.SERVER_ABNORMAL, FailCode.SYSTEM_BUSY):
            return ApiConnectionError(message)
        if code == FailCode.NETWORKING_NOT_SUPPORTED:
            return ControlNotSupportedError(message)
        return ApiResponseError(message)

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
            return [
                plant
                for item in as_list(data)
                if (plant := Plant.from_legacy_api(as_dict(item))) is not None
            ]
        plants = list(first.plants)
        for page in range(2, first.page_count + 1):
            plants.extend((await self._get_plant_page(page)).plants)
        return plants

    async def _get_plant_page(self, page: int) -> PlantPage:
        data = as_dict(
            await self._call(Path.STATIONS, {"pageNo": page, "pageSize": MAX_BATCH})
        )
        plants = tuple(
            plant
            for item in as_list(data.get("list"))
            if (plant := Plant.from_api(as_dict(item))) is not None
        )
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
        return {
            kpi.plant_code: kpi
            for item in as_list(data)
            if (kpi := PlantKpi.from_api(as_dict(item))) is not None
        }

    async def async_get_devices(self, plant_codes: Sequence[str]) -> list[Device]:
        """Return the devices of up to 100 plants."""
        _check_batch(plant_codes)
        data = await self._call(Path.DEV_LIST, {"stationCodes": ",".join(plant_codes)})
        return [
            device
            for item in as_list(data)
            if (device := Device.from_api(as_dict(item))) is not None
        ]

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
        return [
            alarm
            for item in as_list(data)
            if (alarm := Alarm.from_api(as_dict(item))) is not None
        ]

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

    async def async_deliver_battery_mode(
        self, plant_code: str, settings: BatteryModeSettings
    ) -> TaskDelivery:
        """Deliver the task of setting a plant's battery working mode."""
        return await self._deliver(
            Path.BATTERY_MODE_TASK, plant_code, settings.to_api(plant_code)
        )

    async def async_get_battery_mode_task(
        self, task_id: str, plant_code: str
    ) -> TaskInfo:
        """Return the state of a battery-mode task at a plant."""
        return await self._task_info(Path.BATTERY_MODE_TASK_INFO, task_id, plant_code)

    async def async_deliver_battery_configuration(
        self, plant_code: str, configuration: BatteryConfiguration
    ) -> TaskDelivery:
        """Deliver the task of setting a plant's battery parameters."""
        return await self._deliver(
            Path.BATTERY_CONFIG_TASK,
            plant_code,
            {
                "plantCode": plant_code,
                "batteryConfigurationInfo": configuration.to_api(),
            },
        )

    async def async_get_battery_configuration_task(
        self, task_id: str, plant_code: str
    ) -> TaskInfo:
        """Return the state of a battery-parameter task at a plant."""
        return await self._task_info(Path.BATTERY_CONFIG_TASK_INFO, task_id, plant_code)

    async def async_deliver_power_control(
        self, plant_code: str, settings: PowerControlSettings
    ) -> TaskDelivery:
        """Deliver the task of limiting a plant's feed-in (or lifting the limit)."""
        return await self._deliver(
            Path.POWER_CONTROL_TASK, plant_code, settings.to_task_api(plant_code)
        )

    async def async_get_power_control_task(
        self, task_id: str, plant_code: str
    ) -> TaskInfo:
        """Return the state of a feed-in limit task at a plant."""
        return await self._task_info(Path.POWER_CONTROL_TASK_INFO, task_id, plant_code)

    async def _deliver(
        self, path: Path, plant_code: str, task: Mapping[str, Any]
    ) -> TaskDelivery:
        data = as_dict(await self._call(path, {"tasks": [task]}))
        if (task_id := as_str(data.get("taskId"))) is None:
            raise ApiResponseError(f"{interface_name(path)}: no taskId in {data!r}")
        for item in as_list(data.get("result")):
            result = as_dict(item)
            if result.get("plantCode") == plant_code:
                status = _task_status(result.get("status"))
                return TaskDelivery(
                    task_id=task_id,
                    status=status or TaskStatus.RUNNING,
                    message=as_str(result.get("message")),
                )
        return TaskDelivery(task_id=task_id, status=TaskStatus.RUNNING)

    async def _task_info(self, path: Path, task_id: str, plant_code: str) -> TaskInfo:
        data = as_dict(await self._call(path, {"taskId": task_id}))
        for item in as_list(data.get("dispatchResult")):
            result = as_dict(item)
            if result.get("plantCode", plant_code) != plant_code:
                continue
            if (status := _task_status(result.get("status"))) is None:
                break
            return TaskInfo(
                task_id=task_id,
                status=status,
                message=as_str(result.get("message")),
                started=as_datetime_iso(data.get("startTime")),
                ended=as_datetime_iso(data.get("endTime")),
                result=result,
            )
        raise ApiResponseError(
            f"{interface_name(path)}: no result for {plant_code} in task {task_id}"
        )

    async def async_deliver_charge_discharge(
        self,
        plant_code: str,
        *,
        switch: int,
        power: int | None = None,
        target_soc: float | None = None,
        minutes: int | None = None,
    ) -> ChargeDischargeDelivery:
        """Deliver a forced charge (1), forced discharge (2) or stop (0).

        ``power`` is W, positive to charge and negative to discharge; the
        task ends at ``target_soc`` (%) or after ``minutes``.
        """
        task: dict[str, Any] = {"plantCode": plant_code, "dispatchSwitch": switch}
        if switch:
            if target_soc is not None:
                task |= {"controlType": 1, "targetSOC": target_soc}
            else:
                task |= {"controlType": 2, "dispatchTime": minutes}
            if power is not None:
                task["powerDispatch"] = power
        data = as_dict(await self._call(Path.CHARGE_DISCHARGE_TASK, {"tasks": [task]}))
        if (request_id := as_int(data.get("requestID"))) is None:
            raise ApiResponseError(f"charge-and-discharge: no requestID in {data!r}")
        for item in as_list(data.get("result")):
            result = as_dict(item)
            if result.get("plantCode") == plant_code:
                return ChargeDischargeDelivery(
                    request_id=request_id,
                    accepted=as_int(result.get("dispatchResult")) == 0,
                    description=as_str(result.get("description")),
                )
        return ChargeDischargeDelivery(request_id=request_id, accepted=True)

    async def async_get_charge_discharge_status(
        self, request_id: int, plant_code: str
    ) -> ChargeDischargeStatus | None:
        """Return how far a forced charge or discharge got at a plant."""
        data = await self._call(Path.CHARGE_DISCHARGE_STATUS, {"requestID": request_id})
        for item in as_list(data):
            entry = as_dict(item)
            if entry.get("plantCode", plant_code) == plant_code:
                return ChargeDischargeStatus.from_api(entry)
        return None


def _task_status(value: Any) -> TaskStatus | None:
    try:
        return TaskStatus(str(value).upper())
    except ValueError:
        return None


def _check_batch(items: Sequence[object]) -> None:
    if not items or len(items) > MAX_BATCH:
        raise ValueError(f"Give 1 to {MAX_BATCH} items, not {len(items)}")
