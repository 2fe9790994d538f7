"""Constants of the SmartPVMS (FusionSolar) Northbound API."""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Final

REGIONAL_HOSTS: Final = (
    "https://eu5.fusionsolar.huawei.com",
    "https://intl.fusionsolar.huawei.com",
    "https://sg5.fusionsolar.huawei.com",
    "https://la5.fusionsolar.huawei.com",
    "https://uni001eu5.fusionsolar.huawei.com",
)
"""The regional portals an account lives on (the host its installer used)."""

OAUTH_SERVER: Final = "https://oauth2.fusionsolar.huawei.com"
OAUTH_AUTHORIZE_PATH: Final = "/rest/dp/uidm/oauth2/v1/authorize"
OAUTH_TOKEN_PATH: Final = "/rest/dp/uidm/oauth2/v1/token"  # noqa: S105 (a path)
SCOPE_BASIC: Final = "pvms.openapi.basic"
SCOPE_CONTROL: Final = "pvms.openapi.control"

TOKEN_HEADER: Final = "XSRF-TOKEN"  # noqa: S105 (a header name)
SESSION_IDLE_LIMIT: Final = 30 * 60
"""Seconds a session token stays valid after its last use."""

MAX_BATCH: Final = 100
"""Most plants or devices one real-time or list call takes."""
MAX_TASK_PLANTS: Final = 10
"""Most plants one control task takes."""
MAX_TOU_WINDOWS: Final = 14
MAX_GRID_CHARGE_POWER: Final = 50.0
"""kW: the most any FusionSolar controller (EMMA) lets a battery draw."""
MAX_FORCED_MINUTES: Final = 24 * 60
"""The longest forced charge or discharge."""
MAX_FEED_IN_KW: Final = 1000.0
"""The feed-in limit's bound when the plant's capacity is not known."""
END_OF_CHARGE_SOC: Final = (90.0, 100.0)
"""%: the range FusionSolar accepts for a battery's end-of-charge SOC."""
END_OF_DISCHARGE_SOC: Final = (0.0, 20.0)
"""%: the range FusionSolar accepts for a battery's end-of-discharge SOC."""


class DeviceType(IntEnum):
    """The ``devTypeId`` values this integration reads (others are kept, not read)."""

    STRING_INVERTER = 1
    EMI = 10
    GRID_METER = 17
    RESIDENTIAL_INVERTER = 38
    BATTERY = 39
    ESS = 41
    POWER_SENSOR = 47
    DONGLE = 62
    EMMA = 23070


INVERTER_TYPES: Final = frozenset(
    {DeviceType.STRING_INVERTER, DeviceType.RESIDENTIAL_INVERTER}
)
BATTERY_TYPES: Final = frozenset({DeviceType.BATTERY, DeviceType.ESS})
METER_TYPES: Final = frozenset(
    {DeviceType.GRID_METER, DeviceType.POWER_SENSOR, DeviceType.EMMA}
)
REAL_TIME_TYPES: Final = frozenset(
    INVERTER_TYPES | BATTERY_TYPES | METER_TYPES | {DeviceType.EMI}
)
"""The device types ``getDevRealKpi`` answers for (a Dongle has no data)."""


class FailCode(IntEnum):
    """``failCode`` values the client treats specially."""

    OK = 0
    PARTIAL_SUCCESS = 1
    TASK_FAILED = 2
    NOT_LOGGED_IN = 305
    NO_PERMISSION = 401
    TOO_FREQUENT = 407
    SYSTEM_LIMIT = 429
    SYSTEM_ID_UNKNOWN = 20001
    SYSTEM_FORBIDDEN = 20002
    SYSTEM_EXPIRED = 20003
    SERVER_ABNORMAL = 20004
    NOT_SUPPORTED_FOR_DEVICES = 20013
    NOT_AUTHORIZED_BY_OWNER = 20056
    SYSTEM_BUSY = 20200
    WRONG_CREDENTIALS = 20400
    LOGIN_RESTRICTED = 20403
    NETWORKING_NOT_SUPPORTED = 20609
    DAILY_QUOTA = 20618


class TaskStatus(StrEnum):
    """The state of a control task."""

    RUNNING = "RUNNING"
    SUCCESS = "SUCCESS"
    FAIL = "FAIL"


