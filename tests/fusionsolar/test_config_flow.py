"""The FusionSolar config flow: API account, OAuth Connect, reauth, reconfigure, options."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState, ConfigFlowResult
from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from yarl import URL

from custom_components.solar_cloud.const import CONF_VENDOR, DOMAIN, Vendor
from custom_components.solar_cloud.fusionsolar.const import (
    CONF_ALL_PLANTS,
    CONF_CONTROLS,
    CONF_OAUTH_SERVER,
    CONF_PLANT_CODES,
    CONF_PLANTS,
)
from custom_components.solar_cloud.fusionsolar.data import fusionsolar_data
from custom_components.solar_cloud.history_source import (
    CONF_HISTORY_DAYS,
    DEFAULT_HISTORY_DAYS,
    MAX_HISTORY_DAYS,
)

from ..common import async_authorize, async_start_flow, suggested_values
from ..simulator.core import RunningSimulator, StartSimulator
from ..simulator.fusionsolar import (
    DEMO_PASSWORD,
    DEMO_USER,
    FusionSolarSimulator,
    scaled_account,
)
from .common import async_add_account
from .const import (
    ACCOUNT,
    BATTERY_MODE,
    CREDENTIAL,
    ENERGY_TODAY,
    HOME,
    MATERNELLE,
    PUER,
)


async def test_api_account_loads_without_listing_plants_again(
    hass: HomeAssistant, cloud: RunningSimulator, sim: FusionSolarSimulator
) -> None:
    """Setup right after the flow uses the flow's plant list: no second call."""
    result = await async_add_account(hass, cloud.base_url)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED
    assert sim.log.count("stations") == 1
    assert sim.refused_calls() == 0


@pytest.mark.usefixtures("no_setup")
async def test_api_account(hass: HomeAssistant, cloud: RunningSimulator) -> None:
    """Host, user and system code are checked by logging in and listing plants."""
    result = await async_start_flow(hass, "fusionsolar", "fusionsolar_account")
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "fusionsolar_account"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: f"{cloud.base_url}/", **ACCOUNT}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "FusionSolar ha_northbound"
    assert result["data"] == {
        CONF_VENDOR: Vendor.FUSIONSOLAR,
        CONF_URL: cloud.base_url,
        CONF_USERNAME: DEMO_USER,
        CONF_PASSWORD: DEMO_PASSWORD,
        CONF_PLANT_CODES: [HOME, MATERNELLE, PUER],
    }
    port = URL(cloud.base_url).port
    assert result["result"].unique_id == f"{DEMO_USER}@127.0.0.1:{port}"


@pytest.mark.usefixtures("no_setup")
async def test_single_plant_account_is_named_after_it(
    hass: HomeAssistant, cloud: RunningSimulator, sim: FusionSolarSimulator
) -> None:
    """An account of one plant gets the plant's name; a bare host gets https."""
    sim.accounts["solo"] = scaled_account("solo", "pw", plants=1)
    result = await async_add_account(
        hass, cloud.base_url, **{CONF_USERNAME: " solo ", CONF_PASSWORD: "pw"}
    )
    assert result["title"] == "FusionSolar Plant 1"
    assert result["data"][CONF_USERNAME] == "solo"


