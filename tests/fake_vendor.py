"""A minimal vendor, served by a minimal simulator, for the generic machinery.

The real vendors are tested against their own simulators; this one exercises
what every vendor shares (setup, unload, coordinators, entities, diagnostics,
actions) without depending on any of them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import aiohttp
from aiohttp import web
from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import CONF_URL, Platform
from homeassistant.core import HomeAssistant, ServiceResponse
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from custom_components.solar_cloud.account_backoff import account_gate
from custom_components.solar_cloud.actions import (
    SET_FEED_IN_LIMIT,
    ActionTarget,
    FeedInLimitRequest,
)
from custom_components.solar_cloud.api import (
    ApiAuthenticationError,
    ApiConnectionError,
    ApiPermissionError,
    ApiRateLimitedError,
    ApiResponseError,
)
from custom_components.solar_cloud.api.account_gate import AccountGate
from custom_components.solar_cloud.api.transport import send
from custom_components.solar_cloud.const import CONF_VENDOR, Vendor
from custom_components.solar_cloud.coordinator import SolarCloudCoordinator
from custom_components.solar_cloud.counter import CounterSensor
from custom_components.solar_cloud.entity import (
    NewEntities,
    SolarCloudEntity,
    async_add_as_they_appear,
    async_remove_stale_devices,
)
from custom_components.solar_cloud.history_source import HistoryChunk, HistorySource
from custom_components.solar_cloud.runtime import (
    SolarCloudConfigEntry,
    SolarCloudData,
    VendorIntegration,
)
from custom_components.solar_cloud.statistics import (
    EnergyFlow,
    HistorySeries,
    SeriesEnergy,
)

from .simulator.core import VendorSimulator
from .simulator.oauth import OAuthServer

FAKE_VENDOR = Vendor.FUSIONSOLAR


class FakeCloud(VendorSimulator):
    """Plants with a power value that follows the clock."""

    vendor = "fake"

    def __init__(self) -> None:
        """Start with two plants."""
        super().__init__()
        self.plants = ["plant-1", "plant-2"]
        self.feed_in_limits: dict[str, dict[str, Any]] = {}
        self.energy: dict[str, Any] = {}
        """Lifetime energy (kWh) per plant; a plant without reports none."""
        self.history_from = datetime(2000, 1, 1, tzinfo=UTC)
        """The oldest hour the cloud keeps."""
        self.revised: dict[tuple[str, datetime], float] = {}

    def add_routes(self, router: web.UrlDispatcher) -> None:
        """Add the routes."""
        router.add_get("/plants", self.get_plants, name="plants")
        router.add_post("/plants/{plant}/limit", self.post_limit, name="limit")
        router.add_get("/plants/{plant}/history", self.get_history, name="history")
        router.add_get("/first", self.get_first, name="first")

    async def get_plants(self, request: web.Request) -> web.Response:
        """Return every plant with its power (W): the minute of the day."""
        now = self.clock.now()
        power = now.hour * 60 + now.minute
        return web.json_response(
            {
                "plants": [
                    {"id": p, "power": power}
                    | ({"energy": self.energy[p]} if p in self.energy else {})
                    for p in self.plants
                ]
            }
        )

    def truth(self, plant: str, hour: datetime) -> float:
        """Return the energy (kWh) of a plant in the hour starting at ``hour``."""
        if (plant, hour) in self.revised:
            return self.revised[plant, hour]
        index = int(hour.timestamp() // 3600)
        return round((index % 7) * 0.25 + 0.5 * self.plants.index(plant), 3)

    async def get_history(self, request: web.Request) -> web.Response:
        """Return a plant's complete hours in [start, end) that the cloud keeps."""
        plant = request.match_info["plant"]
        start = datetime.fromisoformat(request.query["start"])
        end = datetime.fromisoformat(request.query["end"])
        now = self.clock.now()
        until = min(end, now.replace(minute=0, second=0, microsecond=0))
        hours = []
        hour = max(start, self.history_from)
        while hour < until:
            hours.append({"start": hour.isoformat(), "kwh": self.truth(plant, hour)})
            hour += timedelta(hours=1)
        return web.json_response({"hours": hours, "until": until.isoformat()})

    async def get_first(self, request: web.Request) -> web.Response:
        """Return the oldest hour the cloud keeps."""
        return web.json_response({"first": self.history_from.isoformat()})

    async def post_limit(self, request: web.Request) -> web.Response:
        """Store a feed-in limit."""
        self.feed_in_limits[request.match_info["plant"]] = await request.json()
        return web.json_response({"task": "done"})

    def render_vendor_error(self, request: web.Request, error: Any) -> web.Response:
        """Answer with the vendor's error code."""
        return web.json_response({"code": error}, status=200)


