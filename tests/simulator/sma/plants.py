"""The simulated plants and devices: a sun curve, weather per day, a household load."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
import math
from typing import Any
from zoneinfo import ZoneInfo

from ..core import Clock
from ..upload import Upload

VENDOR = "SMA Solar Technology AG"

ENERGY_FIELDS = (
    "pvGeneration",
    "totalConsumption",
    "gridFeedIn",
    "gridConsumption",
    "batteryCharging",
    "batteryDischarging",
    "directConsumption",
    "selfConsumption",
    "selfSupply",
    "totalGeneration",
)


def sun(hour: float) -> float:
    """Return the share of the peak a clear sky gives at a local hour."""
    return max(0.0, math.sin(math.pi * (hour - 6) / 12)) if 6 < hour < 18 else 0.0


def weather(day: date) -> float:
    """Return the day's weather factor: one of four, stable per date."""
    return (1.0, 0.8, 0.55, 0.25)[(day.toordinal() * 7919) % 4]


def load(hour: float) -> float:
    """Return the household's power (W) at a local hour."""
    morning = 350 if 6.5 <= hour < 8.5 else 0
    evening = 900 if 18 <= hour < 21.5 else 0
    return 320 + morning + evening + 40 * math.sin(hour * 1.7)


def state_of_charge(hour: float) -> float:
    """Return the battery's state of charge (%) over a day."""
    if hour < 8:
        return 47 - hour * 4
    if hour < 15:
        return min(95.0, 15 + (hour - 8) * 12)
    if hour < 18:
        return 95.0
    return 95 - (hour - 18) * 8


@dataclass(kw_only=True)
class SimDevice:
    """A device of a simulated plant."""

    device_id: str
    name: str
    type: str
    product: str
    product_id: int
    sets: tuple[str, ...] = ()
    serial: str | None = None
    generator_power: float | None = None
    active: bool = True
    deactivated_at: str | None = None

    def to_api(self) -> dict[str, Any]:
        """Return the device as ``/devices`` lists it."""
        data: dict[str, Any] = {
            "deviceId": self.device_id,
            "name": self.name,
            "type": self.type,
            "product": self.product,
            "productId": self.product_id,
            "vendor": VENDOR,
            "isActive": self.active,
        }
        if self.serial is not None:
            data["serial"] = self.serial
        if self.generator_power is not None:
            data["generatorPower"] = self.generator_power
            data["generatorPowerDc"] = self.generator_power
        if self.deactivated_at is not None:
            data["deactivatedAt"] = self.deactivated_at
        return data


EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(kw_only=True)
class SimPlant:
    """A simulated plant and how its data behaves."""

    plant_id: str
    name: str
    timezone: str = "Europe/Berlin"
    peak_power: float = 6000.0
    battery: bool = False
    resolution: timedelta = timedelta(minutes=5)
    lag: timedelta = timedelta()
    """How late data arrives (classic plants: up to two hours)."""
    commissioned: date = date(2024, 4, 1)
    installation: dict[str, Any] | None = None
    location: dict[str, Any] | None = None
    devices: list[SimDevice] = field(default_factory=list)
    grid_control: bool = False
    """Eligible for FeedInLimit (classic Home Manager, ennexOS with SPOT)."""
    moved_to: str | None = None
    """The id SMA moved this plant to (answers 308)."""
    silent_since: datetime | None = None
    """When the plant stopped sending data (aware), e.g. a broken router."""
    revisions: dict[datetime, dict[str, float]] = field(default_factory=dict)
    """Fields SMA corrected afterwards, per interval end (UTC): see ``revise``."""
    total_factor: float = 1.0
    """A glitching cloud: Total answers are scaled by this (0: all zero)."""
    upload: Upload | None = None
    """When each interval appears (None: at once, ``lag`` after its end)."""

    @property
    def zone(self) -> ZoneInfo:
        """Return the plant's time zone."""
        return ZoneInfo(self.timezone)

    def summary(self) -> dict[str, Any]:
        """Return the plant as measurement answers name it."""
        return {"plantId": self.plant_id, "name": self.name, "timezone": self.timezone}

    def to_api(self) -> dict[str, Any]:
        """Return the plant as ``/v1/plants`` lists it."""
        data = self.summary()
        if self.installation is not None:
            data["installation"] = self.installation
        if self.location is not None:
            data["location"] = self.location
        return data

    # Values -----------------------------------------------------------------
    #
    # Interval ends are real instants (aware, in the plant's zone, with the
    # fold of a repeated hour set), so a day the clocks change on has 23 or
    # 25 hours of intervals; answers write them in local time without an
    # offset, as SMA does, so the repeated hour's times appear twice.

    def local_now(self, clock: Clock) -> datetime:
        """Return the plant's local time now, naive (as SMA writes times)."""
        return clock.now().astimezone(self.zone).replace(tzinfo=None)

    def available_until(self, clock: Clock) -> datetime:
        """Return the end of the newest interval SMA has processed (aware, UTC)."""
        now = clock.now()
        if self.silent_since is not None:
            now = min(now, self.silent_since)
        step = int(self.resolution.total_seconds())
        latest = datetime.fromtimestamp(
            int((now - self.lag).timestamp()) // step * step, UTC
        )
        if self.upload is None:
            return latest
        while self.visible_at(latest) > now:
            latest -= self.resolution
        return latest

    def visible_at(self, end: datetime) -> datetime:
        """Return when the interval ending at ``end`` (aware) appears at SMA.

        Without an ``upload`` model that is ``lag`` after its end; with one,
        the upload's own time, never before the interval before it.
        """
        end = end.astimezone(UTC)
        if self.upload is None:
            return end + self.lag
        # Uploads come in order: only the intervals that could still be
        # waiting (a late one's span) can hold this one back.
        reach = self.upload.late_by + self.upload.jitter
        moment = self.upload.raw(end)
        before = end - self.resolution
        while before >= end - reach - self.resolution:
            moment = max(moment, self.upload.raw(before))
            before -= self.resolution
        return moment + self.lag

    def revise(self, end: datetime, **values: float) -> None:
        """Correct fields of the interval ending at ``end`` (aware), as SMA may later."""
        self.revisions.setdefault(end.astimezone(UTC), {}).update(values)

    def local_middle(self, end: datetime) -> datetime:
        """Return the local wall time in the middle of the interval ending at ``end``."""
        if end.tzinfo is None:
            return end - self.resolution / 2
        return (end.astimezone(UTC) - self.resolution / 2).astimezone(self.zone)

    def balance(self, end: datetime) -> dict[str, float]:
        """Return the EnergyBalance of the interval ending at ``end`` (W, %)."""
        middle = self.local_middle(end)
        values = _balance(
            self.peak_power,
            self.battery,
            middle.hour + middle.minute / 60,
            weather(middle.date()),
        )
        if self.revisions and end.tzinfo is not None:
            values.update(self.revisions.get(end.astimezone(UTC), {}))
        return values

    def day_bounds(self, day: date) -> tuple[datetime, datetime]:
        """Return the start and end (aware, UTC) of a local day."""
        return (
            datetime.combine(day, time(), self.zone).astimezone(UTC),
            datetime.combine(day + timedelta(days=1), time(), self.zone).astimezone(
                UTC
            ),
        )

    def all_day_points(self, day: date) -> list[datetime]:
        """Return every interval end of a local day (aware, local)."""
        start, end = self.day_bounds(day)
        count = int((end - start) / self.resolution)
        return [
            (start + self.resolution * index).astimezone(self.zone)
            for index in range(1, count + 1)
        ]

    def day_points(self, day: date, clock: Clock) -> list[datetime]:
        """Return the interval ends of a day SMA has data for (aware, local)."""
        if day < self.commissioned:
            return []
        until = self.available_until(clock)
        return [end for end in self.all_day_points(day) if end <= until]

    def day_energy(
        self, day: date, clock: Clock, until: datetime | None = None
    ) -> dict[str, float]:
        """Return the energy (Wh) of a day as far as SMA has it.

        ``until``: :meth:`available_until` now, when the caller has it.
        """
        if day < self.commissioned:
            return {}
        start, end = self.day_bounds(day)
        if (
            (until or self.available_until(clock)) >= end
            and end - start == timedelta(days=1)
            and not any(start < moment <= end for moment in self.revisions)
        ):
            return dict(
                _full_day(self.peak_power, self.battery, weather(day), self.resolution)
            )
        hours = self.resolution.total_seconds() / 3600
        energy: dict[str, float] = {}
        for point in self.day_points(day, clock):
            for key, value in self.balance(point).items():
                if key in ENERGY_FIELDS:
                    energy[key] = energy.get(key, 0.0) + value * hours
        return energy


