"""Constants for the Solar Cloud integration."""

from enum import StrEnum
import logging
from typing import Final

DOMAIN: Final = "solar_cloud"
LOGGER = logging.getLogger(__package__)

CONF_VENDOR: Final = "vendor"


class Vendor(StrEnum):
    """The vendor clouds this integration talks to.

    The values are stored in config entries and used in unique ids:
    never rename them.
    """

    SMA = "sma"
    SMARTME = "smartme"
    FUSIONSOLAR = "fusionsolar"


VENDOR_NAMES: Final[dict[Vendor, str]] = {
    Vendor.SMA: "SMA",
    Vendor.SMARTME: "smart-me",
    Vendor.FUSIONSOLAR: "FusionSolar",
}
"""How each vendor is named to people (in logs and errors for developers)."""
