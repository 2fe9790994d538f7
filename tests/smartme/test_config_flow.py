"""The smart-me config, reauth, reconfigure and options flows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigFlowResult
from homeassistant.const import (
    CONF_API_KEY,
    CONF_PASSWORD,
    CONF_URL,
    CONF_USERNAME,
    CONF_WEBHOOK_ID,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from yarl import URL

from custom_components.solar_cloud.const import CONF_VENDOR, Vendor
from custom_components.solar_cloud.history_source import (
    CONF_HISTORY_DAYS,
    DEFAULT_HISTORY_DAYS,
    MAX_HISTORY_DAYS,
)
from custom_components.solar_cloud.smartme.const import (
    CONF_AUTH_TYPE,
    CONF_REALTIME,
    CONF_SCAN_INTERVAL,
    CONF_WEBHOOK_PASSWORD,
    CONF_WEBHOOK_USERNAME,
    SmartMeAuthType,
)

from ..common import async_advance, async_authorize, async_start_flow, suggested_values
from ..simulator.core import RunningSimulator
from ..simulator.smartme import SmartMeSimulator
from .const import (
    API_KEY,
    CREDENTIAL,
    PASSWORD,
    POWER,
    USER_ID,
    USERNAME,
    WEBHOOK_ID,
    WEBHOOK_USERNAME,
)


def assert_pkce_authorize(result: ConfigFlowResult) -> None:
    """Assert the flow sends the user to smart-me's authorize page with PKCE."""
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    authorize = URL(result["url"])
    assert authorize.path == "/api/oauth/authorize"
    assert (
        authorize.query["scope"]
        == "offline_access user.read device.read device.readwrite"
    )
    assert authorize.query["code_challenge_method"] == "S256"


async def test_sign_in_methods(hass: HomeAssistant) -> None:
    """smart-me offers three ways to sign in."""
    result = await async_start_flow(hass, "smartme")
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == [
        "smartme_basic",
        "smartme_apikey",
        "smartme_oauth",
    ]


@pytest.mark.usefixtures("no_setup")
async def test_basic_auth(hass: HomeAssistant, cloud: RunningSimulator) -> None:
    """Username and password, then realtime on."""
    result = await async_start_flow(hass, "smartme", "smartme_basic")
    assert result["step_id"] == "smartme_basic"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_USERNAME: USERNAME,
            CONF_PASSWORD: PASSWORD,
            "advanced": {CONF_URL: f"{cloud.base_url}/"},
        },
    )
    assert result["step_id"] == "smartme_realtime"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_REALTIME: True}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"smart-me {USERNAME}"
    assert result["result"].unique_id == USER_ID
    data = result["data"]
    assert data[CONF_VENDOR] == Vendor.SMARTME
    assert data[CONF_AUTH_TYPE] == SmartMeAuthType.BASIC
    assert data[CONF_URL] == cloud.base_url
    assert (data[CONF_USERNAME], data[CONF_PASSWORD]) == (USERNAME, PASSWORD)
    assert len(data[CONF_WEBHOOK_ID]) == 64
    assert data[CONF_WEBHOOK_USERNAME] == WEBHOOK_USERNAME
    assert len(data[CONF_WEBHOOK_PASSWORD]) >= 32
    assert result["options"] == {CONF_REALTIME: True, CONF_SCAN_INTERVAL: 60}


@pytest.mark.usefixtures("no_setup")
async def test_api_key(hass: HomeAssistant, cloud: RunningSimulator) -> None:
    """An API key, then realtime off."""
    result = await async_start_flow(hass, "smartme", "smartme_apikey")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_API_KEY: API_KEY, "advanced": {CONF_URL: cloud.base_url}},
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_REALTIME: False}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_API_KEY] == API_KEY
    assert CONF_PASSWORD not in result["data"]
    assert result["options"][CONF_REALTIME] is False


BASIC = {CONF_USERNAME: USERNAME, CONF_PASSWORD: PASSWORD}
APIKEY = {CONF_API_KEY: API_KEY}


@pytest.mark.usefixtures("no_setup")
@pytest.mark.parametrize(
    ("method", "credentials", "wrong", "fault", "errors"),
    [
        (
            "smartme_basic",
            BASIC,
            {CONF_PASSWORD: "wrong"},
            None,
            {CONF_PASSWORD: "invalid_auth"},
        ),
        (
            "smartme_apikey",
            APIKEY,
            {CONF_API_KEY: "nope"},
            None,
            {CONF_API_KEY: "invalid_auth"},
        ),
        ("smartme_apikey", APIKEY, {}, {"status": 503}, {"base": "cannot_reach"}),
        (
            "smartme_apikey",
            APIKEY,
            {},
            {"status": 403},
            {"base": "smartme_no_user_right"},
        ),
        ("smartme_apikey", APIKEY, {}, {"body": b"<html>"}, {"base": "unknown"}),
    ],
    ids=[
        "basic_wrong_password",
        "wrong_api_key",
        "outage",
        "no_user_right",
        "odd_answer",
    ],
)
async def test_sign_in_errors(
    *,
    hass: HomeAssistant,
    cloud: RunningSimulator,
    sim: SmartMeSimulator,
    method: str,
    credentials: dict[str, str],
    wrong: dict[str, str],
    fault: dict[str, Any] | None,
    errors: dict[str, str],
) -> None:
    """Wrong credentials, outages and odd answers are shown on the form.

    The form can be sent again, and then goes on to the realtime question.
    """
    if fault is not None:
        sim.faults.add("user", times=1, **fault)
    result = await async_start_flow(hass, "smartme", method)
    advanced = {"advanced": {CONF_URL: cloud.base_url}}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**credentials, **wrong, **advanced}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**credentials, **advanced}
    )
    assert result["step_id"] == "smartme_realtime"


