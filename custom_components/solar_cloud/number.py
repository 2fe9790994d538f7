"""Number entities: each vendor decides which of its data become numbers."""

from homeassistant.const import Platform

from .runtime import platform_setup

PARALLEL_UPDATES = 1

async_setup_entry = platform_setup(Platform.NUMBER)