class FakeClient:
    """The client of the fake cloud."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        gate: AccountGate | None = None,
    ) -> None:
        """Use the injected session; ``gate``: the account's, as real clients get."""
        self._session = session
        self._base_url = base_url
        self.gate = gate or AccountGate()

    async def plants(self) -> dict[str, float]:
        """Return power per plant."""
        return {plant: data["power"] for plant, data in (await self.readings()).items()}

    async def readings(self) -> dict[str, dict[str, Any]]:
        """Return what the cloud says of each plant (power, maybe energy)."""
        response = await send(
            self._session, "GET", f"{self._base_url}/plants", timeout=2
        )
        if response.status == 401:
            raise ApiAuthenticationError("Wrong key")
        if response.status == 403:
            raise ApiPermissionError("No right", missing_right="plants")
        if response.status == 429:
            # The plant list's limit is the account's (the history's is its
            # own): like a real client, this one opens the account's window.
            refusal = ApiRateLimitedError("Slow down", retry_after=120)
            self.gate.rate_limited(refusal)
            raise refusal
        if response.status >= 500:
            raise ApiConnectionError(f"HTTP {response.status}")
        body = response.json()
        if "code" in body:
            raise ApiResponseError(f"Vendor error {body['code']}")
        return {plant["id"]: plant for plant in body["plants"]}

    async def history(
        self, plant: str, start: datetime, end: datetime
    ) -> tuple[dict[datetime, float], datetime]:
        """Return kWh per hour of a plant in [start, end), and how far it goes."""
        response = await send(
            self._session,
            "GET",
            f"{self._base_url}/plants/{plant}/history",
            params={"start": start.isoformat(), "end": end.isoformat()},
            timeout=2,
        )
        self._raise_for(response.status)
        body = response.json()
        return (
            {
                datetime.fromisoformat(item["start"]): item["kwh"]
                for item in body["hours"]
            },
            datetime.fromisoformat(body["until"]),
        )

    async def first(self) -> datetime:
        """Return the oldest hour the cloud keeps."""
        response = await send(self._session, "GET", f"{self._base_url}/first")
        self._raise_for(response.status)
        return datetime.fromisoformat(response.json()["first"])

    @staticmethod
    def _raise_for(status: int) -> None:
        if status == 401:
            raise ApiAuthenticationError("Wrong key")
        if status == 403:
            raise ApiPermissionError("No right", missing_right="history")
        if status == 429:
            raise ApiRateLimitedError("Slow down", retry_after=120)
        if status >= 400:
            raise ApiConnectionError(f"HTTP {status}")

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


class FakeCoordinator(SolarCloudCoordinator[dict[str, dict[str, Any]]]):
    """Power (and maybe energy) per plant, every minute."""

    def __init__(
        self, hass: HomeAssistant, entry: SolarCloudConfigEntry, client: FakeClient
    ) -> None:
        """Poll every minute; keep data for five minutes of failures."""
        super().__init__(
            hass,
            entry,
            name="power",
            update_interval=timedelta(minutes=1),
            expected_delay=timedelta(minutes=5),
        )
        self.client = client

    async def _async_fetch(self) -> dict[str, dict[str, Any]]:
        plants = await self.client.readings()
        async_remove_stale_devices(self.hass, self.config_entry, set(plants))
        return plants


class FakeHistory(HistorySource):
    """One solar production series per plant, in daily requests, newest first."""

    vendor = FAKE_VENDOR
    call_spacing = timedelta(seconds=10)

    def __init__(self, client: FakeClient, plants: Sequence[str]) -> None:
        """Serve the history of ``plants``."""
        self.client = client
        self.plants = plants

    def _series(self, plant: str) -> HistorySeries:
        return HistorySeries(
            vendor=self.vendor,
            device_key=plant,
            device_name=plant,
            flow=EnergyFlow.SOLAR,
        )

    def series(self) -> list[HistorySeries]:
        """Return a series per plant."""
        return [self._series(plant) for plant in self.plants]

    def plan(self, start: datetime, end: datetime) -> list[HistoryChunk]:
        """Return a request per plant and UTC day, newest first."""
        chunks = []
        day = end
        while day > start:
            begin = max(
                start,
                (day - timedelta(seconds=1)).replace(
                    hour=0, minute=0, second=0, microsecond=0
                ),
            )
            chunks += [
                HistoryChunk(unit=plant, start=begin, end=day) for plant in self.plants
            ]
            day = begin
        return chunks

    async def async_fetch(self, chunk: HistoryChunk) -> list[SeriesEnergy]:
        """Fetch one plant's hours."""
        energy, until = await self.client.history(chunk.unit, chunk.start, chunk.end)
        return [
            SeriesEnergy(
                series=self._series(chunk.unit),
                start=chunk.start,
                end=min(chunk.end, until),
                energy=energy,
            )
        ]

    async def async_first_data(self) -> datetime | None:
        """Ask the cloud."""
        return await self.client.first()