async def test_a_wrong_url_keeps_what_was_typed(
    hass: HomeAssistant, cloud: RunningSimulator
) -> None:
    """The form names the host, opens Advanced, and keeps password and URL."""
    result = await async_start_flow(hass, "smartme", "smartme_basic")
    typo = "http://127.0.0.1:9/smartme"  # the discard port: nothing answers
    typed = {**BASIC, "advanced": {CONF_URL: typo}}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], typed)
    assert result["errors"] == {"base": "cannot_reach"}
    assert result["description_placeholders"] == {"host": "127.0.0.1"}
    suggested = suggested_values(result)
    assert suggested[CONF_USERNAME] == BASIC[CONF_USERNAME]
    assert suggested[CONF_PASSWORD] == BASIC[CONF_PASSWORD]
    advanced = result["data_schema"].schema["advanced"]
    assert advanced.options["collapsed"] is False
    [url] = advanced.schema.schema
    assert url.description == {"suggested_value": typo}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**BASIC, "advanced": {CONF_URL: cloud.base_url}}
    )
    assert result["step_id"] == "smartme_realtime"


@pytest.mark.usefixtures("no_setup")
async def test_account_added_once(
    hass: HomeAssistant, cloud: RunningSimulator, smartme_entry: MockConfigEntry
) -> None:
    """The same smart-me user is not added twice, whatever the sign-in."""
    result = await async_start_flow(hass, "smartme", "smartme_apikey")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_API_KEY: API_KEY, "advanced": {CONF_URL: cloud.base_url}},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


@pytest.mark.usefixtures("current_request_with_host", "credential")
async def test_oauth(
    hass: HomeAssistant,
    cloud: RunningSimulator,
    sim: SmartMeSimulator,
    hass_client_no_auth: ClientSessionGenerator,
    frozen: FrozenDateTimeFactory,
) -> None:
    """OAuth2 with PKCE; the entry then sets up with the stored token."""
    result = await async_start_flow(hass, "smartme", "smartme_oauth")
    assert result["step_id"] == "smartme_oauth"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"advanced": {CONF_URL: cloud.base_url}}
    )
    assert_pkce_authorize(result)
    result = await async_authorize(hass, result, hass_client_no_auth)
    assert result["step_id"] == "smartme_realtime"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_REALTIME: False}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    data = result["data"]
    assert data["auth_implementation"] == CREDENTIAL
    assert data[CONF_AUTH_TYPE] == SmartMeAuthType.OAUTH
    assert data["token"]["access_token"] in sim.oauth.access_tokens
    await hass.async_block_till_done()
    # The entry set up with that token: the devices are there.
    assert hass.states.get(POWER) is not None
    bearer = [
        r
        for r in sim.log.of("devices")
        if r.headers["Authorization"].startswith("Bearer")
    ]
    assert bearer
    # The 5-minute access token is refreshed with the refresh token as it expires.
    issued = len(sim.oauth.access_tokens)
    await async_advance(hass, frozen, timedelta(minutes=10), step=timedelta(minutes=1))
    assert len(sim.oauth.access_tokens) > issued
    assert sim.log.of("devices")[-1].status == 200
    assert hass.states.get(POWER).state != "unavailable"


@pytest.mark.usefixtures("current_request_with_host", "credential")
async def test_oauth_account_unreadable(
    hass: HomeAssistant,
    cloud: RunningSimulator,
    sim: SmartMeSimulator,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """A token that cannot read the user ends the flow with an explanation."""
    sim.faults.add("user", status=403)
    result = await async_start_flow(hass, "smartme", "smartme_oauth")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"advanced": {CONF_URL: cloud.base_url}}
    )
    assert_pkce_authorize(result)
    result = await async_authorize(hass, result, hass_client_no_auth)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "smartme_oauth_account_unreadable"


@pytest.mark.usefixtures("no_setup")
async def test_reauth_moves_basic_to_api_key(
    hass: HomeAssistant, basic_entry: MockConfigEntry
) -> None:
    """Reauth offers every method; the account keeps its webhook."""
    result = await basic_entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "smartme_reauth"
    assert result["description_placeholders"] == {"name": USERNAME}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "smartme_apikey"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: API_KEY, "advanced": {}}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert basic_entry.data[CONF_AUTH_TYPE] == SmartMeAuthType.API_KEY
    assert basic_entry.data[CONF_API_KEY] == API_KEY
    assert CONF_PASSWORD not in basic_entry.data
    assert basic_entry.data[CONF_WEBHOOK_ID] == WEBHOOK_ID


