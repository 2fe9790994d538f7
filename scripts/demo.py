"""The demo: the vendor simulators and a real Home Assistant, accounts added for you.

    scripts/demo [--port PORT] [--history-days DAYS] [--screenshot DIR]
    scripts/demo --check [--hass PATH]
    scripts/demo --browser DIR

Starts the three vendor simulators on free ports (two demos on one machine
share nothing), a Home Assistant with this integration on a free port (or
``--port``) in a fresh configuration directory, onboards it, adds one account
per vendor through Home Assistant's config-flow REST API (SMA custom flow with
the owner's consent, smart-me with realtime pushes, FusionSolar with a battery
plant), puts the SMA plant's imported statistics on the Energy dashboard, and
prints the URL and the login. Ctrl-C stops everything it started.

``--screenshot DIR`` waits until the SMA history is imported, saves
screenshots of the Energy dashboard into DIR (with Playwright's Python package
driving Debian's Chromium, no browser download) and stops.

``--browser DIR`` adds the FusionSolar account through Home Assistant's
forms in Chromium instead, changes a battery mode and opens the Energy
dashboard, asserting each step and saving screenshots into DIR (see
scripts/demo_browser.py); it exits 0 when all passed, 1 when a step failed,
and 0 with a message that it skipped where Playwright or Chromium is missing.

``--check`` starts the same demo headless, checks it as a new user would
find it (entities with states, a control round trip per vendor, diagnostics,
the brand icon, the log: see scripts/demo_check.py), stops everything and
exits 0 when all passed, 1 with the list of what failed. ``--hass PATH`` runs
another installation's ``hass`` (scripts/smoke: another Home Assistant
version); the simulators and the checks stay in this Python.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
from pathlib import Path
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from demo_browser import Tour, unavailable as browser_unavailable  # noqa: E402
from demo_check import Check  # noqa: E402

from tests.simulator.core import RunningSimulator, start_simulator  # noqa: E402
from tests.simulator.fusionsolar import create_demo as fusionsolar_demo  # noqa: E402
from tests.simulator.fusionsolar.accounts import (  # noqa: E402
    DEMO_PASSWORD as FUSIONSOLAR_PASSWORD,
    DEMO_USER as FUSIONSOLAR_USER,
)
from tests.simulator.sma import CUSTOM_CLIENT, SANDBOX_OWNER, demo_simulator as sma_demo  # noqa: E402
from tests.simulator.smartme import demo_simulator as smartme_demo  # noqa: E402

USERNAME = "demo"
PASSWORD = "demo-password"
SMA_PLANT = "13"
"""The sandbox's "Testplant 1": a house with 14.6 kWp and a battery."""
CONFIGURATION = """\
homeassistant:
  name: Solar Cloud demo
  time_zone: Europe/Berlin
  external_url: {url}
  internal_url: {url}
frontend:
onboarding:
config:
history:
logbook:
energy:
repairs:
diagnostics:
application_credentials:
logger:
  default: warning
  logs:
    custom_components.solar_cloud: info
"""


