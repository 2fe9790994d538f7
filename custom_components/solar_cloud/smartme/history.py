"""The energy history of smart-me meters, for the Energy dashboard's statistics.

**What.** Every electricity meter with energy counters has a series for its
import and one for its export (where the device list shows that counter),
keyed by the meter's id as its entities are, named after the meter.

**How it is asked for.** ``ValuesInPastMultiple`` (Professional licence) at
an interval of an hour, in windows of at most 1,000 readings
(``history_windows``: 41 days), newest first, one request per meter and
window: a year is 9 requests per meter. One request every
:attr:`SmartMeHistory.call_spacing` (15 s; smart-me publishes no rate limit),
the newest hours every hour, the last 48 hours again every 6 hours. Without
the licence smart-me answers 403: the import stops until the account is set
up again (see ``history.py``), after that one request.

**Energy per hour.** An hour's energy is the difference of a counter between
two consecutive readings: with a reading every hour, the hour between them.
Where readings are missing, the energy between the two readings around the
gap goes into the hour that ends with (or holds) the later one: the total is
kept, nothing is counted twice. An answer covers the hours from its first
reading to its last. When the first reading of a window is missing, one
``ValuesInPast`` call gives the reading before it, so the energy across the
gap is counted too; when there is none, the meter's history begins there and
older windows of that meter are not asked for.

**Glitches.** A reading whose counter fell, or rose by more than
:data:`MAX_METER_POWER_KW` could pass in the time, is held back: if the next
reading is in line with the one before it, it was a glitch and that energy is
counted in full; if the next one counts on from the held reading, the meter
was reset or replaced, and the energy between the two series is unknown.

**Units.** The device list's counters are kWh; the history's look like Wh in
the one real capture, which is not documented. So each meter's factor is
measured the way pushes are calibrated (``history_energy_factor``): a
history reading within an hour of the device list's reading, whose counter
must be at least 1 kWh, picks 1, 10⁻³ or 10⁻⁶. The newest hours are asked for
first, so their answer usually confirms it; otherwise one ``ValuesInPast``
call at the device list's time does. A meter that cannot be confirmed (a new
meter below 1 kWh) is taken as Wh, and an answer is then only imported when
it is plausible in that unit: no reading out of line and no counter above the
device list's (counters only grow, and the device list is newer).
"""

from __future__ import annotations

from collections.abc import Sequence
import contextlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final, override

from ..api.smartme import (
    HISTORY_ENERGY_FACTOR,
    MAX_CALIBRATION_GAP,
    MIN_CALIBRATION_KWH,
    Device,
    DeviceEnergyType,
    HistoryReading,
    MeterReading,
    SmartMeClient,
    history_energy_factor,
    history_windows,
)
from ..const import LOGGER, Vendor
from ..history_source import HistoryChunk, HistorySource
from ..statistics import HOUR, EnergyFlow, HistorySeries, SeriesEnergy, ceil_hour
from .coordinator import SmartMeAccountCoordinator

INTERVAL_MINUTES: Final = 60
CHUNK_KIND: Final = "hourly"
MAX_METER_POWER_KW: Final = 1000.0
"""The most power any smart-me meter can see, kW: 1 MW, what a whole 1,000 kVA
transformer station delivers (1,600 A at 400 V, the largest low-voltage
connection). Direct meters pass 80 A (55 kW); transformer (CT) meters and
modules read bigger connections (a sample meter sees 110 kW). An hour with
more energy is a glitch, or a unit taken 1,000 times too large."""


def _counter(reading: HistoryReading | MeterReading, flow: EnergyFlow) -> float | None:
    """Return the import or export counter of a history or device list reading."""
    return reading.energy_import if flow is EnergyFlow.IMPORT else reading.energy_export


def _flows(device: Device) -> tuple[EnergyFlow, ...]:
    """Return the flows of a meter whose device list shows that counter."""
    if device.energy_type is not DeviceEnergyType.ELECTRICITY:
        return ()
    return tuple(
        flow
        for flow in (EnergyFlow.IMPORT, EnergyFlow.EXPORT)
        if _counter(device.reading, flow) is not None
    )


def _hour_of(moment: datetime) -> datetime:
    """Return the start of the hour that ends with or holds ``moment``."""
    return ceil_hour(moment) - HOUR


