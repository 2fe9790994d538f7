"""The coordinator every vendor's coordinators build on."""

from __future__ import annotations

from abc import abstractmethod
from datetime import timedelta
from typing import override

from homeassistant.core import HomeAssistant, callback
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

    A cloud that fails for a moment should not blank the dashboard: with
    ``stale_after`` set, entities keep showing the last good data after failed
    refreshes until it is older than that, and only then become unavailable.
    """

    config_entry: SolarCloudConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SolarCloudConfigEntry,
        *,
        name: str,
        update_interval: timedelta | None,
        stale_after: timedelta | None = None,
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
        self.stale_after = stale_after
        self._reported_fresh = False

    @abstractmethod
    async def _async_fetch(self) -> DataT:
        """Fetch the data from the vendor's client."""

    @override
    async def _async_update_data(self) -> DataT:
        try:
            return await self._async_fetch()
        except SolarCloudApiError as err:
            raise update_error(err) from err

    @property
    def has_fresh_data(self) -> bool:
        """Whether entities should show the data they have."""
        if self.data is None:
            return False
        if self.last_update_success:
            return True
        return (
            self.stale_after is not None
            and self.last_update_success_time is not None
            and dt_util.utcnow() - self.last_update_success_time < self.stale_after
        )

    @callback
    @override
    def _async_refresh_finished(self) -> None:
        super()._async_refresh_finished()
        fresh = self.has_fresh_data
        # The base class stops telling listeners after the first of several
        # failed refreshes; tell them once more when the data turns stale.
        if self._reported_fresh and not fresh and not self.last_update_success:
            self._reported_fresh = False
            self.async_update_listeners()
            return
        self._reported_fresh = fresh

    @callback
    @override
    def async_set_updated_data(self, data: DataT) -> None:
        """Take pushed data as a successful update."""
        self.last_update_success_time = dt_util.utcnow()
        self._reported_fresh = True
        super().async_set_updated_data(data)