def free_port() -> int:
    """Return a TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Demo:
    """One demo: its simulators, its Home Assistant and its session with it."""

    def __init__(self, port: int, history_days: int, hass: Path) -> None:
        """Prepare a demo of ``hass`` on ``port`` importing ``history_days``."""
        self.hass_bin = hass
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.history_days = history_days
        self.config = Path(tempfile.mkdtemp(prefix="solar-cloud-demo-"))
        self.simulators: dict[str, RunningSimulator] = {}
        self.hass: subprocess.Popen[bytes] | None = None
        self.token = ""
        self.session: aiohttp.ClientSession | None = None
        self.passed = False

    async def start_simulators(self) -> None:
        """Serve the three simulators on free ports."""
        for vendor, create in (
            ("sma", sma_demo),
            ("smartme", smartme_demo),
            ("fusionsolar", fusionsolar_demo),
        ):
            self.simulators[vendor] = await start_simulator(create())
            print(f"{vendor} simulator: {self.simulators[vendor].base_url}")

    def start_hass(self) -> None:
        """Start Home Assistant in a fresh configuration directory."""
        (self.config / "custom_components").mkdir()
        (self.config / "custom_components" / "solar_cloud").symlink_to(
            ROOT / "custom_components" / "solar_cloud"
        )
        (self.config / "configuration.yaml").write_text(
            CONFIGURATION.format(url=self.url)
        )
        self.hass = subprocess.Popen(
            [str(self.hass_bin), "-c", str(self.config)],
            stdout=(self.config / "hass.out").open("wb"),
            stderr=subprocess.STDOUT,
            # Since 2026.10 the HTTP settings live in storage, confirmed in the
            # UI; the port of a fresh instance comes from SETUP_PORT.
            env={**os.environ, "SETUP_PORT": str(self.port)},
        )

    async def wait_for_hass(self) -> None:
        """Wait until Home Assistant answers (the first start installs the frontend)."""
        assert self.session is not None
        while True:
            if self.hass is not None and self.hass.poll() is not None:
                raise RuntimeError(
                    f"Home Assistant stopped: see {self.config}/hass.out"
                )
            with contextlib.suppress(aiohttp.ClientError):
                async with self.session.get(f"{self.url}/api/onboarding") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(2)

    async def onboard(self) -> None:
        """Create the owner, sign in, and finish onboarding."""
        assert self.session is not None
        client_id = f"{self.url}/"
        async with self.session.post(
            f"{self.url}/api/onboarding/users",
            json={
                "client_id": client_id,
                "name": "Demo Owner",
                "username": USERNAME,
                "password": PASSWORD,
                "language": "en",
            },
        ) as response:
            code = (await response.json())["auth_code"]
        async with self.session.post(
            f"{self.url}/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": client_id,
            },
        ) as response:
            self.tokens = await response.json()
        self.token = self.tokens["access_token"]
        for step, body in (
            ("core_config", {}),
            ("analytics", {}),
            ("integration", {"client_id": client_id, "redirect_uri": client_id}),
        ):
            await self.post(f"/api/onboarding/{step}", body)

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        """POST to Home Assistant's REST API as the owner."""
        assert self.session is not None
        async with self.session.post(
            f"{self.url}{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.token}"},
        ) as response:
            text = await response.text()
            if response.status >= 400:
                raise RuntimeError(f"{path}: HTTP {response.status} {text}")
            return json.loads(text) if text else None

    async def flow(self, steps: list[dict[str, Any]]) -> dict[str, Any]:
        """Run a config flow of Solar Cloud through the given answers."""
        result = await self.post(
            "/api/config/config_entries/flow", {"handler": "solar_cloud"}
        )
        for answer in steps:
            result = await self.post(
                f"/api/config/config_entries/flow/{result['flow_id']}", answer
            )
            while result.get("type") == "progress":
                await asyncio.sleep(3)
                result = await self.post(
                    f"/api/config/config_entries/flow/{result['flow_id']}", {}
                )
        if result.get("type") != "create_entry":
            raise RuntimeError(f"The flow ended with {result}")
        return result

    async def add_accounts(self, *, fusionsolar: bool = True) -> dict[str, str]:
        """Add one account per vendor (FusionSolar unless told); return the entry ids."""
        sma = self.simulators["sma"].base_url
        entries = {}
        result = await self.flow(
            [
                {"next_step_id": "sma"},
                {"next_step_id": "sma_custom"},
                {
                    "environment": "custom",
                    "advanced": {"url": sma, "gridcontrol_url": f"{sma}/gridcontrol"},
                    "client_id": CUSTOM_CLIENT[0],
                    "client_secret": CUSTOM_CLIENT[1],
                    "login_hint": SANDBOX_OWNER,
                },
            ]
        )
        entries["sma"] = result["result"]["entry_id"]
        print("SMA account added (the simulated owner accepted)")
        result = await self.flow(
            [
                {"next_step_id": "smartme"},
                {"next_step_id": "smartme_apikey"},
                {
                    "api_key": "demo-key",
                    "advanced": {"url": self.simulators["smartme"].base_url},
                },
                {"realtime": True},
            ]
        )
        entries["smartme"] = result["result"]["entry_id"]
        print("smart-me account added (realtime pushes on)")
        if fusionsolar:
            result = await self.flow(
                [
                    {"next_step_id": "fusionsolar"},
                    {"next_step_id": "fusionsolar_account"},
                    {
                        "url": self.simulators["fusionsolar"].base_url,
                        "username": FUSIONSOLAR_USER,
                        "password": FUSIONSOLAR_PASSWORD,
                    },
                ]
            )
            entries["fusionsolar"] = result["result"]["entry_id"]
            print("FusionSolar account added")
        for entry_id in entries.values():
            await self.set_history_days(entry_id)
        return entries

    async def set_history_days(self, entry_id: str) -> None:
        """Import ``history_days`` for the demo (the default year takes long)."""
        result = await self.post(
            "/api/config/config_entries/options/flow", {"handler": entry_id}
        )
        if result.get("type") == "menu":
            result = await self.post(
                f"/api/config/config_entries/options/flow/{result['flow_id']}",
                {"next_step_id": "history_options"},
            )
        fields = {
            field["name"]: field.get("default")
            for field in result.get("data_schema", [])
        }
        fields.pop("plants", None)
        answer = {k: v for k, v in fields.items() if v is not None}
        if result.get("step_id") == "fusionsolar_options":
            answer["plants"] = next(
                field["default"]
                for field in result["data_schema"]
                if field["name"] == "plants"
            )
        if "history_days" not in fields:
            return
        answer["history_days"] = self.history_days
        await self.post(
            f"/api/config/config_entries/options/flow/{result['flow_id']}", answer
        )

    async def websocket(self, *messages: dict[str, Any]) -> list[Any]:
        """Send messages over Home Assistant's websocket API; return the results."""
        assert self.session is not None
        results = []
        async with self.session.ws_connect(f"{self.url}/api/websocket") as socket_:
            await socket_.receive_json()
            await socket_.send_json({"type": "auth", "access_token": self.token})
            await socket_.receive_json()
            for number, message in enumerate(messages, start=1):
                await socket_.send_json({"id": number, **message})
                while (answer := await socket_.receive_json()).get("id") != number:
                    pass
                if not answer.get("success"):
                    raise RuntimeError(f"{message['type']}: {answer}")
                results.append(answer.get("result"))
        return results

    async def set_energy_dashboard(self) -> None:
        """Put the SMA plant's imported statistics on the Energy dashboard."""

        def statistic(flow: str) -> str:
            return f"solar_cloud:sma_{SMA_PLANT}_{flow}"

        await self.websocket(
            {
                "type": "energy/save_prefs",
                "energy_sources": [
                    {
                        "type": "grid",
                        "stat_energy_from": statistic("grid_import"),
                        "stat_energy_to": statistic("grid_export"),
                        "stat_cost": None,
                        "entity_energy_price": None,
                        "number_energy_price": None,
                        "stat_compensation": None,
                        "entity_energy_price_export": None,
                        "number_energy_price_export": None,
                        "cost_adjustment_day": 0,
                    },
                    {
                        "type": "solar",
                        "stat_energy_from": statistic("solar_production"),
                        "config_entry_solar_forecast": None,
                    },
                    {
                        "type": "battery",
                        "stat_energy_from": statistic("battery_discharge"),
                        "stat_energy_to": statistic("battery_charge"),
                    },
                ],
                "device_consumption": [],
            }
        )

    async def wait_for_history(self, entry_id: str) -> None:
        """Wait until an account's history import is done."""
        assert self.session is not None
        while True:
            async with self.session.get(
                f"{self.url}/api/diagnostics/config_entry/{entry_id}",
                headers={"Authorization": f"Bearer {self.token}"},
            ) as response:
                data = await response.json()
            # The account reloads after its options changed: no data meanwhile.
            history = (data["data"].get("vendor") or {}).get("history") or {}
            print(f"history import: {history.get('progress')} %", flush=True)
            if history.get("state") == "up_to_date":
                return
            await asyncio.sleep(10)

    async def screenshot(self, directory: Path) -> None:
        """Save screenshots of the Energy dashboard (Playwright + Debian's Chromium)."""
        from playwright.async_api import async_playwright  # noqa: PLC0415

        tokens = {
            **self.tokens,
            "hassUrl": self.url,
            "clientId": f"{self.url}/",
            "expires": (asyncio.get_running_loop().time() + 1800) * 1000,
        }
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                args=["--no-sandbox", "--disable-gpu"],
            )
            page = await browser.new_page(viewport={"width": 1400, "height": 1000})
            await page.add_init_script(
                f"window.localStorage.setItem('hassTokens', {json.dumps(json.dumps(tokens))});"
            )
            await page.goto(f"{self.url}/energy")
            await page.wait_for_timeout(8000)
            await page.screenshot(path=str(directory / "energy-today.png"))
            # Yesterday: a whole day of the imported history.
            await page.get_by_role("button", name="Previous").click()
            await page.wait_for_timeout(5000)
            await page.screenshot(path=str(directory / "energy-yesterday.png"))
            print(f"saved the screenshots in {directory}")
            await browser.close()

    async def stop(self) -> None:
        """Stop Home Assistant and the simulators."""
        if self.hass is not None and self.hass.poll() is None:
            self.hass.terminate()
            try:
                await asyncio.to_thread(self.hass.wait, timeout=60)
            except subprocess.TimeoutExpired:
                self.hass.kill()
                self.hass.wait()
        for served in self.simulators.values():
            await served.stop()
        if self.session is not None:
            await self.session.close()


