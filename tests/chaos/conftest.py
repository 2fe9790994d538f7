"""Fixtures of the chaos suite: short timeouts, a foreign host, the closing table."""

from __future__ import annotations

from collections.abc import Iterator
import logging
from typing import Any
from unittest.mock import patch

from aiohttp import web
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from ..simulator.core import RunningSimulator, StartSimulator, VendorSimulator
from .common import NewChaos
from .const import OVERSIZE_LIMIT, SHORT_TIMEOUT
from .harness import RESULTS, TIMEOUTS, Chaos


@pytest.fixture(autouse=True)
def short_timeouts() -> Iterator[None]:
    """Let timeout faults expire requests; keep oversize answers small."""
    TIMEOUTS.expired = False
    with (
        patch("custom_components.solar_cloud.api.transport.asyncio", TIMEOUTS),
        patch("custom_components.solar_cloud.oauth.REFRESH_TIMEOUT", SHORT_TIMEOUT),
        patch("custom_components.solar_cloud.api.transport.MAX_BODY", OVERSIZE_LIMIT),
    ):
        yield


@pytest.fixture(autouse=True)
def verbose_log(caplog: pytest.LogCaptureFixture) -> None:
    """Keep every message of the integration and of the coordinators."""
    caplog.set_level(logging.DEBUG, logger="custom_components.solar_cloud")
    caplog.set_level(logging.DEBUG, logger="homeassistant.helpers.update_coordinator")


class ForeignHost(VendorSimulator):
    """A host that is not the vendor's: records what a redirect brings it."""

    vendor = "foreign"

    def add_routes(self, router: web.UrlDispatcher) -> None:
        """Answer everything with an empty JSON object."""

        async def anything(request: web.Request) -> web.Response:
            return web.json_response({})

        router.add_route("*", "/{tail:.*}", anything, name="anything")


@pytest.fixture
async def foreign(start_vendor_simulator: StartSimulator) -> RunningSimulator:
    """Serve the foreign host: another origin (port) than the vendor's.

    Only 127.0.0.1 can be reached in tests, so the foreign host differs by
    port: a client that keeps its credentials to its own origin sends none.
    """
    return await start_vendor_simulator(ForeignHost())


@pytest.fixture
def new_chaos(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture, foreign: RunningSimulator
) -> NewChaos:
    """Return a function that puts one loaded entry under fault.

    The foreign host is the thief every case checks redirects against.
    """

    def new(
        *,
        freezer: FrozenDateTimeFactory,
        entry: MockConfigEntry,
        sim: VendorSimulator,
        vendor: str,
        static_secrets: set[str],
    ) -> Chaos:
        return Chaos(
            hass=hass,
            freezer=freezer,
            caplog=caplog,
            entry=entry,
            sim=sim,
            vendor=vendor,
            static_secrets=static_secrets,
            thief=foreign.simulator,
            foreign_url=foreign.base_url,
        )

    return new


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print fault kinds x vendors: unhandled exceptions, counter falls, secrets."""
    if not RESULTS:
        return
    write = terminalreporter.write_line
    terminalreporter.section("chaos: fault kinds x vendors")
    write(
        f"{'vendor':<12} {'fault kind':<26} {'unhandled':>9} {'decreases':>9} "
        f"{'secrets':>7} {'back':>5}  control"
    )
    for r in RESULTS:
        write(
            f"{r.vendor:<12} {r.kind:<26} {r.unhandled:>9} {r.decreases:>9} "
            f"{r.secrets:>7} {'yes' if r.recovered else 'NO':>5}  {r.control}"
        )
    vendors = {r.vendor for r in RESULTS}
    kinds = {r.kind for r in RESULTS}
    write(
        f"{len(RESULTS)} cases, {len(kinds)} fault kinds x {len(vendors)} vendors; "
        f"unhandled {sum(r.unhandled for r in RESULTS)}, "
        f"counter decreases {sum(r.decreases for r in RESULTS)}, "
        f"secrets found {sum(r.secrets for r in RESULTS)}"
    )
