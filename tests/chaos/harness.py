"""What every chaos case checks, for every vendor.

A :class:`Chaos` watches one config entry while a case injects a fault into
its simulator, restarts the entry in the middle, clears the fault and lets
time run. It records:

- **unhandled exceptions**: log records at ERROR or above that carry a
  traceback (``exc_info``), or whose message is one of Home Assistant's
  "this escaped" messages (``Unexpected error fetching``, ``Error doing job``,
  ``Task exception was never retrieved``, ``Exception in callback``,
  ``Error setting up entry``, ``Error unloading entry``), from any logger.
  An ERROR without a traceback that names the cause (``Error fetching ...
  data: <translated reason>``) is a handled failure, not counted;
- **counter decreases**: every state of every energy counter sensor
  (``sensor.*`` with ``device_class: energy``); a lifetime counter may never
  fall, a daily (monthly) one only across its zone's midnight (first of a
  month);
- **secrets**: every known secret of the simulator (passwords, client
  secrets, API keys, the webhook id and password, owner e-mails, and every
  token the integration sent or the simulator issued) searched in the log
  (the integration's and the coordinators' messages from DEBUG up, every
  other logger's from INFO up, tracebacks included), in the diagnostics, and
  in what a redirect brought to a foreign host;
- **availability**: which entities of the entry are unavailable.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
import itertools
import json
import logging
import re
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNAVAILABLE
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_component import DATA_INSTANCES
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import CLIENT_ID, MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.solar_cloud.counter import CounterKind, CounterSensor

from ..common import async_advance
from ..simulator.core import VendorSimulator

ESCAPED = re.compile(
    "Unexpected error fetching|Error doing job|Task exception was never retrieved"
    "|Exception in callback|Error setting up entry|Error unloading entry"
)
TOKEN_HEADERS = ("authorization", "xsrf-token")
OWN_LOGGERS = (
    "custom_components.solar_cloud",
    "homeassistant.helpers.update_coordinator",
)


@dataclass(frozen=True, kw_only=True)
class FaultKind:
    """One kind of fault a case injects, and what it expects afterwards."""

    name: str
    inject: Callable[[Chaos], Awaitable[None]]
    clear: Callable[[Chaos], Awaitable[None]] | None = None
    """Undo what is not a simulator fault (e.g. grant a revoked consent)."""
    auth: bool = False
    """An authentication fault: a reauth flow is an acceptable outcome."""
    check: Callable[[Chaos], Awaitable[None]] | None = None
    """A fault-specific assertion after the fault cleared."""
    stales_at_once: bool = False
    """The fault itself makes the data old (the clock jumps a day forward)."""
    xfail: str | None = None


def cases(kinds: Iterable[FaultKind]) -> list[Any]:
    """Return the kinds as pytest params, the known findings marked xfail."""
    return [
        pytest.param(
            kind,
            id=kind.name,
            marks=[pytest.mark.xfail(strict=True, reason=kind.xfail)]
            if kind.xfail
            else [],
        )
        for kind in kinds
    ]


@dataclass(kw_only=True)
class Result:
    """One case's numbers, for the closing table."""

    vendor: str
    kind: str
    unhandled: int = 0
    decreases: int = 0
    secrets: int = 0
    control: str = "-"
    recovered: bool = False


RESULTS: list[Result] = []


