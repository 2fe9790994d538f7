"""The smart-me client against the simulator, over real HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import logging
import re
from typing import Any

import aiohttp
import pytest

from custom_components.solar_cloud.api import (
    AccountRateLimitedError,
    ApiAuthenticationError,
    ApiConnectionError,
    ApiNotSupportedError,
    ApiPermissionError,
    ApiRateLimitedError,
    ApiResponseError,
)
from custom_components.solar_cloud.api.account_gate import AccountGate
from custom_components.solar_cloud.api.auth import StaticTokenSource, TokenSource
from custom_components.solar_cloud.api.smartme import (
    ApiKeyAuth,
    BasicAuth,
    ChargingStationState,
    Device,
    DeviceAction,
    DeviceEnergyType,
    MeterSubType,
    OAuthAuth,
    RealtimeRegistration,
    RegistrationType,
    SmartMeClient,
    SwitchOutput,
    User,
)
from custom_components.solar_cloud.api.smartme.models import as_bool, as_datetime

from ..simulator.core import RunningSimulator
from ..simulator.smartme import BILANZ_ID, PLUG_ID, WATER_ID, SmartMeSimulator
from .const import API_KEY, CLIENT_ID, PASSWORD, USER_ID, USERNAME


async def test_user_for_every_auth(
    session: aiohttp.ClientSession,
    cloud: RunningSimulator,
    sim: SmartMeSimulator,
) -> None:
    """Basic, API key and bearer tokens open the same account."""
    token = "t0ken"
    sim.oauth.access_tokens[token] = sim.oauth.access_tokens.get(token) or _issued(sim)
    for auth in (
        BasicAuth(USERNAME, PASSWORD),
        ApiKeyAuth(API_KEY),
        OAuthAuth(StaticTokenSource(token)),
    ):
        client = SmartMeClient(session, auth, base_url=cloud.base_url)
        assert await client.user() == User(id=USER_ID, username=USERNAME)
    headers = [r.headers["Authorization"].split()[0] for r in sim.log.of("user")]
    assert headers == ["Basic", "ApiKey", "Bearer"]


def _issued(sim: SmartMeSimulator) -> Any:
    from ..simulator.oauth import IssuedToken

    return IssuedToken(
        client_id=CLIENT_ID,
        subject=USERNAME,
        scope="",
        expires_at=sim.clock.now() + timedelta(hours=1),
    )


async def test_devices_from_the_samples(client: SmartMeClient) -> None:
    """Integer enums, negative serials and left-out nulls parse."""
    devices = {device.id: device for device in await client.devices()}
    charger = devices["2acd74e0-ab66-6c37-17bf-a734f3b4a034"]
    assert charger.serial == -231328692
    assert charger.energy_type is DeviceEnergyType.ELECTRICITY
    assert charger.sub_type is MeterSubType.CHARGING_STATION
    assert charger.model == "REST API meter"
    assert charger.reading.voltage is None
    bilanz = devices[BILANZ_ID]
    assert bilanz.reading.power == pytest.approx(102191.0)
    assert bilanz.reading.energy_export == 1277.808
    assert devices[WATER_ID].reading.volume == 1532.417
    assert devices[WATER_ID].reading.energy_import is None
    assert devices[PLUG_ID].reading.switch_on is False
    assert await client.device(BILANZ_ID) == bilanz


async def test_device_without_guid_is_left_out(
    client: SmartMeClient, sim: SmartMeSimulator
) -> None:
    """One broken device does not cost the whole list."""
    sim.faults.add(
        "devices",
        body=b'[{"Id": "xxxx", "Name": "redacted"}, {"Id": "'
        + BILANZ_ID.encode()
        + b'"}]',
    )
    assert [device.id for device in await client.devices()] == [BILANZ_ID]


async def test_actions_and_switching(
    client: SmartMeClient, sim: SmartMeSimulator
) -> None:
    """Actions list with integer ActionType; POST /Actions answers 204."""
    actions = await client.actions(BILANZ_ID)
    assert actions == [
        DeviceAction(name="Output 0", obis="99-0:12.1.1*255", on_off=True),
        DeviceAction(name="Relais", obis="99-0:12.1.2*255", on_off=True),
    ]
    await client.set_actions(BILANZ_ID, [("99-0:12.1.1*255", 1.0)])
    assert sim.devices[BILANZ_ID].switches["99-0:12.1.1*255"] is True
    [request] = sim.log.of("set_actions")
    assert request.status == 204
    with pytest.raises(ApiResponseError, match="Invalid action"):
        await client.set_actions(BILANZ_ID, [("99-0:12.0.3*255", 1.0)])


async def test_realtime_registrations(
    client: SmartMeClient, sim: SmartMeSimulator
) -> None:
    """Register, list and delete webhooks."""
    wanted = RealtimeRegistration(
        id=None,
        api_url="https://example.com/hook",
        registration_type=RegistrationType.USER,
        username="u",
        password="p",
    )
    await client.register_realtime(wanted)
    [registration] = await client.realtime_registrations()
    assert registration.api_url == wanted.api_url
    assert registration.registration_type is RegistrationType.USER
    assert (registration.username, registration.password) == ("u", "p")
    assert registration.id is not None
    await client.unregister_realtime(registration.id)
    assert await client.realtime_registrations() == []
    sim.account.realtime_licence = False
    with pytest.raises(ApiPermissionError) as err:
        await client.register_realtime(wanted)
    assert err.value.reason == "smartme_realtime_refused"


async def test_history_endpoints(client: SmartMeClient) -> None:
    """MeterValues and ValuesInPastMultiple answer for the history issue."""
    now = datetime(2026, 10, 20, 12, tzinfo=UTC)
    values = await client.meter_values(BILANZ_ID, now)
    assert values["counterreadingimport"] > 0
    entries = await client.values_in_past_multiple(
        BILANZ_ID, now - timedelta(hours=2), now, 60
    )
    assert len(entries) == 3


async def test_legacy_api_prefix(
    session: aiohttp.ClientSession, cloud: RunningSimulator
) -> None:
    """The simulator (like smart-me) also serves /api/... paths."""
    client = SmartMeClient(
        session, ApiKeyAuth(API_KEY), base_url=f"{cloud.base_url}/api"
    )
    assert (await client.user()).id == USER_ID


@pytest.mark.parametrize(
    ("fault", "error", "reason"),
    [
        ({"status": 401}, ApiAuthenticationError, "invalid_auth"),
        ({"status": 403}, ApiPermissionError, "permission_denied"),
        ({"status": 429}, ApiRateLimitedError, "rate_limited"),
        ({"status": 503}, ApiConnectionError, "cannot_connect"),
        ({"status": 404}, ApiNotSupportedError, "endpoint_not_supported"),
        ({"body": b"<html>"}, ApiResponseError, "unexpected_response"),
        ({"body": b'{"Devices": []}'}, ApiResponseError, "unexpected_response"),
        (
            {"vendor_error": (400, "Bad request")},
            ApiResponseError,
            "unexpected_response",
        ),
    ],
)
async def test_errors(  # noqa: PLR0917
    session: aiohttp.ClientSession,
    cloud: RunningSimulator,
    sim: SmartMeSimulator,
    fault: dict[str, Any],
    error: type[Exception],
    reason: str,
) -> None:
    """Each kind of failure raises its client error."""
    client = SmartMeClient(
        session,
        ApiKeyAuth(API_KEY),
        base_url=cloud.base_url,
        request_timeout=0.2,
    )
    sim.faults.add("devices", **fault)
    with pytest.raises(error) as err:
        await client.devices()
    assert err.value.reason == reason  # type: ignore[attr-defined]


async def test_wrong_credentials(
    session: aiohttp.ClientSession, cloud: RunningSimulator
) -> None:
    """A refused password is an authentication error."""
    client = SmartMeClient(
        session,
        BasicAuth(USERNAME, "wrong"),
        base_url=cloud.base_url,
    )
    with pytest.raises(ApiAuthenticationError):
        await client.user()


async def test_retry_after_header(client: SmartMeClient, sim: SmartMeSimulator) -> None:
    """A Retry-After on 429 tells when to come back."""
    sim.faults.add(
        "user", vendor_error=(429, "Too many requests", {"Retry-After": "120"})
    )
    with pytest.raises(ApiRateLimitedError) as err:
        await client.user()
    assert err.value.retry_after == 120


async def test_a_429_with_retry_after_holds_the_account(
    session: aiohttp.ClientSession,
    cloud: RunningSimulator,
    sim: SmartMeSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The client itself opens the account's window, logged once; none without a time.

    Every client of the account then fails at once, without a request.
    """
    gate = AccountGate(account="account 1")
    client, other = (
        SmartMeClient(session, ApiKeyAuth(API_KEY), base_url=cloud.base_url, gate=gate)
        for _ in range(2)
    )
    sim.faults.add("user", status=429, times=1)
    with pytest.raises(ApiRateLimitedError):
        await client.user()
    assert gate.refusal() is None

    sim.faults.add(
        "user", vendor_error=(429, "Too many requests", {"Retry-After": "120"})
    )
    with caplog.at_level(logging.INFO):
        with pytest.raises(ApiRateLimitedError) as refused:
            await client.user()
        calls = len(sim.log.requests)
        with pytest.raises(AccountRateLimitedError) as err:
            await other.devices()
    assert not isinstance(refused.value, AccountRateLimitedError)
    assert str(err.value) == str(refused.value)
    assert len(sim.log.requests) == calls
    assert [r.getMessage() for r in caplog.records if "rate limited" in r.message] == [
        f"account 1: rate limited, no calls until {err.value.until.isoformat()}"
    ]


