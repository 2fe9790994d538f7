"""The shared HTTP round trip of the clients."""

from __future__ import annotations

from typing import Any

import aiohttp
from aiohttp import web
import pytest

from custom_components.solar_cloud.api import ApiConnectionError, ApiResponseError
from custom_components.solar_cloud.api.transport import SNIPPET_LENGTH, send, snippet

from .simulator.core import RunningSimulator, StartSimulator, VendorSimulator


class EchoSimulator(VendorSimulator):
    """Answers what it is asked."""

    vendor = "echo"

    def add_routes(self, router: web.UrlDispatcher) -> None:
        """One route."""
        router.add_get("/echo", self.echo, name="echo")
        router.add_get("/big", self.big, name="big")

    async def echo(self, request: web.Request) -> web.Response:
        """Return the query."""
        return web.json_response(dict(request.query))

    async def big(self, request: web.Request) -> web.StreamResponse:
        """Return ``size`` bytes, chunked (no Content-Length) if asked."""
        size = int(request.query["size"])
        if "chunked" not in request.query:
            return web.Response(body=b"x" * size)
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        for _ in range(size // 1024):
            await response.write(b"x" * 1024)
        await response.write_eof()
        return response


@pytest.fixture
async def echo(start_vendor_simulator: StartSimulator) -> RunningSimulator:
    """Serve the echo simulator."""
    return await start_vendor_simulator(EchoSimulator())


async def test_send_returns_status_headers_and_body(echo: RunningSimulator) -> None:
    """A response comes back whole, parsed on demand."""
    async with aiohttp.ClientSession() as session:
        response = await send(
            session, "GET", f"{echo.base_url}/echo", params={"a": "1"}
        )
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == {"a": "1"}
    assert response.text == '{"a": "1"}'


@pytest.mark.parametrize(
    ("fault", "message"),
    [({"body": b""}, "Empty response body"), ({"body": b"<html>"}, "not JSON")],
)
async def test_unusable_bodies(
    echo: RunningSimulator, fault: dict[str, Any], message: str
) -> None:
    """Empty and malformed bodies are response errors, when parsed."""
    echo.simulator.faults.add("echo", **fault)
    async with aiohttp.ClientSession() as session:
        response = await send(session, "GET", f"{echo.base_url}/echo")
    with pytest.raises(ApiResponseError, match=message):
        response.json()


async def test_timeout_is_a_connection_error(echo: RunningSimulator) -> None:
    """A server that answers too late is unreachable for the client."""
    echo.simulator.faults.add("echo", delay=1)
    async with aiohttp.ClientSession() as session:
        with pytest.raises(ApiConnectionError, match=r"Timeout after 0\.1 s"):
            await send(session, "GET", f"{echo.base_url}/echo", request_timeout=0.1)


async def test_refused_connection_is_a_connection_error(echo: RunningSimulator) -> None:
    """Nothing listening is a connection error too."""
    await echo.stop()
    async with aiohttp.ClientSession() as session:
        with pytest.raises(ApiConnectionError, match="ClientConnectorError"):
            await send(session, "GET", f"{echo.base_url}/echo")


@pytest.mark.parametrize("chunked", [False, True])
async def test_an_oversize_body_is_refused(
    echo: RunningSimulator, monkeypatch: pytest.MonkeyPatch, chunked: bool
) -> None:
    """A body over the bound is not read whole, stated size or not."""
    monkeypatch.setattr(
        "custom_components.solar_cloud.api.transport.MAX_BODY", 64 * 1024
    )
    query = {"size": str(64 * 1024)} | ({"chunked": "1"} if chunked else {})
    async with aiohttp.ClientSession() as session:
        response = await send(session, "GET", f"{echo.base_url}/big", params=query)
        assert len(response.body) == 64 * 1024
        query["size"] = str(65 * 1024)
        with pytest.raises(ApiResponseError, match="larger than 65536 bytes"):
            await send(session, "GET", f"{echo.base_url}/big", params=query)


@pytest.mark.freeze_time("2026-11-29T12:00:00+00:00")
@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (None, None),
        ("90", 90.0),
        ("Sun, 29 Nov 2026 12:10:00 GMT", 600.0),
        ("Sun, 29 Nov 2026 11:00:00 GMT", 0.0),
        ("later", None),
        ("-5", None),
    ],
)
async def test_retry_after(
    echo: RunningSimulator, header: str | None, seconds: float | None
) -> None:
    """Retry-After is read as seconds or as an HTTP date; anything else is None."""
    echo.simulator.faults.add(
        "echo", status=429, headers={"Retry-After": header} if header else {}
    )
    async with aiohttp.ClientSession() as session:
        response = await send(session, "GET", f"{echo.base_url}/echo")
    assert response.retry_after == seconds


def test_snippet() -> None:
    """Quotes of an answer are cut to 200 characters, whitespace folded."""
    assert snippet("short\n  text") == "short text"
    assert snippet({"a": 1}) == "{'a': 1}"
    long = snippet("x" * 1000)
    assert len(long) == SNIPPET_LENGTH
    assert long.endswith("…")
