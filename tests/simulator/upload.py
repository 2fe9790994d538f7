"""When a simulated source's data becomes visible at its cloud: its upload rhythm.

Shared by the simulators whose sources upload on a phase of their own (SMA
intervals, smart-me meters): a fixed delay after each period's start, a
slow drift, seeded jitter and the occasional late upload.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import hashlib

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
"""Where the drift is counted from."""


@dataclass(frozen=True, kw_only=True)
class Upload:
    """When a source's data becomes visible at its cloud.

    An SMA plant's interval appears ``delay`` after its end; a smart-me
    meter uploads ``delay`` after the start of each upload period. Either
    moves by ``drift`` per day, plus up to ``jitter``, seeded per source and
    period; a share ``late_share`` of them comes ``late_by`` later still. A
    data logger uploads in order: an interval never appears before the one
    before it.
    """

    delay: timedelta
    jitter: timedelta = timedelta()
    late_share: float = 0.0
    late_by: timedelta = timedelta()
    drift: timedelta = timedelta()
    """How much later the delay becomes per day (negative: earlier)."""
    seed: int = 0

    def _fraction(self, end: datetime, salt: str) -> float:
        digest = hashlib.blake2b(
            f"{self.seed}:{salt}:{int(end.timestamp())}".encode(), digest_size=8
        ).digest()
        return int.from_bytes(digest) / 2**64

    def raw(self, end: datetime) -> datetime:
        """Return when the interval ending at ``end`` would appear on its own."""
        days = (end - EPOCH) / timedelta(days=1)
        moment = end + self.delay + self.drift * days
        moment += self.jitter * self._fraction(end, "jitter")
        if self.late_share and self._fraction(end, "late") < self.late_share:
            moment += self.late_by
        return moment