@dataclass(kw_only=True)
class Chaos:
    """One entry under fault: the clock, the simulator and what was seen."""

    hass: HomeAssistant
    freezer: FrozenDateTimeFactory
    caplog: pytest.LogCaptureFixture
    entry: MockConfigEntry
    sim: VendorSimulator
    vendor: str
    static_secrets: set[str]
    thief: VendorSimulator | None = None
    foreign_url: str = ""
    readings: dict[str, list[tuple[datetime, float]]] = field(default_factory=dict)
    diagnostics_texts: list[str] = field(default_factory=list)
    issued: set[str] = field(default_factory=set)
    control_outcomes: list[str] = field(default_factory=list)

    def start(self) -> None:
        """Record every energy counter state from now on."""

        @callback
        def on_state(event: Event[Any]) -> None:
            new = event.data["new_state"]
            if (
                new is None
                or not new.entity_id.startswith("sensor.")
                or new.attributes.get("device_class") != "energy"
            ):
                return
            try:
                value = float(new.state)
            except ValueError:
                return
            self.readings.setdefault(new.entity_id, []).append(
                (dt_util.utcnow(), value)
            )

        self.hass.bus.async_listen(EVENT_STATE_CHANGED, on_state)

    async def advance(
        self, delta: timedelta, step: timedelta = timedelta(minutes=1)
    ) -> None:
        """Let time run, refreshes included."""
        self.collect_issued()
        await async_advance(self.hass, self.freezer, delta, step=step)
        self.collect_issued()

    async def restart(self) -> None:
        """Unload the entry and set it up again (a restart of Home Assistant)."""
        self.collect_issued()
        await self.hass.config_entries.async_unload(self.entry.entry_id)
        await self.hass.async_block_till_done(wait_background_tasks=True)
        await self.hass.config_entries.async_setup(self.entry.entry_id)
        await self.hass.async_block_till_done(wait_background_tasks=True)

    async def control(self, call: Callable[[], Awaitable[Any]]) -> str:
        """Run a control: it applies, or fails with a translated error."""
        try:
            await call()
        except HomeAssistantError as err:
            assert err.translation_key, f"untranslated error: {err!r}"  # noqa: PT017
            outcome = f"error:{err.translation_key}"
        else:
            outcome = "applied"
        self.control_outcomes.append(outcome)
        return outcome

    async def diagnostics(self, hass_client: ClientSessionGenerator) -> None:
        """Download the diagnostics (HTTP 200) and keep their text.

        The access token is made now: one made before the clock moved would
        be refused as not yet valid (or expired).
        """
        user = await self.hass.auth.async_create_user(
            "chaos", group_ids=["system-admin"]
        )
        refresh = await self.hass.auth.async_create_refresh_token(user, CLIENT_ID)
        token = self.hass.auth.async_create_access_token(refresh)

        async def client() -> Any:
            return await hass_client(token)  # type: ignore[call-arg]

        data = await get_diagnostics_for_config_entry(self.hass, client, self.entry)
        self.diagnostics_texts.append(json.dumps(data, default=str))

    # What was seen -------------------------------------------------------------

    def collect_issued(self) -> None:
        """Remember every token the integration sent and the simulator issued."""
        for request in self.sim.log.requests:
            for name, value in request.headers.items():
                if name.lower() in TOKEN_HEADERS:
                    self.issued.add(value.split(" ", 1)[-1])
        oauth = getattr(self.sim, "oauth", None)
        if oauth is not None:
            self.issued.update(oauth.access_tokens, oauth.refresh_tokens)
        for account in getattr(self.sim, "accounts", {}).values():
            if getattr(account, "token", None):
                self.issued.add(account.token)

    def secrets(self) -> set[str]:
        """Return every secret known, long enough to be told apart from words."""
        self.collect_issued()
        return {s for s in self.static_secrets | self.issued if s and len(s) >= 6}

    def log_text(self) -> str:
        """Return every log message, tracebacks included.

        Home Assistant itself names an entry by its title in the messages of
        setup retries (``Config entry '<title>' ... not ready yet``); that
        the titles of SMA and smart-me entries are e-mails is a finding of its
        own (reported with the suite), left out of the scan here.
        """
        handler = logging.Formatter()
        quoted_title = f"Config entry '{self.entry.title}'"
        lines = []
        for record in self.caplog.records:
            if record.levelno < logging.INFO and not record.name.startswith(
                OWN_LOGGERS
            ):
                # Home Assistant's own debug messages (the webhook component
                # names the webhook it serves); not the integration's doing.
                continue
            if record.name == "aiohttp.access":
                # The test client's access log, which an earlier test may have
                # switched on; Home Assistant's server writes it only at debug level.
                continue
            lines.append(record.getMessage().replace(quoted_title, ""))
            if record.exc_info:
                lines.append(handler.formatException(record.exc_info))
        return "\n".join(lines)

    def unhandled(self) -> list[logging.LogRecord]:
        """Return the records of exceptions nobody handled.

        aiohttp's access log of the test HTTP server fails under freezegun
        (``time.localtime`` without ``tm_gmtoff``): that one is the test's.
        """
        return [
            record
            for record in self.caplog.records
            if record.levelno >= logging.ERROR
            and record.name != "aiohttp.access"
            and (record.exc_info is not None or ESCAPED.search(record.getMessage()))
        ]

    def secrets_found(self) -> list[str]:
        """Return where a secret showed: ``log: <secret>`` or ``diagnostics: ...``."""
        found = []
        log = self.log_text()
        diagnostics = "\n".join(self.diagnostics_texts)
        for secret in sorted(self.secrets()):
            if secret in log:
                found.append(f"log: {secret[:12]}…")
            if secret in diagnostics:
                found.append(f"diagnostics: {secret[:12]}…")
        if self.thief is not None:
            for request in self.thief.log.requests:
                sent = json.dumps(request.headers) + request.body.decode(
                    errors="replace"
                )
                found.extend(
                    f"foreign host: {secret[:12]}…"
                    for secret in self.secrets()
                    if secret in sent
                )
        return found

    def counter_decreases(self) -> list[str]:
        """Return every fall of an energy counter that its kind does not allow."""
        component = self.hass.data[DATA_INSTANCES]["sensor"]
        falls = []
        for entity_id, readings in self.readings.items():
            entity = component.get_entity(entity_id)
            kind, zone = CounterKind.LIFETIME, dt_util.get_default_time_zone()
            if isinstance(entity, CounterSensor):
                kind, zone = entity.counter_kind(), entity.counter_zone()
            for (before_at, before), (at, value) in itertools.pairwise(readings):
                if value >= before:
                    continue
                day_before = before_at.astimezone(zone).date()
                day = at.astimezone(zone).date()
                if kind is CounterKind.DAILY and day > day_before:
                    continue
                if kind is CounterKind.MONTHLY and (day.year, day.month) > (
                    day_before.year,
                    day_before.month,
                ):
                    continue
                falls.append(f"{entity_id}: {before} at {before_at} -> {value} at {at}")
        return falls

    def unavailable(self) -> list[str]:
        """Return the entry's enabled entities that are unavailable."""
        registry = er.async_get(self.hass)
        return [
            entity.entity_id
            for entity in er.async_entries_for_config_entry(
                registry, self.entry.entry_id
            )
            if not entity.disabled_by
            and (state := self.hass.states.get(entity.entity_id)) is not None
            and state.state == STATE_UNAVAILABLE
        ]

    def reauth_started(self) -> bool:
        """Return whether the entry asks the user to sign in again."""
        return any(
            flow["context"].get("source") == "reauth"
            for flow in self.entry.async_get_active_flows(self.hass, {"reauth"})
        )

    def result(self, kind: str, *, recovered: bool) -> Result:
        """Record and return the case's numbers for the closing table."""
        result = Result(
            vendor=self.vendor,
            kind=kind,
            unhandled=len(self.unhandled()),
            decreases=len(self.counter_decreases()),
            secrets=len(self.secrets_found()),
            control=",".join(self.control_outcomes) or "-",
            recovered=recovered,
        )
        RESULTS.append(result)
        return result


