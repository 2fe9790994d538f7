"""Pushed values in Home Assistant's units: the per-device calibration."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
import json

import pytest

from custom_components.solar_cloud.api.smartme import (
    MeterReading,
    PushScale,
    RealtimeDeviceData,
    apply_push,
    push_changes,
)
from custom_components.solar_cloud.api.smartme.obis import (
    ENERGY_EXPORT,
    ENERGY_IMPORT,
    FREQUENCY,
    POWER_EXPORT,
    POWER_EXPORT_L,
    POWER_IMPORT,
    POWER_IMPORT_L,
    POWER_NET,
    VOLTAGE_L,
)
from custom_components.solar_cloud.api.smartme.push import energy_factor

from .const import NOW_HOUR

DEVICE = "3bd0fce9-9f8e-4183-b3d1-0c1622a22ca1"
REST = MeterReading(
    timestamp=NOW_HOUR, power=500.0, energy_import=1879.5832, energy_export=10.0
)


def push(values: dict[str, float], seconds: int = 10) -> RealtimeDeviceData:
    return RealtimeDeviceData(
        device_id=DEVICE, timestamp=NOW_HOUR + timedelta(seconds=seconds), values=values
    )


@pytest.mark.parametrize(
    ("unit", "per_kwh", "per_watt"),
    [("mWh", 1e6, 1e3), ("Wh", 1e3, 1.0), ("kWh", 1.0, 1e-3)],
)
def test_calibrated_against_rest_counters(
    unit: str, per_kwh: float, per_watt: float
) -> None:
    """Energy in mWh, Wh or kWh is measured against the REST kWh; power follows."""
    scale = PushScale()
    pushed = push(
        {
            ENERGY_IMPORT: 1879.6 * per_kwh,
            ENERGY_EXPORT: 10.0 * per_kwh,
            POWER_IMPORT: 640 * per_watt,
        }
    )
    assert scale.calibrate(pushed, REST)
    reading = apply_push(REST, pushed, scale)
    assert scale.energy_factor == pytest.approx(1 / per_kwh)
    assert reading is not None
    assert reading.energy_import == pytest.approx(1879.6)
    assert reading.energy_export == pytest.approx(10.0)
    assert reading.power == pytest.approx(640)
    assert reading.timestamp == NOW_HOUR + timedelta(seconds=10)


def test_vendor_example_is_mwh_against_a_kwh_counter() -> None:
    """The wiki's 1879583.2 (labelled mWh) against 1.8795832 kWh calibrates to mWh."""
    assert energy_factor(1879583.2, 1.8795832) == 1e-6
    assert energy_factor(1879583.2, 1879.5832) == 1e-3


@pytest.mark.parametrize(("pushed", "rest"), [(0.0, 5.0), (5.0, 0.0), (5.0, 50.0)])
def test_no_factor_without_a_clear_ratio(pushed: float, rest: float) -> None:
    """Zero counters or a ratio between the candidates calibrate nothing."""
    assert energy_factor(pushed, rest) is None
    scale = PushScale()
    assert not scale.calibrate(
        push({ENERGY_IMPORT: pushed}),
        MeterReading(timestamp=NOW_HOUR, energy_import=rest),
    )


def test_factor_is_kept() -> None:
    """Once measured, the factor stays, also when REST later disagrees."""
    scale = PushScale()
    assert scale.calibrate(push({ENERGY_IMPORT: 1879600.0}), REST)
    assert scale.energy_factor == 1e-3
    later = push({ENERGY_IMPORT: 1880000.0}, 20)
    assert not scale.calibrate(
        later, MeterReading(timestamp=NOW_HOUR, energy_import=1.0)
    )
    reading = apply_push(
        MeterReading(timestamp=NOW_HOUR, energy_import=1.0), later, scale
    )
    assert reading is not None
    assert reading.energy_import == pytest.approx(1880.0)


def test_uncalibrated_push_keeps_energy_and_power() -> None:
    """Without a REST counter to compare, pushed energy and power are left out."""
    scale = PushScale()
    rest = MeterReading(timestamp=NOW_HOUR, energy_import=0.0, power=0.0)
    pushed = push({ENERGY_IMPORT: 1000.0, POWER_IMPORT: 5.0, VOLTAGE_L[0]: 231.0})
    assert not scale.calibrate(pushed, rest)
    reading = apply_push(rest, pushed, scale)
    assert not scale.calibrated
    assert reading is not None
    assert reading.energy_import == 0.0
    assert reading.power == 0.0
    assert reading.voltage_l1 == 231.0


def test_export_calibrates_when_import_cannot() -> None:
    """The export counter calibrates too."""
    scale = PushScale()
    rest = MeterReading(timestamp=NOW_HOUR, energy_import=0.0, energy_export=2.0)
    assert scale.calibrate(push({ENERGY_IMPORT: 0.0, ENERGY_EXPORT: 2000.0}), rest)
    assert scale.energy_factor == 1e-3