async def run(args: argparse.Namespace) -> int:
    """Run the demo until interrupted (or until the screenshots are taken)."""
    demo = Demo(args.port or free_port(), args.history_days, Path(args.hass))
    demo.session = aiohttp.ClientSession()
    # A stopped CI job sends SIGTERM: stop what the demo started, as on Ctrl-C.
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    started = time.monotonic()
    try:
        return await _run(demo, args, started)
    except (RuntimeError, TimeoutError, aiohttp.ClientError) as err:
        if not (args.check or args.browser):
            raise
        print(f"\ndemo check FAILED: {err!r}", file=sys.stderr)
        print(f"Home Assistant's log: {demo.config}/home-assistant.log")
        return 1
    finally:
        await demo.stop()
        if demo.passed:
            shutil.rmtree(demo.config, ignore_errors=True)


async def _run(demo: Demo, args: argparse.Namespace, started: float) -> int:
    """Start the demo, then check it, take screenshots or wait for Ctrl-C."""
    await demo.start_simulators()
    demo.start_hass()
    print(f"Home Assistant starts in {demo.config} (the first start takes a while)")
    async with asyncio.timeout(900):
        await demo.wait_for_hass()
    print(f"Home Assistant answers after {time.monotonic() - started:.0f} s")
    await demo.onboard()
    entries = await demo.add_accounts(fusionsolar=not args.browser)
    await demo.set_energy_dashboard()
    if args.browser:
        return await _tour(demo, entries, Path(args.browser), started)
    if args.check:
        async with asyncio.timeout(1200):
            problems = await Check(demo, entries).run()
        took = time.monotonic() - started
        if problems:
            print(f"\ndemo check FAILED after {took:.0f} s:", file=sys.stderr)
            for problem in problems:
                print(f"  - {problem}", file=sys.stderr)
            print(f"Home Assistant's log: {demo.config}/home-assistant.log")
            return 1
        print(f"\ndemo check passed in {took:.0f} s")
        demo.passed = True
        return 0
    print(f"\nOpen {demo.url} and sign in as {USERNAME} / {PASSWORD}\n")
    if args.screenshot:
        async with asyncio.timeout(3600):
            await demo.wait_for_history(entries["sma"])
        await asyncio.sleep(30)
        await demo.screenshot(Path(args.screenshot))
        return 0
    await asyncio.Event().wait()
    return 0


