"""Several calls to SMA at once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable


async def gather_all[T](calls: Iterable[Awaitable[T]]) -> list[T]:
    """Return the results of ``calls``, run concurrently, in order.

    Unlike a plain gather, a failing call leaves no sibling running behind:
    all finish first, then the first error is raised.
    """
    results = await asyncio.gather(*calls, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results  # type: ignore[return-value]
