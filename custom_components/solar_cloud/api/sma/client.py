"""The client of SMA's Monitoring, consent and GridControl APIs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, tzinfo
import logging
import re
from typing import Any
from urllib.parse import quote

import aiohttp
from yarl import URL

from ..account_gate import AccountGate
from ..auth import TokenSource
from ..errors import AccountRateLimitedError, ApiRateLimitedError, ApiResponseError
from ..transport import RawResponse, send
from .consent import ConsentState, ConsentStatus, mentions_owner, not_owner
from .environment import SmaEndpoints
from .errors import api_error, error_text
from .gridcontrol import (
    FeedInLimitCommand,
    ScheduleResult,
    eligibility_request,
    parse_eligibility,
)
from .models import (
    Device,
    MeasurementSet,
    Period,
    Plant,
    parse_devices,
    parse_plants,
    parse_set_names,
)

_LOGGER = logging.getLogger(__name__)

# SMA's rate limit is a token bucket per client over five minutes. Its 429
# has been seen without Retry-After: then back off from a minute, doubling up
# to 15 minutes; a Retry-After is honoured as it is.
RATE_LIMIT_BACKOFF = 60.0
RATE_LIMIT_BACKOFF_MAX = 900.0
MAX_REDIRECTS = 3
_PLANT_IN_PATH = re.compile(r"/plants/([^/?#]+)")
_DATE_FORMATS = {
    Period.DAY: "%Y-%m-%d",
    Period.WEEK: "%Y-%m-%d",
    Period.MONTH: "%Y-%m",
    Period.YEAR: "%Y",
}


class SmaClient:
    """Talks to SMA's APIs with the bearer tokens of a :class:`TokenSource`."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        endpoints: SmaEndpoints,
        tokens: TokenSource,
        *,
        plant_migrations: Mapping[str, str] | None = None,
        on_plant_migrated: Callable[[str, str], None] | None = None,
        gate: AccountGate | None = None,
    ) -> None:
        """Use ``session`` for every call.

        ``plant_migrations`` maps plant ids SMA moved (HTTP 308) to their new
        ids; ``on_plant_migrated`` is told about each move found, so that the
        caller can keep it. ``gate``: the account's, shared by its clients
        (without one, the client keeps a gate of its own); SMA's back-off is
        kept in it.
        """
        self._session = session
        self.endpoints = endpoints
        self._tokens = tokens
        self.plant_migrations: dict[str, str] = dict(plant_migrations or {})
        self._on_plant_migrated = on_plant_migrated
        self.gate = gate or AccountGate()
        self._rate_limit_hits = 0
        # The bearer token goes only to SMA's own hosts: a redirect elsewhere
        # is refused, never followed with the Authorization header.
        self._api_origins = frozenset(
            URL(base).origin()
            for base in (
                endpoints.auth,
                endpoints.consent,
                endpoints.monitoring,
                endpoints.gridcontrol,
            )
        )

    # Consent (custom flow) -------------------------------------------------

    def _consent_url(self, login_hint: str | None = None) -> str:
        url = f"{self.endpoints.consent}/oauth2/v2/bc-authorize"
        return f"{url}/{quote(login_hint, safe='@')}" if login_hint else url

    async def request_consent(self, login_hint: str) -> ConsentStatus:
        """Ask the plant owner ``login_hint`` (e-mail) for access to the plants.

        SMA e-mails the owner a link to the consent screen; asking again
        (another plant, a lost e-mail) sends a new request.

        Raises:
            ApiPermissionError: ``login_hint`` owns no plant at SMA.

        """
        response = await self._request(
            "POST",
            self._consent_url(),
            what="the consent request",
            json={"loginHint": login_hint},
            accept=(409, *_OWNER_ERRORS),
        )
        if response.status == 409:
            # A request already waits for the owner: report where it stands.
            return await self.consent_status(login_hint)
        return self._consent(response, login_hint)

    async def consent_status(self, login_hint: str) -> ConsentStatus:
        """Return where the owner's consent stands.

        Raises:
            ApiPermissionError: ``login_hint`` owns no plant at SMA.

        """
        response = await self._request(
            "GET",
            self._consent_url(login_hint),
            what="the consent state",
            accept=_OWNER_ERRORS,
        )
        if response.status == 404 and not mentions_owner(error_text(response)):
            return ConsentStatus(
                login_hint=login_hint,
                state=ConsentState.NOT_REQUESTED,
                expires_at=None,
                interval=None,
            )
        return self._consent(response, login_hint)

    @staticmethod
    def _consent(response: RawResponse, login_hint: str) -> ConsentStatus:
        if response.status >= 400:
            text = error_text(response)
            if mentions_owner(text):
                raise not_owner(login_hint, text)
            raise api_error(response, what="the consent request")
        return ConsentStatus.from_api(response.json(), login_hint)

    # Monitoring ------------------------------------------------------------

    def _plant_id(self, plant_id: str) -> str:
        return self.plant_migrations.get(plant_id, plant_id)

    async def plants(self) -> list[Plant]:
        """Return the plants the token may read (none until an owner consents)."""
        response = await self._request(
            "GET", f"{self.endpoints.monitoring}/v1/plants", what="the plant list"
        )
        return parse_plants(response.json())

    async def plant(self, plant_id: str) -> Plant:
        """Return one plant (following SMA when it moved the plant)."""
        response = await self._request(
            "GET",
            f"{self.endpoints.monitoring}/v1/plants/{self._plant_id(plant_id)}",
            what=f"plant {plant_id}",
        )
        return Plant.from_api(response.json())

    async def devices(self, plant_id: str) -> list[Device]:
        """Return the devices of a plant, deactivated ones included."""
        response = await self._request(
            "GET",
            f"{self.endpoints.monitoring}/v1/plants/{self._plant_id(plant_id)}/devices",
            what=f"the devices of plant {plant_id}",
            params={"WithDeactivatedDevices": "true"},
        )
        return parse_devices(response.json())

    async def measurement_sets(self, device_id: str) -> frozenset[str]:
        """Return the measurement sets a device reports."""
        response = await self._request(
            "GET",
            f"{self.endpoints.monitoring}/v1/devices/{device_id}/measurements/sets",
            what=f"the measurement sets of device {device_id}",
        )
        return parse_set_names(response.json())

    async def device_measurements(
        self,
        device_id: str,
        set_type: str,
        period: Period,
        *,
        zone: tzinfo,
        day: date | None = None,
        energy_values: bool = False,
        with_total: bool = False,
    ) -> MeasurementSet:
        """Return one measurement set of a device; ``zone`` is the plant's.

        ``energy_values`` asks for energy (Wh) per interval instead of power
        in the ``EnergyAndPower*`` sets; ``with_total`` for SMA's totals.
        """
        response = await self._request(
            "GET",
            f"{self.endpoints.monitoring}/v1/devices/{device_id}"
            f"/measurements/sets/{set_type}/{period}",
            what=f"{set_type} of device {device_id}",
            params=_period_params(
                period, day, energy_values=energy_values, with_total=with_total
            ),
        )
        return MeasurementSet.from_api(response.json(), zone)

    async def energy_balance(
        self,
        plant: Plant,
        period: Period,
        *,
        day: date | None = None,
        with_total: bool = False,
    ) -> MeasurementSet:
        """Return the plant's EnergyBalance set over a period.

        Recent/Day/Week values are mean power (W) per interval, Month/Year/
        Total values energy (Wh) per day, month or year.
        """
        plant_id = self._plant_id(plant.plant_id)
        response = await self._request(
            "GET",
            f"{self.endpoints.monitoring}/v1/plants/{plant_id}"
            f"/measurements/sets/EnergyBalance/{period}",
            what=f"the energy balance of plant {plant.plant_id}",
            params=_period_params(period, day, with_total=with_total),
        )
        return MeasurementSet.from_api(response.json(), plant.zone)

    # GridControl -----------------------------------------------------------

    async def eligible_commands(
        self, plant_ids: list[str]
    ) -> dict[str, frozenset[str]]:
        """Return the GridControl commands each plant accepts."""
        current = {self._plant_id(plant_id): plant_id for plant_id in plant_ids}
        response = await self._request(
            "POST",
            f"{self.endpoints.gridcontrol}/v1/plants/eligibilityCheck",
            what="the GridControl eligibility check",
            json=eligibility_request(list(current)),
        )
        return {
            current.get(plant_id, plant_id): commands
            for plant_id, commands in parse_eligibility(response.json()).items()
        }

    async def set_feed_in_limit(
        self, plant_id: str, command: FeedInLimitCommand
    ) -> ScheduleResult:
        """Schedule a FeedInLimit command for a plant."""
        response = await self._request(
            "POST",
            f"{self.endpoints.gridcontrol}/v1/plants/{self._plant_id(plant_id)}/schedules",
            what=f"the feed-in limit of plant {plant_id}",
            json=command.to_api(),
        )
        return ScheduleResult.from_api(
            response.json() if response.body.strip() else None
        )

    # The round trip --------------------------------------------------------

    async def _request(
        self,
        method: str,
        url: str,
        *,
        what: str,
        params: dict[str, str] | None = None,
        json: Any = None,
        accept: tuple[int, ...] = (),
    ) -> RawResponse:
        """Send one call: fresh token, moved plants, backoff.

        A 401 renews the token and tries again; a second 401 signs in anew,
        where the token source can (client credentials), and tries once more.

        Statuses in ``accept`` are handed back instead of raised; within the
        account's back-off the gate refuses the call before a token is asked.
        """
        self.gate.check()
        try:
            token = await self._tokens.async_get_access_token()
            response = await self._send(method, url, token, params, json)
            if response.status == 401:
                # "Token is not active": SMA ended the session early.
                token = await self._tokens.async_renew_access_token()
                response = await self._send(method, url, token, params, json)
            if response.status == 401 and (
                signed_in := await self._tokens.async_sign_in_again()
            ):
                token = signed_in
                response = await self._send(method, url, token, params, json)
            for _ in range(MAX_REDIRECTS):
                location = response.headers.get("Location")
                if response.status not in (301, 302, 307, 308) or not location:
                    break
                target = str(self._redirect_target(url, location, what))
                self._note_migration(url, target)
                url = target
                response = await self._send(method, url, token, params, json)
            if response.status == 429:
                raise api_error(
                    response, what=what, rate_limit_retry_after=response.retry_after
                )
        except AccountRateLimitedError:
            raise  # a window another call opened meanwhile: no back-off of ours
        except ApiRateLimitedError as err:
            raise self._back_off(err, what) from err
        self._rate_limit_hits = 0
        if response.status >= 400 and response.status not in accept:
            raise api_error(response, what=what)
        if 300 <= response.status < 400:
            raise ApiResponseError(f"SMA redirected {what} too often")
        return response

    async def _send(
        self,
        method: str,
        url: str,
        token: str,
        params: dict[str, str] | None,
        json: Any,
    ) -> RawResponse:
        return await send(
            self._session,
            method,
            url,
            params=params,
            json=json,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            allow_redirects=False,
        )

    def _redirect_target(self, url: str, location: str, what: str) -> URL:
        """Return where a redirect leads, if that is one of SMA's API hosts.

        Raises:
            ApiResponseError: The redirect leads to another host (or scheme).

        """
        target = URL(url).join(URL(location))
        if not target.is_absolute() or target.origin() not in self._api_origins:
            raise ApiResponseError(
                f"SMA redirected {what} to another host ({target.host}); "
                "not followed, so that the access token stays with SMA",
                reason="sma_redirect_refused",
            )
        return target

    def _back_off(self, err: ApiRateLimitedError, what: str) -> ApiRateLimitedError:
        self._rate_limit_hits += 1
        wait = err.retry_after or min(
            RATE_LIMIT_BACKOFF * 2 ** (self._rate_limit_hits - 1),
            RATE_LIMIT_BACKOFF_MAX,
        )
        _LOGGER.debug("SMA rate limit on %s: backing off for %.0f s", what, wait)
        refusal = ApiRateLimitedError(
            f"SMA's rate limit refused {what}; trying again in {wait:.0f} s",
            retry_after=wait,
        )
        # SMA's bucket counts the whole client: every call of it waits.
        self.gate.rate_limited(refusal)
        return refusal

    def _note_migration(self, url: str, target: str) -> None:
        old = _PLANT_IN_PATH.search(URL(url).path)
        new = _PLANT_IN_PATH.search(URL(target).path)
        if old is None or new is None or old.group(1) == new.group(1):
            return
        original = next(
            (key for key, value in self.plant_migrations.items() if value == old[1]),
            old[1],
        )
        _LOGGER.info("SMA moved plant %s to %s", original, new[1])
        self.plant_migrations[original] = new[1]
        if self._on_plant_migrated is not None:
            self._on_plant_migrated(original, new[1])


# Status codes SMA has been seen to use for "this login hint owns no plant".
_OWNER_ERRORS = (400, 403, 404)


def _period_params(
    period: Period,
    day: date | None,
    *,
    energy_values: bool = False,
    with_total: bool = False,
) -> dict[str, str] | None:
    params: dict[str, str] = {}
    if day is not None and (date_format := _DATE_FORMATS.get(period)) is not None:
        params["Date"] = day.strftime(date_format)
    if energy_values:
        params["ReturnEnergyValues"] = "true"
    if with_total:
        params["WithTotal"] = "true"
    return params or None
