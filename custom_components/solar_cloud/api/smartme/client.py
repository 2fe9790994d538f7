"""The smart-me REST API client."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import aiohttp

from ..account_gate import AccountGate
from ..errors import (
    ApiPermissionError,
    ApiRateLimitedError,
    ApiResponseError,
    status_error,
)
from ..transport import RawResponse, send, snippet
from .auth import SmartMeAuth
from .history import HISTORY_MAX_VALUES, HistoryReading, history_count, parse_history
from .models import Device, DeviceAction, RealtimeRegistration, User, as_float
from .obis import SwitchOutput, obis_to_hex

DEFAULT_URL = "https://api.smart-me.com"
REQUEST_TIMEOUT = 20.0


def _message(response: RawResponse) -> str:
    """Return the error text smart-me sent (plain text or {"Message": ...})."""
    try:
        body = response.json()
    except ApiResponseError:
        return response.snippet or f"HTTP {response.status}"
    if isinstance(body, dict):
        for key, value in body.items():
            if key.lower() in ("message", "error_description", "error"):
                return snippet(str(value))
    return response.snippet


def _utc_text(moment: datetime) -> str:
    """Return an aware time as smart-me's UTC text (``2026-10-20T12:00:00Z``)."""
    if moment.tzinfo is None:
        raise ValueError("smart-me times must be timezone-aware")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class SmartMeClient:
    """Talks to ``api.smart-me.com`` (paths without the legacy ``/api`` prefix)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        auth: SmartMeAuth,
        *,
        base_url: str = DEFAULT_URL,
        request_timeout: float = REQUEST_TIMEOUT,
        gate: AccountGate | None = None,
    ) -> None:
        """Use the injected session and credentials.

        ``gate``: the account's, shared by its clients (without one, the
        client keeps a gate of its own): within its window calls fail
        without a request, and a 429 with Retry-After opens one.
        """
        self.gate = gate or AccountGate()
        self._session = session
        self._auth = auth
        self._base_url = base_url.rstrip("/")
        self._timeout = request_timeout

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
    ) -> RawResponse:
        # Before the header: renewing an OAuth token is a call too.
        self.gate.check()
        header = await self._auth.async_header()
        response = await self._send(method, path, header, json=json, params=params)
        if response.status == 401 and (
            renewed := await self._auth.async_renewed_header()
        ):
            response = await self._send(method, path, renewed, json=json, params=params)
        if response.status >= 400:
            err = status_error(
                response.status,
                f"smart-me answered HTTP {response.status} to {method} {path}: "
                f"{_message(response)}",
                missing_right=path.strip("/").split("/")[0],
                retry_after=as_float(response.headers.get("Retry-After")),
            )
            if isinstance(err, ApiRateLimitedError):
                # smart-me's 429 refuses the account, not the one call: every
                # client of the account waits its Retry-After out.
                self.gate.rate_limited(err)
            raise err
        return response

    async def _send(
        self,
        method: str,
        path: str,
        header: str,
        *,
        json: Any,
        params: dict[str, str] | None,
    ) -> RawResponse:
        return await send(
            self._session,
            method,
            f"{self._base_url}{path}",
            request_timeout=self._timeout,
            headers={"Authorization": header, "Accept": "application/json"},
            json=json,
            params=params,
        )

    async def _get_list(self, path: str, what: str) -> list[Any]:
        body = (await self._request("GET", path)).json()
        if not isinstance(body, list):
            raise ApiResponseError(f"{what} is not a list: {str(body)[:100]!r}")
        return body

    async def user(self) -> User:
        """Return the account the credentials belong to."""
        return User.from_api((await self._request("GET", "/User")).json())

    async def devices(self) -> list[Device]:
        """Return every device of the account.

        A device without a GUID is left out rather than failing the list.
        """
        devices = []
        for raw in await self._get_list("/Devices", "Devices"):
            try:
                devices.append(Device.from_api(raw))
            except ApiResponseError:
                continue
        return devices

    async def device(self, device_id: str) -> Device:
        """Return one device."""
        return Device.from_api(
            (await self._request("GET", f"/Devices/{device_id}")).json()
        )

    async def actions(self, device_id: str) -> list[DeviceAction]:
        """Return the actions (switches, outputs) a device offers."""
        actions = []
        for raw in await self._get_list(f"/Actions/{device_id}", "Actions"):
            try:
                actions.append(DeviceAction.from_api(raw))
            except ApiResponseError:
                continue
        return actions

    async def set_actions(
        self, device_id: str, values: Sequence[tuple[str, float]]
    ) -> None:
        """Carry out actions: ``values`` are (OBIS code, value) pairs.

        smart-me answers 204 once it accepted them.
        """
        await self._request(
            "POST",
            "/Actions",
            json={
                "DeviceID": device_id,
                "Actions": [
                    {"ObisCode": obis_to_hex(code), "Value": value}
                    for code, value in values
                ],
            },
        )

    async def switch(self, device_id: str, output: SwitchOutput, on: bool) -> None:
        """Switch an output on or off (its on/off action, to 1 or 0)."""
        await self.set_actions(device_id, [(output, 1.0 if on else 0.0)])

    async def meter_values(self, device_id: str, date: datetime) -> dict[str, Any]:
        """Return the counters of a device at ``date`` (keys in lower case)."""
        body = (
            await self._request(
                "GET", f"/MeterValues/{device_id}", params={"date": date.isoformat()}
            )
        ).json()
        if not isinstance(body, dict):
            raise ApiResponseError("MeterValues is not an object")
        return {str(key).lower(): value for key, value in body.items()}

    async def values_in_past_multiple(
        self, device_id: str, start: datetime, end: datetime, interval_minutes: int
    ) -> list[HistoryReading]:
        """Return a device's value sets from ``start`` to ``end`` (Professional licence).

        smart-me answers at most :data:`HISTORY_MAX_VALUES` per call: plan
        longer ranges with :func:`history_windows`, one call per window, and
        join the answers with :func:`merge_readings`. ``interval_minutes`` 0
        asks for every value smart-me has.

        Raises:
            ValueError: Naive times, a negative interval, or more than
                :data:`HISTORY_MAX_VALUES` readings in the range.
            ApiPermissionError: No licence for it (``missing_right``
                ``ValuesInPastMultiple``).

        """
        if interval_minutes < 0:
            raise ValueError("interval_minutes must not be negative")
        if interval_minutes and (
            history_count(start, end, interval_minutes) > HISTORY_MAX_VALUES
        ):
            raise ValueError(
                f"More than {HISTORY_MAX_VALUES} values in one call: use history_windows"
            )
        response = await self._request(
            "GET",
            f"/ValuesInPastMultiple/{device_id}",
            params={
                "startDate": _utc_text(start),
                "endDate": _utc_text(end),
                "interval": str(interval_minutes),
            },
        )
        return parse_history(response.json())

    async def values_in_past(
        self, device_id: str, date: datetime
    ) -> HistoryReading | None:
        """Return the last value set of a device before ``date``.

        None when smart-me has none (an empty answer, or one without values).

        Raises:
            ValueError: A naive time.

        """
        response = await self._request(
            "GET", f"/ValuesInPast/{device_id}", params={"date": _utc_text(date)}
        )
        if response.status == 204 or not response.body.strip():
            return None
        body = response.json()
        if body is None:
            return None
        reading = HistoryReading.from_api(body)
        return reading if reading.values else None

    async def realtime_registrations(self) -> list[RealtimeRegistration]:
        """Return the account's Realtime API registrations."""
        return [
            RealtimeRegistration.from_api(raw)
            for raw in await self._get_list(
                "/RegisterForRealtimeApi", "RegisterForRealtimeApi"
            )
            if isinstance(raw, dict)
        ]

    async def register_realtime(self, registration: RealtimeRegistration) -> None:
        """Register a webhook for the Realtime API.

        Raises:
            ApiPermissionError: smart-me refused it (reason
                ``smartme_realtime_refused``), e.g. for the licence.

        """
        try:
            await self._request(
                "POST", "/RegisterForRealtimeApi", json=registration.to_api()
            )
        except (ApiPermissionError, ApiResponseError) as err:
            raise ApiPermissionError(
                str(err), reason="smartme_realtime_refused", missing_right="RealtimeApi"
            ) from err

    async def unregister_realtime(self, registration_id: str) -> None:
        """Delete a Realtime API registration."""
        await self._request("DELETE", f"/RegisterForRealtimeApi/{registration_id}")