async def _tour(
    demo: Demo, entries: dict[str, str], directory: Path, started: float
) -> int:
    """Run the browser tour; report its steps' durations and what failed."""
    tour = Tour(demo, entries, directory)
    async with asyncio.timeout(2400):
        problems = await tour.run()
    took = time.monotonic() - started
    tour.report()
    if problems:
        print(f"\nbrowser tour FAILED after {took:.0f} s:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        print(f"Home Assistant's log: {demo.config}/home-assistant.log")
        return 1
    print(f"\nbrowser tour passed in {took:.0f} s")
    demo.passed = True
    return 0


def main() -> None:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="Home Assistant's port")
    parser.add_argument(
        "--history-days",
        type=int,
        help="history to import per account (default 14, --check 1, --browser 2)",
    )
    parser.add_argument("--screenshot", help="save Energy dashboard screenshots here")
    parser.add_argument(
        "--check",
        action="store_true",
        help="check the demo headless, stop, exit 0 (passed) or 1",
    )
    parser.add_argument(
        "--browser",
        metavar="DIR",
        help="add FusionSolar in a real browser, tour the demo, screenshots into DIR",
    )
    parser.add_argument(
        "--hass",
        default=str(Path(sys.executable).parent / "hass"),
        help="the hass program to run (default: this Python's)",
    )
    args = parser.parse_args()
    if args.history_days is None:
        args.history_days = 1 if args.check else 2 if args.browser else 14
    if args.browser and (why := browser_unavailable()):
        print(f"browser tour SKIPPED: {why}")
        sys.exit(0)
    os.chdir(ROOT)
    for directory in (args.screenshot, args.browser):
        if directory:
            Path(directory).mkdir(parents=True, exist_ok=True)
    code = 130
    with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
        code = asyncio.run(run(args))
    sys.exit(code)


if __name__ == "__main__":
    main()
