"""Setting up, polling and unloading SMA accounts against the simulator."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_CLIENT_SECRET, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.solar_cloud.const import DOMAIN
from custom_components.solar_cloud.sma.const import CONF_PLANT_MIGRATIONS

from ..common import async_advance, devices_without_entities, find_device
from ..const import NOON
from ..simulator.core import RunningSimulator
from ..simulator.sma import CLASSIC_PLANT, DEMO_OWNER, SANDBOX_OWNER, SmaSimulator
from .const import PV_ENERGY, PV_POWER


def _device(
    hass: HomeAssistant, entry: MockConfigEntry, key: str
) -> dr.DeviceEntry | None:
    return find_device(hass, entry, f"sma_{key}")


def _pv_power_shown(hass: HomeAssistant) -> bool:
    return hass.states.get(PV_POWER).state != STATE_UNAVAILABLE


@pytest.mark.freeze_time(NOON)
async def test_setup_registers_plants_and_devices_and_unload_ends_the_session(
    hass: HomeAssistant,
    custom_entry: MockConfigEntry,
    sim: SmaSimulator,
) -> None:
    """Plants and their active devices become devices; unload logs out."""
    assert await hass.config_entries.async_setup(custom_entry.entry_id)
    assert custom_entry.state is ConfigEntryState.LOADED

    plant = _device(hass, custom_entry, "13")
    assert plant is not None
    assert plant.name == "Testplant 1"
    assert plant.model == "Sunny Portal powered by ennexOS"
    inverter = _device(hass, custom_entry, "13_16")
    assert inverter is not None
    assert inverter.via_device_id == plant.id
    assert (inverter.model, inverter.serial_number) == ("STP 6000TL-20", "3421111")
    # The deactivated inverter of TestPlant2 is no device.
    assert _device(hass, custom_entry, "24_25") is not None
    assert _device(hass, custom_entry, "24_26") is None
    # The EDMM and the gas meter report no set the integration reads: no device.
    assert _device(hass, custom_entry, "13_15") is None
    assert _device(hass, custom_entry, "13_21") is None
    await hass.async_block_till_done()
    assert devices_without_entities(hass, custom_entry.entry_id) == []
    # Only the sets the integration shows are read, and only the newest values.
    reads = {r.path.split("/")[-5] for r in sim.log.of("device_measurements")}
    assert reads <= {"16", "17", "18", "19", "20", "22", "23", "14", "25"}
    assert all(r.path.endswith("/Recent") for r in sim.log.of("device_measurements"))

    assert await hass.config_entries.async_unload(custom_entry.entry_id)
    assert sim.logouts == ["custom-client"]
    assert sim.oauth.refresh_tokens == {}


@pytest.mark.freeze_time(NOON)
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_reload_soon_after_setup_shows_every_entity(
    hass: HomeAssistant,
    loaded_custom: MockConfigEntry,
    sim: SmaSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Reloaded a second after setup (the demo's entry does), every value is back.

    The calls setup has just made must not push the reloaded account's first
    polls into the next window: its entities would have no state for minutes.
    """
    entities = er.async_entries_for_config_entry(
        er.async_get(hass), loaded_custom.entry_id
    )
    registry = dr.async_get(hass)
    on_devices = [
        entity
        for entity in entities
        if (device := registry.async_get(entity.device_id or "")) is not None
        and device.via_device_id is not None
    ]
    # Four plants and their inverters, batteries and meters.
    assert len(on_devices) > 20
    assert len(entities) > len(on_devices) + 20
    # What the simulator gives values for (a feed-in limit not sent yet: none).
    valued = {e.entity_id for e in entities if _has_value(hass, e.entity_id)}
    assert {e.entity_id for e in entities if e.domain == "sensor"} <= valued

    await async_advance(hass, freezer, timedelta(seconds=1))
    sim.log.clear()
    assert await hass.config_entries.async_reload(loaded_custom.entry_id)
    await async_advance(hass, freezer, timedelta(seconds=5), step=timedelta(seconds=1))

    assert loaded_custom.state is ConfigEntryState.LOADED
    assert sim.log.count(status=429) == 0
    states = {e.entity_id: hass.states.get(e.entity_id) for e in entities}
    assert [e for e, state in states.items() if state is None] == []
    assert [e for e in valued if not _has_value(hass, e)] == []
    assert [e for e, s in states.items() if s and s.state == STATE_UNAVAILABLE] == []


