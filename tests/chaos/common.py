"""Helpers the vendors' chaos cases share."""

from __future__ import annotations

from collections.abc import Callable

from .harness import Chaos

type NewChaos = Callable[..., Chaos]
"""The ``new_chaos`` fixture: a loaded entry under fault (keywords of Chaos)."""