@pytest.mark.parametrize(
    ("setup", "errors"),
    [
        ({"password": "wrong"}, {CONF_PASSWORD: "invalid_auth"}),
        ({"login_fault": 20403}, {"base": "fusionsolar_account_locked"}),
        ({"login_fault": 20002}, {"base": "fusionsolar_account_disabled"}),
        ({"login_fault": 20003}, {"base": "fusionsolar_account_expired"}),
        ({"login_fault": 407}, {"base": "fusionsolar_rate_limited"}),
        ({"deny": True}, {"base": "fusionsolar_plants_not_permitted"}),
        ({"plants": 0}, {"base": "fusionsolar_no_plants"}),
        ({"body": b"<html>portal</html>"}, {CONF_URL: "fusionsolar_not_fusionsolar"}),
        ({"status": 503}, {CONF_URL: "cannot_connect"}),
        ({"crash": True}, {"base": "unknown"}),
    ],
)
@pytest.mark.usefixtures("no_setup")
async def test_api_account_errors(
    hass: HomeAssistant,
    *,
    cloud: RunningSimulator,
    sim: FusionSolarSimulator,
    freezer: FrozenDateTimeFactory,
    setup: dict[str, Any],
    errors: dict[str, str],
) -> None:
    """Each failure is shown on its field; fixing it creates the entry."""
    if "login_fault" in setup:
        sim.faults.add("login", vendor_error=setup["login_fault"], times=1)
    if setup.get("deny"):
        sim.accounts[DEMO_USER].denied |= {"stations", "getStationList"}
    if "plants" in setup:
        plants, sim.accounts[DEMO_USER].plants = sim.accounts[DEMO_USER].plants, []
    if "body" in setup:
        sim.faults.add("stations", body=setup["body"], times=1)
    if "status" in setup:
        sim.faults.add("stations", status=setup["status"], times=1)
    result = await async_start_flow(hass, "fusionsolar", "fusionsolar_account")
    user_input = {CONF_URL: cloud.base_url, **ACCOUNT}
    if "password" in setup:
        user_input[CONF_PASSWORD] = setup["password"]
    with (
        patch(
            "custom_components.solar_cloud.fusionsolar.config_flow.FusionSolarClient.async_get_plants",
            side_effect=RuntimeError("boom"),
        )
        if setup.get("crash")
        else contextlib.nullcontext()
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], user_input
        )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    # Nothing typed is lost, the system code neither.
    suggested = suggested_values(result)
    assert suggested[CONF_PASSWORD] == user_input[CONF_PASSWORD]
    assert suggested[CONF_USERNAME] == user_input[CONF_USERNAME]

    # Whatever it was is fixed now, and a while later the user tries again.
    sim.accounts[DEMO_USER].denied.clear()
    if "plants" in setup:
        sim.accounts[DEMO_USER].plants = plants
    freezer.tick(timedelta(minutes=11))
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**user_input, CONF_PASSWORD: DEMO_PASSWORD}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_same_account_twice(
    hass: HomeAssistant, cloud: RunningSimulator, mock_entry: MockConfigEntry
) -> None:
    """The account (user at host) can be added once."""
    result = await async_add_account(hass, cloud.base_url)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


# Reauth and reconfigure ---------------------------------------------------------


@pytest.mark.usefixtures("no_setup")
async def test_reauth_with_new_password(
    hass: HomeAssistant, mock_entry: MockConfigEntry, sim: FusionSolarSimulator
) -> None:
    """Reauth asks for the new system code and checks it."""
    sim.accounts[DEMO_USER].password = "New@2026"
    result = await mock_entry.start_reauth_flow(hass)
    assert result["step_id"] == "fusionsolar_reauth_password"
    assert result["description_placeholders"]["username"] == DEMO_USER
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "still wrong"}
    )
    assert result["errors"] == {CONF_PASSWORD: "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "New@2026"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert mock_entry.data[CONF_PASSWORD] == "New@2026"


@pytest.mark.usefixtures("no_setup")
async def test_reconfigure_to_another_address_of_the_same_account(
    hass: HomeAssistant,
    sim: FusionSolarSimulator,
    mock_entry: MockConfigEntry,
    start_vendor_simulator: StartSimulator,
) -> None:
    """Host and user may change if the account still sees its plants."""
    result = await mock_entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "fusionsolar_reconfigure"
    # The same cloud behind another address.
    other_host = (await start_vendor_simulator(sim)).base_url
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: other_host, **ACCOUNT}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert mock_entry.data[CONF_URL] == other_host
    assert mock_entry.unique_id == f"{DEMO_USER}@127.0.0.1:{URL(other_host).port}"


async def test_reconfigure_errors_and_other_accounts(
    hass: HomeAssistant,
    cloud: RunningSimulator,
    sim: FusionSolarSimulator,
    mock_entry: MockConfigEntry,
) -> None:
    """Wrong credentials show on the form; another account's plants abort."""
    sim.accounts["other"] = scaled_account("other", "pw", plants=2)
    result = await mock_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: cloud.base_url, CONF_USERNAME: DEMO_USER, CONF_PASSWORD: "x"},
    )
    assert result["errors"] == {CONF_PASSWORD: "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: cloud.base_url, CONF_USERNAME: "other", CONF_PASSWORD: "pw"},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"


async def test_reconfigure_onto_an_account_already_set_up(
    hass: HomeAssistant,
    cloud: RunningSimulator,
    sim: FusionSolarSimulator,
    mock_entry: MockConfigEntry,
) -> None:
    """Reconfiguring into another entry's account is refused."""
    sim.accounts["twin"] = scaled_account("twin", "pw", plants=1)
    sim.accounts["twin"].plants = sim.accounts[DEMO_USER].plants
    MockConfigEntry(
        domain=DOMAIN,
        unique_id=f"twin@127.0.0.1:{URL(cloud.base_url).port}",
        data={CONF_VENDOR: Vendor.FUSIONSOLAR},
    ).add_to_hass(hass)
    result = await mock_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: cloud.base_url, CONF_USERNAME: "twin", CONF_PASSWORD: "pw"},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


# OAuth Connect -------------------------------------------------------------------


