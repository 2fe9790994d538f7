"""Constants of the FusionSolar tests: the demo account's plants, the OAuth client."""

from homeassistant.const import CONF_PASSWORD, CONF_USERNAME

from ..simulator.fusionsolar import DEMO_PASSWORD, DEMO_USER

ACCOUNT = {CONF_USERNAME: DEMO_USER, CONF_PASSWORD: DEMO_PASSWORD}
"""What the user types for the demo account (the URL aside)."""

HOME = "NE=35436844"
MATERNELLE = "5D02E8B40AD342159AC8D8A2BCD4FAB5"
PUER = "BA4372D08E014822AB065017416F254C"

POWER = "sensor.rheinblick_inverter_1_active_power"
ENERGY_TODAY = "sensor.rheinblick_energy_today"
"""Sensors of the plant HOME (Rheinblick)."""

BATTERY_MODE = "select.rheinblick_battery_working_mode"
FEED_IN_LIMIT = "number.rheinblick_feed_in_limit"
"""Controls of the plant HOME (Rheinblick)."""

CLIENT_ID = "fusionsolar-client"
CLIENT_SECRET = "fusionsolar-secret"
CREDENTIAL = "fusionsolar_cred"
"""The application credential's id (``auth_implementation`` of OAuth entries)."""
DEMO_SCOPE = "pvms.openapi.basic"

NOW = "2026-11-02T10:00:00+00:00"
"""Where the history tests start: 11:00 in Berlin, after both daylight-saving changes of 2026."""