@pytest.mark.usefixtures("no_setup")
async def test_reauth_suggests_the_username(
    hass: HomeAssistant, basic_entry: MockConfigEntry
) -> None:
    """Signing in again with a password starts from the stored username."""
    result = await basic_entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "smartme_basic"}
    )
    assert suggested_values(result)[CONF_USERNAME] == USERNAME
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_USERNAME: USERNAME,
            CONF_PASSWORD: PASSWORD,
            "advanced": {},
        },
    )
    assert result["reason"] == "reauth_successful"


@pytest.mark.usefixtures("no_setup")
async def test_reauth_with_another_account(
    hass: HomeAssistant, smartme_entry: MockConfigEntry, sim: SmartMeSimulator
) -> None:
    """Credentials of another smart-me user do not replace the account's."""
    sim.account.user_id = 999
    result = await smartme_entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "smartme_apikey"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: API_KEY, "advanced": {}}
    )
    assert result["reason"] == "wrong_account"
    assert smartme_entry.data[CONF_API_KEY] == API_KEY


@pytest.mark.usefixtures("no_setup", "current_request_with_host", "credential")
async def test_reconfigure_to_oauth(
    hass: HomeAssistant,
    basic_entry: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """Reconfigure moves a Basic-auth account to OAuth2 at the same URL."""
    result = await basic_entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "smartme_reconfigure"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "smartme_oauth"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"advanced": {}}
    )
    assert_pkce_authorize(result)
    result = await async_authorize(hass, result, hass_client_no_auth)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert basic_entry.data[CONF_AUTH_TYPE] == SmartMeAuthType.OAUTH
    assert basic_entry.data["auth_implementation"] == CREDENTIAL
    assert CONF_USERNAME not in basic_entry.data


@pytest.mark.usefixtures("no_setup")
async def test_reconfigure_the_url(
    hass: HomeAssistant, smartme_entry: MockConfigEntry, cloud: RunningSimulator
) -> None:
    """The API URL can be changed, e.g. to the legacy /api paths."""
    result = await smartme_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "smartme_apikey"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_API_KEY: API_KEY,
            "advanced": {CONF_URL: f"{cloud.base_url}/api"},
        },
    )
    assert result["reason"] == "reconfigure_successful"
    assert smartme_entry.data[CONF_URL] == f"{cloud.base_url}/api"


async def test_options(hass: HomeAssistant, smartme_entry: MockConfigEntry) -> None:
    """Realtime, the poll interval and the history are options; saving reloads."""
    assert await hass.config_entries.async_setup(smartme_entry.entry_id)
    result = await hass.config_entries.options.async_init(smartme_entry.entry_id)
    assert result["step_id"] == "smartme_options"
    schema = result["data_schema"].schema
    defaults = {str(key): key.default() for key in schema}
    assert defaults == {
        CONF_REALTIME: False,
        CONF_SCAN_INTERVAL: 60,
        CONF_HISTORY_DAYS: DEFAULT_HISTORY_DAYS,
    }
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_REALTIME: True, CONF_SCAN_INTERVAL: 120.0}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert smartme_entry.options == {
        CONF_REALTIME: True,
        CONF_SCAN_INTERVAL: 120,
        CONF_HISTORY_DAYS: DEFAULT_HISTORY_DAYS,
    }
    runtime = smartme_entry.runtime_data
    assert runtime.account.poll_period.total_seconds() == 120  # type: ignore[attr-defined]


@pytest.mark.parametrize("days", [0.0, 30.0, float(MAX_HISTORY_DAYS)])
async def test_history_days_option(
    hass: HomeAssistant, smartme_entry: MockConfigEntry, days: float
) -> None:
    """How many days of history to import: 0 (none) up to the most allowed."""
    assert await hass.config_entries.async_setup(smartme_entry.entry_id)
    result = await hass.config_entries.options.async_init(smartme_entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_REALTIME: False, CONF_SCAN_INTERVAL: 60, CONF_HISTORY_DAYS: days},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert smartme_entry.options[CONF_HISTORY_DAYS] == int(days)
    assert isinstance(smartme_entry.options[CONF_HISTORY_DAYS], int)
    # Shown again as the default the next time.
    result = await hass.config_entries.options.async_init(smartme_entry.entry_id)
    defaults = {str(key): key.default() for key in result["data_schema"].schema}
    assert defaults[CONF_HISTORY_DAYS] == int(days)


@pytest.mark.parametrize("days", [-1, MAX_HISTORY_DAYS + 1])
async def test_history_days_out_of_range(
    hass: HomeAssistant, smartme_entry: MockConfigEntry, days: int
) -> None:
    """Fewer than 0 or more than the most allowed days are refused."""
    assert await hass.config_entries.async_setup(smartme_entry.entry_id)
    result = await hass.config_entries.options.async_init(smartme_entry.entry_id)
    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(
            result["flow_id"],
            {CONF_REALTIME: False, CONF_SCAN_INTERVAL: 60, CONF_HISTORY_DAYS: days},
        )
