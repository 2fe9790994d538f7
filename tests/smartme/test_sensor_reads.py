"""What a push changed decides which sensors look: their ``reads`` must be true."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import UTC, datetime
from typing import Any

import pytest

from custom_components.solar_cloud.api.smartme import ChargingStationState, MeterReading
from custom_components.solar_cloud.smartme.sensor import (
    SENSORS,
    SmartMeSensorEntityDescription,
)

FIELDS = [item.name for item in fields(MeterReading)]


def _values(second: bool) -> dict[str, Any]:
    """Return a value for every field of a reading; another one if ``second``."""
    values: dict[str, Any] = {}
    for name in FIELDS:
        if name == "timestamp":
            values[name] = datetime(2026, 10, 20, 12, int(second), tzinfo=UTC)
        elif name == "charging_station_state":
            values[name] = list(ChargingStationState)[1 + int(second)]
        elif name == "active_tariff":
            values[name] = 1 + int(second)
        elif name.startswith(("switch", "digital_output")):
            values[name] = second
        else:
            values[name] = 1.5 + int(second)
    return values


FIRST = MeterReading(**_values(second=False))
SECOND_VALUES = _values(second=True)


@pytest.mark.parametrize(
    "description",
    [description for description in SENSORS if description.reads is not None],
    ids=lambda description: description.key,
)
def test_sensor_shows_only_the_field_it_reads(
    description: SmartMeSensorEntityDescription,
) -> None:
    """Changing any other field leaves the value alone; changing it does not."""
    shown = description.value_fn(FIRST)
    for name in FIELDS:
        changed = replace(FIRST, **{name: SECOND_VALUES[name]})
        assert (description.value_fn(changed) != shown) is (
            name == description.reads
        ), name


def test_every_sensor_but_derived_ones_reads_one_field() -> None:
    """Only a sensor that shows no single field may leave ``reads`` unset."""
    assert [d.key for d in SENSORS if d.reads is None] == []
