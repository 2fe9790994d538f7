"""Realtime pushes: from the simulator's pusher over HTTP into Home Assistant."""

from __future__ import annotations

from datetime import timedelta
import random
import types
from typing import Any

from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import CONF_WEBHOOK_ID, EVENT_STATE_CHANGED
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.util.aiohttp import MockRequest
import pytest

from custom_components.solar_cloud.api.smartme import (
    RealtimeDeviceData,
    encode_realtime,
)
from custom_components.solar_cloud.smartme.const import (
    PUSH_WINDOW,
    SAFETY_POLL_INTERVAL,
)
from custom_components.solar_cloud.smartme.data import smartme_data
from custom_components.solar_cloud.smartme.webhook import basic_auth_header

from ..common import async_advance
from ..simulator.smartme import (
    BILANZ_ID,
    PLUG_ID,
    WATER_ID,
    SimDevice,
    SmartMeSimulator,
)
from . import SetUp, realtime_of
from .const import (
    CHARGER_ID,
    HOOK_PATH,
    POWER,
    PUSH_AUTH,
    WEBHOOK_ID,
    WEBHOOK_PASSWORD,
    WEBHOOK_USERNAME,
    ZERO_CHARGER_ID,
)


@pytest.fixture
def realtime() -> bool:
    """These entries receive pushes."""
    return True


def state(hass: HomeAssistant, entity_id: str) -> str:
    current = hass.states.get(entity_id)
    assert current is not None
    return current.state


@pytest.mark.usefixtures("external_url", "entity_registry_enabled_by_default")
async def test_push_reaches_state(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
    external_url: str,
) -> None:
    """smart-me is told the webhook; its protobuf pushes update the states."""
    await setup_entry()
    [registration] = sim.registrations.values()
    assert registration["ApiUrl"] == f"{external_url}{HOOK_PATH}"
    assert registration["BasicAuthUsername"] == WEBHOOK_USERNAME
    assert registration["BasicAuthPassword"] == WEBHOOK_PASSWORD
    before = float(state(hass, "sensor.bilanz_vk_energy_import"))
    assert state(hass, "sensor.bilanz_vk_frequency") == "unknown"

    frozen.tick(timedelta(seconds=20))
    assert await sim.push([BILANZ_ID]) == [200]
    await hass.async_block_till_done()

    imported, _ = sim.counters(sim.devices[BILANZ_ID])
    assert float(state(hass, "sensor.bilanz_vk_energy_import")) == pytest.approx(
        imported
    )
    assert float(state(hass, "sensor.bilanz_vk_energy_import")) > before
    assert state(hass, "sensor.bilanz_vk_frequency") == "50.0"
    assert state(hass, "sensor.bilanz_vk_last_update") == "2026-10-20T12:00:50+00:00"
    assert float(state(hass, POWER)) == pytest.approx(
        sim.power_kw(sim.devices[BILANZ_ID]) * 1000
    )


@pytest.mark.usefixtures("external_url")
async def test_push_units_are_calibrated_per_device(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
) -> None:
    """A meter pushing mWh and one pushing Wh both show kWh and W."""
    entry = await setup_entry()
    frozen.tick(timedelta(seconds=20))
    assert await sim.push([CHARGER_ID, BILANZ_ID]) == [200, 200]
    await hass.async_block_till_done()
    coordinators = smartme_data(entry).account.device_coordinators
    assert coordinators[CHARGER_ID].scale.energy_factor == 1e-6
    assert coordinators[BILANZ_ID].scale.energy_factor == 1e-3
    charger = sim.devices[CHARGER_ID]
    assert float(
        state(hass, "sensor.1_parkplatz_oben_1_energy_import")
    ) == pytest.approx(sim.counters(charger)[0])
    assert float(state(hass, "sensor.1_parkplatz_oben_1_power")) == pytest.approx(
        sim.power_kw(charger) * 1000
    )


@pytest.mark.usefixtures("external_url")
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": basic_auth_header(WEBHOOK_USERNAME, "wrong")},
        {"Authorization": "Bearer x"},
        {"Authorization": "Basic é"},
    ],
)
async def test_push_without_credentials_is_refused(
    hass: HomeAssistant,
    setup_entry: SetUp,
    ha_client: TestClient,
    sim: SmartMeSimulator,
    headers: dict[str, str],
) -> None:
    """Only smart-me, with the generated credentials, may push."""
    entry = await setup_entry()
    response = await ha_client.post(
        HOOK_PATH, data=sim.encode_push([BILANZ_ID]), headers=headers
    )
    assert response.status == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    realtime = realtime_of(entry)
    assert realtime.webhook.stats.unauthorized == 1
    assert realtime.webhook.stats.applied == 0


