"""Where the SMA APIs live: production, sandbox, or one custom base URL."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum


class SmaEnvironment(StrEnum):
    """The SMA environment an account lives in (stored: never rename)."""

    PRODUCTION = "production"
    SANDBOX = "sandbox"
    CUSTOM = "custom"


# SMA does not publish the GridControl hosts; these follow the pattern of the
# Monitoring API hosts and can be overridden per account. See README.
DEFAULT_GRIDCONTROL_URLS = {
    SmaEnvironment.PRODUCTION: "https://gridcontrol.smaapis.de",
    SmaEnvironment.SANDBOX: "https://sandbox.smaapis.de/gridcontrol",
}


@dataclass(frozen=True, kw_only=True)
class SmaEndpoints:
    """The base URLs of the four SMA services one account talks to.

    Paths are appended to them as SMA documents them: ``/oauth2/token`` to
    ``auth``, ``/oauth2/v2/bc-authorize`` to ``consent``, ``/v1/plants`` to
    ``monitoring`` and ``/v1/plants/{id}/schedules`` to ``gridcontrol``.
    """

    auth: str
    consent: str
    monitoring: str
    gridcontrol: str

    @classmethod
    def for_environment(
        cls,
        environment: SmaEnvironment,
        *,
        url: str | None = None,
        gridcontrol_url: str | None = None,
    ) -> SmaEndpoints:
        """Return the endpoints of an environment.

        ``url`` is the one base URL of a custom environment (a test server
        serving ``/oauth2``, ``/monitoring`` and ``/gridcontrol``);
        ``gridcontrol_url`` overrides the GridControl host of any environment.

        Raises:
            ValueError: A custom environment without a URL.

        """
        if (public := _PUBLIC_ENDPOINTS.get(environment)) is not None:
            endpoints = public
        elif not url:
            raise ValueError("A custom SMA environment needs a base URL")
        else:
            base = url.rstrip("/")
            endpoints = cls(
                auth=base,
                consent=base,
                monitoring=f"{base}/monitoring",
                gridcontrol=f"{base}/gridcontrol",
            )
        if gridcontrol_url:
            return replace(endpoints, gridcontrol=gridcontrol_url.rstrip("/"))
        return endpoints

    @property
    def authorize_url(self) -> str:
        """Return the browser authorization URL of the code flow."""
        return f"{self.auth}/oauth2/auth"

    @property
    def code_flow_scopes(self) -> tuple[str, ...]:
        """Return what the code flow asks for: a token refreshed without end."""
        return ("offline_access",)

    @property
    def token_url(self) -> str:
        """Return the token endpoint."""
        return f"{self.auth}/oauth2/token"

    @property
    def logout_url(self) -> str:
        """Return the endpoint that ends a session."""
        return f"{self.auth}/oauth2/logout"


_PUBLIC_ENDPOINTS: dict[SmaEnvironment, SmaEndpoints] = {
    SmaEnvironment.PRODUCTION: SmaEndpoints(
        auth="https://auth.smaapis.de",
        consent="https://async-auth.smaapis.de",
        monitoring="https://monitoring.smaapis.de",
        gridcontrol=DEFAULT_GRIDCONTROL_URLS[SmaEnvironment.PRODUCTION],
    ),
    SmaEnvironment.SANDBOX: SmaEndpoints(
        auth="https://sandbox-auth.smaapis.de",
        consent="https://sandbox.smaapis.de",
        monitoring="https://sandbox.smaapis.de/monitoring",
        gridcontrol=DEFAULT_GRIDCONTROL_URLS[SmaEnvironment.SANDBOX],
    ),
}