@dataclass(kw_only=True)
class SmartMeCounterEnergy:
    """The energy per hour of one counter, from consecutive readings."""

    energy: dict[datetime, float] = field(default_factory=dict)
    """kWh by the start of the hour."""
    start: datetime
    """The first hour the readings tell about."""
    end: datetime
    """The end of the last hour counted (the last reading in line)."""
    held: int = 0
    """Readings held back as out of line."""
    highest: float = 0.0
    """The highest counter read, in the history's unit."""


def _in_line(
    before: tuple[datetime, float], at: datetime, value: float, factor: float
) -> bool:
    """Return whether the counter could go from ``before`` to ``value`` at ``at``."""
    since, counter = before
    hours = (at - since) / HOUR
    return 0 <= (value - counter) * factor <= MAX_METER_POWER_KW * hours


def counter_energy(
    points: Sequence[tuple[datetime, float]], factor: float
) -> SmartMeCounterEnergy | None:
    """Return the energy per hour of a counter's readings (time, value), in time order.

    None with fewer than two readings. ``factor`` turns the counter into kWh.
    """
    if len(points) < 2:
        return None
    base = points[0]
    held: tuple[datetime, float] | None = None
    result = SmartMeCounterEnergy(
        start=_hour_of(points[1][0]),
        end=ceil_hour(base[0]),
        highest=max(value for _, value in points),
    )
    for at, value in points[1:]:
        if at <= base[0]:
            continue
        if _in_line(base, at, value, factor):
            start = base[1]
        elif held is not None and _in_line(held, at, value, factor):
            # The held reading began a new series: a meter reset or replaced.
            # What it counted between the two series is unknown.
            start = held[1]
        else:
            held = (at, value)
            result.held += 1
            continue
        hour = _hour_of(at)
        result.energy[hour] = result.energy.get(hour, 0.0) + (value - start) * factor
        base, held = (at, value), None
    result.end = ceil_hour(base[0])
    return result


