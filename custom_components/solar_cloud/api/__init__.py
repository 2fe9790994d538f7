"""Plain async clients for the vendor clouds.

Nothing below this package imports Home Assistant: each vendor client takes an
injected ``aiohttp.ClientSession``, returns typed models and raises only the
errors of :mod:`.errors`.
"""

from .errors import (
    AccountRateLimitedError,
    ApiAuthenticationError,
    ApiConnectionError,
    ApiNotSupportedError,
    ApiPermissionError,
    ApiRateLimitedError,
    ApiResponseError,
    SolarCloudApiError,
)

__all__ = [
    "AccountRateLimitedError",
    "ApiAuthenticationError",
    "ApiConnectionError",
    "ApiNotSupportedError",
    "ApiPermissionError",
    "ApiRateLimitedError",
    "ApiResponseError",
    "SolarCloudApiError",
]