async def _oauth_form(
    hass: HomeAssistant, cloud: RunningSimulator, *, controls: bool
) -> ConfigFlowResult:
    """Open OAuth Connect and send its form; the user goes to Huawei next."""
    result = await async_start_flow(hass, "fusionsolar", "fusionsolar_oauth")
    assert result["step_id"] == "fusionsolar_oauth"
    return await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_URL: cloud.base_url,
            CONF_CONTROLS: controls,
            "advanced": {CONF_URL: cloud.base_url},
        },
    )


@pytest.mark.usefixtures("credential", "current_request_with_host")
@pytest.mark.parametrize(
    ("controls", "scope"),
    [
        (True, "pvms.openapi.basic pvms.openapi.control"),
        (False, "pvms.openapi.basic"),
    ],
)
@pytest.mark.usefixtures("no_setup")
async def test_oauth_connect(
    hass: HomeAssistant,
    *,
    cloud: RunningSimulator,
    sim: FusionSolarSimulator,
    hass_client_no_auth: ClientSessionGenerator,
    controls: bool,
    scope: str,
) -> None:
    """OAuth Connect: the control scope only when controls are wanted."""
    sim.oauth.subject = DEMO_USER
    result = await _oauth_form(hass, cloud, controls=controls)
    authorize = URL(result["url"])
    assert authorize.path == "/rest/dp/uidm/oauth2/v1/authorize"
    assert authorize.query["scope"] == scope
    result = await async_authorize(hass, result, hass_client_no_auth)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "FusionSolar OAuth Connect"
    data = result["data"]
    assert data["auth_implementation"] == CREDENTIAL
    assert data["token"]["access_token"] in sim.oauth.access_tokens
    assert data[CONF_OAUTH_SERVER] == cloud.base_url
    assert data[CONF_PLANT_CODES] == [HOME, MATERNELLE, PUER]
    assert result["options"] == {CONF_CONTROLS: controls}
    port = URL(cloud.base_url).port
    assert result["result"].unique_id == f"oauth:{MATERNELLE}@127.0.0.1:{port}"


@pytest.mark.usefixtures("credential", "current_request_with_host")
async def test_oauth_connect_entry_loads_within_the_budget(
    hass: HomeAssistant,
    cloud: RunningSimulator,
    sim: FusionSolarSimulator,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """The flow's plant list counts against the new entry's budget.

    The flow lists the plants before the account has an id; setup right
    after must know of that call, or it lists them again within the
    minute and Huawei refuses (407) the interface for the rest of the day.
    """
    sim.oauth.subject = DEMO_USER
    result = await _oauth_form(hass, cloud, controls=True)
    result = await async_authorize(hass, result, hass_client_no_auth)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED
    assert sim.refused_calls() == 0


@pytest.mark.usefixtures("credential", "current_request_with_host")
async def test_oauth_connect_account_without_plant_list(
    hass: HomeAssistant,
    cloud: RunningSimulator,
    sim: FusionSolarSimulator,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """An authorization that cannot list plants ends the flow with the reason."""
    sim.oauth.subject = DEMO_USER
    sim.accounts[DEMO_USER].denied |= {"stations", "getStationList"}
    result = await _oauth_form(hass, cloud, controls=True)
    result = await async_authorize(hass, result, hass_client_no_auth)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "fusionsolar_plants_not_permitted"


@pytest.mark.usefixtures("no_setup", "credential", "current_request_with_host")
async def test_oauth_reauth(
    hass: HomeAssistant,
    cloud: RunningSimulator,
    sim: FusionSolarSimulator,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """An OAuth entry is reauthorized at Huawei, for the same plants."""
    sim.oauth.subject = DEMO_USER
    port = URL(cloud.base_url).port
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=f"oauth:{MATERNELLE}@127.0.0.1:{port}",
        data={
            CONF_VENDOR: Vendor.FUSIONSOLAR,
            CONF_URL: cloud.base_url,
            CONF_OAUTH_SERVER: cloud.base_url,
            "auth_implementation": CREDENTIAL,
            "token": {"access_token": "old", "expires_at": 0},
        },
        options={CONF_CONTROLS: False},
    )
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "fusionsolar_reauth_oauth"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert URL(result["url"]).query["scope"] == "pvms.openapi.basic"
    result = await async_authorize(hass, result, hass_client_no_auth)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data["token"]["access_token"] in sim.oauth.access_tokens


@pytest.mark.usefixtures("no_setup")
async def test_reconfigure_oauth_host(
    hass: HomeAssistant, cloud: RunningSimulator, access_token: str
) -> None:
    """An OAuth entry can move to another host; the token must still work there."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id="oauth-entry",
        data={
            CONF_VENDOR: Vendor.FUSIONSOLAR,
            CONF_URL: "https://eu5.fusionsolar.huawei.com",
            "auth_implementation": CREDENTIAL,
            "token": {"access_token": access_token, "expires_at": 0},
            CONF_PLANT_CODES: [HOME],
        },
    )
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert list(result["data_schema"].schema) == [CONF_URL]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: cloud.base_url}
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_URL] == cloud.base_url
    assert entry.unique_id == "oauth-entry"


# Options ---------------------------------------------------------------------------


async def test_options_choose_plants_and_controls(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Plants and controls; "all plants" means also those the account gains later."""
    result = await hass.config_entries.options.async_init(loaded_entry.entry_id)
    assert result["step_id"] == "fusionsolar_options"
    defaults = {key: key.default() for key in result["data_schema"].schema}
    assert defaults[CONF_ALL_PLANTS] is True
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_ALL_PLANTS: False, CONF_PLANTS: [], CONF_CONTROLS: True},
    )
    assert result["errors"] == {CONF_PLANTS: "fusionsolar_no_plant_selected"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_ALL_PLANTS: False, CONF_PLANTS: [HOME], CONF_CONTROLS: False},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert loaded_entry.options == {
        CONF_PLANTS: [HOME],
        CONF_CONTROLS: False,
        CONF_HISTORY_DAYS: DEFAULT_HISTORY_DAYS,
    }
    assert fusionsolar_data(loaded_entry).plants.keys() == {HOME}
    assert hass.states.get(BATTERY_MODE) is None

    result = await hass.config_entries.options.async_init(loaded_entry.entry_id)
    defaults = {key: key.default() for key in result["data_schema"].schema}
    assert defaults[CONF_ALL_PLANTS] is False
    assert defaults[CONF_PLANTS] == [HOME]
    # Every plant ticked, "all plants" off: these three only, not later ones.
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_ALL_PLANTS: False,
            CONF_PLANTS: [HOME, MATERNELLE, PUER],
            CONF_CONTROLS: True,
        },
    )
    await hass.async_block_till_done()
    assert loaded_entry.options[CONF_PLANTS] == [HOME, MATERNELLE, PUER]

    result = await hass.config_entries.options.async_init(loaded_entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_ALL_PLANTS: True, CONF_PLANTS: [], CONF_CONTROLS: True}
    )
    await hass.async_block_till_done()
    assert loaded_entry.options == {
        CONF_CONTROLS: True,
        CONF_HISTORY_DAYS: DEFAULT_HISTORY_DAYS,
    }


