"""The sandbox's plants and the demo owner's, as SMA's captures show them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from .plants import SimDevice, SimPlant

SANDBOX_OWNER = "apiTestUser@apiSandbox.com"
DEMO_OWNER = "owner@example.com"

# fmt: off
# (id, name, type, product, productId, serial, generatorPower, sets): SMA's
# sandbox "Testplant 1" as captured (solarnetwork_sma-devices-01.json); the
# sets follow the sandbox inverter's captured list.
SANDBOX_DEVICES = [
    ("14", "Satellit Sensor", "Sensor technology", "Satellite Sensor", 200053, None, None, ("Sensor",)),
    ("15", "MyTestLdm1", "Monitoring and control", "EDMM-10", 9397, "234534635778", None, ()),
    ("16", "My Inverter 1", "Solar Inverters", "STP 6000TL-20", 9099, "3421111", 6000.0, ("Sensor", "EnergyAndPowerPv", "PowerDc", "PowerAc")),
    ("17", "My Inverter 2", "Solar Inverters", "STP 5000TL-20", 9098, "9687867", 5000.0, ("EnergyAndPowerPv", "PowerDc", "PowerAc")),
    ("18", "My Falcon 3", "Solar Inverters", "SB3.6-1AV-40", 9320, "463688", 3600.0, ("EnergyAndPowerPv", "PowerDc", "PowerAc")),
    ("19", "My Battery 1", "Battery Inverter", "SBS6.0-10", 9359, "4562245", None, ("EnergyAndPowerBattery",)),
    ("20", "My Energy Meter 1", "Monitoring and control", "Energy Meter", 9307, "567811567", None, ("EnergyAndPowerInOut",)),
    ("21", "My Gas Meter 1", "Monitoring and control", "Energy Meter", 9307, "89781197", None, ()),
    ("22", "My Consumer 1", "Monitoring and control", "Remote Socket", 9111, "5411674564", None, ("EnergyAndPowerConsumption",)),
    ("23", "My ChargingStation 1", "Solar Inverters", "STP50-41", 9431, "1334234534", None, ("EnergyAndPowerConsumption",)),
]
# "TestPlant2" gets the pair of solarnetwork_sma-devices-02.json, one deactivated.
SECOND_PLANT_DEVICES = [
    ("25", "My Inverter 1", "Solar Inverters", "STP 6000TL-20", 9099, "3421112", 6000.0, ("EnergyAndPowerPv", "PowerAc")),
    ("26", "My Inverter 2", "Solar Inverters", "STP 5000TL-20", 9098, "9687868", 5000.0, ("EnergyAndPowerPv",)),
]
# The captured ennexOS plant "Site 1" (solarnetwork_sma-plants-01.json).
SITE_1_INSTALLATION = {
    "peakPower": 184000.0, "acNominalPower": 184000.0, "calcAcNominalPower": 148920.0,
    "dcPowerInputMax": 216000.0, "co2SavingsFactor": 649, "startUpUtc": "2021-11-03T00:00:00",
    "orientation": {"azimuth": 28, "collectorSlope": 24},
}
SITE_1_LOCATION = {
    "currencyCode3": "USD",
    "address": {
        "country": "US", "federalState": "Massachusetts", "city": "Anytown", "zipCode": "00001",
        "street": "Main Street", "streetNo": "123", "longitude": -71.07, "latitude": 42.38,
    },
}
DEMO_DEVICES: dict[str, list[tuple[Any, ...]]] = {
    "7190000": [
        ("11260000", "WR8KU002 SN:2001500000", "Solar Inverters", "STP 8000TL-20", 9099, "2001500000", 8000.0, ("EnergyAndPowerPv", "PowerDc", "PowerAc")),
    ],
    "classic": [
        ("9001", "Sunny Home Manager 2.0", "Monitoring and control", "SHM 2.0", 9343, "3004000001", None, ("EnergyAndPowerInOut",)),
        ("9002", "SB 5.0", "Solar Inverters", "SB5.0-1AV-41", 9319, "3004000002", 5000.0, ("EnergyAndPowerPv", "PowerAc")),
    ],
}
# fmt: on


def _devices(rows: list[tuple[Any, ...]]) -> list[SimDevice]:
    return [
        SimDevice(
            device_id=device_id,
            name=name,
            type=kind,
            product=product,
            product_id=product_id,
            serial=serial,
            generator_power=power,
            sets=sets,
        )
        for device_id, name, kind, product, product_id, serial, power, sets in rows
    ]


def sandbox_plants() -> list[SimPlant]:
    """Return SMA's sandbox plants "Testplant 1" to "TestPlant4".

    The sandbox simulates ennexOS plants with 15-minute data.
    """
    quarter = timedelta(minutes=15)
    second = _devices(SECOND_PLANT_DEVICES)
    second[1].active = False
    second[1].deactivated_at = "2019-04-07T12:30:02"
    return [
        SimPlant(
            plant_id="13",
            name="Testplant 1",
            peak_power=14600.0,
            battery=True,
            resolution=quarter,
            grid_control=True,
            devices=_devices(SANDBOX_DEVICES),
        ),
        SimPlant(
            plant_id="24",
            name="TestPlant2",
            peak_power=5000.0,
            resolution=quarter,
            devices=second,
        ),
        SimPlant(
            plant_id="35", name="TestPlant3", peak_power=3000.0, resolution=quarter
        ),
        SimPlant(
            plant_id="46", name="TestPlant4", peak_power=3000.0, resolution=quarter
        ),
    ]


CLASSIC_PLANT = "2f8e3b1c-4d5a-4e6f-9a0b-1c2d3e4f5a6b"
MIGRATING_PLANT = "7c1d2e3f-0a1b-4c2d-8e3f-4a5b6c7d8e9f"


def demo_owner_plants() -> list[SimPlant]:
    """Return the plants of the demo owner: one of each kind SMA has.

    "Site 1" is an ennexOS plant with 5-minute data and a battery; the
    classic plants have GUID ids and data two hours late; SMA is about to
    move one of them to a new id (308).
    """
    return [
        SimPlant(
            plant_id="7190000",
            name="Site 1",
            timezone="America/New_York",
            peak_power=184000.0,
            battery=True,
            grid_control=True,
            installation=SITE_1_INSTALLATION,
            location=SITE_1_LOCATION,
            devices=_devices(DEMO_DEVICES["7190000"]),
        ),
        SimPlant(
            plant_id=CLASSIC_PLANT,
            name="Home Manager plant",
            peak_power=9800.0,
            resolution=timedelta(minutes=15),
            lag=timedelta(hours=2),
            grid_control=True,
            devices=_devices(DEMO_DEVICES["classic"]),
        ),
        SimPlant(
            plant_id=MIGRATING_PLANT,
            name="Cottage",
            peak_power=4000.0,
            resolution=timedelta(minutes=15),
            lag=timedelta(hours=2),
        ),
    ]
