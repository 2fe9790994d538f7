"""The SMA cloud in Home Assistant."""

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryError

from ..const import DOMAIN
from ..runtime import SolarCloudConfigEntry, SolarCloudData, VendorIntegration


async def _async_setup_entry(
    hass: HomeAssistant, entry: SolarCloudConfigEntry
) -> SolarCloudData:
    raise ConfigEntryError(
        translation_domain=DOMAIN,
        translation_key="vendor_not_available",
        translation_placeholders={"vendor": "SMA"},
    )


INTEGRATION = VendorIntegration(async_setup_entry=_async_setup_entry)