def _has_value(hass: HomeAssistant, entity_id: str) -> bool:
    state = hass.states.get(entity_id)
    return state is not None and state.state not in (STATE_UNAVAILABLE, STATE_UNKNOWN)


@pytest.mark.parametrize(
    ("fault", "state"),
    [
        (("plants", {"status": 503}), ConfigEntryState.SETUP_RETRY),
        (("energy_balance", {"status": 503}), ConfigEntryState.SETUP_RETRY),
        (("oauth_token", {"status": 429}), ConfigEntryState.SETUP_RETRY),
        (("oauth_token", {"status": 401, "body": b'{"error": "invalid_client"}'}), ConfigEntryState.SETUP_ERROR),
    ],
)  # fmt: skip
async def test_setup_errors(
    hass: HomeAssistant,
    custom_entry: MockConfigEntry,
    sim: SmaSimulator,
    fault: tuple[str, dict[str, object]],
    state: ConfigEntryState,
) -> None:
    """Outages retry setup; refused credentials ask for new ones."""
    sim.faults.add(fault[0], **fault[1])
    await hass.config_entries.async_setup(custom_entry.entry_id)
    assert custom_entry.state is state


async def test_logout_failure_does_not_block_unload(
    hass: HomeAssistant, loaded_custom: MockConfigEntry, sim: SmaSimulator
) -> None:
    """SMA failing the logout is only logged."""
    sim.faults.add("logout", status=503)
    assert await hass.config_entries.async_unload(loaded_custom.entry_id)
    assert loaded_custom.state is ConfigEntryState.NOT_LOADED


@pytest.mark.freeze_time(NOON)
async def test_revoked_consent(
    hass: HomeAssistant,
    *,
    loaded_custom: MockConfigEntry,
    sim: SmaSimulator,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Revocation: a repair issue and a reauth flow; nothing recorded is deleted."""
    sim.set_consent(SANDBOX_OWNER, "revoked")
    await async_advance(hass, freezer, timedelta(hours=1), step=timedelta(minutes=15))

    issue = issue_registry.async_get_issue(
        DOMAIN, f"{loaded_custom.entry_id}_sma_consent_refused"
    )
    assert issue is not None
    assert issue.translation_placeholders == {
        "entry": SANDBOX_OWNER,
        "owner": SANDBOX_OWNER,
        "state": "revoked",
    }
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    assert _device(hass, loaded_custom, "13") is not None
    assert _device(hass, loaded_custom, "13_16") is not None
    # The plant's data is gone from SMA too: its values go stale, not away.
    await async_advance(hass, freezer, timedelta(hours=1), step=timedelta(minutes=15))
    assert not _pv_power_shown(hass)
    assert hass.states.get(PV_ENERGY) is not None

    # The reauth flow asks the owner again; accepted, the account comes back.
    result = await hass.config_entries.flow.async_configure(flows[0]["flow_id"], {})
    assert result["step_id"] == "sma_consent"
    assert sim.consents[("custom-client", SANDBOX_OWNER)].state == "pending"
    sim.set_consent(SANDBOX_OWNER, "accepted")
    freezer.tick(timedelta(seconds=10))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert loaded_custom.state is ConfigEntryState.LOADED
    assert _pv_power_shown(hass)
    assert not issue_registry.async_get_issue(
        DOMAIN, f"{loaded_custom.entry_id}_sma_consent_refused"
    )


async def test_logs_name_the_account_not_the_owner(
    hass: HomeAssistant,
    *,
    loaded_custom: MockConfigEntry,
    sim: SmaSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The owner's e-mail (also the account's title) never reaches the log."""
    caplog.set_level(logging.DEBUG, logger="custom_components.solar_cloud")
    sim.set_consent(SANDBOX_OWNER, "pending")
    await async_advance(hass, freezer, timedelta(hours=1), step=timedelta(minutes=15))
    assert f"Finished fetching SMA account {loaded_custom.entry_id}" in caplog.text
    assert SANDBOX_OWNER not in caplog.text


@pytest.fixture
def entry(request: pytest.FixtureRequest) -> MockConfigEntry:
    """Return the entry fixture a test names in its parameters (not set up)."""
    entry: MockConfigEntry = request.getfixturevalue(request.param)
    return entry


def _withdraw_consent_scope(sim: SmaSimulator) -> None:
    """The owner consented, but SMA shows none of their plants."""
    sim.consents[("custom-client", SANDBOX_OWNER)].scope = set()


def _owner_without_plants(sim: SmaSimulator) -> None:
    """The signed-in owner has no plant at all."""
    sim.owners[SANDBOX_OWNER] = []


@pytest.mark.freeze_time(NOON)
@pytest.mark.parametrize(
    ("entry", "no_plants", "reauth_step"),
    [
        ("custom_entry", _withdraw_consent_scope, "sma_reauth_custom"),
        ("code_entry", _owner_without_plants, "sma_reauth_code"),
    ],
    ids=["accepted_consent", "code_flow"],
    indirect=["entry"],
)
async def test_sign_in_without_plants_asks_again(
    hass: HomeAssistant,
    *,
    sim: SmaSimulator,
    issue_registry: ir.IssueRegistry,
    entry: MockConfigEntry,
    no_plants: Callable[[SmaSimulator], None],
    reauth_step: str,
) -> None:
    """A sign-in whose plants SMA does not show: a repair, and sign in again."""
    no_plants(sim)
    await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert issue_registry.async_get_issue(DOMAIN, f"{entry.entry_id}_sma_no_plants")
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["step_id"] for flow in flows] == [reauth_step]


