"""How an entry reaches its account: the client, its session and its budget."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_create_clientsession
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from ..account_backoff import account_gate
from ..api.account_gate import AccountGate
from ..api.auth import TokenSource
from ..api.fusionsolar import CallBudget, FusionSolarClient
from ..api.fusionsolar.const import (
    OAUTH_AUTHORIZE_PATH,
    OAUTH_SERVER,
    OAUTH_TOKEN_PATH,
    SCOPE_BASIC,
    SCOPE_CONTROL,
)
from ..api.fusionsolar.models import Plant, PlantsAndDevices
from ..api.fusionsolar.polling import AlarmPoller, ControlStatePoller, Reading
from ..api.fusionsolar.real_time_poller import RealTimePoller
from ..api.fusionsolar.session import SessionToken
from ..const import DOMAIN
from ..oauth import (
    ConfigEntryTokenSource,
    OAuthEndpoints,
    async_get_entry_implementation,
)
from ..runtime import SolarCloudConfigEntry
from .const import CONF_CONTROLS, CONF_OAUTH_SERVER
from .history_budget import backlog_budget
from .plant_time import FusionSolarPlantCalendar

FLOW_SESSION_FRESH = timedelta(minutes=10)
"""A session a config flow logged in this recently serves the setup that follows.

Well within the half hour after which Huawei ends an idle session; an older
one is not worth a 305 and a login on top.
"""

ACCOUNTS: HassKey[dict[str, FusionSolarAccountState]] = HassKey(
    f"{DOMAIN}_fusionsolar_accounts"
)


@dataclass(kw_only=True)
class FusionSolarAccountState:
    """What an account's entry keeps over reloads (new options, new password).

    The service counts calls per account, not per entry: the budget, the
    inventory and the pollers (with their data and due times) carry over, so
    that a reload does not spend calls the account cannot afford. The budget
    and the inventory also outlive restarts (``storage.py``).
    """

    budget: CallBudget = field(default_factory=CallBudget)
    inventory: PlantsAndDevices | None = None
    inventory_include: frozenset[str] | None = None
    inventory_at: datetime | None = None
    real_time: RealTimePoller | None = None
    alarms: AlarmPoller | None = None
    control: ControlStatePoller | None = None
    flow_plants: Reading[tuple[Plant, ...]] | None = None
    """The plant list a config flow just read, for the setup that follows."""
    flow_session: Reading[SessionToken] | None = None
    """The session a config flow just logged in, for the setup that follows."""
    history_budget: CallBudget = field(default_factory=backlog_budget)
    """The history calls for days before the newest three (``history_budget.py``)."""
    calendars: dict[str, FusionSolarPlantCalendar] = field(default_factory=dict)
    """What the history answers told of each plant's local days."""
    control_tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The control tasks delivered and not done yet (followed after a restart)."""
    on_change: Callable[[], None] | None = None
    """Called when the inventory, a calendar or a control task changed (to save)."""

    def changed(self) -> None:
        """Have what the account keeps saved (a calendar learned something)."""
        if self.on_change is not None:
            self.on_change()

    def calendar(self, plant_code: str) -> FusionSolarPlantCalendar:
        """Return what is known of a plant's local days."""
        return self.calendars.setdefault(plant_code, FusionSolarPlantCalendar())

    def keep_inventory(
        self, inventory: PlantsAndDevices, include: frozenset[str] | None, at: datetime
    ) -> None:
        """Take ``inventory`` (of the plants ``include``, read at ``at``) as the account's."""
        self.inventory = inventory
        self.inventory_include = include
        self.inventory_at = at
        self.budget.size = self.history_budget.size = inventory.size
        self.changed()


def account_state(hass: HomeAssistant, account: str) -> FusionSolarAccountState:
    """Return what the account keeps over reloads."""
    return hass.data.setdefault(ACCOUNTS, {}).setdefault(
        account, FusionSolarAccountState()
    )