@dataclass(kw_only=True)
class FakeData(SolarCloudData):
    """Runtime data of a fake account."""

    vendor: ClassVar[Vendor] = FAKE_VENDOR
    client: FakeClient
    power: FakeCoordinator
    unloaded: bool = False

    def device_keys(self) -> set[str]:
        """Return the plants the cloud reports."""
        return set(self.power.data)

    def history_source(self) -> HistorySource | None:
        """Serve the fake cloud's history."""
        return FakeHistory(self.client, sorted(self.power.data))

    def diagnostics(self) -> dict[str, Any]:
        """Return the coordinator states and the plants."""
        return {
            **super().diagnostics(),
            "plants": {p: float(d["power"]) for p, d in self.power.data.items()},
            "plant_secret": "s3cret",
        }

    async def async_unload(self) -> None:
        """Remember that the account was released."""
        self.unloaded = True


class FakePowerSensor(SolarCloudEntity[FakeCoordinator], SensorEntity):
    """The power of one plant."""

    @property
    def native_value(self) -> float:
        """Return the plant's power."""
        return float(self.coordinator.data[self.device_key]["power"])


class FakeEnergySensor(SolarCloudEntity[FakeCoordinator], SensorEntity):
    """The raw lifetime energy of one plant."""

    @property
    def native_value(self) -> Any:
        """Return the plant's energy as the cloud sent it."""
        return self.coordinator.data.get(self.device_key, {}).get("energy")


class FakeCounterSensor(CounterSensor, FakeEnergySensor):
    """The lifetime energy of one plant, through the counter policy."""

    def counter_max_power_kw(self) -> float | None:
        """Say that the plant has 10 kW."""
        return 10.0


POWER = SensorEntityDescription(
    key="power", name="Power", native_unit_of_measurement="W"
)
ENERGY = SensorEntityDescription(
    key="energy",
    name="Energy",
    native_unit_of_measurement="kWh",
    device_class=SensorDeviceClass.ENERGY,
    state_class=SensorStateClass.TOTAL_INCREASING,
)


async def _async_setup_sensors(
    hass: HomeAssistant,
    entry: SolarCloudConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    coordinator = entry.runtime_data.power  # type: ignore[attr-defined]

    def build(new: NewEntities) -> Iterator[SensorEntity]:
        for plant, reading in coordinator.data.items():
            if new.want(plant, POWER.key):
                yield FakePowerSensor(
                    coordinator,
                    POWER,
                    device_key=plant,
                    device_info=DeviceInfo(
                        identifiers={
                            ("solar_cloud", f"{entry.data[CONF_VENDOR]}_{plant}")
                        },
                        name=plant,
                        manufacturer="Fake",
                    ),
                )
            if "energy" in reading and new.want(plant, ENERGY.key):
                yield FakeCounterSensor(coordinator, ENERGY, device_key=plant)

    async_add_as_they_appear(entry, async_add_entities, build, coordinator)


async def _async_setup_entry(
    hass: HomeAssistant, entry: SolarCloudConfigEntry
) -> SolarCloudData:
    client = FakeClient(
        async_get_clientsession(hass), entry.data[CONF_URL], account_gate(hass, entry)
    )
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


async def _async_set_feed_in_limit(
    data: FakeData, target: ActionTarget, request: FeedInLimitRequest
) -> ServiceResponse:
    """Send the limit of the target plant."""
    plant = target.device_key or next(iter(data.power.data))
    await data.client.set_limit(plant, request.power_limit or 0.0)
    return {"plant": plant, "mode": request.mode}


FAKE_INTEGRATION = VendorIntegration(
    async_setup_entry=_async_setup_entry,
    async_remove_entry=_async_remove_entry,
    actions=(SET_FEED_IN_LIMIT.handled_by(_async_set_feed_in_limit),),
    redact_keys=frozenset({"plant_secret"}),
)


FAKE_CLIENT = ("client-id", "client-secret")
"""The OAuth client (id, secret) the fake authorization server accepts."""


class FakeAuthServer(VendorSimulator):
    """A vendor that only has an authorization server: /authorize and /token."""

    vendor = "fake"

    def __init__(self, *, require_pkce: bool = False) -> None:
        """Accept the one fake client; with PKCE if asked to."""
        super().__init__()
        self.oauth = OAuthServer(
            clock=self.clock, clients=dict([FAKE_CLIENT]), require_pkce=require_pkce
        )

    def add_routes(self, router: web.UrlDispatcher) -> None:
        """Serve the OAuth2 endpoints."""
        self.oauth.add_routes(router, authorize_path="/authorize", token_path="/token")
