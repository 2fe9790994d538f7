"""OBIS codes (IEC 62056-61) as smart-me uses them.

The REST API writes them as ``"1-0:1.8.0*255"`` (values) or as 12 hex digits
``"0100010800FF"`` (actions); the realtime push carries the 6 raw bytes. This
integration names a code by its text form ``A-B:C.D.E*F``.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
import re

from ..errors import ApiResponseError
from ..transport import snippet

_TEXT = re.compile(
    r"^(\d{1,3})-(\d{1,3}):(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\*(\d{1,3}))?$"
)
_HEX = re.compile(r"^[0-9A-Fa-f]{12}$")

# Codes smart-me's realtime push and values use (IEC 62056-61 meanings).
ENERGY_IMPORT = "1-0:1.8.0*255"
ENERGY_EXPORT = "1-0:2.8.0*255"
POWER_IMPORT = "1-0:1.7.0*255"
POWER_EXPORT = "1-0:2.7.0*255"
POWER_NET = "1-0:16.7.0*255"
POWER_IMPORT_L = ("1-0:21.7.0*255", "1-0:41.7.0*255", "1-0:61.7.0*255")
POWER_EXPORT_L = ("1-0:22.7.0*255", "1-0:42.7.0*255", "1-0:62.7.0*255")
VOLTAGE_L = ("1-0:32.7.0*255", "1-0:52.7.0*255", "1-0:72.7.0*255")
CURRENT_L = ("1-0:31.7.0*255", "1-0:51.7.0*255", "1-0:71.7.0*255")
CURRENT = "1-0:11.7.0*255"
VOLTAGE = "1-0:12.7.0*255"
POWER_FACTOR = "1-0:13.7.0*255"
POWER_FACTOR_L = ("1-0:33.7.0*255", "1-0:53.7.0*255", "1-0:73.7.0*255")
FREQUENCY = "1-0:14.7.0*255"


class SwitchOutput(StrEnum):
    """A switchable output of a device, by the code of its on/off action.

    smart-me's own action codes (channel 99-0:12.x).
    """

    SWITCH = "99-0:12.0.0*255"
    SWITCH_L1 = "99-0:12.0.1*255"
    SWITCH_L2 = "99-0:12.0.2*255"
    SWITCH_L3 = "99-0:12.0.3*255"
    DIGITAL_OUTPUT_1 = "99-0:12.1.1*255"
    DIGITAL_OUTPUT_2 = "99-0:12.1.2*255"


SWITCH_MAIN = SwitchOutput.SWITCH
SWITCH_PHASE = (SwitchOutput.SWITCH_L1, SwitchOutput.SWITCH_L2, SwitchOutput.SWITCH_L3)
DIGITAL_OUTPUT = (SwitchOutput.DIGITAL_OUTPUT_1, SwitchOutput.DIGITAL_OUTPUT_2)


@lru_cache(maxsize=1024)
def obis_from_bytes(raw: bytes) -> str:
    """Return the text form of the 6 raw bytes of a code.

    Every push names the same few codes: each text is made once.

    Raises:
        ApiResponseError: Not 6 bytes.

    """
    if len(raw) != 6:
        raise ApiResponseError(f"An OBIS code has 6 bytes, not {len(raw)}")
    a, b, c, d, e, f = raw
    return f"{a}-{b}:{c}.{d}.{e}*{f}"


def obis_to_bytes(code: str) -> bytes:
    """Return the 6 raw bytes of a code in text or hex form."""
    return bytes.fromhex(obis_to_hex(code))


def obis_from_text(text: str) -> str:
    """Return the canonical text form of a code given as text or hex.

    A missing ``*F`` group means 255, as in smart-me's own lists.

    Raises:
        ApiResponseError: Not an OBIS code.

    """
    text = text.strip()
    if _HEX.match(text):
        return obis_from_bytes(bytes.fromhex(text))
    match = _TEXT.match(text)
    if match is None:
        raise ApiResponseError(f"Not an OBIS code: {snippet(text)!r}")
    groups = [int(group) if group is not None else 255 for group in match.groups()]
    if any(group > 255 for group in groups):
        raise ApiResponseError(f"Not an OBIS code: {snippet(text)!r}")
    return obis_from_bytes(bytes(groups))


def obis_to_hex(code: str) -> str:
    """Return the 12 hex digits smart-me's actions use for a code."""
    canonical = obis_from_text(code)
    groups = re.split(r"[-:.*]", canonical)
    return bytes(int(group) for group in groups).hex().upper()