@pytest.mark.parametrize(
    ("rest", "reason"),
    [
        (MeterReading(timestamp=NOW_HOUR, energy_import=0.002), "counter near zero"),
        (MeterReading(timestamp=NOW_HOUR, energy_import=0.0), "counter zero"),
        (MeterReading(timestamp=NOW_HOUR), "no counter"),
        (
            MeterReading(timestamp=NOW_HOUR - timedelta(hours=2), energy_import=5.0),
            "REST reading two hours before the push",
        ),
    ],
)
def test_no_calibration_against_an_unreliable_counter(
    rest: MeterReading, reason: str
) -> None:
    """A tiny, missing or distant REST counter measures nothing.

    2 Wh in REST and 2,000 pushed Wh a minute later (a new 100 kW meter)
    would otherwise read as mWh.
    """
    scale = PushScale()
    assert not scale.calibrate(push({ENERGY_IMPORT: 2000.0}), rest), reason
    assert scale.energy_factor is None


def test_rest_reading_without_time_calibrates() -> None:
    """A REST reading without ValueDate is taken as current."""
    scale = PushScale()
    assert scale.calibrate(
        push({ENERGY_IMPORT: 5000.0}), MeterReading(energy_import=5.0)
    )
    assert scale.energy_factor == 1e-3


@pytest.mark.parametrize("factor", [1.0, 1e-3, 1e-6])
def test_stored_scale_round_trips(factor: float) -> None:
    """A measured factor survives JSON and comes back equal."""
    stored = PushScale(energy_factor=factor).to_stored()
    assert stored is not None
    assert PushScale.from_stored(json.loads(json.dumps(stored))) == PushScale(
        energy_factor=factor
    )


def test_uncalibrated_scale_stores_nothing() -> None:
    """Nothing measured, nothing to keep."""
    assert PushScale().to_stored() is None


@pytest.mark.parametrize(
    "raw",
    [
        None,
        [],
        "0.001",
        {},
        {"energy_factor": None},
        {"energy_factor": "0.001"},
        {"energy_factor": 0.5},
        {"energy_factor": True},
        {"energy_factor": [0.001]},
    ],
)
def test_unusable_stored_scale(raw: object) -> None:
    """Anything but a candidate factor is refused with ValueError."""
    with pytest.raises(ValueError, match="not a stored push scale"):
        PushScale.from_stored(raw)


def test_net_and_phase_power() -> None:
    """Import minus export, per phase too; a net code wins."""
    scale = PushScale(energy_factor=1e-3)
    reading = apply_push(
        REST,
        push(
            {
                POWER_IMPORT: 100.0,
                POWER_EXPORT: 300.0,
                POWER_IMPORT_L[0]: 50.0,
                POWER_EXPORT_L[1]: 20.0,
                FREQUENCY: 50.01,
            }
        ),
        scale,
    )
    assert reading is not None
    assert reading.power == -200.0
    assert (reading.power_l1, reading.power_l2, reading.power_l3) == (50.0, -20.0, None)
    assert reading.frequency == 50.01
    reading = apply_push(REST, push({POWER_NET: 42.0, POWER_IMPORT: 1.0}), scale)
    assert reading is not None
    assert reading.power == 42.0


def test_push_changes_name_every_field_a_push_sets() -> None:
    """Its time and each value it carries, changed or not; nothing else."""
    scale = PushScale(energy_factor=1e-3)
    pushed = push({POWER_IMPORT: 500.0, ENERGY_IMPORT: 1879583.2, VOLTAGE_L[0]: 230.0})
    changes = push_changes(REST, pushed, scale)
    assert changes == {
        "timestamp": pushed.timestamp,
        "power": 500.0,
        "energy_import": pytest.approx(1879.5832),
        "voltage_l1": 230.0,
    }
    assert apply_push(REST, pushed, scale) == replace(REST, **changes)
    assert push_changes(REST, push({VOLTAGE_L[0]: 230.0}, 0), scale) is None


@pytest.mark.parametrize("seconds", [0, -5])
def test_push_not_newer_is_ignored(seconds: int) -> None:
    """A push as old as, or older than, what is shown changes nothing."""
    assert apply_push(REST, push({VOLTAGE_L[0]: 230.0}, seconds), PushScale()) is None


def test_push_without_known_values_is_ignored() -> None:
    """A push with only unknown codes must not make old values look fresh."""
    assert apply_push(REST, push({"1-1:5.8.0*255": 3.0}), PushScale()) is None


def test_push_to_a_reading_without_time() -> None:
    """A reading without a time takes any push."""
    reading = apply_push(MeterReading(), push({VOLTAGE_L[2]: 229.0}), PushScale())
    assert reading is not None
    assert reading.voltage_l3 == 229.0


@pytest.mark.parametrize(("minutes", "applied"), [(4, True), (6, False)])
def test_push_from_the_future_is_ignored(minutes: int, applied: bool) -> None:
    """Clock skew of a few minutes is fine; a push further ahead is refused."""
    ahead = push({VOLTAGE_L[0]: 231.0}, seconds=minutes * 60)
    reading = apply_push(REST, ahead, PushScale(), now=NOW_HOUR)
    assert (reading is not None) is applied
    # Without ``now`` the wall clock decides: NOW_HOUR is long past.
    assert apply_push(REST, ahead, PushScale()) is not None
