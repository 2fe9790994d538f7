"""What the simulated service holds, shared by its route handlers."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from datetime import datetime, timedelta
import itertools
from typing import Any

from ..core import VendorSimulator
from ..oauth import OAuthServer
from .ledger import fill_past
from .plant import SimAccount, SimPlant, SimTask
from .uploads import UploadSchedule


class SimulatorState(VendorSimulator):
    """The accounts, tasks and switches of one regional host."""

    vendor = "fusionsolar"

    def __init__(self, accounts: Iterable[SimAccount] = ()) -> None:
        """Serve these accounts."""
        super().__init__()
        self.accounts: dict[str, SimAccount] = {a.username: a for a in accounts}
        self.oauth = OAuthServer(
            clock=self.clock,
            clients={"fusionsolar-client": "fusionsolar-secret"},
            access_token_lifetime=timedelta(hours=1),
        )
        self.wrong_password_answer = "empty"
        """How a wrong password is answered: "empty", "20400" or "20001"."""
        self.token_in_header = True
        """False: the token comes only as the XSRF-TOKEN cookie."""
        self.enforce_flow_control = True
        self.pv_yield_fields = True
        """False: history answers lack PVYield and inverterYield (before 24.5.0)."""
        self.task_delay = timedelta(seconds=30)
        """How long a control task runs before it finishes."""
        self.task_outcomes: dict[str, deque[tuple[str, str | None]]] = {}
        self.tasks: dict[str, list[SimTask]] = {}
        self.dispatches: dict[int, list[dict[str, Any]]] = {}
        self._request_ids = itertools.count(1_000_000_001)
        self.uploads: UploadSchedule | None = None
        """Real-time values change only at each source's uploads (None: live)."""

    def _history_of(self, plant: SimPlant, now: datetime | None = None) -> SimPlant:
        """Bring a plant's ledger up to now, its generated past included."""
        plant.advance(now or self.clock.now())
        fill_past(plant)
        return plant
