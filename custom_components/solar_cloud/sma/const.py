"""Constants of the SMA slice."""

from datetime import timedelta
from enum import StrEnum
from typing import Final

from ..api.sma import PlantKind

CONF_FLOW: Final = "flow"
CONF_ENVIRONMENT: Final = "environment"
CONF_LOGIN_HINT: Final = "login_hint"
CONF_GRIDCONTROL_URL: Final = "gridcontrol_url"
CONF_PLANT_MIGRATIONS: Final = "plant_migrations"

MANUFACTURER: Final = "SMA Solar Technology AG"


class SmaFlow(StrEnum):
    """How an account signs in (stored in entries: never rename)."""

    CUSTOM = "custom"
    """Client credentials plus the plant owner's consent by e-mail."""
    CODE = "code"
    """The owner signs in at SMA (OAuth2 code flow, application credentials)."""


# How often new data can exist (SMA FAQ): ennexOS Data Managers upload every
# 5 minutes and SMA processes on the fly; classic plants upload every 15
# minutes and SMA processes for up to 2 hours. A plant whose data comes in
# longer intervals (the sandbox: 15 minutes) is polled at that interval.
PLANT_INTERVAL: Final = {
    PlantKind.ENNEXOS: timedelta(minutes=5),
    PlantKind.CLASSIC: timedelta(minutes=15),
}
# When the newest interval is older than this, the plant stopped reporting:
# its current values (power, state of charge) become unavailable.
EXPECTED_DELAY: Final = {
    PlantKind.ENNEXOS: timedelta(minutes=30),
    PlantKind.CLASSIC: timedelta(hours=3),
}
# How late a plant's data may still come in: a history range reaches back by
# this much, so that yesterday is asked for again until its last hours are in.
LATE_DATA: Final = {
    PlantKind.ENNEXOS: timedelta(),
    PlantKind.CLASSIC: timedelta(hours=3),
}
# Device details: one call per device and measurement set, so they are read
# at the slower of the plant's interval and this one.
DEVICE_INTERVAL: Final = timedelta(minutes=15)
# Device sets come with the plant's upload: they are polled on the phase the
# plant's balance learnt, this much later (a miss costs every set again), and
# looked for again this long after a miss.
DEVICE_MARGIN: Final = timedelta(seconds=20)
DEVICE_RETRY: Final = timedelta(seconds=60)
# Plants, devices, measurement-set lists and GridControl eligibility.
INVENTORY_INTERVAL: Final = timedelta(hours=1)
# SMA's tutorial: check a pending consent every 1800 seconds.
CONSENT_INTERVAL: Final = timedelta(minutes=30)
# The lifetime counters' base (EnergyBalance Total) is read at the plant's
# local midnight; in between, today's energy moves them. It is read again
# hourly while the last day's late data (LATE_DATA) may still come, and
# every LIFETIME_RECHECK otherwise, for SMA's own corrections: the calls are
# the second looks' (see polling.py).
LIFETIME_INTERVAL: Final = timedelta(hours=1)
LIFETIME_RECHECK: Final = timedelta(hours=12)

# The config flow waits this long for the owner's consent, asking this often;
# after it the entry is created and keeps waiting in the background.
CONSENT_FLOW_WAIT: Final = timedelta(minutes=3)
CONSENT_FLOW_POLL: Final = timedelta(seconds=10)
