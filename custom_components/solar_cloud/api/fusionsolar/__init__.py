"""Client of the Huawei SmartPVMS (FusionSolar) Northbound API."""

from .client import FusionSolarClient
from .errors import ControlNotSupportedError
from .flow_control import AccountSize, CallBudget

__all__ = [
    "AccountSize",
    "CallBudget",
    "ControlNotSupportedError",
    "FusionSolarClient",
]