async def run_case(
    chaos: Chaos,
    kind: FaultKind,
    *,
    hass_client: ClientSessionGenerator,
    control: Callable[[], Awaitable[Any]],
    fault_time: timedelta,
    recovery_time: timedelta,
    step: timedelta = timedelta(minutes=1),
) -> None:
    """Inject, run, restart in the middle, clear, recover; then check it all.

    The control runs while the fault is on (it must apply or fail with a
    translated error) and once more after recovery.
    """
    chaos.start()
    unavailable_before = set(chaos.unavailable())
    await kind.inject(chaos)
    # Data a minute or two old is not stale for any vendor (their expected
    # delays are 10 minutes and more): nothing may blank this early.
    await chaos.advance(EARLY, step)
    blanked = sorted(set(chaos.unavailable()) - unavailable_before)
    if not kind.stales_at_once:
        assert not blanked, blanked
    await chaos.advance(fault_time / 2 - EARLY, step)
    await chaos.control(control)
    await chaos.diagnostics(hass_client)
    await chaos.restart()
    await chaos.advance(fault_time / 2, step)
    await chaos.diagnostics(hass_client)

    chaos.sim.faults.clear()
    if kind.clear is not None:
        await kind.clear(chaos)
    await chaos.advance(recovery_time, step)
    unavailable = sorted(set(chaos.unavailable()) - unavailable_before)
    reauth = chaos.reauth_started()
    if not unavailable:
        await chaos.control(control)
    await chaos.diagnostics(hass_client)

    result = chaos.result(kind.name, recovered=not unavailable)
    assert not chaos.unhandled(), [(r.name, r.getMessage()) for r in chaos.unhandled()]
    assert not chaos.counter_decreases(), chaos.counter_decreases()
    assert not chaos.secrets_found(), chaos.secrets_found()
    if kind.auth and reauth:
        result.recovered = True
    else:
        assert not unavailable, (chaos.entry.state, unavailable)
    if kind.check is not None:
        await kind.check(chaos)


