"""Setting up a smart-me account: entities, devices, polling, removal."""

from __future__ import annotations

from datetime import timedelta
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.solar_cloud.const import DOMAIN
from custom_components.solar_cloud.smartme import PLATFORMS
from custom_components.solar_cloud.smartme.const import SAFETY_POLL_INTERVAL
from custom_components.solar_cloud.smartme.data import smartme_data
from custom_components.solar_cloud.smartme.sensor import async_setup_sensors
from custom_components.solar_cloud.smartme.switch import async_setup_switches

from ..common import async_advance
from ..simulator.smartme import (
    BILANZ_ID,
    HOUSE_ID,
    PLUG_ID,
    SimDevice,
    SmartMeSimulator,
    household_device,
)
from . import SetUp
from .const import CHARGER_ID, POWER, RELAY, USERNAME


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize(
    ("platform", "setup"),
    [(Platform.SENSOR, async_setup_sensors), (Platform.SWITCH, async_setup_switches)],
)
async def test_entities(  # noqa: PLR0917
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    setup_entry: SetUp,
    platform: Platform,
    setup: object,
) -> None:
    """The sample devices become these entities."""
    with patch.dict(PLATFORMS, {platform: setup}, clear=True):
        entry = await setup_entry()
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


async def test_devices(
    hass: HomeAssistant,
    device_registry: dr.DeviceRegistry,
    snapshot: SnapshotAssertion,
    setup_entry: SetUp,
) -> None:
    """One device per meter, with model and serial."""
    entry = await setup_entry()
    devices = dr.async_entries_for_config_entry(device_registry, entry.entry_id)
    assert len(devices) == 6
    charger = device_registry.async_get_device_by_identifier(
        (DOMAIN, f"smartme_{CHARGER_ID}"), entry.entry_id
    )
    assert charger is not None
    assert charger == snapshot


async def test_energy_sensors_suit_the_energy_dashboard(
    hass: HomeAssistant, setup_entry: SetUp
) -> None:
    """Import and export are kWh counters that only increase."""
    await setup_entry()
    for entity_id in (
        "sensor.bilanz_vk_energy_import",
        "sensor.bilanz_vk_energy_export",
    ):
        state = hass.states.get(entity_id)
        assert state is not None
        assert state.attributes["state_class"] == "total_increasing"
        assert state.attributes["unit_of_measurement"] == "kWh"
        assert state.attributes["device_class"] == "energy"


async def test_power_is_positive_for_import(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
) -> None:
    """The Energy dashboard's sign: positive imports, negative exports (PV at noon)."""
    sim.devices[HOUSE_ID] = household_device()
    await setup_entry()
    house = sim.devices[HOUSE_ID]
    imported, exported = house.power(sim.clock.now())
    assert exported > imported
    power = hass.states.get("sensor.house_power")
    assert power is not None
    assert float(power.state) == pytest.approx((imported - exported) * 1000, abs=1)
    assert float(power.state) < 0
    # In the evening the house draws from the grid.
    await async_advance(hass, frozen, timedelta(hours=7), step=timedelta(hours=1))
    imported, exported = house.power(sim.clock.now())
    assert imported > exported
    power = hass.states.get("sensor.house_power")
    assert power is not None
    assert float(power.state) > 0


async def test_values_follow_the_cloud(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
) -> None:
    """Polling shows what the cloud says now."""
    await setup_entry()
    device = sim.devices[BILANZ_ID]
    start = sim.clock.now()
    before = float(hass.states.get("sensor.bilanz_vk_energy_import").state)
    await async_advance(hass, frozen, timedelta(minutes=30), step=timedelta(minutes=1))
    after = float(hass.states.get("sensor.bilanz_vk_energy_import").state)
    # The integral of the device's power over the half hour (about 101.632 / 2).
    grown = device.energy(sim.clock.now())[0] - device.energy(start)[0]
    assert after == pytest.approx(before + grown, abs=0.01)


async def test_unload_and_reload(hass: HomeAssistant, setup_entry: SetUp) -> None:
    """An account unloads cleanly and loads again."""
    entry = await setup_entry()
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert entry.state is ConfigEntryState.NOT_LOADED
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED


@pytest.mark.parametrize(
    ("fault", "state"),
    [
        ({"status": 401}, ConfigEntryState.SETUP_ERROR),
        ({"status": 503}, ConfigEntryState.SETUP_RETRY),
        ({"body": b"not json"}, ConfigEntryState.SETUP_RETRY),
    ],
)
async def test_setup_fails(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    smartme_entry: MockConfigEntry,
    fault: dict[str, object],
    state: ConfigEntryState,
) -> None:
    """Refused credentials start reauth; outages retry."""
    sim.faults.add("devices", **fault)
    await hass.config_entries.async_setup(smartme_entry.entry_id)
    assert smartme_entry.state is state
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert bool(flows) is (fault == {"status": 401})


