"""Realtime registration: the webhook's URL (external or cloudhook) at smart-me."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
import sys
import types
from typing import Any
from unittest.mock import AsyncMock, patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.solar_cloud.const import DOMAIN
from custom_components.solar_cloud.smartme import cloudhook
from custom_components.solar_cloud.smartme.const import (
    CONF_CLOUDHOOK_URL,
    CONF_REALTIME_URL,
)
from custom_components.solar_cloud.smartme.data import smartme_data

from ..common import async_advance
from ..simulator.smartme import BILANZ_ID, SmartMeSimulator
from . import SetUp, realtime_of
from .const import HOOK_PATH, WEBHOOK_ID, WEBHOOK_PASSWORD, WEBHOOK_USERNAME


def _no_listener(hass: HomeAssistant, on_connected: Any) -> Callable[[], None]:
    return lambda: None


@contextmanager
def subscribed_cloud(
    create: AsyncMock,
    *,
    listen: Callable[[HomeAssistant, Any], Callable[[], None]] = _no_listener,
    delete: AsyncMock | None = None,
) -> Iterator[None]:
    """Play a subscribed Home Assistant Cloud whose cloudhooks ``create`` makes."""
    realtime = "custom_components.solar_cloud.smartme.realtime"
    with ExitStack() as stack:
        stack.enter_context(patch(f"{realtime}.cloud_subscribed", return_value=True))
        stack.enter_context(patch(f"{realtime}.async_create_cloudhook", create))
        stack.enter_context(patch(f"{realtime}.async_listen_connected", listen))
        if delete is not None:
            stack.enter_context(patch(f"{realtime}.async_delete_cloudhook", delete))
        yield


@pytest.fixture
def realtime() -> bool:
    """These entries receive pushes."""
    return True


async def test_no_url_keeps_polling(
    hass: HomeAssistant, sim: SmartMeSimulator, setup_entry: SetUp
) -> None:
    """Without cloud or external URL a repair issue says so; nothing registers."""
    entry = await setup_entry()
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"{entry.entry_id}_smartme_realtime_no_url"
    )
    assert issue is not None
    assert sim.registrations == {}
    realtime = realtime_of(entry)
    assert realtime.state == "no_url"


async def test_an_external_url_set_later_registers_without_reload(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
) -> None:
    """The user does what the repair asks; the entry notices on its own."""
    entry = await setup_entry()
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"{entry.entry_id}_smartme_realtime_no_url"
    )
    assert issue is not None
    assert issue.is_fixable
    await hass.config.async_update(external_url="https://home.example")
    await async_advance(hass, frozen, timedelta(seconds=1))
    assert [item["ApiUrl"] for item in sim.registrations.values()] == [
        f"https://home.example{HOOK_PATH}"
    ]
    assert smartme_data(entry).realtime.state == "registered"  # type: ignore[union-attr]
    assert not ir.async_get(hass).async_get_issue(
        DOMAIN, f"{entry.entry_id}_smartme_realtime_no_url"
    )


async def test_the_repair_checks_again(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    hass_client: ClientSessionGenerator,
) -> None:
    """The repair's fix flow says when there is still no URL, and registers once there is."""
    assert await async_setup_component(hass, "repairs", {})
    entry = await setup_entry()
    client = await hass_client()
    issue_id = f"{entry.entry_id}_smartme_realtime_no_url"
    response = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue_id}
    )
    flow = await response.json()
    assert flow["step_id"] == "init"
    response = await client.post(f"/api/repairs/issues/fix/{flow['flow_id']}")
    flow = await response.json()
    assert flow["errors"] == {"base": "smartme_still_no_url"}
    # Set without an event (as a URL from Home Assistant Cloud would come).
    hass.config.external_url = "https://home.example"
    response = await client.post(f"/api/repairs/issues/fix/{flow['flow_id']}")
    flow = await response.json()
    assert flow["type"] == "create_entry"
    assert len(sim.registrations) == 1


