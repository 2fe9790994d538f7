"""Constants of the smart-me tests."""

from datetime import UTC, datetime

from custom_components.solar_cloud.smartme.webhook import basic_auth_header

NOW = datetime(2026, 10, 20, 12, 0, 30, tzinfo=UTC)
"""Where every smart-me test starts: the clock is frozen here."""
NOW_HOUR = datetime(2026, 10, 20, 12, tzinfo=UTC)
"""The start of the hour NOW is in."""

POWER = "sensor.bilanz_vk_power"
"""The power sensor of the meter BILANZ_ID."""
RELAY = "switch.boiler_plug_relay"
"""The relay of the plug PLUG_ID."""

# The simulator's account (tests/simulator/smartme_model.Account).
USER_ID = "12345"
USERNAME = "owner@example.com"
PASSWORD = "correct-horse"
API_KEY = "key-123"

# The simulator's OAuth client, and the id of its application credential.
CLIENT_ID = "smartme-client"
CLIENT_SECRET = "smartme-secret"
CREDENTIAL = "smartme_cred"
"""The application credential's id (``auth_implementation`` of OAuth entries)."""

# The entry's webhook, and the credentials smart-me pushes to it with.
WEBHOOK_ID = "a" * 64
WEBHOOK_USERNAME = "solar_cloud"
WEBHOOK_PASSWORD = "push-secret"
HOOK_PATH = f"/api/webhook/{WEBHOOK_ID}"
PUSH_AUTH = {"Authorization": basic_auth_header(WEBHOOK_USERNAME, WEBHOOK_PASSWORD)}

# Chargers of the samples (connectorio_api_Devices_list_2022.json).
CHARGER_ID = "2acd74e0-ab66-6c37-17bf-a734f3b4a034"
"""Charges at a steady 3.7 kW from 129.214 kWh (installed 35 hours earlier); pushes mWh."""
ZERO_CHARGER_ID = "be4ba20f-1a01-cb3a-8ce9-f1a56238ba4f"
"""Pushes mWh; its counters are 0.0 in the sample."""
SECOND_CHARGER_ID = "5f448f0c-f749-614c-4a48-fc0c85d93587"

HISTORY = "values_in_past_multiple"
"""The simulator's route of the meters' history."""
ROUNDING = 1.1e-5
"""kWh: history counters are Wh with two decimals; one step rounds both ends."""
