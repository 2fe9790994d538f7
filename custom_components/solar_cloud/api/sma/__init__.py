"""Plain async client of SMA's cloud APIs (smaapis.de).

Monitoring API v1 (plants, devices, measurement sets), the custom flow's
client credentials and owner consent (``bc-authorize``), and GridControl
feed-in limits. No Home Assistant import below this package.
"""

from .client import SmaClient
from .consent import ConsentState, ConsentStatus
from .environment import SmaEndpoints, SmaEnvironment
from .gridcontrol import FEED_IN_LIMIT, FeedInLimitCommand, LimitUnit, ScheduleResult
from .models import Device, MeasurementPoint, MeasurementSet, Period, Plant, PlantKind
from .token import SmaClientCredentials

__all__ = [
    "FEED_IN_LIMIT",
    "ConsentState",
    "ConsentStatus",
    "Device",
    "FeedInLimitCommand",
    "LimitUnit",
    "MeasurementPoint",
    "MeasurementSet",
    "Period",
    "Plant",
    "PlantKind",
    "ScheduleResult",
    "SmaClient",
    "SmaClientCredentials",
    "SmaEndpoints",
    "SmaEnvironment",
]
