"""The accounts the tests and the demo serve."""

from __future__ import annotations

from datetime import datetime, timedelta

from .plant import SimAccount, SimAlarm, SimDevice, SimPlant
from .simulator import FusionSolarSimulator

DEMO_USER = "ha_northbound"
DEMO_PASSWORD = "Demo@2026"


def demo_account(now: datetime | None = None) -> SimAccount:
    """Return an account built from real answers of the service.

    Plant NE=35436844 and its Dongle, SUN2000-10KTL-M1 inverter, LUNA2000
    battery and power sensor, with their ids, serials, firmware and counter
    readings, are from responses published in ioBroker.fusionsolar
    (KornSW, 2022); its name was redacted there. The plants "Maternelle" and
    "Puer" are from pyhfs' plant list, the two SUN2000-17KTL inverters from
    the device list example of Huawei's Northbound reference, the alarms from
    pyhfs' getAlarmList data. Meters, EMI, EMMA and ESS of the latter plants
    are added so that every device type is served.
    """
    raised = (now or datetime.now().astimezone()) - timedelta(days=2)
    home = SimPlant(
        code="NE=35436844",
        name="Rheinblick",
        address="Rheinstrasse 1, 65428 Ruesselsheim",
        capacity_kw=9.0,
        latitude=49.945273,
        longitude=8.222305,
        devices=[
            SimDevice(
                id=1000000035436845,
                name="Dongle-1",
                type_id=62,
                serial="HV2240085917",
                software="V100R001C00SPC125",
            ),
            SimDevice(
                id=1000000035436846,
                name="Inverter-1",
                type_id=1,
                serial="HV2240468303",
                model="SUN2000-10KTL-M1",
                software="V100R001C00SPC141",
            ),
            SimDevice(id=1000000035436848, name="Battery-1", type_id=39),
            SimDevice(id=1000000035436847, name="Meter-1", type_id=47),
        ],
        pv_total=1380.5,
        export_total=322.32,
        import_total=583.08,
        income_total=535.794,
        soc=100.0,
    )
    maternelle = SimPlant(
        code="5D02E8B40AD342159AC8D8A2BCD4FAB5",
        name="Maternelle",
        address="Grésy sur Aix",
        capacity_kw=25.8,
        latitude=45.72355641181104,
        longitude=5.933697679413769,
        control_supported=False,
        devices=[
            SimDevice(
                id=-214543629611879,
                name="5fbfk4",
                type_id=1,
                serial="5fbfk4",
                model="SUN2000-17KTL",
                software="V100R001PC666",
            ),
            SimDevice(
                id=-214091680973855,
                name="6fbfk11",
                type_id=1,
                serial="6fbfk11",
                model="SUN2000-17KTL",
                software="V100R001PC666",
            ),
            SimDevice(id=1000000050000017, name="Grid meter", type_id=17),
            SimDevice(id=1000000050000010, name="EMI", type_id=10),
        ],
        alarms=[
            SimAlarm(
                alarm_id=3011,
                name="Battery expansion module undervoltage",
                device_name="Inverter-2",
                level=4,
                status=1,
                raised=raised,
            )
        ],
        pv_total=459345.34,
        export_total=401000.0,
        import_total=12000.0,
        income_total=6115.0,
        load_kw=2.0,
    )
    puer = SimPlant(
        code="BA4372D08E014822AB065017416F254C",
        name="Puer",
        address="Aix les Bains",
        capacity_kw=98.7,
        latitude=45.70218696025901,
        longitude=5.892721502704196,
        devices=[
            SimDevice(
                id=1000000060000038,
                name="Inverter-1",
                type_id=38,
                serial="Inverter05",
                model="SUN2000-12K-MB0",
            ),
            SimDevice(id=1000000060000041, name="ESS", type_id=41),
            SimDevice(id=1000000060023070, name="EMMA", type_id=23070),
            SimDevice(id=1000000060000099, name="Safety box", type_id=70),
        ],
        alarms=[
            SimAlarm(
                alarm_id=2064,
                name="The device is abnormal.",
                device_name="Inverter-1",
                level=2,
                status=1,
                raised=raised,
            )
        ],
        pv_total=345732.0,
        export_total=300000.0,
        import_total=5000.0,
        income_total=2088.0,
        load_kw=8.0,
        battery_kwh=200.0,
        battery_max_w=50000.0,
    )
    return SimAccount(
        username=DEMO_USER, password=DEMO_PASSWORD, plants=[home, maternelle, puer]
    )


def scaled_account(username: str, password: str, plants: int) -> SimAccount:
    """Return an account of ``plants`` residential plants.

    Each has an inverter, a battery, a power sensor and a Dongle: four device
    types, so each type needs ROUNDUP(plants / 100) real-time calls.
    """
    return SimAccount(
        username=username,
        password=password,
        plants=[
            SimPlant(
                code=f"NE={50_000_000 + number}",
                name=f"Plant {number}",
                capacity_kw=8.0 + number % 5,
                devices=[
                    SimDevice(
                        id=2_000_000_000 + number * 10 + offset,
                        name=name,
                        type_id=type_id,
                        serial=f"HV{number:06d}{offset}",
                        model="SUN2000-8KTL-M1" if type_id == 38 else None,
                    )
                    for offset, (name, type_id) in enumerate(
                        (
                            ("Inverter", 38),
                            ("Battery", 39),
                            ("Meter", 47),
                            ("Dongle", 62),
                        )
                    )
                ],
            )
            for number in range(1, plants + 1)
        ],
    )


def create_demo() -> FusionSolarSimulator:
    """Return the simulator the demo serves: the sample account and a large one."""
    simulator = FusionSolarSimulator(
        [
            demo_account(),
            scaled_account("installer_northbound", "Installer@2026", plants=12),
        ]
    )
    simulator.task_delay = timedelta(seconds=20)
    # OAuth Connect in the demo signs in as the owner of the sample account.
    simulator.oauth.subject = "ha_northbound"
    return simulator
