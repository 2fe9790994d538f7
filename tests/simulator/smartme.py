"""A smart-me cloud: REST API, history, OAuth2 and the Realtime API pusher.

Devices are built from the real samples in ``samples/smartme`` (integer
enums, null properties left out, negative serials); redacted ids are replaced
by fixed GUIDs. Each device's import and export power is a function of time
(:class:`Profile`), and its counters are the exact integrals of that power:
the device list, the realtime pushes and the history (``ValuesInPast``,
``ValuesInPastMultiple``) all read the same functions, and :meth:`truth`
gives the hourly energy straight from them. The Realtime API keeps
registrations, and :meth:`SmartMeSimulator.push` POSTs protobuf
``DeviceDataArray`` messages to the registered URLs, as smart-me does whenever
a device uploads.
"""

from __future__ import annotations

from datetime import timedelta

from .smartme_history import SmartMeHistoryApi, utc_text
from .smartme_model import Account, HourEnergy, Profile, SimDevice
from .smartme_realtime import SmartMeRealtimeApi
from .smartme_samples import (
    BILANZ_ID,
    HOUSE_ID,
    PLUG_ID,
    WATER_ID,
    bench_devices,
    household_device,
    sample_devices,
)

__all__ = [
    "BILANZ_ID",
    "HOUSE_ID",
    "PLUG_ID",
    "WATER_ID",
    "Account",
    "HourEnergy",
    "Profile",
    "SimDevice",
    "SmartMeSimulator",
    "bench_devices",
    "demo_simulator",
    "household_device",
    "sample_devices",
    "utc_text",
]


class SmartMeSimulator(SmartMeHistoryApi, SmartMeRealtimeApi):
    """The smart-me cloud of one account: REST API, history, Realtime API."""

    def __init__(
        self,
        *,
        account: Account | None = None,
        devices: list[SimDevice] | None = None,
        auto_push: timedelta | None = None,
    ) -> None:
        """Serve ``account`` with ``devices`` (default: the sample devices).

        With ``auto_push`` the devices upload (and are pushed) on that
        interval, as in the demo; tests push explicitly.
        """
        super().__init__(account=account, devices=devices, auto_push=auto_push)


def demo_simulator() -> SmartMeSimulator:
    """Return the demo account (credentials in the README), with a household."""
    return SmartMeSimulator(
        account=Account(
            username="demo@smart-me.example", password="demo", api_keys={"demo-key"}
        ),
        devices=[*sample_devices(), household_device()],
        auto_push=timedelta(seconds=10),
    )
