"""Client of the Huawei SmartPVMS (FusionSolar) Northbound API."""

from .client import ControlNotSupportedError, FusionSolarClient
from .flow_control import AccountSize, CallBudget

__all__ = [
    "AccountSize",
    "CallBudget",
    "ControlNotSupportedError",
    "FusionSolarClient",
]
