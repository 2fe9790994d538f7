"""The SMA simulator: every API under one base URL, and the demo's."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

from aiohttp import web

from .accounts import DEMO_OWNER, SANDBOX_OWNER, demo_owner_plants, sandbox_plants
from .gridcontrol import SmaGridControl


class SmaSimulator(SmaGridControl):
    """SMA's authorization server, consent API, Monitoring and GridControl."""

    vendor: ClassVar[str] = "sma"

    def __init__(self) -> None:
        """Start with the sandbox plants and no consent."""
        super().__init__()
        for plant in sandbox_plants():
            self.add_plant(plant, owner=SANDBOX_OWNER)

    def add_routes(self, router: web.UrlDispatcher) -> None:
        """Serve the authorization server and the APIs under one base URL."""
        router.add_get("/oauth2/auth", self.oauth.authorize, name="oauth_authorize")
        router.add_post("/oauth2/token", self.token, name="oauth_token")
        router.add_post("/oauth2/logout", self.logout, name="logout")
        consent = "/oauth2/v2/bc-authorize"
        router.add_post(consent, self.post_consent, name="consent_request")
        router.add_get(f"{consent}/{{hint}}", self.get_consent, name="consent_state")
        router.add_put(
            f"{consent}/{{hint}}/status", self.put_consent, name="consent_set"
        )
        monitoring = "/monitoring/v1"
        router.add_get(f"{monitoring}/plants", self.get_plants, name="plants")
        router.add_get(f"{monitoring}/plants/{{plant}}", self.get_plant, name="plant")
        router.add_get(
            f"{monitoring}/plants/{{plant}}/devices", self.get_devices, name="devices"
        )
        router.add_get(
            f"{monitoring}/plants/{{plant}}/measurements/sets/EnergyBalance/{{period}}",
            self.get_energy_balance,
            name="energy_balance",
        )
        router.add_get(
            f"{monitoring}/devices/{{device}}/measurements/sets",
            self.get_set_names,
            name="device_sets",
        )
        router.add_get(
            f"{monitoring}/devices/{{device}}/measurements/sets/{{set}}/{{period}}",
            self.get_device_set,
            name="device_measurements",
        )
        gridcontrol = "/gridcontrol/v1/plants"
        router.add_post(
            f"{gridcontrol}/eligibilityCheck", self.post_eligibility, name="eligibility"
        )
        router.add_post(
            f"{gridcontrol}/{{plant}}/schedules", self.post_schedule, name="schedules"
        )

    def render_vendor_error(self, request: web.Request, error: Any) -> web.Response:
        """Answer with SMA's API error body: ``error`` is (status, message)."""
        status, message = error
        return web.json_response(
            {"message": message, "code": str(status)}, status=status
        )


def demo_simulator() -> SmaSimulator:
    """Return the simulator the demo serves.

    Custom flow: client ``custom-client`` / ``custom-secret``, owners
    ``apiTestUser@apiSandbox.com`` (the sandbox plants) and
    ``owner@example.com``; owners accept 20 s after a request. Code flow:
    application credential ``code-client`` / ``code-secret``, signing in as
    the sandbox owner.
    """
    simulator = SmaSimulator()
    for plant in demo_owner_plants():
        simulator.add_plant(plant, owner=DEMO_OWNER)
    simulator.auto_accept_after = timedelta(seconds=20)
    return simulator
