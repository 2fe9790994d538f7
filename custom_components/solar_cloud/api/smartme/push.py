"""Apply realtime pushes to a meter reading, in Home Assistant's units.

smart-me does not document the units of pushed values. Its one decoded
example labels the energy counter mWh, while REST counters are kWh and the
values the REST history returns for the same OBIS code look like Wh. So the
unit is measured instead of assumed: the first time a device's pushed import
(or export) counter and its REST counter (kWh) are both known, their ratio
picks the factor (1, 10⁻³ or 10⁻⁶) that turns pushed energy into kWh. The
factor is kept per device (and stored, see :meth:`PushScale.to_stored`).
Pushed power is taken to use the same prefix (Wh goes with W, mWh with mW);
voltage, current, power factor and frequency are SI units as sent.

The REST counter must be at least :data:`MIN_CALIBRATION_KWH` and measured
within :data:`MAX_CALIBRATION_GAP` of the push: a candidate is accepted within
half a decade, so only a counter that grew more than 300-fold between the two
readings could pick the wrong factor - easy near zero (a new meter), not from
1 kWh within an hour. A meter whose counters are zero (or below that) is
calibrated by the first push after a poll showed its counter past it.

Until a device is calibrated its pushed energy and power are left out (the
REST values stay), the other quantities are applied.

A push dated more than :data:`MAX_PUSH_AHEAD` after the clock is refused: it
would make every later (correctly dated) push look older than what is shown,
and freeze the meter until that date.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
import logging
import math
from typing import Any, Self

from . import obis
from .models import MeterReading
from .realtime import RealtimeDeviceData

_LOGGER = logging.getLogger(__name__)

# Candidate factors pushed energy -> kWh: kWh, Wh, mWh.
ENERGY_FACTORS = (1.0, 1e-3, 1e-6)
# A ratio further than this (in decades) from every candidate is not trusted.
_MAX_DECADES_OFF = 0.5
MIN_CALIBRATION_KWH = 1.0
"""The smallest REST counter (kWh) a device is calibrated against."""
MAX_CALIBRATION_GAP = timedelta(hours=1)
"""How far apart the REST reading and the push may be measured."""
MAX_PUSH_AHEAD = timedelta(minutes=5)
"""How far ahead of the clock a push may be dated (clock skew); the counter
policy allows the same."""

_SI_VALUES: dict[str, str] = {
    obis.VOLTAGE: "voltage",
    obis.VOLTAGE_L[0]: "voltage_l1",
    obis.VOLTAGE_L[1]: "voltage_l2",
    obis.VOLTAGE_L[2]: "voltage_l3",
    obis.CURRENT: "current",
    obis.CURRENT_L[0]: "current_l1",
    obis.CURRENT_L[1]: "current_l2",
    obis.CURRENT_L[2]: "current_l3",
    obis.POWER_FACTOR: "power_factor",
    obis.POWER_FACTOR_L[0]: "power_factor_l1",
    obis.POWER_FACTOR_L[1]: "power_factor_l2",
    obis.POWER_FACTOR_L[2]: "power_factor_l3",
    obis.FREQUENCY: "frequency",
}
_ENERGY_VALUES: dict[str, str] = {
    obis.ENERGY_IMPORT: "energy_import",
    obis.ENERGY_EXPORT: "energy_export",
}
SCALED_FIELDS = ("power", "power_l1", "power_l2", "power_l3", *_ENERGY_VALUES.values())
"""The reading's fields pushes set only once their unit is calibrated."""


def energy_factor(pushed: float, rest_kwh: float) -> float | None:
    """Return the factor that turns the pushed counter into the REST kWh.

    None if either is not positive or no candidate is close enough.
    """
    if pushed <= 0 or rest_kwh <= 0:
        return None
    best = min(ENERGY_FACTORS, key=lambda f: abs(math.log10(pushed * f / rest_kwh)))
    if abs(math.log10(pushed * best / rest_kwh)) > _MAX_DECADES_OFF:
        return None
    return best


def measure_energy_factor(
    values: Mapping[str, float], at: datetime, rest: MeterReading
) -> float | None:
    """Return the factor that turns counters measured at ``at`` into REST kWh.

    ``values`` are by OBIS code (a push's, or a history reading's); the import
    counter is compared first, then the export counter. None while the REST
    counter is below :data:`MIN_CALIBRATION_KWH`, measured more than
    :data:`MAX_CALIBRATION_GAP` away, or no candidate fits.
    """
    if rest.timestamp is not None and abs(at - rest.timestamp) > MAX_CALIBRATION_GAP:
        return None
    for code, rest_kwh in (
        (obis.ENERGY_IMPORT, rest.energy_import),
        (obis.ENERGY_EXPORT, rest.energy_export),
    ):
        counted = values.get(code)
        if counted is None or rest_kwh is None or rest_kwh < MIN_CALIBRATION_KWH:
            continue
        if (factor := energy_factor(counted, rest_kwh)) is not None:
            return factor
    return None


