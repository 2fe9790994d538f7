"""What a cloud told an account to wait for, kept over reloads and setup retries.

Home Assistant builds new clients at every setup retry (after 5 s, 10 s,
20 s …) and every reload: a rate limit's window (SMA's 429 with Retry-After,
FusionSolar's daily quota) and the calls a cloud answered "not supported" to
would be forgotten and asked again at once. They are kept here instead, per
account (the vendor and the entry's unique id) in ``hass.data``, for as long
as Home Assistant runs.

The window is the account's :class:`~.api.account_gate.AccountGate`: every
client of the account gets it at its creation (the vendor's
``connection.py``), opens it on a refusal of the whole account and refuses
calls while the window lasts, without a request. The Home Assistant layer
never opens it; setup asks it before any client exists (``__init__.py``), and
the history importer before its source counts a call (``history.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .api.account_gate import AccountGate
from .api.unsupported import UnsupportedCalls
from .const import CONF_VENDOR, DOMAIN, LOGGER
from .runtime import SolarCloudConfigEntry, account_log_name

ACCOUNT_BACKOFFS: HassKey[dict[str, AccountBackoff]] = HassKey(
    f"{DOMAIN}_account_backoffs"
)


@dataclass(kw_only=True)
class AccountBackoff:
    """One account's gate (its rate-limit window) and the calls it was refused."""

    account: str
    """How logs name the account (``runtime.account_log_name``)."""
    gate: AccountGate
    unsupported_calls: dict[str, UnsupportedCalls] = field(default_factory=dict)

    def unsupported(self, name: str) -> UnsupportedCalls:
        """Return the account's calls of kind ``name`` answered "not supported"."""
        if (calls := self.unsupported_calls.get(name)) is None:
            calls = self.unsupported_calls[name] = UnsupportedCalls(
                dt_util.utcnow, account=self.account
            )
        return calls

    def diagnostics(self) -> dict[str, Any]:
        """Return what the account waits for now, in local time.

        Which calls are left alone is counted, not named (their keys may be
        device ids); the refusal's message is left out (it may quote an
        answer).
        """
        refusal = self.gate.refusal()
        return {
            "calls_held_until": None if refusal is None else _local(refusal.until),
            "not_supported": {
                name: {
                    "calls": len(held_calls),
                    "next_try": _local(min(held_calls.values())),
                }
                for name, calls in sorted(self.unsupported_calls.items())
                if (held_calls := calls.held())
            },
        }


def _local(moment: datetime) -> str:
    return dt_util.as_local(moment).isoformat()


def _key(entry: SolarCloudConfigEntry) -> str:
    return f"{entry.data.get(CONF_VENDOR)}:{entry.unique_id or entry.entry_id}"


def kept_backoff(
    hass: HomeAssistant, entry: SolarCloudConfigEntry
) -> AccountBackoff | None:
    """Return what the entry's account was told to wait for, if anything yet."""
    return hass.data.get(ACCOUNT_BACKOFFS, {}).get(_key(entry))


def account_backoff(
    hass: HomeAssistant, entry: SolarCloudConfigEntry
) -> AccountBackoff:
    """Return what the entry's account was told to wait for."""
    key = _key(entry)
    backoffs = hass.data.setdefault(ACCOUNT_BACKOFFS, {})
    if (backoff := backoffs.get(key)) is None:
        account = account_log_name(entry)
        backoff = backoffs[key] = AccountBackoff(
            account=account,
            gate=AccountGate(dt_util.utcnow, logger=LOGGER, account=account),
        )
    return backoff


def account_gate(hass: HomeAssistant, entry: SolarCloudConfigEntry) -> AccountGate:
    """Return the gate every client of the entry's account is handed."""
    return account_backoff(hass, entry).gate
