"""The smart-me simulator's history: ``ValuesInPast`` and ``ValuesInPastMultiple``.

Answers come from the truth model; :meth:`SmartMeHistoryApi.truth` gives the
hourly energy straight from it, and :meth:`SmartMeHistoryApi.revise` corrects
a past hour as late values do in the cloud.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from custom_components.solar_cloud.api.smartme.obis import ENERGY_EXPORT, ENERGY_IMPORT

from .smartme_model import HOUR, HourEnergy, SimDevice
from .smartme_rest import Route, SmartMeRestApi, invalid, query_time

DEFAULT_HISTORY = timedelta(days=730)
"""How far back the cloud keeps a device's values, unless the device says."""
HISTORY_MAX_VALUES = 1000
"""The most value sets one ``ValuesInPastMultiple`` answer holds."""


def utc_text(moment: datetime) -> str:
    """Return a time as smart-me writes it in history (``2023-11-16T12:00:00Z``)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class SmartMeHistoryApi(SmartMeRestApi):
    """The values the cloud keeps of the devices (Professional licence)."""

    def __init__(self, **kwargs: Any) -> None:
        """Serve the history of the account's devices."""
        super().__init__(**kwargs)
        self.history_requests: list[tuple[str, datetime, datetime, int]] = []
        """(device id, startDate, endDate, interval) of each history answered."""

    def routes(self) -> list[Route]:
        """Add the history resources."""
        return [
            *super().routes(),
            ("GET", "/ValuesInPast/{id}", self.get_values_in_past, "values_in_past"),
            (
                "GET",
                "/ValuesInPastMultiple/{id}",
                self.get_values_in_past_multiple,
                "values_in_past_multiple",
            ),
        ]

    # The model ---------------------------------------------------------------

    def _counters_valid(self, device: SimDevice, at: datetime) -> bool:
        return all(
            counter is None or counter >= 0
            for counter in self.counter_values(device, at)
        )

    def history_begins(self, device: SimDevice) -> datetime:
        """Return the oldest time the cloud has values of the device for.

        ``device.history_start``, by default :data:`DEFAULT_HISTORY` before
        the simulator started, but not before the meter's counters were zero:
        the sample's counters integrated back reach zero where it was installed.
        """
        begins = device.history_start or self.started - DEFAULT_HISTORY
        if self._counters_valid(device, begins):
            return begins
        # Counters only grow: the last time one was below zero is found by halving.
        before, after = begins, self.started
        while after - before > timedelta(seconds=1):
            middle = before + (after - before) / 2
            if self._counters_valid(device, middle):
                after = middle
            else:
                before = middle
        minute = after.replace(second=0, microsecond=0)
        return minute if minute == after else minute + timedelta(minutes=1)

    def history_times(
        self, device: SimDevice, start: datetime, end: datetime, step: timedelta
    ) -> list[datetime]:
        """Return when ``ValuesInPastMultiple`` answers values: ``start + k * step``.

        Up to ``end`` and the device's last upload (no future values), from
        :meth:`history_begins` on, at most :data:`HISTORY_MAX_VALUES`.
        """
        if not device.electric:
            return []
        last = min(end, self.value_date(device))
        skipped = max(0, -((start - self.history_begins(device)) // step))
        times: list[datetime] = []
        moment = start + skipped * step
        while moment <= last and len(times) < HISTORY_MAX_VALUES:
            times.append(moment)
            moment += step
        return times

    def history_entry(self, device: SimDevice, at: datetime) -> dict[str, Any]:
        """Return the ``ValuesData`` of a device at a time: its counters in Wh.

        Wh, not the device list's kWh, as the real capture shows; an export
        counter the meter lacks reads 0, as there too.
        """
        imported, exported = self.counter_values(device, at)
        values = []
        if imported is not None:
            values.append({"Obis": ENERGY_IMPORT, "Value": round(imported * 1000, 2)})
        values.append(
            {"Obis": ENERGY_EXPORT, "Value": round((exported or 0.0) * 1000, 2)}
        )
        return {"DeviceId": device.id, "Date": utc_text(at), "Values": values}

    def last_upload_before(self, device: SimDevice, moment: datetime) -> datetime:
        """Return the device's last upload before ``moment`` (and not after now)."""
        latest = self.value_date(device)
        if moment > latest:
            return latest
        since = moment - datetime.fromtimestamp(0, UTC)
        # The upload strictly before: one interval before the ceiling.
        uploads = -(-since // device.upload_interval) - 1
        return datetime.fromtimestamp(0, UTC) + uploads * device.upload_interval

    # Test hooks ----------------------------------------------------------------

    def truth(
        self, device_id: str, start: datetime, end: datetime
    ) -> dict[datetime, HourEnergy]:
        """Return the energy (kWh) of every hour from ``start`` to ``end``.

        Straight from the model, by hour start (UTC): what the history's
        counters must add up to, late corrections (:meth:`revise`) included.
        ``start`` is taken back to its full hour; ``end`` is exclusive.
        """
        device = self.devices[device_id]
        hour = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        hours: dict[datetime, HourEnergy] = {}
        while hour < end:
            first, last = device.energy(hour), device.energy(hour + HOUR)
            hours[hour] = HourEnergy(last[0] - first[0], last[1] - first[1])
            hour += HOUR
        return hours

    def revise(
        self,
        device_id: str,
        hour: datetime,
        *,
        energy_import: float | None = None,
        energy_export: float | None = None,
    ) -> HourEnergy:
        """Correct the energy (kWh) of one past hour, as late values do in the cloud.

        The next hour gives or takes the difference, so the counters up to
        ``hour`` and from two hours later stay as they were: live values do
        not change, the history and :meth:`truth` of the two hours do. Returns
        the hour's energy before the correction.

        Raises:
            ValueError: ``hour`` is not a full hour with a zone.

        """
        if hour.tzinfo is None:
            raise ValueError(f"Not the start of an hour: {hour}")
        hour = hour.astimezone(UTC)
        if hour != hour.replace(minute=0, second=0, microsecond=0):
            raise ValueError(f"Not the start of an hour: {hour}")
        device = self.devices[device_id]
        before = self.truth(device_id, hour, hour + HOUR)[hour]
        moved = device.revisions.get(hour, HourEnergy(0.0, 0.0))
        device.revisions[hour] = HourEnergy(
            moved.energy_import
            + (0.0 if energy_import is None else energy_import - before.energy_import),
            moved.energy_export
            + (0.0 if energy_export is None else energy_export - before.energy_export),
        )
        return before

    # Routes --------------------------------------------------------------------

    async def get_values_in_past(self, request: web.Request) -> web.Response:
        """Return the last value set before ``date``; 204 if there is none."""
        self._check(request)
        device = self._device(request)
        upload = self.last_upload_before(device, query_time(request, "date"))
        if not device.electric or upload < self.history_begins(device):
            return web.Response(status=204)
        return web.json_response(self.history_entry(device, upload))

    async def get_values_in_past_multiple(self, request: web.Request) -> web.Response:
        """Return the value sets from ``startDate`` to ``endDate`` (Professional).

        ``interval`` 0 ("as fast as possible") is the device's upload interval.
        """
        self._check(request)
        if not self.account.history_licence:
            return web.json_response(
                {"Message": "This call needs a smart-me professional licence."},
                status=403,
            )
        device = self._device(request)
        start = query_time(request, "startDate")
        end = query_time(request, "endDate")
        try:
            minutes = int(request.query["interval"])
        except KeyError, ValueError:
            raise invalid("interval") from None
        if minutes < 0:
            raise invalid("interval")
        step = timedelta(minutes=minutes) if minutes else device.upload_interval
        self.history_requests.append((device.id, start, end, minutes))
        return web.json_response(
            [
                self.history_entry(device, moment)
                for moment in self.history_times(device, start, end, step)
            ]
        )
