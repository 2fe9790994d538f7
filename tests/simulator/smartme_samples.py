"""The devices the smart-me simulator serves.

Built from the real samples in ``samples/smartme`` (integer enums, null
properties left out, negative serials); redacted ids are replaced by fixed
GUIDs. Not from a capture: a water meter, a household with PV, the
benchmark's meters.
"""

from __future__ import annotations

from datetime import datetime
import json
from pathlib import Path
from typing import Any
import uuid

from custom_components.solar_cloud.api.smartme.obis import (
    DIGITAL_OUTPUT,
    SWITCH_MAIN,
    obis_to_hex,
)

from .smartme_model import Profile, SimDevice

SAMPLES = Path(__file__).parent / "samples" / "smartme"


def _pascal(raw: dict[str, Any]) -> dict[str, Any]:
    """Return a re-serialized (camelCase) sample with the wire's PascalCase keys."""
    return {key[0].upper() + key[1:]: value for key, value in raw.items()}


def _sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text("utf-8"))


# Fixed GUIDs for the samples whose ids their authors redacted.
PLUG_ID = "6f1d2c3b-4a59-4e8d-9c7b-1a2b3c4d5e6f"
BILANZ_ID = "40a1b2c3-d4e5-4f60-8172-8394a5b6c712"
WATER_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
HOUSE_ID = "3b1e7a52-6f0d-4c8e-9a51-7d2f4e8c1a90"


def sample_devices() -> list[SimDevice]:
    """Return the devices of the samples, as one account could hold them."""
    chargers = [
        SimDevice(raw=raw, import_kw=3.7 * (index == 0), push_unit="mWh")
        for index, raw in enumerate(_sample("connectorio_api_Devices_list_2022.json"))
    ]
    plug = _sample("iobroker_smartme_device_2019_partial_redacted.json")
    plug.update({"Id": PLUG_ID, "Name": "Boiler plug"})
    bilanz = _pascal(_sample("smecli_reserialized_device.json"))
    bilanz.update({"Id": BILANZ_ID, "ChargeStationState": None})
    telstar_actions = _sample("smartme_wiki_api_actions_get_telstar.json")
    # Not from a capture: smart-me lists water meters with m³ counters and a
    # flow rate; none of the samples is one.
    water = {
        "Id": WATER_ID,
        "Name": "Water main",
        "Serial": 7700123,
        "DeviceEnergyType": 2,
        "MeterSubType": 1,
        "FamilyType": 4,
        "CounterReading": 1532.417,
        "CounterReadingUnit": "m³",
        "FlowRate": 0.42,
    }
    return [
        *chargers,
        SimDevice(
            raw=plug,
            import_kw=0.0,
            actions=[
                {
                    "Name": "Switch",
                    "ObisCode": obis_to_hex(SWITCH_MAIN),
                    "ActionType": 0,
                }
            ],
        ),
        SimDevice(
            raw=bilanz,
            import_kw=101.632,
            export_kw=0.5,
            actions=telstar_actions,
            switches={DIGITAL_OUTPUT[0]: False, DIGITAL_OUTPUT[1]: True},
        ),
        SimDevice(raw=water, pushes_realtime=False),
    ]


def household_device(
    *,
    device_id: str = HOUSE_ID,
    load_kw: float = 0.6,
    pv_kwp: float = 8.0,
    history_start: datetime | None = None,
) -> SimDevice:
    """Return a household's 3-phase meter with PV (:attr:`Profile.HOUSEHOLD`).

    Not from a capture: the device object follows the sample meters. Its
    counters are large enough to go two years back.
    """
    imported, exported = 14250.0, 17830.0
    raw = {
        "Id": device_id,
        "Name": "House",
        "Serial": 9300145,
        "DeviceEnergyType": 1,
        "MeterSubType": 4,
        "FamilyType": 7,
        "ActivePower": 0.0,
        "ActivePowerUnit": "kW",
        "CounterReading": imported - exported,
        "CounterReadingUnit": "kWh",
        "CounterReadingImport": imported,
        "CounterReadingExport": exported,
        "VoltageL1": 231.0,
        "VoltageL2": 230.0,
        "VoltageL3": 229.0,
    }
    return SimDevice(
        raw=raw,
        import_kw=load_kw,
        export_kw=pv_kwp,
        profile=Profile.HOUSEHOLD,
        history_start=history_start,
    )


def bench_devices(count: int) -> list[SimDevice]:
    """Return ``count`` 3-phase meters for the benchmark."""
    template = _pascal(_sample("smecli_reserialized_device.json"))
    devices = []
    for index in range(count):
        raw = {
            **template,
            "Id": str(uuid.UUID(int=index + 1)),
            "Name": f"Meter {index + 1}",
        }
        raw.pop("ChargeStationState", None)
        devices.append(SimDevice(raw=raw, import_kw=5.0 + index % 7))
    return devices