EARLY = timedelta(minutes=2)
"""How long into a fault nothing may turn unavailable."""


class Timeouts:
    """``asyncio`` as the transport sees it; ``expired`` times every request out.

    The loop's clock stands still under ``freezer``, so a late answer would
    never time out: a timeout fault makes the request's timeout expire at
    once instead, as a cloud that does not answer in time would.
    """

    expired = False

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)

    def timeout(self, delay: float | None) -> asyncio.Timeout:
        return asyncio.timeout(0 if self.expired else delay)


TIMEOUTS = Timeouts()


# The fault kinds every vendor gets, injected into every endpoint -------------------


def _fault(**fault: Any) -> Callable[[Chaos], Awaitable[None]]:
    async def inject(chaos: Chaos) -> None:
        chaos.sim.faults.add("*", **fault)

    return inject


async def _expire_timeouts(chaos: Chaos) -> None:
    TIMEOUTS.expired = True


async def _answer_in_time(chaos: Chaos) -> None:
    TIMEOUTS.expired = False


async def _redirect_foreign(chaos: Chaos) -> None:
    chaos.sim.faults.add("*", redirect_to=chaos.foreign_url)


async def _clock_forward(chaos: Chaos) -> None:
    chaos.freezer.tick(timedelta(days=1))


async def _clock_back(chaos: Chaos) -> None:
    chaos.freezer.move_to(dt_util.utcnow() - timedelta(hours=1))


def common_kinds(oversize: int, **xfail: str) -> list[FaultKind]:
    """Return the transport faults and clock jumps, with the vendor's findings."""
    kinds = [
        FaultKind(name="timeout", inject=_expire_timeouts, clear=_answer_in_time),
        FaultKind(name="connection_reset", inject=_fault(reset=True)),
        FaultKind(name="http_503", inject=_fault(status=503)),
        FaultKind(name="http_500_html", inject=_fault(status=500, body=b"<html>")),
        FaultKind(name="malformed_json", inject=_fault(body=b'{"data": [')),
        FaultKind(name="empty_body", inject=_fault(body=b"")),
        FaultKind(
            name="oversize_body",
            inject=_fault(body=b'{"x": "' + b"x" * oversize + b'"}'),
        ),
        FaultKind(name="redirect_foreign_host", inject=_redirect_foreign),
        FaultKind(
            name="clock_forward_1_day", inject=_clock_forward, stales_at_once=True
        ),
        FaultKind(name="clock_back_1_hour", inject=_clock_back),
    ]
    return [replace(kind, xfail=xfail.get(kind.name)) for kind in kinds]
