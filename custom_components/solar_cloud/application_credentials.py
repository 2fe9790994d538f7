"""Application credentials for the vendors' OAuth2 code flows."""

from homeassistant.components.application_credentials import ClientCredential
from homeassistant.core import HomeAssistant
from homeassistant.helpers.config_entry_oauth2_flow import AbstractOAuth2Implementation

from .oauth import SolarCloudCredential


async def async_get_auth_implementation(
    hass: HomeAssistant, auth_domain: str, credential: ClientCredential
) -> AbstractOAuth2Implementation:
    """Return the credential; the flow binds it to the vendor the user picks."""
    return SolarCloudCredential(hass, auth_domain, credential)


async def async_get_description_placeholders(hass: HomeAssistant) -> dict[str, str]:
    """Return the links the credentials dialog shows."""
    return {
        "sma_url": "https://developer.sma.de/api-access-control",
        "smartme_url": "https://smart-me.com",
        "fusionsolar_url": "https://support.huawei.com/enterprise/en/doc/EDOC1100261860",
        "redirect_url": "https://my.home-assistant.io/redirect/oauth",
    }
