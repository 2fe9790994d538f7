"""The Realtime API payload decoder: the vendor's example, round trips, fuzz."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
import json
import uuid

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.solar_cloud.api import ApiResponseError
from custom_components.solar_cloud.api.smartme import (
    RealtimeDeviceData,
    RealtimePayloadError,
    decode_realtime,
    encode_realtime,
)
from custom_components.solar_cloud.api.smartme.obis import (
    obis_from_bytes,
    obis_from_text,
    obis_to_bytes,
    obis_to_hex,
)
from custom_components.solar_cloud.api.smartme.realtime import (
    PB2,
    datetime_from_wire,
    datetime_to_ticks,
    guid_from_halves,
    guid_to_halves,
)

from ..simulator.smartme_samples import SAMPLES

EXAMPLE = bytes.fromhex(
    (SAMPLES / "smartme_wiki_realtime_protobuf_example.hex").read_text().strip()
)


def test_vendor_example_decodes() -> None:
    """The wiki's example is device 3bd0fce9-…, 2019-10-16T12:20:44Z, 1879583.2."""
    [item] = decode_realtime(EXAMPLE)
    assert item.device_id == "3bd0fce9-9f8e-4183-b3d1-0c1622a22ca1"
    assert item.timestamp.replace(microsecond=0) == datetime(
        2019, 10, 16, 12, 20, 44, tzinfo=UTC
    )
    assert item.timestamp == datetime(2019, 10, 16, 12, 20, 44, 978851, tzinfo=UTC)
    assert item.values == {
        "1-0:1.8.0*255": 1879583.2,
        "1-0:2.8.0*255": 0.0,
        "1-0:1.7.0*255": 24.19,
    }


def test_repeated_pushes_reuse_their_texts() -> None:
    """A device's id and its codes are made into text once, not on every push."""
    [first] = decode_realtime(EXAMPLE)
    [again] = decode_realtime(EXAMPLE)
    assert first.device_id is again.device_id
    assert all(
        code is same for code, same in zip(first.values, again.values, strict=True)
    )


def test_vendor_example_matches_our_decoded_sample() -> None:
    """Our decode agrees with the decoded sample kept beside the hex."""
    decoded = json.loads(
        (SAMPLES / "smartme_wiki_realtime_protobuf_example.decoded.json").read_text()
    )
    [expected] = decoded["DeviceDataItems"]
    [item] = decode_realtime(EXAMPLE)
    assert item.device_id == expected["DeviceId"]["guid"]
    assert {v["Obis"]: v["Value"] for v in expected["DeviceValues"]} == item.values


def test_guid_halves_are_dotnet_byte_order() -> None:
    """lo/hi are Guid.ToByteArray() halves: uuid's bytes_le."""
    guid = uuid.UUID("3bd0fce9-9f8e-4183-b3d1-0c1622a22ca1")
    lo, hi = guid_to_halves(guid)
    assert lo.to_bytes(8, "little").hex() == "e9fcd03b8e9f8341"
    assert hi.to_bytes(8, "little").hex() == "b3d10c1622a22ca1"
    assert guid_from_halves(lo, hi) == guid


@pytest.mark.parametrize(
    ("value", "scale", "expected"),
    [
        (2, PB2.DateTime.DAYS, datetime(1970, 1, 3, tzinfo=UTC)),
        (25, PB2.DateTime.HOURS, datetime(1970, 1, 2, 1, tzinfo=UTC)),
        (-90, PB2.DateTime.MINUTES, datetime(1969, 12, 31, 22, 30, tzinfo=UTC)),
        (
            1571228444,
            PB2.DateTime.SECONDS,
            datetime(2019, 10, 16, 12, 20, 44, tzinfo=UTC),
        ),
        (
            1500,
            PB2.DateTime.MILLISECONDS,
            datetime(1970, 1, 1, 0, 0, 1, 500000, tzinfo=UTC),
        ),
        (
            15712284449788512,
            PB2.DateTime.TICKS,
            datetime(2019, 10, 16, 12, 20, 44, 978851, tzinfo=UTC),
        ),
    ],
)
def test_every_datetime_scale(value: int, scale: int, expected: datetime) -> None:
    """Each TimeSpanScale is a unit of the offset from 1970."""
    assert datetime_from_wire(value, scale) == expected


@pytest.mark.parametrize("kind", [0, 1, 2])
def test_every_datetime_kind_is_utc(kind: int) -> None:
    """UNSPECIFIED, UTC and LOCAL all decode as UTC (smart-me sends UTC)."""
    message = PB2.DeviceDataArray()
    item = message.DeviceDataItems.add()
    item.DeviceId.lo, item.DeviceId.hi = 1, 2
    item.DateTime.value = 60
    item.DateTime.scale = PB2.DateTime.SECONDS
    item.DateTime.kind = kind
    [decoded] = decode_realtime(message.SerializeToString())
    assert decoded.timestamp == datetime(1970, 1, 1, 0, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "scale"),
    [(1, PB2.DateTime.MINMAX), (-1, PB2.DateTime.MINMAX), (2**62, PB2.DateTime.DAYS)],
)
def test_datetime_that_is_no_time(value: int, scale: int) -> None:
    """MINMAX and out-of-range offsets are bad payloads, not crashes."""
    with pytest.raises(RealtimePayloadError):
        datetime_from_wire(value, scale)


