"""Client of the smart-me cloud: REST API and Realtime API (webhook) payloads."""

from .auth import ApiKeyAuth, BasicAuth, OAuthAuth, SmartMeAuth
from .client import DEFAULT_URL, SmartMeClient
from .models import (
    ChargingStationState,
    Device,
    DeviceAction,
    DeviceEnergyType,
    MeterReading,
    MeterSubType,
    RealtimeRegistration,
    RegistrationType,
    User,
)
from .push import SCALED_FIELDS, PushScale, apply_push
from .realtime import (
    RealtimeDeviceData,
    RealtimePayloadError,
    decode_realtime,
    encode_realtime,
)

__all__ = [
    "DEFAULT_URL",
    "SCALED_FIELDS",
    "ApiKeyAuth",
    "BasicAuth",
    "ChargingStationState",
    "Device",
    "DeviceAction",
    "DeviceEnergyType",
    "MeterReading",
    "MeterSubType",
    "OAuthAuth",
    "PushScale",
    "RealtimeDeviceData",
    "RealtimePayloadError",
    "RealtimeRegistration",
    "RegistrationType",
    "SmartMeAuth",
    "SmartMeClient",
    "User",
    "apply_push",
    "decode_realtime",
    "encode_realtime",
]
