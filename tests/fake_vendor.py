"""A minimal vendor, served by a minimal simulator, for the generic machinery.

The real vendors are tested against their own simulators; this one exercises
what every vendor shares (setup, unload, coordinators, entities, diagnostics,
actions) without depending on any of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ClassVar

import aiohttp
from aiohttp import web
from homeassistant.components.sensor import SensorEntity, SensorEntityDescription
from homeassistant.const import CONF_URL, Platform
from homeassistant.core import HomeAssistant, ServiceResponse
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from custom_components.solar_cloud.actions import ActionTarget, FeedInLimitRequest
from custom_components.solar_cloud.api import (
    ApiAuthenticationError,
    ApiConnectionError,
    ApiPermissionError,
    ApiRateLimitedError,
    ApiResponseError,
)
from custom_components.solar_cloud.api.transport import send
from custom_components.solar_cloud.const import CONF_VENDOR, Vendor
from custom_components.solar_cloud.coordinator import SolarCloudCoordinator
from custom_components.solar_cloud.entity import (
    SolarCloudEntity,
    async_remove_stale_devices,
)
from custom_components.solar_cloud.runtime import (
    SolarCloudConfigEntry,
    SolarCloudData,
    VendorIntegration,
)

from .simulator.core import VendorSimulator

FAKE_VENDOR = Vendor.FUSIONSOLAR


class FakeCloud(VendorSimulator):
    """Plants with a power value that follows the clock."""

    vendor = "fake"

    def __init__(self) -> None:
        """Start with two plants."""
        super().__init__()
        self.plants = ["plant-1", "plant-2"]
        self.feed_in_limits: dict[str, dict[str, Any]] = {}

    def add_routes(self, router: web.UrlDispatcher) -> None:
        """Add the routes."""
        router.add_get("/plants", self.get_plants, name="plants")
        router.add_post("/plants/{plant}/limit", self.post_limit, name="limit")

    async def get_plants(self, request: web.Request) -> web.Response:
        """Return every plant with its power (W): the minute of the day."""
        now = self.clock.now()
        power = now.hour * 60 + now.minute
        return web.json_response(
            {"plants": [{"id": p, "power": power} for p in self.plants]}
        )

    async def post_limit(self, request: web.Request) -> web.Response:
        """Store a feed-in limit."""
        self.feed_in_limits[request.match_info["plant"]] = await request.json()
        return web.json_response({"task": "done"})

    def render_vendor_error(self, request: web.Request, error: Any) -> web.Response:
        """Answer with the vendor's error code."""
        return web.json_response({"code": error}, status=200)


class FakeClient:
    """The client of the fake cloud."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        """Use the injected session."""
        self._session = session
        self._base_url = base_url

    async def plants(self) -> dict[str, float]:
        """Return power per plant."""
        response = await send(
            self._session, "GET", f"{self._base_url}/plants", timeout=2
        )
        if response.status == 401:
            raise ApiAuthenticationError("Wrong key")
        if response.status == 403:
            raise ApiPermissionError("No right", missing_right="plants")
        if response.status == 429:
            raise ApiRateLimitedError("Slow down", retry_after=120)
        if response.status >= 500:
            raise ApiConnectionError(f"HTTP {response.status}")
        body = response.json()
        if "code" in body:
            raise ApiResponseError(f"Vendor error {body['code']}")
        return {plant["id"]: float(plant["power"]) for plant in body["plants"]}

    async def set_limit(self, plant: str, kw: float) -> None:
        """Set a feed-in limit."""
        response = await send(
            self._session,
            "POST",
            f"{self._base_url}/plants/{plant}/limit",
            json={"kw": kw},
        )
        if response.status == 401:
            raise ApiAuthenticationError("Wrong key")
        response.json()


class FakeCoordinator(SolarCloudCoordinator[dict[str, float]]):
    """Power per plant, every minute."""

    def __init__(
        self, hass: HomeAssistant, entry: SolarCloudConfigEntry, client: FakeClient
    ) -> None:
        """Poll every minute; keep data for five minutes of failures."""
        super().__init__(
            hass,
            entry,
            name="power",
            update_interval=timedelta(minutes=1),
            stale_after=timedelta(minutes=5),
        )
        self.client = client

    async def _async_fetch(self) -> dict[str, float]:
        plants = await self.client.plants()
        async_remove_stale_devices(self.hass, self.config_entry, set(plants))
        return plants


@dataclass(kw_only=True)
class FakeData(SolarCloudData):
    """Runtime data of a fake account."""

    vendor: ClassVar[Vendor] = FAKE_VENDOR
    redact_keys: ClassVar[frozenset[str]] = frozenset({"plant_secret"})
    client: FakeClient
    power: FakeCoordinator
    unloaded: bool = False

    def device_keys(self) -> set[str]:
        """Return the plants the cloud reports."""
        return set(self.power.data)

    def diagnostics(self) -> dict[str, Any]:
        """Return the coordinator states and the plants."""
        return {
            **super().diagnostics(),
            "plants": self.power.data,
            "plant_secret": "s3cret",
        }

    async def async_unload(self) -> None:
        """Remember that the account was released."""
        self.unloaded = True

    async def async_set_feed_in_limit(
        self, target: ActionTarget, request: FeedInLimitRequest
    ) -> ServiceResponse:
        """Send the limit of the target plant."""
        plant = target.device_key or next(iter(self.power.data))
        await self.client.set_limit(plant, request.power_limit or 0.0)
        return {"plant": plant, "mode": request.mode}


class FakePowerSensor(SolarCloudEntity[FakeCoordinator], SensorEntity):
    """The power of one plant."""

    @property
    def native_value(self) -> float:
        """Return the plant's power."""
        return self.coordinator.data[self.device_key]


POWER = SensorEntityDescription(
    key="power", name="Power", native_unit_of_measurement="W"
)


async def _async_setup_sensors(
    hass: HomeAssistant,
    entry: SolarCloudConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    coordinator = entry.runtime_data.power  # type: ignore[attr-defined]
    async_add_entities(
        FakePowerSensor(
            coordinator,
            POWER,
            device_key=plant,
            device_info=DeviceInfo(
                identifiers={("solar_cloud", f"{entry.data[CONF_VENDOR]}_{plant}")},
                name=plant,
                manufacturer="Fake",
            ),
        )
        for plant in coordinator.data
    )


async def _async_setup_entry(
    hass: HomeAssistant, entry: SolarCloudConfigEntry
) -> SolarCloudData:
    client = FakeClient(async_get_clientsession(hass), entry.data[CONF_URL])
    coordinator = FakeCoordinator(hass, entry, client)
    await coordinator.async_config_entry_first_refresh()
    return FakeData(
        client=client,
        power=coordinator,
        coordinators=[coordinator],
        platforms={Platform.SENSOR: _async_setup_sensors},
    )


removed_entries: list[str] = []


async def _async_remove_entry(
    hass: HomeAssistant, entry: SolarCloudConfigEntry
) -> None:
    removed_entries.append(entry.entry_id)


FAKE_INTEGRATION = VendorIntegration(
    async_setup_entry=_async_setup_entry, async_remove_entry=_async_remove_entry
)
