"""What FusionSolar accounts keep over Home Assistant restarts.

Huawei counts an account's calls over windows of up to a day, whether Home
Assistant restarted or not, and answers one call too many with 407 - after
which the plant list stays refused for a day. So each account's call budget
(the calls that still count, and running back-offs), the history import's
share of it, its inventory (plants and devices, when they were read, for
which plants), what the history answers told of each plant's local days and
the control tasks still running go into one store for all FusionSolar
accounts. It is read before an
account's first call, written at most once a minute while calls go out, when
an entry unloads, and when Home Assistant stops.

The store is a cache: whatever in it cannot be read is left out (and logged
at debug level); the next write replaces it.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
import logging
from typing import Any, Final, override

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from ..api.fusionsolar import CallBudget
from ..api.fusionsolar.models import PlantsAndDevices
from ..api.fusionsolar.values import as_datetime_iso, as_dict
from ..const import CONF_VENDOR, DOMAIN
from ..runtime import SolarCloudConfigEntry
from .connection import ACCOUNTS, FusionSolarAccountState, account_state
from .const import VENDOR
from .history_budget import BACKLOG_LIMITS
from .plant_time import FusionSolarPlantCalendar

_LOGGER = logging.getLogger(__name__)

STORAGE_KEY: Final = f"{DOMAIN}.fusionsolar_accounts"
STORAGE_VERSION: Final = 1
SAVE_DELAY: Final = 60.0
"""Seconds between a change and its write; changes meanwhile join that write."""

STORAGE: HassKey[FusionSolarAccountStorage] = HassKey(f"{DOMAIN}_fusionsolar_storage")


class _Store(Store[dict[str, Any]]):
    """The store, dropping data of another layout rather than converting it."""

    @override
    async def _async_migrate_func(
        self,
        old_major_version: int,
        old_minor_version: int,
        old_data: dict[str, Any],
    ) -> dict[str, Any]:
        # What it holds is rebuilt within a day; what is lost costs calls, not data.
        _LOGGER.debug(
            "Dropping stored FusionSolar accounts of version %s.%s",
            old_major_version,
            old_minor_version,
        )
        return {}


class FusionSolarAccountStorage:
    """The call budgets and inventories of the FusionSolar accounts, on disk."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Use the store of ``hass``; nothing is read yet."""
        self._hass = hass
        self._store = _Store(
            hass, STORAGE_VERSION, STORAGE_KEY, private=True, atomic_writes=True
        )
        self._lock = asyncio.Lock()
        self._loaded = False
        self._save_pending = False

    async def async_load(self) -> None:
        """Hand each account what it kept before the restart (once per run)."""
        async with self._lock:
            if self._loaded:
                return
            try:
                stored = await self._store.async_load()
            except Exception as err:  # noqa: BLE001 - a cache must never stop setup
                _LOGGER.debug("Ignoring the stored FusionSolar accounts: %s", err)
                stored = None
            now = dt_util.utcnow()
            for account, data in as_dict(as_dict(stored).get("accounts")).items():
                _restore(account_state(self._hass, account), as_dict(data), now)
            self._loaded = True

    @callback
    def async_track(self, state: FusionSolarAccountState) -> None:
        """Save the account whenever its budget or inventory changes."""
        state.on_change = state.budget.on_change = self.async_schedule_save
        state.history_budget.on_change = self.async_schedule_save

    @callback
    def async_schedule_save(self) -> None:
        """Write within :data:`SAVE_DELAY` (or when Home Assistant stops)."""
        if self._save_pending:
            return
        self._save_pending = True
        self._store.async_delay_save(self._data, SAVE_DELAY)

    async def async_save(self) -> None:
        """Write now."""
        await self._store.async_save(self._data())

    def _data(self) -> dict[str, Any]:
        self._save_pending = False
        now = dt_util.utcnow()
        # An account whose entry was removed keeps its budget (Huawei still
        # counts its calls if it is added again), not its plants and devices.
        entries = {
            entry.unique_id or entry.entry_id
            for entry in self._hass.config_entries.async_entries(DOMAIN)
            if entry.data.get(CONF_VENDOR) == VENDOR
        }
        accounts: dict[str, Any] = {}
        for account, state in self._hass.data.get(ACCOUNTS, {}).items():
            data = _account_data(state, now, with_inventory=account in entries)
            if data:
                accounts[account] = data
        return {"accounts": accounts}


async def async_load_accounts(hass: HomeAssistant) -> FusionSolarAccountStorage:
    """Return the accounts' storage, read before any account's first call."""
    if (storage := hass.data.get(STORAGE)) is None:
        storage = hass.data[STORAGE] = FusionSolarAccountStorage(hass)
    await storage.async_load()
    return storage


def _account_data(
    state: FusionSolarAccountState, now: datetime, *, with_inventory: bool
) -> dict[str, Any]:
    data: dict[str, Any] = {}
    budget = state.budget.as_dict(now)
    if budget["calls"] or budget["blocked_until"]:
        data["budget"] = budget
    backlog = state.history_budget.as_dict(now)
    if backlog["calls"]:
        data["history_budget"] = backlog
    if with_inventory and state.inventory is not None and state.inventory_at:
        include = state.inventory_include
        data["inventory"] = state.inventory.as_dict() | {
            "at": state.inventory_at.isoformat(),
            "include": None if include is None else sorted(include),
        }
    calendars = {
        code: calendar.as_dict()
        for code, calendar in state.calendars.items()
        if calendar.learned
    }
    if with_inventory and calendars:
        data["calendars"] = calendars
    if with_inventory and state.control_tasks:
        data["control_tasks"] = dict(state.control_tasks)
    return data


def _restore(
    state: FusionSolarAccountState, data: dict[str, Any], now: datetime
) -> None:
    """Give an account what was stored of it (merged with what it has)."""
    state.budget.absorb(CallBudget.from_dict(data.get("budget"), now))
    state.history_budget.absorb(
        CallBudget.from_dict(data.get("history_budget"), now, limits=BACKLOG_LIMITS)
    )
    for code, calendar in as_dict(data.get("calendars")).items():
        state.calendars.setdefault(code, FusionSolarPlantCalendar.from_dict(calendar))
    for key, task in as_dict(data.get("control_tasks")).items():
        state.control_tasks.setdefault(key, as_dict(task))
    if state.inventory is not None or "inventory" not in data:
        return
    try:
        inventory, include, at = _stored_inventory(as_dict(data["inventory"]), now)
    except ValueError as err:
        _LOGGER.debug("Ignoring a stored FusionSolar inventory: %s", err)
        return
    state.keep_inventory(inventory, include, at)


def _stored_inventory(
    data: dict[str, Any], now: datetime
) -> tuple[PlantsAndDevices, frozenset[str] | None, datetime]:
    """Return a stored inventory, its plants in scope and when it was read.

    Raises:
        ValueError: Some of it cannot be read.

    """
    at = as_datetime_iso(data.get("at"))
    if at is None or at > now:
        raise ValueError(f"Not a time it was read at: {data.get('at')!r}")
    include = data.get("include")
    if include is None:
        return PlantsAndDevices.from_dict(data), None, at
    if isinstance(include, list) and all(isinstance(code, str) for code in include):
        return PlantsAndDevices.from_dict(data), frozenset(include), at
    raise ValueError(f"Not a list of plant codes: {include!r}")


async def async_forget_account(
    hass: HomeAssistant, entry: SolarCloudConfigEntry
) -> None:
    """Drop a removed account's plants and devices from the storage."""
    await (await async_load_accounts(hass)).async_save()
