"""The measurement sets and fields of SMA's Monitoring API, by SMA's names."""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class SetType(StrEnum):
    """The device measurement sets the integration reads (path segment)."""

    ENERGY_AND_POWER_PV = "EnergyAndPowerPv"
    ENERGY_AND_POWER_BATTERY = "EnergyAndPowerBattery"
    ENERGY_AND_POWER_IN_OUT = "EnergyAndPowerInOut"
    ENERGY_AND_POWER_CONSUMPTION = "EnergyAndPowerConsumption"
    POWER_AC = "PowerAc"
    POWER_DC = "PowerDc"
    SENSOR = "Sensor"


class MeasurementField(StrEnum):
    """The fields of a measurement interval the integration reads."""

    # EnergyBalance, and the devices' EnergyAndPower sets.
    PV_GENERATION = "pvGeneration"
    TOTAL_CONSUMPTION = "totalConsumption"
    GRID_FEED_IN = "gridFeedIn"
    GRID_CONSUMPTION = "gridConsumption"
    BATTERY_CHARGING = "batteryCharging"
    BATTERY_DISCHARGING = "batteryDischarging"
    BATTERY_STATE_OF_CHARGE = "batteryStateOfCharge"
    SELF_CONSUMPTION_RATE = "selfConsumptionRate"
    AUTARKY_RATE = "autarkyRate"
    # EnergyAndPowerBattery, EnergyAndPowerConsumption.
    BATTERY_STATE_OF_HEALTH = "batteryStateOfHealth"
    BATTERY_VOLTAGE = "batteryVoltage"
    BATTERY_CURRENT = "batteryCurrent"
    BATTERY_TEMPERATURE = "batteryTemperature"
    CONSUMPTION = "consumption"
    # PowerAc.
    ACTIVE_POWER = "activePower"
    ACTIVE_POWER_PHASE_A = "activePowerPhaseA"
    ACTIVE_POWER_PHASE_B = "activePowerPhaseB"
    ACTIVE_POWER_PHASE_C = "activePowerPhaseC"
    VOLTAGE_PHASE_A = "voltagePhaseA"
    VOLTAGE_PHASE_B = "voltagePhaseB"
    VOLTAGE_PHASE_C = "voltagePhaseC"
    CURRENT_PHASE_A = "currentPhaseA"
    CURRENT_PHASE_B = "currentPhaseB"
    CURRENT_PHASE_C = "currentPhaseC"
    GRID_FREQUENCY = "gridFrequency"
    # PowerDc: indexed by DC input, except the isolation resistance.
    DC_POWER_INPUT = "dcPowerInput"
    DC_VOLTAGE_INPUT = "dcVoltageInput"
    DC_CURRENT_INPUT = "dcCurrentInput"
    ISOLATION_RESISTANCE = "isolationResistance"
    # Sensor.
    EXTERNAL_INSOLATION = "externalInsolation"
    AMBIENT_TEMPERATURE = "ambientTemperature"
    MODULE_TEMPERATURE = "moduleTemperature"
    WIND_SPEED = "windSpeed"


ENERGY_FLOWS: Final = (
    MeasurementField.PV_GENERATION,
    MeasurementField.TOTAL_CONSUMPTION,
    MeasurementField.GRID_FEED_IN,
    MeasurementField.GRID_CONSUMPTION,
    MeasurementField.BATTERY_CHARGING,
    MeasurementField.BATTERY_DISCHARGING,
)
"""The EnergyBalance fields that are energy flows (W per interval, Wh per day)."""

RATES: Final = frozenset(
    {MeasurementField.SELF_CONSUMPTION_RATE, MeasurementField.AUTARKY_RATE}
)
"""The fields SMA gives as a fraction (0..1); ``MeasurementPoint.value`` says %."""
