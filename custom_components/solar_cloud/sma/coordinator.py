"""The measurements of one plant: its EnergyBalance, and its devices' sets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import ClassVar, override

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from ..api.sma import MeasurementPoint, MeasurementSet, Period, PlantKind, SmaClient
from ..coordinator import SolarCloudCoordinator
from ..runtime import SolarCloudConfigEntry
from .concurrency import gather_all
from .const import DEVICE_INTERVAL, EXPECTED_DELAY, LIFETIME_INTERVAL, PLANT_INTERVAL
from .inventory import SmaPlant

# The EnergyBalance fields that are energy flows (W per interval, Wh per day).
ENERGY_FIELDS = (
    "pvGeneration",
    "totalConsumption",
    "gridFeedIn",
    "gridConsumption",
    "batteryCharging",
    "batteryDischarging",
)
# The device sets that become sensors; the others are not read.
DEVICE_SETS = frozenset(
    {
        "EnergyAndPowerPv",
        "EnergyAndPowerBattery",
        "EnergyAndPowerInOut",
        "EnergyAndPowerConsumption",
        "PowerAc",
        "PowerDc",
        "Sensor",
    }
)


def expected_delay(kind: PlantKind, resolution: timedelta | None) -> timedelta:
    """Return how old a plant's newest data may be before it counts as gone."""
    return max(EXPECTED_DELAY[kind], 3 * (resolution or timedelta()))


@dataclass(frozen=True, kw_only=True)
class PlantData:
    """A plant's newest interval and its energy counters (Wh)."""

    latest: MeasurementPoint | None
    today: Mapping[str, float] = field(default_factory=dict)
    lifetime: Mapping[str, float] = field(default_factory=dict)
    fields: frozenset[str] = frozenset()
    """Every field the plant reports (today or over its lifetime)."""
    resolution: timedelta | None = None
    day: date | None = None
    """The plant-local day of ``answer``."""
    answer: MeasurementSet | None = None
    """The day's EnergyBalance as read (the history import reuses it)."""


class SmaMeasurementCoordinator[DataT](SolarCloudCoordinator[DataT]):
    """A coordinator of one plant, knowing how late its data may be."""

    kind_of_data: ClassVar[str]
    """What the coordinator reads, for its name."""
    slowest_interval: ClassVar[timedelta] = timedelta()
    """Poll no more often than this, whatever the plant's cadence."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SolarCloudConfigEntry,
        client: SmaClient,
        plant: SmaPlant,
    ) -> None:
        """Read one plant at its own cadence."""
        self.client = client
        self.plant = plant
        self.resolution: timedelta | None = None
        super().__init__(
            hass,
            entry,
            name=f"{plant.plant.name} {self.kind_of_data}",
            update_interval=max(
                PLANT_INTERVAL[plant.plant.kind], self.slowest_interval
            ),
            stale_after=expected_delay(plant.plant.kind, None),
            # The same data grows older: its entities decide anew each time
            # whether it is still current.
            always_update=True,
        )

    @property
    def expected_delay(self) -> timedelta:
        """Return how old the newest interval may be."""
        return expected_delay(self.plant.plant.kind, self.resolution)

    def is_current(self, point: MeasurementPoint | None) -> bool:
        """Return whether an interval is recent enough to show as now."""
        return (
            point is not None and dt_util.utcnow() - point.time <= self.expected_delay
        )


class SmaPlantCoordinator(SmaMeasurementCoordinator[PlantData]):
    """A plant's EnergyBalance: current power, today's and lifetime energy.

    One call per poll (the day's intervals), plus the lifetime totals hourly
    and at the plant's midnight. The lifetime counters are the Total period's
    sum when it was read plus what today's energy grew since; what the
    sensors show of them is the counter policy's to decide (``counter.py``).
    """

    kind_of_data = "energy balance"
    _base_day: date | None = None
    _base_read: datetime | None = None

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SolarCloudConfigEntry,
        client: SmaClient,
        plant: SmaPlant,
    ) -> None:
        """Poll at the plant kind's cadence."""
        super().__init__(hass, entry, client, plant)
        self._base: dict[str, float] = {}
        self._base_today: dict[str, float] = {}

    @override
    async def _async_fetch(self) -> PlantData:
        plant = self.plant.plant
        now = dt_util.utcnow()
        today = now.astimezone(plant.zone).date()
        day = await self.client.energy_balance(plant, Period.DAY, day=today)
        ceiling = 2 * plant.peak_power if plant.peak_power else None
        energy_today = {
            key: energy
            for key in ENERGY_FIELDS
            if (
                energy := day.energy(
                    key, ceiling=ceiling if key == "pvGeneration" else None
                )
            )
            is not None
        }
        if (
            self._base_day != today
            or self._base_read is None
            or now - self._base_read >= LIFETIME_INTERVAL
        ):
            total = await self.client.energy_balance(plant, Period.TOTAL)
            self._base = _totals(total)
            self._base_today = energy_today
            self._base_day = today
            self._base_read = now
        lifetime = {
            key: value + energy_today.get(key, 0.0) - self._base_today.get(key, 0.0)
            for key, value in self._base.items()
        }
        self._adapt(day.resolution)
        return PlantData(
            # Just after midnight the new day has no interval yet: the last
            # one of yesterday is still the newest.
            latest=day.latest or (self.data.latest if self.data else None),
            today={
                key: energy_today.get(key, 0.0)
                for key in ENERGY_FIELDS
                if key in lifetime or key in energy_today
            },
            lifetime=lifetime,
            fields=day.fields | frozenset(lifetime),
            resolution=day.resolution,
            day=today,
            answer=day,
        )

    def _adapt(self, resolution: timedelta | None) -> None:
        """Never poll more often than the plant's data has new intervals."""
        self.resolution = resolution
        self.update_interval = max(
            PLANT_INTERVAL[self.plant.plant.kind], resolution or timedelta()
        )
        self.stale_after = self.expected_delay


def _totals(total: MeasurementSet) -> dict[str, float]:
    return {
        key: value for key in ENERGY_FIELDS if (value := total.total(key)) is not None
    }


type DeviceData = dict[str, dict[str, MeasurementPoint]]
"""Device key -> measurement set -> the newest interval."""


class SmaDeviceCoordinator(SmaMeasurementCoordinator[DeviceData]):
    """The newest interval of each measurement set of a plant's devices."""

    kind_of_data = "devices"
    slowest_interval = DEVICE_INTERVAL

    @property
    def reads(self) -> list[tuple[str, str, str]]:
        """Return (device key, SMA device id, set) of every set to read."""
        return [
            (device.key, device.device.device_id, set_type)
            for device in self.plant.devices
            for set_type in sorted(device.sets & DEVICE_SETS)
        ]

    @override
    async def _async_fetch(self) -> DeviceData:
        zone = self.plant.plant.zone
        reads = self.reads
        found = await gather_all(
            self.client.device_measurements(
                device_id, set_type, Period.RECENT, zone=zone
            )
            for _, device_id, set_type in reads
        )
        data: DeviceData = {}
        for (key, _, set_type), measurements in zip(reads, found, strict=True):
            if measurements.resolution is not None:
                self.resolution = measurements.resolution
            if (point := measurements.latest) is not None:
                data.setdefault(key, {})[set_type] = point
            elif self.data and set_type in self.data.get(key, {}):
                data.setdefault(key, {})[set_type] = self.data[key][set_type]
        self.stale_after = self.expected_delay
        return data
