"""Helpers shared by the tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import logging
from typing import Any

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.application_credentials import (
    ClientCredential,
    async_import_client_credential,
)
from homeassistant.components.number import (
    ATTR_VALUE,
    DOMAIN as NUMBER_DOMAIN,
    SERVICE_SET_VALUE,
)
from homeassistant.components.recorder.statistics import (
    StatisticsRow,
    statistics_during_period,
)
from homeassistant.components.select import (
    ATTR_OPTION,
    DOMAIN as SELECT_DOMAIN,
    SERVICE_SELECT_OPTION,
)
from homeassistant.config_entries import (
    SOURCE_USER,
    ConfigEntry,
    ConfigEntryState,
    ConfigFlowResult,
)
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.recorder import get_instance
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from yarl import URL

from custom_components.solar_cloud.const import DOMAIN

from .simulator.core import RequestLog, VendorSimulator


async def async_advance(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    delta: timedelta,
    *,
    step: timedelta | None = None,
) -> None:
    """Move the clock forward by ``delta`` (in ``step``s) and let everything run.

    Refreshes run as background tasks and talk to simulators over real
    sockets; waiting for background tasks keeps their request timeouts from
    firing when the clock jumps next.
    """
    step = step or delta
    moved = timedelta()
    while moved < delta:
        tick = min(step, delta - moved)
        freezer.tick(tick)
        moved += tick
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)


async def async_wait_out_rate_limit(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry: ConfigEntry,
    log: RequestLog,
    until: datetime,
    *,
    step: timedelta,
) -> None:
    """Retry a rate-limited setup until ``until``: no call before, loaded after.

    Home Assistant retries setup (5 s, 10 s, 20 s … at most ten minutes apart);
    every retry up to a few seconds before ``until`` must end in the rate limit
    without a call, and the next retry after it sets the entry up.
    """
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.error_reason_translation_key == "account_rate_limited"
    calls = len(log.requests)
    await async_advance(
        hass, freezer, until - timedelta(seconds=5) - dt_util.utcnow(), step=step
    )
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert len(log.requests) == calls, log.counts()

    await async_advance(hass, freezer, timedelta(minutes=11), step=timedelta(minutes=1))
    assert entry.state is ConfigEntryState.LOADED
    assert min(r.at for r in log.requests[calls:]) >= until


async def async_statistic_rows(
    hass: HomeAssistant, statistic_id: str, types: set[str]
) -> list[StatisticsRow]:
    """Return every hourly row of a statistic, once the recorder has written all."""
    await async_wait_recording_done(hass)
    rows = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        datetime(2000, 1, 1, tzinfo=UTC),
        None,
        {statistic_id},
        "hour",
        None,
        types,
    )
    return rows.get(statistic_id, [])


async def async_statistic_energy(
    hass: HomeAssistant, statistic_id: str, *, digits: int = 6
) -> dict[datetime, float]:
    """Return kWh per hour as a statistic holds it: the differences of its sums.

    The sum before the first row is that row's sum less its own energy (the
    row's ``state``). Every row's ``state`` must agree with the sums.
    """
    energy: dict[datetime, float] = {}
    previous: float | None = None
    for row in await async_statistic_rows(hass, statistic_id, {"sum", "state"}):
        total, state = row["sum"], row["state"]
        assert total is not None
        assert state is not None
        if previous is None:
            previous = total - state
        energy[datetime.fromtimestamp(row["start"], UTC)] = round(
            total - previous, digits
        )
        assert abs(total - previous - state) < 1e-6, row
        previous = total
    return energy


def devices_without_entities(hass: HomeAssistant, entry_id: str) -> list[str]:
    """Return the names of an entry's devices that have no entity at all."""
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry_id)
    entities = er.async_entries_for_config_entry(er.async_get(hass), entry_id)
    with_entities = {entity.device_id for entity in entities}
    return sorted(
        device.name or device.id for device in devices if device.id not in with_entities
    )


def not_supported_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Return the warnings about calls a cloud answered "not supported" to."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "custom_components.solar_cloud.api.unsupported"
        and record.levelno >= logging.WARNING
    ]


async def async_start_flow(hass: HomeAssistant, *choices: str) -> ConfigFlowResult:
    """Start the config flow and pick each of ``choices`` in the menus in turn."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    for choice in choices:
        assert result["type"] is FlowResultType.MENU
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"next_step_id": choice}
        )
    return result


async def async_authorize(
    hass: HomeAssistant,
    result: ConfigFlowResult,
    hass_client_no_auth: ClientSessionGenerator,
) -> ConfigFlowResult:
    """Play the user at the authorization server, then return to the flow.

    The user approves at once; the server redirects to Home Assistant's
    callback, which the flow's external step waits for.
    """
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    async with (
        aiohttp.ClientSession() as session,
        session.get(result["url"], allow_redirects=False) as response,
    ):
        assert response.status == 302
        callback = URL(response.headers["Location"])
    client = await hass_client_no_auth()
    response = await client.get(f"/auth/external/callback?{callback.query_string}")
    assert response.status == 200
    return await hass.config_entries.flow.async_configure(result["flow_id"])


async def async_add_credential(
    hass: HomeAssistant, credential: ClientCredential, credential_id: str
) -> str:
    """Set up application credentials, add one for the integration; return its id."""
    assert await async_setup_component(hass, "application_credentials", {})
    await async_import_client_credential(hass, DOMAIN, credential, credential_id)
    return credential_id


def suggested_values(result: ConfigFlowResult) -> dict[str, object]:
    """Return the value a form shows in each field (what the user typed before)."""
    return {
        str(key): (key.description or {}).get("suggested_value")
        for key in result["data_schema"].schema
    }


async def async_call_refused(
    hass: HomeAssistant, action: str, data: dict[str, Any]
) -> ServiceValidationError:
    """Call one of the integration's actions that must be refused; return why."""
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, action, data, blocking=True, return_response=True
        )
    return err.value


async def async_set_number(hass: HomeAssistant, entity_id: str, value: float) -> None:
    """Set a number entity as the user does (the call returns once it answered)."""
    await _async_entity_action(
        hass, NUMBER_DOMAIN, SERVICE_SET_VALUE, entity_id, {ATTR_VALUE: value}
    )


async def async_select_option(hass: HomeAssistant, entity_id: str, option: str) -> None:
    """Choose a select entity's option as the user does."""
    await _async_entity_action(
        hass, SELECT_DOMAIN, SERVICE_SELECT_OPTION, entity_id, {ATTR_OPTION: option}
    )


async def _async_entity_action(
    hass: HomeAssistant,
    domain: str,
    service: str,
    entity_id: str,
    data: dict[str, Any],
) -> None:
    await hass.services.async_call(
        domain, service, {ATTR_ENTITY_ID: entity_id, **data}, blocking=True
    )


def simulator_as[S: VendorSimulator](simulator: VendorSimulator, kind: type[S]) -> S:
    """Return a served simulator as the vendor's own class (asserting it is one)."""
    assert isinstance(simulator, kind)
    return simulator


def find_device(
    hass: HomeAssistant, entry: ConfigEntry, vendor_key: str
) -> dr.DeviceEntry | None:
    """Return the entry's device of a vendor key (``"fusionsolar_NE=1"``), if any."""
    return dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, vendor_key), entry.entry_id
    )


def device_of(
    hass: HomeAssistant, entry: ConfigEntry, vendor_key: str
) -> dr.DeviceEntry:
    """Return the entry's device of a vendor key (``"fusionsolar_NE=1"``)."""
    device = find_device(hass, entry, vendor_key)
    assert device is not None, vendor_key
    return device
