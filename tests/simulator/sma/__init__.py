"""A simulator of SMA's cloud APIs (smaapis.de), served under one base URL.

It behaves like SMA's sandbox, as SMA's tutorial, FAQ and sandbox page and the
real captures in ``shared/api/samples/sma`` describe it:

- ``/oauth2/token`` (form-encoded; client credentials, refresh with rotation,
  authorization code), ``/oauth2/auth``, ``/oauth2/logout`` (204); 300 s
  tokens; the documented errors: 415 for a wrong content type, 400 for a
  missing ``grant_type``, 400 ``invalid_client`` (also for code-flow
  credentials used in the custom flow), 401 "Token is not active".
- The custom flow's consent: ``POST /oauth2/v2/bc-authorize``, ``GET
  …/{loginHint}``, and the sandbox's ``PUT …/{loginHint}/status`` that
  accepts, rejects or revokes in place of the owner. Without consent the
  Monitoring API answers empty lists.
- Monitoring v1 under ``/monitoring``: plants, devices, measurement-set lists,
  device sets and the plant EnergyBalance over Recent/Day/Month/Year/Total.
  Values follow the simulator clock: a sun curve and a household load in the
  plant's local time, interval-end timestamps without offset, omitted fields
  for what a plant does not have. ennexOS plants have 5-minute data at once,
  the sandbox plants 15-minute data, a classic (GUID) plant data 2 hours late;
  a plant with an ``Upload`` shows each interval only some time after its
  end (seeded delay, jitter, the occasional late one; ``visible_at`` says
  when).
- A plant moved by SMA answers HTTP 308 with its new id.
- GridControl under ``/gridcontrol``: the eligibility check and FeedInLimit
  schedules (bodies as modelled in ``api/sma/gridcontrol.py``).
- A token bucket per client over five minutes: HTTP 429 without Retry-After.

The package by area: ``plants.py`` (the model), ``accounts.py`` (the sandbox
and demo plants), ``auth.py`` (tokens, rate limit, consent),
``monitoring.py``, ``gridcontrol.py`` and ``simulator.py`` (the routes).
"""

from .accounts import (
    CLASSIC_PLANT,
    DEMO_OWNER,
    MIGRATING_PLANT,
    SANDBOX_OWNER,
    demo_owner_plants,
    sandbox_plants,
)
from .auth import CODE_CLIENT, CUSTOM_CLIENT
from .plants import SimDevice, SimPlant, Upload, string_inverter, truth_hourly
from .simulator import SmaSimulator, demo_simulator

__all__ = [
    "CLASSIC_PLANT",
    "CODE_CLIENT",
    "CUSTOM_CLIENT",
    "DEMO_OWNER",
    "MIGRATING_PLANT",
    "SANDBOX_OWNER",
    "SimDevice",
    "SimPlant",
    "SmaSimulator",
    "Upload",
    "demo_owner_plants",
    "demo_simulator",
    "sandbox_plants",
    "string_inverter",
    "truth_hourly",
]