@pytest.mark.usefixtures("external_url")
async def test_only_post(
    hass: HomeAssistant, setup_entry: SetUp, ha_client: TestClient
) -> None:
    """The webhook takes POST only."""
    await setup_entry()
    response = await ha_client.put(HOOK_PATH, data=b"", headers=PUSH_AUTH)
    assert response.status == 405


@pytest.mark.usefixtures("external_url")
@pytest.mark.parametrize("chunked", [False, True])
async def test_push_too_large(
    hass: HomeAssistant, setup_entry: SetUp, ha_client: TestClient, chunked: bool
) -> None:
    """More than 256 KiB is refused with 413, declared or not."""
    entry = await setup_entry()
    body = b"\x00" * (256 * 1024 + 1)

    async def stream() -> Any:
        yield body[:100_000]
        yield body[100_000:]

    response = await ha_client.post(
        HOOK_PATH, data=stream() if chunked else body, headers=PUSH_AUTH
    )
    assert response.status == 413
    realtime = realtime_of(entry)
    assert realtime.webhook.stats.too_large == 1


@pytest.mark.usefixtures("external_url")
async def test_garbage_is_400(
    hass: HomeAssistant,
    setup_entry: SetUp,
    ha_client: TestClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A body that is not a DeviceDataArray is refused, nothing changes."""
    entry = await setup_entry()
    before = state(hass, POWER)
    response = await ha_client.post(
        HOOK_PATH, data=b"\xff\xfe garbage", headers=PUSH_AUTH
    )
    assert response.status == 400
    assert state(hass, POWER) == before
    realtime = realtime_of(entry)
    assert realtime.webhook.stats.bad_payload == 1
    assert "not smart-me data" in caplog.text


@pytest.mark.usefixtures("external_url")
async def test_unknown_device_reads_the_list_once(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
) -> None:
    """A push of a new device is counted and makes the device list be read once."""
    entry = await setup_entry()
    new = SimDevice(
        raw={
            "Id": "0b6b1f34-5d3c-4b0a-9f51-2fd0c5b0a001",
            "Name": "Heat pump",
            "DeviceEnergyType": 1,
            "ActivePower": 1.2,
            "CounterReadingImport": 10.0,
        },
        import_kw=1.2,
    )
    payload = encode_realtime([sim.realtime_data(new)])
    sim.log.clear()
    frozen.tick(timedelta(seconds=5))
    assert await sim.push(payload=payload) == [200]
    assert await sim.push(payload=payload) == [200]
    await hass.async_block_till_done(wait_background_tasks=True)
    assert sim.log.count("devices") == 1
    realtime = realtime_of(entry)
    assert realtime.webhook.stats.unknown_devices == {new.id: 2}
    # Once the account lists it, the device gets its entities.
    sim.devices[new.id] = new
    await async_advance(hass, frozen, timedelta(minutes=1))
    assert float(state(hass, "sensor.heat_pump_power")) == pytest.approx(
        sim.power_kw(new) * 1000
    )
    assert realtime.diagnostics()["unknown_devices"] == {new.id: 2}


@pytest.mark.usefixtures("external_url", "entity_registry_enabled_by_default")
async def test_out_of_order_pushes(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    ha_client: TestClient,
    frozen: FrozenDateTimeFactory,
) -> None:
    """A push older than what is shown is ignored; so is a poll older than a push."""
    entry = await setup_entry()
    device = sim.devices[BILANZ_ID]
    frozen.tick(timedelta(seconds=20))
    newer = sim.realtime_data(device)
    older = RealtimeDeviceData(
        device_id=BILANZ_ID,
        timestamp=newer.timestamp - timedelta(seconds=10),
        values={**newer.values, "1-0:32.7.0*255": 100.0},
    )
    for item in (newer, older):
        response = await ha_client.post(
            HOOK_PATH, data=encode_realtime([item]), headers=PUSH_AUTH
        )
        assert response.status == 200
    assert state(hass, "sensor.bilanz_vk_voltage_l1") == "230.0"
    realtime = realtime_of(entry)
    assert (realtime.webhook.stats.applied, realtime.webhook.stats.not_newer) == (1, 1)
    # The next poll reports the upload of 12:00:00, older than the push.
    sim.devices[BILANZ_ID].raw["VoltageL1"] = 100.0
    await async_advance(hass, frozen, timedelta(seconds=30))
    assert state(hass, "sensor.bilanz_vk_voltage_l1") == "230.0"
    assert state(hass, "sensor.bilanz_vk_last_update") == "2026-10-20T12:00:50+00:00"


@pytest.mark.usefixtures("external_url", "entity_registry_enabled_by_default")
async def test_push_writes_only_what_changed(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    ha_client: TestClient,
    frozen: FrozenDateTimeFactory,
) -> None:
    """A push writes the states whose value it changed, and no other."""
    await setup_entry()
    frozen.tick(timedelta(seconds=20))
    first = sim.realtime_data(sim.devices[BILANZ_ID])
    response = await ha_client.post(
        HOOK_PATH, data=encode_realtime([first]), headers=PUSH_AUTH
    )
    assert response.status == 200
    written: list[str] = []

    @callback
    def _written(event: Event[EventStateChangedData]) -> None:
        written.append(event.data["entity_id"])

    hass.bus.async_listen(EVENT_STATE_CHANGED, _written)
    # The same values, one second later: only the time of the reading moved.
    again = RealtimeDeviceData(
        device_id=BILANZ_ID,
        timestamp=first.timestamp + timedelta(seconds=1),
        values=first.values,
    )
    # Then a new voltage on L1 and a new frequency.
    changed = RealtimeDeviceData(
        device_id=BILANZ_ID,
        timestamp=first.timestamp + timedelta(seconds=2),
        values={**first.values, "1-0:32.7.0*255": 231.5, "1-0:14.7.0*255": 49.9},
    )
    writes = []
    for item in (again, changed):
        response = await ha_client.post(
            HOOK_PATH, data=encode_realtime([item]), headers=PUSH_AUTH
        )
        assert response.status == 200
        await hass.async_block_till_done()
        writes.append(sorted(written))
        written.clear()
    assert writes == [
        ["sensor.bilanz_vk_last_update"],
        [
            "sensor.bilanz_vk_frequency",
            "sensor.bilanz_vk_last_update",
            "sensor.bilanz_vk_voltage_l1",
        ],
    ]
    assert state(hass, "sensor.bilanz_vk_voltage_l1") == "231.5"
    assert state(hass, "sensor.bilanz_vk_frequency") == "49.9"


@pytest.mark.usefixtures("external_url")
async def test_push_brings_back_what_it_did_not_change(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    ha_client: TestClient,
    frozen: FrozenDateTimeFactory,
) -> None:
    """After an outage, a push makes every sensor available, changed or not."""
    await setup_entry()
    before = state(hass, "sensor.bilanz_vk_voltage_l2")
    sim.faults.add("devices", status=503)
    await async_advance(hass, frozen, timedelta(minutes=13), step=timedelta(minutes=1))
    assert state(hass, "sensor.bilanz_vk_voltage_l2") == "unavailable"
    uploaded = sim.realtime_data(sim.devices[BILANZ_ID])
    # The push carries the voltage L2 the sensor showed before the outage.
    push = RealtimeDeviceData(
        device_id=BILANZ_ID,
        timestamp=uploaded.timestamp,
        values={**uploaded.values, "1-0:52.7.0*255": float(before)},
    )
    response = await ha_client.post(
        HOOK_PATH, data=encode_realtime([push]), headers=PUSH_AUTH
    )
    assert response.status == 200
    await hass.async_block_till_done()
    assert state(hass, "sensor.bilanz_vk_voltage_l2") == before
    assert state(hass, POWER) != "unavailable"


@pytest.mark.usefixtures("external_url")
async def test_burst_of_1000_pushes(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    ha_client: TestClient,
) -> None:
    """1,000 pushes in a row are all applied, the last one shown."""
    entry = await setup_entry()
    device = sim.devices[BILANZ_ID]
    first = sim.realtime_data(device)
    bodies = [
        encode_realtime(
            [
                RealtimeDeviceData(
                    device_id=BILANZ_ID,
                    timestamp=first.timestamp + timedelta(milliseconds=n + 1),
                    values={**first.values, "1-0:32.7.0*255": 200.0 + n / 10},
                )
            ]
        )
        for n in range(1000)
    ]
    for body in bodies:
        response = await ha_client.post(HOOK_PATH, data=body, headers=PUSH_AUTH)
        assert response.status == 200
    realtime = realtime_of(entry)
    assert realtime.webhook.stats.applied == 1000
    assert state(hass, "sensor.bilanz_vk_voltage_l1") == "299.9"


@pytest.mark.usefixtures("external_url")
async def test_polling_backs_off_while_pushes_arrive(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
) -> None:
    """Every device pushing: the list is polled only as a safety net."""
    del sim.devices[WATER_ID]
    # Its zero counters keep its pushes uncalibrated (see test_calibration).
    del sim.devices[ZERO_CHARGER_ID]
    entry = await setup_entry()
    account = smartme_data(entry).account
    sim.log.clear()
    for _ in range(10):
        frozen.tick(timedelta(seconds=30))
        await sim.push()
        await async_advance(hass, frozen, timedelta(seconds=30))
    assert account.poll_period == SAFETY_POLL_INTERVAL
    assert sim.log.count("devices") <= 1
    # Pushes stop: polling resumes within the push window and a minute.
    sim.log.clear()
    await async_advance(
        hass, frozen, PUSH_WINDOW + timedelta(minutes=2), step=timedelta(minutes=1)
    )
    assert account.poll_period == timedelta(seconds=60)
    assert sim.log.count("devices") >= 2


@pytest.mark.usefixtures("external_url")
async def test_polling_goes_on_for_devices_that_do_not_push(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
) -> None:
    """The water meter does not push: the list keeps being polled."""
    entry = await setup_entry()
    frozen.tick(timedelta(seconds=30))
    await sim.push()
    await hass.async_block_till_done()
    assert smartme_data(entry).account.poll_period == timedelta(seconds=60)


@pytest.mark.usefixtures("external_url")
async def test_handler_answers_anything(
    hass: HomeAssistant, sim: SmartMeSimulator, setup_entry: SetUp
) -> None:
    """Random bodies, as a cloudhook hands them over, get 200 or 400: no exception."""
    entry = await setup_entry()
    realtime = realtime_of(entry)
    rng = random.Random(5)
    valid = sim.encode_push([BILANZ_ID, PLUG_ID])
    bodies = [
        bytes(rng.randrange(256) for _ in range(rng.randrange(64))) for _ in range(200)
    ]
    bodies += [valid[: rng.randrange(len(valid))] for _ in range(100)]
    for body in bodies:
        request = MockRequest(
            content=body, mock_source="cloudhook", method="POST", headers=PUSH_AUTH
        )
        response = await realtime.webhook.async_handle(hass, WEBHOOK_ID, request)  # type: ignore[arg-type]
        assert response.status in (200, 400)
    request = MockRequest(
        content=b"", mock_source="test", headers={**PUSH_AUTH, "Content-Length": "x"}
    )
    response = await realtime.webhook.async_handle(hass, WEBHOOK_ID, request)  # type: ignore[arg-type]
    assert response.status == 200


@pytest.mark.usefixtures("external_url")
async def test_unload_stops_the_webhook(
    hass: HomeAssistant,
    setup_entry: SetUp,
    ha_client: TestClient,
    sim: SmartMeSimulator,
) -> None:
    """After unloading, pushes reach no handler (webhook answers 200 blindly)."""
    entry = await setup_entry()
    realtime = realtime_of(entry)
    assert await hass.config_entries.async_unload(entry.entry_id)
    response = await ha_client.post(HOOK_PATH, data=b"\xff", headers=PUSH_AUTH)
    assert response.status == 200
    assert realtime.webhook.stats.received == 0
    assert entry.data[CONF_WEBHOOK_ID] == WEBHOOK_ID


@pytest.mark.usefixtures("external_url")
async def test_body_lost_midway(hass: HomeAssistant, setup_entry: SetUp) -> None:
    """A sender that goes away mid-body gets a 400, nothing raised."""
    entry = await setup_entry()
    realtime = realtime_of(entry)

    class Broken:
        async def read(self, count: int = -1) -> bytes:
            raise OSError("connection reset")

    request = types.SimpleNamespace(headers=PUSH_AUTH, content=Broken())
    response = await realtime.webhook.async_handle(hass, WEBHOOK_ID, request)  # type: ignore[arg-type]
    assert response.status == 400


@pytest.mark.usefixtures("external_url")
async def test_pushes_keep_values_current_while_polls_fail(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
) -> None:
    """A pushing device stays current without polls, until its pushes stop too."""
    entry = await setup_entry()
    delay = smartme_data(entry).account.expected_delay
    sim.faults.add("devices", status=503)
    for _ in range(2 * delay // timedelta(minutes=1)):
        frozen.tick(timedelta(seconds=30))
        assert await sim.push([BILANZ_ID]) == [200]
        await async_advance(hass, frozen, timedelta(seconds=30))
    assert state(hass, POWER) != "unavailable"
    assert state(hass, "sensor.boiler_plug_power") == "unavailable"

    # The last push was 30 s ago.
    await async_advance(hass, frozen, delay - timedelta(minutes=1))
    assert state(hass, POWER) != "unavailable"
    await async_advance(hass, frozen, timedelta(minutes=1))
    assert state(hass, POWER) == "unavailable"