@pytest.mark.freeze_time(NOON)
async def test_plants_another_account_shows(
    hass: HomeAssistant,
    *,
    loaded_custom: MockConfigEntry,
    code_entry: MockConfigEntry,
    sim: SmaSimulator,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """The owner's second account loads without the plants the first shows.

    No authentication failure, no reauth loop: a repair says which plants the
    other account shows. Once that account is gone, the plants move over.
    """
    assert await hass.config_entries.async_setup(code_entry.entry_id)
    await hass.async_block_till_done()
    assert code_entry.state is ConfigEntryState.LOADED
    assert code_entry.runtime_data.plants == {}
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert not issue_registry.async_get_issue(
        DOMAIN, f"{code_entry.entry_id}_sma_no_plants"
    )
    issue = issue_registry.async_get_issue(
        DOMAIN, f"{code_entry.entry_id}_sma_plants_shown_elsewhere"
    )
    assert issue is not None
    assert issue.translation_placeholders["plants"].startswith(
        f"Testplant 1 (13): {loaded_custom.title}; "
    )
    assert _device(hass, loaded_custom, "13") is not None
    assert _device(hass, code_entry, "13") is None

    await hass.config_entries.async_remove(loaded_custom.entry_id)
    await async_advance(hass, freezer, timedelta(hours=1), step=timedelta(minutes=15))
    assert code_entry.state is ConfigEntryState.LOADED
    assert set(code_entry.runtime_data.plants) == {"13", "24", "35", "46"}
    assert _device(hass, code_entry, "13") is not None
    assert not issue_registry.async_get_issue(
        DOMAIN, f"{code_entry.entry_id}_sma_plants_shown_elsewhere"
    )


@pytest.mark.freeze_time(NOON)
async def test_expired_token_mid_poll(
    hass: HomeAssistant,
    loaded_custom: MockConfigEntry,
    sim: SmaSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """SMA ending the session early costs one renewal, not a failed update."""
    sim.end_sessions()
    sim.log.clear()
    coordinator = loaded_custom.runtime_data.plants["13"].energy
    await coordinator.async_refresh()
    assert coordinator.last_update_success
    assert [r.status for r in sim.log.of("energy_balance")] == [401, 200]
    assert sim.log.count("oauth_token") == 1
    assert _pv_power_shown(hass)


@pytest.mark.freeze_time(NOON)
async def test_renewed_token_refused_signs_in_anew(
    hass: HomeAssistant, loaded_custom: MockConfigEntry, sim: SmaSimulator
) -> None:
    """A pair of 401s costs a new sign-in with the client credentials, no reauth."""
    sim.faults.add("energy_balance", status=401, times=2)
    sim.log.clear()
    coordinator = loaded_custom.runtime_data.plants["13"].energy
    await coordinator.async_refresh()
    assert coordinator.last_update_success
    assert [r.status for r in sim.log.of("energy_balance")][:3] == [401, 401, 200]
    assert (
        "grant_type=client_credentials" in sim.log.of("oauth_token")[-1].body.decode()
    )
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def _assert_pv_power_shown_until(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    expires: datetime,
    *,
    step: timedelta | None = None,
) -> None:
    """Assert the PV power is shown up to ``expires`` and not a second later."""
    await async_advance(
        hass, freezer, expires - timedelta(seconds=1) - dt_util.utcnow(), step=step
    )
    assert _pv_power_shown(hass)
    await async_advance(hass, freezer, timedelta(seconds=1))
    assert not _pv_power_shown(hass)


@pytest.mark.freeze_time(NOON)
async def test_values_turn_stale_after_an_authentication_failure(
    hass: HomeAssistant,
    loaded_custom: MockConfigEntry,
    sim: SmaSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """401s a new sign-in does not cure stop the polls; values go once too old."""
    energy = loaded_custom.runtime_data.plants["13"].energy
    expires = energy.data.latest.time + energy.expected_delay
    sim.faults.add("*", status=401)
    while not hass.config_entries.flow.async_progress_by_handler(DOMAIN):
        assert dt_util.utcnow() < expires - timedelta(minutes=1)
        await async_advance(hass, freezer, timedelta(minutes=1))
    asked = sim.log.count("energy_balance")

    await _assert_pv_power_shown_until(hass, freezer, expires)
    assert sim.log.count("energy_balance") == asked

    # What a finished reauth does: the entry is set up again.
    sim.faults.clear()
    await hass.config_entries.async_reload(loaded_custom.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _pv_power_shown(hass)


@pytest.mark.freeze_time(NOON)
async def test_failing_polls_keep_values_for_their_delay(
    hass: HomeAssistant,
    loaded_custom: MockConfigEntry,
    sim: SmaSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Failing polls keep the newest interval until it is too old; then it returns."""
    energy = loaded_custom.runtime_data.plants["13"].energy
    expires = energy.data.latest.time + energy.expected_delay
    sim.faults.add("energy_balance", status=503)
    await _assert_pv_power_shown_until(
        hass, freezer, expires, step=timedelta(minutes=5)
    )

    sim.faults.clear()
    await async_advance(hass, freezer, timedelta(minutes=15), step=timedelta(minutes=5))
    assert _pv_power_shown(hass)


@pytest.mark.freeze_time(NOON)
async def test_rate_limit_retry_after_is_waited_out(
    hass: HomeAssistant,
    loaded_custom: MockConfigEntry,
    sim: SmaSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A 429 asking for 30 minutes: no coordinator calls SMA before they are up."""
    sim.log.clear()
    sim.faults.add(
        "energy_balance", status=429, headers={"Retry-After": "1800"}, times=1
    )
    await async_advance(hass, freezer, timedelta(minutes=29), step=timedelta(minutes=1))
    # Calls already on their way when the 429 came are answered; none after.
    refused = sim.log.of("energy_balance")[0]
    assert refused.status == 429
    assert {r.at for r in sim.log.requests} == {refused.at}
    await async_advance(hass, freezer, timedelta(minutes=6), step=timedelta(minutes=1))
    assert sim.log.count("energy_balance", status=200) > 0
    assert _pv_power_shown(hass)


@pytest.mark.freeze_time(NOON)
@pytest.mark.parametrize("owner", [DEMO_OWNER])
async def test_moved_plant_keeps_its_device(
    hass: HomeAssistant,
    loaded_custom: MockConfigEntry,
    sim: SmaSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A plant SMA moves (308) keeps its device and history; the move is kept."""
    plant = _device(hass, loaded_custom, CLASSIC_PLANT)
    assert plant is not None
    sim.move_plant(CLASSIC_PLANT, "8800001")
    await async_advance(hass, freezer, timedelta(hours=1), step=timedelta(minutes=15))

    assert loaded_custom.data[CONF_PLANT_MIGRATIONS] == {CLASSIC_PLANT: "8800001"}
    assert loaded_custom.state is ConfigEntryState.LOADED
    assert _device(hass, loaded_custom, CLASSIC_PLANT) == plant
    assert _device(hass, loaded_custom, "8800001") is None
    state = hass.states.get("sensor.home_manager_plant_pv_energy")
    assert state is not None
    assert state.state != STATE_UNAVAILABLE


@pytest.mark.freeze_time(NOON)
@pytest.mark.parametrize("owner", [DEMO_OWNER])
async def test_moved_plant_found_by_the_plant_list(
    hass: HomeAssistant,
    loaded_custom: MockConfigEntry,
    sim: SmaSimulator,
) -> None:
    """A plant listed under a new id is asked for by its old one (308) first."""
    sim.move_plant(CLASSIC_PLANT, "8800001")
    inventory = loaded_custom.runtime_data.inventory
    await inventory.async_refresh()
    assert set(inventory.data.plants) == {
        "7190000",
        CLASSIC_PLANT,
        "7c1d2e3f-0a1b-4c2d-8e3f-4a5b6c7d8e9f",
    }
    assert inventory.data.plants[CLASSIC_PLANT].details.plant_id == "8800001"
    assert loaded_custom.data[CONF_PLANT_MIGRATIONS] == {CLASSIC_PLANT: "8800001"}
    assert _device(hass, loaded_custom, CLASSIC_PLANT) is not None


@pytest.mark.freeze_time(NOON)
async def test_deactivated_device_is_removed(
    hass: HomeAssistant,
    loaded_custom: MockConfigEntry,
    sim: SmaSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A device SMA deactivates disappears; its plant reloads without it."""
    inverter = sim.plants["13"].devices[3]
    inverter.active = False
    inverter.deactivated_at = "2026-06-21T12:00:00"
    await async_advance(hass, freezer, timedelta(hours=1), step=timedelta(minutes=30))
    await hass.async_block_till_done()
    assert _device(hass, loaded_custom, "13_17") is None
    assert loaded_custom.state is ConfigEntryState.LOADED
    assert hass.states.get("sensor.my_inverter_2_pv_power") is None


@pytest.mark.freeze_time(NOON)
async def test_code_flow_refresh_token_dies(
    hass: HomeAssistant,
    code_entry: MockConfigEntry,
    sim: SmaSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The code flow refreshes through Home Assistant; a dead grant asks to sign in."""
    assert await hass.config_entries.async_setup(code_entry.entry_id)
    first = code_entry.data["token"]["access_token"]
    # Polls come a moment after the intervals appear (at once here).
    await async_advance(hass, freezer, timedelta(minutes=15, seconds=5))
    assert code_entry.data["token"]["access_token"] != first
    assert _pv_power_shown(hass)

    sim.oauth.revoke_all()
    await async_advance(hass, freezer, timedelta(minutes=15, seconds=5))
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]


@pytest.mark.freeze_time(NOON)
async def test_code_flow_session_ends_when_the_account_is_deleted(
    hass: HomeAssistant, code_entry: MockConfigEntry, sim: SmaSimulator
) -> None:
    """Unloading keeps the offline session; deleting the account ends it."""
    assert await hass.config_entries.async_setup(code_entry.entry_id)
    assert await hass.config_entries.async_unload(code_entry.entry_id)
    assert sim.logouts == []
    await hass.config_entries.async_remove(code_entry.entry_id)
    assert sim.logouts == ["code-client"]


async def test_code_flow_removal_without_credential_or_server(
    hass: HomeAssistant, code_entry: MockConfigEntry, sim: SmaSimulator
) -> None:
    """Removal succeeds when the session cannot be ended."""
    sim.faults.add("logout", status=503)
    await hass.config_entries.async_remove(code_entry.entry_id)
    assert not hass.config_entries.async_entries(DOMAIN)

    entry = MockConfigEntry(
        domain=DOMAIN, data={**code_entry.data, "auth_implementation": "gone"}
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_remove(entry.entry_id)
    assert sim.logouts == []


async def test_custom_flow_removal_needs_no_logout(
    hass: HomeAssistant, custom_entry: MockConfigEntry, sim: SmaSimulator
) -> None:
    """A custom-flow session already ended when the entry unloaded."""
    await hass.config_entries.async_remove(custom_entry.entry_id)
    assert sim.log.count("logout") == 0


async def test_wrong_secret_in_the_custom_flow(
    hass: HomeAssistant, custom_entry: MockConfigEntry, cloud: RunningSimulator
) -> None:
    """A secret SMA no longer accepts starts the reauth flow."""
    hass.config_entries.async_update_entry(
        custom_entry, data={**custom_entry.data, CONF_CLIENT_SECRET: "old"}
    )
    await hass.config_entries.async_setup(custom_entry.entry_id)
    assert custom_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["step_id"] for flow in flows] == ["sma_reauth_custom"]


@pytest.mark.freeze_time(NOON)
async def test_plant_no_longer_shared(
    hass: HomeAssistant,
    loaded_custom: MockConfigEntry,
    sim: SmaSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A plant the owner no longer shares goes; the user may then delete leftovers."""
    from custom_components.solar_cloud import async_remove_config_entry_device

    plant_4 = _device(hass, loaded_custom, "46")
    assert plant_4 is not None
    assert not await async_remove_config_entry_device(hass, loaded_custom, plant_4)
    sim.consents[("custom-client", SANDBOX_OWNER)].scope.discard("46")
    await async_advance(hass, freezer, timedelta(hours=1), step=timedelta(minutes=30))
    await hass.async_block_till_done()
    assert _device(hass, loaded_custom, "46") is None
    assert set(loaded_custom.runtime_data.plants) == {"13", "24", "35"}


@pytest.mark.freeze_time(NOON)
async def test_gridcontrol_trouble_keeps_the_controls(
    hass: HomeAssistant, loaded_custom: MockConfigEntry, sim: SmaSimulator
) -> None:
    """An unreachable GridControl host changes nothing: the last answer holds."""
    sim.faults.add("eligibility", status=503)
    inventory = loaded_custom.runtime_data.inventory
    await inventory.async_refresh()
    assert inventory.last_update_success
    assert inventory.data.plants["13"].feed_in_control


@pytest.mark.freeze_time(NOON)
async def test_device_set_without_new_data(
    hass: HomeAssistant, loaded_custom: MockConfigEntry, sim: SmaSimulator
) -> None:
    """An empty answer keeps the last interval; its age decides availability."""
    devices = loaded_custom.runtime_data.plants["13"].devices
    before = devices.data["13_16"]["PowerAc"]
    sim.faults.add("device_measurements", body=b'{"set": []}')
    await devices.async_refresh()
    assert devices.last_update_success
    assert devices.data["13_16"]["PowerAc"] == before


async def test_code_flow_removal_with_an_own_implementation(
    hass: HomeAssistant, code_entry: MockConfigEntry, sim: SmaSimulator
) -> None:
    """An implementation that is no local credential cannot log out: removal goes on."""
    from homeassistant.helpers.config_entry_oauth2_flow import (
        AbstractOAuth2Implementation,
        async_register_implementation,
    )

    class Own(AbstractOAuth2Implementation):
        name = "own"
        domain = "own"

        async def async_generate_authorize_url(self, flow_id: str) -> str:
            raise NotImplementedError

        async def async_resolve_external_data(self, external_data: object) -> dict:
            raise NotImplementedError

        async def _async_refresh_token(self, token: dict) -> dict:
            raise NotImplementedError

    async_register_implementation(hass, DOMAIN, Own())
    hass.config_entries.async_update_entry(
        code_entry, data={**code_entry.data, "auth_implementation": "own"}
    )
    await hass.config_entries.async_remove(code_entry.entry_id)
    assert sim.log.count("logout") == 0
