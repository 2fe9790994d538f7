"""The answer envelope of the Northbound API, and reading request bodies."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web


def envelope(
    data: Any = None,
    *,
    fail_code: int = 0,
    message: str | None = None,
    params: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Return the Northbound answer envelope."""
    body: dict[str, Any] = {
        "success": fail_code == 0,
        "failCode": fail_code,
        "message": message,
        "data": data,
    }
    if params is not None or now is not None:
        body["params"] = {
            **(params or {}),
            "currentTime": int((now.timestamp() if now else 0) * 1000),
        }
    else:
        body["params"] = None
    return body


class Refusal(Exception):  # noqa: N818 (an answer, not an error of the simulator)
    """A failCode answer (HTTP 200, as the service sends them), raised by a handler."""

    def __init__(
        self, fail_code: int, now: datetime, message: str | None = None
    ) -> None:
        """Answer with ``fail_code`` and ``message``."""
        super().__init__(fail_code)
        self.response = web.json_response(
            envelope(fail_code=fail_code, message=message, now=now)
        )


def collect_time(body: dict[str, Any]) -> datetime | None:
    try:
        milliseconds = int(body["collectTime"])
    except KeyError, TypeError, ValueError:
        return None
    return datetime.fromtimestamp(milliseconds / 1000, UTC)


def request_params(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if isinstance(v, str | int | float)}


async def json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
