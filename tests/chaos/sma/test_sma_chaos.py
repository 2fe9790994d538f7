"""SMA under every fault kind: see tests/chaos/harness.py for what is checked."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import partial

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from ...common import async_set_number, simulator_as
from ...const import NOON, RETRY_AFTER
from ...simulator.sma import (
    CODE_CLIENT,
    CUSTOM_CLIENT,
    DEMO_OWNER,
    SANDBOX_OWNER,
    SmaSimulator,
)
from ...sma.const import FEED_IN_LIMIT
from ..common import NewChaos
from ..const import OVERSIZE_LIMIT
from ..harness import Chaos, FaultKind, cases, common_kinds, run_case

pytestmark = pytest.mark.freeze_time(NOON)

LONG_RETRY_AFTER = 1800
"""Longer than the fault's first half: the restart comes within the window."""


async def _unauthorized_twice(chaos: Chaos) -> None:
    chaos.sim.faults.add("device_measurements", status=401, times=2)


def _rate_limited(retry_after: int) -> Callable[[Chaos], Awaitable[None]]:
    async def inject(chaos: Chaos) -> None:
        chaos.sim.faults.add(
            "*",
            status=429,
            body=b'{"message": "Too many requests", "code": "429"}',
            headers={"Retry-After": str(retry_after)},
            times=1,
        )

    return inject


def _retry_after_kept(retry_after: int) -> Callable[[Chaos], Awaitable[None]]:
    async def check(chaos: Chaos) -> None:
        """Nothing is sent before Retry-After has passed, restart or not."""
        [limited] = [r for r in chaos.sim.log.requests if r.status == 429]
        early = [
            r.endpoint
            for r in chaos.sim.log.requests
            if limited.at < r.at < limited.at + timedelta(seconds=retry_after)
        ]
        assert not early, early

    return check


async def _revoke_consent(chaos: Chaos) -> None:
    simulator_as(chaos.sim, SmaSimulator).set_consent(SANDBOX_OWNER, "revoke")


async def _grant_consent(chaos: Chaos) -> None:
    simulator_as(chaos.sim, SmaSimulator).grant_consent(SANDBOX_OWNER)


async def _migrate_plant(chaos: Chaos) -> None:
    simulator_as(chaos.sim, SmaSimulator).move_plant("13", "8800013")


KINDS = [
    *common_kinds(OVERSIZE_LIMIT),
    # A renewed token refused too makes the client credentials sign in anew:
    # no reauth.
    FaultKind(name="sma_401_twice", inject=_unauthorized_twice),
    FaultKind(
        name="sma_429_retry_after",
        inject=_rate_limited(RETRY_AFTER),
        check=_retry_after_kept(RETRY_AFTER),
    ),
    # The window spans the restart: setup (and Home Assistant's retries of
    # it) wait it out without a call, then the account comes back.
    FaultKind(
        name="sma_429_over_restart",
        inject=_rate_limited(LONG_RETRY_AFTER),
        check=_retry_after_kept(LONG_RETRY_AFTER),
    ),
    FaultKind(
        name="sma_consent_revoked",
        inject=_revoke_consent,
        clear=_grant_consent,
        auth=True,
    ),
    FaultKind(name="sma_308_migration", inject=_migrate_plant),
]


@pytest.mark.parametrize("kind", cases(KINDS))
async def test_sma_chaos(  # noqa: PLR0917
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_client: ClientSessionGenerator,
    new_chaos: NewChaos,
    custom_entry: MockConfigEntry,
    sim: SmaSimulator,
    kind: FaultKind,
) -> None:
    """Faults come and go: the account recovers by itself, nothing leaks."""
    assert await hass.config_entries.async_setup(custom_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    chaos = new_chaos(
        freezer=freezer,
        entry=custom_entry,
        sim=sim,
        vendor="sma",
        static_secrets={
            CUSTOM_CLIENT[1],
            CODE_CLIENT[1],
            SANDBOX_OWNER,
            DEMO_OWNER,
            SANDBOX_OWNER.lower(),
        },
    )
    await run_case(
        chaos,
        kind,
        hass_client=hass_client,
        control=partial(async_set_number, hass, FEED_IN_LIMIT, 4200),
        fault_time=timedelta(minutes=20),
        recovery_time=timedelta(minutes=65),
        step=timedelta(minutes=5),
    )
