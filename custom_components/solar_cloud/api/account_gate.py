"""The one gate every call of an account passes: its rate-limit window.

A cloud that refuses a whole account for a while (SMA's and smart-me's 429
with Retry-After, FusionSolar's daily quota or system limit when all that was
asked is refused) asks it to wait. The account's clients share one
:class:`AccountGate`, handed to each at its creation, and consult it before
every call: within the window a call fails at once with
:class:`..errors.AccountRateLimitedError`, naming when calls resume, and no
request is sent. The gate outlives the clients (the Home Assistant layer
keeps one per account over reloads and setup retries), so a new client of the
account waits the window out too.

The clients alone open the window (:meth:`AccountGate.rate_limited`), each
refusal once, where they see it: the SMA client on every 429 (its back-off,
and the token source's logout), the smart-me client on every 429, and
FusionSolar's where a refusal of the whole account refused all its caller
asked for (an action's call, a poller's round, the inventory). The Home
Assistant layer only asks the gate (setup, the history importer). Limits of
one interface only (``ApiRateLimitedError.interface``) are left to the client
(FusionSolar's call budget keeps them per account).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
import logging

from .errors import AccountRateLimitedError, ApiRateLimitedError

_LOGGER = logging.getLogger(__name__)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class AccountGate:
    """Whether an account's calls may go: the window a cloud set for all of them."""

    def __init__(
        self,
        clock: Callable[[], datetime] = _utcnow,
        *,
        logger: logging.Logger = _LOGGER,
        account: str = "this account",
    ) -> None:
        """Count time with ``clock`` (aware UTC times).

        ``account``: how the log names the account (never its e-mail).
        """
        self._clock = clock
        self._logger = logger
        self.account = account
        self.limited_until: datetime | None = None
        """When calls may go again; None: no window."""
        self.limited_by = ""
        """The client's message of the refusal that set the window."""

    def rate_limited(self, err: ApiRateLimitedError) -> None:
        """Take a refusal: a window for the whole account is waited out.

        Refusals without a time, of one interface, or the gate's own are no
        window of the account; a shorter window does not cut a longer one.
        The client that saw the refusal calls this, once: every window
        opened or lengthened is a line in the log.
        """
        if (
            err.retry_after is None
            or err.retry_after <= 0
            or err.interface is not None
            or isinstance(err, AccountRateLimitedError)
        ):
            return
        until = self._clock() + timedelta(seconds=err.retry_after)
        known = self.limited_until
        if known is not None and until <= known:
            return
        self.limited_until, self.limited_by = until, str(err)
        self._logger.info(
            "%s: rate limited, no calls until %s", self.account, until.isoformat()
        )

    def refusal(self) -> AccountRateLimitedError | None:
        """Return the error a call fails with now; None: calls may go."""
        until = self.limited_until
        if until is None:
            return None
        now = self._clock()
        if now >= until:
            self.limited_until = None
            return None
        return AccountRateLimitedError(until, self.limited_by, now=now)

    def check(self) -> None:
        """Let a call go, or refuse it before anything is sent.

        Raises:
            AccountRateLimitedError: The account waits for a rate limit.

        """
        if (refusal := self.refusal()) is not None:
            raise refusal
