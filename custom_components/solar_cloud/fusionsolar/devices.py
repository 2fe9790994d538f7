"""Plants and devices of an account in Home Assistant's device registry."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceInfo

from ..api.fusionsolar.const import REAL_TIME_TYPES, DeviceType
from ..api.fusionsolar.models import Device, Plant
from ..entity import async_register_device, device_identifier
from ..runtime import SolarCloudConfigEntry
from .const import MANUFACTURER, VENDOR

_TYPE_MODELS = {
    DeviceType.STRING_INVERTER: "Inverter",
    DeviceType.RESIDENTIAL_INVERTER: "Inverter",
    DeviceType.BATTERY: "LUNA2000 battery",
    DeviceType.ESS: "Energy storage system",
    DeviceType.GRID_METER: "Grid meter",
    DeviceType.POWER_SENSOR: "Power sensor",
    DeviceType.EMMA: "EMMA",
    DeviceType.EMI: "Environmental monitor",
}


def exposed(device: Device) -> bool:
    """Return whether a device becomes a Home Assistant device.

    Only devices with real-time data do; a Dongle or a device type this
    integration does not know is kept in the inventory but not shown.
    """
    return device.type_id in REAL_TIME_TYPES


def plant_device_info(plant: Plant, host: str) -> DeviceInfo:
    """Return the device of a plant."""
    return DeviceInfo(
        identifiers={device_identifier(VENDOR, plant.code)},
        name=plant.name,
        manufacturer=MANUFACTURER,
        model="FusionSolar plant",
        configuration_url=host,
    )


def device_info(
    device: Device, via_device_id: str | None, *, name: str | None = None
) -> DeviceInfo:
    """Return the device of an inverter, battery, meter or EMI."""
    info = DeviceInfo(
        identifiers={device_identifier(VENDOR, device.key)},
        name=name or device.name,
        manufacturer=MANUFACTURER,
        model=device.model or _TYPE_MODELS.get(device.type_id),  # type: ignore[call-overload]
        serial_number=device.serial,
        sw_version=device.software_version,
    )
    if via_device_id is not None:
        info["via_device_id"] = via_device_id
    return info


@callback
def async_register_devices(
    hass: HomeAssistant,
    entry: SolarCloudConfigEntry,
    host: str,
    plants: Iterable[Plant],
    devices: Iterable[Device],
) -> None:
    """Register the plants, then their devices linked to them.

    Installers name devices per plant ("Inverter-1" in every plant): a name
    that repeats within the account gets its plant's name in front, so that
    devices, entity names and the Energy dashboard's pickers tell them apart.
    """
    by_code = {plant.code: plant for plant in plants}
    registered = {
        code: async_register_device(hass, entry, plant_device_info(plant, host)).id
        for code, plant in by_code.items()
    }
    shown = [device for device in devices if exposed(device)]
    repeated = {
        name
        for name, count in Counter(device.name for device in shown).items()
        if count > 1
    }
    for device in shown:
        plant = by_code.get(device.plant_code)
        name = (
            f"{plant.name} {device.name}"
            if device.name in repeated and plant is not None
            else None
        )
        async_register_device(
            hass,
            entry,
            device_info(device, registered.get(device.plant_code), name=name),
        )
