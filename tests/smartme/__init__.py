"""Tests of the smart-me vendor."""

from collections.abc import Awaitable, Callable

from homeassistant.config_entries import ConfigEntry
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.solar_cloud.smartme.data import smartme_data
from custom_components.solar_cloud.smartme.realtime import SmartMeRealtime

type SetUp = Callable[[], Awaitable[MockConfigEntry]]
"""The setup_entry fixture: sets the entry up and waits for it."""


def realtime_of(entry: ConfigEntry) -> SmartMeRealtime:
    """Return a loaded entry's push receiver (asserting the entry has one)."""
    realtime = smartme_data(entry).realtime
    assert realtime is not None
    return realtime
