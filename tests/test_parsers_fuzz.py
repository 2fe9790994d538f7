"""Fuzzing every parser of vendor input: only the client's own errors come out.

Each property feeds a parser JSON-shaped data drawn by hypothesis: objects
whose keys are mostly the field names the parser's module knows (string
constants found in its source, so the draws reach deep into the models),
values of every JSON kind plus the vendors' habits (numbers as strings,
``"N/A"``, dates in several formats, NaN and infinities, huge numbers). A
parser may return anything or raise a
:class:`~custom_components.solar_cloud.api.errors.SolarCloudApiError`; a
``KeyError``, ``TypeError``, ``ValueError``, ``AttributeError`` or any other
exception fails the property.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
import contextlib
from datetime import UTC, timedelta, timezone
import inspect
from types import ModuleType
from typing import Any
import uuid

from hypothesis import HealthCheck, given, settings, strategies as st
from multidict import CIMultiDict, CIMultiDictProxy
import pytest
from yarl import URL

from custom_components.solar_cloud.api import errors as api_errors
from custom_components.solar_cloud.api.fusionsolar import (
    errors as fs_errors,
    history as fs_history,
)
from custom_components.solar_cloud.api.fusionsolar.models import (
    alarms as fs_alarms,
    controls as fs_controls,
    inventory as fs_inventory,
    real_time as fs_real_time,
)
from custom_components.solar_cloud.api.sma import models as sma_models
from custom_components.solar_cloud.api.smartme import (
    history as smartme_history,
    models as smartme_models,
    obis,
    realtime,
)
from custom_components.solar_cloud.api.transport import RawResponse

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _field_names(*modules: ModuleType) -> list[str]:
    """Return the string constants in the modules' source: the JSON keys they read."""
    names: set[str] = set()
    for module in modules:
        for node in ast.walk(ast.parse(inspect.getsource(module))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and 0 < len(node.value) <= 40
                and "\n" not in node.value
            ):
                names.add(node.value)
    return sorted(names)


NUMBER_TEXTS = st.sampled_from(
    ["0", "-1", "1.5", "1e308", "1e999", "-0", "NaN", "nan", "inf", "-Infinity",
     "N/A", "", " ", "12,5", "0x10", "1_000", "--", "null", "true"]
)  # fmt: skip
DATE_TEXTS = st.one_of(
    st.sampled_from(
        ["2026-06-21T10:00:00Z", "2026-06-21T10:00:00+02:00", "2026-06-21 10:00:00",
         "2026-06-21", "0001-01-01T00:00:00.0000000", "9999-12-31T23:59:59.9999999Z",
         "2026-13-45T25:61:61", "/Date(1718960400000)/", "10:00", "24:00", "-1:00",
         "T", "2026-06-21T10:00:00.0000000"]
    ),
    st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()),
)  # fmt: skip
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    NUMBER_TEXTS,
    DATE_TEXTS,
    st.uuids().map(str),
)


def json_data(keys: list[str]) -> st.SearchStrategy[Any]:
    """Return JSON-shaped data whose object keys are mostly ``keys``."""
    key = st.one_of(st.sampled_from(keys), st.text(max_size=6))
    return st.recursive(
        SCALARS,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(key, inner, max_size=8),
        ),
        max_leaves=30,
    )