def test_obis_forms() -> None:
    """Raw bytes, hex and text forms name the same code."""
    assert obis_from_bytes(bytes.fromhex("0100010800FF")) == "1-0:1.8.0*255"
    assert obis_from_text("0100010800ff") == "1-0:1.8.0*255"
    assert obis_from_text("1-0:1.8.0") == "1-0:1.8.0*255"
    assert obis_to_hex("99-0:12.0.1*255") == "63000C0001FF"
    assert obis_to_bytes("1-0:2.8.0*255") == bytes.fromhex("0100020800FF")


@pytest.mark.parametrize(
    "text", ["", "1-0:1.8", "A-B:C.D.E", "1-0:1.8.0*256", "0100010800"]
)
def test_not_obis(text: str) -> None:
    """What is no OBIS code is refused with the client's error."""
    with pytest.raises(ApiResponseError):
        obis_from_text(text)


def test_obis_of_wrong_length_is_a_bad_payload() -> None:
    """A pushed OBIS code that is not 6 bytes makes the payload bad."""
    message = PB2.DeviceDataArray()
    item = message.DeviceDataItems.add()
    item.DeviceId.lo, item.DeviceId.hi = 1, 2
    item.DateTime.value = 1
    value = item.DeviceValues.add()
    value.Obis = b"\x01\x00\x01"
    value.Value = 1.0
    with pytest.raises(RealtimePayloadError, match="6 bytes"):
        decode_realtime(message.SerializeToString())


@pytest.mark.parametrize(
    "payload",
    [
        b"\xff",
        b"\x0a\x00",  # an item without its required fields
        b"\x0a\x05\x0a\x03\x09\x01\x02",  # truncated Guid
        b"garbage that is not protobuf at all",
    ],
)
def test_garbage_is_a_bad_payload(payload: bytes) -> None:
    """Malformed or incomplete messages raise the bad-payload error."""
    with pytest.raises(RealtimePayloadError):
        decode_realtime(payload)


def test_empty_payload_is_no_data() -> None:
    """An empty DeviceDataArray is valid and carries nothing."""
    assert decode_realtime(b"") == []


def test_non_finite_values_are_left_out() -> None:
    """NaN and infinities carry no reading."""
    item = RealtimeDeviceData(
        device_id=str(uuid.uuid4()),
        timestamp=datetime(2026, 1, 1, tzinfo=UTC),
        values={
            "1-0:1.8.0*255": float("nan"),
            "1-0:2.8.0*255": 1.0,
            "1-0:1.7.0*255": float("inf"),
        },
    )
    [decoded] = decode_realtime(encode_realtime([item]))
    assert decoded.values == {"1-0:2.8.0*255": 1.0}


obis_codes = st.tuples(*[st.integers(0, 255)] * 6).map(
    lambda g: f"{g[0]}-{g[1]}:{g[2]}.{g[3]}.{g[4]}*{g[5]}"
)
moments = st.datetimes(
    min_value=datetime(1900, 1, 1),  # noqa: DTZ001 - hypothesis takes naive bounds
    max_value=datetime(2200, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)
device_data = st.builds(
    RealtimeDeviceData,
    device_id=st.uuids().map(str),
    timestamp=moments,
    values=st.dictionaries(
        obis_codes, st.floats(allow_nan=False, allow_infinity=False), max_size=8
    ),
)


@given(st.lists(device_data, max_size=5))
def test_round_trip(items: list[RealtimeDeviceData]) -> None:
    """Whatever is encoded decodes to the same data."""
    assert decode_realtime(encode_realtime(items)) == items


@given(moments)
def test_ticks_round_trip(moment: datetime) -> None:
    """Ticks keep microseconds."""
    assert datetime_from_wire(datetime_to_ticks(moment), PB2.DateTime.TICKS) == moment


@settings(max_examples=500)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_only_raise_bad_payload(payload: bytes) -> None:
    """Any bytes decode or raise the bad-payload error: nothing else."""
    with contextlib.suppress(RealtimePayloadError):
        decode_realtime(payload)


@settings(max_examples=300)
@given(st.lists(device_data, min_size=1, max_size=3), st.data())
def test_mutated_messages_only_raise_bad_payload(
    items: list[RealtimeDeviceData], data: st.DataObject
) -> None:
    """Flipped and cut bytes of real messages decode or raise the bad-payload error."""
    payload = bytearray(encode_realtime(items))
    for _ in range(data.draw(st.integers(1, 4))):
        index = data.draw(st.integers(0, len(payload) - 1))
        payload[index] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(payload)))
    with contextlib.suppress(RealtimePayloadError):
        decode_realtime(bytes(payload[:cut]))


def test_timedelta_scale_edges() -> None:
    """Negative ticks round down to the microsecond before."""
    assert datetime_from_wire(-1, PB2.DateTime.TICKS) == datetime(
        1970, 1, 1, tzinfo=UTC
    ) - timedelta(microseconds=1)
