"""When the simulated devices upload: real-time values that change in steps.

A real plant's logger (Dongle, SmartLogger) uploads its devices' data every
five minutes, at its own moment after the 5-minute mark; the cloud's
real-time KPIs (getDevRealKpi per device, getStationRealKpi per plant) change
only then. An :class:`UploadSchedule` on the simulator (``sim.uploads``)
makes them do so: each source (a device id, or a plant code) uploads at
``cycle start + delay + jitter`` and, now and then, late. Everything is drawn
from ``seed`` and the source's key, so a run repeats exactly whatever order
the calls come in, and a benchmark can ask when each upload happened.

Without a schedule (the default) the simulator answers live values, as
before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import math
import random
from typing import Any

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, kw_only=True)
class Upload:
    """One upload of one source: its number (cycle) and when it happened."""

    cycle: int
    at: datetime


@dataclass(kw_only=True)
class UploadSchedule:
    """The upload moments of every plant and device.

    A plant's delay after the 5-minute mark is drawn from ``plant_delay``;
    its devices upload ``device_delay`` later, the plant's KPIs
    ``plant_kpi_delay`` after that (the cloud sums them up from the devices).
    Each upload is ``jitter`` seconds late at most, and with probability
    ``late_probability`` later by ``late`` seconds. ``drift`` (seconds per
    cycle) moves a source's moment steadily (a logger's clock running fast);
    ``irregular`` sources upload at a random moment of each cycle.
    """

    seed: int = 0
    period: timedelta = timedelta(minutes=5)
    plant_delay: tuple[float, float] = (20.0, 200.0)
    device_delay: tuple[float, float] = (0.0, 8.0)
    plant_kpi_delay: float = 10.0
    jitter: float = 6.0
    late_probability: float = 0.02
    late: tuple[float, float] = (40.0, 150.0)
    drift: dict[str, float] = field(default_factory=dict)
    """Seconds per cycle, by plant code (its devices drift with it)."""
    drift_from: datetime = datetime(2026, 6, 21, tzinfo=UTC)
    """Where the drifting moments start from their nominal delay."""
    irregular: set[str] = field(default_factory=set)
    """Plant codes whose uploads come at any moment of the cycle."""
    owners: dict[str, str] = field(default_factory=dict)
    """Plant code of each device id (as str); filled by the simulator."""
    _snapshots: dict[str, tuple[int, Any]] = field(default_factory=dict, repr=False)
    _delays: dict[str, float] = field(default_factory=dict, repr=False)
    _uploads: dict[tuple[str, int], Upload] = field(default_factory=dict, repr=False)

    def own(self, device: str, plant: str) -> None:
        """Tell the plant of a device (whose logger uploads it)."""
        if self.owners.get(device) != plant:
            self.owners[device] = plant
            self._delays.pop(device, None)
            self._uploads = {k: u for k, u in self._uploads.items() if k[0] != device}

    def _rng(self, *parts: object) -> random.Random:
        return random.Random(":".join(str(part) for part in (self.seed, *parts)))

    def _plant_of(self, key: str) -> str:
        return self.owners.get(key, key)

    def delay(self, key: str) -> float:
        """Return the source's nominal delay after the 5-minute mark (s)."""
        if (known := self._delays.get(key)) is not None:
            return known
        self._delays[key] = delay = self._draw_delay(key)
        return delay

    def _draw_delay(self, key: str) -> float:
        plant = self._plant_of(key)
        low, high = self.plant_delay
        seconds = self._rng("plant", plant).uniform(low, high)
        if plant == key:
            return seconds + self.plant_kpi_delay
        low, high = self.device_delay
        return seconds + self._rng("device", key).uniform(low, high)

    def upload(self, key: str, cycle: int) -> Upload:
        """Return when ``key`` made its upload of 5-minute ``cycle``."""
        if (known := self._uploads.get((key, cycle))) is not None:
            return known
        self._uploads[key, cycle] = upload = self._draw_upload(key, cycle)
        return upload

    def _draw_upload(self, key: str, cycle: int) -> Upload:
        plant = self._plant_of(key)
        period = self.period.total_seconds()
        rng = self._rng("cycle", key, cycle)
        if plant in self.irregular:
            offset = rng.uniform(0, period - 1)
        else:
            offset = self.delay(key) + rng.uniform(0, self.jitter)
            offset += self.drift.get(plant, 0.0) * (
                cycle - self._cycle_of(self.drift_from)
            )
            if rng.random() < self.late_probability:
                offset += rng.uniform(*self.late)
        return Upload(
            cycle=cycle, at=EPOCH + timedelta(seconds=cycle * period + offset)
        )

    def _cycle_of(self, at: datetime) -> int:
        return math.floor((at - EPOCH).total_seconds() / self.period.total_seconds())

    def _first_cycle(self, key: str, at: datetime) -> int:
        """Return a cycle a few before the one whose upload is around ``at``."""
        period = self.period.total_seconds()
        drift = self.drift.get(self._plant_of(key), 0.0)
        start = self._cycle_of(self.drift_from)
        seconds = (at - EPOCH).total_seconds() - self.delay(key) + drift * start
        return math.floor(seconds / (period + drift)) - 3

    def latest(self, key: str, now: datetime) -> Upload | None:
        """Return the last upload of ``key`` at or before ``now``."""
        cycle = self._first_cycle(key, now) + 8
        while cycle > self._first_cycle(key, now) - 8:
            upload = self.upload(key, cycle)
            if upload.at <= now:
                return upload
            cycle -= 1
        return None  # pragma: no cover - drift beyond a few cycles

    def between(self, key: str, start: datetime, end: datetime) -> list[Upload]:
        """Return the uploads of ``key`` made after ``start``, up to ``end``."""
        uploads = []
        cycle = self._first_cycle(key, start) - 4
        while (upload := self.upload(key, cycle)).at <= end or cycle <= (
            self._first_cycle(key, end) + 4
        ):
            if start < upload.at <= end:
                uploads.append(upload)
            cycle += 1
        return sorted(uploads, key=lambda upload: upload.at)

    def frozen(self, key: str, now: datetime, values: Any) -> Any:
        """Return what ``key`` last uploaded; ``values()`` reads it afresh.

        ``values`` is called (with the upload's time) once per upload.
        """
        upload = self.latest(key, now)
        cycle = -1 if upload is None else upload.cycle
        kept = self._snapshots.get(key)
        if kept is not None and kept[0] == cycle:
            return kept[1]
        data = values(now if upload is None else upload.at)
        self._snapshots[key] = (cycle, data)
        return data
