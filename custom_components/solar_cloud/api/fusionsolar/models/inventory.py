"""The account's plants and devices, and the copy of them kept over restarts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from ...transport import snippet
from ..const import DeviceType
from ..flow_control import AccountSize
from ..values import as_datetime_iso, as_dict, as_float, as_int, as_str


@dataclass(frozen=True, kw_only=True)
class Plant:
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

    def as_dict(self) -> dict[str, Any]:
        """Return the plant as plain data (:meth:`from_dict` reads it back)."""
        connected = self.grid_connected
        return asdict(self) | {
            "grid_connected": None if connected is None else connected.isoformat()
        }

    @classmethod
    def from_dict(cls, data: Any) -> Plant:
        """Read what :meth:`as_dict` returned.

        Raises:
            ValueError: ``data`` is no plant.

        """
        data = as_dict(data)
        code, name = as_str(data.get("code")), as_str(data.get("name"))
        if code is None or name is None:
            raise ValueError(f"Not a plant: {snippet(data)}")
        return cls(
            code=code,
            name=name,
            address=as_str(data.get("address")),
            capacity_kw=as_float(data.get("capacity_kw")),
            latitude=as_float(data.get("latitude")),
            longitude=as_float(data.get("longitude")),
            grid_connected=as_datetime_iso(data.get("grid_connected")),
        )


@dataclass(frozen=True, kw_only=True)
class PlantPage:
    """One page of the plant list."""

    plants: tuple[Plant, ...]
    total: int
    page_count: int


@dataclass(frozen=True, kw_only=True)
class Device:
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

    def as_dict(self) -> dict[str, Any]:
        """Return the device as plain data (:meth:`from_dict` reads it back)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> Device:
        """Read what :meth:`as_dict` returned.

        Raises:
            ValueError: ``data`` is no device.

        """
        data = as_dict(data)
        device_id, type_id = as_int(data.get("id")), as_int(data.get("type_id"))
        name, plant_code = as_str(data.get("name")), as_str(data.get("plant_code"))
        if device_id is None or type_id is None or name is None or plant_code is None:
            raise ValueError(f"Not a device: {snippet(data)}")
        return cls(
            id=device_id,
            name=name,
            plant_code=plant_code,
            type_id=type_id,
            serial=as_str(data.get("serial")),
            model=as_str(data.get("model")),
            software_version=as_str(data.get("software_version")),
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