def string_inverter(index: int, *, ids_from: int) -> SimDevice:
    """Return an 8 kW inverter with PV and AC sets: the device of many plants.

    ``ids_from``: where its device id and (100,000 later) serial are counted from.
    """
    return SimDevice(
        device_id=str(ids_from + index),
        name=f"Inverter {index}",
        type="Solar Inverters",
        product="STP 8000TL-20",
        product_id=9099,
        serial=str(ids_from + 100_000 + index),
        generator_power=8000.0,
        sets=("EnergyAndPowerPv", "PowerAc"),
    )


def truth_hourly(
    plant: SimPlant, start: datetime, end: datetime
) -> dict[str, dict[datetime, float]]:
    """Return the energy (kWh) per field and UTC hour in ``[start, end)``.

    Computed from the same :meth:`SimPlant.balance` as the answers, interval
    by interval: an interval counts in the hour it starts in. Intervals before
    the plant's commissioning hold nothing; fields the plant lacks are left
    out. ``start`` is a whole hour.
    """
    step = plant.resolution
    hours = step / timedelta(hours=1)
    slots = _hours(start, end)
    truth: dict[str, dict[datetime, float]] = {}
    begin = start.astimezone(UTC)
    while begin + step <= end:
        local_end = (begin + step).astimezone(plant.zone)
        if plant.local_middle(local_end).date() >= plant.commissioned:
            slot = begin.replace(minute=0, second=0, microsecond=0)
            for key, value in plant.balance(local_end).items():
                if key in ENERGY_FIELDS:
                    if key not in truth:
                        truth[key] = dict.fromkeys(slots, 0.0)
                    truth[key][slot] += value * hours / 1000
        begin += step
    return truth


def _hours(start: datetime, end: datetime) -> list[datetime]:
    hours = []
    hour = start.astimezone(UTC)
    while hour < end:
        hours.append(hour)
        hour += timedelta(hours=1)
    return hours


def _balance(
    peak: float, battery: bool, hour: float, factor: float
) -> dict[str, float]:
    pv = peak * 0.85 * sun(hour) * factor
    consumption = load(hour)
    charging = discharging = 0.0
    if battery:
        soc = state_of_charge(hour)
        if pv > consumption and soc < 95:
            charging = min(pv - consumption, 2500.0)
        elif pv < consumption and soc > 15 and (hour >= 18 or hour < 8):
            discharging = min(consumption - pv, 1500.0)
    feed_in = max(0.0, pv - consumption - charging)
    grid = max(0.0, consumption - pv - discharging)
    values = {
        "pvGeneration": pv,
        "totalConsumption": consumption,
        "gridFeedIn": feed_in,
        "gridConsumption": grid,
        "directConsumption": min(pv, consumption),
        "selfConsumption": pv - feed_in,
        "selfSupply": consumption - grid,
        "totalGeneration": pv + discharging,
        "autarkyRate": (consumption - grid) / consumption,
    }
    if pv > 0:
        # SMA omits what it cannot give; a rate of nothing is not zero.
        values["selfConsumptionRate"] = (pv - feed_in) / pv
    if battery:
        values["batteryCharging"] = charging
        values["batteryDischarging"] = discharging
        values["batteryStateOfCharge"] = state_of_charge(hour)
    return {key: round(value, 3) for key, value in values.items()}


