"""Pollers: which calls an account makes when, within its call budget.

A poller owns a set of :class:`~.flow_control.Job` (one batch of one
interface each, with the period it should be refreshed at), runs the jobs
that are due and that the budget allows, keeps what they returned with the
time it arrived, and says when it should be woken next. The Home Assistant
coordinators drive the pollers; tests drive them directly.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
import logging

from ..errors import (
    ApiAuthenticationError,
    ApiNotSupportedError,
    ApiPermissionError,
    ApiRateLimitedError,
    SolarCloudApiError,
)
from ..unsupported import UnsupportedCalls
from .client import FusionSolarClient, interface_name
from .const import BatteryMode, Path, PowerControlMode
from .errors import NOT_AUTHORIZED_BY_OWNER, ControlNotSupportedError
from .flow_control import AccountSize, Job, batches, due_jobs, next_wake
from .models import (
    Alarm,
    BatteryModeSettings,
    Device,
    Plant,
    PlantsAndDevices,
    PowerControlSettings,
)

_LOGGER = logging.getLogger(__name__)

REAL_TIME_PERIOD = timedelta(minutes=5)
"""How often the cloud itself refreshes real-time data."""
ALARM_PERIOD = timedelta(minutes=30)
CONTROL_STATE_PERIOD = timedelta(hours=6)
"""Control settings change rarely outside Home Assistant; ours are read back."""
RETRY_AFTER_FAILURE = timedelta(minutes=1)
NO_RIGHT_RETRY = timedelta(days=1)
OWNER_AUTHORIZATION_RETRY = timedelta(hours=1)
"""failCode 20056: the plant owner allows it in the app, any time; ask hourly."""


@dataclass(frozen=True, kw_only=True)
class Reading[T]:
    """A value and when it arrived."""

    value: T
    at: datetime


async def async_load_inventory(
    client: FusionSolarClient,
    include: Collection[str] | None = None,
    *,
    plants: Sequence[Plant] | None = None,
    hold_account: bool = True,
) -> PlantsAndDevices:
    """Read the plants and the devices of the plants in ``include`` (None: all).

    ``plants``: the plant list, if it was just read (by a config flow).
    Tells the account's budget its size, which the limits depend on.

    A refusal of the whole account (the system limit, the daily quota)
    holds it (the account's gate), unless ``hold_account`` is False: the
    caller carries on with an inventory it kept, and the account's other
    calls may go.
    """
    try:
        if plants is None:
            plants = await client.async_get_plants()
        client.budget.size = AccountSize(
            plants=len(plants), devices=client.budget.size.devices
        )
        codes = [p.code for p in plants if include is None or p.code in include]
        devices: list[Device] = []
        for batch in batches(codes):
            devices.extend(await client.async_get_devices(batch))
    except ApiRateLimitedError as err:
        if hold_account:
            client.gate.rate_limited(err)
        raise
    inventory = PlantsAndDevices(plants=tuple(plants), devices=tuple(devices))
    client.budget.size = inventory.size
    return inventory


@dataclass(frozen=True, kw_only=True)
class PollOutcome:
    """What one round of polling did."""

    ran: int
    errors: tuple[tuple[Job, SolarCloudApiError], ...] = ()
    answered: tuple[Job, ...] = ()
    """The jobs whose call was answered (a right refused earlier is back)."""

    @property
    def failed(self) -> bool:
        """Return whether jobs ran and every one of them failed.

        "Not supported" is an answer (there is nothing to read), not a
        failure: it does not fail the round, nor blank what else is shown.
        """
        failures = [
            err for _, err in self.errors if not isinstance(err, ApiNotSupportedError)
        ]
        return bool(failures) and len(failures) == self.ran


class Poller(ABC):
    """Runs its jobs as they fall due, as far as the budget allows."""

    def __init__(self, client: FusionSolarClient) -> None:
        """Poll through ``client`` (and its budget)."""
        self.client = client
        self._next_due: dict[Hashable, datetime] = {}
        # A reload hands the poller a new client: ask whichever it has.
        self.not_supported = UnsupportedCalls(lambda: self.client.now())  # noqa: PLW0108
        """Jobs the cloud answered "not supported" (404) to, left for hours."""

    @property
    @abstractmethod
    def jobs(self) -> Sequence[Job]:
        """Return the jobs in scope now."""

    @abstractmethod
    async def _run(self, job: Job) -> None:
        """Make the job's call and keep what it returned."""

    async def async_poll(self) -> PollOutcome:
        """Run every job that is due and allowed now.

        A round that fails (:attr:`PollOutcome.failed`) with a refusal of the
        whole account holds the account: its gate keeps every client's calls
        back for the refusal's time.

        Raises:
            ApiAuthenticationError: The account's credentials were refused;
                nothing else will work either.

        """
        ran = 0
        errors: list[tuple[Job, SolarCloudApiError]] = []
        answered: list[Job] = []
        for job in due_jobs(self.jobs, self._next_due, self.client.now()):
            now = self.client.now()
            if self.client.budget.next_slot(job.path, now) > now:
                continue
            if job not in self.jobs:
                continue  # the scope changed while an earlier job ran
            if not self._may_run(job, now):
                continue
            ran += 1
            try:
                await self._run(job)
            except ApiAuthenticationError:
                raise
            except SolarCloudApiError as err:
                _LOGGER.debug("%s failed: %s", job.key, err)
                errors.append((job, err))
                self._next_due[job.key] = self.client.now() + self._retry_delay(
                    job, err
                )
            else:
                self._next_due[job.key] = self._next_run(job, now)
                self.not_supported.answered(job.key, interface_name(job.path))
                answered.append(job)
        outcome = PollOutcome(ran=ran, errors=tuple(errors), answered=tuple(answered))
        if outcome.failed and isinstance(
            refusal := outcome.errors[0][1], ApiRateLimitedError
        ):
            # The round failed with it: a refusal of the whole account (the
            # system limit, the daily quota) holds it. Among calls that went,
            # it was one interface's quota, and the others keep going.
            self.client.gate.rate_limited(refusal)
        return outcome

    def _may_run(self, job: Job, now: datetime) -> bool:
        """Return whether a due job that the budget allows should run now."""
        return True

    def _next_run(self, job: Job, started: datetime) -> datetime:
        """Return when a job that ran at ``started`` falls due again."""
        return started + job.period

    def _retry_delay(self, job: Job, err: SolarCloudApiError) -> timedelta:
        if _owner_must_authorize(err):
            return OWNER_AUTHORIZATION_RETRY
        if isinstance(err, ApiNotSupportedError):
            # The same answer would come a minute later (seen: getAlarmList
            # 404 fifteen times in two hours): ask again in hours.
            until = self.not_supported.refused(job.key, err, interface_name(job.path))
            return until - self.client.now()
        if isinstance(err, ApiPermissionError):
            # Rights are granted by people, not within minutes.
            return NO_RIGHT_RETRY
        if isinstance(err, ApiRateLimitedError) and err.retry_after:
            # A quota's window (the daily quota: an hour) is waited out.
            return max(timedelta(seconds=err.retry_after), RETRY_AFTER_FAILURE)
        return RETRY_AFTER_FAILURE

    def next_wake(self) -> datetime | None:
        """Return when a job can run next (None: no jobs)."""
        return next_wake(
            self.jobs, self._next_due, self.client.budget, self.client.now()
        )

    def invalidate(self, keys: Iterable[Hashable] | None = None) -> None:
        """Make jobs due now (all of them if ``keys`` is None)."""
        for key in list(self._next_due) if keys is None else keys:
            self._next_due.pop(key, None)


class AlarmPoller(Poller):
    """Alarms of plants, every 30 minutes."""

    lookback = timedelta(days=30)

    def __init__(self, client: FusionSolarClient) -> None:
        """Start without plants."""
        super().__init__(client)
        self._batches: dict[Hashable, tuple[str, ...]] = {}
        self._jobs: list[Job] = []
        self.alarms: dict[str, Reading[tuple[Alarm, ...]]] = {}

    @property
    def jobs(self) -> Sequence[Job]:
        """Return one job per batch of plants."""
        return self._jobs

    def set_scope(self, plant_codes: Sequence[str]) -> None:
        """Poll the alarms of these plants."""
        self._batches = {
            ("alarms", batch): batch for batch in batches(sorted(plant_codes))
        }
        self._jobs = [
            Job(key=key, path=Path.ALARM_LIST, period=ALARM_PERIOD)
            for key in self._batches
        ]
        self.alarms = {c: r for c, r in self.alarms.items() if c in plant_codes}

    async def _run(self, job: Job) -> None:
        codes = self._batches[job.key]
        now = self.client.now()
        alarms = await self.client.async_get_alarms(codes, now - self.lookback, now)
        at = self.client.now()
        for code in codes:
            self.alarms[code] = Reading(
                value=tuple(alarm for alarm in alarms if alarm.plant_code == code),
                at=at,
            )


@dataclass(frozen=True, kw_only=True)
class ControlState:
    """The control settings of one plant, as far as they could be read."""

    battery_mode: BatteryModeSettings | None = None
    power_control: PowerControlSettings | None = None


class ControlStatePoller(Poller):
    """Battery working mode and feed-in control of plants, read on demand.

    A plant whose networking cannot answer (failCode 20609) is not asked
    again; nor is an interface the account has no right to.
    """

    def __init__(self, client: FusionSolarClient) -> None:
        """Start without plants."""
        super().__init__(client)
        self._jobs: list[Job] = []
        self._plants: dict[Hashable, str] = {}
        self.battery_modes: dict[str, Reading[BatteryModeSettings]] = {}
        self.power_controls: dict[str, Reading[PowerControlSettings]] = {}
        self.unsupported: set[Hashable] = set()
        self.denied: set[Path] = set()
        self.last_time_of_use: dict[str, BatteryModeSettings] = {}
        """The time-of-use settings each plant last had (to switch back to)."""
        self.last_limit: dict[str, PowerControlSettings] = {}
        """The kW feed-in limit each plant last had (to limit again)."""

    @property
    def jobs(self) -> Sequence[Job]:
        """Return the queries still worth making."""
        return [
            job
            for job in self._jobs
            if job.path not in self.denied and job.key not in self.unsupported
        ]

    def set_scope(
        self, battery_plants: Sequence[str], power_control_plants: Sequence[str]
    ) -> None:
        """Read the battery mode and the feed-in control of these plants."""
        scope = (
            (Path.BATTERY_MODE, battery_plants),
            (Path.POWER_CONTROL_MODE, power_control_plants),
        )
        self._plants = {(path, code): code for path, codes in scope for code in codes}
        self._jobs = [
            Job(key=(path, code), path=path, period=CONTROL_STATE_PERIOD)
            for path, codes in scope
            for code in sorted(codes)
        ]

    def refresh_plant(self, plant_code: str) -> None:
        """Read a plant's settings again at the next poll (after a task)."""
        self.invalidate(
            [(Path.BATTERY_MODE, plant_code), (Path.POWER_CONTROL_MODE, plant_code)]
        )

    def _retry_delay(self, job: Job, err: SolarCloudApiError) -> timedelta:
        if isinstance(err, ControlNotSupportedError):
            self.unsupported.add(job.key)
        elif isinstance(err, ApiPermissionError) and not _owner_must_authorize(err):
            self.denied.add(job.path)
        return super()._retry_delay(job, err)

    async def _run(self, job: Job) -> None:
        code = self._plants[job.key]
        if job.path is Path.BATTERY_MODE:
            self.set_battery_mode(code, await self.client.async_get_battery_mode(code))
        else:
            self.set_power_control(
                code, await self.client.async_get_power_control(code)
            )

    def state(self, plant_code: str) -> ControlState:
        """Return what is known of a plant's settings."""
        mode = self.battery_modes.get(plant_code)
        control = self.power_controls.get(plant_code)
        return ControlState(
            battery_mode=None if mode is None else mode.value,
            power_control=None if control is None else control.value,
        )

    def set_battery_mode(self, plant_code: str, settings: BatteryModeSettings) -> None:
        """Take a mode (read, or confirmed by a task) as the plant's current one."""
        self.battery_modes[plant_code] = Reading(value=settings, at=self.client.now())
        if settings.mode is BatteryMode.TIME_OF_USE and settings.windows:
            self.last_time_of_use[plant_code] = settings

    def set_power_control(
        self, plant_code: str, settings: PowerControlSettings
    ) -> None:
        """Take a feed-in limit (read, or confirmed by a task) as the current one."""
        self.power_controls[plant_code] = Reading(value=settings, at=self.client.now())
        if (
            settings.mode is PowerControlMode.LIMITED_KW
            and settings.max_feed_in is not None
        ):
            self.last_limit[plant_code] = settings


def _owner_must_authorize(err: SolarCloudApiError) -> bool:
    """Return whether the plant owner, not the account, withholds the data."""
    return isinstance(err, ApiPermissionError) and err.reason == NOT_AUTHORIZED_BY_OWNER


def readings_age(
    readings: Mapping[object, Reading[object]], now: datetime
) -> timedelta | None:
    """Return the age of the oldest reading (None if there are none)."""
    return max((now - reading.at for reading in readings.values()), default=None)
