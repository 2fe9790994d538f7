"""Tests of the smart-me vendor."""

from collections.abc import Awaitable, Callable

from pytest_homeassistant_custom_component.common import MockConfigEntry

type SetUp = Callable[[], Awaitable[MockConfigEntry]]
"""The setup_entry fixture: sets the entry up and waits for it."""
