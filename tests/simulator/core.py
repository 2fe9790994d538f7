"""The framework every vendor simulator builds on."""

from __future__ import annotations

from abc import ABC, abstractmethod
import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from aiohttp import web


class Clock:
    """The simulator's idea of now.

    It is the wall clock, so tests move it with ``freezer`` together with Home
    Assistant's; ``offset`` shifts it further (the demo uses it to show a sunny
    noon at night).
    """

    def __init__(self) -> None:
        """Start at the wall clock."""
        self.offset = timedelta()

    def now(self) -> datetime:
        """Return the current simulated time (aware, UTC)."""
        return datetime.now(UTC) + self.offset


@dataclass(kw_only=True)
class Fault:
    """One misbehaviour to inject into the answers of an endpoint.

    Exactly one way to answer: ``status`` (an HTTP status with the vendor's
    error body, or ``body``), ``vendor_error`` (the vendor's own error, e.g. a
    FusionSolar failCode, rendered by the simulator), ``body`` (raw bytes:
    malformed JSON, an empty body with ``b""``), or only ``delay`` (answer
    normally but late; longer than the client's timeout is a timeout).

    It applies to the next ``times`` calls (None: every call), and only
    between ``start`` and ``until`` on the simulator clock if those are set.
    """

    endpoint: str
    status: int | None = None
    vendor_error: Any = None
    body: bytes | None = None
    delay: float = 0.0
    times: int | None = None
    start: datetime | None = None
    until: datetime | None = None
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    """Headers of the faulty answer (``Location`` of a redirect, ``Retry-After``)."""
    hits: int = 0

    def applies(self, endpoint: str, now: datetime) -> bool:
        """Return whether the fault applies to this call."""
        if self.endpoint not in ("*", endpoint):
            return False
        if self.times is not None and self.hits >= self.times:
            return False
        if self.start is not None and now < self.start:
            return False
        return self.until is None or now < self.until


class FaultInjector:
    """The faults a simulator currently injects."""

    def __init__(self) -> None:
        """Start without faults."""
        self.faults: list[Fault] = []

    def add(self, endpoint: str, **kwargs: Any) -> Fault:
        """Inject a fault into ``endpoint`` (a route name, or ``*``)."""
        fault = Fault(endpoint=endpoint, **kwargs)
        self.faults.append(fault)
        return fault

    def take(self, endpoint: str, now: datetime) -> Fault | None:
        """Return the first fault that applies to this call, counting it."""
        for fault in self.faults:
            if fault.applies(endpoint, now):
                fault.hits += 1
                return fault
        return None

    def clear(self) -> None:
        """Remove all faults."""
        self.faults.clear()


@dataclass(frozen=True, kw_only=True)
class RecordedRequest:
    """One request the simulator answered."""

    at: datetime
    method: str
    path: str
    endpoint: str
    status: int
    faulted: bool
    headers: dict[str, str] = field(repr=False)
    body: bytes = field(repr=False)


class RequestLog:
    """Every request a simulator answered, for budget tests and benchmarks."""

    def __init__(self) -> None:
        """Start empty."""
        self.requests: list[RecordedRequest] = []

    def record(self, request: RecordedRequest) -> None:
        """Add a request."""
        self.requests.append(request)

    def count(self, endpoint: str | None = None, *, status: int | None = None) -> int:
        """Return how many requests (of an endpoint, with a status) came in."""
        return sum(
            1
            for request in self.requests
            if endpoint in (None, request.endpoint) and status in (None, request.status)
        )

    def counts(self) -> Counter[str]:
        """Return the number of requests per endpoint."""
        return Counter(request.endpoint for request in self.requests)

    def of(self, endpoint: str) -> list[RecordedRequest]:
        """Return the requests of one endpoint, oldest first."""
        return [request for request in self.requests if request.endpoint == endpoint]

    def clear(self) -> None:
        """Forget all requests."""
        self.requests.clear()


class VendorSimulator(ABC):
    """A vendor cloud: routes, state, a clock, faults and a request log.

    Subclasses add their routes in :meth:`add_routes`, giving every route a
    ``name``: that name is the endpoint faults and the log refer to.
    """

    vendor: ClassVar[str]

    def __init__(self) -> None:
        """Start with the wall clock, no faults and an empty log."""
        self.clock = Clock()
        self.faults = FaultInjector()
        self.log = RequestLog()

    @abstractmethod
    def add_routes(self, router: web.UrlDispatcher) -> None:
        """Add the vendor's routes, each with a ``name``."""

    def render_vendor_error(self, request: web.Request, error: Any) -> web.Response:
        """Answer with the vendor's own error ``error`` (vendors override)."""
        return web.json_response({"error": error}, status=400)

    def build_app(self) -> web.Application:
        """Return the aiohttp application serving this simulator."""
        app = web.Application(middlewares=[self._middleware])
        self.add_routes(app.router)
        return app

    @staticmethod
    def endpoint_of(request: web.Request) -> str:
        """Return the endpoint (route name) a request is for."""
        route = request.match_info.route
        return route.name or f"{request.method} {request.path}"

    async def _answer_fault(
        self,
        fault: Fault,
        request: web.Request,
        handler: Any,
    ) -> web.StreamResponse:
        if fault.delay:
            await asyncio.sleep(fault.delay)
        if fault.vendor_error is not None:
            return self.render_vendor_error(request, fault.vendor_error)
        if fault.body is not None:
            return web.Response(
                body=fault.body,
                status=fault.status or 200,
                content_type=fault.content_type,
                headers=fault.headers,
            )
        if fault.status is not None:
            return web.json_response(
                {"message": f"Injected HTTP {fault.status}"},
                status=fault.status,
                headers=fault.headers,
            )
        response: web.StreamResponse = await handler(request)
        return response

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Any
    ) -> web.StreamResponse:
        endpoint = self.endpoint_of(request)
        body = await request.read()
        fault = self.faults.take(endpoint, self.clock.now())
        status = 500
        try:
            if fault is not None:
                response = await self._answer_fault(fault, request, handler)
            else:
                response = await handler(request)
            status = response.status
        except web.HTTPException as err:
            status = err.status
            raise
        finally:
            self.log.record(
                RecordedRequest(
                    at=self.clock.now(),
                    method=request.method,
                    path=request.path,
                    endpoint=endpoint,
                    status=status,
                    faulted=fault is not None,
                    headers=dict(request.headers),
                    body=body,
                )
            )
        return response


@dataclass(kw_only=True)
class RunningSimulator:
    """A simulator served on a port of 127.0.0.1."""

    simulator: VendorSimulator
    runner: web.AppRunner
    base_url: str

    async def stop(self) -> None:
        """Stop serving."""
        await self.runner.cleanup()


async def start_simulator(
    simulator: VendorSimulator, *, host: str = "127.0.0.1", port: int = 0
) -> RunningSimulator:
    """Serve ``simulator`` on ``host`` (port 0: a free port)."""
    runner = web.AppRunner(simulator.build_app(), handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    server = site._server
    assert server is not None
    bound_port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
    return RunningSimulator(
        simulator=simulator, runner=runner, base_url=f"http://{host}:{bound_port}"
    )


type StartSimulator = Callable[[VendorSimulator], Awaitable[RunningSimulator]]
"""The ``start_vendor_simulator`` fixture: serve a simulator for one test."""
