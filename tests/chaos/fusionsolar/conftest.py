"""The FusionSolar fixtures the chaos cases reuse (the simulator, the entry)."""

from ...fusionsolar.conftest import (  # noqa: F401
    add_entry,
    cloud,
    fast_tasks,
    loaded_entry,
    mock_entry,
    sim,
)