class RenewingTokens(TokenSource):
    """A token source whose first token the API refuses."""

    def __init__(self, good: str) -> None:
        self.good = good
        self.renewed = 0

    async def async_get_access_token(self) -> str:
        return "stale" if not self.renewed else self.good

    async def async_renew_access_token(self) -> str:
        self.renewed += 1
        return self.good


async def test_bearer_renewed_once_on_401(
    session: aiohttp.ClientSession,
    cloud: RunningSimulator,
    sim: SmartMeSimulator,
) -> None:
    """A refused access token is renewed and the request sent again."""
    sim.oauth.access_tokens["fresh"] = _issued(sim)
    tokens = RenewingTokens("fresh")
    client = SmartMeClient(session, OAuthAuth(tokens), base_url=cloud.base_url)
    assert (await client.user()).id == USER_ID
    assert tokens.renewed == 1
    assert [r.status for r in sim.log.of("user")] == [401, 200]


def test_tolerant_models() -> None:
    """camelCase keys, numbers as strings and enum names parse too."""
    device = Device.from_api(
        {
            "id": BILANZ_ID.upper(),
            "deviceEnergyType": "MeterTypeGas",
            "meterSubType": 42,
            "familyType": 999,
            "counterReading": "12.5",
            "activePower": "N/A",
            "switchOn": "true",
            "valueDate": "2026-10-20T12:00:00",
            "chargingStationState": "Charging",
        }
    )
    assert device.id == BILANZ_ID
    assert device.energy_type is DeviceEnergyType.GAS
    assert device.sub_type is MeterSubType.UNKNOWN
    assert device.model == "Family 999"
    assert device.reading.volume == 12.5
    assert device.reading.power is None
    assert device.reading.switch_on is True
    assert device.reading.timestamp == datetime(2026, 10, 20, 12, tzinfo=UTC)
    assert device.reading.charging_station_state is ChargingStationState.CHARGING
    assert (
        Device.from_api(
            {"Id": BILANZ_ID, "ChargeStationState": 4}
        ).reading.charging_station_state
        is ChargingStationState.CHARGING
    )
    assert (
        Device.from_api(
            {"Id": BILANZ_ID, "ChargeStationState": 99}
        ).reading.charging_station_state
        is None
    )
    assert (
        Device.from_api(
            {"Id": BILANZ_ID, "ChargeStationState": "?"}
        ).reading.charging_station_state
        is None
    )
    assert Device.from_api({"Id": BILANZ_ID}).model is None


