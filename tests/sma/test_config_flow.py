"""The SMA config flows end to end against the simulator.

Longer than 500 lines: every branch of the two sign-in flows, their reauth and
reconfigure, share the helpers at the top (the options flow has its own file).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState, ConfigFlowResult
from homeassistant.const import CONF_CLIENT_ID, CONF_CLIENT_SECRET, CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from yarl import URL

from custom_components.solar_cloud.const import CONF_VENDOR, DOMAIN
from custom_components.solar_cloud.sma.const import (
    CONF_ENVIRONMENT,
    CONF_FLOW,
    CONF_GRIDCONTROL_URL,
    CONF_LOGIN_HINT,
)

from ..common import async_advance, async_authorize, async_start_flow, suggested_values
from ..const import NOON, REDIRECT
from ..simulator.core import RunningSimulator
from ..simulator.sma import CODE_CLIENT, CUSTOM_CLIENT, SANDBOX_OWNER, SmaSimulator
from .const import CREDENTIAL, PV_POWER


async def _configure(
    hass: HomeAssistant, result: ConfigFlowResult, user_input: dict[str, Any] | None
) -> ConfigFlowResult:
    return await hass.config_entries.flow.async_configure(result["flow_id"], user_input)


def _custom_settings(base_url: str, **overrides: Any) -> dict[str, Any]:
    """The custom environment with the simulator's client, as reconfigure takes it."""
    return {
        CONF_ENVIRONMENT: "custom",
        CONF_CLIENT_ID: CUSTOM_CLIENT[0],
        CONF_CLIENT_SECRET: CUSTOM_CLIENT[1],
        "advanced": {CONF_URL: base_url},
        **overrides,
    }


def _custom_input(base_url: str, **overrides: Any) -> dict[str, Any]:
    """What the owner types in the custom flow: the settings and the owner."""
    return _custom_settings(
        base_url,
        **{
            CONF_LOGIN_HINT: SANDBOX_OWNER,
            "advanced": {CONF_URL: f"{base_url}/"},
            **overrides,
        },
    )