@dataclass(kw_only=True, slots=True)
class PushScale:
    """The unit of one device's pushed energy, once measured."""

    energy_factor: float | None = None

    @property
    def calibrated(self) -> bool:
        """Return whether pushed energy and power can be converted."""
        return self.energy_factor is not None

    def calibrate(self, push: RealtimeDeviceData, rest: MeterReading) -> bool:
        """Measure the factor from a push and a REST reading, if not yet done.

        Return whether this push calibrated the device.
        """
        if self.energy_factor is not None:
            return False
        self.energy_factor = measure_energy_factor(push.values, push.timestamp, rest)
        return self.energy_factor is not None

    def to_stored(self) -> dict[str, float] | None:
        """Return the scale as JSON to keep, None while there is nothing to keep."""
        if self.energy_factor is None:
            return None
        return {"energy_factor": self.energy_factor}

    @classmethod
    def from_stored(cls, raw: Any) -> Self:
        """Return a scale kept by :meth:`to_stored`.

        Raises:
            ValueError: Not an object with one of the candidate factors.

        """
        factor = raw.get("energy_factor") if isinstance(raw, Mapping) else None
        # bool is an int: True == 1.0 would pass as kWh.
        if isinstance(factor, bool) or factor not in ENERGY_FACTORS:
            raise ValueError(f"not a stored push scale: {raw!r}")
        return cls(energy_factor=float(factor))


def _net(
    push: dict[str, float] | Any, import_code: str, export_code: str
) -> float | None:
    imported = push.get(import_code)
    exported = push.get(export_code)
    if imported is None and exported is None:
        return None
    return (imported or 0.0) - (exported or 0.0)


def apply_push(
    reading: MeterReading,
    push: RealtimeDeviceData,
    scale: PushScale,
    *,
    now: datetime | None = None,
) -> MeterReading | None:
    """Return the reading updated by a push, or None if the push is not newer.

    A push that carries nothing this integration shows is also None: it must
    not make old values look fresh; so is a push dated more than
    :data:`MAX_PUSH_AHEAD` after ``now`` (default: the clock). Calibrate
    ``scale`` first (against the latest REST reading) for pushed energy and
    power to be applied.
    """
    changes = push_changes(reading, push, scale, now=now)
    return None if changes is None else replace(reading, **changes)


def push_changes(
    reading: MeterReading,
    push: RealtimeDeviceData,
    scale: PushScale,
    *,
    now: datetime | None = None,
) -> dict[str, Any] | None:
    """Return the fields of ``reading`` a push sets, and their values.

    None where :func:`apply_push` is None; else the time of the push and
    every value it carries, changed or not.
    """
    if push.timestamp - (now or datetime.now(UTC)) > MAX_PUSH_AHEAD:
        _LOGGER.debug(
            "Ignoring a push of %s dated %s, in the future",
            push.device_id,
            push.timestamp.isoformat(),
        )
        return None
    if reading.timestamp is not None and push.timestamp <= reading.timestamp:
        return None
    values = push.values
    changes: dict[str, Any] = {
        field: values[code] for code, field in _SI_VALUES.items() if code in values
    }
    if (factor := scale.energy_factor) is not None:
        changes.update(
            {
                field: values[code] * factor
                for code, field in _ENERGY_VALUES.items()
                if code in values
            }
        )
        # Same prefix as the energy: pushed Wh go with W, mWh with mW.
        to_watt = factor * 1000
        power = values.get(obis.POWER_NET)
        if power is None:
            power = _net(values, obis.POWER_IMPORT, obis.POWER_EXPORT)
        if power is not None:
            changes["power"] = power * to_watt
        for phase, (imported, exported) in enumerate(
            zip(obis.POWER_IMPORT_L, obis.POWER_EXPORT_L, strict=True), start=1
        ):
            if (phase_power := _net(values, imported, exported)) is not None:
                changes[f"power_l{phase}"] = phase_power * to_watt
    if not changes:
        return None
    changes["timestamp"] = push.timestamp
    return changes