class TaskFailure(StrEnum):
    """Why a control task failed (its ``message``)."""

    FAILURE = "FAILURE"
    TIMEOUT = "TIMEOUT"
    BUSY = "BUSY"
    INVALID = "INVALID"
    EXCEPTION = "EXCEPTION"


class ChargeDischargeSwitch(IntEnum):
    """``dispatchSwitch`` of the charge-and-discharge task."""

    STOP = 0
    CHARGE = 1
    DISCHARGE = 2


class BatteryMode(StrEnum):
    """``operationMode`` of the battery-mode query and task."""

    MAXIMUM_SELF_CONSUMPTION = "maximumSelfConsumption"
    TIME_OF_USE = "TOU"
    THIRD_PARTY_DISPATCH = "thirdPartyDispatch"
    FULLY_FED_TO_GRID = "fullyFidToGrid"  # sic: the API's spelling
    OTHER = "other"


SETTABLE_BATTERY_MODES: Final = frozenset(
    {
        BatteryMode.MAXIMUM_SELF_CONSUMPTION,
        BatteryMode.TIME_OF_USE,
        BatteryMode.THIRD_PARTY_DISPATCH,
    }
)


class PvSurplus(StrEnum):
    """``redundantPVEnergyPriority``: where surplus PV goes in TOU mode."""

    FED_TO_GRID = "fedToGridPreference"
    CHARGE = "chargePreference"


class PowerControlMode(StrEnum):
    """``controlMode`` of the active-power-control-mode query."""

    NO_LIMIT = "noLimit"
    ZERO_EXPORT = "zeroExportLimitation"
    LIMITED_KW = "limitedPowerGridKW"
    LIMITED_PERCENT = "limitedPowerGridPercent"
    OTHER = "other"


class LimitationMode(StrEnum):
    """Whether a feed-in limit applies to the total or to each phase."""

    TOTAL = "totalPower"
    SINGLE_PHASE = "singlePhasePower"


class Path(StrEnum):
    """The API paths, each named after the interface its flow control counts."""

    LOGIN = "/thirdData/login"
    LOGOUT = "/thirdData/logout"
    STATIONS = "/thirdData/stations"
    STATION_LIST = "/thirdData/getStationList"
    STATION_REAL_KPI = "/thirdData/getStationRealKpi"
    DEV_LIST = "/thirdData/getDevList"
    DEV_REAL_KPI = "/thirdData/getDevRealKpi"
    STATION_KPI_HOUR = "/thirdData/getKpiStationHour"
    STATION_KPI_DAY = "/thirdData/getKpiStationDay"
    STATION_KPI_MONTH = "/thirdData/getKpiStationMonth"
    STATION_KPI_YEAR = "/thirdData/getKpiStationYear"
    DEV_KPI_DAY = "/thirdData/getDevKpiDay"
    DEV_KPI_MONTH = "/thirdData/getDevKpiMonth"
    DEV_KPI_YEAR = "/thirdData/getDevKpiYear"
    ALARM_LIST = "/thirdData/getAlarmList"
    BATTERY_MODE = "/rest/openapi/pvms/nbi/v1/configuration/battery-mode"
    POWER_CONTROL_MODE = (
        "/rest/openapi/pvms/nbi/v1/configuration/active-power-control-mode"
    )
    BATTERY_MODE_TASK = "/rest/openapi/pvms/nbi/v1/control/battery/mode/async-task"
    BATTERY_MODE_TASK_INFO = "/rest/openapi/pvms/nbi/v1/control/battery/mode/task-info"
    BATTERY_CONFIG_TASK = (
        "/rest/openapi/pvms/nbi/v1/control/battery/configuration/async-task"
    )
    BATTERY_CONFIG_TASK_INFO = (
        "/rest/openapi/pvms/nbi/v1/control/battery/configuration/task-info"
    )
    POWER_CONTROL_TASK = (
        "/rest/openapi/pvms/nbi/v2/control/active-power-control/async-task"
    )
    POWER_CONTROL_TASK_INFO = (
        "/rest/openapi/pvms/nbi/v2/control/active-power-control/task-info"
    )
    CHARGE_DISCHARGE_TASK = (
        "/rest/openapi/pvms/nbi/v2/control/charge-and-discharge/async-task"
    )
    CHARGE_DISCHARGE_STATUS = "/rest/openapi/pvms/v1/vpp/chargeAndDischargeStatus"
