"""The vendor registry: which Home Assistant layer serves which vendor."""

from .const import Vendor
from .fusionsolar import INTEGRATION as FUSIONSOLAR
from .runtime import VendorIntegration
from .sma import INTEGRATION as SMA
from .smartme import INTEGRATION as SMARTME

VENDORS: dict[Vendor, VendorIntegration] = {
    Vendor.SMA: SMA,
    Vendor.SMARTME: SMARTME,
    Vendor.FUSIONSOLAR: FUSIONSOLAR,
}
