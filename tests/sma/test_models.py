"""Parsing SMA's answers where the simulator does not reach: odd shapes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from multidict import CIMultiDict, CIMultiDictProxy
import pytest
from yarl import URL

from custom_components.solar_cloud.api import ApiAuthenticationError, ApiResponseError
from custom_components.solar_cloud.api.sma import MeasurementField
from custom_components.solar_cloud.api.sma.errors import (
    error_code,
    error_text,
    token_error,
)
from custom_components.solar_cloud.api.sma.models import (
    MeasurementPoint,
    MeasurementSet,
    Plant,
)
from custom_components.solar_cloud.api.sma.times import parse_time, plant_zone
from custom_components.solar_cloud.api.sma.token import RENEW_MARGIN, SmaToken
from custom_components.solar_cloud.api.transport import RawResponse
from custom_components.solar_cloud.sma.data import sma_data
from custom_components.solar_cloud.sma.sensor import DEVICE_SENSORS


def _response(status: int, body: bytes) -> RawResponse:
    return RawResponse(
        status=status,
        headers=CIMultiDictProxy(CIMultiDict()),
        body=body,
        url=URL("https://auth.smaapis.de/oauth2/token"),
    )


@pytest.mark.parametrize(
    ("body", "text", "code"),
    [
        (b"<html>Bad gateway</html>", "<html>Bad gateway</html>", ""),
        (b"", "HTTP 502", ""),
        (b'"Token is not active"', "Token is not active", ""),
        (b'{"message": "Unauthorized. Not authenticated.", "code": "401"}', "Unauthorized. Not authenticated.", ""),
        (b'{"error": "invalid_grant"}', "invalid_grant", "invalid_grant"),
        (b"{}", "HTTP 502", ""),
    ],
)  # fmt: skip
def test_error_texts(body: bytes, text: str, code: str) -> None:
    """SMA's two error shapes, strings, HTML and empty bodies."""
    response = _response(502, body)
    assert error_text(response) == text
    assert error_code(response) == code


def test_refused_grant() -> None:
    """A refresh token SMA no longer knows is a refused grant."""
    err = token_error(_response(400, b'{"error": "invalid_grant"}'))
    assert isinstance(err, ApiAuthenticationError)
    assert err.reason == "sma_grant_refused"


def test_token_answers() -> None:
    """Lifetimes as numbers or strings; 0 means a refresh token that never ends."""
    token = SmaToken.from_api(
        {"access_token": "a", "expires_in": "300", "refresh_token": "r", "refresh_expires_in": 0},
        1000.0,
    )  # fmt: skip
    assert token.expires_at == 1300.0
    assert token.refresh_expires_at is None
    assert token.valid(1300.0 - RENEW_MARGIN - 1)
    assert not token.valid(1300.0 - RENEW_MARGIN)
    assert token.refreshable(10**9)
    odd = SmaToken.from_api(
        {"access_token": "a", "expires_in": "soon", "refresh_expires_in": 1800}, 0.0
    )
    assert odd.expires_at == 300.0
    assert odd.refresh_token is None
    assert not odd.refreshable(0.0)
    with pytest.raises(ApiResponseError):
        SmaToken.from_api(["no"], 0.0)


def test_times_and_zones() -> None:
    """Unknown zones fall back to UTC; offsets in a time are respected."""
    assert plant_zone("Nowhere/Land") is UTC
    assert plant_zone(None) is UTC
    assert plant_zone("") is UTC
    assert parse_time(12, UTC) is None
    aware = parse_time("2026-06-21T12:00:00+02:00", plant_zone("America/New_York"))
    assert aware is not None
    assert aware.utcoffset() == timedelta(hours=2)


def test_device_sensor_without_data() -> None:
    """A set without an interval yet has no value."""
    description = DEVICE_SENSORS[0]
    assert description.value(None) is None
    point = MeasurementPoint.from_api({"time": "2026-06-21T12:00:00"}, UTC)
    assert point is not None
    assert description.value(point) is None


def test_runtime_data_of_another_vendor() -> None:
    """Only a loaded SMA entry has SMA runtime data."""

    class Entry:
        title = "other"
        runtime_data = object()

    with pytest.raises(TypeError, match="not a loaded SMA account"):
        sma_data(Entry())  # type: ignore[arg-type]


def _day_set(times: list[str], zone: str = "Europe/Berlin") -> MeasurementSet:
    return MeasurementSet.from_api(
        {
            "setType": "EnergyBalance",
            "resolution": "FifteenMinutes",
            "set": [{"time": time, "pvGeneration": 1.0} for time in times],
        },
        ZoneInfo(zone),
    )


def test_the_repeated_hour_in_october_is_read_by_its_order() -> None:
    """02:00-03:00 happens twice when the clocks go back: the order tells which."""
    times = [
        f"2026-10-25T{hour:02d}:{minute:02d}:00"
        for hour, minute in [(1, 45), (2, 0), (2, 15), (2, 30), (2, 45)]
    ]
    times += [
        f"2026-10-25T{hour:02d}:{minute:02d}:00"
        for hour, minute in [(2, 0), (2, 15), (2, 30), (2, 45), (3, 0)]
    ]
    answer = _day_set(times)
    instants = [point.time.astimezone(UTC) for point in answer.points]
    start = datetime(2026, 10, 24, 23, 45, tzinfo=UTC)
    assert instants == [start + timedelta(minutes=15 * i) for i in range(10)]
    assert answer.step == timedelta(minutes=15)
    # Without intervals there is no step to tell.
    assert MeasurementSet.from_api({"set": []}, UTC).step is None


def test_the_missing_hour_in_march_leaves_no_gap() -> None:
    """02:00 is followed by 03:15 when the clocks go forward: 15 minutes apart."""
    answer = _day_set(
        ["2026-03-29T01:45:00", "2026-03-29T02:00:00", "2026-03-29T03:15:00"]
    )
    instants = [point.time.astimezone(UTC) for point in answer.points]
    assert [b - a for a, b in pairwise(instants)] == [timedelta(minutes=15)] * 2


def test_plant_start_up() -> None:
    """The installation's start-up time is UTC; none without installation details."""
    plant = Plant.from_api(
        {"plantId": "1", "installation": {"startUpUtc": "2021-11-03T00:00:00"}}
    )
    assert plant.start_up == datetime(2021, 11, 3, tzinfo=UTC)
    assert Plant.from_api({"plantId": "2"}).start_up is None


def test_rates_are_read_in_percent() -> None:
    """SMA gives the rates as 0..1; the model reads them in percent."""
    point = MeasurementPoint(
        time=datetime(2026, 6, 21, 12, tzinfo=UTC),
        values={"selfConsumptionRate": 0.231, "pvGeneration": 5.0},
    )
    assert point.value(MeasurementField.SELF_CONSUMPTION_RATE) == pytest.approx(23.1)
    assert point.value(MeasurementField.PV_GENERATION) == 5.0
    assert point.value(MeasurementField.AUTARKY_RATE) is None