@pytest.mark.usefixtures("external_url")
async def test_registration_refused_shows_instructions(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    external_url: str,
) -> None:
    """Without the licence, the URL and credentials are shown for the portal."""
    sim.account.realtime_licence = False
    entry = await setup_entry()
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"{entry.entry_id}_smartme_realtime_manual"
    )
    assert issue is not None
    placeholders = issue.translation_placeholders or {}
    assert placeholders["url"] == f"{external_url}{HOOK_PATH}"
    assert placeholders["username"] == WEBHOOK_USERNAME
    assert placeholders["password"] == WEBHOOK_PASSWORD
    assert "professional licence" in placeholders["error"]
    # Registered by hand in the portal, pushes are accepted.
    sim.registrations["manual"] = {
        "Id": "manual",
        "ApiUrl": placeholders["url"],
        "BasicAuthUsername": WEBHOOK_USERNAME,
        "BasicAuthPassword": WEBHOOK_PASSWORD,
    }
    assert await sim.push([BILANZ_ID]) == [200]


@pytest.mark.usefixtures("external_url")
async def test_registration_retried(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
) -> None:
    """A cloud outage during registration is retried later."""
    sim.faults.add("register", status=503, times=1)
    entry = await setup_entry()
    realtime = realtime_of(entry)
    assert realtime.state == "retrying"
    await async_advance(hass, frozen, timedelta(minutes=5))
    assert realtime.state == "registered"
    assert len(sim.registrations) == 1
    assert entry.data[CONF_REALTIME_URL] == realtime.url


@pytest.mark.usefixtures("external_url")
async def test_registration_reused_and_old_ones_dropped(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    external_url: str,
) -> None:
    """The same registration is kept; this entry's outdated ones are deleted."""
    url = f"{external_url}{HOOK_PATH}"
    sim.registrations = {
        "same": {
            "Id": "same",
            "ApiUrl": url,
            "BasicAuthUsername": WEBHOOK_USERNAME,
            "BasicAuthPassword": WEBHOOK_PASSWORD,
        },
        "twin": {
            "Id": "twin",
            "ApiUrl": url,
            "BasicAuthUsername": WEBHOOK_USERNAME,
            "BasicAuthPassword": WEBHOOK_PASSWORD,
        },
        "old": {"Id": "old", "ApiUrl": f"https://old.example{HOOK_PATH}"},
        "other": {"Id": "other", "ApiUrl": "https://someone.else/hook"},
    }
    # smart-me may list a registration without its id: it cannot be deleted.
    sim.registrations["anonymous"] = {"ApiUrl": f"https://older.example{HOOK_PATH}"}
    entry = await setup_entry()
    assert set(sim.registrations) == {"same", "other", "anonymous"}
    assert sim.log.count("register") == 0
    assert await hass.config_entries.async_remove(entry.entry_id)
    assert set(sim.registrations) == {"other", "anonymous"}


@pytest.mark.usefixtures("external_url")
async def test_removal_unregisters(
    hass: HomeAssistant, sim: SmartMeSimulator, setup_entry: SetUp
) -> None:
    """Deleting the entry deletes its registration at smart-me."""
    entry = await setup_entry()
    assert len(sim.registrations) == 1
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert sim.registrations == {}


