"""What a cloud told an account to wait for, kept over reloads and setup retries.

A client keeps its own back-off, but Home Assistant builds a new client at
every setup retry (after 5 s, 10 s, 20 s …) and every reload: a rate limit's
window (SMA's 429 with Retry-After, FusionSolar's daily quota) and the calls
a cloud answered "not supported" to would be forgotten and asked again at
once. They are kept here instead, per account (the vendor and the entry's
unique id) in ``hass.data``, for as long as Home Assistant runs.

While an account's window lasts, its setup and its coordinators fail at
once, without a call (:meth:`AccountBackoff.refusal`), with a message naming
when calls resume. Limits of one interface only (``ApiRateLimitedError.interface``)
are left to the client (FusionSolar's call budget keeps them per account).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .api import ApiRateLimitedError
from .api.unsupported import UnsupportedCalls
from .const import CONF_VENDOR, DOMAIN, LOGGER
from .runtime import SolarCloudConfigEntry, account_log_name

ACCOUNT_BACKOFFS: HassKey[dict[str, AccountBackoff]] = HassKey(
    f"{DOMAIN}_account_backoffs"
)


class AccountRateLimitedError(ApiRateLimitedError):
    """The account waits for a rate limit's window: no call was made."""

    default_reason = "account_rate_limited"

    def __init__(self, until: datetime, cause: str) -> None:
        """Refuse locally until ``until``; ``cause``: the refusal that set it."""
        super().__init__(
            cause,
            retry_after=max((until - dt_util.utcnow()).total_seconds(), 0.0),
        )
        self.until = until


@dataclass(kw_only=True)
class AccountBackoff:
    """One account's rate-limit window and the calls it was refused."""

    account: str
    """How logs name the account (``runtime.account_log_name``)."""
    limited_until: datetime | None = None
    limited_by: str = ""
    """The client's message of the refusal that set the window."""
    unsupported_calls: dict[str, UnsupportedCalls] = field(default_factory=dict)

    def rate_limited(self, err: ApiRateLimitedError) -> None:
        """Take a refusal: a window for the whole account is waited out."""
        if (
            err.retry_after is None
            or err.retry_after <= 0
            or err.interface is not None
            or isinstance(err, AccountRateLimitedError)
        ):
            return
        until = dt_util.utcnow() + timedelta(seconds=err.retry_after)
        if self.limited_until is not None and until <= self.limited_until:
            return
        self.limited_until, self.limited_by = until, str(err)
        LOGGER.info(
            "%s: rate limited, no calls until %s", self.account, until.isoformat()
        )

    def refusal(self) -> AccountRateLimitedError | None:
        """Return the error to fail with instead of calling; None: calls may go."""
        until = self.limited_until
        if until is None:
            return None
        if dt_util.utcnow() >= until:
            self.limited_until = None
            return None
        return AccountRateLimitedError(until, self.limited_by)

    def unsupported(self, name: str) -> UnsupportedCalls:
        """Return the account's calls of kind ``name`` answered "not supported"."""
        if (calls := self.unsupported_calls.get(name)) is None:
            calls = self.unsupported_calls[name] = UnsupportedCalls(
                dt_util.utcnow, account=self.account
            )
        return calls


def account_backoff(
    hass: HomeAssistant, entry: SolarCloudConfigEntry
) -> AccountBackoff:
    """Return what the entry's account was told to wait for."""
    key = f"{entry.data[CONF_VENDOR]}:{entry.unique_id or entry.entry_id}"
    backoffs = hass.data.setdefault(ACCOUNT_BACKOFFS, {})
    if (backoff := backoffs.get(key)) is None:
        backoff = backoffs[key] = AccountBackoff(account=account_log_name(entry))
    return backoff
