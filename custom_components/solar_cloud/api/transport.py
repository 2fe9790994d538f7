"""The HTTP round trip every vendor client shares.

It turns transport failures (DNS, TLS, reset connections, timeouts) into
:class:`ApiConnectionError` and hands back status, headers and body for the
vendor client to interpret: what a status or an empty body means differs per
vendor, so that decision stays in the vendor's client.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
import json
from typing import Any

import aiohttp
from multidict import CIMultiDictProxy
from yarl import URL

from .errors import ApiConnectionError, ApiResponseError

DEFAULT_TIMEOUT = 30.0
SNIPPET_LENGTH = 200
"""Characters of a vendor's answer an error message may quote."""
MAX_BODY = 16 * 1024 * 1024
"""Bytes a response body may have: the largest real answers are a few MiB."""


def snippet(value: object, limit: int = SNIPPET_LENGTH) -> str:
    """Return ``value`` (text, or the repr of anything else) short enough to quote.

    Error messages end up in logs and in what the user reads: they quote a
    vendor's answer, never all of it.
    """
    text = " ".join((value if isinstance(value, str) else repr(value)).split())
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


@dataclass(frozen=True, slots=True)
class RawResponse:
    """What came back from one request."""

    status: int
    headers: CIMultiDictProxy[str]
    body: bytes
    url: URL

    @property
    def text(self) -> str:
        """Return the body decoded as UTF-8, replacing what does not decode."""
        return self.body.decode("utf-8", errors="replace")

    @property
    def snippet(self) -> str:
        """Return the start of the body, short enough for an error message."""
        return snippet(self.text)

    @property
    def retry_after(self) -> float | None:
        """Return the seconds the ``Retry-After`` header asks to wait, if any.

        It is either a number of seconds or an HTTP date (RFC 9110).
        """
        value = self.headers.get("Retry-After", "").strip()
        if not value:
            return None
        if value.isdigit():
            return float(value)
        try:
            when = parsedate_to_datetime(value)
        except TypeError, ValueError:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max((when - datetime.now(UTC)).total_seconds(), 0.0)

    def json(self) -> Any:
        """Return the body parsed as JSON.

        Raises:
            ApiResponseError: The body is empty or not JSON.

        """
        if not self.body.strip():
            raise ApiResponseError(f"Empty response body from {self.url.path}")
        try:
            return json.loads(self.body)
        except ValueError as err:
            raise ApiResponseError(
                f"Response from {self.url.path} is not JSON: {self.snippet!r}"
            ) from err


async def _read_bounded(response: aiohttp.ClientResponse) -> bytes:
    """Return the body, refusing one larger than ``MAX_BODY`` before it is read."""
    too_large = ApiResponseError(
        f"Response from {response.url.path} is larger than {MAX_BODY} bytes"
    )
    if (response.content_length or 0) > MAX_BODY:
        raise too_large
    body = bytearray()
    async for chunk in response.content.iter_chunked(64 * 1024):
        body += chunk
        if len(body) > MAX_BODY:
            raise too_large
    return bytes(body)


async def send(
    session: aiohttp.ClientSession,
    method: str,
    url: str | URL,
    *,
    request_timeout: float = DEFAULT_TIMEOUT,
    **kwargs: Any,
) -> RawResponse:
    """Send one request and read the whole response (up to ``MAX_BODY`` bytes).

    Raises:
        ApiConnectionError: Nothing usable came back in time.
        ApiResponseError: The body is larger than ``MAX_BODY``.

    """
    try:
        async with (
            asyncio.timeout(request_timeout),
            session.request(method, url, **kwargs) as response,
        ):
            body = await _read_bounded(response)
            return RawResponse(
                status=response.status,
                headers=response.headers,
                body=body,
                url=response.url,
            )
    except TimeoutError as err:
        raise ApiConnectionError(
            f"Timeout after {request_timeout:g} s: {method} {URL(url).path}"
        ) from err
    except aiohttp.ClientError as err:
        raise ApiConnectionError(
            f"{method} {URL(url).path} failed: {err.__class__.__name__}: {err}"
        ) from err
