"""The account's gate: the rate-limit window every client of an account passes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import logging

import pytest

from custom_components.solar_cloud.api import (
    AccountRateLimitedError,
    ApiRateLimitedError,
)
from custom_components.solar_cloud.api.account_gate import AccountGate

START = datetime(2026, 11, 29, 12, tzinfo=UTC)


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        """Start at noon."""
        self.now = START

    def __call__(self) -> datetime:
        """Return the time."""
        return self.now


@pytest.fixture
def clock() -> Clock:
    """Return a clock at noon."""
    return Clock()


@pytest.fixture
def gate(clock: Clock) -> AccountGate:
    """Return the gate of an account."""
    return AccountGate(clock, account="account 1")


def test_calls_go_without_a_window(gate: AccountGate) -> None:
    """A new gate lets every call go."""
    gate.check()
    assert gate.refusal() is None
    assert gate.limited_until is None


def test_window_refuses_until_it_ends(gate: AccountGate, clock: Clock) -> None:
    """A whole-account refusal holds every call for its time, then calls go."""
    gate.rate_limited(ApiRateLimitedError("slow down", retry_after=600))
    clock.now += timedelta(seconds=599)
    with pytest.raises(AccountRateLimitedError) as err:
        gate.check()
    assert err.value.until == START + timedelta(seconds=600)
    assert err.value.retry_after == 1
    assert err.value.reason == "account_rate_limited"
    assert str(err.value) == "slow down"

    clock.now += timedelta(seconds=1)
    gate.check()
    assert gate.limited_until is None


@pytest.mark.parametrize(
    "refusal",
    [
        ApiRateLimitedError("no time"),
        ApiRateLimitedError("no wait", retry_after=0),
        ApiRateLimitedError("one interface", retry_after=600, interface="getKpi"),
        AccountRateLimitedError(START, "the gate's own", now=START),
    ],
)
def test_refusals_that_hold_no_account(
    gate: AccountGate, refusal: ApiRateLimitedError
) -> None:
    """Without a time, of one interface or the gate's own: no window."""
    gate.rate_limited(refusal)
    assert gate.refusal() is None


def test_a_shorter_window_does_not_cut_a_longer_one(
    gate: AccountGate, clock: Clock
) -> None:
    """The latest end holds; its refusal names the window."""
    gate.rate_limited(ApiRateLimitedError("an hour", retry_after=3600))
    gate.rate_limited(ApiRateLimitedError("a minute", retry_after=60))
    assert gate.limited_until == START + timedelta(hours=1)
    clock.now += timedelta(minutes=30)
    gate.rate_limited(ApiRateLimitedError("another hour", retry_after=3600))
    assert gate.limited_until == START + timedelta(minutes=90)
    assert gate.limited_by == "another hour"


def test_each_window_is_logged_once(
    gate: AccountGate, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    """A window opened or lengthened is one line; a shorter one none.

    Only the client that saw a refusal takes it (once), so the gate needs no
    rule for a refusal taken twice; ``tests/*/test_rate_limit.py`` count the
    lines of a refusal that fails a refresh or an action.
    """
    with caplog.at_level(logging.INFO):
        gate.rate_limited(ApiRateLimitedError("slow down", retry_after=600))
        clock.now += timedelta(minutes=1)
        gate.rate_limited(ApiRateLimitedError("a minute", retry_after=60))
        clock.now += timedelta(minutes=1)
        gate.rate_limited(ApiRateLimitedError("an hour", retry_after=3600))
    assert [r.getMessage() for r in caplog.records] == [
        "account 1: rate limited, no calls until 2026-11-29T12:10:00+00:00",
        "account 1: rate limited, no calls until 2026-11-29T13:02:00+00:00",
    ]
