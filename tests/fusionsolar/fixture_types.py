"""Types of the FusionSolar test fixtures (for the tests' annotations)."""

from __future__ import annotations

from typing import Any, Protocol

from pytest_homeassistant_custom_component.common import MockConfigEntry

from ..simulator.fusionsolar import DEMO_PASSWORD, DEMO_USER


class AddEntry(Protocol):
    """Adds the entry of a Northbound API account served at ``url``."""

    def __call__(
        self,
        url: str,
        username: str = DEMO_USER,
        password: str = DEMO_PASSWORD,
        **entry: Any,
    ) -> MockConfigEntry:
        """Add the entry (``entry``: further MockConfigEntry arguments)."""
        ...