def remember_flow_listing(
    hass: HomeAssistant,
    account: str,
    client: FusionSolarClient,
    plants: Sequence[Plant],
) -> None:
    """Hand the account what a config flow read, before its entry is set up.

    The entry's setup then lists no plants again right away: Huawei allows one
    plant list call a minute and refuses the interface for a day after a 407.
    Nor does it log in again: the flow's session goes along (five logins per
    ten minutes, and each login ends the session before it).
    """
    state = account_state(hass, account)
    state.budget.absorb(client.budget)
    now = dt_util.utcnow()
    state.flow_plants = Reading(value=tuple(plants), at=now)
    session = client.session_token()
    state.flow_session = None if session is None else Reading(value=session, at=now)


def take_flow_session(state: FusionSolarAccountState) -> SessionToken | None:
    """Return the session a config flow handed over, once, if it is still fresh."""
    handed, state.flow_session = state.flow_session, None
    if handed is None or dt_util.utcnow() - handed.at >= FLOW_SESSION_FRESH:
        return None
    return handed.value


def account_id(host: str, username: str) -> str:
    """Return the unique id of a Northbound API account: user at host."""
    authority = host.split("://", 1)[-1].rstrip("/")
    return f"{username}@{authority}"


def call_budget(hass: HomeAssistant, account: str) -> CallBudget:
    """Return the account's call budget (config flows use it too)."""
    return account_state(hass, account).budget


def client_session(hass: HomeAssistant) -> aiohttp.ClientSession:
    """Return a session without cookies (the token goes in a header).

    Home Assistant's shared session keeps cookies per host, which would mix
    the sessions of two accounts on the same regional host.
    """
    return async_create_clientsession(hass, cookie_jar=aiohttp.DummyCookieJar())


def password_client(
    hass: HomeAssistant,
    session: aiohttp.ClientSession,
    data: dict[str, Any],
    *,
    gate: AccountGate | None = None,
) -> FusionSolarClient:
    """Return the client of a Northbound API account.

    ``gate``: the entry's account's; a flow's client has its own.
    """
    host: str = data[CONF_URL]
    username: str = data[CONF_USERNAME]
    return FusionSolarClient(
        session,
        host,
        username=username,
        password=data[CONF_PASSWORD],
        budget=call_budget(hass, account_id(host, username)),
        gate=gate,
    )


def oauth_client(
    hass: HomeAssistant,
    session: aiohttp.ClientSession,
    host: str,
    token_source: TokenSource,
    account: str,
    *,
    gate: AccountGate | None = None,
) -> FusionSolarClient:
    """Return the client of an OAuth Connect account."""
    return FusionSolarClient(
        session,
        host,
        token_source=token_source,
        budget=call_budget(hass, account),
        gate=gate,
    )


async def async_create_client(
    hass: HomeAssistant, entry: SolarCloudConfigEntry
) -> FusionSolarClient:
    """Return the client of an entry, by how it signs in.

    The client passes the account's gate before every call.

    Raises:
        ConfigEntryNotReady: The application credential is not available.

    """
    session = client_session(hass)
    gate = account_gate(hass, entry)
    if "token" not in entry.data:
        return password_client(hass, session, dict(entry.data), gate=gate)
    endpoints = oauth_endpoints(
        entry_oauth_server(dict(entry.data)),
        controls=entry.options.get(CONF_CONTROLS, True),
    )
    implementation = await async_get_entry_implementation(hass, entry, endpoints)
    return oauth_client(
        hass,
        session,
        entry.data[CONF_URL],
        ConfigEntryTokenSource(hass, entry, implementation),
        entry.unique_id or entry.entry_id,
        gate=gate,
    )


def oauth_endpoints(
    server: str | None = None, *, controls: bool = True
) -> OAuthEndpoints:
    """Return the OAuth Connect endpoints, with the control scope if wanted."""
    base = (server or OAUTH_SERVER).rstrip("/")
    scopes = (SCOPE_BASIC, SCOPE_CONTROL) if controls else (SCOPE_BASIC,)
    return OAuthEndpoints(
        authorize_url=f"{base}{OAUTH_AUTHORIZE_PATH}",
        token_url=f"{base}{OAUTH_TOKEN_PATH}",
        scopes=scopes,
    )


def entry_oauth_server(data: dict[str, Any]) -> str:
    """Return the OAuth server an entry authorized at."""
    server: str = data.get(CONF_OAUTH_SERVER) or OAUTH_SERVER
    return server