@pytest.mark.parametrize(
    ("raw", "power", "energy", "flow"),
    [
        (
            {
                "ActivePower": 1.5,
                "ActivePowerUnit": "W",
                "CounterReading": 1500,
                "CounterReadingUnit": "Wh",
            },
            1.5,
            1.5,
            None,
        ),
        (
            {
                "ActivePower": 2,
                "ActivePowerUnit": "MW",
                "CounterReading": 2,
                "CounterReadingUnit": "MWh",
            },
            2e6,
            2000.0,
            None,
        ),
        (
            {
                "ActivePower": 0.3,
                "ActivePowerUnit": "m³/h",
                "CounterReading": 5,
                "CounterReadingUnit": "m3",
            },
            None,
            None,
            0.3,
        ),
        ({"ActivePower": 1, "ActivePowerUnit": "VA"}, None, None, None),
    ],
)
def test_units(
    raw: dict[str, Any], power: float | None, energy: float | None, flow: float | None
) -> None:
    """Power and counters come in W and kWh whatever unit smart-me names."""
    reading = Device.from_api({"Id": BILANZ_ID, "DeviceEnergyType": 1, **raw}).reading
    assert reading.power == power
    assert reading.energy_import == energy
    assert reading.flow_rate == flow


@pytest.mark.parametrize("raw", [None, [], "x", {"Id": None}, {"Id": "not-a-guid"}])
def test_unusable_devices(raw: Any) -> None:
    """A device that is not an object or has no GUID is refused."""
    with pytest.raises(ApiResponseError):
        Device.from_api(raw)


