"""The smart-me fixtures the chaos cases reuse (the simulator, a pushing entry)."""

import pytest

from ...smartme.conftest import (  # noqa: F401
    cloud,
    entry_data,
    external_url,
    frozen,
    ha_client,
    setup_entry,
    sim,
    smartme_entry,
)


@pytest.fixture
def realtime() -> bool:
    """The chaos entry receives pushes."""
    return True
