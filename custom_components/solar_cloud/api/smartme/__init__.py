"""Client of the smart-me cloud: REST API and Realtime API (webhook) payloads."""

from .auth import ApiKeyAuth, BasicAuth, OAuthAuth, SmartMeAuth, basic_auth_header
from .client import DEFAULT_URL, SmartMeClient
from .history import (
    HISTORY_ENERGY_FACTOR,
    HISTORY_MAX_VALUES,
    HistoryReading,
    IntervalEnergy,
    history_energy_factor,
    history_windows,
    interval_energies,
    merge_readings,
)
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
from .obis import SwitchOutput
from .push import (
    MAX_CALIBRATION_GAP,
    MIN_CALIBRATION_KWH,
    SCALED_FIELDS,
    PushScale,
    apply_push,
    push_changes,
)
from .realtime import (
    RealtimeDeviceData,
    RealtimePayloadError,
    decode_realtime,
    encode_realtime,
)

__all__ = [
    "DEFAULT_URL",
    "HISTORY_ENERGY_FACTOR",
    "HISTORY_MAX_VALUES",
    "MAX_CALIBRATION_GAP",
    "MIN_CALIBRATION_KWH",
    "SCALED_FIELDS",
    "ApiKeyAuth",
    "BasicAuth",
    "ChargingStationState",
    "Device",
    "DeviceAction",
    "DeviceEnergyType",
    "HistoryReading",
    "IntervalEnergy",
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
    "SwitchOutput",
    "User",
    "apply_push",
    "basic_auth_header",
    "decode_realtime",
    "encode_realtime",
    "history_energy_factor",
    "history_windows",
    "interval_energies",
    "merge_readings",
    "push_changes",
]
