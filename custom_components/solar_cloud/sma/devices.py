"""The Home Assistant devices of an SMA account: plants and their devices."""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceInfo

from ..api.sma import PlantKind
from ..const import Vendor
from ..entity import async_register_device, device_identifier
from ..runtime import SolarCloudConfigEntry
from .const import MANUFACTURER
from .plants import SmaPlant

PORTALS = {
    PlantKind.ENNEXOS: "Sunny Portal powered by ennexOS",
    PlantKind.CLASSIC: "Sunny Portal Classic",
}


@callback
def async_register_plant(
    hass: HomeAssistant, entry: SolarCloudConfigEntry, plant: SmaPlant
) -> None:
    """Register a plant, then its devices linked to it."""
    parent = async_register_device(
        hass,
        entry,
        DeviceInfo(
            identifiers={device_identifier(Vendor.SMA, plant.key)},
            name=plant.name,
            manufacturer=MANUFACTURER,
            model=PORTALS[plant.kind],
        ),
    )
    for device in plant.shown_devices:
        async_register_device(
            hass,
            entry,
            DeviceInfo(
                identifiers={device_identifier(Vendor.SMA, device.key)},
                name=device.details.name,
                manufacturer=device.details.vendor or MANUFACTURER,
                model=device.details.product,
                serial_number=device.details.serial,
                via_device_id=parent.id,
            ),
        )