def test_other_models() -> None:
    """User, action and registration parse their variants."""
    assert User.from_api({"Id": 7}).username == "7"
    with pytest.raises(ApiResponseError):
        User.from_api({"Username": "x"})
    analog = DeviceAction.from_api(
        {
            "ObisCode": "63000C0201FF",
            "ActionType": "AnalogAction",
            "MinValue": 0,
            "MaxValue": "32183",
        }
    )
    assert (analog.on_off, analog.min_value, analog.max_value) == (False, 0.0, 32183.0)
    assert analog.switch_output is None
    unknown = DeviceAction.from_api({"ObisCode": "63000C0201FF", "ActionType": 0})
    assert (unknown.on_off, unknown.switch_output) == (True, None)
    relay = DeviceAction.from_api({"ObisCode": "63000C0000FF", "ActionType": 0})
    assert relay.switch_output is SwitchOutput.SWITCH
    assert (
        RealtimeRegistration.from_api(
            {"ApiUrl": "u", "RegistrationType": 1}
        ).registration_type
        is RegistrationType.SINGLE_METER
    )
    assert (
        RealtimeRegistration.from_api({"RegistrationType": "bogus"}).registration_type
        is RegistrationType.DISABLED
    )
    assert RealtimeRegistration(
        id=None, api_url="u", registration_type=RegistrationType.USER
    ).to_api() == {
        "ApiUrl": "u",
        "RegistrationType": "UserRegistration",
    }


def test_scalar_helpers() -> None:
    """Booleans and times are read tolerantly."""
    assert [as_bool(v) for v in (True, 0, 1, "1", "False", 2, "yes", None)] == [
        True,
        False,
        True,
        True,
        False,
        None,
        None,
        None,
    ]
    assert as_datetime("2022-04-12T16:52:55.1210809Z") == datetime(
        2022, 4, 12, 16, 52, 55, 121080, tzinfo=UTC
    )
    assert as_datetime("yesterday") is None
    assert as_datetime(5) is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"Plain words", "Plain words"),
        (b'["a list"]', '["a list"]'),
        (b'{"error": "invalid_request"}', "invalid_request"),
        (b"", "HTTP 400"),
    ],
)
async def test_error_messages(
    client: SmartMeClient, sim: SmartMeSimulator, body: bytes, message: str
) -> None:
    """smart-me's error text, in whatever shape, ends up in the error."""
    sim.faults.add("devices", body=body, status=400, content_type="text/plain")
    with pytest.raises(ApiResponseError, match=re.escape(message)):
        await client.devices()


@pytest.mark.parametrize(
    "body",
    [b"<html>" + b"x" * 100_000, b'{"Message": "' + b"x" * 100_000 + b'"}'],
)
async def test_error_messages_quote_no_whole_body(
    client: SmartMeClient, sim: SmartMeSimulator, body: bytes
) -> None:
    """A long error answer is quoted in part (200 characters), never whole."""
    sim.faults.add("devices", body=body, status=400, content_type="text/plain")
    with pytest.raises(ApiResponseError) as err:
        await client.devices()
    assert len(str(err.value)) < 300


@pytest.mark.parametrize(
    ("endpoint", "call"),
    [
        ("meter_values", "meter_values"),
        ("values_in_past_multiple", "values_in_past_multiple"),
        ("registrations", "realtime_registrations"),
    ],
)
async def test_wrong_shapes(
    client: SmartMeClient, sim: SmartMeSimulator, endpoint: str, call: str
) -> None:
    """An object where a list belongs, or the reverse, is an unexpected response."""
    sim.faults.add(endpoint, body=b'"nothing"')
    now = datetime(2026, 10, 20, tzinfo=UTC)
    args: dict[str, tuple[Any, ...]] = {
        "meter_values": (BILANZ_ID, now),
        "values_in_past_multiple": (BILANZ_ID, now, now, 15),
        "realtime_registrations": (),
    }
    with pytest.raises(ApiResponseError):
        await getattr(client, call)(*args[call])


async def test_unusable_actions_are_left_out(
    client: SmartMeClient, sim: SmartMeSimulator
) -> None:
    """An action without an OBIS code does not cost the others."""
    sim.faults.add(
        "actions",
        body=b'[{"Name": "?", "ObisCode": "nonsense"}, {"Name": "Relais", "ObisCode": "63000C0102FF", "ActionType": 0}]',
    )
    assert [action.name for action in await client.actions(BILANZ_ID)] == ["Relais"]