@pytest.mark.usefixtures("external_url")
async def test_removal_tolerates_the_cloud_failing(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A failing unregistration is logged, the entry goes anyway."""
    entry = await setup_entry()
    sim.faults.add("registrations", status=500)
    assert await hass.config_entries.async_remove(entry.entry_id)
    assert "Could not remove the smart-me realtime registration" in caplog.text


@pytest.mark.parametrize("realtime", [False])
async def test_switching_realtime_off_unregisters(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    smartme_entry: MockConfigEntry,
    setup_entry: SetUp,
) -> None:
    """An entry whose realtime option was turned off removes its registration."""
    url = f"https://ha.example/api/webhook/{WEBHOOK_ID}"
    sim.registrations["ours"] = {"Id": "ours", "ApiUrl": url}
    hass.config_entries.async_update_entry(
        smartme_entry, data={**smartme_entry.data, CONF_REALTIME_URL: url}
    )
    await setup_entry()
    assert sim.registrations == {}
    assert CONF_REALTIME_URL not in smartme_entry.data
    assert smartme_data(smartme_entry).realtime is None


async def test_cloudhook_when_cloud_is_subscribed(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    setup_entry: SetUp,
    smartme_entry: MockConfigEntry,
) -> None:
    """With Home Assistant Cloud the webhook is reached through a cloudhook."""
    hook = "https://hooks.nabu.casa/abc"
    delete = AsyncMock()
    create = AsyncMock(return_value=hook)
    with subscribed_cloud(create, delete=delete):
        await setup_entry()
        create.assert_awaited_once_with(hass, WEBHOOK_ID)
        assert smartme_entry.data[CONF_CLOUDHOOK_URL] == hook
        [registration] = sim.registrations.values()
        assert registration["ApiUrl"] == hook
        assert await hass.config_entries.async_remove(smartme_entry.entry_id)
    delete.assert_awaited_once_with(hass, WEBHOOK_ID)
    assert sim.registrations == {}


async def test_cloud_not_connected_registers_on_connect(
    hass: HomeAssistant, sim: SmartMeSimulator, setup_entry: SetUp
) -> None:
    """Subscribed but not connected: registration waits for the connection."""
    listeners: list[Any] = []

    def listen(hass: HomeAssistant, on_connected: Any) -> Any:
        listeners.append(on_connected)
        return lambda: None

    create = AsyncMock(return_value=None)
    with subscribed_cloud(create, listen=listen):
        entry = await setup_entry()
        realtime = realtime_of(entry)
        assert realtime.state == "waiting_for_cloud"
        create.return_value = "https://hooks.nabu.casa/xyz"
        await listeners[0]()
    assert realtime.state == "registered"
    assert [r["ApiUrl"] for r in sim.registrations.values()] == [
        "https://hooks.nabu.casa/xyz"
    ]


async def test_cloud_helpers_without_cloud(hass: HomeAssistant) -> None:
    """Without the cloud integration nothing imports it."""
    assert not cloudhook.cloud_subscribed(hass)
    await cloudhook.async_delete_cloudhook(hass, "id")


async def test_cloud_helpers_with_cloud(hass: HomeAssistant) -> None:
    """The helpers ask Home Assistant Cloud when it is loaded."""

    class CloudNotAvailable(Exception):  # noqa: N818 - cloud's own name
        pass

    class State:
        CLOUD_CONNECTED = "connected"

    listeners: list[Any] = []
    fake = types.SimpleNamespace(
        CloudNotAvailable=CloudNotAvailable,
        CloudConnectionState=State,
        async_active_subscription=lambda _: True,
        async_create_cloudhook=AsyncMock(
            side_effect=[CloudNotAvailable(), "https://hook"]
        ),
        async_delete_cloudhook=AsyncMock(side_effect=[None, CloudNotAvailable()]),
        async_listen_connection_change=lambda _, target: (
            listeners.append(target) or (lambda: None)
        ),
    )
    hass.config.components.add("cloud")
    on_connected = AsyncMock()
    with patch.dict(sys.modules, {"homeassistant.components.cloud": fake}):
        assert cloudhook.cloud_subscribed(hass)
        assert await cloudhook.async_create_cloudhook(hass, "id") is None
        assert await cloudhook.async_create_cloudhook(hass, "id") == "https://hook"
        await cloudhook.async_delete_cloudhook(hass, "id")
        await cloudhook.async_delete_cloudhook(hass, "id")
        cloudhook.async_listen_connected(hass, on_connected)
        await listeners[0]("disconnected")
        await listeners[0](State.CLOUD_CONNECTED)
    on_connected.assert_awaited_once()


async def test_stored_cloudhook_is_reused(
    hass: HomeAssistant,
    sim: SmartMeSimulator,
    smartme_entry: MockConfigEntry,
    setup_entry: SetUp,
) -> None:
    """A cloudhook created before is used again, not created anew."""
    hook = "https://hooks.nabu.casa/kept"
    hass.config_entries.async_update_entry(
        smartme_entry, data={**smartme_entry.data, CONF_CLOUDHOOK_URL: hook}
    )
    create = AsyncMock()
    with subscribed_cloud(create):
        await setup_entry()
    create.assert_not_awaited()
    assert [r["ApiUrl"] for r in sim.registrations.values()] == [hook]
