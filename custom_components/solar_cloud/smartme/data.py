"""What a loaded smart-me entry holds."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from ..api.smartme import SmartMeClient
from ..const import Vendor
from ..runtime import SolarCloudConfigEntry, SolarCloudData, vendor_data
from .coordinator import SmartMeAccountCoordinator

if TYPE_CHECKING:
    from ..history_source import HistorySource
    from .history import SmartMeHistory
    from .realtime import SmartMeRealtime


@dataclass(kw_only=True)
class SmartMeData(SolarCloudData):
    """Runtime data of a smart-me account."""

    vendor: ClassVar[Vendor] = Vendor.SMARTME

    client: SmartMeClient
    account: SmartMeAccountCoordinator
    realtime: SmartMeRealtime | None = None
    energy_history: SmartMeHistory | None = None
    """The meters' energy history (imported where the recorder runs)."""

    def history_source(self) -> HistorySource | None:
        """Return the import and export history of the meters."""
        return self.energy_history

    def device_keys(self) -> set[str]:
        """Return the devices the account reports."""
        return set(self.account.data.devices)

    def diagnostics(self) -> dict[str, Any]:
        """Return the devices, what pushes did, and how polling runs."""
        devices = {}
        for device_id, coordinator in self.account.device_coordinators.items():
            device = coordinator.device
            devices[device_id] = {
                "name": device.name,
                "serial": device.serial,
                "energy_type": device.energy_type.name,
                "sub_type": device.sub_type.name,
                "family_type": device.family_type,
                "actions": [
                    asdict(action)
                    for action in self.account.data.actions.get(device_id, ())
                ],
                "reading": asdict(coordinator.data),
                "push_energy_factor": coordinator.scale.energy_factor,
                "history_energy_factor": self.energy_history.factors.get(device_id)
                if self.energy_history is not None
                else None,
                "last_push": coordinator.last_push,
            }
        return {
            **super().diagnostics(),
            "poll_interval": self.account.poll_period,
            "devices": devices,
            "realtime": self.realtime.diagnostics()
            if self.realtime is not None
            else None,
        }

    async def async_unload(self) -> None:
        """Stop receiving pushes; write the units measured meanwhile."""
        if self.realtime is not None:
            self.realtime.async_stop()
        await self.account.calibration.async_flush()


def smartme_data(entry: SolarCloudConfigEntry) -> SmartMeData:
    """Return the runtime data of a loaded smart-me entry."""
    return vendor_data(entry, SmartMeData)
