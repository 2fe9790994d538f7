"""``scripts/demo --check``: is the demo what a new user would see?

Against the running demo (simulators, Home Assistant, one account per vendor)
and only through Home Assistant's HTTP and websocket APIs, as the frontend
talks to it:

1. every account is loaded and every enabled entity gets a state, with a
   value wherever the vendor has one (``WITHOUT_VALUE`` lists, with the
   reason, what may stay unknown);
2. one control round trip per vendor: FusionSolar's battery working mode,
   SMA's feed-in limit, a smart-me relay; the command reaches the simulated
   cloud, and the entity's state follows and holds;
3. every account's diagnostics download, without the secrets typed in;
4. the brand icon is served from the integration's ``brand/`` folder;
5. Home Assistant's log has no error of the integration.

Each failure is one line of the returned list.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
import json
from pathlib import Path
import re
import time
from typing import TYPE_CHECKING, Any

from tests.simulator.sma import CUSTOM_CLIENT, SANDBOX_OWNER

if TYPE_CHECKING:
    from demo import Demo

STATES_TIMEOUT = 300
"""Seconds for every entity to get its state after the accounts are added."""
CONTROL_TIMEOUT = 150
"""Seconds for a control's state to follow (FusionSolar's tasks take ~20 s)."""
HOLD = 15
"""Seconds a control's new state must hold: longer than a smart-me push period."""
CALL_RETURNS_WITHIN = 5
"""Seconds a control call may take: it returns once the cloud accepted it."""
NO_VALUE = frozenset({"unknown", "unavailable"})

SMA_LIMIT = "SMA does not report the limit in force: known once set"
FS_BATTERY = "FusionSolar has no query for battery parameters: known once set"
FS_NO_CONTROL = "the demo's plant Maternelle does not support control"
WITHOUT_VALUE: dict[str, dict[str, str]] = {
    "sma_feed_in_limit_power": {"unknown": SMA_LIMIT},
    "sma_feed_in_limit_percent": {"unknown": SMA_LIMIT},
    "fusionsolar_end_of_charge_soc": {"unknown": FS_BATTERY},
    "fusionsolar_end_of_discharge_soc": {"unknown": FS_BATTERY},
    "fusionsolar_max_charge_power_setting": {"unknown": FS_BATTERY},
    "fusionsolar_max_discharge_power_setting": {"unknown": FS_BATTERY},
    "fusionsolar_feed_in_limit": {
        "unknown": "a number only while the feed-in is limited in kW",
        "unavailable": FS_NO_CONTROL,
    },
    "fusionsolar_feed_in_control": {"unavailable": FS_NO_CONTROL},
    "history_last_hour": {
        "unknown": "no hour of history imported yet (it runs in the background)"
    },
    "smartme_charging_station_state": {
        "unknown": "the simulated charging stations report no state"
    },
    "sma_self_consumption_rate": {
        "unknown": "SMA omits the rate while a plant produces nothing (night)"
    },
}
"""Entities (by translation key) that may lack a value, and why."""

BRAND_ICON = (
    Path(__file__).resolve().parent.parent
    / "custom_components/solar_cloud/brand/icon.png"
)
SECRETS = (
    CUSTOM_CLIENT[1],
    "demo-key",
    "Demo@2026",
    SANDBOX_OWNER,
    "demo@smart-me.example",
)
"""What the demo types into the config flows (and the owners' e-mail
addresses), never to show in diagnostics."""