async def test_basic_auth_repair_issue(
    hass: HomeAssistant, basic_entry: MockConfigEntry, setup_entry: SetUp
) -> None:
    """Basic-auth accounts are asked to move to OAuth or an API key."""
    await setup_entry()
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"{basic_entry.entry_id}_smartme_basic_auth_deprecated"
    )
    assert issue is not None
    assert issue.translation_placeholders == {"entry": USERNAME}


async def test_api_key_accounts_have_no_basic_auth_issue(
    hass: HomeAssistant, setup_entry: SetUp
) -> None:
    """Accounts that moved on have no such issue."""
    entry = await setup_entry()
    assert (
        ir.async_get(hass).async_get_issue(
            DOMAIN, f"{entry.entry_id}_smartme_basic_auth_deprecated"
        )
        is None
    )


async def test_devices_come_and_go(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
    device_registry: dr.DeviceRegistry,
) -> None:
    """New meters get entities; vanished ones are removed."""
    entry = await setup_entry()
    new = SimDevice(
        raw={
            "Id": "0b6b1f34-5d3c-4b0a-9f51-2fd0c5b0a001",
            "Name": "Heat pump",
            "Serial": 4711,
            "DeviceEnergyType": 1,
            "ActivePower": 1.2,
            "CounterReadingImport": 10.0,
        }
    )
    sim.devices[new.id] = new
    plug = sim.devices.pop(PLUG_ID)
    plug_switches = [
        state.entity_id
        for state in hass.states.async_all("switch")
        if state.entity_id.startswith("switch.boiler_plug")
    ]
    assert plug_switches
    await async_advance(hass, frozen, timedelta(minutes=1))
    assert hass.states.get("sensor.heat_pump_power") is not None
    assert (
        device_registry.async_get_device_by_identifier(
            (DOMAIN, f"smartme_{PLUG_ID}"), entry.entry_id
        )
        is None
    )
    assert smartme_data(entry).device_keys() == set(sim.devices)
    assert all(hass.states.get(entity_id) is None for entity_id in plug_switches)

    # A meter that returns gets its entities again (at the next poll: the
    # polls now wait for the meters' upload moment, 03 s after 12:03).
    sim.devices[PLUG_ID] = plug
    await async_advance(hass, frozen, timedelta(minutes=2), step=timedelta(minutes=1))
    assert all(hass.states.get(entity_id) for entity_id in plug_switches)
    assert await hass.config_entries.async_forward_entry_unload(entry, Platform.SWITCH)


async def test_entities_stay_through_short_outages(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
) -> None:
    """A few failed polls keep the values; a long outage makes them unavailable."""
    await setup_entry()
    sim.faults.add("devices", status=503)
    await async_advance(hass, frozen, timedelta(minutes=3), step=timedelta(minutes=1))
    assert hass.states.get(POWER).state != "unavailable"
    await async_advance(hass, frozen, timedelta(minutes=10), step=timedelta(minutes=1))
    assert hass.states.get(POWER).state == "unavailable"
    sim.faults.clear()
    await async_advance(hass, frozen, timedelta(minutes=1))
    assert hass.states.get(POWER).state != "unavailable"


async def test_values_turn_stale_after_an_authentication_failure(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
) -> None:
    """A refused password stops the polls; the values go once they are too old."""
    entry = await setup_entry()
    delay = smartme_data(entry).account.expected_delay
    assert delay == timedelta(minutes=10)
    sim.faults.add("devices", status=401)
    await async_advance(hass, frozen, timedelta(minutes=1))
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    asked = sim.log.count("devices")

    await async_advance(hass, frozen, delay - timedelta(minutes=1, seconds=1))
    assert hass.states.get(POWER).state != "unavailable"
    await async_advance(hass, frozen, timedelta(seconds=1))
    assert hass.states.get(POWER).state == "unavailable"
    assert sim.log.count("devices") == asked

    # What a finished reauth does: the entry is set up again.
    sim.faults.clear()
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(POWER).state != "unavailable"


async def test_update_entity_reads_one_device(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
) -> None:
    """homeassistant.update_entity refreshes just that device."""
    await setup_entry()
    await hass.async_block_till_done()
    from homeassistant.setup import async_setup_component

    assert await async_setup_component(hass, "homeassistant", {})
    frozen.tick(timedelta(seconds=30))
    sim.log.clear()
    await hass.services.async_call(
        "homeassistant",
        "update_entity",
        {"entity_id": POWER},
        blocking=True,
    )
    assert sim.log.counts() == {"device": 1}


