"""Constants of the SMA tests (those several vendors share are in tests/const.py)."""

from datetime import timedelta

FIVE = timedelta(minutes=5)
"""SMA's measurement interval."""

CREDENTIAL = "sma_cred"
"""The code flow's application credential id (``auth_implementation`` of its entries)."""

# Entities of the sandbox owner's plant (Testplant 1) and of its inverter.
PV_POWER = "sensor.testplant_1_pv_power"
PV_ENERGY = "sensor.testplant_1_pv_energy"
PV_ENERGY_TODAY = "sensor.testplant_1_pv_energy_today"
CONSUMPTION_ENERGY = "sensor.testplant_1_consumption_energy"
FEED_IN_LIMIT = "number.testplant_1_feed_in_limit"
INVERTER_PV_POWER = "sensor.my_inverter_1_pv_power"