@dataclass
class Entity:
    """An enabled entity of one of the demo's accounts, and its state."""

    entity_id: str
    vendor: str
    translation_key: str | None
    state: dict[str, Any] | None

    @property
    def value(self) -> str | None:
        """Return the state's value (None: the entity has no state)."""
        return None if self.state is None else str(self.state["state"])

    @property
    def excuse(self) -> str | None:
        """Return why the entity may lack a value, or None."""
        if (value := self.value) is None or self.state is None:
            return None
        if excuse := WITHOUT_VALUE.get(self.translation_key or "", {}).get(value):
            return excuse
        # A switch whose device never reports it is assumed until switched.
        if value == "unknown" and self.state["attributes"].get("assumed_state"):
            return "not reported by the device: assumed until switched"
        return None

    @property
    def missing(self) -> str | None:
        """Return why the entity's state falls short, or None."""
        if self.state is None:
            return "has no state"
        if self.value not in NO_VALUE:
            return None
        if self.excuse is not None:
            return None
        return f"is {self.value}"


class Check:
    """The checks against one running demo."""

    def __init__(self, demo: Demo, entries: dict[str, str]) -> None:
        """Check ``demo`` with its accounts ``entries`` (vendor -> entry id)."""
        self.demo = demo
        self.entries = entries
        self.started = time.monotonic()

    def say(self, message: str) -> None:
        """Print progress with the seconds since the check started."""
        print(f"[{time.monotonic() - self.started:5.0f} s] {message}", flush=True)

    async def get(self, path: str) -> tuple[int, bytes]:
        """GET from Home Assistant as the owner; return the status and body."""
        assert self.demo.session is not None
        async with self.demo.session.get(
            f"{self.demo.url}{path}",
            headers={"Authorization": f"Bearer {self.demo.token}"},
        ) as response:
            return response.status, await response.read()

    async def entities(self) -> list[Entity]:
        """Return the enabled entities of the demo's accounts with their states."""
        (registry,) = await self.demo.websocket({"type": "config/entity_registry/list"})
        _, body = await self.get("/api/states")
        states = {state["entity_id"]: state for state in json.loads(body)}
        vendors = {entry_id: vendor for vendor, entry_id in self.entries.items()}
        return [
            Entity(
                entity_id=entry["entity_id"],
                vendor=vendors[entry["config_entry_id"]],
                translation_key=entry.get("translation_key"),
                state=states.get(entry["entity_id"]),
            )
            for entry in registry
            if entry.get("config_entry_id") in vendors and not entry.get("disabled_by")
        ]

    async def entries_loaded(self) -> list[str]:
        """Return the accounts that are not loaded."""
        (entries,) = await self.demo.websocket(
            {"type": "config_entries/get", "domain": "solar_cloud"}
        )
        states = {entry["entry_id"]: entry["state"] for entry in entries}
        return [
            f"{vendor}: the account is {states.get(entry_id, 'missing')}"
            for vendor, entry_id in self.entries.items()
            if states.get(entry_id) != "loaded"
        ]

    async def wait_for_states(self) -> list[str]:
        """Wait until every entity has its state; return what still lacks one."""
        deadline = time.monotonic() + STATES_TIMEOUT
        next_report = time.monotonic() + 30
        while True:
            problems = await self.entries_loaded()
            entities = await self.entities()
            for vendor in self.entries:
                if not any(e.vendor == vendor for e in entities):
                    problems.append(f"{vendor}: no entities")
            problems += [
                f"{e.vendor}: {e.entity_id} {why}"
                for e in entities
                if (why := e.missing) is not None
            ]
            if not problems or time.monotonic() > deadline:
                break
            if time.monotonic() > next_report:
                next_report += 30
                self.say(f"waiting for {len(problems)}: {'; '.join(problems[:3])}")
            await asyncio.sleep(5)
        counts = ", ".join(
            f"{vendor} {sum(e.vendor == vendor for e in entities)}"
            for vendor in self.entries
        )
        self.say(f"entities with states: {counts}")
        for e in entities:
            if e.value in NO_VALUE and e.excuse is not None:
                self.say(f"  {e.entity_id} is {e.value}: {e.excuse}")
        return problems

    async def round_trip(
        self,
        vendor: str,
        name: str,
        entity: Entity | None,
        command: Callable[[Entity], Awaitable[tuple[str, dict[str, Any], str]]],
    ) -> list[str]:
        """Send a control command and wait until the state follows and holds."""
        if entity is None:
            return [f"{vendor}: no {name} to control"]
        try:
            service, data, target = await command(entity)
        except RuntimeError as err:
            return [f"{vendor}: {name} {entity.entity_id}: {err}"]
        log = self.demo.simulators[vendor].simulator.log
        since = len(log.requests)
        sent = time.monotonic()
        before = entity.value
        domain, action = service.split(".")
        try:
            await self.demo.post(
                f"/api/services/{domain}/{action}",
                {"entity_id": entity.entity_id, **data},
            )
        except RuntimeError as err:
            return [f"{vendor}: {service} on {entity.entity_id} failed: {err}"]
        returned = time.monotonic()
        pending_seen = False
        try:
            async with asyncio.timeout(CONTROL_TIMEOUT):
                while True:
                    shown, pending = await self.state_and_pending(entity.entity_id)
                    pending_seen |= pending
                    if _same(shown, target) and not pending:
                        followed = time.monotonic()
                        break
                    await asyncio.sleep(1)
        except TimeoutError:
            return [
                (
                    f"{vendor}: {entity.entity_id} stayed {before!r} for "
                    f"{CONTROL_TIMEOUT} s after {service} to {target!r}"
                )
            ]
        await asyncio.sleep(HOLD)
        held = await self.state_of(entity.entity_id)
        if not _same(held, target):
            return [
                (
                    f"{vendor}: {entity.entity_id} followed to {target!r} but went "
                    f"back to {held!r} within {HOLD} s"
                )
            ]
        writes = sorted(
            {
                f"{request.method} {request.path}"
                for request in log.requests[since:]
                if request.method != "GET" and request.status < 400
            }
        )
        if not writes:
            return [f"{vendor}: {service} never reached the simulated cloud"]
        self.say(
            f"{vendor}: {name} {entity.entity_id} {before!r} -> {target!r}: "
            f"the call returned after {returned - sent:.1f} s"
            f"{', shown as pending' if pending_seen else ''}, "
            f"confirmed after {followed - sent:.0f} s and held "
            f"(cloud got {', '.join(writes)})"
        )
        if returned - sent > CALL_RETURNS_WITHIN:
            return [
                (
                    f"{vendor}: {service} kept the caller waiting "
                    f"{returned - sent:.0f} s (more than {CALL_RETURNS_WITHIN} s)"
                )
            ]
        return []

    async def state_and_pending(self, entity_id: str) -> tuple[str | None, bool]:
        """Return an entity's state value and whether a change is pending."""
        status, body = await self.get(f"/api/states/{entity_id}")
        if status != 200:
            return None, False
        state = json.loads(body)
        return str(state["state"]), bool(state["attributes"].get("pending"))

    async def state_of(self, entity_id: str) -> str | None:
        """Return an entity's state value."""
        status, body = await self.get(f"/api/states/{entity_id}")
        if status != 200:
            return None
        return str(json.loads(body)["state"])

    async def controls(self) -> list[str]:
        """Do one control round trip per vendor, all at once."""
        entities = await self.entities()

        def first(vendor: str, domain: str, key: str) -> Entity | None:
            return next(
                (
                    e
                    for e in entities
                    if e.vendor == vendor
                    and e.entity_id.startswith(f"{domain}.")
                    and e.translation_key == key
                    and e.value not in NO_VALUE
                ),
                None,
            )

        async def battery_mode(entity: Entity) -> tuple[str, dict[str, Any], str]:
            assert entity.state is not None
            options = entity.state["attributes"].get("options", [])
            # The modes one can set without knowing the plant's time windows.
            for option in ("maximum_self_consumption", "third_party_dispatch"):
                if option in options and option != entity.value:
                    return "select.select_option", {"option": option}, option
            raise RuntimeError(f"no settable option other than {entity.value!r}")

        async def feed_in_limit(entity: Entity) -> tuple[str, dict[str, Any], str]:
            assert entity.state is not None
            attributes = entity.state["attributes"]
            step = float(attributes.get("step", 1))
            value = round(float(attributes["max"]) / 2 / step) * step
            if _same(entity.value, str(value)):
                value -= step
            return "number.set_value", {"value": value}, str(value)

        async def relay(entity: Entity) -> tuple[str, dict[str, Any], str]:
            target = "off" if entity.value == "on" else "on"
            return f"switch.turn_{target}", {}, target

        sma_limit = first("sma", "number", "sma_feed_in_limit_power")
        if sma_limit is None:
            # The limit is unknown until set: take it without a value.
            sma_limit = next(
                (
                    e
                    for e in entities
                    if e.vendor == "sma"
                    and e.translation_key == "sma_feed_in_limit_power"
                    and e.value == "unknown"
                ),
                None,
            )
        results = await asyncio.gather(
            self.round_trip(
                "fusionsolar",
                "battery working mode",
                first("fusionsolar", "select", "fusionsolar_battery_working_mode"),
                battery_mode,
            ),
            self.round_trip("sma", "feed-in limit", sma_limit, feed_in_limit),
            self.round_trip(
                "smartme", "relay", first("smartme", "switch", "smartme_switch"), relay
            ),
        )
        return [problem for result in results for problem in result]

    async def diagnostics(self) -> list[str]:
        """Download every account's diagnostics; no secret may be in them."""
        problems = []
        for vendor, entry_id in self.entries.items():
            status, body = await self.get(f"/api/diagnostics/config_entry/{entry_id}")
            text = body.decode()
            if status != 200:
                problems.append(f"{vendor}: diagnostics HTTP {status}")
                continue
            data = json.loads(text).get("data")
            if not isinstance(data, dict) or not data:
                problems.append(f"{vendor}: diagnostics hold no data")
                continue
            problems += [
                f"{vendor}: diagnostics show the secret {secret!r}"
                for secret in SECRETS
                if secret.lower() in text.lower()
            ]
            self.say(f"{vendor}: diagnostics downloaded ({len(text)} bytes)")
        return problems

    async def brand(self) -> list[str]:
        """Home Assistant serves the icon from the integration's brand folder."""
        status, body = await self.get(
            "/api/brands/integration/solar_cloud/icon.png?placeholder=no"
        )
        if status == 404:
            # Before 2026.3 there is no brands API (not a supported version).
            return ["brand: /api/brands/integration/solar_cloud/icon.png is missing"]
        shipped = await asyncio.to_thread(BRAND_ICON.read_bytes)
        if status != 200 or body != shipped:
            return ["brand: Home Assistant does not serve our brand/icon.png"]
        self.say("brand: Home Assistant serves brand/icon.png")
        return []

    def log(self, path: Path) -> list[str]:
        """Return the integration's errors in Home Assistant's log; print warnings."""
        problems = []
        for line in path.read_text("utf-8", errors="replace").splitlines():
            match = re.match(
                r"\S+ \S+ (ERROR|CRITICAL|WARNING) \([^)]*\) \[([^\]]+)\]", line
            )
            if match is None or "solar_cloud" not in line:
                continue
            if "has not been tested by Home Assistant" in line:
                continue
            if match[1] == "WARNING":
                self.say(f"warning in the log: {line[match.end() :].strip()[:300]}")
            else:
                problems.append(f"log: {line[:300]}")
        return problems

    async def run(self) -> list[str]:
        """Run every check; return the failures."""
        problems = await self.wait_for_states()
        problems += await self.controls()
        problems += await self.diagnostics()
        problems += await self.brand()
        problems += self.log(self.demo.config / "home-assistant.log")
        return problems


def _same(shown: str | None, target: str) -> bool:
    """Compare a state with the target, numbers as numbers."""
    if shown is None:
        return False
    try:
        return abs(float(shown) - float(target)) < 1e-6
    except ValueError:
        return shown == target
