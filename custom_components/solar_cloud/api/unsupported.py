"""Calls a cloud answered "not supported" to: left alone for hours, logged once.

A cloud that answers 404 (or a vendor's "no such interface" code) to a call
for one account answers the same a minute later: retrying in bursts spends
the account's call budget and fills the log. Each such call (keyed by what it
asks, e.g. an interface and a batch) is left for :data:`NOT_SUPPORTED_RETRY`,
then tried once more; the first refusal is logged once as a warning, repeats
only at debug level, and an answer after all is logged once too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from datetime import datetime, timedelta
import logging

from .errors import ApiNotSupportedError

_LOGGER = logging.getLogger(__name__)

NOT_SUPPORTED_RETRY = timedelta(hours=6)
"""How long a call answered "not supported" is left before it is tried again."""


class UnsupportedCalls:
    """The calls of one account a cloud answered "not supported" to."""

    def __init__(
        self,
        clock: Callable[[], datetime],
        *,
        retry: timedelta = NOT_SUPPORTED_RETRY,
        logger: logging.Logger = _LOGGER,
        account: str = "this account",
    ) -> None:
        """Count time with ``clock``; leave a refused call for ``retry``.

        ``account``: how the log names the account (never its e-mail).
        """
        self._clock = clock
        self.retry = retry
        self._logger = logger
        self.account = account
        self._until: dict[Hashable, datetime] = {}
        self._logged: set[Hashable] = set()

    def skip(self, key: Hashable) -> bool:
        """Return whether the call is still left alone."""
        until = self._until.get(key)
        return until is not None and self._clock() < until

    async def async_call[T](
        self, key: Hashable, what: str, call: Callable[[], Awaitable[T]]
    ) -> T | None:
        """Return what ``call`` answers; None while the cloud won't serve it.

        Other errors are the caller's; they neither leave the call alone nor
        forget a refusal.
        """
        if self.skip(key):
            return None
        try:
            answer = await call()
        except ApiNotSupportedError as err:
            self.refused(key, err, what)
            return None
        self.answered(key, what)
        return answer

    def held(self) -> dict[Hashable, datetime]:
        """Return the calls left alone now, each with when it is tried again."""
        now = self._clock()
        return {key: until for key, until in self._until.items() if now < until}

    def due(self, key: Hashable) -> bool:
        """Return whether a refused call's time to be tried again has come."""
        until = self._until.get(key)
        return until is not None and self._clock() >= until

    def refused(self, key: Hashable, err: ApiNotSupportedError, what: str) -> datetime:
        """Leave the call alone for a while; return when to try again."""
        until = self._until[key] = self._clock() + self.retry
        if key in self._logged:
            self._logger.debug("%s still not supported: %s", what, err)
        else:
            self._logged.add(key)
            self._logger.warning(
                "%s is not supported for %s (%s); trying again every "
                "%s, the rest keeps working",
                what,
                self.account,
                err,
                self.retry,
            )
        return until

    def answered(self, key: Hashable, what: str) -> None:
        """Forget a refusal: the call was answered after all."""
        self._until.pop(key, None)
        if key in self._logged:
            self._logged.discard(key)
            self._logger.info("%s is answered again", what)
