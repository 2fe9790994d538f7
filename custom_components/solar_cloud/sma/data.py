"""The runtime data of an SMA account (``entry.runtime_data``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, override

from homeassistant.core import HomeAssistant

from ..api import SolarCloudApiError
from ..api.auth import TokenSource
from ..api.sma import FeedInLimitCommand, SmaClient, SmaClientCredentials
from ..const import DOMAIN, LOGGER, Vendor
from ..history_source import CONF_HISTORY_DAYS, DEFAULT_HISTORY_DAYS, HistorySource
from ..runtime import SolarCloudConfigEntry, SolarCloudData, vendor_data
from .const import CONF_ENVIRONMENT, CONF_FLOW
from .coordinator import (
    SmaDeviceCoordinator,
    SmaInventoryCoordinator,
    SmaPlantCoordinator,
)
from .history import SmaHistory
from .plants import SmaPlant
from .polling import PlantData


@dataclass(kw_only=True)
class SmaPlantCoordinators:
    """The coordinators of one plant."""

    energy: SmaPlantCoordinator
    devices: SmaDeviceCoordinator | None


@dataclass(kw_only=True)
class SmaData(SolarCloudData):
    """What a loaded SMA account holds."""

    vendor: ClassVar[Vendor] = Vendor.SMA

    hass: HomeAssistant
    entry: SolarCloudConfigEntry
    client: SmaClient
    tokens: TokenSource
    inventory: SmaInventoryCoordinator
    plants: dict[str, SmaPlantCoordinators] = field(default_factory=dict)
    feed_in_limits: dict[str, FeedInLimitCommand] = field(default_factory=dict)
    """The last feed-in limit sent per plant key."""

    @property
    def measurements(
        self,
    ) -> list[SmaPlantCoordinator | SmaDeviceCoordinator]:
        """Return every plant's measurement coordinators."""
        return [
            coordinator
            for coordinators in self.plants.values()
            for coordinator in (coordinators.energy, coordinators.devices)
            if coordinator is not None
        ]

    def plant(self, key: str) -> SmaPlant:
        """Return a plant as the inventory knew it at setup."""
        return self.plants[key].energy.plant

    @override
    def device_keys(self) -> set[str]:
        return self.inventory.data.device_keys()

    @override
    def history_source(self) -> HistorySource | None:
        return SmaHistory(
            self.hass,
            self.entry,
            self.client,
            {key: plant.energy for key, plant in self.plants.items()},
            days=self.entry.options.get(CONF_HISTORY_DAYS, DEFAULT_HISTORY_DAYS),
        )

    @override
    def diagnostics(self) -> dict[str, Any]:
        return {
            **super().diagnostics(),
            "flow": self.entry.data[CONF_FLOW],
            "environment": self.entry.data[CONF_ENVIRONMENT],
            "consent": self.inventory.data.consent,
            "plant_migrations": self.client.plant_migrations,
            "shown_elsewhere": self.inventory.data.shown_elsewhere,
            "plants": {
                key: {
                    "plant": asdict(plant.details),
                    "kind": plant.kind,
                    "feed_in_control": plant.feed_in_control,
                    "devices": [
                        {**asdict(device.details), "sets": sorted(device.sets)}
                        for device in plant.devices
                    ],
                    "energy_balance": _energy_balance(self.plants[key].energy.data)
                    if key in self.plants
                    else None,
                }
                for key, plant in self.inventory.data.plants.items()
            },
        }

    @override
    async def async_unload(self) -> None:
        # Within a rate limit's window the token source's gate refuses the
        # logout; the session ends by itself.
        if isinstance(self.tokens, SmaClientCredentials):
            try:
                await self.tokens.async_logout()
            except SolarCloudApiError as err:
                LOGGER.debug("SMA logout failed: %s", err)


def _energy_balance(data: PlantData) -> dict[str, Any]:
    latest = data.latest
    return {
        "latest": {"time": latest.time.isoformat(), **latest.values}
        if latest is not None
        else None,
        "today_wh": dict(data.today),
        "lifetime_wh": dict(data.lifetime),
        "fields": sorted(data.fields),
        "resolution_s": data.resolution.total_seconds() if data.resolution else None,
    }


def sma_data(entry: SolarCloudConfigEntry) -> SmaData:
    """Return the runtime data of a loaded SMA entry."""
    return vendor_data(entry, SmaData)


def signal_devices_added(entry: SolarCloudConfigEntry) -> str:
    """Return the dispatcher signal of a plant's devices read after setup.

    Sent with the plant's new ``SmaDeviceCoordinator``; the sensor platform
    adds its entities.
    """
    return f"{DOMAIN}_sma_devices_added_{entry.entry_id}"
