"""The runtime data of an SMA account (``entry.runtime_data``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, override

from homeassistant.core import HomeAssistant, ServiceResponse
from homeassistant.exceptions import ServiceValidationError
from homeassistant.util import dt as dt_util

from ..actions import ActionTarget, FeedInLimitRequest
from ..api import SolarCloudApiError
from ..api.auth import TokenSource
from ..api.sma import FeedInLimitCommand, SmaClient, SmaClientCredentials
from ..const import DOMAIN, LOGGER, Vendor
from ..history import CONF_HISTORY_DAYS, DEFAULT_HISTORY_DAYS, HistorySource
from ..runtime import SolarCloudConfigEntry, SolarCloudData, vendor_data
from .const import CONF_ENVIRONMENT, CONF_FLOW
from .controls import async_send_feed_in_limit, feed_in_command
from .coordinator import (
    PlantData,
    SmaDeviceCoordinator,
    SmaInventoryCoordinator,
    SmaPlant,
    SmaPlantCoordinator,
)
from .history import SmaHistory


@dataclass(kw_only=True)
class SmaPlantCoordinators:
    """The coordinators of one plant."""

    energy: SmaPlantCoordinator
    devices: SmaDeviceCoordinator | None


@dataclass(kw_only=True)
class SmaData(SolarCloudData):
    """What a loaded SMA account holds."""

    vendor: ClassVar[Vendor] = Vendor.SMA
    redact_keys: ClassVar[frozenset[str]] = frozenset(
        {"loginHint", "serial", "street", "streetNo", "zipCode", "city", "owner"}
    )

    hass: HomeAssistant
    entry: SolarCloudConfigEntry
    client: SmaClient
    tokens: TokenSource
    inventory: SmaInventoryCoordinator
    plants: dict[str, SmaPlantCoordinators] = field(default_factory=dict)
    feed_in_limits: dict[str, FeedInLimitCommand] = field(default_factory=dict)
    """The last feed-in limit sent per plant key."""

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
        if isinstance(self.tokens, SmaClientCredentials):
            try:
                await self.tokens.async_logout()
            except SolarCloudApiError as err:
                LOGGER.debug("SMA logout failed: %s", err)

    @override
    async def async_set_feed_in_limit(
        self, target: ActionTarget, request: FeedInLimitRequest
    ) -> ServiceResponse:
        command = feed_in_command(request, dt_util.utcnow())
        return await async_send_feed_in_limit(
            self, self._feed_in_plant(target), command
        )

    def _feed_in_plant(self, target: ActionTarget) -> str:
        """Return the plant an action is for; a device stands for its plant."""
        if target.device_key is None:
            if len(self.plants) != 1:
                raise ServiceValidationError(
                    translation_domain=DOMAIN,
                    translation_key="sma_plant_required",
                    translation_placeholders={"entry": self.entry.title},
                )
            key: str | None = next(iter(self.plants))
        else:
            key = next(
                (
                    plant_key
                    for plant_key in self.plants
                    if target.device_key
                    in (plant_key, *(d.key for d in self.plant(plant_key).devices))
                ),
                None,
            )
        if key is None or not self.plant(key).feed_in_control:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="sma_feed_in_not_eligible",
                translation_placeholders={
                    "plant": self.plant(key).name
                    if key is not None
                    else str(target.device_key)
                },
            )
        return key


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
