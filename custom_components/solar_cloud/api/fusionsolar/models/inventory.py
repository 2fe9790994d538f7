"""The account's plants and devices, and the copy of them kept over restarts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import MISSING, asdict, dataclass, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Self, cast

from ...transport import snippet
from ..const import DeviceType
from ..flow_control import AccountSize
from ..values import as_datetime_iso, as_dict, as_float, as_int, as_str

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


_READ_STORED: Final[Mapping[str, Callable[[Any], Any]]] = {
    "str": as_str,
    "int": as_int,
    "float": as_float,
    "datetime": as_datetime_iso,
}
"""How :meth:`_Stored.from_dict` reads a field of each type (with or without None)."""


class _Stored:
    """A flat model of plain fields kept over restarts as plain data."""

    def as_dict(self) -> dict[str, Any]:
        """Return the model as plain data (:meth:`from_dict` reads it back)."""
        return {
            name: value.isoformat() if isinstance(value, datetime) else value
            for name, value in asdict(cast("DataclassInstance", self)).items()
        }

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        """Read what :meth:`as_dict` returned; each field without a default must be there.

        Raises:
            ValueError: ``data`` is no such model.

        """
        data = as_dict(data)
        values: dict[str, Any] = {}
        for field in fields(cast("type[DataclassInstance]", cls)):
            read = _READ_STORED[str(field.type).removesuffix(" | None")]
            value = read(data.get(field.name))
            if value is None and field.default is MISSING:
                raise ValueError(f"Not a {cls.__name__.lower()}: {snippet(data)}")
            values[field.name] = value
        return cls(**values)


@dataclass(frozen=True, kw_only=True)
class Plant(_Stored):
    """A plant (station) of the account."""

    code: str
    name: str
    address: str | None = None
    capacity_kw: float | None = None
    latitude: float | None = None
    longitude: float | None = None
    grid_connected: datetime | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Plant | None:
        """Read an item of ``/thirdData/stations`` (capacity in kWp)."""
        if (code := as_str(data.get("plantCode"))) is None:
            return None
        return cls(
            code=code,
            name=as_str(data.get("plantName")) or code,
            address=as_str(data.get("plantAddress")),
            capacity_kw=as_float(data.get("capacity")),
            latitude=as_float(data.get("latitude")),
            longitude=as_float(data.get("longitude")),
            grid_connected=as_datetime_iso(data.get("gridConnectionDate")),
        )

    @classmethod
    def from_legacy_api(cls, data: Mapping[str, Any]) -> Plant | None:
        """Read an item of the older ``getStationList`` (capacity in MWp)."""
        if (code := as_str(data.get("stationCode"))) is None:
            return None
        capacity_mw = as_float(data.get("capacity"))
        return cls(
            code=code,
            name=as_str(data.get("stationName")) or code,
            address=as_str(data.get("stationAddr")),
            capacity_kw=None if capacity_mw is None else round(capacity_mw * 1000, 3),
        )


@dataclass(frozen=True, kw_only=True)
class PlantPage:
    """One page of the plant list."""

    plants: tuple[Plant, ...]
    total: int
    page_count: int


@dataclass(frozen=True, kw_only=True)
class Device(_Stored):
    """A device of a plant, as the device list reports it."""

    id: int
    name: str
    plant_code: str
    type_id: int
    serial: str | None = None
    model: str | None = None
    software_version: str | None = None

    @property
    def key(self) -> str:
        """Return the device id as a string (ids can be negative)."""
        return str(self.id)

    @property
    def device_type(self) -> DeviceType | None:
        """Return the known device type, or None for types not read here."""
        try:
            return DeviceType(self.type_id)
        except ValueError:
            return None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Device | None:
        """Read an item of ``getDevList``."""
        device_id = as_int(data.get("id"))
        plant_code = as_str(data.get("stationCode"))
        type_id = as_int(data.get("devTypeId"))
        if device_id is None or plant_code is None or type_id is None:
            return None
        return cls(
            id=device_id,
            name=as_str(data.get("devName")) or str(device_id),
            plant_code=plant_code,
            type_id=type_id,
            serial=as_str(data.get("esnCode")),
            # "model" since 24.7.0; inverters also name theirs in invType.
            model=as_str(data.get("model")) or as_str(data.get("invType")),
            software_version=as_str(data.get("softwareVersion")),
        )


@dataclass(frozen=True, kw_only=True)
class PlantsAndDevices:
    """The account's plants, and the devices of the plants in scope."""

    plants: tuple[Plant, ...]
    """Every plant of the account, in scope or not."""
    devices: tuple[Device, ...]
    """The devices of the plants in scope."""

    @property
    def size(self) -> AccountSize:
        """Return what the account's limits depend on, as far as this tells."""
        return AccountSize(
            plants=len(self.plants),
            devices=Counter(device.type_id for device in self.devices),
        )

    def as_dict(self) -> dict[str, Any]:
        """Return the plants and devices as plain data (:meth:`from_dict` reads it back)."""
        return {
            "plants": [plant.as_dict() for plant in self.plants],
            "devices": [device.as_dict() for device in self.devices],
        }

    @classmethod
    def from_dict(cls, data: Any) -> PlantsAndDevices:
        """Read what :meth:`as_dict` returned, all of it or nothing.

        A copy missing a device would have that device removed.

        Raises:
            ValueError: ``data`` is no such copy.

        """
        return cls(
            plants=tuple(
                Plant.from_dict(item) for item in _stored_list(data, "plants")
            ),
            devices=tuple(
                Device.from_dict(item) for item in _stored_list(data, "devices")
            ),
        )


def _stored_list(data: Any, key: str) -> list[Any]:
    if isinstance(value := as_dict(data).get(key), list):
        return value
    raise ValueError(f"No list of {key} in {snippet(data)}")