async def test_options_set_the_history_to_import(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Days of history: 0 to the maximum, kept as a whole number, shown next time."""
    result = await hass.config_entries.options.async_init(loaded_entry.entry_id)
    schema = result["data_schema"].schema
    key = next(key for key in schema if key == CONF_HISTORY_DAYS)
    assert key.default() == DEFAULT_HISTORY_DAYS
    assert schema[key].config["max"] == MAX_HISTORY_DAYS
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_ALL_PLANTS: False,
            CONF_PLANTS: [HOME],
            CONF_CONTROLS: True,
            CONF_HISTORY_DAYS: 30.0,
        },
    )
    await hass.async_block_till_done()
    assert loaded_entry.options[CONF_HISTORY_DAYS] == 30

    result = await hass.config_entries.options.async_init(loaded_entry.entry_id)
    key = next(key for key in result["data_schema"].schema if key == CONF_HISTORY_DAYS)
    assert key.default() == 30


async def test_options_need_a_loaded_entry(
    hass: HomeAssistant, mock_entry: MockConfigEntry
) -> None:
    """The plants are known only while the entry is loaded."""
    result = await hass.config_entries.options.async_init(mock_entry.entry_id)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "fusionsolar_not_loaded"


async def test_options_reload_spends_no_calls(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, sim: FusionSolarSimulator
) -> None:
    """A reload keeps the inventory and the pollers: no list or data calls."""
    sim.log.clear()
    result = await hass.config_entries.options.async_init(loaded_entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_ALL_PLANTS: False, CONF_PLANTS: [PUER], CONF_CONTROLS: True},
    )
    await hass.async_block_till_done()
    counts = sim.log.counts()
    assert counts["stations"] == counts["getDevList"] == 0
    assert counts["getStationRealKpi"] == counts["getDevRealKpi"] == 0
    poller = fusionsolar_data(loaded_entry).real_time.poller
    assert set(poller.plants) == {PUER}
    assert all(
        job.key[0] == "plants" or job.key[1] in (38, 41, 23070) for job in poller.jobs
    )
    assert hass.states.get("sensor.puer_energy_today") is not None
    assert hass.states.get(ENERGY_TODAY) is None
