"""The SMA fixtures the chaos cases reuse (the simulator, entries)."""

from ...sma.conftest import cloud, custom_entry, owner, sim  # noqa: F401
