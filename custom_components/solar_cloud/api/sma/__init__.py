"""Plain async client of SMA's cloud APIs (smaapis.de).

Monitoring API v1 (plants, devices, measurement sets), the custom flow's
client credentials and owner consent (``bc-authorize``), and GridControl
feed-in limits. No Home Assistant import below this package.
"""

from .client import SmaClient
from .consent import ConsentState, ConsentStatus
from .environment import SmaEndpoints, SmaEnvironment
from .fields import ENERGY_FLOWS, MeasurementField, SetType
from .gridcontrol import FEED_IN_LIMIT, FeedInLimitCommand, LimitUnit, ScheduleResult
from .models import Device, MeasurementPoint, MeasurementSet, Period, Plant, PlantKind
from .token import SmaClientCredentials

__all__ = [
    "ENERGY_FLOWS",
    "FEED_IN_LIMIT",
    "ConsentState",
    "ConsentStatus",
    "Device",
    "FeedInLimitCommand",
    "LimitUnit",
    "MeasurementField",
    "MeasurementPoint",
    "MeasurementSet",
    "Period",
    "Plant",
    "PlantKind",
    "ScheduleResult",
    "SetType",
    "SmaClient",
    "SmaClientCredentials",
    "SmaEndpoints",
    "SmaEnvironment",
]