@cache
def _full_day(
    peak: float, battery: bool, factor: float, resolution: timedelta
) -> tuple[tuple[str, float], ...]:
    """Return a whole day's energy (Wh) for one weather factor (cached)."""
    count = int(timedelta(days=1) / resolution)
    hours = resolution.total_seconds() / 3600
    energy: dict[str, float] = {}
    for index in range(1, count + 1):
        middle = (index - 0.5) * hours
        for key, value in _balance(peak, battery, middle, factor).items():
            if key in ENERGY_FIELDS:
                energy[key] = energy.get(key, 0.0) + value * hours
    return tuple(energy.items())


def device_values(
    plant: SimPlant, device: SimDevice, set_type: str, end: datetime
) -> dict[str, Any]:
    """Return one device set's values for the interval ending at ``end``."""
    balance = plant.balance(end)
    middle = plant.local_middle(end)
    hour = middle.hour + middle.minute / 60
    inverters = [
        other.generator_power or 0.0
        for other in plant.devices
        if other.active and "EnergyAndPowerPv" in other.sets
    ]
    share = (device.generator_power or 0.0) / (sum(inverters) or 1.0)
    pv = balance["pvGeneration"] * share
    three_phase = device.product.startswith("STP")
    phases = "ABC" if three_phase else "A"
    values: dict[str, Any] = {}
    if set_type == "EnergyAndPowerPv":
        values["pvGeneration"] = pv
    elif set_type == "PowerAc":
        power = pv * 0.97
        values["activePower"] = power
        values["gridFrequency"] = 50 + 0.02 * math.sin(hour * 5)
        for phase in phases:
            voltage = 230 + 2 * math.sin(hour + ord(phase))
            values[f"voltagePhase{phase}"] = voltage
            values[f"activePowerPhase{phase}"] = power / len(phases)
            values[f"currentPhase{phase}"] = power / len(phases) / voltage
    elif set_type == "PowerDc":
        strings = {"A": 0.6, "B": 0.4} if three_phase else {"A": 1.0}
        voltage = 580.0 if pv > 0 else 0.0
        values["dcPowerInput"] = [
            {"index": index, "value": round(pv * part, 3)}
            for index, part in strings.items()
        ]
        values["dcVoltageInput"] = [
            {"index": index, "value": voltage} for index in strings
        ]
        values["dcCurrentInput"] = [
            {"index": index, "value": round(pv * part / voltage, 3) if voltage else 0.0}
            for index, part in strings.items()
        ]
        values["isolationResistance"] = 3000000.0
    elif set_type == "Sensor":
        factor = weather(middle.date())
        ambient = 8 + 12 * sun(hour)
        values["externalInsolation"] = 1000 * sun(hour) * factor
        values["ambientTemperature"] = ambient
        values["moduleTemperature"] = ambient + 25 * sun(hour) * factor
        values["windSpeed"] = 3.2
    elif set_type == "EnergyAndPowerBattery":
        charging = balance.get("batteryCharging", 0.0)
        discharging = balance.get("batteryDischarging", 0.0)
        soc = balance.get("batteryStateOfCharge", 50.0)
        voltage = 51.2 + soc / 50
        values.update(
            batteryCharging=charging,
            batteryDischarging=discharging,
            batteryStateOfCharge=soc,
            batteryStateOfHealth=97.0,
            batteryVoltage=voltage,
            batteryCurrent=(charging - discharging) / voltage,
            batteryTemperature=24.5,
        )
    elif set_type == "EnergyAndPowerInOut":
        values["gridFeedIn"] = balance["gridFeedIn"]
        values["gridConsumption"] = balance["gridConsumption"]
    elif set_type == "EnergyAndPowerConsumption":
        values["consumption"] = balance["totalConsumption"] * 0.15
    return {
        key: round(value, 3) if isinstance(value, float) else value
        for key, value in values.items()
    }