async def test_poll_interval_from_options(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    smartme_entry: MockConfigEntry,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
) -> None:
    """The poll interval is the option's."""
    hass.config_entries.async_update_entry(
        smartme_entry, options={**smartme_entry.options, "scan_interval": 300}
    )
    await setup_entry()
    sim.log.clear()
    # From 12:00:30: polls a few seconds after the meters' upload at 12:06 and 12:11.
    await async_advance(hass, frozen, timedelta(minutes=11), step=timedelta(minutes=1))
    assert sim.log.count("devices") == 2
    assert smartme_data(smartme_entry).account.poll_period == timedelta(minutes=5)
    assert timedelta(minutes=5) < SAFETY_POLL_INTERVAL
    assert BILANZ_ID in smartme_data(smartme_entry).account.device_coordinators


async def test_actions_unavailable(
    hass: HomeAssistant, sim: SmartMeSimulator, setup_entry: SetUp
) -> None:
    """Without the actions list, switches come only from reported states."""
    sim.faults.add("actions", status=403)
    await setup_entry()
    assert hass.states.get(RELAY) is not None
    assert hass.states.get("switch.bilanz_vk_output_1") is None


async def test_remove_entry_without_registration(
    hass: HomeAssistant, sim: SmartMeSimulator, smartme_entry: MockConfigEntry
) -> None:
    """An entry that never registered asks smart-me nothing when removed."""
    assert await hass.config_entries.async_remove(smartme_entry.entry_id)
    assert sim.log.count() == 0


async def test_remove_oauth_entry_without_credentials(
    hass: HomeAssistant, sim: SmartMeSimulator, smartme_entry: MockConfigEntry
) -> None:
    """Without its application credential the registration cannot be removed."""
    from homeassistant.setup import async_setup_component

    assert await async_setup_component(hass, "application_credentials", {})
    hass.config_entries.async_update_entry(
        smartme_entry,
        data={
            **smartme_entry.data,
            "auth_type": "oauth",
            "auth_implementation": "gone",
            "token": {"access_token": "x", "expires_at": 0},
            "realtime_url": "https://ha.example/api/webhook/x",
        },
    )
    assert await hass.config_entries.async_remove(smartme_entry.entry_id)
    assert sim.log.count() == 0


def test_runtime_data_of_another_vendor() -> None:
    """Asking a foreign entry for smart-me data is a programming error."""
    entry = MockConfigEntry(domain=DOMAIN)
    entry.runtime_data = object()
    with pytest.raises(TypeError):
        smartme_data(entry)  # type: ignore[arg-type]


def test_merge_reading() -> None:
    """Polls older than pushes are ignored; push-only values survive newer polls."""
    from datetime import UTC, datetime

    from custom_components.solar_cloud.api.smartme import MeterReading
    from custom_components.solar_cloud.smartme.coordinator import merge_reading

    t0 = datetime(2026, 10, 20, 12, tzinfo=UTC)
    pushed = MeterReading(timestamp=t0, power=5.0, frequency=50.0)
    assert (
        merge_reading(pushed, MeterReading(timestamp=t0 - timedelta(seconds=1))) is None
    )
    assert merge_reading(pushed, MeterReading(timestamp=t0, power=5.0)) is None
    assert merge_reading(pushed, MeterReading(timestamp=t0, power=6.0)) == MeterReading(
        timestamp=t0, power=6.0, frequency=50.0
    )
    assert merge_reading(None, pushed) is pushed


def test_merge_older_poll_before_calibration() -> None:
    """Uncalibrated, an older poll brings power and energy; counters never go back."""
    from datetime import UTC, datetime

    from custom_components.solar_cloud.api.smartme import MeterReading
    from custom_components.solar_cloud.smartme.coordinator import merge_reading

    t0 = datetime(2026, 10, 20, 12, tzinfo=UTC)
    shown = MeterReading(
        timestamp=t0, power=0.0, energy_import=2.0, energy_export=1.0, voltage=230.0
    )
    older = MeterReading(
        timestamp=t0 - timedelta(seconds=5),
        power=900.0,
        energy_import=2.5,
        energy_export=0.5,
        voltage=100.0,
    )
    assert merge_reading(shown, older, calibrated=True) is None
    assert merge_reading(shown, older, calibrated=False) == MeterReading(
        timestamp=t0, power=900.0, energy_import=2.5, energy_export=1.0, voltage=230.0
    )
    assert (
        merge_reading(
            shown, MeterReading(timestamp=older.timestamp, power=0.0), calibrated=False
        )
        is None
    )


async def test_bookkeeping_sensors_are_off_by_default(
    hass: HomeAssistant, setup_entry: SetUp, entity_registry: er.EntityRegistry
) -> None:
    """'Last update' changes with every push: it must not fill the logbook."""
    await setup_entry()
    entry = entity_registry.async_get("sensor.bilanz_vk_last_update")
    assert entry is not None
    assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    assert hass.states.get("sensor.bilanz_vk_last_update") is None
