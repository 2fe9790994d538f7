"""``scripts/demo --browser DIR``: the demo in a real browser, as a new user clicks it.

Playwright's Python package drives Debian's Chromium (no browser download)
against the running demo, whose SMA and smart-me accounts were added through
the REST API. Each step asserts what a person would see, saves a screenshot
into DIR and, when it fails, ``failed-<step>.png`` with the reason:

1. sign in on Home Assistant's login page as the demo owner;
2. Settings > Devices & services > Add integration > Solar Cloud >
   FusionSolar > Northbound API account: the simulator typed in as a custom
   portal, the demo's API account, submit, finish; the plants are listed;
3. on the plant Puer's device page, change the battery working mode and wait
   until the state follows (the simulated cloud's task takes ~20-30 s): the
   device's Activity card shows the new mode;
4. the Energy dashboard, once the SMA history is imported: charts drawn.

The frontend changes between Home Assistant releases; the selectors this
relies on are in ``SELECTORS``, and the README's demo section lists them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import importlib.util
from pathlib import Path
import re
import shutil
import subprocess
import time
from typing import TYPE_CHECKING, Any

from demo_check import Check

from tests.simulator.fusionsolar.accounts import DEMO_PASSWORD, DEMO_USER

if TYPE_CHECKING:
    from demo import Demo
    from playwright.async_api import Page

VIEWPORT = {"width": 1280, "height": 800}
STEP_TIMEOUT_MS = 30_000
"""What a page may take to show an element (Home Assistant under load)."""
CONTROL_TIMEOUT_MS = 150_000
"""What the battery mode may take to follow (FusionSolar's tasks: ~20-30 s)."""
PLANT = "Puer"
"""The demo's FusionSolar plant with a battery."""
BATTERY_MODE = "fusionsolar_battery_working_mode"
MODES = {
    "maximum_self_consumption": "Maximum self-consumption",
    "third_party_dispatch": "Third-party dispatch",
}
"""Battery modes one can set without the plant's time windows, as shown."""

SELECTORS = {
    "login": 'textbox "Username", textbox "Password", button "Log in"',
    "sidebar": 'link "Settings", link "Devices & services", link "Energy"',
    "add integration": 'button "Add integration", then type into the search',
    "flow menu": "the menu options' text",
    "custom portal": 'ha-picker-field "Portal", placeholder "Search | Add '
    'custom item", text "Add custom item"',
    "flow form": 'textbox "User name", textbox "System code (password)", '
    'button "Submit", button /finish/',
    "select": 'ha-picker-field "Battery working mode", menuitem "<option>"',
    "state": "document.querySelector('home-assistant').hass.states",
    "energy": 'text "Energy distribution", ha-chart-base canvas, button "Previous"',
}
"""The Home Assistant frontend's elements the tour relies on (2026.10)."""


def unavailable() -> str | None:
    """Return why the tour cannot run here (no Playwright, no Chromium), or None."""
    if importlib.util.find_spec("playwright") is None:
        return (
            "Playwright's Python package is not installed "
            "(pip install playwright into .venv; no browser download needed)"
        )
    if chromium() is None:
        return "Chromium is not installed (Debian: apt-get install chromium)"
    return None


def chromium() -> str | None:
    """Return the path of Debian's Chromium, or None."""
    found = shutil.which("chromium")
    if found is None and Path("/usr/bin/chromium").exists():
        found = "/usr/bin/chromium"
    return found


class TourStepError(Exception):
    """A step of the tour did not see what it expected."""


class Tour:
    """The browser tour of one running demo."""

    def __init__(self, demo: Demo, entries: dict[str, str], directory: Path) -> None:
        """Tour ``demo`` (accounts ``entries``), saving screenshots in ``directory``."""
        self.demo = demo
        self.entries = entries
        self.directory = directory
        self.check = Check(demo, entries)
        self.durations: dict[str, float] = {}
        self.saved: list[Path] = []

    def say(self, message: str) -> None:
        """Print progress with the seconds since the tour started."""
        self.check.say(message)

    async def shoot(self, page: Page, name: str) -> None:
        """Save a screenshot of the page as ``name``.png (made smaller if we can)."""
        path = self.directory / f"{name}.png"
        await page.screenshot(path=str(path))
        await asyncio.to_thread(shrink, path)
        self.saved.append(path)
        self.say(f"saved {path} ({path.stat().st_size // 1024} KB)")

    async def step(
        self, page: Page, name: str, run: Callable[[Page], Awaitable[None]]
    ) -> None:
        """Run one step; on failure save ``failed-<name>.png`` and say why."""
        started = time.monotonic()
        self.say(f"{name} ...")
        try:
            await run(page)
        except Exception as err:
            shot: Path | None = self.directory / f"failed-{name}.png"
            try:
                await page.screenshot(path=str(self.directory / f"failed-{name}.png"))
            except Exception:  # noqa: BLE001 - the page itself may be gone
                shot = None
            raise TourStepError(
                f"{name}: {_first_line(err)}"
                + (f" (screenshot: {shot})" if shot else "")
                + f" at {page.url}"
            ) from err
        self.durations[name] = time.monotonic() - started
        self.say(f"{name}: done in {self.durations[name]:.0f} s")

    async def run(self) -> list[str]:
        """Run the tour; return what failed (an empty list: all passed)."""
        from playwright.async_api import async_playwright  # noqa: PLC0415

        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=chromium(),
                args=["--no-sandbox", "--disable-gpu"],
            )
            try:
                page = await browser.new_page(viewport=VIEWPORT)  # type: ignore[arg-type]
                page.set_default_timeout(STEP_TIMEOUT_MS)
                await self.step(page, "login", self.login)
                await self.step(page, "add-fusionsolar", self.add_fusionsolar)
                await self.step(page, "battery-mode", self.battery_mode)
                await self.step(page, "energy", self.energy)
            except TourStepError as err:
                return [str(err)]
            finally:
                await browser.close()
        return []

    async def login(self, page: Page) -> None:
        """Sign in on the login page as the demo owner."""
        from demo import PASSWORD, USERNAME  # noqa: PLC0415

        await page.goto(self.demo.url)
        await page.get_by_role("textbox", name="Username").fill(USERNAME)
        await page.get_by_role("textbox", name="Password").fill(PASSWORD)
        await page.get_by_role("button", name="Log in").click()
        await _visible(page.get_by_role("link", name="Settings"), "the sidebar")

    async def add_fusionsolar(self, page: Page) -> None:
        """Add the FusionSolar account through the config flow's forms."""
        from playwright.async_api import expect  # noqa: PLC0415

        await page.get_by_role("link", name="Settings").click()
        await page.get_by_role("link", name="Devices & services").first.click()
        await page.get_by_role("button", name="Add integration").click()
        await page.wait_for_timeout(1000)
        await page.keyboard.type("Solar Cloud")
        await page.get_by_text("Solar Cloud", exact=True).last.click()
        await page.get_by_text("Huawei FusionSolar (SmartPVMS)").click()
        await page.get_by_text("Northbound API account (user name").click()
        await _visible(page.get_by_text("FusionSolar API account"), "the form")
        portal = self.demo.simulators["fusionsolar"].base_url
        await page.get_by_label("Portal").click()
        await page.get_by_placeholder("Search | Add custom item").fill(portal)
        await page.get_by_text("Add custom item").click()
        await _visible(page.get_by_text(portal, exact=True), "the custom portal")
        # The form draws itself anew after the portal changed: fill it then.
        await page.wait_for_timeout(1000)
        for name, value in (
            ("User name", DEMO_USER),
            ("System code (password)", DEMO_PASSWORD),
        ):
            field = page.get_by_role("textbox", name=name)
            await field.fill(value)
            await expect(field).to_have_value(value)
        await page.wait_for_timeout(500)  # the fields' labels move up
        await self.shoot(page, "tour-1-fusionsolar-form")
        await page.get_by_role("button", name="Submit").click()
        # The account is created: Home Assistant asks to name its devices.
        finish = page.get_by_role("button", name=re.compile("finish", re.IGNORECASE))
        await _visible(finish, "the plants to name (the account was added)")
        names = page.get_by_role("textbox", name="Device name")
        shown = [await names.nth(i).input_value() for i in range(await names.count())]
        if PLANT not in shown:
            raise TourStepError(f"the new account's devices {shown} lack {PLANT}")
        await finish.click()
        await _visible(
            page.get_by_text(f"FusionSolar {DEMO_USER}").first,
            "the new account's devices",
        )
        self.entries["fusionsolar"] = await self.fusionsolar_entry()
        # As the demo does for every account: a few days of history, not a year.
        await self.demo.set_history_days(self.entries["fusionsolar"])
        await self.wait_until_loaded()
        await page.wait_for_timeout(2000)
        await self.shoot(page, "tour-2-fusionsolar-devices")

    async def fusionsolar_entry(self) -> str:
        """Return the entry id of the FusionSolar account the form added."""
        (entries,) = await self.demo.websocket(
            {"type": "config_entries/get", "domain": "solar_cloud"}
        )
        for entry in entries:
            if entry["entry_id"] not in self.entries.values():
                return str(entry["entry_id"])
        raise TourStepError("no new Solar Cloud account after the form")

    async def wait_until_loaded(self) -> None:
        """Wait until every account is loaded (again, after options changed)."""
        await asyncio.sleep(2)
        async with asyncio.timeout(60):
            while True:
                if not await self.check.entries_loaded():
                    return
                await asyncio.sleep(1)

    async def battery_mode(self, page: Page) -> None:
        """Change Puer's battery working mode on its device page; see it follow."""
        entity = next(
            (
                e
                for e in await self.check.entities()
                if e.vendor == "fusionsolar"
                and e.translation_key == BATTERY_MODE
                and e.state is not None
                and str(e.state["attributes"].get("friendly_name", "")).startswith(
                    PLANT
                )
            ),
            None,
        )
        if entity is None:
            raise TourStepError(f"{PLANT} has no battery working mode entity")
        target = next(mode for mode in MODES if mode != entity.value)
        label = MODES[target]
        await page.get_by_text(PLANT, exact=True).first.click()
        await _visible(page.get_by_text("Device info"), f"{PLANT}'s device page")
        picker = page.get_by_label("Battery working mode")
        await picker.evaluate("element => element.scrollIntoView({block: 'center'})")
        await picker.click()
        await page.get_by_role("menuitem", name=label).click()
        sent = time.monotonic()
        # The picker shows the choice at once; the state follows the cloud's task.
        pending_seen = False
        try:
            async with asyncio.timeout(CONTROL_TIMEOUT_MS / 1000):
                while True:
                    shown, pending = await self.check.state_and_pending(
                        entity.entity_id
                    )
                    pending_seen |= pending
                    if shown == target and not pending:
                        followed = time.monotonic()
                        break
                    await asyncio.sleep(1)
        except TimeoutError:
            shown = await self.check.state_of(entity.entity_id)
            raise TourStepError(
                f"{entity.entity_id} stayed {shown!r}, not {target!r}, "
                f"{CONTROL_TIMEOUT_MS // 1000} s after choosing {label!r}"
            ) from None
        self.say(
            f"{entity.entity_id} {entity.value!r} -> {target!r}: "
            f"{'shown as pending, ' if pending_seen else ''}"
            f"confirmed after {followed - sent:.0f} s"
        )
        # What the page itself holds (the picker showed the choice all along).
        try:
            await page.wait_for_function(
                "([entity, target]) => {"
                " const state = document.querySelector('home-assistant')"
                ".hass.states[entity];"
                " return state?.state === target && !state.attributes.pending; }",
                arg=[entity.entity_id, target],
            )
        except Exception as err:
            raise TourStepError(
                f"the page's state of {entity.entity_id} is not {target!r} (confirmed)"
            ) from err
        await self.shoot(page, "tour-3-battery-mode")

    async def energy(self, page: Page) -> None:
        """Open the Energy dashboard once the SMA history is imported."""
        async with asyncio.timeout(1800):
            await self.demo.wait_for_history(self.entries["sma"])
        await page.get_by_role("link", name="Energy").click()
        await _visible(
            page.get_by_text("Energy distribution").filter(visible=True).first,
            "the energy card",
        )
        await _visible(
            page.locator("ha-chart-base canvas").filter(visible=True).first, "a chart"
        )
        # Yesterday: a whole day of the imported history.
        await page.get_by_role("button", name="Previous").click()
        await page.wait_for_timeout(5000)
        await _visible(
            page.get_by_text("Solar production").filter(visible=True).first,
            "the solar chart",
        )
        await self.shoot(page, "tour-4-energy")

    def report(self) -> None:
        """Print how long each step took and what was saved."""
        for name, took in self.durations.items():
            print(f"  {name}: {took:.0f} s")
        for path in self.saved:
            print(f"  {path} ({path.stat().st_size // 1024} KB)")


async def _visible(locator: Any, what: str, wait_ms: float | None = None) -> None:
    """Wait until ``locator`` is visible; fail naming ``what`` was expected."""
    try:
        await locator.wait_for(state="visible", timeout=wait_ms)
    except Exception as err:
        raise TourStepError(f"expected {what}, not shown ({_first_line(err)})") from err


def _first_line(err: BaseException) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0]


def shrink(path: Path) -> None:
    """Make a screenshot smaller with pngquant where it is installed."""
    if (pngquant := shutil.which("pngquant")) is None:
        return
    subprocess.run(
        [pngquant, "--force", "--skip-if-larger", "--output", str(path), str(path)],
        check=False,
        capture_output=True,
    )
