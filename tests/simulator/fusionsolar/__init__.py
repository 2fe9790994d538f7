"""A simulator of Huawei's SmartPVMS (FusionSolar) Northbound API.

Stateful and clock-driven: plants produce along a daily sun curve in their
own time zone, batteries charge from the surplus, meters count what goes to
and comes from the grid. It answers like the real service, quirks included:
numbers as strings, ``"N/A"``, an empty body for a wrong password, one
session per account with a 30-minute sliding token, 305 on a session another
login took over, 407 beyond the documented flow control (independently
implemented here from Huawei's reference), a lock-out after five wrong
passwords, 20609 for plants whose networking cannot answer configuration
queries, and control tasks that run for a while before they succeed, or fail
when a test says so. OAuth Connect tokens of the mounted authorization server
are accepted as bearer tokens. The history interfaces answer from a ledger of
what the plants integrate, their past before the simulator started included
(``ledger.py``).
"""

from .accounts import (
    DEMO_PASSWORD,
    DEMO_USER,
    create_demo,
    demo_account,
    scaled_account,
)
from .ledger import Flow
from .plant import SimAccount, SimAlarm, SimDevice, SimPlant
from .protocol import envelope
from .simulator import FusionSolarSimulator
from .uploads import Upload, UploadSchedule

__all__ = [
    "DEMO_PASSWORD",
    "DEMO_USER",
    "Flow",
    "FusionSolarSimulator",
    "SimAccount",
    "SimAlarm",
    "SimDevice",
    "SimPlant",
    "Upload",
    "UploadSchedule",
    "create_demo",
    "demo_account",
    "envelope",
    "scaled_account",
]
