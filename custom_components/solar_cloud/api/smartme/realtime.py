"""The smart-me Realtime API payload: protobuf ``DeviceDataArray`` <-> models.

smart-me POSTs one ``DeviceDataArray`` per upload of a device. Its message
types come from protobuf-net's view of .NET (``bcl.Guid``, ``bcl.DateTime``);
``realtime_pb2`` is generated from the vendor's schema without BCL (same wire
format), and this module turns its messages into plain models:

- Guid: ``lo`` and ``hi`` are the two halves of ``Guid.ToByteArray()``, i.e.
  the mixed-endian byte order ``uuid.UUID(bytes_le=...)`` reads.
- DateTime: a zigzag ``sint64`` offset from 1970-01-01 in units of ``scale``
  (days ... ticks of 100 ns). ``kind`` LOCAL is read as UTC too: smart-me's
  documentation calls the field UTC and sends no zone to be local to.
- OBIS: 6 raw bytes, see :mod:`.obis`.

Any bytes either decode or raise :class:`RealtimePayloadError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
import math
import struct
from typing import Any
import uuid

from google.protobuf.message import DecodeError

from ..errors import ApiResponseError
from . import realtime_pb2 as _realtime_pb2
from .obis import obis_from_bytes, obis_to_bytes

# The generated module builds its classes at import time; mypy cannot see them.
PB2: Any = _realtime_pb2

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Microseconds per unit of DateTime.scale; TICKS are 100 ns (divided apart).
_SCALE_MICROSECONDS: dict[int, int] = {
    PB2.DateTime.DAYS: 86_400_000_000,
    PB2.DateTime.HOURS: 3_600_000_000,
    PB2.DateTime.MINUTES: 60_000_000,
    PB2.DateTime.SECONDS: 1_000_000,
    PB2.DateTime.MILLISECONDS: 1_000,
}
_TICKS_PER_MICROSECOND = 10
_GUID_HALVES = struct.Struct("<QQ")


class RealtimePayloadError(ApiResponseError):
    """The body of a realtime push is not a smart-me DeviceDataArray."""

    default_reason = "smartme_bad_payload"


@dataclass(frozen=True, slots=True)
class RealtimeDeviceData:
    """What one device uploaded: its id, when, and values by OBIS code."""

    device_id: str
    """The device GUID in lower case, as the REST API writes ``Id``."""
    timestamp: datetime
    values: Mapping[str, float]


def guid_from_halves(lo: int, hi: int) -> uuid.UUID:
    """Return the GUID whose ``ToByteArray()`` halves are ``lo`` and ``hi``."""
    return uuid.UUID(bytes_le=_GUID_HALVES.pack(lo, hi))


def guid_to_halves(guid: uuid.UUID) -> tuple[int, int]:
    """Return the ``lo`` and ``hi`` fields that encode ``guid``."""
    lo, hi = _GUID_HALVES.unpack(guid.bytes_le)
    return lo, hi


def datetime_from_wire(value: int, scale: int) -> datetime:
    """Return the aware UTC time of a protobuf-net DateTime.

    Raises:
        RealtimePayloadError: MINMAX or unknown scale, or out of range.

    """
    if scale == PB2.DateTime.TICKS:
        microseconds = value // _TICKS_PER_MICROSECOND
    elif (unit := _SCALE_MICROSECONDS.get(scale)) is not None:
        microseconds = value * unit
    else:
        # MINMAX encodes DateTime.MinValue/MaxValue: not a time a device sent.
        raise RealtimePayloadError(f"DateTime with scale {scale} is not a time")
    try:
        return EPOCH + timedelta(microseconds=microseconds)
    except OverflowError as err:
        raise RealtimePayloadError(
            f"DateTime {value} (scale {scale}) is out of range"
        ) from err


def datetime_to_ticks(moment: datetime) -> int:
    """Return ``moment`` as ticks (100 ns) since 1970-01-01 UTC."""
    delta = moment - EPOCH
    microseconds = (
        delta.days * 86_400 + delta.seconds
    ) * 1_000_000 + delta.microseconds
    return microseconds * _TICKS_PER_MICROSECOND


def decode_realtime(payload: bytes) -> list[RealtimeDeviceData]:
    """Decode the body of a realtime push.

    Values that are not finite numbers are left out; duplicate OBIS codes of
    one device keep the last value.

    Raises:
        RealtimePayloadError: The bytes are not a DeviceDataArray, or a field
            in it cannot be converted (Guid, DateTime, OBIS code).

    """
    message = PB2.DeviceDataArray()
    try:
        message.ParseFromString(payload)
    except DecodeError as err:
        raise RealtimePayloadError(f"Not a DeviceDataArray: {err}") from err
    if not message.IsInitialized():
        missing = ", ".join(message.FindInitializationErrors())
        raise RealtimePayloadError(f"DeviceDataArray without required {missing}")
    items: list[RealtimeDeviceData] = []
    for item in message.DeviceDataItems:
        guid = item.DeviceId
        when = item.DateTime
        values: dict[str, float] = {}
        try:
            for value in item.DeviceValues:
                code = obis_from_bytes(value.Obis)
                if math.isfinite(number := value.Value):
                    values[code] = number
        except ApiResponseError as err:
            raise RealtimePayloadError(str(err)) from err
        items.append(
            RealtimeDeviceData(
                device_id=_device_id(guid.lo, guid.hi),
                timestamp=datetime_from_wire(when.value, when.scale),
                values=values,
            )
        )
    return items


@lru_cache(maxsize=4096)
def _device_id(lo: int, hi: int) -> str:
    """Return the id of a device as the REST API writes it.

    Every push of a device carries the same halves: the text is made once.
    """
    return str(guid_from_halves(lo, hi))


def encode_realtime(items: Iterable[RealtimeDeviceData]) -> bytes:
    """Encode device data as smart-me sends it (DateTime in ticks, kind UTC)."""
    message = PB2.DeviceDataArray()
    for item in items:
        data = message.DeviceDataItems.add()
        lo, hi = guid_to_halves(uuid.UUID(item.device_id))
        data.DeviceId.lo = lo
        data.DeviceId.hi = hi
        data.DateTime.value = datetime_to_ticks(item.timestamp)
        data.DateTime.scale = PB2.DateTime.TICKS
        for obis, value in item.values.items():
            entry = data.DeviceValues.add()
            entry.Obis = obis_to_bytes(obis)
            entry.Value = value
    payload: bytes = message.SerializeToString()
    return payload
