"""What becomes a Home Assistant device: each device of the smart-me account."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceInfo

from ..api.smartme import Device
from ..entity import device_identifier
from .const import MANUFACTURER


def device_info(vendor: str, device: Device) -> DeviceInfo:
    """Return the registry entry of a smart-me device."""
    return DeviceInfo(
        identifiers={device_identifier(vendor, device.id)},
        name=device.name,
        manufacturer=MANUFACTURER,
        model=device.model,
        serial_number=str(device.serial) if device.serial is not None else None,
    )
