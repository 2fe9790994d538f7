"""Sensor entities: each vendor decides which of its data become sensors."""

from homeassistant.const import Platform

from .runtime import platform_setup

PARALLEL_UPDATES = 0

async_setup_entry = platform_setup(Platform.SENSOR)