class SmartMeHistory(HistorySource):
    """The import and export history of an account's electricity meters."""

    vendor = Vendor.SMARTME
    call_spacing = timedelta(seconds=15)
    live_interval = timedelta(hours=1)
    trailing_window = timedelta(hours=48)
    trailing_interval = timedelta(hours=6)
    calls: int = 0

    def __init__(
        self, client: SmartMeClient, account: SmartMeAccountCoordinator
    ) -> None:
        """Read the history of the meters ``account`` lists, with ``client``."""
        self.client = client
        self.account = account
        self.factors: dict[str, float] = {}
        """Meter id -> the confirmed factor of its history counters to kWh."""
        self.begins: dict[str, datetime] = {}
        """Meter id -> the time smart-me's history of it begins, once found."""
        self._asked: set[str] = set()
        self._assumed: set[str] = set()

    @override
    def stored(self) -> dict[str, Any]:
        """Keep the confirmed factors and where each meter's history begins."""
        return {
            "factors": dict(self.factors),
            "begins": {key: at.isoformat() for key, at in self.begins.items()},
        }

    @override
    def restore(self, data: dict[str, Any]) -> None:
        """Take back what was learned before a restart; skip what does not parse."""
        factors, begins = data.get("factors"), data.get("begins")
        if isinstance(factors, dict):
            self.factors.update(
                (str(key), float(value))
                for key, value in factors.items()
                if isinstance(value, int | float) and value > 0
            )
        if isinstance(begins, dict):
            for key, value in begins.items():
                with contextlib.suppress(TypeError, ValueError):
                    at = datetime.fromisoformat(value)
                    if at.tzinfo is not None:
                        self.begins[str(key)] = at

    def _meters(self) -> dict[str, Device]:
        """Return the meters with energy counters, by id."""
        return {
            device_id: coordinator.device
            for device_id, coordinator in sorted(
                self.account.device_coordinators.items()
            )
            if _flows(coordinator.device)
        }

    def _series(self, device: Device, flow: EnergyFlow) -> HistorySeries:
        return HistorySeries(
            vendor=self.vendor, device_key=device.id, device_name=device.name, flow=flow
        )

    def _before_history(self, device_id: str, end: datetime) -> bool:
        begins = self.begins.get(device_id)
        return begins is not None and end <= begins

    @override
    def series(self) -> list[HistorySeries]:
        """Return the import and export series of every meter."""
        return [
            self._series(device, flow)
            for device in self._meters().values()
            for flow in _flows(device)
        ]

    @override
    def plan(self, start: datetime, end: datetime) -> list[HistoryChunk]:
        """Return a request per meter and window of 1,000 hours, newest first."""
        if end <= start:
            return []
        meters = list(self._meters())
        return [
            HistoryChunk(unit=device_id, start=first, end=last, kind=CHUNK_KIND)
            for first, last in reversed(history_windows(start, end, INTERVAL_MINUTES))
            for device_id in meters
            if not self._before_history(device_id, last)
        ]

    @override
    async def async_fetch(self, chunk: HistoryChunk) -> list[SeriesEnergy]:
        """Read one meter's readings of a window; return its hours' energy."""
        device = self._meters().get(chunk.unit)
        if device is None or self._before_history(device.id, chunk.end):
            return []
        self.calls += 1
        readings = await self.client.values_in_past_multiple(
            device.id, chunk.start, chunk.end, INTERVAL_MINUTES
        )
        if not readings:
            return []
        points = list(readings)
        if readings[0].time > chunk.start and (
            before := await self._async_reading_before(device, readings[0].time)
        ):
            points.insert(0, before)
        factor, confirmed = await self._async_factor(device, readings)
        parts = []
        for flow in _flows(device):
            counted = counter_energy(
                [
                    (item.time, counter)
                    for item in points
                    if (counter := _counter(item, flow)) is not None
                ],
                factor,
            )
            if counted is None:
                continue
            if not confirmed and not _plausible(
                counted, factor, _counter(device.reading, flow)
            ):
                LOGGER.warning(
                    "Not importing the smart-me history of %s from %s to %s: its "
                    "counters do not look like Wh, and the device list cannot tell",
                    device.name,
                    chunk.start,
                    chunk.end,
                )
                return []
            start, end = max(chunk.start, counted.start), min(chunk.end, counted.end)
            if start < end:
                parts.append(
                    SeriesEnergy(
                        series=self._series(device, flow),
                        start=start,
                        end=end,
                        energy=counted.energy,
                    )
                )
        return parts

    async def _async_reading_before(
        self, device: Device, moment: datetime
    ) -> HistoryReading | None:
        """Return the reading before ``moment``; none: the history begins there."""
        self.calls += 1
        before = await self.client.values_in_past(device.id, moment)
        if before is None:
            LOGGER.debug("smart-me's history of %s begins at %s", device.name, moment)
            self.begins[device.id] = moment
            return None
        return before if before.time < moment else None

    async def _async_factor(
        self, device: Device, readings: Sequence[HistoryReading]
    ) -> tuple[float, bool]:
        """Return the factor of the meter's history counters to kWh, and if confirmed."""
        if (factor := self.factors.get(device.id)) is not None:
            return factor, True
        rest = device.reading
        factor = None
        if (rest_time := rest.timestamp) is not None:
            closest = min(readings, key=lambda item: abs(item.time - rest_time))
            factor = history_energy_factor(closest, rest)
            counters = [rest.energy_import or 0.0, rest.energy_export or 0.0]
            if (
                factor is None
                and abs(closest.time - rest_time) > MAX_CALIBRATION_GAP
                and max(counters) >= MIN_CALIBRATION_KWH
                and device.id not in self._asked
            ):
                # One reading at the device list's time settles it for good.
                self._asked.add(device.id)
                self.calls += 1
                if (
                    at := await self.client.values_in_past(
                        device.id, rest_time + timedelta(seconds=1)
                    )
                ) is not None:
                    factor = history_energy_factor(at, rest)
        if factor is not None:
            self.factors[device.id] = factor
            LOGGER.debug(
                "smart-me history of %s: counters x %g kWh, as the device list shows",
                device.name,
                factor,
            )
            return factor, True
        if device.id not in self._assumed:
            self._assumed.add(device.id)
            LOGGER.debug(
                "smart-me history of %s: counters taken as Wh (x %g kWh); the device "
                "list cannot confirm it",
                device.name,
                HISTORY_ENERGY_FACTOR,
            )
        return HISTORY_ENERGY_FACTOR, False


def _plausible(
    counted: SmartMeCounterEnergy, factor: float, rest_kwh: float | None
) -> bool:
    """Return whether readings in an unconfirmed unit can be believed.

    None held back as out of line, and no counter above the device list's
    (which is newer: counters only grow) by more than the calibration minimum.
    """
    if counted.held:
        return False
    return (
        rest_kwh is None or counted.highest * factor <= rest_kwh + MIN_CALIBRATION_KWH
    )
