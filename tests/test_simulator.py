"""The simulator framework itself: clock, faults, request log, serving."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
import sys

import aiohttp
from aiohttp import web
from freezegun.api import FrozenDateTimeFactory
import pytest

from .simulator import registry
from .simulator.core import Clock, RunningSimulator, StartSimulator, VendorSimulator


class CounterSimulator(VendorSimulator):
    """Counts calls and tells the time."""

    vendor = "counter"

    def __init__(self) -> None:
        """Start at zero."""
        super().__init__()
        self.calls = 0

    def add_routes(self, router: web.UrlDispatcher) -> None:
        """Two named routes and one without a name."""
        router.add_get("/now", self.now, name="now")
        router.add_post("/count", self.count, name="count")
        router.add_get("/unnamed", self.now)

    async def now(self, request: web.Request) -> web.Response:
        """Return the simulated time."""
        return web.json_response({"now": self.clock.now().isoformat()})

    async def count(self, request: web.Request) -> web.Response:
        """Count a call."""
        self.calls += 1
        if self.calls > 3:
            raise web.HTTPConflict
        return web.json_response({"calls": self.calls})


@pytest.fixture
async def counter(start_vendor_simulator: StartSimulator) -> RunningSimulator:
    """Serve the counter simulator."""
    return await start_vendor_simulator(CounterSimulator())


async def _get(url: str, method: str = "GET") -> tuple[int, bytes]:
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, url) as response,
    ):
        return response.status, await response.read()


@pytest.mark.freeze_time("2026-06-21T12:00:00+00:00")
async def test_clock_follows_freezer(
    counter: RunningSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """Tests move the simulator's time with freezer; offset shifts it further."""
    status, body = await _get(f"{counter.base_url}/now")
    assert status == 200
    assert b"2026-06-21T12:00:00+00:00" in body
    freezer.tick(timedelta(hours=2))
    counter.simulator.clock.offset = timedelta(minutes=5)
    assert counter.simulator.clock.now() == datetime(2026, 6, 21, 14, 5, tzinfo=UTC)


async def test_faults_for_the_next_calls(counter: RunningSimulator) -> None:
    """A fault with times applies to that many calls, then the endpoint recovers."""
    sim = counter.simulator
    sim.faults.add("count", status=500, times=2)
    assert (await _get(f"{counter.base_url}/count", "POST"))[0] == 500
    assert (await _get(f"{counter.base_url}/count", "POST"))[0] == 500
    assert (await _get(f"{counter.base_url}/count", "POST")) == (200, b'{"calls": 1}')
    assert (await _get(f"{counter.base_url}/now"))[0] == 200
    assert sim.log.count("count") == 3
    assert sim.log.count("count", status=500) == 2
    assert sim.log.counts() == {"count": 3, "now": 1}
    assert [r.faulted for r in sim.log.of("count")] == [True, True, False]


async def test_fault_kinds(counter: RunningSimulator) -> None:
    """Vendor errors, raw bodies and delays are injected as asked."""
    sim = counter.simulator
    sim.faults.add("now", vendor_error=407, times=1)
    assert await _get(f"{counter.base_url}/now") == (400, b'{"error": 407}')
    sim.faults.add("now", body=b"{broken", status=200, times=1)
    assert await _get(f"{counter.base_url}/now") == (200, b"{broken")
    sim.faults.add("*", delay=0.05, times=1)
    loop = asyncio.get_running_loop()
    started = loop.time()
    status, _ = await _get(f"{counter.base_url}/now")
    assert status == 200
    assert loop.time() - started >= 0.05


@pytest.mark.freeze_time("2026-06-21T12:00:00+00:00")
async def test_fault_windows(
    counter: RunningSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """A fault with a time window applies only inside it."""
    sim = counter.simulator
    now = sim.clock.now()
    sim.faults.add(
        "now",
        status=503,
        start=now + timedelta(minutes=1),
        until=now + timedelta(minutes=2),
    )
    assert (await _get(f"{counter.base_url}/now"))[0] == 200
    freezer.tick(timedelta(seconds=90))
    assert (await _get(f"{counter.base_url}/now"))[0] == 503
    freezer.tick(timedelta(minutes=1))
    assert (await _get(f"{counter.base_url}/now"))[0] == 200
    sim.faults.clear()
    assert sim.faults.faults == []


async def test_http_exceptions_and_unnamed_routes_are_logged(
    counter: RunningSimulator,
) -> None:
    """Handlers may raise aiohttp's HTTP exceptions; unnamed routes log method and path."""
    for _ in range(4):
        await _get(f"{counter.base_url}/count", "POST")
    await _get(f"{counter.base_url}/unnamed")
    log = counter.simulator.log
    assert log.count("count", status=409) == 1
    assert log.count("GET /unnamed") == 1
    log.clear()
    assert log.count() == 0


async def test_default_vendor_error() -> None:
    """A simulator without its own error format answers JSON with status 400."""
    response = CounterSimulator().render_vendor_error(None, "boom")  # type: ignore[arg-type]
    assert response.status == 400


def test_clock_starts_at_wall_time() -> None:
    """Without freezer the clock is the wall clock."""
    before = datetime.now(UTC)
    assert before <= Clock().now() <= datetime.now(UTC)


@pytest.mark.usefixtures("socket_enabled")
async def test_serve_all_registered_simulators(monkeypatch: pytest.MonkeyPatch) -> None:
    """``python -m tests.simulator`` serves each registered simulator on its port."""
    from .simulator import __main__ as main

    monkeypatch.setattr(
        registry,
        "DEMO_SIMULATORS",
        {"counter": registry.DemoSimulator(port=0, create=CounterSimulator)},
    )
    monkeypatch.setattr(main, "DEMO_SIMULATORS", registry.DEMO_SIMULATORS)
    task = asyncio.create_task(main.serve("127.0.0.1"))
    await asyncio.sleep(0.1)
    assert not task.done()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def test_main_parses_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    """The module entry point parses its options and runs the server."""
    from .simulator import __main__ as main

    served: list[str] = []

    async def fake_serve(host: str) -> None:
        served.append(host)

    monkeypatch.setattr(main, "serve", fake_serve)
    monkeypatch.setattr(sys, "argv", ["simulator", "--host", "127.0.0.2"])
    main.main()
    assert served == ["127.0.0.2"]