async def _wait(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: int
) -> None:
    """Let the flow wait for the owner ``seconds`` long (it asks every 10 s).

    The flow's wait is a background task that lasts until the owner decides;
    only the questions it asks are waited for here.
    """
    for _ in range(seconds // 10):
        freezer.tick(timedelta(seconds=10))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()


# The custom flow -------------------------------------------------------------


@pytest.mark.freeze_time(NOON)
async def test_custom_flow_owner_accepts(
    hass: HomeAssistant,
    cloud: RunningSimulator,
    sim: SmaSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Credentials, consent request, progress while the owner decides, entry."""
    result = await async_start_flow(hass, "sma", "sma_custom")
    assert result["type"] is FlowResultType.FORM
    assert result["data_schema"].schema["advanced"].options == {"collapsed": True}

    result = await _configure(hass, result, _custom_input(cloud.base_url))
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    assert result["step_id"] == "sma_consent"
    assert result["progress_action"] == "sma_consent"
    assert result["description_placeholders"] == {"owner": SANDBOX_OWNER}
    assert sim.log.count("consent_request") == 1

    await _wait(hass, freezer, 20)
    assert sim.log.count("consent_state") == 2  # asks every 10 s
    sim.set_consent(SANDBOX_OWNER, "accepted")
    await _wait(hass, freezer, 10)
    result = await _configure(hass, result, None)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"SMA {SANDBOX_OWNER}"
    assert result["data"] == {
        CONF_VENDOR: "sma",
        CONF_FLOW: "custom",
        CONF_ENVIRONMENT: "custom",
        CONF_URL: cloud.base_url,
        CONF_GRIDCONTROL_URL: None,
        CONF_CLIENT_ID: CUSTOM_CLIENT[0],
        CONF_CLIENT_SECRET: CUSTOM_CLIENT[1],
        CONF_LOGIN_HINT: SANDBOX_OWNER,
    }
    entry = result["result"]
    assert entry.unique_id == f"custom-client_{SANDBOX_OWNER.lower()}"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert sim.logouts == ["custom-client"]  # the flow's own session
    assert hass.states.get(PV_POWER) is not None


@pytest.mark.freeze_time(NOON)
@pytest.mark.parametrize(
    ("decision", "reason"),
    [("reject", "sma_consent_rejected"), (None, "sma_consent_expired")],
)
async def test_custom_flow_consent_not_given(
    hass: HomeAssistant,
    *,
    sim: SmaSimulator,
    cloud: RunningSimulator,
    freezer: FrozenDateTimeFactory,
    decision: str | None,
    reason: str,
) -> None:
    """A rejected request, or one that expires while waiting, ends the flow."""
    sim.consent_lifetime = timedelta(seconds=15)
    result = await async_start_flow(hass, "sma", "sma_custom")
    result = await _configure(hass, result, _custom_input(cloud.base_url))
    if decision is not None:
        sim.set_consent(SANDBOX_OWNER, decision)
    await _wait(hass, freezer, 20)
    result = await _configure(hass, result, None)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == reason
    assert result["description_placeholders"] == {"owner": SANDBOX_OWNER}
    assert not hass.config_entries.async_entries(DOMAIN)


@pytest.mark.freeze_time(NOON)
async def test_custom_flow_pending_then_accepted_in_the_background(
    hass: HomeAssistant,
    cloud: RunningSimulator,
    sim: SmaSimulator,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """No answer in a few minutes: the entry waits, checks every 30 min, then loads."""
    result = await async_start_flow(hass, "sma", "sma_custom")
    result = await _configure(hass, result, _custom_input(cloud.base_url))
    sim.faults.add("consent_state", status=503, times=2)  # a hiccup is no answer
    await _wait(hass, freezer, 180)
    result = await _configure(hass, result, None)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    await hass.async_block_till_done()

    # Loaded, waiting: no plants, a repair issue, no error storm.
    assert entry.state is ConfigEntryState.LOADED
    issue = issue_registry.async_get_issue(
        DOMAIN, f"{entry.entry_id}_sma_consent_pending"
    )
    assert issue is not None
    assert issue.translation_placeholders == {
        "entry": f"SMA {SANDBOX_OWNER}",
        "owner": SANDBOX_OWNER,
    }
    assert hass.states.async_entity_ids("sensor") == []
    sim.log.clear()
    await async_advance(hass, freezer, timedelta(minutes=30))
    assert sim.log.counts() == {"plants": 1, "consent_state": 1, "oauth_token": 1}

    sim.set_consent(SANDBOX_OWNER, "accepted")
    await async_advance(hass, freezer, timedelta(minutes=30))
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get(PV_POWER) is not None
    assert (
        issue_registry.async_get_issue(DOMAIN, f"{entry.entry_id}_sma_consent_pending")
        is None
    )


@pytest.mark.parametrize(
    ("user_input", "fault", "errors"),
    [
        ({CONF_ENVIRONMENT: "custom", "advanced": {}}, None, {"base": "sma_url_required"}),
        ({CONF_CLIENT_ID: CODE_CLIENT[0], CONF_CLIENT_SECRET: CODE_CLIENT[1]}, None, {"base": "sma_invalid_client"}),
        ({CONF_CLIENT_SECRET: "wrong"}, None, {"base": "sma_invalid_client"}),
        ({CONF_LOGIN_HINT: "tenant@example.com"}, None, {CONF_LOGIN_HINT: "sma_not_plant_owner"}),
        ({}, ("oauth_token", {"status": 415, "body": b'{"error": "invalid_request", "error_description": "Cannot consume content type"}'}), {"base": "sma_unsupported_content_type"}),
        ({}, ("oauth_token", {"status": 429}), {"base": "sma_rate_limited"}),
        ({}, ("consent_request", {"status": 503}), {"base": "cannot_connect"}),
        # Two 401s sign in anew (a new session); a third one is refused credentials.
        ({}, ("consent_request", {"status": 401, "times": 3}), {"base": "invalid_auth"}),
        ({}, ("consent_request", {"body": b"[]"}), {"base": "unknown"}),
    ],
)  # fmt: skip
async def test_custom_flow_errors(
    hass: HomeAssistant,
    *,
    cloud: RunningSimulator,
    sim: SmaSimulator,
    user_input: dict[str, Any],
    fault: tuple[str, dict[str, Any]] | None,
    errors: dict[str, str],
) -> None:
    """Refused credentials and owners are shown on the form; then it recovers."""
    if fault is not None:
        sim.faults.add(fault[0], **{"times": 2, **fault[1]})
    result = await async_start_flow(hass, "sma", "sma_custom")
    result = await _configure(hass, result, _custom_input(cloud.base_url, **user_input))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    assert sim.oauth.refresh_tokens == {}  # no session left open
    # What was typed is still there, the secret too; Advanced opens for its errors.
    typed = _custom_input(cloud.base_url, **user_input)
    suggested = suggested_values(result)
    assert suggested[CONF_CLIENT_SECRET] == typed[CONF_CLIENT_SECRET]
    assert suggested[CONF_LOGIN_HINT] == typed[CONF_LOGIN_HINT]
    url_error = errors.get("base") in ("sma_url_required", "cannot_connect")
    assert (
        result["data_schema"].schema["advanced"].options["collapsed"] is not url_error
    )
    sim.faults.clear()
    sim.grant_consent(SANDBOX_OWNER)
    result = await _configure(hass, result, _custom_input(cloud.base_url))
    assert result["type"] is FlowResultType.SHOW_PROGRESS


async def test_custom_flow_account_already_added(
    hass: HomeAssistant,
    custom_entry: MockConfigEntry,
    cloud: RunningSimulator,
    sim: SmaSimulator,
) -> None:
    """The same client and owner are not added twice (and the owner is not mailed)."""
    result = await async_start_flow(hass, "sma", "sma_custom")
    result = await _configure(
        hass,
        result,
        _custom_input(cloud.base_url, **{CONF_LOGIN_HINT: SANDBOX_OWNER.upper()}),
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert sim.log.count("consent_request") == 0


# The code flow ---------------------------------------------------------------


@pytest.mark.freeze_time(NOON)
@pytest.mark.usefixtures("current_request_with_host", "credential")
async def test_code_flow(
    hass: HomeAssistant,
    cloud: RunningSimulator,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """The owner signs in at SMA; the entry is named by the token's subject."""
    result = await async_start_flow(hass, "sma", "sma_code")
    assert result["type"] is FlowResultType.FORM
    result = await _configure(
        hass,
        result,
        {CONF_ENVIRONMENT: "custom", "advanced": {CONF_URL: cloud.base_url}},
    )
    authorize = URL(result["url"])
    assert str(authorize.with_query(None)) == f"{cloud.base_url}/oauth2/auth"
    assert authorize.query["scope"] == "offline_access"
    assert authorize.query["redirect_uri"] == REDIRECT

    result = await async_authorize(hass, result, hass_client_no_auth)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"SMA {SANDBOX_OWNER}"
    entry = result["result"]
    assert entry.unique_id == f"code_{SANDBOX_OWNER}"
    assert entry.data[CONF_FLOW] == "code"
    assert entry.data["auth_implementation"] == CREDENTIAL
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get(PV_POWER) is not None


@pytest.mark.usefixtures("current_request_with_host", "credential")
async def test_code_flow_needs_a_url_for_custom(hass: HomeAssistant) -> None:
    """The custom environment needs its base URL."""
    result = await async_start_flow(hass, "sma", "sma_code")
    result = await _configure(
        hass, result, {CONF_ENVIRONMENT: "custom", "advanced": {}}
    )
    assert result["errors"] == {"base": "sma_url_required"}


@pytest.mark.usefixtures("current_request_with_host", "credential")
async def test_code_flow_plants_unreadable(
    hass: HomeAssistant,
    cloud: RunningSimulator,
    sim: SmaSimulator,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """A token that cannot read the plants ends the flow."""
    sim.faults.add("plants", status=503)
    result = await async_start_flow(hass, "sma", "sma_code")
    result = await _configure(
        hass,
        result,
        {CONF_ENVIRONMENT: "custom", "advanced": {CONF_URL: cloud.base_url}},
    )
    result = await async_authorize(hass, result, hass_client_no_auth)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"


@pytest.mark.freeze_time(NOON)
@pytest.mark.usefixtures("current_request_with_host", "credential")
@pytest.mark.parametrize(
    ("plants", "title", "unique_id"),
    [(["13", "24"], "Testplant 1", "code_13,24"), ([], None, None)],
)
async def test_code_flow_without_a_jwt(
    hass: HomeAssistant,
    *,
    cloud: RunningSimulator,
    sim: SmaSimulator,
    hass_client_no_auth: ClientSessionGenerator,
    plants: list[str],
    title: str | None,
    unique_id: str | None,
) -> None:
    """A token that is no JWT: the account is named by its plants, if any."""
    sim.oauth.token_factory = None
    sim.owners[SANDBOX_OWNER] = plants
    result = await async_start_flow(hass, "sma", "sma_code")
    result = await _configure(
        hass,
        result,
        {CONF_ENVIRONMENT: "custom", "advanced": {CONF_URL: cloud.base_url}},
    )
    result = await async_authorize(hass, result, hass_client_no_auth)
    if title is None:
        assert result["reason"] == "sma_unknown_account"
        return
    assert result["title"] == f"SMA {title}"
    assert result["result"].unique_id == unique_id


# Reauth and reconfigure --------------------------------------------------------


@pytest.mark.freeze_time(NOON)
@pytest.mark.usefixtures("current_request_with_host")
async def test_code_flow_reauth(
    hass: HomeAssistant,
    code_entry: MockConfigEntry,
    cloud: RunningSimulator,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """A dead refresh token asks the owner to sign in again with the same credential."""
    assert await hass.config_entries.async_setup(code_entry.entry_id)
    old_token = code_entry.data["token"]["access_token"]
    result = await code_entry.start_reauth_flow(hass)
    assert result["step_id"] == "sma_reauth_code"
    result = await _configure(hass, result, {})
    result = await async_authorize(hass, result, hass_client_no_auth)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert code_entry.data["token"]["access_token"] != old_token
    assert code_entry.data[CONF_URL] == cloud.base_url


@pytest.mark.freeze_time(NOON)
@pytest.mark.usefixtures("current_request_with_host")
async def test_code_flow_reconfigure(
    hass: HomeAssistant,
    code_entry: MockConfigEntry,
    cloud: RunningSimulator,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """Reconfigure changes the environment and signs in there again."""
    result = await code_entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "sma_reconfigure_code"
    result = await _configure(
        hass,
        result,
        {
            CONF_ENVIRONMENT: "custom",
            "advanced": {
                CONF_URL: cloud.base_url,
                CONF_GRIDCONTROL_URL: "http://127.0.0.1:9/gc",
            },
        },
    )
    result = await async_authorize(hass, result, hass_client_no_auth)
    assert result["reason"] == "reconfigure_successful"
    assert code_entry.data[CONF_GRIDCONTROL_URL] == "http://127.0.0.1:9/gc"


@pytest.mark.freeze_time(NOON)
async def test_custom_flow_reauth_asks_the_owner_again(
    hass: HomeAssistant,
    custom_entry: MockConfigEntry,
    sim: SmaSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Reauth sends a new consent request; a new secret replaces the old one."""
    sim.set_consent(SANDBOX_OWNER, "revoked")
    result = await custom_entry.start_reauth_flow(hass)
    assert result["step_id"] == "sma_reauth_custom"
    assert result["description_placeholders"]["owner"] == SANDBOX_OWNER

    result = await _configure(hass, result, {CONF_CLIENT_SECRET: "wrong"})
    assert result["errors"] == {"base": "sma_invalid_client"}
    result = await _configure(hass, result, {})
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    sim.set_consent(SANDBOX_OWNER, "accepted")
    await _wait(hass, freezer, 10)
    result = await _configure(hass, result, None)
    assert result["reason"] == "reauth_successful"
    assert custom_entry.data[CONF_CLIENT_SECRET] == CUSTOM_CLIENT[1]


@pytest.mark.freeze_time(NOON)
async def test_custom_flow_reconfigure(
    hass: HomeAssistant,
    custom_entry: MockConfigEntry,
    cloud: RunningSimulator,
    sim: SmaSimulator,
) -> None:
    """Reconfigure keeps an accepted consent and changes the settings."""
    result = await custom_entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "sma_reconfigure"
    result = await _configure(
        hass,
        result,
        _custom_settings(
            cloud.base_url,
            **{CONF_CLIENT_ID: "other-client", CONF_CLIENT_SECRET: "x"},
        ),
    )
    assert result["reason"] == "wrong_account"

    result = await custom_entry.start_reconfigure_flow(hass)
    result = await _configure(
        hass,
        result,
        _custom_settings(
            cloud.base_url,
            advanced={
                CONF_URL: cloud.base_url,
                CONF_GRIDCONTROL_URL: "http://127.0.0.1:9",
            },
        ),
    )
    assert result["reason"] == "reconfigure_successful"
    assert custom_entry.data[CONF_GRIDCONTROL_URL] == "http://127.0.0.1:9"
    assert sim.log.count("consent_request") == 0


@pytest.mark.freeze_time(NOON)
async def test_custom_flow_reconfigure_to_unconsented_credentials(
    hass: HomeAssistant,
    custom_entry: MockConfigEntry,
    cloud: RunningSimulator,
    sim: SmaSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Credentials the owner has not consented to: ask, wait, then update."""
    sim.consents.clear()
    result = await custom_entry.start_reconfigure_flow(hass)
    result = await _configure(
        hass,
        result,
        _custom_settings(cloud.base_url),
    )
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    sim.set_consent(SANDBOX_OWNER, "accepted")
    await _wait(hass, freezer, 10)
    result = await _configure(hass, result, None)
    assert result["reason"] == "reconfigure_successful"


@pytest.mark.freeze_time(NOON)
@pytest.mark.parametrize(
    ("user_input", "errors"),
    [
        ({"advanced": {}}, {"base": "sma_url_required"}),
        ({CONF_CLIENT_SECRET: "wrong"}, {"base": "sma_invalid_client"}),
    ],
)
async def test_custom_flow_reconfigure_errors(
    hass: HomeAssistant,
    *,
    custom_entry: MockConfigEntry,
    cloud: RunningSimulator,
    user_input: dict[str, Any],
    errors: dict[str, str],
) -> None:
    """A missing URL or a refused secret shows on the reconfigure form; then it recovers."""
    settings = _custom_settings(cloud.base_url)
    result = await custom_entry.start_reconfigure_flow(hass)
    result = await _configure(hass, result, {**settings, **user_input})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    result = await _configure(hass, result, settings)
    assert result["reason"] == "reconfigure_successful"