def json_objects(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Return JSON objects (what parsers typed ``Mapping`` are handed)."""
    return st.dictionaries(
        st.one_of(st.sampled_from(keys), st.text(max_size=6)),
        json_data(keys),
        max_size=12,
    )


def only_client_errors(parse: Callable[[], Any]) -> None:
    """Run ``parse``; anything but a client error fails."""
    with contextlib.suppress(api_errors.SolarCloudApiError):
        parse()


ZONES = st.sampled_from(
    [UTC, timezone(timedelta(hours=14)), timezone(-timedelta(hours=12))]
)

# SMA ---------------------------------------------------------------------------

SMA_KEYS = _field_names(sma_models)


@pytest.mark.parametrize(
    "parse",
    [
        sma_models.parse_plants,
        sma_models.parse_devices,
        sma_models.parse_set_names,
        sma_models.Plant.from_api,
        sma_models.Device.from_api,
    ],
    ids=lambda parse: parse.__qualname__,
)
@FUZZ
@given(data=json_data(SMA_KEYS))
def test_sma_parsers(parse: Callable[[Any], Any], data: Any) -> None:
    """SMA's plant and device answers."""
    only_client_errors(lambda: parse(data))


@pytest.mark.parametrize(
    "parse",
    [sma_models.MeasurementPoint.from_api, sma_models.MeasurementSet.from_api],
    ids=lambda parse: parse.__qualname__,
)
@FUZZ
@given(data=json_data(SMA_KEYS), zone=ZONES)
def test_sma_measurements(parse: Callable[..., Any], data: Any, zone: Any) -> None:
    """SMA's measurement sets and their points (numbers and times)."""
    only_client_errors(lambda: parse(data, zone))


# smart-me ------------------------------------------------------------------------

SMARTME_KEYS = _field_names(smartme_models, smartme_history)


@pytest.mark.parametrize(
    "parse",
    [
        smartme_models.User.from_api,
        smartme_models.DeviceAction.from_api,
        smartme_models.RealtimeRegistration.from_api,
        smartme_models.Device.from_api,
        smartme_models.parse_device_id,
        smartme_models.as_float,
        smartme_models.as_bool,
        smartme_models.as_int,
        smartme_models.as_datetime,
        smartme_history.HistoryReading.from_api,
        smartme_history.parse_history,
    ],
    ids=lambda parse: parse.__qualname__,
)
@FUZZ
@given(data=json_data(SMARTME_KEYS))
def test_smartme_parsers(parse: Callable[[Any], Any], data: Any) -> None:
    """smart-me's REST answers (keys in any case, numbers as strings)."""
    only_client_errors(lambda: parse(data))


@FUZZ
@given(
    data=json_objects(SMARTME_KEYS),
    energy_type=st.sampled_from(list(smartme_models.DeviceEnergyType)),
)
def test_smartme_meter_reading(
    data: dict[str, Any], energy_type: smartme_models.DeviceEnergyType
) -> None:
    """A meter's readings out of a device object."""
    lowered = {key.lower(): value for key, value in data.items()}
    only_client_errors(
        lambda: smartme_models.MeterReading.from_api(lowered, energy_type)
    )


@FUZZ
@given(payload=st.binary(max_size=300))
def test_smartme_realtime_random_bytes(payload: bytes) -> None:
    """Any bytes pushed to the webhook."""
    only_client_errors(lambda: realtime.decode_realtime(payload))


@st.composite
def _mutated_push(draw: st.DrawFn) -> bytes:
    """A valid push with some bytes changed, cut or added."""
    values = draw(
        st.dictionaries(
            st.sampled_from(
                ["1-0:1.8.0*255", "1-0:2.8.0*255", "1-0:1.7.0*255", "1-0:32.7.0*255",
                 "1-0:14.7.0*255", "0-0:96.1.0*255"]
            ),
            st.floats(allow_nan=True, allow_infinity=True),
            max_size=6,
        )
    )  # fmt: skip
    moment = draw(st.datetimes(timezones=st.just(UTC)))
    raw = bytearray(
        realtime.encode_realtime(
            [
                realtime.RealtimeDeviceData(
                    device_id=str(draw(st.uuids())), timestamp=moment, values=values
                )
            ]
        )
    )
    for _ in range(draw(st.integers(0, 4))):
        if not raw:
            break
        at = draw(st.integers(0, len(raw) - 1))
        match draw(st.sampled_from(["flip", "cut", "insert"])):
            case "flip":
                raw[at] = draw(st.integers(0, 255))
            case "cut":
                del raw[at:]
            case _:
                raw[at:at] = draw(st.binary(min_size=1, max_size=8))
    return bytes(raw)


@FUZZ
@given(payload=_mutated_push())
def test_smartme_realtime_mutated(payload: bytes) -> None:
    """Pushes that are almost right: the protobuf decoder and OBIS codes in it."""
    only_client_errors(lambda: realtime.decode_realtime(payload))


@FUZZ
@given(
    raw=st.binary(max_size=10),
    text=st.one_of(
        st.text(max_size=24),
        st.from_regex(r"\d{1,4}-\d{1,4}:\d{1,4}\.\d{1,4}\.\d{1,4}(\*\d{1,4})?", fullmatch=True),
        st.from_regex(r"[0-9A-Fa-f]{0,14}", fullmatch=True),
    ),
)  # fmt: skip
def test_obis_codes(raw: bytes, text: str) -> None:
    """OBIS codes as bytes (pushes) and text (REST, actions)."""
    only_client_errors(lambda: obis.obis_from_bytes(raw))
    only_client_errors(lambda: obis.obis_from_text(text))
    only_client_errors(lambda: obis.obis_to_hex(text))


@FUZZ
@given(
    value=st.integers(min_value=-(2**64), max_value=2**64), scale=st.integers(-2, 20)
)
def test_smartme_wire_dates(value: int, scale: int) -> None:
    """protobuf-net DateTime values of any size and scale."""
    only_client_errors(lambda: realtime.datetime_from_wire(value, scale))


def test_guid_halves_round_trip() -> None:
    """The GUID halves the decoder reads back are the ones encoded."""
    guid = uuid.uuid4()
    assert realtime.guid_from_halves(*realtime.guid_to_halves(guid)) == guid


# FusionSolar ---------------------------------------------------------------------

FS_KEYS = _field_names(fs_alarms, fs_controls, fs_inventory, fs_real_time, fs_history)
TYPE_IDS = st.one_of(
    st.sampled_from([1, 10, 17, 23070, 38, 39, 41, 47, 62, 63, 70]), st.integers()
)


@pytest.mark.parametrize(
    "parse",
    [
        fs_alarms.Alarm.from_api,
        fs_controls.TimeWindow.from_api,
        fs_controls.BatteryModeSettings.from_api,
        fs_controls.PowerControlSettings.from_api,
        fs_controls.BatteryConfiguration.from_api,
        fs_controls.ChargeDischargeStatus.from_api,
        fs_inventory.Plant.from_api,
        fs_inventory.Device.from_api,
        fs_real_time.PlantKpi.from_api,
        fs_real_time.InverterKpi.from_api,
        fs_real_time.BatteryKpi.from_api,
        fs_real_time.EmiKpi.from_api,
    ],
    ids=lambda parse: parse.__qualname__,
)
@FUZZ
@given(data=json_objects(FS_KEYS))
def test_fusionsolar_models(parse: Callable[[Any], Any], data: dict[str, Any]) -> None:
    """FusionSolar's objects (numbers as strings, ``"N/A"``, missing fields)."""
    only_client_errors(lambda: parse(data))


@FUZZ
@given(data=json_objects(FS_KEYS), plant=st.sampled_from(["NE=1", "", "x"]))
def test_fusionsolar_tasks(data: dict[str, Any], plant: str) -> None:
    """Answers to control tasks: delivery, task info, forced charge."""
    only_client_errors(lambda: fs_controls.TaskDelivery.from_api(data, plant))
    only_client_errors(lambda: fs_controls.TaskInfo.from_api(data, "task", plant))
    only_client_errors(
        lambda: fs_controls.ChargeDischargeDelivery.from_api(data, plant)
    )


@FUZZ
@given(data=json_objects(FS_KEYS), type_id=TYPE_IDS)
def test_fusionsolar_device_kpis(data: dict[str, Any], type_id: int) -> None:
    """Device real-time KPIs of every type."""
    only_client_errors(lambda: fs_real_time.device_kpi_from_api(type_id, data))
    only_client_errors(lambda: fs_real_time.MeterKpi.from_api(type_id, data))


@FUZZ
@given(data=json_data(FS_KEYS), period=st.sampled_from(list(fs_history.Period)))
def test_fusionsolar_history(data: Any, period: fs_history.Period) -> None:
    """History answers of plants and devices (collectTime, kWh as strings)."""
    only_client_errors(lambda: fs_history.plant_history_from_api(data, period))
    only_client_errors(lambda: fs_history.device_history_from_api(data, period))
    if isinstance(data, dict):
        only_client_errors(lambda: fs_history.PlantEnergy.from_api(data, period))
        only_client_errors(lambda: fs_history.DeviceEnergy.from_api(data, period))


# Every vendor: the body of an answer ---------------------------------------------


@FUZZ
@given(
    body=st.one_of(
        st.binary(max_size=200), json_data(FS_KEYS).map(lambda d: repr(d).encode())
    )
)
def test_response_bodies(body: bytes) -> None:
    """Any body: JSON parsing and FusionSolar's envelope and fail codes."""
    response = RawResponse(
        status=200,
        headers=CIMultiDictProxy(CIMultiDict()),
        body=body,
        url=URL("http://127.0.0.1/thirdData/getStationList"),
    )
    only_client_errors(response.json)
    only_client_errors(lambda: fs_errors.envelope(response))


def test_the_field_names_are_found() -> None:
    """The key lists hold the models' real field names (else draws stay shallow)."""
    assert {"plantId", "name"} <= set(SMA_KEYS)
    assert "stationCode" in FS_KEYS
    assert "counterreading" in {key.lower() for key in SMARTME_KEYS}
