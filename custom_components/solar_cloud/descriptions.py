"""What the sensor descriptions of every vendor share.

Descriptions are data: a vendor's description class mixes in
:class:`ValueDescription` (how the value is read and whether a device has
it) and :class:`CounterDescription` (what kind of energy counter it is), and
builds its energy counters from :func:`energy_counter` and its measurements
from :func:`measurement`, so that a sensor means the same in every vendor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import UnitOfEnergy
from homeassistant.helpers.typing import StateType

from .const import Vendor
from .counter import CounterKind


@dataclass(frozen=True, kw_only=True)
class ValueDescription[DataT]:
    """A value read from the vendor's data."""

    value_fn: Callable[[DataT], StateType]
    exists_fn: Callable[[DataT], bool] | None = None
    """Whether the device has the value; default: its data holds one."""

    def exists(self, data: DataT) -> bool:
        """Return whether to create the entity for this data."""
        if self.exists_fn is not None:
            return self.exists_fn(data)
        return self.value_fn(data) is not None


@dataclass(frozen=True, kw_only=True)
class CounterDescription:
    """An energy counter, shown as the counter policy (``counter.py``) lets it."""

    counter: CounterKind | None = None
    """The kind of counter; None: not an energy counter."""
    production: bool = False
    """It counts PV production: it rises no faster than the plant's peak power."""


def energy_counter(
    vendor: Vendor,
    key: str,
    counter: CounterKind,
    *,
    precision: int,
    production: bool = False,
) -> dict[str, Any]:
    """Return the fields every vendor's energy counter description has."""
    return {
        "key": key,
        "translation_key": f"{vendor}_{key}",
        "device_class": SensorDeviceClass.ENERGY,
        "state_class": SensorStateClass.TOTAL_INCREASING,
        "native_unit_of_measurement": UnitOfEnergy.KILO_WATT_HOUR,
        "suggested_display_precision": precision,
        "counter": counter,
        "production": production,
    }


def measurement(
    vendor: Vendor,
    key: str,
    device_class: SensorDeviceClass | None,
    unit: str | None,
    *,
    precision: int | None = None,
    shared_name: str | None = None,
) -> dict[str, Any]:
    """Return the fields every vendor's measurement description has.

    The translation key is ``<vendor>_<key>``; sensors that share one name
    with a placeholder (a phase, a PV string) give ``shared_name`` instead of
    the key.
    """
    return {
        "key": key,
        "translation_key": f"{vendor}_{shared_name or key}",
        "device_class": device_class,
        "state_class": SensorStateClass.MEASUREMENT,
        "native_unit_of_measurement": unit,
        "suggested_display_precision": precision,
    }
