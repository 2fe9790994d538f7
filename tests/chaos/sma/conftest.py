"""The SMA fixtures the chaos cases reuse (the simulator, entries)."""

from ...sma.conftest import custom_entry, owner, sim, sma_cloud, sma_simulator  # noqa: F401
