"""The coordinator every vendor's coordinators build on."""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime, timedelta
from typing import override

from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.update_coordinator import TimestampDataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .api import SolarCloudApiError
from .const import LOGGER
from .error_mapping import update_error
from .runtime import SolarCloudConfigEntry, account_log_name


class SolarCloudCoordinator[DataT](TimestampDataUpdateCoordinator[DataT]):
    """Fetch one kind of data of one account at one cadence.

    Subclasses implement :meth:`_async_fetch` with their client's calls; client
    errors are mapped here, in one place.

    Freshness is decided here, for every vendor: ``expected_delay`` is how old
    data may be before it is no longer shown as current. Data is current
    while its time (``data_time``, the last successful update, or the time of
    the item an entity shows) is younger than that, whatever the refreshes
    do: a cloud that fails for a moment does not blank the dashboard, and
    values turn unavailable once they are too old even when nothing refreshes
    any more (an authentication failure, a hung call). Whenever
    :meth:`is_current` answers yes, the coordinator tells its listeners again
    at the moment the answer turns to no. Without an expected delay, data is
    current while the last refresh succeeded (Home Assistant's rule).
    """

    config_entry: SolarCloudConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SolarCloudConfigEntry,
        *,
        name: str,
        update_interval: timedelta | None,
        expected_delay: timedelta | None = None,
        always_update: bool = False,
    ) -> None:
        """Initialize the coordinator of one entry."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{account_log_name(entry)} {name}",
            update_interval=update_interval,
            always_update=always_update,
        )
        self.data_name = name
        """What the coordinator fetches, without the account: the key
        diagnostics use."""
        self.expected_delay = expected_delay
        self._expiry: datetime | None = None
        self._cancel_expiry: CALLBACK_TYPE | None = None
        self._expiry_job = HassJob(
            self._async_expired, f"{self.name} data expires", cancel_on_shutdown=True
        )
        self._stopped = False

    @abstractmethod
    async def _async_fetch(self) -> DataT:
        """Fetch the data from the vendor's client."""

    @override
    async def _async_update_data(self) -> DataT:
        # The account's rate-limit window is the clients' own (their
        # AccountGate): they open it on a refusal of the whole account, and
        # within it refuse the first call without a request.
        try:
            return await self._async_fetch()
        except SolarCloudApiError as err:
            raise update_error(err) from err

    def poll_at(self, moment: datetime, now: datetime) -> None:
        """Set the next refresh to ``moment``, within a second after it.

        Home Assistant schedules the next refresh ``update_interval`` after
        this one ends, on whole seconds of its loop clock (plus a fixed
        fraction): the interval is measured from that clock so that the
        refresh comes at the absolute time.
        """
        self.update_interval = (
            moment - now + timedelta(seconds=self.hass.loop.time() % 1)
        )

    @property
    def data_time(self) -> datetime | None:
        """Return how recent the coordinator's data is: its last good update."""
        return None if self.data is None else self.last_update_success_time

    @callback
    def is_current(
        self, at: datetime | None, *, delay: timedelta | None = None
    ) -> bool:
        """Return whether data of the time ``at`` is recent enough to show.

        ``delay``: how old it may be, if not the expected delay (a value
        that counts on a rule of its own). When the data is current,
        listeners are told again the moment it no longer is.
        """
        if at is None or self.data is None:
            return False
        if (delay := delay or self.expected_delay) is None:
            return self.last_update_success
        expires = at + delay
        now = dt_util.utcnow()
        if now >= expires:
            return False
        self._async_tell_at(expires, now)
        return True

    @callback
    def _async_tell_at(self, expires: datetime, now: datetime) -> None:
        """Tell the listeners at ``expires`` (unless they are told earlier)."""
        if self._stopped or (self._expiry is not None and self._expiry <= expires):
            return
        if self._cancel_expiry is not None:
            self._cancel_expiry()
        self._expiry = expires
        self._cancel_expiry = async_call_later(
            self.hass, (expires - now).total_seconds(), self._expiry_job
        )

    @callback
    def _async_expired(self, _now: datetime) -> None:
        """Let every entity judge its data again: some of it just turned old."""
        self._expiry = self._cancel_expiry = None
        self.async_update_listeners()

    @override
    async def async_shutdown(self) -> None:
        """Stop refreshing, and stop telling about expiring data."""
        self._stopped = True
        if self._cancel_expiry is not None:
            self._cancel_expiry()
            self._expiry = self._cancel_expiry = None
        await super().async_shutdown()

    @callback
    @override
    def async_set_updated_data(self, data: DataT) -> None:
        """Take pushed data as a successful update."""
        self.last_update_success_time = dt_util.utcnow()
        super().async_set_updated_data(data)
